//! Follow-up on the witness page without JavaScript: the receipt the server makes on
//! the no-JS submission, the mailbox page that reads replies server-side, adding a
//! message and a file through the plain form, uniform and translated errors, and the
//! words never reaching a header, a URL, the data directory or the log.

mod common;

use std::ffi::OsStr;
use std::path::Path;

use common::*;
use serde_json::Value;
use tempfile::TempDir;

/// The text between `start` and the next `end` in `page`.
fn between<'a>(page: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = page.find(start)? + start.len();
    let to = page[from..].find(end)? + from;
    Some(&page[from..to])
}

fn i18n(lang: &str, key: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("web/i18n/{lang}.json"));
    let v: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    v[key].as_str().unwrap().to_owned()
}

fn body_text(resp: &HttpResponse) -> String {
    String::from_utf8_lossy(&resp.body).into_owned()
}

/// Submits through the plain form in `lang`; returns (reference, words, English words).
fn submit_without_js(
    server: &ServerGuard,
    lang: &str,
    narrative: &str,
) -> (String, String, String) {
    let body = multipart_body(&[("language", lang), ("narrative", narrative)], &[]);
    let resp = post_form(server, &format!("/{lang}/submit"), &body);
    assert_eq!(resp.status, 200, "{}", body_text(&resp));
    assert_witness_headers(&resp, "the no-JS receipt page");
    let page = body_text(&resp);
    let reference = between(&page, "<code id=\"receipt-reference\">", "</code>")
        .expect("the reference")
        .to_owned();
    let words = receipt_word_list(&page, "receipt-words")
        .expect("the receipt words are on the receipt page")
        .1
        .join(" ");
    let english = receipt_word_list(&page, "receipt-words-en")
        .map_or_else(|| words.clone(), |(_, w)| w.join(" "));
    assert!(
        page.contains(&format!("href=\"/{lang}/followup\"")),
        "a link to the mailbox"
    );
    (reference, words, english)
}

fn mailbox_post(
    server: &ServerGuard,
    lang: &str,
    fields: &[(&str, &str)],
    files: &[(&str, &str, &str, &[u8])],
) -> HttpResponse {
    let resp = post_form(
        server,
        &format!("/{lang}/followup"),
        &multipart_body(fields, files),
    );
    assert_witness_headers(&resp, "the mailbox page");
    assert!(
        resp.header("location").is_none(),
        "no redirect carries the words"
    );
    resp
}

fn reply(server: &ServerGuard, key: &Path, id: &str, message: &str) {
    tipseal_ok([
        OsStr::new("review"),
        OsStr::new("reply"),
        OsStr::new(id),
        OsStr::new("--server"),
        OsStr::new(&server.url),
        OsStr::new("--key"),
        key.as_os_str(),
        OsStr::new("--message"),
        OsStr::new(message),
    ]);
}

fn assert_no_words_in_headers(resp: &HttpResponse, words: &[&str]) {
    for (name, value) in &resp.headers {
        for w in words {
            assert!(
                !value.contains(w),
                "header {name} carries the receipt words"
            );
        }
    }
}

#[test]
fn a_full_conversation_without_javascript_in_korean() {
    let team = setup_team();
    let server = team.spawn_server(&[]);
    let (id, words, english) =
        submit_without_js(&server, "ko", "북쪽 현장에서 여권을 빼앗았습니다.");
    assert_eq!(words.split_whitespace().count(), 12);
    assert!(
        words
            .chars()
            .any(|c| ('\u{AC00}'..='\u{D7A3}').contains(&c)),
        "Hangul receipt words: {words}"
    );
    assert!(english.is_ascii() && english.split(' ').count() == 12);
    assert_eq!(receipt_entropy_hex(&words), receipt_entropy_hex(&english));

    // The mailbox page exists in every language, with the same headers.
    for lang in LANGUAGES {
        let resp = server.get(&format!("/{lang}/followup"));
        assert_eq!(resp.status, 200);
        assert_page_language(&resp, lang, if lang == "ar" { "rtl" } else { "ltr" });
        assert_witness_headers(&resp, "GET followup");
    }

    let reply_text = format!("어느 문입니까? ref-{}", random_hex(6));
    reply(&server, &team.reviewer_key, &id, &reply_text);

    // Open the mailbox with the Hangul words, spread over lines.
    let typed = words.replace(' ', "\n");
    let resp = mailbox_post(&server, "ko", &[("action", "open"), ("words", &typed)], &[]);
    assert_eq!(resp.status, 200, "{}", body_text(&resp));
    let page = body_text(&resp);
    assert!(page.contains(&reply_text), "the reply is on the page");
    assert!(
        page.contains("alice"),
        "signed by a reviewer on the keyring"
    );
    assert_no_words_in_headers(&resp, &[&words, &english]);

    // The English form opens the same mailbox (urlencoded this time).
    let token = hidden_fields(&body_text(&server.get("/en/followup")), "form_token")[0].clone();
    let form = format!(
        "action=open&form_token={token}&words={}",
        english.replace(' ', "+")
    );
    let resp = raw_http(
        server.addr,
        None,
        &request(
            "POST",
            "/en/followup",
            &[("Content-Type", "application/x-www-form-urlencoded")],
            form.as_bytes(),
        ),
    );
    assert_eq!(resp.status, 200);
    assert!(body_text(&resp).contains(&reply_text));
    let session = hidden_fields(&body_text(&resp), "session")[0].clone();

    // Add a message and a file through the plain form.
    let followup_text = format!("북문, 밤 10시 이후. ref-{}", random_hex(6));
    let file = random_bytes(5_000);
    let resp = mailbox_post(
        &server,
        "ko",
        &[
            ("action", "add"),
            ("session", &session),
            ("message", &followup_text),
        ],
        &[("attachments", "note.bin", "application/octet-stream", &file)],
    );
    assert_eq!(resp.status, 200, "{}", body_text(&resp));
    assert!(body_text(&resp).contains(&i18n("ko", "followup_sent")));
    assert_no_words_in_headers(&resp, &[&words, &english]);

    let saved = TempDir::new().unwrap();
    let shown = review_show(&server.url, &team.reviewer_key, &id, Some(saved.path()));
    let conv = shown["conversation"].as_array().expect("a conversation");
    assert_eq!(conv.len(), 2, "{shown}");
    assert_eq!(conv[0]["kind"], "reply");
    assert_eq!(conv[1]["kind"], "followup");
    assert_eq!(conv[1]["message"], followup_text.as_str());
    assert_eq!(conv[1]["attachments"][0]["name"], "note.bin");
    assert_eq!(conv[1]["attachments"][0]["size"], 5_000);

    // Nothing of the receipt reaches the data directory or the log.
    let entropy = receipt_entropy_hex(&words);
    let first_three: String = english.split(' ').take(3).collect::<Vec<_>>().join(" ");
    let needles: Vec<(&str, Vec<u8>)> = vec![
        ("Hangul words", words.as_bytes().to_vec()),
        ("English words", english.as_bytes().to_vec()),
        ("first three words", first_three.into_bytes()),
        ("entropy hex", entropy.as_bytes().to_vec()),
        ("entropy", hex_decode(&entropy)),
        ("reply text", reply_text.as_bytes().to_vec()),
        ("follow-up text", followup_text.as_bytes().to_vec()),
    ];
    let data_dir = server.data_dir.clone();
    let log = server.log();
    drop(server);
    for (what, needle) in &needles {
        assert!(
            grep_dir(&data_dir, needle).is_empty(),
            "the data dir holds the {what}"
        );
        assert!(!contains(&log, needle), "the log holds the {what}");
    }
}

#[test]
fn a_wrong_word_gets_the_checksum_message_in_the_page_language() {
    let team = setup_team();
    let server = team.spawn_server(&[]);
    let (_, _, english) = submit_without_js(&server, "ru", "Текст");
    let mut words: Vec<String> = english.split(' ').map(str::to_owned).collect();
    let original = words[3].clone();
    let checksum_msg = i18n("ru", "err_receipt_checksum");
    let mut caught = false;
    for candidate in ["abandon", "zoo", "ability", "about", "absent", "absorb"] {
        if candidate == original {
            continue;
        }
        words[3] = candidate.to_owned();
        let resp = mailbox_post(
            &server,
            "ru",
            &[("action", "open"), ("words", &words.join(" "))],
            &[],
        );
        // A substituted word passes the 4-bit checksum 1 time in 16: those receipts are
        // well formed and simply open no mailbox. (The strings JSON block puts every
        // message in every page, so the status decides, not the text.)
        if resp.status == 401 {
            continue;
        }
        assert_eq!(resp.status, 400, "{candidate}");
        assert!(body_text(&resp).contains(&checksum_msg));
        assert_page_language(&resp, "ru", "ltr");
        caught = true;
        break;
    }
    assert!(caught, "the checksum caught one of six substituted words");

    words[3] = "zzzzsecret".to_owned();
    let resp = mailbox_post(
        &server,
        "ru",
        &[("action", "open"), ("words", &words.join(" "))],
        &[],
    );
    assert_eq!(resp.status, 400);
    let page = body_text(&resp);
    assert!(page.contains(&i18n("ru", "err_receipt_word").replace("{n}", "4")));
    assert!(
        !page.contains("zzzzsecret"),
        "the error does not echo the words"
    );
}

#[test]
fn an_unknown_and_a_wrong_receipt_get_the_same_page() {
    let team = setup_team();
    let server = team.spawn_server(&[]);
    submit_without_js(&server, "en", "Some report");
    let a = mailbox_post(
        &server,
        "pl",
        &[("action", "open"), ("words", &fresh_receipt_words())],
        &[],
    );
    // A wrong receipt: real words with one word swapped keeps its checksum only by
    // chance, so the other unknown receipt stands for "not this mailbox" here.
    let b = mailbox_post(
        &server,
        "pl",
        &[("action", "open"), ("words", &fresh_receipt_words())],
        &[],
    );
    assert_eq!(a.status, 401);
    assert_eq!(a.status, b.status);
    assert_eq!(without_tokens(&a.body), without_tokens(&b.body));
    assert!(body_text(&a).contains(&i18n("pl", "err_mailbox")));
}

#[test]
fn without_javascript_the_witness_sees_their_own_messages_and_the_reply_in_order() {
    let team = setup_team();
    let server = team.spawn_server(&[]);
    let (id, words, _) = submit_without_js(&server, "nl", "Een melding over de noordpoort.");
    let first = format!("eigen-eerste-{}", random_hex(10));
    let second = format!("eigen-tweede-{}", random_hex(10));
    // The words are posted once; the opened page carries a session handle instead.
    let mut session = mailbox_session(&server, "nl", &words);
    for (text, files) in [
        (&first, vec![]),
        (
            &second,
            vec![(
                "attachments",
                "kaart.bin",
                "application/octet-stream",
                &[7u8; 300][..],
            )],
        ),
    ] {
        let resp = mailbox_post(
            &server,
            "nl",
            &[("action", "add"), ("session", &session), ("message", text)],
            &files,
        );
        assert_eq!(resp.status, 200, "{}", body_text(&resp));
        session = hidden_fields(&body_text(&resp), "session")[0].clone();
        // The page after sending already lists the message just sent.
        let list = between(&body_text(&resp), "<ol id=\"replies\"", "</ol>")
            .expect("the conversation list")
            .to_owned();
        assert!(list.contains(text.as_str()), "{list}");
    }
    let answer = format!("antwoord-{}", random_hex(10));
    reply(&server, &team.reviewer_key, &id, &answer);

    let resp = mailbox_post(&server, "nl", &[("action", "open"), ("words", &words)], &[]);
    assert_eq!(resp.status, 200);
    let page = body_text(&resp);
    let list = between(&page, "<ol id=\"replies\"", "</ol>").expect("the conversation list");
    let at = |needle: &str| {
        list.find(needle)
            .unwrap_or_else(|| panic!("{needle} in {list}"))
    };
    assert!(
        at(&first) < at(&second) && at(&second) < at(&answer),
        "{list}"
    );
    assert_eq!(list.matches("class=\"reply mine\"").count(), 2, "{list}");
    assert!(list.contains("kaart.bin"), "the file sent is named: {list}");
    let you = i18n("nl", "followup_you");
    let you = you.split("{date}").next().unwrap();
    assert!(list.contains(you), "labelled as the witness's own: {list}");

    let data_dir = server.data_dir.clone();
    let log = server.log();
    drop(server);
    for needle in [&first, &second, &answer] {
        assert!(
            grep_dir(&data_dir, needle.as_bytes()).is_empty(),
            "{needle} in the data dir"
        );
        assert!(!contains(&log, needle.as_bytes()), "{needle} in the log");
    }
}
