//! What one tip's index writes cost with N tips already stored, without HTTP, the kernel's
//! socket work or 17 GB of sealed bytes on disk: the issue-11 question "why is intake with
//! a million stored slower than on an empty store" asked of the index alone, in seconds,
//! reproducibly (BENCHMARKS.md, "A million stored (session 19)"). Not part of the
//! `tipseal` binary; it never touches a real data directory (it makes its own under
//! `DIR` and removes it).
//!
//! Shapes:
//! - `store`: the real `Store::insert_tip` (small-tip path: pending mark, log record,
//!   record — since schema 3 holding the wrap —, idempotency compare-and-swap; the mark
//!   cleared once durable), with
//!   64-byte bodies so the bundle log stays small; a `durable_blocking` every 64 tips
//!   stands for the group commit.
//! - `sled`: the same sled operations on bare trees, to check that the simulation matches
//!   `store`.
//! - `merged`: the same, with each part's wrap inside the tip record instead of a tree of
//!   its own (one random-keyed tree written per tip instead of two) — measured as a
//!   candidate in session 19, built as record format 3 since (so `store` now tracks it).
//! - `sled-lean`, `merged-lean`: without the reads a compare-and-swap could stand for
//!   (the second idempotency lookup and the id's existence check).
//!
//! Usage: `cargo run --release --example index_cost -- DIR SHAPE STORED MEASURE CACHE_MIB`.
//! Prints one line of JSON: preload seconds, CPU µs per measured tip (process user +
//! system, every thread), wall µs per tip, resident MiB after a reopen (idle) and at the
//! end, peak MiB.

use std::path::{Path, PathBuf};
use std::time::Instant;

use tipseal::domain::{Day, Epoch};
use tipseal::storage::{Idempotency, NewPart, NewTip, Store};

/// Tips between two `durable` calls while measuring: a group-commit batch at 64 clients.
const BATCH: u64 = 64;
/// Tips between two flushes while preloading.
const PRELOAD_FLUSH: u64 = 1000;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir, shape, stored, measure, cache_mib] = &args[..] else {
        eprintln!("usage: index_cost DIR store|sled|merged|sled-lean|merged-lean STORED MEASURE CACHE_MIB");
        std::process::exit(2);
    };
    let n: u64 = stored.parse().expect("STORED is a count");
    let m: u64 = measure.parse().expect("MEASURE is a count");
    let cache = cache_mib.parse::<u64>().expect("CACHE_MIB is a count") << 20;
    let run = PathBuf::from(dir).join(format!(
        "index-cost-{}",
        hex::encode(tipseal::crypto::random_bytes::<6>())
    ));
    std::fs::create_dir_all(&run).expect("the run's directory can be made");
    let result = match shape.as_str() {
        "store" => with_store(&run, n, m, cache),
        "sled" => with_sled(&run, n, m, cache, false, false),
        "merged" => with_sled(&run, n, m, cache, true, false),
        "sled-lean" => with_sled(&run, n, m, cache, false, true),
        "merged-lean" => with_sled(&run, n, m, cache, true, true),
        other => panic!("unknown shape {other}: store, sled, merged, sled-lean or merged-lean"),
    };
    let _ = std::fs::remove_dir_all(&run);
    let r = result;
    println!(
        "{{\"shape\":\"{shape}\",\"stored\":{n},\"measured\":{m},\"cache_mib\":{cache_mib},\
         \"preload_s\":{:.1},\"cpu_us_per_tip\":{:.1},\"wall_us_per_tip\":{:.1},\
         \"idle_rss_mib\":{:.1},\"end_rss_mib\":{:.1},\"peak_rss_mib\":{:.1}}}",
        r.preload_s, r.cpu_us, r.wall_us, r.idle_mib, r.end_mib, r.peak_mib
    );
}

struct Figures {
    preload_s: f64,
    cpu_us: f64,
    wall_us: f64,
    idle_mib: f64,
    end_mib: f64,
    peak_mib: f64,
}

const HEADER: [u8; 68] = [7; 68];
const WRAP: [u8; 84] = [9; 84];
const BODY: [u8; 64] = [5; 64];

/// A tip received `days_ago` days before today, under the id the intake route would give
/// it (random bytes, then the day).
fn new_tip(days_ago: u64, idempotency: Option<Idempotency>) -> NewTip<'static> {
    let received = Day::today().plus_days(-(days_ago as i64));
    NewTip {
        id: tipseal::crypto::new_tip_id(received),
        received,
        epoch: Epoch::new(1).expect("epoch 1 is valid"),
        flags: 0,
        parts: vec![NewPart {
            header: &HEADER,
            wrap: &WRAP,
            body: &BODY,
        }],
        idempotency,
    }
}

fn with_store(run: &Path, n: u64, m: u64, cache: u64) -> Figures {
    let data = run.join("data");
    let started = Instant::now();
    {
        let store = Store::open_with_cache(&data, tipseal::crypto::random_bytes(), cache)
            .expect("the store opens");
        for i in 0..n {
            // Spread over a year, as `tipseal bench`'s preload does (`SPREAD_DAYS`).
            let days_ago = i % tipseal::loadgen::SPREAD_DAYS;
            store
                .insert_tip(new_tip(days_ago, None))
                .expect("a preload insert");
            if i % PRELOAD_FLUSH == PRELOAD_FLUSH - 1 {
                store.durable_blocking().expect("a preload flush");
            }
        }
        store.durable_blocking().expect("the last preload flush");
    }
    let preload_s = started.elapsed().as_secs_f64();
    // Reopened, as the server starts on a stored directory.
    let store = Store::open_with_cache(&data, tipseal::crypto::random_bytes(), cache)
        .expect("the store reopens");
    let idle_mib = rss_mib("VmRSS");
    let (cpu0, wall0) = (cpu_us(), Instant::now());
    for i in 0..m {
        let idem = Idempotency {
            key_hash: tipseal::crypto::random_bytes(),
            body_hash: [1; 32],
            legacy_body_hash: None,
            mailbox: None,
        };
        // The intake route asks first whether the key is a retry (`check_retry`).
        assert!(store.idempotent_outcome(&idem).expect("a lookup").is_none());
        store.insert_tip(new_tip(0, Some(idem))).expect("an insert");
        if i % BATCH == BATCH - 1 {
            store.durable_blocking().expect("a flush");
        }
    }
    store.durable_blocking().expect("the last flush");
    figures(preload_s, cpu0, wall0, m, idle_mib)
}

fn open_sled(dir: &Path, cache: u64) -> sled::Db {
    sled::Config::new()
        .path(dir)
        .cache_capacity(cache)
        .segment_size(4 << 20)
        .flush_every_ms(None)
        .open()
        .expect("sled opens")
}

/// The small-tip path's sled operations: record 40 B (format 2, one part), wrap 84 B,
/// idempotency value 81 B; `merged` puts the wrap into the record (124 B) instead.
fn with_sled(run: &Path, n: u64, m: u64, cache: u64, merged: bool, lean: bool) -> Figures {
    let dir = run.join("sled");
    let record = |merged: bool| {
        if merged {
            vec![3u8; 40 + 84]
        } else {
            vec![3u8; 40]
        }
    };
    let started = Instant::now();
    {
        let db = open_sled(&dir, cache);
        let (tips, wraps) = (
            db.open_tree("tips").unwrap(),
            db.open_tree("wraps").unwrap(),
        );
        for i in 0..n {
            let id: [u8; 16] = tipseal::crypto::random_bytes();
            if !merged {
                wraps.insert(wrap_key(&id), &WRAP[..]).unwrap();
            }
            tips.insert(id, record(merged)).unwrap();
            if i % PRELOAD_FLUSH == PRELOAD_FLUSH - 1 {
                db.flush().unwrap();
            }
        }
        db.flush().unwrap();
    }
    let preload_s = started.elapsed().as_secs_f64();
    let db = open_sled(&dir, cache);
    let tree = |name: &str| db.open_tree(name).unwrap();
    let (tips, wraps, idem, pending) = (
        tree("tips"),
        tree("wraps"),
        tree("idempotency"),
        tree("pending"),
    );
    let idle_mib = rss_mib("VmRSS");
    let (cpu0, wall0) = (cpu_us(), Instant::now());
    let mut marked = Vec::with_capacity(BATCH as usize);
    for i in 0..m {
        let id: [u8; 16] = tipseal::crypto::random_bytes();
        let key: [u8; 32] = tipseal::crypto::random_bytes();
        assert!(idem.get(key).unwrap().is_none()); // check_retry
        if !lean {
            assert!(idem.get(key).unwrap().is_none()); // before_staging
            assert!(!tips.contains_key(id).unwrap());
        }
        pending.insert(id, &key[..]).unwrap();
        if !merged {
            wraps.insert(wrap_key(&id), &WRAP[..]).unwrap();
        }
        tips.insert(id, record(merged)).unwrap();
        idem.compare_and_swap(key, None as Option<&[u8]>, Some(&[4u8; 81][..]))
            .unwrap()
            .expect("a fresh key");
        marked.push(id);
        if i % BATCH == BATCH - 1 {
            db.flush().unwrap();
            for id in marked.drain(..) {
                pending.remove(id).unwrap();
            }
        }
    }
    db.flush().unwrap();
    figures(preload_s, cpu0, wall0, m, idle_mib)
}

fn wrap_key(id: &[u8; 16]) -> [u8; 18] {
    let mut k = [0u8; 18];
    k[..16].copy_from_slice(id);
    k
}

fn figures(preload_s: f64, cpu0: f64, wall0: Instant, m: u64, idle_mib: f64) -> Figures {
    let per = m.max(1) as f64;
    Figures {
        preload_s,
        cpu_us: (cpu_us() - cpu0) / per,
        wall_us: wall0.elapsed().as_secs_f64() * 1e6 / per,
        idle_mib,
        end_mib: rss_mib("VmRSS"),
        peak_mib: rss_mib("VmHWM"),
    }
}

/// User + system CPU of the whole process (every thread, sled's included), in µs.
fn cpu_us() -> f64 {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage fills the struct it is given; RUSAGE_SELF is always valid.
    let usage = unsafe {
        libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr());
        usage.assume_init()
    };
    let tv = |t: libc::timeval| t.tv_sec as f64 * 1e6 + t.tv_usec as f64;
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// A line of `/proc/self/status` (`VmRSS`, `VmHWM`), in MiB.
fn rss_mib(field: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}
