//! The disk's floor under one client's latency: how long the device operations that one
//! lone tip waits for take on the disk under test, without HTTP, sled's CPU or tipseal.
//! The question behind the one-client target of issue 11 (p50 ≤ 400 µs; BENCHMARKS.md,
//! "Session 25"). Not part of the `tipseal` binary; it writes two scratch files
//! `DIR/lone-tip-floor-{index,segment}.tmp` and removes them.
//!
//! A lone tip is acknowledged after two paths, run at once on two threads (`storage/
//! commit.rs`), have both finished:
//! - **index**: sled's flush appends its I/O buffer (~360 bytes for one tip) with `pwrite`
//!   and waits for it with `sync_file_range(WAIT_BEFORE | WRITE | WAIT_AFTER)` (sled 0.34,
//!   `pagecache/iobuf.rs`, not configurable), then the commit thread `fdatasync`s the log;
//! - **segment**: the bundle log's record (16,597 bytes for a text tip) is appended with one
//!   `pwrite`, the file's times are set (`utimensat`), and the segment is `fdatasync`ed.
//!
//! Shapes, each timed per iteration from its first system call to its last:
//! - `index`: the index path alone;
//! - `segment`: the segment path alone;
//! - `both`: the two paths on two threads, released together; the time is the slower
//!   one's (what the commit thread waits for);
//! - `overwrite`: one 16,597-byte `pwrite` over bytes already written and synced, then
//!   `fdatasync`: no file growth, no journal commit, one device write and one cache flush.
//!   No design that acknowledges only durable tips waits for less than this on this disk.
//!
//! Usage: `cargo run --release --example lone_tip_floor -- DIR [ITERATIONS]` (default
//! 2,000). Prints one line per shape: p50, p90, p99 and mean in µs.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::os::unix::io::AsRawFd;
use std::path::Path;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

const INDEX_BYTES: usize = 357;
const RECORD: usize = 16_597;

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let dir = args.get(1).map(Path::new).unwrap_or(Path::new("."));
    let iterations: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(2_000);
    let index = dir.join("lone-tip-floor-index.tmp");
    let segment = dir.join("lone-tip-floor-segment.tmp");

    report(
        "index",
        &alone(&index, INDEX_BYTES, index_step, iterations)?,
    );
    report(
        "segment",
        &alone(&segment, RECORD, segment_step, iterations)?,
    );
    report("both", &both(&index, &segment, iterations)?);
    report("overwrite", &overwrite(&segment, iterations)?);
    Ok(())
}

fn fresh(path: &Path) -> std::io::Result<File> {
    let _ = std::fs::remove_file(path);
    OpenOptions::new()
        .create(true)
        .truncate(true)
        .read(true)
        .write(true)
        .open(path)
}

/// sled's write of one buffer, then the commit thread's `fdatasync` of the log.
fn index_step(file: &File, at: u64, buf: &[u8]) -> std::io::Result<()> {
    file.write_all_at(buf, at)?;
    // SAFETY: a plain system call on an open descriptor; the range is within the file.
    let ret = unsafe {
        libc::sync_file_range(
            file.as_raw_fd(),
            at as i64,
            buf.len() as i64,
            libc::SYNC_FILE_RANGE_WAIT_BEFORE
                | libc::SYNC_FILE_RANGE_WRITE
                | libc::SYNC_FILE_RANGE_WAIT_AFTER,
        )
    };
    if ret < 0 {
        return Err(std::io::Error::last_os_error());
    }
    file.sync_data()
}

/// The bundle log's record appended, its times set, the segment synced.
fn segment_step(file: &File, at: u64, buf: &[u8]) -> std::io::Result<()> {
    file.write_all_at(buf, at)?;
    file.set_modified(std::time::SystemTime::UNIX_EPOCH)?;
    file.sync_data()
}

fn timed(
    mut step: impl FnMut(u64) -> std::io::Result<()>,
    n: usize,
) -> std::io::Result<Vec<Duration>> {
    let mut times = Vec::with_capacity(n);
    for i in 0..n {
        let start = Instant::now();
        step(i as u64)?;
        times.push(start.elapsed());
    }
    Ok(times)
}

/// One path alone on a fresh file: `step` appends records of `len` bytes, one per
/// iteration.
fn alone(
    path: &Path,
    len: usize,
    step: fn(&File, u64, &[u8]) -> std::io::Result<()>,
    n: usize,
) -> std::io::Result<Vec<Duration>> {
    let file = fresh(path)?;
    let buf = vec![0x5a; len];
    let times = timed(|i| step(&file, i * len as u64, &buf), n);
    std::fs::remove_file(path)?;
    times
}

/// Both paths on two threads released by one barrier per iteration; each iteration's
/// time is the later finish.
fn both(index: &Path, segment: &Path, n: usize) -> std::io::Result<Vec<Duration>> {
    let start = Arc::new(Barrier::new(2));
    let end = Arc::new(Barrier::new(2));
    let seg = fresh(segment)?;
    let side = {
        let (start, end) = (Arc::clone(&start), Arc::clone(&end));
        std::thread::spawn(move || -> std::io::Result<()> {
            let buf = vec![0xa5; RECORD];
            for i in 0..n as u64 {
                start.wait();
                segment_step(&seg, i * RECORD as u64, &buf)?;
                end.wait();
            }
            Ok(())
        })
    };
    let file = fresh(index)?;
    let buf = vec![0x5a; INDEX_BYTES];
    let mut times = Vec::with_capacity(n);
    for i in 0..n as u64 {
        start.wait();
        let began = Instant::now();
        index_step(&file, i * INDEX_BYTES as u64, &buf)?;
        end.wait();
        times.push(began.elapsed());
    }
    side.join().expect("the segment thread panicked")?;
    std::fs::remove_file(index)?;
    std::fs::remove_file(segment)?;
    Ok(times)
}

/// Over bytes that are already on the disk: written and synced before the clock starts.
fn overwrite(path: &Path, n: usize) -> std::io::Result<Vec<Duration>> {
    let file = fresh(path)?;
    let slots = 64u64;
    file.write_all_at(&vec![0u8; RECORD * slots as usize], 0)?;
    file.sync_all()?;
    let buf = vec![0xa5; RECORD];
    let times = timed(
        |i| {
            file.write_all_at(&buf, (i % slots) * RECORD as u64)?;
            file.sync_data()
        },
        n,
    );
    std::fs::remove_file(path)?;
    times
}

fn report(name: &str, times: &[Duration]) {
    let mut us: Vec<f64> = times.iter().map(|t| t.as_secs_f64() * 1e6).collect();
    us.sort_by(f64::total_cmp);
    let at = |q: f64| us[((us.len() - 1) as f64 * q).round() as usize];
    let mean = us.iter().sum::<f64>() / us.len() as f64;
    println!(
        "{name:9} n {:5}: p50 {:6.0} µs, p90 {:6.0} µs, p99 {:6.0} µs, mean {:6.0} µs",
        us.len(),
        at(0.50),
        at(0.90),
        at(0.99),
        mean
    );
}
