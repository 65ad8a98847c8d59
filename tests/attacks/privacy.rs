//! Attacks on witness privacy and on a witness's tip after it was sent: replayed
//! submissions carrying another mailbox, images whose metadata cannot be parsed, and
//! what the log keeps of witness requests. See `main.rs`.

use std::ffi::OsStr;
use std::time::{Duration, Instant};

use super::common::*;

// ---------------------------------------------------------------------------------------
// Finding 9: a replayed submission must not attach another mailbox.

/// Logs in to the mailbox of `words`; the session token, or the status of the refusal.
fn mailbox_login(server: &ServerGuard, words: &str) -> Result<String, u16> {
    let c = server.post_json("/api/v1/mailbox/challenge", "{}");
    assert_eq!(c.status, 200, "a mailbox challenge");
    let challenge = c.json()["challenge"].as_str().unwrap().to_owned();
    let login = server.post_json(
        "/api/v1/mailbox/session",
        &mailbox_login_body(words, &challenge, false),
    );
    match login.status {
        200 => Ok(login.json()["token"].as_str().unwrap().to_owned()),
        s => Err(s),
    }
}

/// The witness's mailbox as `GET /api/v1/mailbox` answers it.
fn read_mailbox(server: &ServerGuard, token: &str) -> serde_json::Value {
    let auth = format!("Bearer {token}");
    let r = raw_http(
        server.addr,
        None,
        &request("GET", "/api/v1/mailbox", &[("Authorization", &auth)], &[]),
    );
    assert_eq!(r.status, 200, "GET /api/v1/mailbox");
    r.json()
}

/// `POST /api/v1/tips` with an idempotency key and a mailbox header.
fn post_tip_with_mailbox(server: &ServerGuard, body: &[u8], key: &str, mailbox: &str) -> u16 {
    let headers = [
        ("Content-Type", "application/octet-stream"),
        ("Idempotency-Key", key),
        ("Tipseal-Mailbox", mailbox),
    ];
    raw_http(
        server.addr,
        None,
        &request("POST", "/api/v1/tips", &headers, body),
    )
    .status
}

/// The witness submits with a receipt; an attacker who captured the request replays the
/// body and key with their own mailbox. On `retention` (`keep` or `delete-after-read`).
fn replay_against(retention: &str) {
    let team = setup_team();
    let server = team.spawn_server(&["--reply-retention", retention]);
    let witness = fresh_receipt_words();
    let (witness_mailbox, witness_reply) = receipt_public_keys(&witness);
    let body = seal_bundle_replying_to(&server.url, &read_json(&a_sample()), &witness_reply);
    let key = random_hex(16);
    assert_eq!(
        post_tip_with_mailbox(&server, &body, &key, &witness_mailbox),
        201,
        "the witness's submission"
    );
    // The witness's own retry (a lost answer) is still answered, with the same tip.
    assert_eq!(
        post_tip_with_mailbox(&server, &body, &key, &witness_mailbox),
        200,
        "the witness's retry"
    );

    let attacker = fresh_receipt_words();
    let (attacker_mailbox, _) = receipt_public_keys(&attacker);
    assert_eq!(
        post_tip_with_mailbox(&server, &body, &key, &attacker_mailbox),
        409,
        "a replay with another mailbox is a conflict"
    );
    // Without a mailbox too: a retry must match the first try exactly.
    let no_mailbox = raw_http(server.addr, None, &post_tip_request(&body, Some(&key)));
    assert_eq!(no_mailbox.status, 409, "a replay that drops the mailbox");
    assert_eq!(
        mailbox_login(&server, &attacker),
        Err(401),
        "the attacker has no mailbox"
    );

    let ids = review_ids(&server.url, &team.reviewer_key);
    assert_eq!(ids.len(), 1, "one tip, stored once");
    tipseal_ok([
        OsStr::new("review"),
        OsStr::new("reply"),
        OsStr::new(&ids[0]),
        OsStr::new("--server"),
        OsStr::new(&server.url),
        OsStr::new("--key"),
        team.reviewer_key.as_os_str(),
        OsStr::new("--message"),
        OsStr::new("we read your report"),
    ]);
    // The attacker still cannot log in after the reply exists (nothing to read first).
    assert_eq!(mailbox_login(&server, &attacker), Err(401));
    let token = mailbox_login(&server, &witness).expect("the witness logs in");
    let mailbox = read_mailbox(&server, &token);
    let replies = mailbox["replies"].as_array().expect("replies");
    assert_eq!(replies.len(), 1, "the witness gets the reply ({retention})");
    let bundle = replies[0]["bundle"].as_str().unwrap();
    assert!(
        reply_bundle_opens_with(bundle, &witness),
        "the reply opens with the witness's receipt"
    );
}

#[test]
fn a_replayed_submission_cannot_attach_another_mailbox() {
    let started = Instant::now();
    replay_against("keep");
    replay_against("delete-after-read");
    assert!(started.elapsed() < Duration::from_secs(60));
}
