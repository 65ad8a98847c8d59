//! The disk's own limit, measured in the directory under test, and the size of a data
//! directory.
//!
//! The probe appends records of the bundle's size to a scratch file and calls
//! `fdatasync` (`File::sync_data`) after every [`BATCH`] records, as a group commit
//! would at best; then once per record, as a server without group commit would. Both
//! rates are what this disk allows, so intake figures can be read as a ratio to them.
//! It must never touch the server's data: its scratch file is its own and is removed.

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use super::LoadgenError;

/// Records per `fdatasync` in the batched probe (the group commit's best case under 64
/// clients: every client's record in one flush).
pub const BATCH: usize = 64;

/// What the disk did in the probe.
#[derive(Debug, Clone, Copy)]
pub struct DiskLimit {
    /// Records of the probe's size made durable per second, [`BATCH`] per `fdatasync`.
    pub batched_records_per_s: f64,
    /// `fdatasync` calls per second with one record each.
    pub single_fdatasync_per_s: f64,
}

/// Measures the disk under `dir` with records of `record_len` bytes: about `batched`
/// of batched appends, then about `single` of one-record syncs.
pub fn probe(
    dir: &Path,
    record_len: usize,
    batched: Duration,
    single: Duration,
) -> Result<DiskLimit, LoadgenError> {
    let path = dir.join(format!(
        "tipseal-disk-probe-{}.tmp",
        hex::encode(crate::crypto::random_bytes::<6>())
    ));
    let result = run_probe(&path, record_len.max(1), batched, single);
    let _ = std::fs::remove_file(&path);
    result.map_err(|e| LoadgenError::Io("the disk probe's scratch file", path, e))
}

fn run_probe(
    path: &Path,
    record_len: usize,
    batched: Duration,
    single: Duration,
) -> std::io::Result<DiskLimit> {
    // Incompressible-looking bytes, like sealed records.
    let record: Vec<u8> = (0..record_len)
        .map(|i| (i as u32).wrapping_mul(2_654_435_761).to_le_bytes()[3])
        .collect();
    let mut file = std::fs::OpenOptions::new()
        .create_new(true)
        .append(true)
        .open(path)?;
    let start = Instant::now();
    let mut records = 0u64;
    while start.elapsed() < batched || records == 0 {
        for _ in 0..BATCH {
            file.write_all(&record)?;
        }
        file.sync_data()?;
        records += BATCH as u64;
    }
    let batched_records_per_s = records as f64 / start.elapsed().as_secs_f64();
    let start = Instant::now();
    let mut syncs = 0u64;
    while start.elapsed() < single || syncs == 0 {
        file.write_all(&record)?;
        file.sync_data()?;
        syncs += 1;
    }
    Ok(DiskLimit {
        batched_records_per_s,
        single_fdatasync_per_s: syncs as f64 / start.elapsed().as_secs_f64(),
    })
}

/// Bytes allocated on disk (blocks × 512) by every file under `dir`.
pub fn allocated_bytes(dir: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    let mut total = 0;
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
                total += m.blocks() * 512;
            }
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_probe_reports_positive_rates_and_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let limit = probe(
            dir.path(),
            16 * 1024,
            Duration::from_millis(100),
            Duration::from_millis(50),
        )
        .unwrap();
        assert!(limit.batched_records_per_s > 0.0);
        assert!(limit.single_fdatasync_per_s > 0.0);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
