//! Retention and the bundle log, through the real server: the sweep on the server's
//! timer deletes old tips and then compacts the log, so the segment that held them is
//! unlinked and the log shrinks, while every tip it kept still comes back byte for byte
//! to a reviewer, before and after a restart.
//!
//! A tip cannot grow old during a test, so every tip is written through the storage API
//! with a `received` day before the server starts (as `tests/attacks/retention.rs`
//! does), in one open, so old and kept tips share one segment.

mod common;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tempfile::TempDir;
use tipseal::domain::Day;
use tipseal::storage::Store;

use common::*;

/// Tips past the policy's age, and tips inside it, interleaved in one segment.
const OLD_TIPS: usize = 45;
const KEPT_TIPS: usize = 5;
/// The policy: tips are deleted 30 days after receipt.
const MAX_AGE_DAYS: i64 = 30;

/// The segment files of the bundle log and their lengths, by name.
fn segments(data: &Path) -> Vec<(String, u64)> {
    let mut out: Vec<(String, u64)> = std::fs::read_dir(data.join("bundles"))
        .expect("the bundle log's directory")
        .map(|e| e.expect("a directory entry"))
        .filter(|e| e.file_name().to_string_lossy().ends_with(".seg"))
        .map(|e| {
            let len = e.metadata().expect("a segment's metadata").len();
            (e.file_name().to_string_lossy().into_owned(), len)
        })
        .collect();
    out.sort();
    out
}

fn total(segments: &[(String, u64)]) -> u64 {
    segments.iter().map(|(_, len)| len).sum()
}

/// The bundle a reviewer fetches for `id`.
fn fetch(server: &ServerGuard, token: &str, id: &str) -> HttpResponse {
    let auth = format!("Bearer {token}");
    raw_http(
        server.addr,
        None,
        &request(
            "GET",
            &format!("/api/v1/tips/{id}"),
            &[("Authorization", &auth)],
            b"",
        ),
    )
}

fn serve(data: &Path, keyring: &Path) -> ServerGuard {
    spawn_server_in(
        data,
        &[
            OsStr::new("--keyring"),
            keyring.as_os_str(),
            OsStr::new("--retention-max-tip-age-days"),
            OsStr::new("30"),
            OsStr::new("--retention-schedule-minutes"),
            OsStr::new("1"),
        ],
    )
}

fn assert_every_kept_tip_is_byte_identical(
    server: &ServerGuard,
    reviewer_key: &Path,
    kept: &[(String, Vec<u8>)],
    when: &str,
) {
    let token = staff_token(&server.url, reviewer_key);
    for (id, bundle) in kept {
        let res = fetch(server, &token, id);
        assert_eq!(res.status, 200, "{when}: tip {id} is fetched");
        assert!(
            res.body == *bundle,
            "{when}: tip {id} comes back byte for byte"
        );
    }
    // And it opens for the reviewer, through the reviewer's own client.
    let shown = review_show(&server.url, reviewer_key, &kept[0].0, None);
    assert!(!shown.is_null(), "{when}: the reviewer opens a kept tip");
}

#[test]
fn the_sweeps_compaction_unlinks_the_old_segment_and_every_kept_tip_still_opens_after_a_restart() {
    let team = setup_team();
    let parent = TempDir::new().expect("temp dir");
    let data: PathBuf = parent.path().join("data");
    let keyring = std::fs::read(&team.keyring).expect("the team's keyring");
    let tip = read_json(&a_sample());
    let sealed = seal_bundles_with_keyring(&keyring, &tip, OLD_TIPS + KEPT_TIPS);

    let store = Store::open(&data, tipseal::crypto::random_bytes()).expect("the data dir opens");
    let mut kept = Vec::new();
    for (i, bundle) in sealed.iter().enumerate() {
        // Every tenth tip is inside the policy by a day: the rest are past it.
        let keep = i % 10 == 0;
        let age = if keep {
            MAX_AGE_DAYS - 1
        } else {
            MAX_AGE_DAYS + 10
        };
        let received = Day::today().plus_days(-age);
        let id = tipseal::loadgen::insert_sealed(&store, bundle, received).expect("stored");
        if keep {
            kept.push((id.to_string(), bundle.clone()));
        }
    }
    store.durable_blocking().expect("the tips are flushed");
    drop(store);
    assert_eq!(kept.len(), KEPT_TIPS);
    let before = segments(&data);
    let (old_segment, old_len) = before
        .last()
        .cloned()
        .expect("the segment holding the tips");
    assert!(old_len > 0);

    // The server's first sweep runs on its timer as it starts; its compaction finds the
    // tips' segment (sealed by this open) nine tenths dead and rewrites it.
    let mut server = serve(&data, &team.keyring);
    let start = Instant::now();
    while segments(&data).iter().any(|(name, _)| *name == old_segment) {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the old segment was not compacted away within 60 s; log:\n{}",
            server.log_text()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let after = segments(&data);
    assert!(
        total(&after) < total(&before),
        "the log shrank: {} bytes before, {} after ({after:?})",
        total(&before),
        total(&after)
    );
    let listed = review_ids(&server.url, &team.reviewer_key);
    assert_eq!(listed.len(), KEPT_TIPS, "only the kept tips are listed");
    assert_every_kept_tip_is_byte_identical(&server, &team.reviewer_key, &kept, "after the sweep");

    server.stop();
    let server = serve(&data, &team.keyring);
    assert_every_kept_tip_is_byte_identical(&server, &team.reviewer_key, &kept, "after a restart");
    eprintln!(
        "bundle log: {} bytes in {} segment(s) before the sweep, {} in {} after",
        total(&before),
        before.len(),
        total(&after),
        after.len()
    );
}
