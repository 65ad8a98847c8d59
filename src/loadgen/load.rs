//! The load: N client threads, each with its own keep-alive connection (a `ureq` agent,
//! or with `--http raw` the minimal client of `rawhttp`), POST pre-sealed bundles for a
//! bounded time. Only a `201` counts — the server sends it
//! after the group-commit flush, so it is a durable acknowledgement.
//!
//! Per request the client does one key format, one POST of bytes already in memory and
//! one histogram increment; it must never seal, hash or allocate bundles on the clock.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::histogram::Histogram;
use super::rawhttp::RawClient;
use super::Http;

/// Longest a single request may take before it counts as a transport error.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);

/// What one load phase produced.
pub struct LoadResult {
    /// Latencies of the acknowledged (201) requests.
    pub latencies: Histogram,
    /// Failed requests by cause: the HTTP status and the error body's code (`503 busy`),
    /// or `transport`.
    pub errors: BTreeMap<String, u64>,
    /// Wall time from the first request to the last answer.
    pub elapsed: Duration,
}

impl LoadResult {
    /// Durably acknowledged tips.
    pub fn acked(&self) -> u64 {
        self.latencies.count()
    }

    /// Acknowledged tips per second of wall time.
    pub fn tips_per_s(&self) -> f64 {
        self.acked() as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// `clients` threads POST `pool`'s bundles to `base/api/v1/tips` for `run_for`, each
/// with a fresh `Idempotency-Key` starting with `key_prefix`.
pub fn run(
    base: &str,
    pool: &Arc<Vec<Vec<u8>>>,
    clients: usize,
    run_for: Duration,
    key_prefix: &str,
    http: Http,
) -> LoadResult {
    let plan = Arc::new(Plan {
        url: format!("{base}/api/v1/tips"),
        http,
        pool: Arc::clone(pool),
        stride: clients,
        deadline: Instant::now() + run_for,
        seq: AtomicU64::new(0),
        prefix: key_prefix.to_owned(),
    });
    let start = Instant::now();
    let threads: Vec<_> = (0..clients)
        .map(|c| {
            let plan = Arc::clone(&plan);
            std::thread::spawn(move || client(&plan, c))
        })
        .collect();
    let mut result = LoadResult {
        latencies: Histogram::default(),
        errors: BTreeMap::new(),
        elapsed: Duration::ZERO,
    };
    for t in threads {
        // A panicking client thread is a bug in this module; its requests are lost to
        // the figures, which the error count then shows.
        match t.join() {
            Ok((h, errors)) => {
                result.latencies.merge(&h);
                for (k, v) in errors {
                    *result.errors.entry(k).or_default() += v;
                }
            }
            Err(_) => *result.errors.entry("client panic".into()).or_default() += 1,
        }
    }
    result.elapsed = start.elapsed();
    result
}

/// What every client thread shares.
struct Plan {
    url: String,
    http: Http,
    pool: Arc<Vec<Vec<u8>>>,
    /// Client `c` sends bundles `c`, `c + stride`, … of the pool.
    stride: usize,
    deadline: Instant,
    /// The next idempotency key's number, across threads.
    seq: AtomicU64,
    prefix: String,
}

fn client(plan: &Plan, first: usize) -> (Histogram, BTreeMap<String, u64>) {
    let pool = &plan.pool;
    let mut conn = Conn::new(plan.http, &plan.url);
    let mut latencies = Histogram::default();
    let mut errors: BTreeMap<String, u64> = BTreeMap::new();
    let mut i = first;
    while Instant::now() < plan.deadline {
        let n = plan.seq.fetch_add(1, Ordering::Relaxed);
        let key = format!("{}-{n:012}", plan.prefix);
        let t = Instant::now();
        match conn.post(&pool[i % pool.len()], &key) {
            Ok(()) => latencies.record(t.elapsed()),
            Err(cause) => *errors.entry(cause).or_default() += 1,
        }
        i += plan.stride;
    }
    (latencies, errors)
}

/// One client's connection, through the chosen HTTP client.
enum Conn {
    Ureq(ureq::Agent, String),
    Raw(Option<RawClient>),
}

impl Conn {
    fn new(http: Http, url: &str) -> Self {
        match http {
            Http::Ureq => Conn::Ureq(
                // Sends the one constant client name the `tipseal` commands send (the
                // server never reads it); ureq's default would name its version.
                ureq::AgentBuilder::new()
                    .user_agent("tipseal")
                    .timeout(REQUEST_TIMEOUT)
                    .build(),
                url.to_owned(),
            ),
            Http::Raw => Conn::Raw(RawClient::new(url, REQUEST_TIMEOUT)),
        }
    }

    /// POSTs one bundle: `Ok` on 201, else the cause to count it under.
    fn post(&mut self, body: &[u8], key: &str) -> Result<(), String> {
        match self {
            Conn::Ureq(agent, url) => {
                let answer = agent
                    .post(url)
                    .set("Content-Type", "application/octet-stream")
                    .set("Idempotency-Key", key)
                    .send_bytes(body);
                match answer {
                    Ok(r) if r.status() == 201 => {
                        // Read the receipt so the connection can be reused.
                        let _ = r.into_string();
                        Ok(())
                    }
                    Ok(r) | Err(ureq::Error::Status(_, r)) => {
                        let status = r.status();
                        Err(refusal(status, r.into_string().ok()))
                    }
                    Err(ureq::Error::Transport(_)) => Err("transport".into()),
                }
            }
            Conn::Raw(None) => Err("transport (not an http:// URL)".into()),
            Conn::Raw(Some(raw)) => match raw.post(body, key) {
                Ok((201, _)) => Ok(()),
                Ok((status, answer)) => Err(refusal(status, String::from_utf8(answer).ok())),
                Err(_) => Err("transport".into()),
            },
        }
    }
}

/// The key under which a refusal is counted: its status and the `code` of the server's
/// fixed JSON error body (`503 busy`), or the status alone when the body has none.
fn refusal(status: u16, body: Option<String>) -> String {
    let code = body
        .and_then(|b| serde_json::from_str::<serde_json::Value>(&b).ok())
        .and_then(|v| v["code"].as_str().map(str::to_owned));
    match code {
        Some(c) => format!("{status} {c}"),
        None => status.to_string(),
    }
}
