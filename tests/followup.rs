//! Anonymous two-way follow-up on the command line: a witness submits and keeps a
//! receipt, a reviewer replies, the witness reads the reply with the receipt and adds to
//! the tip, the reviewer sees the whole conversation. Receipts in any word list open the
//! same mailbox, a mistyped word is caught, and nothing readable reaches the data dir.

mod common;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Output;

use common::*;
use serde_json::Value;
use tempfile::TempDir;

/// `tipseal submit … --receipt-out FILE --json`; returns (tip id, receipt words).
fn submit_with_receipt(
    server: &str,
    tip: &Path,
    receipt_out: &Path,
    words: &str,
) -> (String, String) {
    let out = tipseal_ok([
        OsStr::new("submit"),
        OsStr::new("--server"),
        OsStr::new(server),
        OsStr::new("--tip"),
        tip.as_os_str(),
        OsStr::new("--receipt-out"),
        receipt_out.as_os_str(),
        OsStr::new("--receipt-words"),
        OsStr::new(words),
        OsStr::new("--json"),
    ]);
    let v = json_stdout(&out);
    let receipt = v["receipt"]
        .as_str()
        .expect("submit --json has the receipt")
        .to_owned();
    let saved = std::fs::read_to_string(receipt_out).unwrap();
    assert_eq!(saved.trim(), receipt);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(receipt_out).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the receipt file is private");
    }
    (v["id"].as_str().unwrap().to_owned(), receipt)
}

fn reply(server: &str, key: &Path, id: &str, message: &str, attach: &[PathBuf]) {
    let mut args: Vec<&OsStr> = vec![
        OsStr::new("review"),
        OsStr::new("reply"),
        OsStr::new(id),
        OsStr::new("--server"),
        OsStr::new(server),
        OsStr::new("--key"),
        key.as_os_str(),
        OsStr::new("--message"),
        OsStr::new(message),
    ];
    for a in attach {
        args.push(OsStr::new("--attach"));
        args.push(a.as_os_str());
    }
    tipseal_ok(args);
}

fn followup(server: &str, receipt_file: &Path, extra: &[&OsStr]) -> Output {
    let mut args: Vec<&OsStr> = vec![
        OsStr::new("followup"),
        OsStr::new("--server"),
        OsStr::new(server),
        OsStr::new("--receipt-file"),
        receipt_file.as_os_str(),
        OsStr::new("--json"),
    ];
    args.extend_from_slice(extra);
    tipseal(args)
}

fn followup_ok(server: &str, receipt_file: &Path, extra: &[&OsStr]) -> Value {
    let out = followup(server, receipt_file, extra);
    assert!(
        out.status.success(),
        "followup failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    json_stdout(&out)
}

fn english_words(receipt: &str) -> usize {
    receipt.split_whitespace().count()
}

#[test]
fn a_full_conversation_on_the_command_line() {
    let team = setup_team();
    let server = team.spawn_server(&[]);
    let dir = TempDir::new().unwrap();
    let receipt_file = dir.path().join("receipt.txt");
    let (id, receipt) = submit_with_receipt(&server.url, &a_sample(), &receipt_file, "english");
    assert_eq!(english_words(&receipt), 12);

    // Reviewer replies with a file.
    let reply_text = format!("Which gate of the site? ref-{}", random_hex(8));
    let reply_file = dir.path().join("questions.txt");
    let reply_file_bytes = random_bytes(20_000);
    std::fs::write(&reply_file, &reply_file_bytes).unwrap();
    reply(
        &server.url,
        &team.reviewer_key,
        &id,
        &reply_text,
        std::slice::from_ref(&reply_file),
    );

    // Witness reads it, saves the file, and adds a message and a file.
    let saved = dir.path().join("from-reviewers");
    let followup_text = format!("The north gate, after 22:00. ref-{}", random_hex(8));
    let followup_file = dir.path().join("photo.jpg");
    std::fs::write(&followup_file, random_bytes(30_000)).unwrap();
    let v = followup_ok(
        &server.url,
        &receipt_file,
        &[
            OsStr::new("--save-attachments"),
            saved.as_os_str(),
            OsStr::new("--message"),
            OsStr::new(&followup_text),
            OsStr::new("--attach"),
            followup_file.as_os_str(),
        ],
    );
    assert_eq!(v["retention"], "keep");
    let replies = v["replies"].as_array().unwrap();
    assert_eq!(replies.len(), 1, "{v}");
    assert_eq!(replies[0]["message"], reply_text.as_str());
    assert_eq!(replies[0]["reviewer"]["name"], "alice");
    assert_eq!(replies[0]["reviewer"]["status"], "current");
    let saved_to = replies[0]["attachments"][0]["saved_to"].as_str().unwrap();
    assert_eq!(std::fs::read(saved_to).unwrap(), reply_file_bytes);
    assert!(v["sent"].is_u64());

    // The reviewer sees both sides, in order.
    let shown = review_show(&server.url, &team.reviewer_key, &id, None);
    let conv = shown["conversation"]
        .as_array()
        .expect("conversation array");
    assert_eq!(conv.len(), 2, "{shown}");
    assert_eq!(conv[0]["kind"], "reply");
    assert_eq!(conv[0]["message"], reply_text.as_str());
    assert_eq!(conv[1]["kind"], "followup");
    assert_eq!(conv[1]["message"], followup_text.as_str());
    assert_eq!(conv[1]["attachments"][0]["name"], "photo.jpg");
    assert_eq!(conv[1]["attachments"][0]["size"], 30_000);
}

#[test]
fn the_data_dir_holds_no_receipt_reply_or_follow_up_text() {
    let team = setup_team();
    let server = team.spawn_server(&[]);
    let dir = TempDir::new().unwrap();
    let receipt_file = dir.path().join("receipt.txt");
    let (id, receipt) = submit_with_receipt(&server.url, &a_sample(), &receipt_file, "english");
    let reply_text = format!("reply-secret-{}", random_hex(16));
    reply(&server.url, &team.reviewer_key, &id, &reply_text, &[]);
    let followup_text = format!("followup-secret-{}", random_hex(16));
    followup_ok(
        &server.url,
        &receipt_file,
        &[OsStr::new("--message"), OsStr::new(&followup_text)],
    );
    let entropy_hex = receipt_entropy_hex(&receipt);
    let words: Vec<&str> = receipt.split_whitespace().collect();
    let mut needles: Vec<(String, Vec<u8>)> = vec![
        ("receipt".into(), receipt.as_bytes().to_vec()),
        ("reply text".into(), reply_text.as_bytes().to_vec()),
        ("follow-up text".into(), followup_text.as_bytes().to_vec()),
        (
            "receipt entropy hex".into(),
            entropy_hex.as_bytes().to_vec(),
        ),
        ("receipt entropy".into(), hex_decode(&entropy_hex)),
        (
            "first three words".into(),
            words[..3].join(" ").into_bytes(),
        ),
    ];
    needles.push(("reply prefix".into(), b"reply-secret-".to_vec()));
    needles.push(("follow-up prefix".into(), b"followup-secret-".to_vec()));
    let data_dir = server.data_dir.clone();
    let log = server.log();
    drop(server);
    for (what, needle) in &needles {
        assert!(
            grep_dir(&data_dir, needle).is_empty(),
            "the data dir contains the {what}"
        );
        assert!(
            !contains(&log, needle),
            "the server log contains the {what}"
        );
    }
}

#[test]
fn hangul_and_english_receipts_open_the_same_mailbox_and_one_wrong_word_is_caught() {
    let team = setup_team();
    let server = team.spawn_server(&[]);
    let dir = TempDir::new().unwrap();
    let korean_file = dir.path().join("receipt-ko.txt");
    let (id, korean) = submit_with_receipt(&server.url, &a_sample(), &korean_file, "korean");
    assert!(
        korean
            .chars()
            .any(|c| ('\u{AC00}'..='\u{D7A3}').contains(&c)),
        "Hangul words: {korean}"
    );
    reply(
        &server.url,
        &team.reviewer_key,
        &id,
        "답장: 감사합니다",
        &[],
    );

    let from_korean = followup_ok(&server.url, &korean_file, &[]);
    assert_eq!(from_korean["replies"][0]["message"], "답장: 감사합니다");

    // The same receipt in English words.
    let english_file = dir.path().join("receipt-en.txt");
    std::fs::write(&english_file, translate(&korean, "korean", "english")).unwrap();
    let from_english = followup_ok(&server.url, &english_file, &[]);
    assert_eq!(from_english["replies"], from_korean["replies"]);

    // One word replaced by another list word: the checksum catches it (or, 1 time in 16,
    // the receipt is valid but opens no mailbox). Try words until the checksum fires.
    let english = std::fs::read_to_string(&english_file).unwrap();
    let mut words: Vec<String> = english.split_whitespace().map(str::to_owned).collect();
    let original = words[4].clone();
    let mut caught = false;
    for candidate in ["abandon", "zoo", "ability", "about", "absent", "absorb"] {
        if candidate == original {
            continue;
        }
        words[4] = candidate.to_owned();
        let wrong = dir.path().join("receipt-wrong.txt");
        std::fs::write(&wrong, words.join(" ")).unwrap();
        let out = followup(&server.url, &wrong, &[]);
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        if err.contains("checksum") {
            assert_eq!(out.status.code(), Some(2), "a bad receipt is a usage error");
            assert!(
                !err.contains(candidate),
                "the error does not echo the words: {err}"
            );
            caught = true;
            break;
        }
        assert_eq!(
            out.status.code(),
            Some(3),
            "otherwise the server refuses: {err}"
        );
    }
    assert!(caught, "a mistyped word is caught by the checksum");

    // A word from no list is named by its position.
    words[4] = "qqqqq".into();
    let typo = dir.path().join("receipt-typo.txt");
    std::fs::write(&typo, words.join(" ")).unwrap();
    let out = followup(&server.url, &typo, &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("word 5"), "{err}");
    assert!(!err.contains("qqqqq"), "{err}");
}

#[test]
fn a_reply_cannot_be_opened_with_another_tips_receipt() {
    let team = setup_team();
    let server = team.spawn_server(&[]);
    let dir = TempDir::new().unwrap();
    let first = dir.path().join("first.txt");
    let second = dir.path().join("second.txt");
    let (id1, _) = submit_with_receipt(&server.url, &a_sample(), &first, "english");
    let (_id2, _) = submit_with_receipt(&server.url, &a_sample(), &second, "english");
    reply(
        &server.url,
        &team.reviewer_key,
        &id1,
        "for the first witness only",
        &[],
    );
    let v1 = followup_ok(&server.url, &first, &[]);
    assert_eq!(v1["replies"].as_array().unwrap().len(), 1);
    let v2 = followup_ok(&server.url, &second, &[]);
    assert_eq!(v2["replies"].as_array().unwrap().len(), 0, "{v2}");
    // The first tip's reply, fetched from its mailbox, opens with its receipt's reply
    // key and not with the second receipt's.
    let words1 = std::fs::read_to_string(&first).unwrap();
    let words2 = std::fs::read_to_string(&second).unwrap();
    let bundle = fetch_reply_bundle(&server, &words1);
    assert!(reply_bundle_opens_with(&bundle, &words1));
    assert!(!reply_bundle_opens_with(&bundle, &words2));
}

#[test]
fn a_mailbox_challenge_cannot_be_replayed_and_a_witness_token_is_no_reviewer_token() {
    let team = setup_team();
    let server = team.spawn_server(&[]);
    let dir = TempDir::new().unwrap();
    let file = dir.path().join("r.txt");
    let (id, words) = submit_with_receipt(&server.url, &a_sample(), &file, "english");
    let challenge = new_challenge(&server);
    let body = mailbox_login_body(&words, &challenge, false);
    let first = post_json(&server, "/api/v1/mailbox/session", &body);
    assert_eq!(first.status, 200);
    let token = first.json()["token"].as_str().unwrap().to_owned();
    let replay = post_json(&server, "/api/v1/mailbox/session", &body);
    assert_eq!(replay.status, 401, "a challenge is single use");
    // The witness token opens the mailbox, and nothing of the reviewers'.
    let auth = format!("Bearer {token}");
    let mailbox = raw_http(
        server.addr,
        None,
        &request("GET", "/api/v1/mailbox", &[("Authorization", &auth)], &[]),
    );
    assert_eq!(mailbox.status, 200);
    for path in [
        "/api/v1/tips".to_owned(),
        format!("/api/v1/tips/{id}"),
        format!("/api/v1/tips/{id}/thread"),
    ] {
        let r = raw_http(
            server.addr,
            None,
            &request("GET", &path, &[("Authorization", &auth)], &[]),
        );
        assert_eq!(r.status, 401, "{path} with a witness token");
    }
}

fn post_json(server: &ServerGuard, path: &str, body: &str) -> HttpResponse {
    raw_http(
        server.addr,
        None,
        &request(
            "POST",
            path,
            &[("Content-Type", "application/json")],
            body.as_bytes(),
        ),
    )
}

fn new_challenge(server: &ServerGuard) -> String {
    let r = post_json(server, "/api/v1/mailbox/challenge", "{}");
    assert_eq!(r.status, 200);
    r.json()["challenge"].as_str().unwrap().to_owned()
}

fn fetch_reply_bundle(server: &ServerGuard, words: &str) -> String {
    let challenge = new_challenge(server);
    let login = post_json(
        server,
        "/api/v1/mailbox/session",
        &mailbox_login_body(words, &challenge, false),
    );
    assert_eq!(login.status, 200);
    let auth = format!("Bearer {}", login.json()["token"].as_str().unwrap());
    let r = raw_http(
        server.addr,
        None,
        &request("GET", "/api/v1/mailbox", &[("Authorization", &auth)], &[]),
    );
    assert_eq!(r.status, 200);
    r.json()["replies"][0]["bundle"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn replies_are_deleted_after_reading_when_the_server_says_so() {
    let team = setup_team();
    let server = team.spawn_server(&["--reply-retention", "delete-after-read"]);
    let dir = TempDir::new().unwrap();
    let file = dir.path().join("r.txt");
    let (id, _) = submit_with_receipt(&server.url, &a_sample(), &file, "english");
    reply(&server.url, &team.reviewer_key, &id, "read me once", &[]);
    let first = followup_ok(&server.url, &file, &[]);
    assert_eq!(first["retention"], "delete_after_read");
    assert_eq!(first["replies"].as_array().unwrap().len(), 1);
    let second = followup_ok(&server.url, &file, &[]);
    assert_eq!(second["replies"].as_array().unwrap().len(), 0);
    // The team keeps its copy.
    let shown = review_show(&server.url, &team.reviewer_key, &id, None);
    assert_eq!(shown["conversation"][0]["message"], "read me once");
}

#[test]
fn a_witness_sees_their_own_follow_ups_and_the_reply_in_order_and_the_server_cannot_read_them() {
    let team = setup_team();
    let server = team.spawn_server(&[]);
    let dir = TempDir::new().unwrap();
    let receipt_file = dir.path().join("receipt.txt");
    let (id, _) = submit_with_receipt(&server.url, &a_sample(), &receipt_file, "english");

    // Two follow-ups (the second with a file), then a reviewer's reply.
    let first = format!("own-first-{}", random_hex(12));
    let v = followup_ok(
        &server.url,
        &receipt_file,
        &[OsStr::new("--message"), OsStr::new(&first)],
    );
    // The message just sent is already in the conversation shown.
    let conv = v["conversation"].as_array().expect("a conversation");
    assert_eq!(conv.len(), 1, "{v}");
    assert_eq!(conv[0]["kind"], "followup");
    assert_eq!(conv[0]["message"], first.as_str());
    assert_eq!(v["sent_copy_kept"], true);
    let second = format!("own-second-{}", random_hex(12));
    let file = dir.path().join("map.png");
    std::fs::write(&file, random_bytes(4_000)).unwrap();
    followup_ok(
        &server.url,
        &receipt_file,
        &[
            OsStr::new("--message"),
            OsStr::new(&second),
            OsStr::new("--attach"),
            file.as_os_str(),
        ],
    );
    let answer = format!("reply-after-two-{}", random_hex(12));
    reply(&server.url, &team.reviewer_key, &id, &answer, &[]);

    // Reading only: all three, in the order they were written.
    let v = followup_ok(&server.url, &receipt_file, &[]);
    let conv = v["conversation"].as_array().expect("a conversation");
    let seen: Vec<(&str, &str)> = conv
        .iter()
        .map(|e| (e["kind"].as_str().unwrap(), e["message"].as_str().unwrap()))
        .collect();
    assert_eq!(
        seen,
        [
            ("followup", first.as_str()),
            ("followup", second.as_str()),
            ("reply", answer.as_str())
        ],
        "{v}"
    );
    let ids: Vec<u64> = conv.iter().map(|e| e["id"].as_u64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "in order: {ids:?}");
    assert_eq!(conv[1]["attachments"][0]["name"], "map.png");
    assert_eq!(conv[1]["attachments"][0]["size"], 4_000);
    assert_eq!(v["unverified"], 0);
    // `replies` keeps its old meaning: the reviewers' replies only.
    assert_eq!(v["replies"].as_array().unwrap().len(), 1);

    // The human output shows the witness's messages too.
    let plain = tipseal_ok([
        OsStr::new("followup"),
        OsStr::new("--server"),
        OsStr::new(&server.url),
        OsStr::new("--receipt-file"),
        receipt_file.as_os_str(),
    ]);
    let plain = String::from_utf8_lossy(&plain.stdout).into_owned();
    let (a, b, c) = (
        plain.find(&first).expect("first shown"),
        plain.find(&second).expect("second shown"),
        plain.find(&answer).expect("reply shown"),
    );
    assert!(a < b && b < c, "in order:\n{plain}");

    // Reviewers still see their own copies of all three.
    let shown = review_show(&server.url, &team.reviewer_key, &id, None);
    let kinds: Vec<&str> = shown["conversation"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["followup", "followup", "reply"], "{shown}");

    // The witness's copies are sealed: no text of theirs is in the data dir or the log.
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
    for prefix in ["own-first-", "own-second-"] {
        assert!(grep_dir(&data_dir, prefix.as_bytes()).is_empty());
    }
}

#[test]
fn the_mailbox_api_lists_the_witnesss_own_copies_and_still_takes_uploads_without_one() {
    let team = setup_team();
    let server = team.spawn_server(&[]);
    let dir = TempDir::new().unwrap();
    let file = dir.path().join("receipt.txt");
    let (id, words) = submit_with_receipt(&server.url, &a_sample(), &file, "english");

    let challenge = new_challenge(&server);
    let login = post_json(
        &server,
        "/api/v1/mailbox/session",
        &mailbox_login_body(&words, &challenge, false),
    );
    assert_eq!(login.status, 200);
    let auth = format!("Bearer {}", login.json()["token"].as_str().unwrap());
    let post = |body: &[u8]| {
        raw_http(
            server.addr,
            None,
            &request(
                "POST",
                "/api/v1/mailbox/messages",
                &[
                    ("Authorization", &auth),
                    ("Content-Type", "application/octet-stream"),
                ],
                body,
            ),
        )
    };
    // An older client's upload (no copy), then one with the witness's own copy.
    let old = format!("old-client-{}", random_hex(8));
    let r = post(&seal_followup_upload(&server.url, &old, None));
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let new = format!("with-copy-{}", random_hex(8));
    let r = post(&seal_followup_upload(&server.url, &new, Some(&words)));
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let new_id = r.json()["id"].as_u64().unwrap();

    let r = raw_http(
        server.addr,
        None,
        &request("GET", "/api/v1/mailbox", &[("Authorization", &auth)], &[]),
    );
    assert_eq!(r.status, 200);
    let v = r.json();
    assert_eq!(v["replies"].as_array().unwrap().len(), 0, "{v}");
    let own = v["followups"].as_array().expect("a followups list");
    assert_eq!(own.len(), 1, "only the upload with a copy is listed: {v}");
    assert_eq!(own[0]["id"].as_u64(), Some(new_id));
    let bundle = own[0]["bundle"].as_str().unwrap();
    assert_eq!(
        own_followup_message(bundle, &words).as_deref(),
        Some(new.as_str())
    );
    assert_eq!(own_followup_message(bundle, &a_wrong_receipt(&words)), None);

    // The reviewers get both, as before; their copy of the second holds no extra part.
    let shown = review_show(&server.url, &team.reviewer_key, &id, None);
    let conv = shown["conversation"].as_array().unwrap();
    let said: Vec<&str> = conv
        .iter()
        .map(|e| e["message"].as_str().unwrap())
        .collect();
    assert_eq!(said, [old.as_str(), new.as_str()], "{shown}");
}

#[test]
fn with_the_most_files_a_follow_up_goes_without_the_witnesss_copy_and_says_so() {
    let team = setup_team();
    let server = team.spawn_server(&[]);
    let dir = TempDir::new().unwrap();
    let receipt = dir.path().join("receipt.txt");
    submit_with_receipt(&server.url, &a_sample(), &receipt, "english");
    let files: Vec<PathBuf> = (0..32)
        .map(|i| {
            let p = dir.path().join(format!("page-{i}.txt"));
            std::fs::write(&p, random_bytes(100)).unwrap();
            p
        })
        .collect();
    let text = format!("thirty-two pages {}", random_hex(6));
    let mut extra: Vec<&OsStr> = vec![OsStr::new("--message"), OsStr::new(&text)];
    for f in &files {
        extra.extend([OsStr::new("--attach"), f.as_os_str()]);
    }
    let v = followup_ok(&server.url, &receipt, &extra);
    assert!(v["sent"].is_u64(), "{v}");
    assert_eq!(v["sent_copy_kept"], false, "{v}");
    assert!(v["conversation"].as_array().unwrap().is_empty(), "{v}");
    // The human output says why the message will not show.
    let mut args: Vec<&OsStr> = vec![
        OsStr::new("followup"),
        OsStr::new("--server"),
        OsStr::new(&server.url),
        OsStr::new("--receipt-file"),
        receipt.as_os_str(),
    ];
    args.extend_from_slice(&extra);
    let plain = tipseal_ok(args);
    let said = String::from_utf8_lossy(&plain.stdout);
    assert!(said.contains("no room for your own copy"), "{said}");
}
