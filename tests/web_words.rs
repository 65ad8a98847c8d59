//! The witness page's words: the organisation and the safety contact the operator
//! configures, countries chosen by name, validation errors in the witness's language,
//! receipts shown as a numbered left-to-right list, and a failed mailbox opening headed
//! as what it is. Real server, plain HTTP, no JavaScript.

mod common;

use std::ffi::OsStr;
use std::path::Path;

use common::*;
use serde_json::{json, Value};

/// A string of `web/i18n/{lang}.json`.
fn i18n(lang: &str, key: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("web/i18n/{lang}.json"));
    let v: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("{lang}.{key}"))
        .to_owned()
}

/// `s` as the page's templates escape it.
fn escaped(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#x27;")
        .replace('/', "&#x2f;")
}

fn text(resp: &HttpResponse) -> String {
    String::from_utf8_lossy(&resp.body).into_owned()
}

/// The `<select>` element named `name`, whole.
fn select<'a>(page: &'a str, name: &str) -> &'a str {
    let at = page
        .find(&format!("name=\"{name}\""))
        .unwrap_or_else(|| panic!("no field {name}"));
    let open = page[..at].rfind('<').unwrap();
    assert!(page[open..].starts_with("<select"), "{name} is a select");
    let close = at + page[at..].find("</select>").unwrap();
    &page[open..close]
}

#[test]
fn the_configured_organisation_and_safety_contact_are_on_every_language_page() {
    let team = setup_team();
    let org = "Korea Labour Watch <Seoul & Vladivostok>";
    let contact = "Call +82 2 555 0100 (Signal) — ask for Min";
    let server = team.spawn_server(&["--org-name", org, "--safety-contact", contact]);
    for lang in LANGUAGES {
        let page = text(&server.get(&format!("/{lang}/")));
        assert!(
            page.contains(&escaped(org)),
            "{lang}: the organisation is named"
        );
        assert!(!page.contains(org), "{lang}: and escaped");
        assert!(
            page.contains(&escaped(contact)),
            "{lang}: the safety contact is shown"
        );
        assert!(
            page.contains(&escaped(&i18n(lang, "identify_note"))),
            "{lang}: the identifying-details warning"
        );
        assert!(
            page.contains(&escaped(&i18n(lang, "next_title"))),
            "{lang}: what happens next"
        );
    }

    // Unset: each language says it in its own words.
    let plain = team.spawn_server(&[]);
    for lang in ["ko", "ar"] {
        let page = text(&plain.get(&format!("/{lang}/")));
        let org_line = i18n(lang, "org_line").replace("{org}", &i18n(lang, "org_default"));
        assert!(
            page.contains(&escaped(&org_line)),
            "{lang}: the default organisation line"
        );
        assert!(
            page.contains(&escaped(&i18n(lang, "safety_contact_default"))),
            "{lang}: the default safety sentence"
        );
        assert!(!page.contains("Korea Labour Watch"));
    }
}

#[test]
fn an_empty_or_multi_line_organisation_name_is_refused_at_start_naming_the_flag() {
    let dir = tempfile::TempDir::new().unwrap();
    for (flag, value) in [
        ("--org-name", "   "),
        ("--safety-contact", "line one\nline two"),
    ] {
        let out = tipseal([
            OsStr::new("serve"),
            OsStr::new("--data"),
            dir.path().as_os_str(),
            OsStr::new("--listen"),
            OsStr::new("127.0.0.1:0"),
            OsStr::new(flag),
            OsStr::new(value),
        ]);
        assert!(!out.status.success(), "{flag} {value:?} is refused");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(flag), "the error names {flag}: {err}");
    }
}

#[test]
fn the_story_box_comes_before_the_optional_details() {
    let team = setup_team();
    let server = team.spawn_server(&[]);
    for lang in LANGUAGES {
        let page = text(&server.get(&format!("/{lang}/")));
        let story = page.find("name=\"narrative\"").unwrap();
        let first_detail = page.find("name=\"worksite.name\"").unwrap();
        assert!(story < first_detail, "{lang}: the story box comes first");
        assert!(
            page.contains(&escaped(&i18n(lang, "details_title"))),
            "{lang}: the details are marked optional"
        );
    }
}

#[test]
fn countries_are_chosen_by_name_in_the_page_language_and_sent_as_iso_codes() {
    let team = setup_team();
    let server = team.spawn_server(&[]);
    for (lang, code, name) in [
        ("ko", "KP", "조선 (조선민주주의인민공화국)"),
        ("ko", "RU", "러시아"),
        ("ar", "RU", "روسيا"),
        ("ar", "KP", "كوريا الشمالية"),
        ("zh", "KP", "朝鲜"),
    ] {
        let page = text(&server.get(&format!("/{lang}/")));
        for field in ["worksite.country", "workers.nationality"] {
            let list = select(&page, field);
            assert!(
                list.contains(&format!("<option value=\"{code}\">{name}</option>")),
                "{lang} {field}: {code} is «{name}»"
            );
            assert!(
                list.matches("<option value=\"").count() >= 250,
                "{lang}: every country"
            );
        }
        assert!(!page.contains("북한"), "{lang}: Korean says 조선");
    }

    // The no-JS form sends the code; the reviewer reads the code.
    let body = multipart_body(
        &[
            ("language", "ko"),
            ("worksite.country", "KP"),
            ("workers.nationality", "KP"),
            ("narrative", "country by name"),
        ],
        &[],
    );
    let resp = post_form(&server, "/ko/submit", &body);
    assert_eq!(resp.status, 200, "{}", text(&resp));
    let ids = review_ids(&server.url, &team.reviewer_key);
    let opened = review_show(&server.url, &team.reviewer_key, &ids[0], None);
    assert_eq!(opened["tip"]["worksite"]["country"], json!("KP"));
    assert_eq!(opened["tip"]["workers"]["nationality"], json!("KP"));

    // After an error the chosen country stays chosen.
    let again = post_form(
        &server,
        "/ar/submit",
        &multipart_body(
            &[
                ("worksite.country", "RU"),
                ("worksite.observed_from", "2024-13"),
            ],
            &[],
        ),
    );
    assert_eq!(again.status, 400);
    assert!(select(&text(&again), "worksite.country").contains("<option value=\"RU\" selected>"));
}

#[test]
fn no_javascript_validation_errors_are_in_the_witness_language_with_dates_kept_left_to_right() {
    let team = setup_team();
    let server = team.spawn_server(&[]);
    for lang in LANGUAGES {
        let form = text(&server.get(&format!("/{lang}/")));
        assert!(
            form.contains("id=\"tip-form\" novalidate"),
            "{lang}: the browser's own (English) bubbles are off"
        );
        let resp = post_form(
            &server,
            &format!("/{lang}/submit"),
            &multipart_body(&[("worksite.observed_from", "spring")], &[]),
        );
        assert_eq!(resp.status, 400, "{lang}");
        let page = text(&resp);
        let alert = page
            .split("id=\"server-error\"")
            .nth(1)
            .and_then(|rest| rest.split("</div>").next())
            .expect("an error box");
        let message = i18n(lang, "err_date");
        let before_dates = &message[..message.find(|c: char| c.is_ascii_digit()).unwrap()];
        assert!(
            alert.contains(&escaped(before_dates)),
            "{lang}: the date message in {lang}: {alert}"
        );
        assert!(
            alert.contains(&escaped(&i18n(lang, "err_title"))),
            "{lang}: headed in {lang}"
        );
        assert!(
            alert.contains("<bdi dir=\"ltr\">2024-03-15</bdi>"),
            "{lang}: the example date is isolated left to right"
        );
        assert!(
            page.contains("<bdi dir=\"ltr\">2024-03</bdi>"),
            "{lang}: so is the date hint's"
        );
    }
    assert!(review_ids(&server.url, &team.reviewer_key).is_empty());
}

#[test]
fn the_receipt_page_shows_the_words_as_a_numbered_left_to_right_list() {
    let team = setup_team();
    let server = team.spawn_server(&[]);
    for (lang, script) in [
        ("ar", None),
        ("ko", Some('\u{ac00}'..='\u{d7a3}')),
        ("zh", Some('\u{4e00}'..='\u{9fff}')),
    ] {
        let body = multipart_body(&[("language", lang), ("narrative", "receipt layout")], &[]);
        let resp = post_form(&server, &format!("/{lang}/submit"), &body);
        assert_eq!(resp.status, 200, "{}", text(&resp));
        let page = text(&resp);
        let (tag, words) = receipt_word_list(&page, "receipt-words").expect("a word list");
        assert!(
            tag.starts_with("<ol"),
            "{lang}: an ordered (numbered) list: {tag}"
        );
        assert!(
            tag.contains("dir=\"ltr\""),
            "{lang}: left to right even on an RTL page: {tag}"
        );
        assert_eq!(words.len(), 12, "{lang}: one item a word");
        match &script {
            Some(range) => assert!(
                words.iter().all(|w| w.chars().all(|c| range.contains(&c))),
                "{lang}: the witness's own script: {words:?}"
            ),
            None => assert!(words
                .iter()
                .all(|w| w.chars().all(|c| c.is_ascii_lowercase()))),
        }
        // The list reads back as the receipt (any list, the English one too).
        let shown = receipt_entropy_hex(&words.join(" "));
        if let Some((en_tag, english)) = receipt_word_list(&page, "receipt-words-en") {
            assert!(en_tag.contains("dir=\"ltr\""));
            assert_eq!(
                receipt_entropy_hex(&english.join(" ")),
                shown,
                "{lang}: the same receipt"
            );
        }
        assert!(
            page.contains(&escaped(&i18n(lang, "receipt_reference_explain"))),
            "{lang}: the reference is explained"
        );
        assert!(
            page.contains(&escaped(&i18n(lang, "safety_contact_default"))),
            "{lang}: what to do in danger, after sending too"
        );
    }
}

#[test]
fn a_failed_mailbox_opening_is_headed_could_not_open_not_not_sent() {
    let team = setup_team();
    let server = team.spawn_server(&[]);
    for lang in ["en", "ar", "ko"] {
        let resp = post_form(
            &server,
            &format!("/{lang}/followup"),
            &multipart_body(
                &[("action", "open"), ("words", &fresh_receipt_words())],
                &[],
            ),
        );
        assert_eq!(resp.status, 401);
        let page = text(&resp);
        let alert = page
            .split("id=\"server-error\"")
            .nth(1)
            .and_then(|rest| rest.split("</div>").next())
            .expect("an error box");
        assert!(
            alert.contains(&escaped(&i18n(lang, "err_title_mailbox"))),
            "{lang}: {alert}"
        );
        assert!(
            !alert.contains(&escaped(&i18n(lang, "err_title"))),
            "{lang}: not 'Not sent'"
        );
    }
}
