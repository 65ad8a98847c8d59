//! What the server cannot check because it cannot read it: the content of sealed tips.
//! Whatever an independent client seals, a reviewer opens it (`review show`, text and
//! JSON) with warnings instead of a refusal; and a reply to a tip whose witness
//! registered no mailbox is refused instead of acknowledged and lost.

mod common;

use std::ffi::OsStr;
use std::net::SocketAddr;

use common::*;
use serde_json::{json, Value};

/// Seals `plaintext` as a one-part tip bundle to the server's current epoch.
fn seal_plaintext(server: &ServerGuard, plaintext: &[u8]) -> Vec<u8> {
    seal_as(server, plaintext, tipseal::domain::envelope::Kind::Tip)
}

/// Seals `plaintext` as a one-part bundle of `kind` to the server's current epoch.
fn seal_as(
    server: &ServerGuard,
    plaintext: &[u8],
    kind: tipseal::domain::envelope::Kind,
) -> Vec<u8> {
    use tipseal::crypto::envelope::seal;
    use tipseal::domain::envelope::Flags;
    tipseal::crypto::init().unwrap();
    let keyring = server.get("/api/v1/keyring");
    assert_eq!(keyring.status, 200);
    let file = tipseal::domain::keyring::KeyringFile::from_json(&keyring.body).unwrap();
    let verified = tipseal::crypto::keyring::verify_chain(&file, None).unwrap();
    let env = seal(
        plaintext,
        kind,
        Flags::NONE,
        verified.epoch(),
        &verified.intake_public_key(),
    )
    .unwrap();
    tipseal::domain::bundle::encode(&[&env[..]])
}

fn post(addr: SocketAddr, body: &[u8]) -> String {
    let res = raw_http(addr, None, &post_tip_request(body, Some(&random_hex(16))));
    assert_eq!(res.status, 201, "the server stores what it cannot read");
    res.json()["id"].as_str().unwrap().to_owned()
}

fn show_text(server: &ServerGuard, key: &std::path::Path, id: &str) -> std::process::Output {
    tipseal([
        OsStr::new("review"),
        OsStr::new("show"),
        OsStr::new(id),
        OsStr::new("--server"),
        OsStr::new(&server.url),
        OsStr::new("--key"),
        key.as_os_str(),
    ])
}

#[test]
fn tips_that_do_not_follow_the_schema_open_for_the_reviewer_with_warnings() {
    let team = setup_team();
    let server = team.spawn_server(&[]);
    let narrative =
        json!({"schema": "tipseal/tip/v1", "narrative": "The minder took our passports."});
    let wrap = |tip: Value, more: Value| {
        let mut w = json!({"format": "tipseal/sealed-tip/v1", "tip": tip});
        for (k, v) in more.as_object().unwrap() {
            w[k] = v.clone();
        }
        serde_json::to_vec(&w).unwrap()
    };
    let mut with_bom = b"\xEF\xBB\xBF".to_vec();
    with_bom.extend(wrap(narrative.clone(), json!({})));
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "an unknown field",
            wrap(
                json!({"schema": "tipseal/tip/v1", "narrative": "x", "mood": "afraid"}),
                json!({}),
            ),
            "tip.mood",
        ),
        (
            "a value outside a closed list",
            wrap(
                json!({"schema": "tipseal/tip/v1", "worksite": {"sector": "spaceflight"}}),
                json!({}),
            ),
            "tip.worksite.sector",
        ),
        (
            "\"yes\" for a boolean",
            wrap(
                json!({"schema": "tipseal/tip/v1", "workers": {"movement_restricted": "yes"}}),
                json!({}),
            ),
            "tip.workers.movement_restricted",
        ),
        ("a byte-order mark", with_bom, ""),
        (
            "\"attachments\": null",
            wrap(narrative.clone(), json!({"attachments": null})),
            "attachments",
        ),
        (
            "not JSON at all",
            b"Site 7, north gate. Minder: Kim.".to_vec(),
            "",
        ),
    ];
    for (what, plaintext, field) in cases {
        let id = post(server.addr, &seal_plaintext(&server, &plaintext));
        let shown = review_show(&server.url, &team.reviewer_key, &id, None);
        assert_eq!(shown["follows_schema"], json!(false), "{what}");
        let warnings = shown["warnings"].as_array().unwrap();
        assert!(
            warnings.iter().any(|w| w["field"] == json!(field)),
            "{what}: {warnings:?}"
        );
        let text = show_text(&server, &team.reviewer_key, &id);
        assert!(
            text.status.success(),
            "{what}: {}",
            String::from_utf8_lossy(&text.stderr)
        );
        let text = String::from_utf8_lossy(&text.stdout);
        assert!(
            text.contains("does not follow the tip schema"),
            "{what}: {text}"
        );
        if !field.is_empty() {
            assert!(text.contains(field), "{what}: {text}");
        }
    }
    // The values are shown as received.
    let id = post(
        server.addr,
        &seal_plaintext(
            &server,
            &wrap(
                json!({"schema": "tipseal/tip/v1", "workers": {"movement_restricted": "yes", "count": 12}}),
                json!({}),
            ),
        ),
    );
    let shown = review_show(&server.url, &team.reviewer_key, &id, None);
    assert_eq!(
        shown["tip"]["workers"],
        json!({"movement_restricted": "yes", "count": 12})
    );
    let text =
        String::from_utf8_lossy(&show_text(&server, &team.reviewer_key, &id).stdout).into_owned();
    assert!(text.contains("movement restricted: yes"), "{text}");
    // A tip that follows the schema has no warning.
    let id = post(
        server.addr,
        &seal_plaintext(&server, &wrap(narrative, json!({}))),
    );
    let shown = review_show(&server.url, &team.reviewer_key, &id, None);
    assert_eq!(shown["follows_schema"], json!(true));
    assert_eq!(shown["warnings"], json!([]));
}

#[test]
fn a_reply_to_a_tip_whose_witness_registered_no_mailbox_is_refused() {
    let team = setup_team();
    let server = team.spawn_server(&[]);
    // A client sealed a reply address but sent no Tipseal-Mailbox: nobody could ever
    // fetch a reply, so the server must not acknowledge one.
    let (_, reply_pk) = receipt_public_keys(&fresh_receipt_words());
    let body = seal_bundle_replying_to(&server.url, &read_json(&a_sample()), &reply_pk);
    let id = post(server.addr, &body);
    let out = tipseal([
        OsStr::new("review"),
        OsStr::new("reply"),
        OsStr::new(&id),
        OsStr::new("--server"),
        OsStr::new(&server.url),
        OsStr::new("--key"),
        team.reviewer_key.as_os_str(),
        OsStr::new("--message"),
        OsStr::new("Which gate?"),
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("registered no mailbox"), "{err}");
    let thread = review_show(&server.url, &team.reviewer_key, &id, None);
    assert_eq!(thread["conversation"], json!([]), "nothing was stored");
}

#[test]
fn tipseal_submit_carries_a_tip_of_two_largest_files_through_uploads_and_it_opens() {
    use tipseal::domain::limits::{MAX_FILE_BYTES, MAX_TIP_BYTES};
    let team = setup_team();
    let server = team.spawn_server(&[]);
    let dir = tempfile::tempdir().unwrap();
    // Two files of the largest size: 64 MiB of attachments, twice the default body cap.
    let files: Vec<std::path::PathBuf> = (0..2u8)
        .map(|n| {
            let path = dir.path().join(format!("video-{n}.mp4"));
            let bytes: Vec<u8> = (0..MAX_FILE_BYTES).map(|i| (i % 251) as u8 ^ n).collect();
            std::fs::write(&path, bytes).unwrap();
            path
        })
        .collect();
    let id = submit(&server.url, &a_sample(), &files);
    let listed = review_list(&server.url, &team.reviewer_key);
    let size = listed[0]["size"].as_u64().unwrap();
    assert!(
        size > 2 * MAX_FILE_BYTES as u64 && size <= MAX_TIP_BYTES as u64,
        "{size}"
    );
    let save = dir.path().join("saved");
    let shown = review_show(&server.url, &team.reviewer_key, &id, Some(&save));
    assert_eq!(shown["follows_schema"], json!(true));
    for (n, f) in files.iter().enumerate() {
        let saved = std::fs::read(save.join(f.file_name().unwrap())).unwrap();
        assert!(saved == std::fs::read(f).unwrap(), "file {n} is identical");
    }
}

#[test]
fn a_follow_up_that_does_not_follow_its_format_is_shown_not_refused() {
    let team = setup_team();
    let server = team.spawn_server(&[]);
    let words = fresh_receipt_words();
    let (mailbox_pk, reply_pk) = receipt_public_keys(&words);
    let body = seal_bundle_replying_to(&server.url, &read_json(&a_sample()), &reply_pk);
    let stored = raw_http(
        server.addr,
        None,
        &request(
            "POST",
            "/api/v1/tips",
            &[
                ("Content-Type", "application/octet-stream"),
                ("Tipseal-Mailbox", &mailbox_pk),
            ],
            &body,
        ),
    );
    assert_eq!(stored.status, 201);
    let id = stored.json()["id"].as_str().unwrap().to_owned();
    let challenge = server.post_json("/api/v1/mailbox/challenge", "{}").json()["challenge"]
        .as_str()
        .unwrap()
        .to_owned();
    let login = server.post_json(
        "/api/v1/mailbox/session",
        &mailbox_login_body(&words, &challenge, false),
    );
    assert_eq!(login.status, 200);
    let auth = format!("Bearer {}", login.json()["token"].as_str().unwrap());
    // A newer client's follow-up: another format tag and a field this version lacks.
    let plaintext =
        br#"{"format":"tipseal/followup/v2","message":"The north gate.","mood":"afraid"}"#;
    let bundle = seal_as(
        &server,
        plaintext,
        tipseal::domain::envelope::Kind::Followup,
    );
    let added = raw_http(
        server.addr,
        None,
        &request(
            "POST",
            "/api/v1/mailbox/messages",
            &[
                ("Content-Type", "application/octet-stream"),
                ("Authorization", &auth),
            ],
            &bundle,
        ),
    );
    assert_eq!(
        added.status,
        201,
        "{}",
        String::from_utf8_lossy(&added.body)
    );
    let shown = review_show(&server.url, &team.reviewer_key, &id, None);
    let message = shown["conversation"][0]["message"].as_str().unwrap();
    assert!(message.starts_with("[Warning:"), "{message}");
    assert!(message.contains("The north gate."), "{message}");
}
