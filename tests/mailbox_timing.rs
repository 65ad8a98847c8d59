//! Mailbox login is no oracle: an unknown receipt, a wrong receipt and a forged
//! signature on a real mailbox key get the same status and body, and their response
//! times come from the same distribution. Also measures the server's CPU time per login.
//!
//! Timings are collected interleaved (so drift and noise hit every group alike) and
//! compared with a two-sample Kolmogorov–Smirnov test implemented here. The assertion
//! is on the p-value *or* a small effect size (Cliff's delta), which a real oracle — e.g.
//! skipping the signature check for unknown mailboxes, ~50 µs — would fail by far.
//!
//! The tests of this file that load a server take [`ONE_LOAD_AT_A_TIME`]: the harness
//! runs tests in parallel, and 1,000 logins of the CPU measurement on the same two cores
//! shifted one group's timings by ~100 µs in a run of the full suite (KS p = 0.0002).

mod common;

use std::time::Instant;

use common::*;
use tempfile::TempDir;

/// Held by each test that loads a server, so no test's load is another's noise.
static ONE_LOAD_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// The lock, also after a test that held it failed (its failure is reported on its own).
fn alone() -> std::sync::MutexGuard<'static, ()> {
    ONE_LOAD_AT_A_TIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Timings per group.
const N: usize = 200;
/// Below this KS p-value the distributions count as different …
const P_MIN: f64 = 0.001;
/// … unless the effect is negligible: |Cliff's delta| below this.
const DELTA_MAX: f64 = 0.2;

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

fn challenge(server: &ServerGuard) -> String {
    let r = post_json(server, "/api/v1/mailbox/challenge", "{}");
    assert_eq!(r.status, 200);
    r.json()["challenge"].as_str().unwrap().to_owned()
}

/// One timed login; returns (seconds, status, body).
fn timed_login(server: &ServerGuard, body: &str) -> (f64, u16, Vec<u8>) {
    let req = request(
        "POST",
        "/api/v1/mailbox/session",
        &[("Content-Type", "application/json")],
        body.as_bytes(),
    );
    let t = Instant::now();
    let r = raw_http(server.addr, None, &req);
    (t.elapsed().as_secs_f64(), r.status, r.body)
}

/// Two-sample Kolmogorov–Smirnov: (D, asymptotic p-value).
fn ks(a: &[f64], b: &[f64]) -> (f64, f64) {
    let mut a = a.to_vec();
    let mut b = b.to_vec();
    a.sort_by(f64::total_cmp);
    b.sort_by(f64::total_cmp);
    let (n, m) = (a.len() as f64, b.len() as f64);
    let (mut i, mut j, mut d) = (0usize, 0usize, 0f64);
    while i < a.len() && j < b.len() {
        let x = a[i].min(b[j]);
        while i < a.len() && a[i] <= x {
            i += 1;
        }
        while j < b.len() && b[j] <= x {
            j += 1;
        }
        d = d.max((i as f64 / n - j as f64 / m).abs());
    }
    let en = (n * m / (n + m)).sqrt();
    let lambda = (en + 0.12 + 0.11 / en) * d;
    if lambda < 0.2 {
        // The series does not converge near 0; the p-value there is 1 to 9 digits.
        return (d, 1.0);
    }
    // Kolmogorov distribution tail: 2 Σ (-1)^(k-1) exp(-2 k² λ²).
    let mut p = 0.0;
    for k in 1..=100 {
        let k = k as f64;
        let term = 2.0 * (-1f64).powf(k - 1.0) * (-2.0 * k * k * lambda * lambda).exp();
        p += term;
        if term.abs() < 1e-12 {
            break;
        }
    }
    (d, p.clamp(0.0, 1.0))
}

/// Cliff's delta: P(a > b) − P(a < b), the Mann–Whitney effect size.
fn cliffs_delta(a: &[f64], b: &[f64]) -> f64 {
    let mut gt = 0i64;
    let mut lt = 0i64;
    for x in a {
        for y in b {
            if x > y {
                gt += 1;
            } else if x < y {
                lt += 1;
            }
        }
    }
    (gt - lt) as f64 / (a.len() * b.len()) as f64
}

fn median_us(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2] * 1e6
}

fn assert_same_distribution(name: &str, a: &[f64], b: &[f64]) {
    let (d, p) = ks(a, b);
    let delta = cliffs_delta(a, b);
    println!(
        "{name}: KS D = {d:.3}, p = {p:.4}, Cliff's delta = {delta:.3}, medians {:.0} µs vs {:.0} µs",
        median_us(a),
        median_us(b)
    );
    assert!(
        p >= P_MIN || delta.abs() < DELTA_MAX,
        "{name}: login times differ (KS p = {p}, Cliff's delta = {delta})"
    );
}

#[test]
fn the_statistics_tell_same_from_different() {
    let a: Vec<f64> = (0..200).map(|i| f64::from(i % 50)).collect();
    let b: Vec<f64> = (0..200).map(|i| f64::from((i * 7) % 50)).collect();
    assert!(ks(&a, &b).1 > 0.5);
    let c: Vec<f64> = a.iter().map(|x| x + 30.0).collect();
    assert!(ks(&a, &c).1 < 1e-6);
    assert!(cliffs_delta(&c, &a) > 0.5);
}

#[test]
fn unknown_and_wrong_receipts_get_the_same_answer_in_the_same_time() {
    let _alone = alone();
    let team = setup_team();
    let server = team.spawn_server(&["--workers", "1"]);
    let dir = TempDir::new().unwrap();
    let receipt_file = dir.path().join("receipt.txt");
    let out = tipseal_ok([
        "submit".as_ref(),
        "--server".as_ref(),
        server.url.as_str().as_ref(),
        "--tip".as_ref(),
        a_sample().as_os_str(),
        "--receipt-out".as_ref(),
        receipt_file.as_os_str(),
        "--json".as_ref(),
    ] as [&std::ffi::OsStr; 8]);
    assert!(out.status.success());
    let real = std::fs::read_to_string(&receipt_file).unwrap();
    // A wrong receipt: the real one with its last word changed, checksum still valid
    // (so the client gets past the checksum and asks the server).
    let wrong = a_wrong_receipt(&real);

    // Warm up (connections, caches, the allocator).
    for _ in 0..30 {
        let c = challenge(&server);
        timed_login(
            &server,
            &mailbox_login_body(&fresh_receipt_words(), &c, false),
        );
    }

    let (mut unknown, mut wrong_t, mut forged) = (Vec::new(), Vec::new(), Vec::new());
    let mut answers = Vec::new();
    for i in 0..3 * N {
        let c = challenge(&server);
        let (group, body) = match i % 3 {
            0 => (
                &mut unknown,
                mailbox_login_body(&fresh_receipt_words(), &c, false),
            ),
            1 => (&mut wrong_t, mailbox_login_body(&wrong, &c, false)),
            _ => (&mut forged, mailbox_login_body(&real, &c, true)),
        };
        let (t, status, resp) = timed_login(&server, &body);
        group.push(t);
        answers.push((status, resp));
    }
    let (status, body) = &answers[0];
    assert_eq!(*status, 401);
    for (s, b) in &answers {
        assert_eq!(
            (s, b),
            (status, body),
            "every failed login gets the same answer"
        );
    }

    assert_same_distribution("unknown vs wrong receipt", &unknown, &wrong_t);
    assert_same_distribution("unknown receipt vs forged signature", &unknown, &forged);
    assert_same_distribution("wrong receipt vs forged signature", &wrong_t, &forged);

    // The right receipt still logs in.
    let c = challenge(&server);
    let (_, ok, _) = timed_login(&server, &mailbox_login_body(&real, &c, false));
    assert_eq!(ok, 200);
}

/// The server's CPU time (user + system, in clock ticks of 10 ms) from /proc.
fn server_cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after.split_whitespace().collect();
    // After the command name: state is field 3; utime and stime are fields 14 and 15.
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

#[test]
fn measure_the_server_cpu_time_of_a_mailbox_login() {
    let _alone = alone();
    let team = setup_team();
    let server = team.spawn_server(&["--workers", "1"]);
    let words = fresh_receipt_words();
    const LOGINS: usize = 1_000;
    // Prepare the bodies first so the client's signing is not in the window; the
    // challenges are requested in the window too, so measure them alone as a baseline.
    let Some(start) = server_cpu_seconds(server.pid()) else {
        println!("no /proc: CPU time not measured");
        return;
    };
    for _ in 0..LOGINS {
        challenge(&server);
    }
    let after_challenges = server_cpu_seconds(server.pid()).unwrap();
    let mut bodies = Vec::with_capacity(LOGINS);
    for _ in 0..LOGINS {
        let c = challenge(&server);
        bodies.push(mailbox_login_body(&words, &c, false));
    }
    let before_logins = server_cpu_seconds(server.pid()).unwrap();
    for b in &bodies {
        assert_eq!(timed_login(&server, b).1, 401);
    }
    let end = server_cpu_seconds(server.pid()).unwrap();
    let per_challenge_us = (after_challenges - start) / LOGINS as f64 * 1e6;
    let per_login_us = (end - before_logins) / LOGINS as f64 * 1e6;
    println!(
        "server CPU per mailbox login request: {per_login_us:.0} µs (a challenge request: \
         {per_challenge_us:.0} µs; /proc resolution 10 ms over {LOGINS} requests)"
    );
    assert!(
        per_login_us < 20_000.0,
        "a login costs less than 20 ms of CPU"
    );
}
