//! Reviewer benchmark: sync and decrypt N tips from the real server on loopback into a
//! fresh local store, search p95 over them, and the server's cost of a triage-event
//! append next to a tip submission.
//!
//! `cargo bench --bench reviewer` starts `tipseal::http::Application` in-process on
//! `127.0.0.1:0` over a temporary data directory and a real signed keyring (one admin,
//! one reviewer; rate limits off: the limiter would measure itself). Tips are seeded by
//! parallel HTTP POSTs of bundles sealed here (the seven samples in turn, each with a
//! distinct marker). The reviewer side is the library the CLI and the desk use:
//! `reviewer::session::connect` then `Workspace::open` + `sync`. It prints figures and
//! one `BENCH {json}` line; it asserts no timing target (targets: sync 10,000 ≤ 10 s,
//! search p95 ≤ 50 ms, event append ≤ tip submit).
//!
//! Environment:
//! - `REVIEWER_BENCH_QUICK=1` — 300 tips (CI; well under a minute). Also the default when
//!   run without `--bench` (as `cargo test --all-targets` does).
//! - `REVIEWER_BENCH_FULL=1` — also 100,000 tips after the 10,000.
//! - `REVIEWER_BENCH_TIPS=N` — exactly N tips (one run).
//! - `REVIEWER_BENCH_DIR` — parent of the temporary directories (default: system temp).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use tipseal::client::trust::{Memory, Use};
use tipseal::client::Client;
use tipseal::crypto::envelope::seal;
use tipseal::crypto::identity::Identity;
use tipseal::crypto::keyfile::{read_identity, write_identity, KdfStrength, Passphrase};
use tipseal::crypto::keyring::{add_reviewer, genesis, verify_chain, VerifiedKeyring};
use tipseal::domain::bundle;
use tipseal::domain::envelope::{Flags, Kind};
use tipseal::domain::keyring::PersonName;
use tipseal::domain::triage::{Change, EventBody, Label, LogRef, EVENT_VERSION};
use tipseal::domain::{KeyId, TipId};
use tipseal::http::{Application, ServerSettings};
use tipseal::reviewer::search::Filter;
use tipseal::reviewer::session::{connect, Target};
use tipseal::reviewer::workspace::Workspace;

/// The seven shared samples, with the word each is searched by.
const SAMPLES: [(&str, &str); 7] = [
    (
        include_str!("../tests/samples/ko-construction-vladivostok.json"),
        "김반장이",
    ),
    (
        include_str!("../tests/samples/zh-restaurant-dandong.json"),
        "经理",
    ),
    (
        include_str!("../tests/samples/ru-logging-khabarovsk.json"),
        "лесовозы",
    ),
    (
        include_str!("../tests/samples/pl-shipyard-gdansk.json"),
        "spawaczami",
    ),
    (
        include_str!("../tests/samples/nl-shipbuilding-order.json"),
        "lasser",
    ),
    (
        include_str!("../tests/samples/ar-construction-kuwait.json"),
        "رواتب",
    ),
    (
        include_str!("../tests/samples/en-construction-qatar.json"),
        "crews",
    ),
];

/// Concurrent seeding clients.
const SEEDERS: usize = 8;
/// Appends and submissions timed for the server-cost comparison.
const COST_SAMPLES: usize = 200;

fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let quick = !bench || std::env::var("REVIEWER_BENCH_QUICK").is_ok_and(|v| v == "1");
    let full = std::env::var("REVIEWER_BENCH_FULL").is_ok_and(|v| v == "1");
    let sizes: Vec<usize> = if let Some(n) = std::env::var("REVIEWER_BENCH_TIPS")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        vec![n]
    } else if quick {
        vec![300]
    } else if full {
        vec![10_000, 100_000]
    } else {
        vec![10_000]
    };
    tipseal::crypto::init().expect("libsodium");
    let mut results = Vec::new();
    for n in sizes {
        results.push(run(n, quick));
    }
    println!(
        "BENCH {}",
        serde_json::json!({ "bench": "reviewer", "quick": quick, "runs": results })
    );
}

fn run(n: usize, quick: bool) -> serde_json::Value {
    let parent = std::env::var_os("REVIEWER_BENCH_DIR").map(PathBuf::from);
    let tmp = match &parent {
        Some(p) => tempfile::TempDir::new_in(p),
        None => tempfile::TempDir::new(),
    }
    .expect("a temporary directory");
    let (admin, reviewer_key, keyring) = make_team(tmp.path());
    let _ = admin;
    let keyring_file = tmp.path().join("keyring.json");
    std::fs::write(&keyring_file, keyring.to_json()).expect("write the keyring");
    let port = start_server(tmp.path().join("data"), keyring_file);
    let base = format!("http://127.0.0.1:{port}");

    // Seed.
    let t = Instant::now();
    seed(&base, &keyring, n);
    let seed_time = t.elapsed();
    println!("reviewer bench, {n} tips: seeded in {}", fmt(seed_time));

    // Sync and decrypt into a fresh store.
    let memory = Memory::for_reviewer(&tmp.path().join("reviewer.key"));
    let mut notes = Vec::new();
    let session = connect(
        Target {
            server: &base,
            proxy: None,
            memory: &memory,
            usage: Use::Seal,
        },
        reviewer_key,
        &mut notes,
    )
    .expect("the reviewer connects");
    // Breakdown on a sample of tips: fetch only, open only, index only.
    let sample: Vec<TipId> = session
        .client
        .list(&session.session)
        .expect("the listing")
        .into_iter()
        .take(100)
        .map(|t| t.id)
        .collect();
    let (mut fetch_t, mut open_t, mut facts_t) = (Duration::ZERO, Duration::ZERO, Duration::ZERO);
    let mut index = tipseal::reviewer::search::Index::new();
    for id in &sample {
        let t = Instant::now();
        let bytes = session.client.fetch(&session.session, *id).expect("fetch");
        fetch_t += t.elapsed();
        let t = Instant::now();
        let tip = tipseal::reviewer::open::open_bundle(&session.keyring, &session.me, *id, &bytes)
            .expect("opens");
        open_t += t.elapsed();
        let t = Instant::now();
        let facts = tipseal::reviewer::workspace::tip_facts(&tip.plaintext);
        let fields: Vec<_> = facts
            .text
            .iter()
            .map(|x| (tipseal::reviewer::search::Weight::NORMAL, x.as_str()))
            .collect();
        index.upsert(*id, &fields);
        facts_t += t.elapsed();
    }
    let per = |d: Duration| d / sample.len().max(1) as u32;
    println!(
        "  per tip (sample of {}): fetch {}, open {}, facts + index {}",
        sample.len(),
        fmt(per(fetch_t)),
        fmt(per(open_t)),
        fmt(per(facts_t))
    );
    let store = tmp.path().join("reviewer.key.store");
    let mut ws = Workspace::open(session, &store).expect("the workspace opens");
    let t = Instant::now();
    let report = ws.sync(&mut |_| {}).expect("the sync succeeds");
    let sync_time = t.elapsed();
    assert_eq!(report.tips_new, n, "every tip synced");
    let store_bytes = std::fs::metadata(&store).map_or(0, |m| m.len());
    println!(
        "  sync + decrypt: {} ({:.0} tips/s), store {:.1} MiB",
        fmt(sync_time),
        n as f64 / sync_time.as_secs_f64(),
        store_bytes as f64 / 1_048_576.0
    );
    drop(ws);
    // Reopening rebuilds the index and folds from the store alone.
    let me = reopen_identity();
    let t = Instant::now();
    let ws = Workspace::open_offline(me, &store);
    let reopen_time = ws.as_ref().map(|_| t.elapsed()).ok();
    drop(ws);

    // Search p95 over the synced tips (the store reopened offline).
    let (search_p50, search_p95) = {
        let ws = Workspace::open_offline(reopen_identity(), &store).expect("reopen");
        let mut times = Vec::new();
        let rounds = if quick { 5 } else { 20 };
        for _ in 0..rounds {
            for (_, q) in SAMPLES {
                let t = Instant::now();
                let rows = ws.list(&Filter::default(), Some(q));
                times.push(t.elapsed());
                assert!(!rows.is_empty(), "{q} finds its sample");
            }
        }
        times.sort();
        (pct(&times, 0.5), pct(&times, 0.95))
    };
    println!(
        "  search over {n}: p50 {}, p95 {}",
        fmt(search_p50),
        fmt(search_p95)
    );

    // Server cost: event append vs tip submit, sequential, same client and connection.
    let (append_med, submit_med) = server_cost(&base, &keyring, &tmp.path().join("cost.key"));
    println!(
        "  server round trip, median of {COST_SAMPLES}: event append {}, tip submit {}",
        fmt(append_med),
        fmt(submit_med)
    );
    serde_json::json!({
        "tips": n,
        "seed_s": seed_time.as_secs_f64(),
        "sync_s": sync_time.as_secs_f64(),
        "sync_tips_per_s": n as f64 / sync_time.as_secs_f64(),
        "store_bytes": store_bytes,
        "reopen_s": reopen_time.map(|d| d.as_secs_f64()),
        "search_p50_ms": search_p50.as_secs_f64() * 1e3,
        "search_p95_ms": search_p95.as_secs_f64() * 1e3,
        "event_append_median_ms": append_med.as_secs_f64() * 1e3,
        "tip_submit_median_ms": submit_med.as_secs_f64() * 1e3,
    })
}

/// The bench's reviewer key file (written once by [`make_team`]): the workspace takes
/// ownership of an identity each time it opens, and an identity does not clone.
static KEY_FILE: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
const PASS: &str = "reviewer bench passphrase";

fn reopen_identity() -> Identity {
    read_identity(
        KEY_FILE.get().expect("made by make_team"),
        &Passphrase::from(PASS.to_owned()),
    )
    .expect("the bench key opens")
}

fn make_team(dir: &Path) -> (Identity, Identity, VerifiedKeyring) {
    let name = |s: &str| PersonName::parse(s).expect("a valid name");
    let admin = Identity::generate(name("bench-admin"));
    let reviewer = Identity::generate(name("bench-reviewer"));
    let key = dir.join("bench-reviewer.key");
    write_identity(
        &key,
        &reviewer,
        &Passphrase::from(PASS.to_owned()),
        KdfStrength::Interactive,
    )
    .expect("the bench key is written");
    let _ = KEY_FILE.set(key);
    let g = verify_chain(&genesis(&admin, 30).expect("genesis"), None).expect("verifies");
    let file = add_reviewer(&g, &admin, reviewer.public(), 30).expect("add reviewer");
    let keyring = verify_chain(&file, None).expect("the keyring verifies");
    (admin, reviewer, keyring)
}

fn start_server(data_dir: PathBuf, keyring_file: PathBuf) -> u16 {
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name("bench-server".into())
        .spawn(move || {
            let mut settings =
                ServerSettings::new("127.0.0.1:0".parse().expect("an address"), data_dir);
            settings.keyring_file = Some(keyring_file);
            settings.rate = tipseal::http::RateSettings::OFF;
            actix_web::rt::System::new().block_on(async move {
                let app = Application::build(&settings).expect("the server starts");
                tx.send(app.port()).expect("main thread waits for the port");
                app.run_until_stopped().await
            })
        })
        .expect("spawn the server thread");
    rx.recv_timeout(Duration::from_secs(30))
        .expect("the server reports its port")
}

/// The sealed-tip JSON of sample `i % 7` with a distinct marker.
fn sealed_tip(i: usize) -> Vec<u8> {
    let (doc, _) = SAMPLES[i % SAMPLES.len()];
    let mut tip: serde_json::Value = serde_json::from_str(doc).expect("a sample parses");
    let narrative = tip["narrative"].as_str().unwrap_or_default().to_owned();
    tip["narrative"] = serde_json::Value::String(format!("{narrative} [bench {i}]"));
    serde_json::to_vec(&serde_json::json!({
        "format": "tipseal/sealed-tip/v1",
        "tip": tip,
        "attachments": [],
    }))
    .expect("serializes")
}

fn seal_bundle(keyring: &VerifiedKeyring, i: usize) -> Vec<u8> {
    let env = seal(
        &sealed_tip(i),
        Kind::Tip,
        Flags::NONE,
        keyring.epoch(),
        &keyring.intake_public_key(),
    )
    .expect("a tip seals");
    bundle::encode(&[&env])
}

fn seed(base: &str, keyring: &VerifiedKeyring, n: usize) {
    let next = Arc::new(AtomicUsize::new(0));
    std::thread::scope(|s| {
        for _ in 0..SEEDERS {
            let next = next.clone();
            s.spawn(move || {
                let client = Client::new(base, None).expect("a client");
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= n {
                        return;
                    }
                    let bundle = seal_bundle(keyring, i);
                    client
                        .submit(&bundle, &format!("bench-{i:032}"))
                        .expect("the tip is stored");
                }
            });
        }
    });
}

/// Median round trip of `COST_SAMPLES` event appends (each to its own tip's log at seq 0,
/// pre-sealed) and as many tip submissions, through one client.
fn server_cost(base: &str, keyring: &VerifiedKeyring, key_path: &Path) -> (Duration, Duration) {
    let memory = Memory::for_reviewer(key_path);
    let mut notes = Vec::new();
    let r = connect(
        Target {
            server: base,
            proxy: None,
            memory: &memory,
            usage: Use::Seal,
        },
        reopen_identity(),
        &mut notes,
    )
    .expect("connects");
    let ids: Vec<TipId> = r
        .client
        .list(&r.session)
        .expect("the listing")
        .into_iter()
        .take(COST_SAMPLES)
        .map(|t| t.id)
        .collect();
    let label = Label::parse("bench").expect("a label");
    let events: Vec<(TipId, Vec<u8>)> = ids
        .iter()
        .map(|id| {
            let body = EventBody {
                v: EVENT_VERSION,
                log: LogRef::Tip(*id),
                seq: 0,
                prev: [0; 32],
                author: KeyId::from_bytes([0; 16]),
                epoch: keyring.epoch(),
                at: 0,
                changes: vec![Change::AddLabel {
                    label: label.clone(),
                }],
            };
            let sealed = tipseal::crypto::triage::seal_event(&r.me, keyring, body).expect("seals");
            (*id, sealed)
        })
        .collect();
    let mut appends = Vec::new();
    for (id, blob) in &events {
        let t = Instant::now();
        r.client
            .append_event(&r.session, LogRef::Tip(*id), 0, false, blob)
            .expect("appends")
            .expect("at seq 0");
        appends.push(t.elapsed());
    }
    let bundles: Vec<Vec<u8>> = (0..COST_SAMPLES)
        .map(|i| seal_bundle(keyring, 1_000_000 + i))
        .collect();
    let mut submits = Vec::new();
    for (i, b) in bundles.iter().enumerate() {
        let t = Instant::now();
        r.client
            .submit(b, &format!("cost-{i:032}"))
            .expect("stored");
        submits.push(t.elapsed());
    }
    appends.sort();
    submits.sort();
    (pct(&appends, 0.5), pct(&submits, 0.5))
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn fmt(d: Duration) -> String {
    if d.as_secs_f64() >= 1.0 {
        format!("{:.2} s", d.as_secs_f64())
    } else {
        format!("{:.2} ms", d.as_secs_f64() * 1e3)
    }
}
