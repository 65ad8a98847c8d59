//! A tip the server acknowledged survives the server being killed outright, and a
//! witness who retries an upload whose answer never arrived does not file it twice.

mod common;

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;
use tempfile::TempDir;

/// Concurrent witnesses.
const CLIENTS: usize = 8;
/// Kill, restart, check: this many times.
const KILLS: usize = 5;
/// How long the witnesses submit before the server is killed.
const LOAD: Duration = Duration::from_millis(1500);
/// Bundles a client seals at a time.
const BATCH: usize = 16;

/// A submission: what was sent, under which key.
#[derive(Clone)]
struct Upload {
    key: String,
    body: Arc<Vec<u8>>,
}

/// An upload the server acknowledged (201, or 200 for a retry).
#[derive(Clone)]
struct Ack {
    upload: Upload,
    id: String,
    /// When the acknowledgement arrived.
    at: Instant,
}

/// What one client saw in one round.
#[derive(Default)]
struct ClientReport {
    acked: Vec<Ack>,
    /// Sent, but no answer came (the server died): maybe stored, maybe not.
    unanswered: Vec<Upload>,
    /// Answered with anything but 200/201.
    refused: Vec<(u16, String)>,
}

fn send(server: SocketAddr, upload: &Upload) -> std::io::Result<HttpResponse> {
    try_raw_http(
        server,
        None,
        &post_tip_request(&upload.body, Some(&upload.key)),
    )
}

fn answered_id(resp: &HttpResponse) -> String {
    let id = resp.json()["id"]
        .as_str()
        .expect("an acknowledgement carries the id")
        .to_owned();
    assert!(is_tip_id(&id), "{id:?} is not a tip id");
    id
}

/// One witness: seals and submits until the server stops answering or `stop` is set.
fn witness(
    server: SocketAddr,
    keyring: Arc<Vec<u8>>,
    tip: Arc<Value>,
    name: String,
    stop: Arc<AtomicBool>,
) -> ClientReport {
    let mut report = ClientReport::default();
    let mut seq = 0;
    'outer: while !stop.load(Ordering::Relaxed) {
        for body in seal_bundles_with_keyring(&keyring, &tip, BATCH) {
            if stop.load(Ordering::Relaxed) {
                break 'outer;
            }
            seq += 1;
            let upload = Upload {
                key: format!("{name}-{seq:05}-{}", random_hex(6)),
                body: Arc::new(body),
            };
            match send(server, &upload) {
                Ok(resp) if resp.status == 201 || resp.status == 200 => {
                    let id = answered_id(&resp);
                    report.acked.push(Ack {
                        upload,
                        id,
                        at: Instant::now(),
                    });
                }
                Ok(resp) => {
                    report
                        .refused
                        .push((resp.status, String::from_utf8_lossy(&resp.body).into()));
                    report.unanswered.push(upload);
                }
                Err(_) => {
                    report.unanswered.push(upload);
                    break 'outer;
                }
            }
        }
    }
    report
}

/// After a restart: every acknowledged tip is listed and opens; retries are not stored
/// twice; uploads whose answer was lost are retried and end up stored exactly once.
fn check_after_restart(
    server: &ServerGuard,
    reviewer: &std::path::Path,
    tip: &Value,
    acked: &mut Vec<Ack>,
    last_round: &[Ack],
    unanswered: Vec<Upload>,
) {
    // What the server lists (its own API: thousands of tips, which `review list` would
    // each open and index in a debug build); the tips most at risk are opened below.
    let listed: HashSet<String> = server_tip_ids(&server.url, reviewer).into_iter().collect();
    let lost: Vec<&str> = acked
        .iter()
        .filter(|a| !listed.contains(&a.id))
        .map(|a| a.id.as_str())
        .collect();
    assert!(
        lost.is_empty(),
        "acknowledged tips lost after SIGKILL: {lost:?}"
    );

    // The tips acknowledged last before the kill are the ones most at risk: open them.
    let mut to_open: Vec<&Ack> = last_round.iter().rev().take(2).collect();
    to_open.extend(last_round.first());
    for a in to_open {
        assert_eq!(review_show(&server.url, reviewer, &a.id, None)["tip"], *tip);
    }

    // Retrying acknowledged uploads returns the same id and stores nothing new.
    let mut retries: Vec<&Ack> = last_round.iter().rev().take(3).collect();
    retries.extend(acked.first());
    for a in retries {
        let resp = send(server.addr, &a.upload).expect("the restarted server answers");
        assert_eq!(
            resp.status, 200,
            "a retry with the same Idempotency-Key and body"
        );
        assert_eq!(answered_id(&resp), a.id, "a retry gets the original id");
    }
    assert_eq!(
        server_tip_ids(&server.url, reviewer).len(),
        listed.len(),
        "retries of acknowledged uploads were stored again"
    );

    // Uploads cut off by the kill: retried with their key, each is stored once.
    for upload in unanswered {
        let resp = send(server.addr, &upload).expect("the restarted server answers");
        assert!(
            resp.status == 201 || (resp.status == 200 && listed.contains(&answered_id(&resp))),
            "retry of an unanswered upload: {} {}",
            resp.status,
            String::from_utf8_lossy(&resp.body)
        );
        let id = answered_id(&resp);
        acked.push(Ack {
            upload,
            id,
            at: Instant::now(),
        });
    }
    let ids: HashSet<&str> = acked.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(
        ids.len(),
        acked.len(),
        "two different uploads got the same id"
    );
    assert_eq!(
        server_tip_ids(&server.url, reviewer).len(),
        acked.len(),
        "the server holds a different number of tips than uploads it acknowledged"
    );
}

#[test]
fn acknowledged_tips_survive_repeated_sigkill_and_retries_are_not_stored_twice() {
    let started = Instant::now();
    let team = setup_team();
    let data = TempDir::new().unwrap();
    let data_dir = data.path().join("data");
    let tip = Arc::new(read_json(&a_sample()));
    let keyring_arg = team.keyring.to_str().unwrap().to_owned();

    let mut acked: Vec<Ack> = Vec::new();
    let mut last_round: Vec<Ack> = Vec::new();
    let mut unanswered: Vec<Upload> = Vec::new();
    let (mut total_acks, mut total_load) = (0usize, Duration::ZERO);

    for round in 0..=KILLS {
        let mut server = if round == 0 {
            spawn_server_in(
                &data_dir,
                &["--keyring", keyring_arg.as_str(), "--rate-intake", "off"],
            )
        } else {
            spawn_server_in(&data_dir, &["--rate-intake", "off"])
        };
        if round > 0 {
            let cut_off = std::mem::take(&mut unanswered);
            check_after_restart(
                &server,
                &team.reviewer_key,
                &tip,
                &mut acked,
                &last_round,
                cut_off,
            );
        }
        if round == KILLS {
            break;
        }

        let keyring = server.get("/api/v1/keyring");
        assert_eq!(keyring.status, 200);
        let keyring = Arc::new(keyring.body);
        let stop = Arc::new(AtomicBool::new(false));
        let load_started = Instant::now();
        let reports: Vec<ClientReport> = thread::scope(|s| {
            let clients: Vec<_> = (0..CLIENTS)
                .map(|c| {
                    let (keyring, tip, stop) = (keyring.clone(), tip.clone(), stop.clone());
                    let server = server.addr;
                    let name = format!("durability-r{round}-c{c}");
                    s.spawn(move || witness(server, keyring, tip, name, stop))
                })
                .collect();
            thread::sleep(LOAD);
            // No SIGTERM, no chance to flush: the process is gone mid-write.
            server.kill9();
            stop.store(true, Ordering::Relaxed);
            clients
                .into_iter()
                .map(|c| c.join().expect("client thread"))
                .collect()
        });
        let load = load_started
            .elapsed()
            .min(LOAD + Duration::from_millis(200));

        last_round.clear();
        for r in reports {
            let unexpected: Vec<_> = r.refused.iter().filter(|(s, _)| *s != 503).collect();
            assert!(
                unexpected.is_empty(),
                "valid uploads were refused: {unexpected:?}"
            );
            last_round.extend(r.acked);
            unanswered.extend(r.unanswered);
        }
        assert!(
            !last_round.is_empty(),
            "round {round}: nothing was acknowledged"
        );
        // Chronological, so the end of the list is what came last before the kill.
        last_round.sort_by_key(|a| a.at);
        eprintln!(
            "durability round {round}: {} acknowledged in {load:?} ({:.0}/s), {} cut off by SIGKILL",
            last_round.len(),
            last_round.len() as f64 / load.as_secs_f64(),
            unanswered.len()
        );
        total_acks += last_round.len();
        total_load += load;
        acked.extend(last_round.iter().cloned());
    }

    eprintln!(
        "durability: {total_acks} acknowledged submissions in {total_load:?} of load from \
         {CLIENTS} clients = {:.0} acknowledged submissions/s (flush before ack), \
         {KILLS} SIGKILLs, 0 lost; whole test {:?}",
        total_acks as f64 / total_load.as_secs_f64(),
        started.elapsed()
    );
}
