//! Attacks through a tip's conversation (the second round on issue 7): a witness who
//! grows one conversation until nobody can read it or rotate keys past it (the thread
//! bomb), one who grows it an entry at a time so that every reviewer's sync would read
//! all of it again, and a reply sealed to a keyring that has expired. Each runs against
//! the real server and asserts that the attack is refused with a clear error while
//! witnesses and reviewers keep succeeding.

use std::path::PathBuf;
use std::time::Instant;

use tempfile::TempDir;

use super::common::*;

const MIB: usize = 1024 * 1024;

/// Most the server's resident memory may grow while a reviewer reads a full
/// conversation (96 MiB stored): the entries are streamed chunk by chunk, so the growth
/// is a few chunks and sled's cache, not the conversation.
const THREAD_READ_RSS_BOUND_MIB: u64 = 64;

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_thread_bomb_is_refused_and_reviewers_keep_reading() {
    let started = Instant::now();
    let team = setup_team();
    let server = team.spawn_server(&[]);
    let dir = TempDir::new().unwrap();

    // A legitimate witness with a short conversation on another tip.
    let other_receipt = dir.path().join("other-receipt.txt");
    let other = submit_keeping_receipt(&server.url, &a_sample(), &other_receipt);
    let small = dir.path().join("note.txt");
    std::fs::write(&small, random_bytes(2_000)).unwrap();
    let out = try_add_followup(
        &server.url,
        &other_receipt,
        "one more detail",
        std::slice::from_ref(&small),
    );
    assert!(out.status.success(), "{}", stderr(&out));

    // The attacker: one tip with a mailbox, then follow-ups as large as one request
    // carries (files of 16, 8, 4 and 2 MiB under their padding buckets: ~31.5 MB).
    let receipt = dir.path().join("receipt.txt");
    let bomb = submit_keeping_receipt(&server.url, &a_sample(), &receipt);
    let files: Vec<PathBuf> = [16, 8, 4, 2]
        .iter()
        .map(|m| {
            let p = dir.path().join(format!("{m}.bin"));
            std::fs::write(&p, random_bytes(m * MIB - 1)).unwrap();
            p
        })
        .collect();
    // Three at once (they fit: the reservations race, none may be lost), then a fourth.
    let outs: Vec<std::process::Output> = std::thread::scope(|scope| {
        let posts: Vec<_> = (0..3)
            .map(|i| {
                let (url, receipt, files) = (&server.url, &receipt, &files);
                scope.spawn(move || try_add_followup(url, receipt, &format!("bomb {i}"), files))
            })
            .collect();
        posts.into_iter().map(|p| p.join().unwrap()).collect()
    });
    let mut accepted = outs.iter().filter(|o| o.status.success()).count();
    let mut refusal = outs.iter().find(|o| !o.status.success()).map(stderr);
    if refusal.is_none() {
        let out = try_add_followup(&server.url, &receipt, "bomb 3", &files);
        if out.status.success() {
            accepted += 1;
        } else {
            refusal = Some(stderr(&out));
        }
    }
    let posted = started.elapsed();
    // The no-JavaScript page says so too, in the witness's language (English here),
    // for a file that would take the conversation past its cap.
    let words = std::fs::read_to_string(&receipt).unwrap();
    let file = random_bytes(8 * MIB - 1);
    let form = multipart_body(
        &[
            ("action", "add"),
            ("session", &mailbox_session(&server, "en", words.trim())),
            ("message", "and one more"),
        ],
        &[("attachments", "more.bin", "application/octet-stream", &file)],
    );
    let page = post_form(&server, "/en/followup", &form);

    // A reviewer reads the bombed conversation: measure the server's peak growth.
    let peak_so_far = server.peak_rss_kib();
    server.reset_peak_rss();
    // After the reset the peak is the resident size now: growth is measured from it.
    let rss_before = server.peak_rss_kib();
    let shown = try_review_show(&server.url, &team.reviewer_key, &bomb, None);
    let growth_mib = server.peak_rss_kib().saturating_sub(rss_before) / 1024;
    let bomb_shown = shown.status.success();
    let bomb_entries = if bomb_shown {
        json_stdout(&shown)["conversation"]
            .as_array()
            .map_or(0, Vec::len)
    } else {
        0
    };

    // The other witness and the reviewers are unaffected.
    let out = try_add_followup(&server.url, &other_receipt, "still here", &[]);
    let other_added = out.status.success();
    let other_shown = try_review_show(&server.url, &team.reviewer_key, &other, None);
    let other_conversation = if other_shown.status.success() {
        json_stdout(&other_shown)["conversation"]
            .as_array()
            .map_or(0, Vec::len)
    } else {
        0
    };

    // Key rotation still completes past the bombed tip.
    team.rotate();
    team.publish(&server.url);
    let rewrap = try_review_rewrap(&server.url, &team.reviewer_key);
    let after_rewrap = try_review_show(&server.url, &team.reviewer_key, &other, None);

    eprintln!(
        "thread bomb: {accepted} big follow-ups taken in {posted:?}, then {:?}; reviewer read \
         of the bomb: ok={bomb_shown} ({bomb_entries} entries), server RSS +{growth_mib} MiB \
         over {} MiB (peak {} MiB while posting); other tip: follow-up ok={other_added}, {other_conversation} entries \
         shown; rewrap ok={} ({}); total {:?}",
        refusal.as_deref().map(str::trim),
        rss_before / 1024,
        peak_so_far / 1024,
        rewrap.status.success(),
        String::from_utf8_lossy(&rewrap.stdout).trim(),
        started.elapsed()
    );

    // Three fit under MAX_THREAD_BYTES (96 MiB); the fourth is refused, clearly.
    assert_eq!(accepted, 3, "follow-ups taken before the cap");
    let refusal = refusal.expect("the conversation is refused at its cap");
    assert!(
        refusal.contains("409") && refusal.contains("conversation_full"),
        "{refusal}"
    );
    assert_eq!(page.status, 409, "the page's add past the cap");
    assert!(
        String::from_utf8_lossy(&page.body).contains("This conversation is full"),
        "the page names the reason"
    );
    assert!(
        bomb_shown,
        "review show of the bombed tip: {}",
        stderr(&shown)
    );
    assert_eq!(bomb_entries, 3);
    assert!(
        growth_mib < THREAD_READ_RSS_BOUND_MIB,
        "reading a full conversation grew the server by {growth_mib} MiB"
    );
    assert!(other_added, "the other witness was refused");
    assert_eq!(other_conversation, 2, "{}", stderr(&other_shown));
    assert!(rewrap.status.success(), "rewrap: {}", stderr(&rewrap));
    assert!(
        String::from_utf8_lossy(&rewrap.stdout).contains("Re-wrapped 2 tip(s) and 5"),
        "{}",
        String::from_utf8_lossy(&rewrap.stdout)
    );
    assert!(after_rewrap.status.success(), "{}", stderr(&after_rewrap));
}

#[test]
fn a_reply_sealed_to_an_expired_keyring_is_refused() {
    let team = setup_team();
    let data = TempDir::new().unwrap();
    let keyring_arg = [std::ffi::OsStr::new("--keyring"), team.keyring.as_os_str()];
    let mut server = spawn_server_in(&data.path().join("data"), &keyring_arg);
    let dir = TempDir::new().unwrap();
    let receipt = dir.path().join("receipt.txt");
    let id = submit_keeping_receipt(&server.url, &a_sample(), &receipt);
    let words = std::fs::read_to_string(&receipt).unwrap();
    let (_, reply_pk) = receipt_public_keys(words.trim());
    server.stop();

    // The admin forgot to renew: the epoch in force expired ten days ago.
    let expired = extend_keyring(
        &std::fs::read(&team.keyring).unwrap(),
        &team.admin_key,
        None,
        100,
        -10,
    );
    std::fs::write(&team.keyring, &expired).unwrap();
    let server = spawn_server_in(&data.path().join("data"), &keyring_arg);
    let token = staff_token(&server.url, &team.reviewer_key);
    let auth = format!("Bearer {token}");
    let bundle = seal_reply_with_keyring(&expired, &team.reviewer_key, &reply_pk);
    let headers = [
        ("Authorization", auth.as_str()),
        ("Content-Type", "application/octet-stream"),
    ];
    let path = format!("/api/v1/tips/{id}/replies");
    let r = raw_http(
        server.addr,
        None,
        &request("POST", &path, &headers, &bundle),
    );
    eprintln!("reply under an expired keyring: {}", r.status);
    assert_eq!(r.status, 503, "a reply sealed to an expired keyring");
    assert_eq!(r.json()["code"], "keyring_expired");
    let code = r.assert_json_error();
    assert!(!code.is_empty());

    // Once renewed, the same reviewer's reply goes through.
    team.renew();
    team.publish(&server.url);
    let renewed = std::fs::read(&team.keyring).unwrap();
    let bundle = seal_reply_with_keyring(&renewed, &team.reviewer_key, &reply_pk);
    let r = raw_http(
        server.addr,
        None,
        &request("POST", &path, &headers, &bundle),
    );
    assert_eq!(r.status, 201, "a reply after the renewal");
}

/// How many `GET /api/v1/tips/{id}/thread/{seq}` (one conversation entry) the server's
/// access log records.
/// Requests for conversation entries in the server's access log: one entry each, or a
/// batch of them.
fn entry_requests(server: &ServerGuard) -> usize {
    server
        .log_text()
        .lines()
        .filter(|l| {
            l.contains("route=/api/v1/tips/{id}/thread/{seq} ")
                || l.contains("route=/api/v1/tips/{id}/thread/entries ")
        })
        .count()
}

fn review_sync(server: &ServerGuard, key: &std::path::Path) -> serde_json::Value {
    json_stdout(&tipseal_ok([
        std::ffi::OsStr::new("review"),
        std::ffi::OsStr::new("sync"),
        std::ffi::OsStr::new("--server"),
        std::ffi::OsStr::new(&server.url),
        std::ffi::OsStr::new("--key"),
        key.as_os_str(),
        std::ffi::OsStr::new("--json"),
    ]))
}

/// Anyone with a receipt can grow a conversation towards its cap one follow-up at a
/// time. If a reviewer's sync read a grown conversation whole, each follow-up (one
/// request of the attacker's) would cost every reviewer the whole conversation again:
/// here 300 requests for one new entry. The sync must fetch the new entry only, and the
/// first sync must read the 300 in one batch, not one request each (each request spends
/// the reviewer's staff budget, 100 a second: 10,000 entries took ~90 s).
#[test]
fn a_conversation_grown_one_entry_at_a_time_costs_each_sync_one_request() {
    const STORED: usize = 300;
    let team = setup_team();
    let data = TempDir::new().unwrap();
    let dir = data.path().join("data");
    let args = [std::ffi::OsStr::new("--keyring"), team.keyring.as_os_str()];
    let mut server = spawn_server_in(&dir, &args);
    let receipt = data.path().join("receipt.txt");
    let id = submit_keeping_receipt(&server.url, &a_sample(), &receipt);
    // The conversation as a witness would have grown it, written while stopped.
    server.stop();
    assert_eq!(append_placeholders(&dir, &id, STORED), STORED);
    let server = spawn_server_in(&dir, &args);

    let first = review_sync(&server, &team.reviewer_key);
    assert_eq!(
        first["entries_new"], STORED,
        "the first sync stores every entry"
    );
    let fetched_first = entry_requests(&server);
    assert_eq!(
        fetched_first, 1,
        "the first sync reads the {STORED} entries in one batch"
    );

    // The attacker's next follow-up: one request.
    let out = try_add_followup(&server.url, &receipt, "one more line", &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let second = review_sync(&server, &team.reviewer_key);
    let fetched_second = entry_requests(&server) - fetched_first;
    eprintln!(
        "a conversation of {STORED} grown by one: the next sync made {fetched_second} entry requests"
    );
    assert_eq!(second["entries_new"], 1, "the new follow-up is stored");
    assert_eq!(
        fetched_second, 1,
        "the sync read the conversation again instead of the new entry"
    );

    // Nothing new: nothing fetched, and the reviewer still reads the follow-up.
    review_sync(&server, &team.reviewer_key);
    assert_eq!(entry_requests(&server) - fetched_first, 1);
    let shown = try_review_show(&server.url, &team.reviewer_key, &id, None);
    assert!(String::from_utf8_lossy(&shown.stdout).contains("one more line"));
}
