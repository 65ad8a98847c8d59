//! Attack on the intake byte budget (`src/http/intake_budget.rs`): a resource anyone can
//! fill. A submission is charged 3 × its body once the body is in, and a body over a
//! third of the 32 MiB budget is charged all of it, so big tips sent back to back from a
//! few connections keep the budget spent almost all the time. The promise: a witness's
//! text tip is still acknowledged (at once, or after a clear 503 with Retry-After that
//! it honours), and a reviewer keeps listing, while the flood runs.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::json;

use super::bodies::with_inline_part;
use super::common::*;

const MIB: usize = 1024 * 1024;

/// Connections that send the big tips.
const ATTACKERS: usize = 4;
/// Text tips the witness sends during the flood.
const WITNESS_TIPS: usize = 3;
/// How long one witness tip may take to be acknowledged, honouring Retry-After.
const WITNESS_BOUND: Duration = Duration::from_secs(15);

/// What one attacking connection's requests got.
#[derive(Default)]
struct Tally {
    created: usize,
    busy: usize,
    other: usize,
}

/// Sends `bundle` again and again, each time as soon as the last answer came, until
/// `stop` is set.
fn flooder(server: &ServerGuard, bundle: Arc<Vec<u8>>, stop: Arc<AtomicBool>) -> JoinHandle<Tally> {
    let addr = server.addr;
    std::thread::spawn(move || {
        let req = post_tip_request(&bundle, None);
        let mut tally = Tally::default();
        while !stop.load(Ordering::SeqCst) {
            match try_raw_http(addr, None, &req).map(|r| r.status) {
                Ok(201) => tally.created += 1,
                Ok(503) => tally.busy += 1,
                _ => tally.other += 1,
            }
        }
        tally
    })
}

/// Submits `bundle` as a witness's client does: on 503 it waits the Retry-After the
/// server gave and tries again. Returns (the tip's id, 503s seen, time to the 201).
fn witness_submits(server: &ServerGuard, bundle: &[u8]) -> (String, usize, Duration) {
    let start = Instant::now();
    let mut refused = 0;
    loop {
        let resp = raw_http(server.addr, None, &post_tip_request(bundle, None));
        if resp.status == 201 {
            let id = resp.json()["id"].as_str().expect("an id").to_owned();
            return (id, refused, start.elapsed());
        }
        assert_eq!(
            resp.status,
            503,
            "a witness's tip during the flood: {}",
            String::from_utf8_lossy(&resp.body)
        );
        let wait: u64 = resp
            .header("retry-after")
            .and_then(|v| v.parse().ok())
            .expect("a 503 says when to retry");
        resp.assert_json_error();
        refused += 1;
        assert!(
            start.elapsed() + Duration::from_secs(wait) < WITNESS_BOUND,
            "the witness was refused {refused} times in {:?} while big tips held the intake budget",
            start.elapsed()
        );
        std::thread::sleep(Duration::from_secs(wait));
    }
}

#[test]
fn big_tips_sent_back_to_back_do_not_lock_a_witness_out_of_the_intake_budget() {
    let team = setup_team();
    // The request-rate budget off: this attack is on the byte budget, which a flooder
    // under the default 50 requests a second reaches as easily.
    let server = team.spawn_server(&["--rate-intake", "off"]);
    // An 11 MiB tip (a real sealed bundle, as anyone can make from the public keyring):
    // 3 × 11 MiB is more than the 32 MiB budget, so each admitted one is charged it all.
    let tip = json!({"schema": "tipseal/tip/v1", "language": "en", "narrative": "see the file"});
    let (tip_only, envelope) =
        sealed_tip_and_upload(&server, &tip, "video.mp4", &random_bytes(11 * MIB));
    let big = Arc::new(with_inline_part(&tip_only, &envelope));
    let bundles = seal_bundles(&server.url, &read_json(&a_sample()), WITNESS_TIPS);

    let stop = Arc::new(AtomicBool::new(false));
    let flood: Vec<_> = (0..ATTACKERS)
        .map(|_| flooder(&server, big.clone(), stop.clone()))
        .collect();
    std::thread::sleep(Duration::from_secs(2));

    let mut ids = Vec::new();
    let mut witness_refusals = 0;
    let mut slowest = Duration::ZERO;
    for bundle in &bundles {
        let (id, refused, took) = witness_submits(&server, bundle);
        ids.push(id);
        witness_refusals += refused;
        slowest = slowest.max(took);
    }
    // A reviewer lists while the flood still runs, and sees the witness's tips.
    let listed = review_ids(&server.url, &team.reviewer_key);
    stop.store(true, Ordering::SeqCst);
    let tallies: Vec<Tally> = flood.into_iter().map(|h| h.join().unwrap()).collect();
    let created: usize = tallies.iter().map(|t| t.created).sum();
    let busy: usize = tallies.iter().map(|t| t.busy).sum();
    let other: usize = tallies.iter().map(|t| t.other).sum();
    eprintln!(
        "flood: {created} big tips stored, {busy} refused with 503, {other} other; witness: \
         {WITNESS_TIPS} tips acknowledged, {witness_refusals} 503s, slowest {slowest:?} \
         (loaded machine)"
    );
    for id in &ids {
        assert!(
            listed.contains(id),
            "the reviewer lists the witness's tip {id}"
        );
    }
    // The attack really ran: big tips were stored and others found the budget spent.
    assert!(created >= 2, "the flood stored {created} big tips");
    assert!(
        busy >= 1,
        "the flood never found the budget spent ({busy} × 503)"
    );
    assert_eq!(other, 0, "every flood request got 201 or 503");
}
