//! Refusals by design — 503 (busy, not accepting, rate limited) and 507 (disk floor) —
//! summarised at WARN, so an operator can tell load or an attack from a fault.
//!
//! A fault (storage failure, internal error) is logged at ERROR, once per request, by
//! `error.rs`. A refusal is the server protecting itself: a flood of them must neither
//! drown the log nor look like breakage. Each refusal only bumps a counter; the
//! server's notice timer (`watch`, started with the server, not at the first refusal)
//! writes one WARN line per code at each tick and at shutdown, with the count since the
//! last line.
//!
//! Must never: log a line per refused request (the line's time, added by a supervisor
//! such as journald, would time a witness's request), or anything about the request.
//! Lines are written at tick times counted from start-up, not at refusal times: they
//! say only that some requests were refused during the last interval.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

static COUNTS: Mutex<BTreeMap<&'static str, u64>> = Mutex::new(BTreeMap::new());

/// Counts one refusal with this error code (`busy`, `insufficient_storage`, …). Writes
/// nothing: the count appears at the next tick.
pub fn note(code: &'static str) {
    *lock().entry(code).or_insert(0) += 1;
}

/// Writes the counts since the last line (one WARN line per code) and resets them.
/// Called by the notice timer every `interval` and at shutdown.
pub fn flush(interval: Duration) {
    let counts = std::mem::take(&mut *lock());
    for (code, refused) in counts {
        tracing::warn!(
            code,
            refused,
            interval_secs = interval.as_secs(),
            "requests refused by design (load, limits or the disk floor; not a fault)"
        );
    }
}

fn lock() -> std::sync::MutexGuard<'static, BTreeMap<&'static str, u64>> {
    // A panic while holding this lock cannot leave the map inconsistent: keep counting.
    COUNTS.lock().unwrap_or_else(|e| e.into_inner())
}
