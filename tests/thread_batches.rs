//! `GET /api/v1/tips/{id}/thread/entries` against the real server: a batch carries the
//! same bytes as the one-entry route, from the asked seq on, within its entry and byte
//! caps (always at least one entry), empty past the end; bad queries are a 400 naming
//! the bound, no session a 401, an unknown tip a 404. And a reviewer's `review show`
//! reads a long conversation of large entries whole through it.

mod common;

use common::*;
use tipseal::domain::thread_batch;

const MIB: usize = 1024 * 1024;

/// (seq, bytes) of each frame of a batch answer.
fn frames(r: &HttpResponse) -> Vec<(u32, Vec<u8>)> {
    assert_eq!(r.status, 200);
    thread_batch::parse(&r.body)
        .expect("a well-framed batch")
        .iter()
        .map(|f| (f.seq, f.bytes.to_vec()))
        .collect()
}

fn seqs(batch: &[(u32, Vec<u8>)]) -> Vec<u32> {
    batch.iter().map(|(seq, _)| *seq).collect()
}

#[test]
fn batches_carry_the_stored_entries_within_their_caps_and_refuse_bad_queries() {
    let team = setup_team();
    let data = tempfile::TempDir::new().unwrap();
    let dir = data.path().join("data");
    let args = [std::ffi::OsStr::new("--keyring"), team.keyring.as_os_str()];
    let mut server = spawn_server_in(&dir, &args);
    let receipt = data.path().join("receipt.txt");
    let id = submit_keeping_receipt(&server.url, &a_sample(), &receipt);
    // Entries 0–2 small, 3–6 of 3 MiB (two fit under the 8 MiB cap, not three), 7 of
    // 9 MiB (alone over the cap), 8 small. Written while stopped; not real bundles.
    server.stop();
    let bodies: Vec<Vec<u8>> = (0..9u8)
        .map(|n| match n {
            3..=6 => vec![n; 3 * MIB],
            7 => vec![n; 9 * MIB],
            _ => vec![n; 100],
        })
        .collect();
    assert_eq!(append_entries(&dir, &id, &bodies), bodies.len());
    let server = spawn_server_in(&dir, &args);
    let token = staff_token(&server.url, &team.reviewer_key);
    let path = |q: &str| format!("/api/v1/tips/{id}/thread/entries{q}");

    // From the start: the small ones and two of 3 MiB, then the cap.
    let first = frames(&server.get_as(&path(""), &token));
    assert_eq!(seqs(&first), [0, 1, 2, 3, 4]);
    for (seq, bytes) in &first {
        assert_eq!(bytes, &bodies[*seq as usize], "entry {seq} as stored");
        let one = server.get_as(&format!("/api/v1/tips/{id}/thread/{seq}"), &token);
        assert_eq!(&one.body, bytes, "the same bytes as the one-entry route");
    }
    // Following on from the last seq received walks the rest, 9 MiB alone.
    assert_eq!(
        seqs(&frames(&server.get_as(&path("?from=5"), &token))),
        [5, 6]
    );
    let big = frames(&server.get_as(&path("?from=7"), &token));
    assert_eq!(seqs(&big), [7]);
    assert_eq!(big[0].1, bodies[7]);
    assert_eq!(seqs(&frames(&server.get_as(&path("?from=8"), &token))), [8]);
    // At most `limit` entries; nothing past the end.
    assert_eq!(
        seqs(&frames(&server.get_as(&path("?from=1&limit=2"), &token))),
        [1, 2]
    );
    let past = server.get_as(&path("?from=9"), &token);
    assert_eq!((past.status, past.body.len()), (200, 0));
    let past = server.get_as(&path(&format!("?from={}", u32::MAX)), &token);
    assert_eq!((past.status, past.body.len()), (200, 0));

    for bad in [
        "?limit=0",
        "?limit=1001",
        "?limit=-1",
        "?from=-1",
        "?from=x",
    ] {
        let r = server.get_as(&path(bad), &token);
        assert_eq!(r.status, 400, "{bad}");
        assert!(r.json()["error"].is_string(), "{bad}: a JSON error");
    }
    let r = server.get_as(&path("?limit=1001"), &token);
    assert!(r.json()["error"].as_str().unwrap().contains("1 to 1000"));
    assert_eq!(server.get(&path("")).status, 401, "no session");
    let unknown = server.get_as(
        &format!("/api/v1/tips/{}/thread/entries", "ab".repeat(16)),
        &token,
    );
    assert_eq!(unknown.status, 404, "no such tip");
    let log = server.log_text();
    let errors: Vec<&str> = log.lines().filter(|l| l.contains("ERROR")).collect();
    assert_eq!(
        errors,
        Vec::<&str>::new(),
        "no request here is a server error"
    );
}
