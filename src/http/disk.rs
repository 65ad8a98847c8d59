//! The disk floor: new submissions are refused with `507 Insufficient Storage` while the
//! data directory's filesystem has less free space than a floor (DESIGN.md §1: a flooder
//! must not be able to fill the disk).
//!
//! Free space is read with `statvfs` at most once per [`REFRESH`], not once per request:
//! a flood then costs one syscall a second, and the floor is far above what one second of
//! submissions can write.

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::ApiError;

/// Default floor: 512 MiB.
///
/// Why this much: below it, what must still be written has to fit — tips already being
/// received (up to 64 × 32 MiB bodies in flight, bounded by the intake slots, though most
/// are small), sled's log and segment rewrites when it compacts (it needs headroom to
/// write a segment before freeing the old one, and a write that fails on a full disk can
/// leave the database unusable until an operator frees space), reviewers' rewraps,
/// replies and audit entries, and the rest of the system (logs, Tor's state). An operator
/// with a small disk can lower it with `--min-free-bytes`; `0` turns the floor off.
pub const DEFAULT_MIN_FREE_BYTES: u64 = 512 * 1024 * 1024;

/// How long a free-space reading is trusted.
pub const REFRESH: Duration = Duration::from_secs(1);

/// Decides whether there is room for a new submission.
pub struct DiskFloor {
    dir: PathBuf,
    min_free: u64,
    last: Mutex<Option<(Instant, u64)>>,
}

impl DiskFloor {
    /// A floor of `min_free` bytes on the filesystem holding `dir` (0: no floor).
    pub fn new(dir: PathBuf, min_free: u64) -> Self {
        Self {
            dir,
            min_free,
            last: Mutex::new(None),
        }
    }

    /// No floor (for states built without a data directory).
    pub fn off() -> Self {
        Self::new(PathBuf::new(), 0)
    }

    /// `Err(InsufficientStorage)` while free space is below the floor.
    pub fn check(&self) -> Result<(), ApiError> {
        if self.min_free == 0 {
            return Ok(());
        }
        match self.free_bytes() {
            Some(free) if free < self.min_free => Err(ApiError::InsufficientStorage),
            _ => Ok(()),
        }
    }

    /// Free bytes available to this (unprivileged) process, from the cache when fresh.
    /// `None` when the reading fails: then submissions go on (an unreadable statistic is
    /// no reason to turn witnesses away; the notice timer logs the failure).
    fn free_bytes(&self) -> Option<u64> {
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((at, free)) = *last {
            if at.elapsed() < REFRESH {
                return Some(free);
            }
        }
        // A failure is not logged here (that would time a witness's request): the
        // notice timer's `probe` reports it.
        let free = read_free_bytes(&self.dir).ok()?;
        *last = Some((Instant::now(), free));
        Some(free)
    }

    /// Called by the notice timer (`watch`), never by a request: warns when the free
    /// space cannot be read, so the floor is not being enforced.
    pub fn probe(&self) {
        if self.min_free == 0 {
            return;
        }
        if let Err(e) = read_free_bytes(&self.dir) {
            tracing::warn!(
                error = %e,
                "cannot read the free space of the data directory: the disk floor is not enforced"
            );
        }
    }
}

#[cfg(unix)]
fn read_free_bytes(dir: &std::path::Path) -> Result<u64, std::io::Error> {
    // f_bavail: blocks free for unprivileged users (not f_bfree, which counts the blocks
    // reserved for root), in units of f_frsize.
    rustix::fs::statvfs(dir)
        .map(|s| s.f_bavail.saturating_mul(s.f_frsize))
        .map_err(std::io::Error::from)
}

#[cfg(not(unix))]
fn read_free_bytes(_dir: &std::path::Path) -> Result<u64, std::io::Error> {
    // tipseal's servers run on Linux; elsewhere the floor is not enforced.
    Err(std::io::Error::new(
        std::io::ErrorKind::Unsupported,
        "free space is read on Unix only",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_floor_above_the_free_space_refuses_and_zero_never_does() {
        let dir = tempfile::tempdir().unwrap();
        assert!(DiskFloor::new(dir.path().into(), u64::MAX).check().is_err());
        assert!(DiskFloor::new(dir.path().into(), 1).check().is_ok());
        assert!(DiskFloor::new(dir.path().into(), 0).check().is_ok());
        assert!(DiskFloor::off().check().is_ok());
    }

    #[test]
    fn the_reading_is_cached() {
        let dir = tempfile::tempdir().unwrap();
        let floor = DiskFloor::new(dir.path().into(), 1);
        let first = floor.free_bytes().unwrap();
        // Within REFRESH the cached value comes back even if the disk changed.
        *floor.last.lock().unwrap() = Some((Instant::now(), 42));
        assert_eq!(floor.free_bytes(), Some(42));
        *floor.last.lock().unwrap() = Some((Instant::now() - 2 * REFRESH, 42));
        assert!(floor.free_bytes().unwrap() > 42 || first <= 42);
    }
}
