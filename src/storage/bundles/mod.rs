//! The bundle log: the sealed bytes of tips (each part's header ‖ body), appended to
//! segment files that tipseal writes itself, so that sled only holds the index.
//!
//! Segments are `DIR/bundles/NNNNNNNNNNNNNNNN.seg` (hex number), files 0600 in a 0700
//! directory. A record is a fixed frame (`frame.rs`) followed by the part's bytes; it
//! never spans segments. An append reserves its offset under a mutex; a small record
//! (every text tip) is then copied into memory and written by its batch, one `pwrite`
//! per run of adjacent records, just before the segment's sync (`staging.rs`), and a
//! large one is written with `pwrite` at once, so appends of many threads run side by
//! side. The head rolls to a new segment past [`ROLL_BYTES`]. Every open starts a new
//! segment: a torn record at the end of an older one is garbage that no index entry
//! points at (an insert's `pending` mark stays until its segment was synced,
//! `tips/insert.rs`), so no tail scan is needed.
//!
//! Durability rides on the group commit (`commit.rs`): a finished record registers its
//! segment with [`Pending::marked_file_written`], and the commit thread `fdatasync`s it
//! alongside `db.flush()` and answers the batch only once both returned. An index entry
//! sled persists before the segment's sync is harmless: the insert's `pending` mark,
//! removed only after the batch was answered, makes the next open check the record.
//! Compaction, whose swapped index entries carry no mark, waits for its copies to be
//! durable before it swaps (`tips/compact.rs`).
//!
//! An attachment of 4 MiB or more that came through the uploads API is not appended: its
//! upload file, already laid out as a record, is linked in as a segment of its own
//! (`adopt.rs`).
//!
//! Reads and compaction: a reader takes a [`SegmentHold`] before it reads the index
//! entries that name records and [`SegmentHold::pin`]s the segments they point into
//! before letting go; [`BundleLog::remove_segment`] waits for every hold. A pinned
//! segment is an open file, which stays readable after the unlink, so a read that began
//! before compaction moved its records gets their bytes from the old file, however long
//! it takes (a stream to a slow reviewer); one that began after reads the new location.
//!
//! Timing: a segment's atime and mtime are set to 00:00 UTC of the day before any record
//! in it is acknowledged (by the group commit, once per batch, just before its sync; by
//! [`BundleLog::sync_all`] for offline writers), so the files do not tell when the last
//! tip arrived.
//!
//! Must never: interpret the bytes it stores, import `crypto` or `http`, write into a
//! segment other than the head, or hand out bytes whose frame does not match what the
//! caller expects (id, part, length, checksum).

mod adopt;
mod frame;
mod read;
mod staging;
mod write;

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, RwLock, RwLockReadGuard};

use super::blur_times;
use super::commit::Pending;
use super::{create_private_dir, StorageError};
use staging::Staging;

pub(super) use adopt::ADOPT_MIN;
pub(super) use frame::FRAME_LEN;
pub(super) use read::RecordReader;

/// The [`super::commit::FileKey`] kind of a segment file.
pub(super) const KIND_SEGMENT: u8 = 1;

/// A segment past this many bytes is sealed and a new one started. Large enough that
/// segments stay few (the open-file cache stays small), small enough that compaction
/// rewrites at most ~32 MiB of live bytes at a time.
pub(super) const ROLL_BYTES: u64 = 64 * 1024 * 1024;

/// The directory of segments inside the data directory.
pub(super) const BUNDLES_DIR: &str = "bundles";

/// Segment files kept open for reading; past it the cache is emptied (segments are few:
/// one per 64 MiB, one per restart, and two per adopted attachment, `adopt.rs`).
const OPEN_FILES: usize = 64;

/// A segment's number (its file name in hex).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) struct SegmentNo(u64);

impl SegmentNo {
    pub fn new(n: u64) -> Self {
        SegmentNo(n)
    }

    pub fn get(self) -> u64 {
        self.0
    }

    pub(in crate::storage) fn file_name(self) -> String {
        format!("{:016x}.seg", self.0)
    }

    fn parse(name: &str) -> Option<Self> {
        let hex = name.strip_suffix(".seg")?;
        (hex.len() == 16)
            .then(|| u64::from_str_radix(hex, 16).ok())
            .flatten()
            .map(SegmentNo)
    }
}

/// Where a record starts: its segment and the offset of its frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) struct Location {
    pub segment: SegmentNo,
    pub offset: u64,
}

/// The log; one per store.
pub(super) struct BundleLog {
    dir: PathBuf,
    head: Mutex<Head>,
    files: Mutex<HashMap<SegmentNo, Arc<File>>>,
    pending: Pending,
    /// Small records waiting for their batch's write (`staging.rs`).
    staging: Arc<Staging>,
    /// Held by a compaction for its whole length: one at a time.
    compacting: Mutex<()>,
    /// Shared by readers between reading the index and pinning segments, exclusive
    /// while a segment is unlinked: see the module docs.
    removal: RwLock<()>,
    /// Segments adopted (or sealed by an adoption) today, whose times each adoption
    /// touches (`adopt.rs`).
    adopted: Mutex<adopt::Adopted>,
}

/// Keeps every segment from being removed while it lives: take it before reading the
/// index entries whose records are to be read, pin what they name, then drop it (never
/// hold it while reading the records, nor take a second one meanwhile).
pub(super) struct SegmentHold<'a> {
    log: &'a BundleLog,
    _shared: RwLockReadGuard<'a, ()>,
}

impl SegmentHold<'_> {
    /// The segment holding the record at `at`, opened: readable through the returned
    /// handle even after compaction unlinks the file.
    pub fn pin(&self, at: Location) -> Result<Pinned, StorageError> {
        // The index may name a record that still waits in memory for its batch.
        self.log.staging.written_through(at.segment)?;
        Ok(Pinned {
            file: self.log.file(at.segment)?,
            at,
        })
    }
}

/// A record's location with its segment open (see [`SegmentHold::pin`]); read it with
/// [`Pinned::read`] or [`Pinned::reader`].
#[derive(Clone)]
pub(in crate::storage) struct Pinned {
    file: Arc<File>,
    at: Location,
}

/// The segment appends go to, and how far it is reserved.
struct Head {
    no: SegmentNo,
    file: Arc<File>,
    len: u64,
}

impl BundleLog {
    /// Opens the log under `data_dir`, starting a new head segment after the last one,
    /// and touches every segment's times (`adopt.rs`).
    ///
    /// Numbers are never reused: the last file is always the previous head (compaction
    /// never removes the head, and opening removes nothing), so an index entry can never
    /// point into a newer file that took an old number. Empty sealed segments are removed
    /// by compaction.
    pub fn open(data_dir: &Path, pending: Pending) -> Result<Self, StorageError> {
        let dir = data_dir.join(BUNDLES_DIR);
        create_private_dir(&dir)?;
        let existing: Vec<SegmentNo> = list_segments(&dir)?.into_iter().map(|(n, _)| n).collect();
        let no = SegmentNo(existing.last().map_or(0, |n| n.0 + 1));
        let file = create_segment(&dir, no)?;
        let staging = Arc::new(Staging::default());
        let hook = staging.clone();
        pending.before_marked_sync(Arc::new(move || hook.write_out()));
        let log = BundleLog {
            dir,
            head: Mutex::new(Head { no, file, len: 0 }),
            files: Mutex::new(HashMap::new()),
            pending,
            staging,
            compacting: Mutex::new(()),
            removal: RwLock::new(()),
            adopted: Mutex::new(adopt::Adopted::default()),
        };
        // The list of today's adopted segments was in memory: their ctimes (the seconds
        // their tips arrived) all become now instead (`adopt.rs`).
        log.touch(&existing)?;
        Ok(log)
    }

    /// Every segment file and its length, by number.
    pub fn segments(&self) -> Result<Vec<(SegmentNo, u64)>, StorageError> {
        list_segments(&self.dir)
    }

    /// The segment appends currently go to (never compacted).
    pub fn head(&self) -> SegmentNo {
        self.lock_head().no
    }

    /// Bytes the segments take (their lengths), for `Store::size_on_disk`.
    pub fn bytes(&self) -> Result<u64, StorageError> {
        Ok(self.segments()?.iter().map(|(_, len)| len).sum())
    }

    /// Holds off segment removal while a reader resolves index entries to open segments.
    pub fn hold(&self) -> SegmentHold<'_> {
        SegmentHold {
            log: self,
            // Guards nothing but its own state: a panic elsewhere leaves it whole.
            _shared: self.removal.read().unwrap_or_else(PoisonError::into_inner),
        }
    }

    /// Removes a sealed segment once nothing points into it any more (compaction).
    /// Waits for every [`SegmentHold`]: a reader that read an index entry naming this
    /// segment has pinned it by then, and keeps reading the unlinked file.
    pub fn remove_segment(&self, no: SegmentNo) -> Result<(), StorageError> {
        if no == self.head() {
            return Err(StorageError::Invalid("the head segment cannot be removed"));
        }
        let _no_reader_resolving = self.removal.write().unwrap_or_else(PoisonError::into_inner);
        self.lock_files().remove(&no);
        std::fs::remove_file(self.dir.join(no.file_name()))?;
        Ok(())
    }

    /// Held by a compaction for its whole length.
    pub fn compaction_lock(&self) -> std::sync::MutexGuard<'_, ()> {
        self.compacting
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Frees the staging buffers kept for the next batches: after a burst.
    pub fn drop_spare_buffers(&self) {
        self.staging.drop_spares();
    }

    /// Syncs every segment and the directory, their times back at midnight: for offline
    /// writers that do not go through the group commit (loading a snapshot), before they
    /// flush the index.
    pub fn sync_all(&self) -> Result<(), StorageError> {
        self.staging.write_out()?;
        for (no, _) in self.segments()? {
            let file = self.file(no)?;
            blur_times(&file)?;
            file.sync_data()?;
        }
        File::open(&self.dir)?.sync_all()?;
        Ok(())
    }

    /// `len` bytes reserved at the head's end, rolling first when the head is full.
    fn reserve(&self, len: u64) -> Result<(Location, Arc<File>), StorageError> {
        self.reserve_in(&mut self.lock_head(), len)
    }

    /// Like [`BundleLog::reserve`] for the bytes of `pieces`, which wait in memory for
    /// the batch (staged under the head's lock, so records reserved in turn join one
    /// run); `true` if the waiting bytes are past their cap (the caller writes them out).
    fn reserve_staged(
        &self,
        pieces: &[&[u8]],
    ) -> Result<(Location, Arc<File>, bool), StorageError> {
        let len: usize = pieces.iter().map(|p| p.len()).sum();
        let mut head = self.lock_head();
        let (at, file) = self.reserve_in(&mut head, len as u64)?;
        let over_cap = self.staging.stage(at, &file, pieces);
        Ok((at, file, over_cap))
    }

    /// The reservation itself, under the head's lock (`head`).
    fn reserve_in(&self, head: &mut Head, len: u64) -> Result<(Location, Arc<File>), StorageError> {
        if head.len > 0 && head.len.saturating_add(len) > ROLL_BYTES {
            let no = SegmentNo(head.no.0 + 1);
            let file = create_segment(&self.dir, no)?;
            *head = Head { no, file, len: 0 };
        }
        let at = Location {
            segment: head.no,
            offset: head.len,
        };
        head.len = head.len.saturating_add(len);
        Ok((at, head.file.clone()))
    }

    /// A handle on segment `no` for reading.
    fn file(&self, no: SegmentNo) -> Result<Arc<File>, StorageError> {
        {
            let head = self.lock_head();
            if head.no == no {
                return Ok(head.file.clone());
            }
        }
        let mut files = self.lock_files();
        if let Some(f) = files.get(&no) {
            return Ok(f.clone());
        }
        let file = match File::open(self.dir.join(no.file_name())) {
            Ok(f) => Arc::new(f),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(StorageError::Corrupt("a bundle log segment is missing"))
            }
            Err(e) => return Err(e.into()),
        };
        if files.len() >= OPEN_FILES {
            files.clear();
        }
        files.insert(no, file.clone());
        Ok(file)
    }

    /// The record at `at` was written into `file`: the next batch sets its times back to
    /// midnight (the write moved them to now) and syncs it.
    fn written(&self, at: Location, file: &Arc<File>) -> Result<(), StorageError> {
        self.pending
            .marked_file_written((KIND_SEGMENT, u128::from(at.segment.0)), file);
        Ok(())
    }

    fn lock_head(&self) -> std::sync::MutexGuard<'_, Head> {
        // A handle and two numbers: a panic elsewhere leaves them whole.
        self.head.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn lock_files(&self) -> std::sync::MutexGuard<'_, HashMap<SegmentNo, Arc<File>>> {
        self.files.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for BundleLog {
    fn drop(&mut self) {
        // The group commit's last batch wrote (and synced) what its waiters staged; this
        // writes what nobody waited for, as an unstaged append would have, and sets the
        // head's times back to midnight as a batch would.
        let written = self
            .staging
            .write_out()
            .and_then(|()| blur_times(&self.lock_head().file));
        if let Err(e) = written {
            tracing::error!(error = %e, "could not write the bundle log's last records");
        }
    }
}

fn list_segments(dir: &Path) -> Result<Vec<(SegmentNo, u64)>, StorageError> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if let Some(no) = entry.file_name().to_str().and_then(SegmentNo::parse) {
            out.push((no, entry.metadata()?.len()));
        }
    }
    out.sort();
    Ok(out)
}

/// Creates segment `no` (0600), and syncs the directory so that its name survives a
/// power cut before any record in it is acknowledged.
fn create_segment(dir: &Path, no: SegmentNo) -> Result<Arc<File>, StorageError> {
    let mut options = OpenOptions::new();
    options.read(true).write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(dir.join(no.file_name()))?;
    blur_times(&file)?;
    let dir_handle = File::open(dir)?;
    dir_handle.sync_all()?;
    // The directory's own times moved with the new name; they go back to midnight too.
    blur_times(&dir_handle)?;
    Ok(Arc::new(file))
}

#[cfg(test)]
mod tests;
