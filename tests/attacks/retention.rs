//! The server's own retention sweep (`src/http/retention.rs`): the promise that tips past
//! the absolute age are destroyed on the server's timer, with nobody asking, while
//! witnesses keep submitting — and that the deletion is on the audit chain.
//!
//! A tip cannot grow old during a test, so the old tips are written through the storage
//! API with a `received` day in the past before the server starts; the server's first
//! sweep runs on its timer as it starts up.

use std::ffi::OsStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tempfile::TempDir;

use super::common::*;

/// Tips past the policy's age, enough that the sweep takes a while on a debug build.
const OLD_TIPS: usize = 300;
/// The policy: tips are deleted 30 days after receipt.
const MAX_AGE_DAYS: i64 = 30;

#[test]
fn the_servers_retention_sweep_deletes_old_tips_by_itself_audits_it_and_keeps_intake_open() {
    let team = setup_team();
    let parent = TempDir::new().expect("temp dir");
    let data = parent.path().join("data");
    let keyring = std::fs::read(&team.keyring).expect("the team's keyring");
    let tip = read_json(&a_sample());
    let sealed = seal_bundles_with_keyring(&keyring, &tip, OLD_TIPS + 1);
    let (young, old) = sealed.split_last().expect("bundles");
    let old_ids: Vec<String> = old
        .iter()
        .map(|b| store_tip_received_days_ago(&data, b, MAX_AGE_DAYS + 10))
        .collect();
    // Inside the policy by a day: kept.
    let young_id = store_tip_received_days_ago(&data, young, MAX_AGE_DAYS - 1);

    let server = spawn_server_in(
        &data,
        &[
            OsStr::new("--keyring"),
            team.keyring.as_os_str(),
            OsStr::new("--retention-max-tip-age-days"),
            OsStr::new("30"),
            OsStr::new("--retention-schedule-minutes"),
            OsStr::new("1"),
        ],
    );
    // Witnesses submit from the moment the server listens, while the sweep runs.
    let witness_bundles = seal_bundles(&server.url, &tip, 40);
    let stop = Arc::new(AtomicBool::new(false));
    let witnesses = {
        let (addr, stop) = (server.addr, stop.clone());
        std::thread::spawn(move || {
            let mut answers = Vec::new();
            for b in &witness_bundles {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let resp = raw_http(addr, None, &post_tip_request(b, None));
                let id = (resp.status == 201)
                    .then(|| resp.json()["id"].as_str().map(str::to_owned))
                    .flatten();
                answers.push((resp.status, id));
            }
            answers
        })
    };

    // Nothing asks the server to sweep: the log line and the audit entry appear by
    // themselves. Reading the log is not a request.
    let start = Instant::now();
    let log = loop {
        let log = std::fs::read_to_string(&server.log_path).unwrap_or_default();
        if log.contains("retention: deleted") {
            break log;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no retention sweep within 60 s of start-up; log:\n{log}"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let swept_after = start.elapsed();
    stop.store(true, Ordering::SeqCst);
    let answers = witnesses.join().expect("the witnesses' thread");
    assert!(
        log.contains(&format!("tips={OLD_TIPS}")),
        "the sweep logs how many tips it deleted:\n{log}"
    );

    let listed = review_ids(&server.url, &team.reviewer_key);
    let survivors: Vec<_> = old_ids.iter().filter(|id| listed.contains(id)).collect();
    assert!(
        survivors.is_empty(),
        "{} old tips survived",
        survivors.len()
    );
    assert!(
        listed.contains(&young_id),
        "a tip inside the policy survives"
    );
    assert!(!answers.is_empty(), "witnesses submitted during the sweep");
    for (status, id) in &answers {
        assert_eq!(*status, 201, "every witness's tip is acknowledged");
        let id = id.as_ref().expect("a 201 names the tip");
        assert!(listed.contains(id), "a fresh tip survives the sweep");
    }

    // The deletion is on the audit chain, which still verifies.
    let audit = tipseal_ok([
        OsStr::new("admin"),
        OsStr::new("audit"),
        OsStr::new("--admin-key"),
        team.admin_key.as_os_str(),
        OsStr::new("--server"),
        OsStr::new(&server.url),
    ]);
    let audit = String::from_utf8_lossy(&audit.stdout);
    let entry = audit
        .lines()
        .find(|l| l.contains("retention"))
        .unwrap_or_else(|| panic!("no retention entry on the audit chain:\n{audit}"));
    assert!(
        entry.contains(&format!("{OLD_TIPS} tips")),
        "the audit entry says how many tips: {entry}"
    );
    assert!(audit.contains("is intact"), "{audit}");
    eprintln!(
        "{OLD_TIPS} old tips swept {swept_after:?} after the server listened (loaded machine); \
         {} witness tips acknowledged meanwhile",
        answers.len()
    );
}
