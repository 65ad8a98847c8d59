//! Resumable uploads: large attachment envelopes that arrive in pieces before the tip
//! that names them (`docs/web.md`, uploads API).
//!
//! | where                    | key             | value                                  |
//! |--------------------------|-----------------|----------------------------------------|
//! | sled tree `uploads`      | upload id (16)  | format u8 ‖ length u64 ‖ received u64 ‖ created day i64 [‖ wrap section (84) if format 2] |
//! | file `uploads/<id hex>`  | —               | format 1: the envelope's bytes as received; format 2: room for a bundle-log frame ‖ header ‖ body (`upload_files.rs`) |
//!
//! Format 2 (every upload created since session 26) keeps the wrap section in the record
//! and the rest in the file laid out as a bundle-log record, so that the tip naming the
//! upload takes the file into the log without copying it (`tips/attach.rs`). Format 1
//! records (created by an older version) are read as they are and copied.
//!
//! Bytes are sealed envelope bytes the server cannot read. They live in a file per upload,
//! not in sled: sled's leaf copies made a 64 MiB upload slow and memory-hungry
//! (`upload_files.rs`). The record's `received` never names bytes that are not on disk,
//! even across a power cut: a `PATCH` writes the file and hands the record's update to
//! the group commit with the file (`Pending::file_written_then`), which runs it only
//! after that batch `fdatasync`ed the file and before the batch's `db.flush()`; the
//! `PATCH` is answered after that batch. Until the update ran the upload is *in flight*
//! (in memory): its record still shows the old count, and another `PATCH` to it first
//! waits for a batch (so an answer lost with a dropped connection cannot leave the
//! upload stuck) and is refused with the current offset if one is still in flight. A
//! file found shorter than its record (at open, on a write or a read) is refused and its
//! upload removed, never read as a shorter upload. Opening reconciles the two: a file
//! without a record, or a record without a (whole) file, is removed — what a crash
//! between them leaves.
//!
//! The only time kept on disk is the UTC day an upload was
//! created, to expire it (the files' times are blurred to midnight). When this process
//! first saw each upload and when its bytes last
//! grew are kept in memory only (`Instant`s, never written): after a restart every
//! upload starts fresh clocks, so no precise time of a witness's activity is ever on
//! disk. Only bytes that grow an upload count as activity, and an unfinished upload must
//! keep a minimum rate ([`UploadSweep`]): requests that add nothing cannot hold the
//! upload budget. A completed upload is *claimed* (in memory) by the submission that names
//! it, and removed only once that tip is stored: a failed insert leaves it usable, and
//! two submissions can never both use it. Nothing here flushes (but for the append that
//! finds its upload in flight, which waits for one batch): await [`Store::durable`]
//! before acknowledging.
//!
//! Unfinished uploads are transient: snapshots (backups, compaction) leave them out
//! (`snapshot.rs`), and a witness whose upload is gone starts that attachment again.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::domain::{Day, UploadId};

use super::upload_files::{
    Layout, Place, UploadFiles, WriteFailure, KIND_UPLOAD, KIND_UPLOADS_DIR,
};
use super::{StorageError, Store, HEADER_LEN, WRAP_LEN};

/// The sled tree of upload records.
pub(super) const TREE_UPLOADS: &str = "uploads";
/// Where upload bytes were kept before they moved to files: migrated at open, then
/// dropped (see [`migrate_chunks`]).
pub(super) const TREE_UPLOAD_CHUNKS: &str = "upload_chunks";
/// Format 1: the file holds the envelope as received ([`Layout::Plain`]).
const META_PLAIN: u8 = 1;
/// Format 2: the file is laid out as a bundle-log record and the record keeps the wrap.
const META_RECORD: u8 = 2;
const META_PLAIN_LEN: usize = 25;
const META_RECORD_LEN: usize = META_PLAIN_LEN + WRAP_LEN;

/// Most uploads open at once, whatever their size: bounds the records and the sweep's
/// work. The real bound is the byte budget the caller passes to
/// [`Store::create_upload`] (`docs/limits.md`).
pub const MAX_OPEN_UPLOADS: usize = 4096;

/// Why an upload operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    /// No upload with this id (never created, expired, or already used).
    #[error("no such upload")]
    NotFound,
    /// The offset is not the number of bytes received so far.
    #[error("the upload offset does not match the bytes received")]
    OffsetMismatch {
        /// Bytes received so far: where the client must resume.
        current: u64,
    },
    /// The bytes would go past the upload's declared length.
    #[error("the bytes go past the declared length of the upload")]
    PastEnd,
    /// The upload has not received all its bytes yet.
    #[error("the upload is not complete")]
    Incomplete,
    /// Already [`MAX_OPEN_UPLOADS`] uploads are open, or their declared lengths would
    /// pass the byte budget.
    #[error("too many uploads are open")]
    TooMany,
    /// The disk is full: nothing was stored, and no byte of this request counts.
    #[error("the disk is full: free space on the data directory's disk")]
    NoSpace,
    /// Storage failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl From<sled::Error> for UploadError {
    fn from(e: sled::Error) -> Self {
        UploadError::Storage(e.into())
    }
}

/// Where an upload stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadStatus {
    /// The declared envelope length.
    pub length: u64,
    /// Bytes received so far (the resume offset).
    pub received: u64,
}

/// The upload records, their files and the in-memory claims, owned by the [`Store`].
pub(super) struct UploadTrees {
    meta: sled::Tree,
    files: UploadFiles,
    /// Serialises changes to uploads; holds the claims and the idle clocks.
    memory: Mutex<InMemory>,
    /// Uploads whose written bytes wait for the group commit to sync them before their
    /// record counts them (module docs). Shared with that work, which runs on the
    /// commit thread: never taken while waiting for durability.
    in_flight: Arc<Mutex<HashSet<UploadId>>>,
}

/// An upload marked in flight; the mark goes when this is dropped, whether the record's
/// update ran or was dropped unrun (its batch failed).
struct InFlight {
    set: Arc<Mutex<HashSet<UploadId>>>,
    id: UploadId,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        lock_set(&self.set).remove(&self.id);
    }
}

fn lock_set(set: &Mutex<HashSet<UploadId>>) -> MutexGuard<'_, HashSet<UploadId>> {
    // A set of ids: a panic elsewhere leaves it whole.
    set.lock().unwrap_or_else(PoisonError::into_inner)
}

/// When this process first saw an upload, and when its bytes last grew (never stored).
#[derive(Clone, Copy)]
struct Clock {
    seen: Instant,
    grew: Instant,
}

impl Clock {
    fn new(now: Instant) -> Self {
        Self {
            seen: now,
            grew: now,
        }
    }
}

/// When an unfinished upload is freed: nothing received for `idle`, or (after a grace)
/// less received than a minimum rate over its age. Either alone is not enough: the idle
/// clock is kept going by a byte now and then, and a minimum rate with no idle clock
/// keeps an upload that is barely started.
#[derive(Clone, Copy, Debug)]
pub struct UploadSweep {
    /// Free an upload whose bytes have not grown for this long.
    pub idle: Duration,
    /// After `grace`, an unfinished upload must have received at least this many bytes
    /// per second of its age (counted from when this process first saw it).
    pub min_bytes_per_sec: u64,
    /// How long an upload may go before the minimum rate applies.
    pub grace: Duration,
}

impl UploadSweep {
    fn frees(&self, clock: Clock, meta: &Meta, now: Instant) -> bool {
        if now.saturating_duration_since(clock.grew) >= self.idle {
            return true;
        }
        let age = now.saturating_duration_since(clock.seen);
        let Some(late) = age.checked_sub(self.grace) else {
            return false;
        };
        let owed = u128::from(self.min_bytes_per_sec) * late.as_millis() / 1000;
        meta.received < meta.length && u128::from(meta.received) < owed
    }
}

/// What is known about uploads in memory only.
#[derive(Default)]
struct InMemory {
    /// Ids claimed by submissions in flight.
    claims: HashSet<UploadId>,
    /// Each upload's clock (never stored).
    clocks: HashMap<UploadId, Clock>,
    /// Declared bytes and number of the open uploads, counted once from disk and then
    /// kept up to date (so creating an upload does not walk them all).
    reserved: Option<(u64, usize)>,
}

impl InMemory {
    fn reserved(&mut self, meta: &sled::Tree) -> Result<&mut (u64, usize), StorageError> {
        if self.reserved.is_none() {
            let mut total = (0u64, 0usize);
            for v in meta.iter().values() {
                total.0 = total.0.saturating_add(Meta::decode(&v?)?.length);
                total.1 += 1;
            }
            self.reserved = Some(total);
        }
        Ok(self.reserved.get_or_insert((0, 0)))
    }
}

impl UploadTrees {
    /// Opens the records and the files in `dir`, moves bytes a previous version kept in
    /// sled into files, and removes what a crash between a file and its record left (see
    /// [`reconcile`]). The caller flushes afterwards.
    pub(super) fn open(db: &sled::Db, dir: &Path) -> Result<Self, StorageError> {
        let meta = db.open_tree(TREE_UPLOADS)?;
        let files = UploadFiles::open(dir)?;
        migrate_chunks(db, &meta, &files)?;
        reconcile(&meta, &files)?;
        Ok(Self {
            meta,
            files,
            memory: Mutex::new(InMemory::default()),
            in_flight: Arc::default(),
        })
    }

    fn is_in_flight(&self, id: UploadId) -> bool {
        lock_set(&self.in_flight).contains(&id)
    }

    fn lock(&self) -> MutexGuard<'_, InMemory> {
        self.memory.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[derive(Clone, Copy)]
pub(super) struct Meta {
    pub length: u64,
    pub received: u64,
    created: Day,
    pub layout: Layout,
    /// The wrap section's bytes received so far ([`Layout::Record`]; zeros otherwise).
    pub wrap: [u8; WRAP_LEN],
}

impl Meta {
    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(META_RECORD_LEN);
        out.push(match self.layout {
            Layout::Plain => META_PLAIN,
            Layout::Record => META_RECORD,
        });
        out.extend_from_slice(&self.length.to_be_bytes());
        out.extend_from_slice(&self.received.to_be_bytes());
        out.extend_from_slice(&self.created.days().to_be_bytes());
        if self.layout == Layout::Record {
            out.extend_from_slice(&self.wrap);
        }
        out
    }

    fn decode(b: &[u8]) -> Result<Self, StorageError> {
        let bad = StorageError::Corrupt("upload record");
        let layout = match (b.first(), b.len()) {
            (Some(&META_PLAIN), META_PLAIN_LEN) => Layout::Plain,
            (Some(&META_RECORD), META_RECORD_LEN) => Layout::Record,
            _ => return Err(bad),
        };
        let u64_at = |i: usize| {
            let mut x = [0u8; 8];
            x.copy_from_slice(&b[i..i + 8]);
            x
        };
        let mut wrap = [0u8; WRAP_LEN];
        if layout == Layout::Record {
            wrap.copy_from_slice(&b[META_PLAIN_LEN..]);
        }
        let meta = Meta {
            length: u64::from_be_bytes(u64_at(1)),
            received: u64::from_be_bytes(u64_at(9)),
            created: Day::from_days(i64::from_be_bytes(u64_at(17))),
            layout,
            wrap,
        };
        if meta.received > meta.length {
            return Err(bad);
        }
        Ok(meta)
    }

    /// What the file's readers need besides its length.
    fn shape(&self) -> (Layout, [u8; WRAP_LEN]) {
        (self.layout, self.wrap)
    }
}

/// Completed uploads taken for one submission. Dropping the claim without
/// [`UploadClaim::consume`] gives the uploads back, unchanged.
///
/// A claim holds no upload's bytes, only its first ones: a tip's insert moves the rest
/// chunk by chunk (`tips/attach.rs`), so memory stays one chunk however large the upload.
pub struct UploadClaim<'a> {
    store: &'a Store,
    ids: Vec<UploadId>,
    /// The claimed uploads, in the order they were named.
    pub uploads: Vec<ClaimedUpload>,
}

/// One claimed upload: enough to check it as an envelope without reading its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedUpload {
    /// Its id.
    pub id: UploadId,
    /// Its declared (and, being complete, received) length.
    pub length: u64,
    /// Its first [`HEADER_LEN`] + [`WRAP_LEN`] bytes, or all of them if it is shorter.
    pub start: Vec<u8>,
}

impl UploadClaim<'_> {
    /// Whether this claim holds the upload `id`.
    pub(super) fn holds(&self, id: UploadId) -> bool {
        self.ids.contains(&id)
    }

    /// Removes the claimed uploads: call once the tip that uses them is stored.
    pub fn consume(self) -> Result<(), StorageError> {
        let _gate = self.store.write_gate();
        let trees = &self.store.inner.uploads;
        let mut memory = trees.lock();
        for id in &self.ids {
            remove(trees, &mut memory, *id)?;
        }
        Ok(())
        // Drop releases the (now removed) ids from the claim set.
    }
}

impl Drop for UploadClaim<'_> {
    fn drop(&mut self) {
        let mut memory = self.store.inner.uploads.lock();
        for id in &self.ids {
            memory.claims.remove(id);
        }
    }
}

impl Store {
    /// Starts an upload of `length` bytes, created on `day`. Refused when
    /// [`MAX_OPEN_UPLOADS`] are open or the declared lengths of the open uploads plus
    /// this one would pass `budget` bytes. Old and idle uploads are freed by
    /// [`Store::expire_uploads`] and [`Store::sweep_idle_uploads`], which the server runs
    /// on a timer.
    pub fn create_upload(
        &self,
        id: UploadId,
        length: u64,
        day: Day,
        budget: u64,
    ) -> Result<(), UploadError> {
        self.create_upload_laid_out(id, length, day, budget, Layout::Record)
    }

    /// An upload as a release before session 26 created it (its file holds the envelope
    /// as received): for tests of what such a release left behind.
    #[cfg(test)]
    pub(super) fn create_plain_upload(
        &self,
        id: UploadId,
        length: u64,
        day: Day,
    ) -> Result<(), UploadError> {
        self.create_upload_laid_out(id, length, day, u64::MAX, Layout::Plain)
    }

    fn create_upload_laid_out(
        &self,
        id: UploadId,
        length: u64,
        day: Day,
        budget: u64,
        layout: Layout,
    ) -> Result<(), UploadError> {
        let _gate = self.write_gate();
        let trees = &self.inner.uploads;
        let mut memory = trees.lock();
        let (bytes, count) = *memory.reserved(&trees.meta)?;
        if count >= MAX_OPEN_UPLOADS || bytes.saturating_add(length) > budget {
            return Err(UploadError::TooMany);
        }
        let meta = Meta {
            length,
            received: 0,
            created: day,
            layout,
            wrap: [0; WRAP_LEN],
        };
        trees
            .meta
            .compare_and_swap(
                id.as_bytes(),
                None as Option<&[u8]>,
                Some(&meta.encode()[..]),
            )?
            .map_err(|_| StorageError::DuplicateId)?;
        // The record first: a crash before the file leaves a record without a file,
        // which the next open removes; a failed create takes the record back.
        let file = match trees.files.create(id) {
            Ok(file) => file,
            Err(failure) => {
                trees.meta.remove(id.as_bytes())?;
                return Err(failure.into());
            }
        };
        let pending = self.inner.commit.pending();
        pending.file_written(file_key(id), &file);
        pending.file_written((KIND_UPLOADS_DIR, 0), trees.files.dir_handle());
        memory.clocks.insert(id, Clock::new(Instant::now()));
        let reserved = memory.reserved(&trees.meta)?;
        reserved.0 = reserved.0.saturating_add(length);
        reserved.1 += 1;
        Ok(())
    }

    /// Appends `bytes` at `offset`, which must equal the bytes received so far. Returns
    /// the new offset: equal to `offset` when nothing was written (empty bytes, or an
    /// upload claimed right now), and then there is nothing to flush. Only bytes that
    /// grow the upload restart its idle clock: a refused or empty request is no activity.
    ///
    /// The record counts the new bytes only once the batch that syncs them ran (module
    /// docs): await [`Store::durable`] before reporting the new offset. Blocks for one
    /// batch when the previous append to this upload is still in flight.
    pub fn append_upload(
        &self,
        id: UploadId,
        offset: u64,
        bytes: &[u8],
    ) -> Result<u64, UploadError> {
        let trees = &self.inner.uploads;
        if trees.is_in_flight(id) {
            // Its batch may not have been asked for (a dropped request): ask for it.
            self.durable_blocking()?;
        }
        let _gate = self.write_gate();
        let mut memory = trees.lock();
        let meta = load(trees, id)?.ok_or(UploadError::NotFound)?;
        if offset != meta.received || trees.is_in_flight(id) {
            return Err(UploadError::OffsetMismatch {
                current: meta.received,
            });
        }
        let end = meta
            .received
            .checked_add(bytes.len() as u64)
            .filter(|&e| e <= meta.length)
            .ok_or(UploadError::PastEnd)?;
        if memory.claims.contains(&id) || bytes.is_empty() {
            return Ok(meta.received);
        }
        let file = match trees.files.write_at(id, meta.layout, offset, bytes) {
            Ok(file) => file,
            Err(WriteFailure::Damaged(what)) => {
                drop_damaged(trees, &mut memory, id, what)?;
                return Err(UploadError::NotFound);
            }
            Err(other) => return Err(other.into()),
        };
        // The record counts the bytes only after the batch synced them; compare-and-swap
        // on the record as read, so an upload removed meanwhile stays removed.
        lock_set(&trees.in_flight).insert(id);
        let mark = InFlight {
            set: trees.in_flight.clone(),
            id,
        };
        let records = trees.meta.clone();
        let mut grown = Meta {
            received: end,
            ..meta
        };
        // The wrap section's bytes go into the record, with the count that covers them.
        for (at, len, place) in meta.layout.runs(offset, bytes.len()) {
            if let Place::Wrap(to) = place {
                let from = (at - offset) as usize;
                grown.wrap[to..to + len].copy_from_slice(&bytes[from..from + len]);
            }
        }
        let (old, new) = (meta.encode(), grown.encode());
        let update = move || {
            let swapped = records.compare_and_swap(id.as_bytes(), Some(&old[..]), Some(&new[..]));
            if let Err(e) = swapped {
                // The bytes stay uncounted: the witness resumes from the old offset.
                tracing::error!(error = %e, "an upload's record could not count its bytes");
            }
            drop(mark);
        };
        self.inner
            .commit
            .pending()
            .file_written_then(file_key(id), &file, Box::new(update));
        let now = Instant::now();
        memory.clocks.entry(id).or_insert(Clock::new(now)).grew = now;
        Ok(end)
    }

    /// Where an upload stands, or `None` if there is no such upload.
    pub fn upload_status(&self, id: UploadId) -> Result<Option<UploadStatus>, UploadError> {
        Ok(load(&self.inner.uploads, id)?.map(|m| UploadStatus {
            length: m.length,
            received: m.received,
        }))
    }

    /// Claims completed uploads for one submission, all or none, and reads their first
    /// bytes (not the rest: see [`UploadClaim`]). An id that is unknown, or already
    /// claimed by another submission in flight, is [`UploadError::NotFound`]; one still
    /// receiving bytes is [`UploadError::Incomplete`].
    pub fn take_completed(&self, ids: &[UploadId]) -> Result<UploadClaim<'_>, UploadError> {
        let trees = &self.inner.uploads;
        let mut claimed = Vec::with_capacity(ids.len());
        {
            let mut memory = trees.lock();
            for &id in ids {
                let meta = load(trees, id)?;
                if memory.claims.contains(&id) || meta.is_none() {
                    return Err(UploadError::NotFound);
                }
                if meta.is_some_and(|m| m.received != m.length) {
                    return Err(UploadError::Incomplete);
                }
                claimed.push(id);
            }
            memory.claims.extend(claimed.iter().copied());
        }
        // From here on, the claim's Drop releases the ids on any early return.
        let mut claim = UploadClaim {
            store: self,
            ids: claimed,
            uploads: Vec::with_capacity(ids.len()),
        };
        for &id in ids {
            let meta = load(trees, id)?.ok_or(UploadError::NotFound)?;
            let (layout, wrap) = meta.shape();
            let length = meta.length;
            let start =
                match trees
                    .files
                    .read_start(id, (layout, &wrap), length, HEADER_LEN + WRAP_LEN)
                {
                    Ok(start) => start,
                    Err(StorageError::Corrupt(what)) => {
                        drop(claim);
                        let _gate = self.write_gate();
                        drop_damaged(trees, &mut trees.lock(), id, what)?;
                        return Err(UploadError::NotFound);
                    }
                    Err(e) => return Err(e.into()),
                };
            claim.uploads.push(ClaimedUpload { id, length, start });
        }
        Ok(claim)
    }

    /// An upload's bytes in order, in pieces of at most [`super::CHUNK_LEN`], each with its
    /// number. For a claimed upload: one being appended to could change underneath. A
    /// file holding fewer bytes than the record counts yields an error, never a shorter
    /// upload.
    pub(super) fn upload_chunks(
        &self,
        id: UploadId,
    ) -> impl Iterator<Item = Result<(u32, Vec<u8>), StorageError>> {
        let trees = &self.inner.uploads;
        let pieces = match load(trees, id) {
            Ok(Some(meta)) => Ok(trees.files.pieces(id, meta.shape(), meta.received)),
            Ok(None) => Err(StorageError::Corrupt("a claimed upload has no record")),
            Err(e) => Err(e),
        };
        let (pieces, failed) = match pieces {
            Ok(p) => (Some(p), None),
            Err(e) => (None, Some(Err(e))),
        };
        failed.into_iter().chain(pieces.into_iter().flatten())
    }

    /// A claimed upload's record and its file's path, for the tip that takes the file
    /// into the bundle log (`tips/attach.rs`).
    pub(super) fn claimed_upload(
        &self,
        id: UploadId,
    ) -> Result<(Meta, std::path::PathBuf), StorageError> {
        let trees = &self.inner.uploads;
        let meta =
            load(trees, id)?.ok_or(StorageError::Corrupt("a claimed upload has no record"))?;
        Ok((meta, trees.files.path(id)))
    }

    /// A claimed upload's first [`HEADER_LEN`] bytes (fewer if it is shorter), read from
    /// its file as `meta` lays it out; an error if the file holds fewer bytes than `meta`
    /// counts.
    pub(super) fn claimed_header(
        &self,
        id: UploadId,
        meta: &Meta,
    ) -> Result<Vec<u8>, StorageError> {
        let (layout, wrap) = meta.shape();
        self.inner
            .uploads
            .files
            .read_start(id, (layout, &wrap), meta.received, HEADER_LEN)
    }

    /// Reads a whole upload into memory: for tests only (the server never does).
    #[cfg(test)]
    pub(super) fn read_upload(&self, id: UploadId) -> Vec<u8> {
        self.upload_chunks(id).flat_map(|c| c.unwrap().1).collect()
    }

    /// Removes uploads created before `before` (complete or not, unless claimed right
    /// now). Returns how many were removed.
    pub fn expire_uploads(&self, before: Day) -> Result<usize, UploadError> {
        let _gate = self.write_gate();
        let trees = &self.inner.uploads;
        let mut memory = trees.lock();
        let mut removed = 0;
        for kv in trees.meta.iter() {
            let (k, v) = kv?;
            let id =
                UploadId::try_from_slice(&k).map_err(|_| StorageError::Corrupt("upload key"))?;
            if Meta::decode(&v)?.created < before && !memory.claims.contains(&id) {
                remove(trees, &mut memory, id)?;
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// Removes uploads (unless claimed right now) whose bytes have not grown for
    /// `rules.idle` up to `now`, and unfinished ones behind the minimum rate (see
    /// [`UploadSweep`]). An upload this process has not seen (one left from before a
    /// restart) starts its clocks now. Returns how many were removed.
    pub fn sweep_idle_uploads(
        &self,
        rules: UploadSweep,
        now: Instant,
    ) -> Result<usize, UploadError> {
        let _gate = self.write_gate();
        let trees = &self.inner.uploads;
        let mut memory = trees.lock();
        let mut removed = 0;
        for kv in trees.meta.iter() {
            let (k, v) = kv?;
            let id =
                UploadId::try_from_slice(&k).map_err(|_| StorageError::Corrupt("upload key"))?;
            let meta = Meta::decode(&v)?;
            let clock = *memory.clocks.entry(id).or_insert(Clock::new(now));
            if rules.frees(clock, &meta, now) && !memory.claims.contains(&id) {
                remove(trees, &mut memory, id)?;
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// Declared bytes of all open uploads, and how many there are.
    pub fn upload_reservations(&self) -> Result<(u64, usize), UploadError> {
        let trees = &self.inner.uploads;
        let mut memory = trees.lock();
        Ok(*memory.reserved(&trees.meta)?)
    }
}

fn load(trees: &UploadTrees, id: UploadId) -> Result<Option<Meta>, StorageError> {
    trees
        .meta
        .get(id.as_bytes())?
        .map(|v| Meta::decode(&v))
        .transpose()
}

/// The record first, then the file: a crash in between leaves only an orphan file,
/// which the next open removes ([`reconcile`]). The caller holds the lock.
fn remove(trees: &UploadTrees, memory: &mut InMemory, id: UploadId) -> Result<(), StorageError> {
    memory.clocks.remove(&id);
    // Counted before the removal, so the running total matches what is on disk.
    memory.reserved(&trees.meta)?;
    if let Some(old) = trees.meta.remove(id.as_bytes())? {
        let length = Meta::decode(&old).map_or(0, |m| m.length);
        if let Some(r) = memory.reserved.as_mut() {
            r.0 = r.0.saturating_sub(length);
            r.1 = r.1.saturating_sub(1);
        }
    }
    trees.files.remove(id)
}

/// Removes an upload whose file is missing or shorter than its record (a damaged disk,
/// a crash that lost unsynced bytes): its bytes cannot be trusted, and a witness who
/// resumes it gets the same 404 as for an expired one and starts it again.
fn drop_damaged(
    trees: &UploadTrees,
    memory: &mut InMemory,
    id: UploadId,
    what: &'static str,
) -> Result<(), StorageError> {
    // No id in the log: it is the witness's capability to the upload.
    tracing::error!(cause = what, "removed a damaged upload");
    remove(trees, memory, id)
}

/// The group-commit key of an upload's file.
fn file_key(id: UploadId) -> super::commit::FileKey {
    (KIND_UPLOAD, u128::from_be_bytes(*id.as_bytes()))
}

impl From<WriteFailure> for UploadError {
    fn from(f: WriteFailure) -> Self {
        match f {
            WriteFailure::NoSpace => UploadError::NoSpace,
            WriteFailure::Damaged(what) => UploadError::Storage(StorageError::Corrupt(what)),
            WriteFailure::Io(e) => UploadError::Storage(e.into()),
        }
    }
}

/// Moves the bytes a previous version kept in the `upload_chunks` tree (`upload id ‖
/// chunk u32 BE` → ≤ [`super::CHUNK_LEN`] bytes) into files, one chunk in memory at a time,
/// `fdatasync`s them and the directory, then drops the tree. An upload whose chunks do
/// not cover its `received` count is removed (logged). Interrupted, it runs again at the
/// next open: files are rewritten from the start, and the tree is dropped only last.
fn migrate_chunks(
    db: &sled::Db,
    meta: &sled::Tree,
    files: &UploadFiles,
) -> Result<(), StorageError> {
    let had_tree = db
        .tree_names()
        .iter()
        .any(|n| n.as_ref() == TREE_UPLOAD_CHUNKS.as_bytes());
    if !had_tree {
        return Ok(());
    }
    let chunks = db.open_tree(TREE_UPLOAD_CHUNKS)?;
    let (mut moved, mut dropped) = (0usize, 0usize);
    for kv in meta.iter() {
        let (key, value) = kv?;
        let id = UploadId::try_from_slice(&key).map_err(|_| StorageError::Corrupt("upload key"))?;
        let record = Meta::decode(&value)?;
        if migrate_one(&chunks, files, id, record.layout, record.received)? {
            moved += 1;
        } else {
            meta.remove(&key)?;
            files.remove(id)?;
            dropped += 1;
        }
    }
    files.dir_handle().sync_data()?;
    db.drop_tree(TREE_UPLOAD_CHUNKS)?;
    if moved + dropped > 0 {
        tracing::info!(
            moved,
            dropped,
            "moved unfinished uploads from the database into upload files"
        );
    }
    Ok(())
}

/// One upload's chunks into its file; `false` if they do not cover `received` bytes.
fn migrate_one(
    chunks: &sled::Tree,
    files: &UploadFiles,
    id: UploadId,
    layout: Layout,
    received: u64,
) -> Result<bool, StorageError> {
    let file = files.create(id).map_err(io_of)?;
    let mut pos = 0u64;
    for (expected, kv) in (0u64..).zip(chunks.scan_prefix(id.as_bytes())) {
        let (key, value) = kv?;
        let n = key
            .get(16..20)
            .and_then(|n| <[u8; 4]>::try_from(n).ok())
            .map(u32::from_be_bytes)
            .ok_or(StorageError::Corrupt("upload chunk key"))?;
        if u64::from(n) != expected || pos >= received {
            break;
        }
        let take = value
            .len()
            .min(usize::try_from(received - pos).unwrap_or(usize::MAX));
        files
            .write_at(id, layout, pos, &value[..take])
            .map_err(io_of)?;
        pos += take as u64;
    }
    file.sync_data()?;
    Ok(pos == received)
}

fn io_of(f: WriteFailure) -> StorageError {
    match UploadError::from(f) {
        UploadError::Storage(e) => e,
        _ => StorageError::Io(std::sync::Arc::new(std::io::Error::other(
            "the disk is full: free space on the data directory's disk",
        ))),
    }
}

/// Removes what a crash between a file and its record leaves: records whose file is
/// missing or holds fewer bytes than `received` (their bytes cannot be trusted), and
/// entries of the uploads directory that belong to no record. Logs how many.
fn reconcile(meta: &sled::Tree, files: &UploadFiles) -> Result<(), StorageError> {
    let mut records = 0usize;
    let mut known = HashSet::new();
    for kv in meta.iter() {
        let (key, value) = kv?;
        let id = UploadId::try_from_slice(&key).map_err(|_| StorageError::Corrupt("upload key"))?;
        let record = Meta::decode(&value)?;
        let need = record.layout.file_len(record.received);
        if files.len(id)?.is_some_and(|len| len >= need) {
            known.insert(id);
        } else {
            meta.remove(&key)?;
            records += 1;
        }
    }
    let mut strays = 0usize;
    for (id, path) in files.entries()? {
        if !id.is_some_and(|id| known.contains(&id)) {
            files.remove_stray(&path)?;
            strays += 1;
        }
    }
    if records + strays > 0 {
        tracing::warn!(
            records,
            files = strays,
            "removed upload records without their whole file and upload files without a record \
             (left by a crash or a damaged disk; their witnesses start those attachments again)"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::testutil::temp_store;
    use super::*;

    const DAY: Day = Day::from_days(20_000);

    fn id(n: u8) -> UploadId {
        UploadId::from_bytes([n; 16])
    }

    #[test]
    fn an_upload_in_uneven_pieces_comes_back_whole() {
        let (_dir, store) = temp_store();
        let data: Vec<u8> = (0..100_000u32).map(|i| (i * 7) as u8).collect();
        store
            .create_upload(id(1), data.len() as u64, DAY, u64::MAX)
            .unwrap();
        let mut offset = 0;
        for piece in [&data[..10], &data[10..40_000], &data[40_000..]] {
            offset = store.append_upload(id(1), offset, piece).unwrap();
            store.durable_blocking().unwrap();
        }
        assert_eq!(offset, data.len() as u64);
        let claim = store.take_completed(&[id(1)]).unwrap();
        assert_eq!(claim.uploads[0].length, data.len() as u64);
        assert_eq!(claim.uploads[0].start, data[..HEADER_LEN + WRAP_LEN]);
        assert_eq!(store.read_upload(id(1)), data);
        claim.consume().unwrap();
        assert!(store.upload_status(id(1)).unwrap().is_none());
    }

    #[test]
    fn a_wrong_offset_is_refused_with_the_current_one() {
        let (_dir, store) = temp_store();
        store.create_upload(id(2), 10, DAY, u64::MAX).unwrap();
        store.append_upload(id(2), 0, b"abcd").unwrap();
        store.durable_blocking().unwrap();
        assert!(matches!(
            store.append_upload(id(2), 2, b"xx"),
            Err(UploadError::OffsetMismatch { current: 4 })
        ));
        assert!(matches!(
            store.append_upload(id(2), 4, b"too many bytes"),
            Err(UploadError::PastEnd)
        ));
        assert!(matches!(
            store.take_completed(&[id(2)]),
            Err(UploadError::Incomplete)
        ));
        assert!(matches!(
            store.append_upload(id(9), 0, b"x"),
            Err(UploadError::NotFound)
        ));
    }

    #[test]
    fn a_claim_dropped_without_consuming_leaves_the_upload_and_blocks_a_second_claim() {
        let (_dir, store) = temp_store();
        store.create_upload(id(3), 3, DAY, u64::MAX).unwrap();
        store.append_upload(id(3), 0, b"abc").unwrap();
        store.durable_blocking().unwrap();
        let first = store.take_completed(&[id(3)]).unwrap();
        assert!(matches!(
            store.take_completed(&[id(3)]),
            Err(UploadError::NotFound)
        ));
        drop(first);
        let again = store.take_completed(&[id(3)]).unwrap();
        assert_eq!(again.uploads[0].start, b"abc");
        assert_eq!(store.read_upload(id(3)), b"abc");
    }

    #[test]
    fn old_uploads_expire_and_the_open_count_is_bounded() {
        let (_dir, store) = temp_store();
        store.create_upload(id(4), 3, DAY, u64::MAX).unwrap();
        store.append_upload(id(4), 0, b"ab").unwrap();
        store.durable_blocking().unwrap();
        assert_eq!(store.expire_uploads(DAY.plus_days(1)).unwrap(), 1);
        assert!(store.upload_status(id(4)).unwrap().is_none());
        for n in 0..MAX_OPEN_UPLOADS {
            let mut raw = [0u8; 16];
            raw[..8].copy_from_slice(&(n as u64).to_be_bytes());
            store
                .create_upload(UploadId::from_bytes(raw), 1, DAY, u64::MAX)
                .unwrap();
        }
        assert!(matches!(
            store.create_upload(id(5), 1, DAY, u64::MAX),
            Err(UploadError::TooMany)
        ));
    }

    #[test]
    fn an_appends_record_counts_its_bytes_only_once_the_batch_that_syncs_them_ran() {
        let (_dir, store) = temp_store();
        store.create_upload(id(40), 10, DAY, u64::MAX).unwrap();
        store.durable_blocking().unwrap();
        assert_eq!(store.append_upload(id(40), 0, b"abcd").unwrap(), 4);
        // No batch ran since (nobody waits): the record counts none of the bytes yet.
        assert_eq!(store.upload_status(id(40)).unwrap().unwrap().received, 0);
        store.durable_blocking().unwrap();
        assert_eq!(store.upload_status(id(40)).unwrap().unwrap().received, 4);
    }

    #[test]
    fn a_patch_whose_answer_was_never_awaited_does_not_leave_its_upload_stuck() {
        let (_dir, store) = temp_store();
        store.create_upload(id(41), 10, DAY, u64::MAX).unwrap();
        // A request dropped after its bytes were written: nobody asks for its batch.
        assert_eq!(store.append_upload(id(41), 0, b"abcd").unwrap(), 4);
        // The next PATCH asks for it, then goes on from the durable offset.
        assert_eq!(store.append_upload(id(41), 4, b"efgh").unwrap(), 8);
        store.durable_blocking().unwrap();
        assert_eq!(store.upload_status(id(41)).unwrap().unwrap().received, 8);
        assert!(matches!(
            store.append_upload(id(41), 4, b"xx"),
            Err(UploadError::OffsetMismatch { current: 8 })
        ));
    }

    #[test]
    fn an_upload_removed_while_its_bytes_are_in_flight_stays_removed() {
        let (_dir, store) = temp_store();
        store.create_upload(id(42), 10, DAY, u64::MAX).unwrap();
        assert_eq!(store.append_upload(id(42), 0, b"abcd").unwrap(), 4);
        assert_eq!(store.expire_uploads(DAY.plus_days(1)).unwrap(), 1);
        store.durable_blocking().unwrap();
        assert!(store.upload_status(id(42)).unwrap().is_none());
    }

    #[test]
    fn the_byte_budget_bounds_what_open_uploads_reserve() {
        let (_dir, store) = temp_store();
        store.create_upload(id(6), 600, DAY, 1000).unwrap();
        assert!(matches!(
            store.create_upload(id(7), 401, DAY, 1000),
            Err(UploadError::TooMany)
        ));
        store.create_upload(id(7), 400, DAY, 1000).unwrap();
        assert_eq!(store.upload_reservations().unwrap(), (1000, 2));
    }

    #[test]
    fn idle_uploads_are_swept_but_claimed_ones_are_kept() {
        let (_dir, store) = temp_store();
        let hour = Duration::from_secs(3600);
        store.create_upload(id(8), 10, DAY, u64::MAX).unwrap();
        store.create_upload(id(9), 2, DAY, u64::MAX).unwrap();
        store.append_upload(id(9), 0, b"ab").unwrap();
        store.durable_blocking().unwrap();
        let now = Instant::now();
        let hour = UploadSweep {
            idle: hour,
            min_bytes_per_sec: 0,
            grace: hour,
        };
        assert_eq!(store.sweep_idle_uploads(hour, now).unwrap(), 0);
        let claim = store.take_completed(&[id(9)]).unwrap();
        assert_eq!(store.sweep_idle_uploads(hour, now + hour.idle).unwrap(), 1);
        assert!(store.upload_status(id(8)).unwrap().is_none());
        assert!(store.upload_status(id(9)).unwrap().is_some());
        drop(claim);
        assert_eq!(store.sweep_idle_uploads(hour, now + hour.idle).unwrap(), 1);
        assert!(store.upload_status(id(9)).unwrap().is_none());
    }

    #[test]
    fn requests_that_add_no_bytes_do_not_keep_an_upload_alive() {
        let (_dir, store) = temp_store();
        let rules = UploadSweep {
            idle: Duration::from_secs(60),
            min_bytes_per_sec: 0,
            grace: Duration::from_secs(60),
        };
        store.create_upload(id(10), 10, DAY, u64::MAX).unwrap();
        let start = Instant::now();
        std::thread::sleep(Duration::from_millis(20));
        // Empty, at a wrong offset, past the end: none is progress.
        assert_eq!(store.append_upload(id(10), 0, b"").unwrap(), 0);
        assert!(store.append_upload(id(10), 3, b"x").is_err());
        assert!(store.append_upload(id(10), 0, &[0u8; 11]).is_err());
        let later = start + Duration::from_secs(60);
        assert_eq!(store.sweep_idle_uploads(rules, later).unwrap(), 1);
        assert!(store.upload_status(id(10)).unwrap().is_none());
    }

    #[test]
    fn an_upload_that_trickles_a_byte_at_a_time_falls_behind_the_minimum_rate() {
        let (_dir, store) = temp_store();
        let rules = UploadSweep {
            idle: Duration::from_secs(3600),
            min_bytes_per_sec: 100,
            grace: Duration::from_secs(10),
        };
        store.create_upload(id(11), 100_000, DAY, u64::MAX).unwrap();
        store.create_upload(id(12), 100_000, DAY, u64::MAX).unwrap();
        let start = Instant::now();
        store.append_upload(id(11), 0, b"x").unwrap();
        store.durable_blocking().unwrap();
        store.append_upload(id(12), 0, &[0u8; 5000]).unwrap();
        store.durable_blocking().unwrap();
        // Within the grace, both stay; 20 s in, 1 byte is behind 1000 owed, 5000 is not.
        assert_eq!(store.sweep_idle_uploads(rules, start).unwrap(), 0);
        let later = start + Duration::from_secs(20);
        assert_eq!(store.sweep_idle_uploads(rules, later).unwrap(), 1);
        assert!(store.upload_status(id(11)).unwrap().is_none());
        assert!(store.upload_status(id(12)).unwrap().is_some());
    }

    fn file_of(dir: &tempfile::TempDir, id: UploadId) -> std::path::PathBuf {
        dir.path().join("uploads").join(id.to_string())
    }

    /// Stores `data` as upload `id` in pieces of `piece` bytes.
    fn upload(store: &Store, id: UploadId, data: &[u8], piece: usize) {
        store
            .create_upload(id, data.len() as u64, DAY, u64::MAX)
            .unwrap();
        let mut offset = 0;
        for p in data.chunks(piece) {
            offset = store.append_upload(id, offset, p).unwrap();
            // As the HTTP layer does before it answers: the record counts the bytes now.
            store.durable_blocking().unwrap();
        }
    }

    #[test]
    fn pieces_that_straddle_the_header_and_wrap_read_back_as_sent_across_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let open = || Store::open(dir.path(), super::super::testutil::PEPPER).unwrap();
        let data: Vec<u8> = (0..1_000u32).map(|i| (i * 7 + 3) as u8).collect();
        for (n, piece) in [
            (50u8, 1usize),
            (51, 7),
            (52, 67),
            (53, 69),
            (54, 151),
            (55, 153),
        ] {
            let store = open();
            upload(&store, id(n), &data, piece);
            drop(store);
            let store = open();
            assert_eq!(store.upload_status(id(n)).unwrap().unwrap().received, 1_000);
            let claim = store.take_completed(&[id(n)]).unwrap();
            assert!(store.read_upload(id(n)) == data, "pieces of {piece}");
            drop(claim);
        }
    }

    #[test]
    fn the_bytes_go_to_the_uploads_file_and_come_back_in_numbered_pieces() {
        let (dir, store) = temp_store();
        let data: Vec<u8> = (0..200_000u32).map(|i| (i * 13 + i / 255) as u8).collect();
        upload(&store, id(20), &data, 65_537);
        // Laid out as a bundle-log record waiting for its frame; the wrap is in the record.
        let mut laid_out = vec![0u8; super::super::bundles::FRAME_LEN];
        laid_out.extend_from_slice(&data[..HEADER_LEN]);
        laid_out.extend_from_slice(&data[HEADER_LEN + WRAP_LEN..]);
        assert!(std::fs::read(file_of(&dir, id(20))).unwrap() == laid_out);
        let pieces: Vec<(u32, Vec<u8>)> = store.upload_chunks(id(20)).map(Result::unwrap).collect();
        let numbers: Vec<u32> = pieces.iter().map(|p| p.0).collect();
        assert_eq!(numbers, (0..7).collect::<Vec<u32>>());
        assert!(pieces.iter().all(|p| p.1.len() <= super::super::CHUNK_LEN));
        let joined: Vec<u8> = pieces.into_iter().flat_map(|p| p.1).collect();
        assert_eq!(joined, data);
        // Nothing of the bytes is in sled.
        let values = super::super::testutil::all_values(&store);
        assert!(values.iter().all(|(_, _, len)| *len < 1000), "{values:?}");
    }

    #[test]
    fn an_upload_resumes_after_a_reopen_at_its_durable_offset() {
        let dir = tempfile::tempdir().unwrap();
        let data: Vec<u8> = (0..90_000u32).map(|i| (i % 251) as u8).collect();
        {
            let store = Store::open(dir.path(), super::super::testutil::PEPPER).unwrap();
            store
                .create_upload(id(21), data.len() as u64, DAY, u64::MAX)
                .unwrap();
            store.append_upload(id(21), 0, &data[..50_000]).unwrap();
            store.durable_blocking().unwrap();
        }
        let store = Store::open(dir.path(), super::super::testutil::PEPPER).unwrap();
        let status = store.upload_status(id(21)).unwrap().unwrap();
        assert_eq!(status.received, 50_000);
        assert!(matches!(
            store.append_upload(id(21), 0, b"again"),
            Err(UploadError::OffsetMismatch { current: 50_000 })
        ));
        store
            .append_upload(id(21), 50_000, &data[50_000..])
            .unwrap();
        store.durable_blocking().unwrap();
        let claim = store.take_completed(&[id(21)]).unwrap();
        assert_eq!(store.read_upload(id(21)), data);
        drop(claim);
    }

    #[test]
    fn every_way_an_upload_ends_removes_its_file() {
        let (dir, store) = temp_store();
        for n in 22..25 {
            upload(&store, id(n), b"sealed bytes", 5);
            assert!(file_of(&dir, id(n)).exists());
        }
        // Used by a tip.
        store.take_completed(&[id(22)]).unwrap().consume().unwrap();
        assert!(!file_of(&dir, id(22)).exists());
        // Idle.
        let rules = UploadSweep {
            idle: Duration::from_secs(60),
            min_bytes_per_sec: 0,
            grace: Duration::from_secs(60),
        };
        let later = Instant::now() + Duration::from_secs(61);
        assert_eq!(store.sweep_idle_uploads(rules, later).unwrap(), 2);
        assert!(!file_of(&dir, id(23)).exists());
        assert!(!file_of(&dir, id(24)).exists());
        // Expired.
        upload(&store, id(25), b"x", 1);
        assert_eq!(store.expire_uploads(DAY.plus_days(1)).unwrap(), 1);
        assert!(!file_of(&dir, id(25)).exists());
        assert_eq!(
            std::fs::read_dir(dir.path().join("uploads"))
                .unwrap()
                .count(),
            0
        );
    }

    #[test]
    fn at_open_files_without_a_record_and_records_without_a_whole_file_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let open = || Store::open(dir.path(), super::super::testutil::PEPPER).unwrap();
        {
            let store = open();
            upload(&store, id(26), b"kept whole", 4);
            upload(&store, id(27), b"file lost", 4);
            upload(&store, id(28), b"file cut short", 4);
            store.create_upload(id(29), 5, DAY, u64::MAX).unwrap();
            store.durable_blocking().unwrap();
        }
        let uploads = dir.path().join("uploads");
        std::fs::remove_file(uploads.join(id(27).to_string())).unwrap();
        let cut = std::fs::OpenOptions::new()
            .write(true)
            .open(uploads.join(id(28).to_string()))
            .unwrap();
        cut.set_len(3).unwrap();
        // A crash between a file and its record, and something that is no upload at all.
        std::fs::write(uploads.join(id(30).to_string()), b"no record").unwrap();
        std::fs::write(uploads.join("leftover.tmp"), b"?").unwrap();

        let store = open();
        let open_ids: Vec<u8> = (26..31)
            .filter(|&n| store.upload_status(id(n)).unwrap().is_some())
            .collect();
        assert_eq!(
            open_ids,
            vec![26, 29],
            "an empty upload's empty file is whole"
        );
        let mut names: Vec<String> = std::fs::read_dir(&uploads)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, vec![id(26).to_string(), id(29).to_string()]);
        assert_eq!(store.upload_reservations().unwrap(), (10 + 5, 2));
        assert_eq!(store.read_upload(id(26)), b"kept whole");
    }

    #[test]
    fn a_file_shorter_than_its_record_is_never_read_as_a_shorter_upload() {
        let (dir, store) = temp_store();
        let cut = |n: u8, len: u64| {
            let f = std::fs::OpenOptions::new()
                .write(true)
                .open(file_of(&dir, id(n)))
                .unwrap();
            f.set_len(len).unwrap();
        };
        // Resuming after the loss: the upload is gone (404), not continued over a hole.
        store.create_upload(id(31), 20, DAY, u64::MAX).unwrap();
        store.append_upload(id(31), 0, b"0123456789").unwrap();
        store.durable_blocking().unwrap();
        cut(31, 4);
        assert!(matches!(
            store.append_upload(id(31), 10, b"abcdefghij"),
            Err(UploadError::NotFound)
        ));
        assert!(store.upload_status(id(31)).unwrap().is_none());
        assert!(!file_of(&dir, id(31)).exists());
        // Submitting it: refused and removed.
        upload(&store, id(32), &[7u8; 400], 100);
        cut(32, Layout::Record.file_len(400) - 1);
        assert!(matches!(
            store.take_completed(&[id(32)]),
            Err(UploadError::NotFound)
        ));
        assert!(store.upload_status(id(32)).unwrap().is_none());
        // Losing bytes after the claim: the pieces end in an error, not early.
        upload(&store, id(33), &[9u8; 100_000], 30_000);
        let claim = store.take_completed(&[id(33)]).unwrap();
        cut(33, 70_000);
        let pieces: Vec<_> = store.upload_chunks(id(33)).collect();
        assert!(matches!(pieces.last(), Some(Err(StorageError::Corrupt(_)))));
        let read: usize = pieces.iter().flatten().map(|p| p.1.len()).sum();
        assert!(read < 100_000);
        drop(claim);
    }

    #[test]
    fn a_failed_write_counts_no_bytes() {
        let (dir, store) = temp_store();
        store.create_upload(id(34), 10, DAY, u64::MAX).unwrap();
        store.append_upload(id(34), 0, b"abc").unwrap();
        store.durable_blocking().unwrap();
        // The file cannot be written (here: a directory stands in its place).
        std::fs::remove_file(file_of(&dir, id(34))).unwrap();
        std::fs::create_dir(file_of(&dir, id(34))).unwrap();
        assert!(matches!(
            store.append_upload(id(34), 3, b"defg"),
            Err(UploadError::Storage(_))
        ));
        let status = store.upload_status(id(34)).unwrap().unwrap();
        assert_eq!(status.received, 3);
    }

    #[test]
    fn upload_files_and_their_directory_show_only_the_day_and_only_their_owner() {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};

        let (dir, store) = temp_store();
        upload(&store, id(35), b"abcdef", 2);
        upload(&store, id(36), b"gone", 4);
        store.take_completed(&[id(36)]).unwrap().consume().unwrap();
        let claim = store.take_completed(&[id(35)]).unwrap();
        assert_eq!(store.read_upload(id(35)), b"abcdef");
        drop(claim);
        let midnight = super::super::midnight()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        for path in [dir.path().join("uploads"), file_of(&dir, id(35))] {
            let m = std::fs::metadata(&path).unwrap();
            assert_eq!((m.mtime(), m.mtime_nsec()), (midnight, 0), "{path:?}");
            assert_eq!((m.atime(), m.atime_nsec()), (midnight, 0), "{path:?}");
        }
        let mode = |p: std::path::PathBuf| std::fs::metadata(p).unwrap().permissions().mode();
        assert_eq!(mode(dir.path().join("uploads")) & 0o777, 0o700);
        assert_eq!(mode(file_of(&dir, id(35))) & 0o777, 0o600);
    }

    #[test]
    fn uploads_an_older_version_kept_in_sled_move_into_files_at_open() {
        let dir = tempfile::tempdir().unwrap();
        let open = || Store::open(dir.path(), super::super::testutil::PEPPER).unwrap();
        let data: Vec<u8> = (0..70_000u32).map(|i| (i % 253) as u8).collect();
        {
            // The old layout: records in `uploads`, bytes in `upload_chunks`, no files.
            let store = open();
            // (Records of that time are format 1: the file holds the envelope as sent.)
            store.create_plain_upload(id(37), 100_000, DAY).unwrap();
            store.create_plain_upload(id(38), 100_000, DAY).unwrap();
            let old = store.inner.db.open_tree(TREE_UPLOAD_CHUNKS).unwrap();
            let meta = &store.inner.uploads.meta;
            for (n, received) in [(37u8, 70_000u64), (38, 70_000)] {
                let mut record = Meta::decode(&meta.get([n; 16]).unwrap().unwrap()).unwrap();
                record.received = received;
                meta.insert([n; 16], &record.encode()[..]).unwrap();
            }
            for (i, chunk) in data.chunks(super::super::CHUNK_LEN).enumerate() {
                for n in [37u8, 38] {
                    // Upload 38 lost its last chunk: it cannot be moved whole.
                    if n == 38 && i == 2 {
                        continue;
                    }
                    let mut key = [n; 20];
                    key[16..].copy_from_slice(&(i as u32).to_be_bytes());
                    old.insert(key, chunk).unwrap();
                }
            }
            store.durable_blocking().unwrap();
            std::fs::remove_dir_all(dir.path().join("uploads")).unwrap();
        }
        let store = open();
        assert_eq!(
            store.upload_status(id(37)).unwrap().unwrap().received,
            70_000
        );
        assert!(store.upload_status(id(38)).unwrap().is_none());
        assert_eq!(
            std::fs::read(file_of_dir(dir.path(), id(37))).unwrap(),
            data
        );
        assert!(!file_of_dir(dir.path(), id(38)).exists());
        assert!(!store
            .inner
            .db
            .tree_names()
            .iter()
            .any(|n| n.as_ref() == TREE_UPLOAD_CHUNKS.as_bytes()));
        store.append_upload(id(37), 70_000, &[1u8; 30_000]).unwrap();
        store.durable_blocking().unwrap();
        let claim = store.take_completed(&[id(37)]).unwrap();
        assert_eq!(&store.read_upload(id(37))[..70_000], &data[..]);
        drop(claim);
    }

    fn file_of_dir(dir: &std::path::Path, id: UploadId) -> std::path::PathBuf {
        dir.join("uploads").join(id.to_string())
    }
}
