//! What writing the bundle log's records costs the kernel, by how they are written: the
//! question behind `storage/bundles/staging.rs` (BENCHMARKS.md, "Session 24"), asked of
//! one file on the disk under test, without HTTP or sled. Not part of the `tipseal`
//! binary; it writes one scratch file `DIR/segment-writes.tmp` and removes it.
//!
//! Records of 16,597 bytes (a text tip's frame ‖ header ‖ body) are appended to a 60 MiB
//! file in batches of `PER_BATCH`, with one `fdatasync` per batch, as the group commit
//! does. Shapes:
//! - `each`: one `pwrite` per record, as the log did before session 24;
//! - `batched`: the batch's records copied into one buffer and written with one `pwrite`
//!   (the copy counted), as the log does now;
//! - `prezeroed`: one `pwrite` per record into a file whose 64 MiB of zeros were written
//!   and synced beforehand, *not counted* (what pre-extending segments would gain if the
//!   zeros were free);
//! - `zero-ahead`: the same, with the zeros written and synced 4 MiB ahead of the
//!   records and counted (what pre-extending would really cost).
//!
//! Usage: `cargo run --release --example segment_writes -- DIR [PER_BATCH] [ROUNDS]`
//! (defaults 16 and 3). Prints one line per shape and round: records per second, CPU µs
//! per record (this thread, user + system, from `/proc/thread-self/schedstat`), µs of
//! `pwrite` per record and µs per `fdatasync`.

use std::fs::OpenOptions;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::time::{Duration, Instant};

const RECORD: usize = 16_597;
const FILE_BYTES: u64 = 60 << 20;
const ZERO_CHUNK: u64 = 4 << 20;

#[derive(Clone, Copy, PartialEq)]
enum Shape {
    Each,
    Batched,
    Prezeroed,
    ZeroAhead,
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let dir = args.get(1).map(Path::new).unwrap_or(Path::new("."));
    let per: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(16);
    let rounds: usize = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(3);
    let path = dir.join("segment-writes.tmp");
    for round in 1..=rounds {
        for (name, shape) in [
            ("each", Shape::Each),
            ("batched", Shape::Batched),
            ("prezeroed", Shape::Prezeroed),
            ("zero-ahead", Shape::ZeroAhead),
        ] {
            let r = run(&path, shape, per);
            std::fs::remove_file(&path)?;
            let r = r?;
            println!(
                "round {round} {name:10} per {per}: {:6.0} rec/s, cpu {:5.1} µs/rec, pwrite {:5.1} µs/rec, {:5.0} µs/fdatasync",
                r.records as f64 / r.wall.as_secs_f64(),
                r.cpu.as_secs_f64() * 1e6 / r.records as f64,
                r.writing.as_secs_f64() * 1e6 / r.records as f64,
                r.syncing.as_secs_f64() * 1e6 / r.syncs as f64,
            );
        }
    }
    Ok(())
}

struct Figures {
    records: u64,
    syncs: u64,
    wall: Duration,
    cpu: Duration,
    writing: Duration,
    syncing: Duration,
}

fn run(path: &Path, shape: Shape, per: usize) -> std::io::Result<Figures> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)?;
    let record = vec![0xab_u8; RECORD];
    let zeros = vec![0_u8; ZERO_CHUNK as usize];
    if shape == Shape::Prezeroed {
        let mut at = 0;
        while at < FILE_BYTES + ZERO_CHUNK {
            file.write_all_at(&zeros, at)?;
            at += ZERO_CHUNK;
        }
    }
    file.sync_data()?;
    let mut batch = Vec::with_capacity(RECORD * per);
    let (mut records, mut syncs, mut offset, mut zeroed) = (0, 0, 0_u64, 0_u64);
    let (mut writing, mut syncing) = (Duration::ZERO, Duration::ZERO);
    let (start, cpu0) = (Instant::now(), thread_cpu());
    while offset + (RECORD * per) as u64 <= FILE_BYTES {
        let t = Instant::now();
        if shape == Shape::ZeroAhead && offset + (RECORD * per) as u64 > zeroed {
            file.write_all_at(&zeros, zeroed)?;
            file.sync_data()?;
            zeroed += ZERO_CHUNK;
        }
        if shape == Shape::Batched {
            batch.clear();
            (0..per).for_each(|_| batch.extend_from_slice(&record));
            file.write_all_at(&batch, offset)?;
        } else {
            for i in 0..per {
                file.write_all_at(&record, offset + (i * RECORD) as u64)?;
            }
        }
        offset += (RECORD * per) as u64;
        records += per as u64;
        let t2 = Instant::now();
        file.sync_data()?;
        syncs += 1;
        writing += t2 - t;
        syncing += t2.elapsed();
    }
    Ok(Figures {
        records,
        syncs,
        wall: start.elapsed(),
        cpu: thread_cpu() - cpu0,
        writing,
        syncing,
    })
}

fn thread_cpu() -> Duration {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .map(Duration::from_nanos)
        .unwrap_or_default()
}
