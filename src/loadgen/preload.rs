//! Filling a data directory with stored tips before the server starts, straight through
//! the storage layer: the same `Store::insert_tip` the intake route calls, with bundles
//! sealed once and reused under fresh ids, and one flush per [`FLUSH_EVERY`] tips instead
//! of one per tip — so a million tips load in minutes, not hours.
//!
//! It must never run on a directory a server has open (sled's lock refuses it anyway),
//! and never store anything the intake route would refuse.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::domain::{bundle, Day, TipId};
use crate::storage::{NewPart, NewTip, StorageError, Store};

use super::LoadgenError;

/// Tips inserted between two flushes: one `db.flush()` then writes ~16 MB of sealed
/// bytes, large enough to amortise it, small enough that sled's dirty pages stay modest.
const FLUSH_EVERY: u64 = 1000;
/// Inserting threads (sled takes concurrent writers; two keep a 2-core machine busy).
const THREADS: u64 = 2;

/// Days the preloaded tips are spread over, ending today: a store holds tips that came in
/// over months, and it keys tips by their day first (`storage::layout::tip_key`), so how
/// many share today's range decides what an insert costs. A year of a million tips is
/// ~2,740 a day.
pub const SPREAD_DAYS: u64 = 365;

/// Stores `n` tips built from `pool` under fresh ids in `dir`, received over the last
/// [`SPREAD_DAYS`] days; how long it took.
pub fn fill(dir: &Path, pool: &[Vec<u8>], n: u64) -> Result<Duration, LoadgenError> {
    let started = Instant::now();
    let store = Store::open(dir, crate::crypto::random_bytes())?;
    let done = AtomicU64::new(0);
    let today = Day::today();
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..THREADS)
            .map(|t| {
                let (store, done) = (&store, &done);
                s.spawn(move || -> Result<(), LoadgenError> {
                    let mut i = t;
                    while i < n {
                        let received = today.plus_days(-((i % SPREAD_DAYS) as i64));
                        insert_sealed(store, &pool[(i as usize) % pool.len()], received)?;
                        if done.fetch_add(1, Ordering::Relaxed) % FLUSH_EVERY == FLUSH_EVERY - 1 {
                            store.durable_blocking()?;
                        }
                        i += THREADS;
                    }
                    Ok(())
                })
            })
            .collect();
        workers.into_iter().try_for_each(|w| {
            w.join()
                .unwrap_or(Err(LoadgenError::Preload("a thread panicked")))
        })
    })?;
    store.durable_blocking()?;
    Ok(started.elapsed())
}

/// Stores the sealed bundle `sealed` under a fresh id as received on `received`, as the
/// intake route would store it (no flush: the caller makes it durable). Also how tests
/// hold a tip older than the test.
pub fn insert_sealed(store: &Store, sealed: &[u8], received: Day) -> Result<TipId, LoadgenError> {
    let parsed = bundle::parse(sealed).map_err(crate::cli::CliError::from)?;
    let wraps: Vec<[u8; crate::storage::WRAP_LEN]> =
        parsed.parts().iter().map(|p| p.wrap.encode()).collect();
    let id = crate::crypto::new_tip_id(received);
    let new = NewTip {
        id,
        received,
        epoch: parsed.epoch(),
        flags: parsed.flags().bits(),
        parts: parsed
            .parts()
            .iter()
            .zip(&wraps)
            .map(|(p, w)| NewPart::of_envelope(p, w))
            .collect(),
        idempotency: None,
    };
    store
        .insert_tip(new)
        .map(|_| id)
        .map_err(|e: StorageError| e.into())
}
