//! End-to-end intake benchmark: the real server, real HTTP, real `db.flush()`.
//!
//! `cargo bench --bench intake` starts `tipseal::http::Application` in-process on
//! `127.0.0.1:0` (its own thread, its own actix `System`) over a temporary sled directory
//! and a real signed keyring (one admin, one reviewer). Witness clients are OS threads
//! with their own `ureq` agent (keep-alive) that POST pre-sealed bundles with distinct
//! `Idempotency-Key`s; a request counts only when it answers `201`, which the server
//! sends after the group-commit flush. It prints figures; it asserts no timing target.
//!
//! Environment:
//! - `TIPSEAL_BENCH_SECS` — seconds per load phase (default 8; two phases).
//! - `TIPSEAL_BENCH_CLIENTS` — concurrent clients of the second phase (default 16).
//! - `TIPSEAL_BENCH_DIR` — parent of the temporary data directory (default: the system
//!   temp dir). Put it on the disk you mean to measure: a tmpfs makes `fsync` free.
//!
//! Run without `--bench` (as `cargo test --all-targets` does) it only smoke-tests itself
//! with very short phases.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use tipseal::cli::Client;
use tipseal::crypto::envelope::{open, seal};
use tipseal::crypto::hash32;
use tipseal::crypto::identity::Identity;
use tipseal::crypto::intake::{IntakePublicKey, IntakeSecretKey};
use tipseal::crypto::keyring::VerifiedKeyring;
use tipseal::crypto::keyring::{add_reviewer, genesis, intake_secret_for, verify_chain};
use tipseal::domain::bundle;
use tipseal::domain::envelope::{Flags, Kind};
use tipseal::domain::keyring::PersonName;
use tipseal::domain::tip::{AttachmentMeta, FileName, MediaType, SealedTip, TipDocument};
use tipseal::domain::{Epoch, TipId};
use tipseal::http::{Application, ServerSettings};

/// The sample tip: 1874 bytes of JSON, ~2 KB once wrapped as a sealed tip.
const SAMPLE_TIP: &str = include_str!("../tests/samples/ru-logging-khabarovsk.json");
/// Where [`SAMPLE_TIP`] comes from.
const SAMPLE_NAME: &str = "tests/samples/ru-logging-khabarovsk.json";
/// Size of the large attachment.
const BIG_ATTACHMENT: usize = 10 * 1024 * 1024;
/// Distinct pre-sealed bundles the clients cycle through (each POST has its own key).
const BUNDLE_POOL: usize = 256;

/// The peers of DESIGN.md §7, measured on the same 2-core machine with a ~2 KB tip.
/// Fields: name, one submission (text, median seconds), 16 clients (text, tips/s range).
type Peer = (&'static str, &'static str, f64, &'static str, (f64, f64));
const PEERS: &[Peer] = &[
    (
        "GlobaLeaks 5.0",
        "~2.2 s median",
        2.2,
        "~0.15-0.35 tips/s, most failing",
        (0.15, 0.35),
    ),
    (
        "Hush Line",
        "~40 ms median",
        0.040,
        "~22-27 tips/s",
        (22.0, 27.0),
    ),
];

struct Config {
    secs: f64,
    clients: usize,
    smoke: bool,
    dir: Option<PathBuf>,
}

impl Config {
    fn from_env() -> Self {
        let smoke = !std::env::args().any(|a| a == "--bench");
        let env_f64 = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<f64>().ok());
        let secs = if smoke {
            0.3
        } else {
            env_f64("TIPSEAL_BENCH_SECS").unwrap_or(8.0).max(0.1)
        };
        let clients = env_f64("TIPSEAL_BENCH_CLIENTS")
            .map(|c| c as usize)
            .unwrap_or(16)
            .max(1);
        Self {
            secs,
            clients,
            smoke,
            dir: std::env::var_os("TIPSEAL_BENCH_DIR").map(PathBuf::from),
        }
    }
}

/// A keyring with one admin and one reviewer, as `tipseal admin init` + `add-reviewer`.
struct Team {
    reviewer: Identity,
    keyring: VerifiedKeyring,
}

fn make_team() -> Team {
    let name = |s: &str| PersonName::parse(s).expect("a valid name");
    let admin = Identity::generate(name("bench-admin"));
    let reviewer = Identity::generate(name("bench-reviewer"));
    let g = verify_chain(&genesis(&admin, 30).expect("genesis"), None).expect("genesis verifies");
    let file = add_reviewer(&g, &admin, reviewer.public(), 30).expect("add reviewer");
    let keyring = verify_chain(&file, None).expect("the keyring verifies");
    Team { reviewer, keyring }
}

/// Starts the real server on its own thread and returns its port.
fn start_server(data_dir: PathBuf, keyring_file: PathBuf) -> u16 {
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name("bench-server".into())
        .spawn(move || {
            let mut settings =
                ServerSettings::new("127.0.0.1:0".parse().expect("an address"), data_dir);
            settings.keyring_file = Some(keyring_file);
            // Raw intake throughput: the anonymous rate limiter would measure itself.
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

/// The sealed-tip JSON the witness's client seals (tip document + attachment list).
fn sealed_tip_json(attachments: Vec<AttachmentMeta>) -> Vec<u8> {
    let doc = TipDocument::from_json(SAMPLE_TIP.as_bytes()).expect("the sample tip parses");
    SealedTip::new(doc, attachments)
        .expect("the sample has content")
        .to_json()
}

fn seal_tip_bundle(json: &[u8], epoch: Epoch, pk: &IntakePublicKey) -> Vec<u8> {
    let env = seal(json, Kind::Tip, Flags::NONE, epoch, pk).expect("a tip seals");
    bundle::encode(&[&env])
}

/// Deterministic filler (content does not matter to the cipher's speed).
fn filler(len: usize) -> Vec<u8> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// Allocated bytes (st_blocks × 512) and apparent bytes under `dir`.
fn disk_usage(dir: &Path) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    let mut alloc = 0;
    let mut apparent = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let Ok(m) = e.metadata() else { continue };
            if m.is_dir() {
                stack.push(e.path());
            } else {
                alloc += m.blocks() * 512;
                apparent += m.len();
            }
        }
    }
    (alloc, apparent)
}

fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(120))
        .build()
}

/// POSTs one bundle; `Some(latency)` when the server answered 201.
fn post(agent: &ureq::Agent, url: &str, body: &[u8], key: &str) -> Result<Duration, String> {
    let t = Instant::now();
    match agent
        .post(url)
        .set("Content-Type", "application/octet-stream")
        .set("Idempotency-Key", key)
        .send_bytes(body)
    {
        Ok(r) if r.status() == 201 => {
            let _ = r.into_string();
            Ok(t.elapsed())
        }
        Ok(r) => Err(format!("status {}", r.status())),
        Err(ureq::Error::Status(s, _)) => Err(format!("status {s}")),
        Err(e) => Err(format!("transport: {e}")),
    }
}

struct Phase {
    clients: usize,
    acked: usize,
    errors: HashMap<String, usize>,
    elapsed: Duration,
    latencies: Vec<Duration>,
    disk_alloc_per_tip: f64,
    disk_apparent_per_tip: f64,
}

static KEY_SEQ: AtomicUsize = AtomicUsize::new(0);

/// `clients` threads submit for `secs` seconds.
fn load_phase(
    url: &str,
    data_dir: &Path,
    pool: &Arc<Vec<Vec<u8>>>,
    clients: usize,
    secs: f64,
) -> Phase {
    let before = disk_usage(data_dir);
    let deadline = Duration::from_secs_f64(secs);
    let start = Instant::now();
    let handles: Vec<_> = (0..clients)
        .map(|c| {
            let pool = Arc::clone(pool);
            let url = url.to_owned();
            std::thread::spawn(move || {
                let agent = agent();
                let mut lat = Vec::new();
                let mut errors: HashMap<String, usize> = HashMap::new();
                let mut i = c;
                while start.elapsed() < deadline {
                    let key = format!("bench-{:012}", KEY_SEQ.fetch_add(1, Ordering::Relaxed));
                    match post(&agent, &url, &pool[i % pool.len()], &key) {
                        Ok(d) => lat.push(d),
                        Err(e) => *errors.entry(e).or_default() += 1,
                    }
                    i += clients;
                }
                (lat, errors)
            })
        })
        .collect();
    let mut latencies = Vec::new();
    let mut errors: HashMap<String, usize> = HashMap::new();
    for h in handles {
        let (l, e) = h.join().expect("a client thread");
        latencies.extend(l);
        for (k, v) in e {
            *errors.entry(k).or_default() += v;
        }
    }
    let elapsed = start.elapsed();
    latencies.sort();
    let after = disk_usage(data_dir);
    let acked = latencies.len();
    let per = |a: u64, b: u64| (a as f64 - b as f64) / acked.max(1) as f64;
    Phase {
        clients,
        acked,
        errors,
        elapsed,
        disk_alloc_per_tip: per(after.0, before.0),
        disk_apparent_per_tip: per(after.1, before.1),
        latencies,
    }
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Median of `runs` timings of `f` (after one untimed warm-up).
fn median_of<T>(runs: usize, mut f: impl FnMut() -> T) -> Duration {
    std::hint::black_box(f());
    let mut t: Vec<Duration> = (0..runs)
        .map(|_| {
            let s = Instant::now();
            std::hint::black_box(f());
            s.elapsed()
        })
        .collect();
    t.sort();
    t[t.len() / 2]
}

fn fmt_d(d: Duration) -> String {
    let us = d.as_secs_f64() * 1e6;
    if us < 1_000.0 {
        format!("{us:.0} µs")
    } else if us < 1_000_000.0 {
        format!("{:.2} ms", us / 1e3)
    } else {
        format!("{:.2} s", us / 1e6)
    }
}

/// What the reviewer's client does after fetching: open every part with the epoch's
/// intake secret, parse the sealed tip, check each attachment against its listed hash.
fn open_fetched(bytes: &[u8], sk: &IntakeSecretKey) -> SealedTip {
    let parsed = bundle::parse(bytes).expect("the fetched bundle parses");
    let mut opened = parsed
        .parts()
        .iter()
        .map(|p| open(p.bytes, sk).expect("the reviewer opens each part"));
    let first = opened.next().expect("a tip part");
    assert_eq!(first.kind, Kind::Tip);
    let sealed = SealedTip::from_json(&first.plaintext).expect("the sealed tip parses");
    for (meta, part) in sealed.attachments.iter().zip(opened) {
        let digest = hex::encode(hash32(b"", &[&part.plaintext]));
        assert_eq!(meta.size, part.plaintext.len() as u64);
        assert_eq!(meta.blake2b, digest, "attachment matches its hash");
    }
    sealed
}

struct RoundTrip {
    label: &'static str,
    wire_bytes: usize,
    login: Duration,
    fetch: Duration,
    open: Duration,
    total: Duration,
}

/// Reviewer: GET keyring + verify, login (challenge + signed session), fetch, open.
fn reviewer_round_trip(
    label: &'static str,
    base: &str,
    team: &Team,
    id: TipId,
    runs: usize,
) -> RoundTrip {
    let client = Client::new(base, None).expect("a client");
    let mut rows: Vec<[Duration; 4]> = (0..runs.max(1))
        .map(|_| {
            let t0 = Instant::now();
            let keyring = client.keyring().expect("the keyring verifies");
            let session = client.login(&team.reviewer).expect("the reviewer logs in");
            let t1 = Instant::now();
            let bytes = client.fetch(&session, id).expect("the tip is fetched");
            let t2 = Instant::now();
            let sk = intake_secret_for(&keyring, keyring.epoch(), &team.reviewer)
                .expect("the reviewer's grant opens");
            std::hint::black_box(open_fetched(&bytes, &sk));
            let t3 = Instant::now();
            [t1 - t0, t2 - t1, t3 - t2, t3 - t0]
        })
        .collect();
    rows.sort_by_key(|r| r[3]);
    let m = rows[rows.len() / 2];
    let wire = {
        let session = client.login(&team.reviewer).expect("login");
        client.fetch(&session, id).expect("fetch").len()
    };
    RoundTrip {
        label,
        wire_bytes: wire,
        login: m[0],
        fetch: m[1],
        open: m[2],
        total: m[3],
    }
}

fn submit_one(base: &str, bundle: &[u8]) -> TipId {
    let key = format!("bench-rt-{:012}", KEY_SEQ.fetch_add(1, Ordering::Relaxed));
    Client::new(base, None)
        .expect("client")
        .submit(bundle, &key)
        .expect("the bundle is accepted")
        .id
}

fn main() {
    let cfg = Config::from_env();
    tipseal::crypto::init().expect("libsodium initialises");
    let parent = match &cfg.dir {
        Some(d) => tempfile::TempDir::new_in(d),
        None => tempfile::TempDir::new(),
    }
    .expect("a temporary directory");
    let data_dir = parent.path().join("server-data");
    let keyring_path = parent.path().join("keyring.json");

    let team = make_team();
    std::fs::write(&keyring_path, team.keyring.to_json()).expect("write the keyring");
    let epoch = team.keyring.epoch();
    let pk = team.keyring.intake_public_key();
    let port = start_server(data_dir.clone(), keyring_path);
    let base = format!("http://127.0.0.1:{port}");
    let tips_url = format!("{base}/api/v1/tips");

    // ---- client-side sealing -------------------------------------------------------
    let tip_json = sealed_tip_json(Vec::new());
    let small_runs = if cfg.smoke { 20 } else { 2000 };
    let seal_small = median_of(small_runs, || seal_tip_bundle(&tip_json, epoch, &pk));

    let big = filler(BIG_ATTACHMENT);
    let big_runs = if cfg.smoke { 1 } else { 7 };
    let seal_big = median_of(big_runs, || {
        seal(&big, Kind::Attachment, Flags::NONE, epoch, &pk).expect("10 MiB seals")
    });
    let big_env = seal(&big, Kind::Attachment, Flags::NONE, epoch, &pk).expect("10 MiB seals");
    let sk = intake_secret_for(&team.keyring, epoch, &team.reviewer).expect("grant opens");
    let open_big = median_of(big_runs, || open(&big_env, &sk).expect("10 MiB opens"));
    let open_small_env = seal(&tip_json, Kind::Tip, Flags::NONE, epoch, &pk).expect("seals");
    let open_small = median_of(small_runs, || open(&open_small_env, &sk).expect("opens"));

    // ---- load phases ---------------------------------------------------------------
    let pool: Arc<Vec<Vec<u8>>> = Arc::new(
        (0..BUNDLE_POOL)
            .map(|_| seal_tip_bundle(&tip_json, epoch, &pk))
            .collect(),
    );
    let wire_tip = pool[0].len();
    // Warm-up: connections, sled's first segments, the commit thread.
    let _ = load_phase(&tips_url, &data_dir, &pool, 4, cfg.secs.min(1.0) / 2.0);
    let phases = [
        load_phase(&tips_url, &data_dir, &pool, 1, cfg.secs),
        load_phase(&tips_url, &data_dir, &pool, cfg.clients, cfg.secs),
    ];

    // ---- reviewer round trips --------------------------------------------------------
    let small_id = submit_one(&base, &pool[0]);
    let big_json = sealed_tip_json(vec![AttachmentMeta {
        part: 1,
        name: FileName::from_path_lossy(Path::new("site-video.mp4")),
        media_type: MediaType::parse("video/mp4".into()).expect("a media type"),
        size: big.len() as u64,
        blake2b: hex::encode(hash32(b"", &[&big])),
    }]);
    let big_tip_env = seal(&big_json, Kind::Tip, Flags::NONE, epoch, &pk).expect("seals");
    let big_bundle = bundle::encode(&[&big_tip_env, &big_env]);
    let t = Instant::now();
    let big_id = submit_one(&base, &big_bundle);
    let submit_big = t.elapsed();
    let rt_runs = if cfg.smoke { 1 } else { 9 };
    let trips = [
        reviewer_round_trip("~2 KB tip", &base, &team, small_id, rt_runs),
        reviewer_round_trip(
            "tip + 10 MiB attachment",
            &base,
            &team,
            big_id,
            rt_runs.min(5),
        ),
    ];

    // ---- report ----------------------------------------------------------------------
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!();
    println!(
        "tipseal intake bench{} — {cores} cores, {:.1} s per phase, data dir {}",
        if cfg.smoke {
            " (SMOKE MODE: not figures)"
        } else {
            ""
        },
        cfg.secs,
        data_dir.display()
    );
    println!(
        "real server in-process (actix, default workers) · real HTTP/1.1 keep-alive (ureq) · \
         201 = after group-commit db.flush()"
    );
    println!(
        "sample: {SAMPLE_NAME} ({} B sealed-tip JSON → {} B bundle on the wire; {BUNDLE_POOL} distinct \
         pre-sealed bundles, one fresh Idempotency-Key per POST)",
        tip_json.len(),
        wire_tip
    );
    println!();
    println!(
        "{:<10} {:>8} {:>10} {:>9} {:>9} {:>9} {:>10} {:>14} {:>8}",
        "clients", "acked", "tips/s", "p50", "p95", "p99", "max", "disk B/tip", "errors"
    );
    for p in &phases {
        let errs: usize = p.errors.values().sum();
        println!(
            "{:<10} {:>8} {:>10.1} {:>9} {:>9} {:>9} {:>10} {:>14} {:>8}",
            p.clients,
            p.acked,
            p.acked as f64 / p.elapsed.as_secs_f64(),
            fmt_d(pct(&p.latencies, 0.50)),
            fmt_d(pct(&p.latencies, 0.95)),
            fmt_d(pct(&p.latencies, 0.99)),
            fmt_d(p.latencies.last().copied().unwrap_or_default()),
            format!(
                "{:.0} ({:.0})",
                p.disk_alloc_per_tip, p.disk_apparent_per_tip
            ),
            errs
        );
        for (e, n) in &p.errors {
            println!("           error: {e} ×{n}");
        }
    }
    println!(
        "           disk B/tip = growth of the data dir's allocated blocks (apparent size) / \
         acked tips in that phase"
    );
    let total = disk_usage(&data_dir);
    println!(
        "           data dir at the end: {:.1} MiB allocated, {:.1} MiB apparent",
        total.0 as f64 / 1048576.0,
        total.1 as f64 / 1048576.0
    );

    println!();
    println!("peers (DESIGN.md §7, same 2-core machine, loopback, ~2 KB text tip):");
    println!(
        "{:<16} {:>16} {:>34}   tipseal is …",
        "", "one submission", "16 concurrent clients"
    );
    let one = &phases[0];
    let one_p50 = pct(&one.latencies, 0.5);
    let many = &phases[1];
    let many_rate = many.acked as f64 / many.elapsed.as_secs_f64();
    println!(
        "{:<16} {:>16} {:>34}",
        "tipseal (here)",
        format!("{} median", fmt_d(one_p50)),
        format!("{many_rate:.0} tips/s ({} clients)", many.clients),
    );
    for (name, one_s, one_secs, many_s, (lo, hi)) in PEERS {
        println!(
            "{:<16} {:>16} {:>34}   {:.0}× faster median, {:.0}–{:.0}× the tips/s",
            name,
            one_s,
            many_s,
            one_secs / one_p50.as_secs_f64().max(1e-9),
            many_rate / hi,
            many_rate / lo
        );
    }

    println!();
    println!("client-side crypto (median):");
    println!(
        "  seal ~2 KB tip → bundle ({} B JSON, bucket 16 KiB)   {:>10}",
        tip_json.len(),
        fmt_d(seal_small)
    );
    println!(
        "  open ~2 KB tip envelope                            {:>10}",
        fmt_d(open_small)
    );
    let mibs = |d: Duration| BIG_ATTACHMENT as f64 / 1048576.0 / d.as_secs_f64();
    let bucket_mibs = |d: Duration| 16.0 / d.as_secs_f64();
    println!(
        "  seal 10 MiB attachment (bucket 16 MiB)             {:>10}  ({:.0} MiB/s of plaintext, {:.0} MiB/s of bucket)",
        fmt_d(seal_big),
        mibs(seal_big),
        bucket_mibs(seal_big)
    );
    println!(
        "  open 10 MiB attachment                             {:>10}  ({:.0} MiB/s of plaintext, {:.0} MiB/s of bucket)",
        fmt_d(open_big),
        mibs(open_big),
        bucket_mibs(open_big)
    );
    println!(
        "  submit tip + 10 MiB attachment ({:.1} MiB bundle)   {:>10}  (one POST, to 201)",
        big_bundle.len() as f64 / 1048576.0,
        fmt_d(submit_big)
    );

    println!();
    println!(
        "reviewer round trip (median; login = GET keyring + verify chain + challenge + session):"
    );
    println!(
        "  {:<26} {:>12} {:>10} {:>10} {:>10} {:>10}",
        "", "fetched", "login", "fetch", "open", "total"
    );
    for r in &trips {
        println!(
            "  {:<26} {:>12} {:>10} {:>10} {:>10} {:>10}",
            r.label,
            format!("{} B", r.wire_bytes),
            fmt_d(r.login),
            fmt_d(r.fetch),
            fmt_d(r.open),
            fmt_d(r.total)
        );
    }
    println!();
}
