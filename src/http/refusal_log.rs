//! Refusals by design — 503 (busy, not accepting, rate limited) and 507 (disk floor) —
//! summarised at WARN, so an operator can tell load or an attack from a fault.
//!
//! A fault (storage failure, internal error) is logged at ERROR, once per request, by
//! `error.rs`. A refusal is the server protecting itself: a flood of them must neither
//! drown the log nor look like breakage. Each refusal only bumps a counter; a
//! background thread writes one WARN line per code at fixed ticks (every
//! [`SUMMARY_INTERVAL`]) and at shutdown, with the count since the last line.
//!
//! Must never: log a line per refused request (the line's time, added by a supervisor
//! such as journald, would time a witness's request), or anything about the request.
//! Lines are written at tick times, not at refusal times: they say only that some
//! requests were refused during the last interval.

use std::collections::BTreeMap;
use std::sync::{Mutex, Once};
use std::time::Duration;

/// How often counts are written (when there were refusals).
pub const SUMMARY_INTERVAL: Duration = Duration::from_secs(60);

static COUNTS: Mutex<BTreeMap<&'static str, u64>> = Mutex::new(BTreeMap::new());
static TICKER: Once = Once::new();

/// Counts one refusal with this error code (`busy`, `insufficient_storage`, …).
pub fn note(code: &'static str) {
    *lock().entry(code).or_insert(0) += 1;
    TICKER.call_once(|| {
        let spawned = std::thread::Builder::new()
            .name("refusal-log".into())
            .spawn(|| loop {
                std::thread::sleep(SUMMARY_INTERVAL);
                flush();
            });
        if spawned.is_err() {
            tracing::warn!("the refusal summary thread did not start: counts appear at shutdown");
        }
    });
}

/// Writes the counts since the last line (one WARN line per code) and resets them.
/// Called by the ticker and at shutdown.
pub fn flush() {
    let counts = std::mem::take(&mut *lock());
    for (code, refused) in counts {
        tracing::warn!(
            code,
            refused,
            interval_secs = SUMMARY_INTERVAL.as_secs(),
            "requests refused by design (load, limits or the disk floor; not a fault)"
        );
    }
}

fn lock() -> std::sync::MutexGuard<'static, BTreeMap<&'static str, u64>> {
    // A panic while holding this lock cannot leave the map inconsistent: keep counting.
    COUNTS.lock().unwrap_or_else(|e| e.into_inner())
}
