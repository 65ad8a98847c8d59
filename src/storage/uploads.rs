//! Resumable uploads: large attachment envelopes that arrive in pieces before the tip
//! that names them (`docs/web.md`, uploads API).
//!
//! | tree             | key                          | value                                  |
//! |------------------|------------------------------|----------------------------------------|
//! | `uploads`        | upload id (16)               | format u8 = 1 ‖ length u64 ‖ received u64 ‖ created day i64 |
//! | `upload_chunks`  | upload id (16) ‖ chunk u32 BE | ≤ [`CHUNK_LEN`] bytes of the envelope  |
//!
//! Bytes are sealed envelope bytes the server cannot read; like tip chunks, no value
//! exceeds [`CHUNK_LEN`]. The only time kept on disk is the UTC day an upload was
//! created, to expire it. When this process first saw each upload and when its bytes last
//! grew are kept in memory only (`Instant`s, never written): after a restart every
//! upload starts fresh clocks, so no precise time of a witness's activity is ever on
//! disk. Only bytes that grow an upload count as activity, and an unfinished upload must
//! keep a minimum rate ([`UploadSweep`]): requests that add nothing cannot hold the
//! upload budget. A completed upload is *claimed* (in memory) by the submission that names
//! it, and removed only once that tip is stored: a failed insert leaves it usable, and
//! two submissions can never both use it. Nothing here flushes: await
//! [`Store::durable`] before acknowledging.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::domain::{Day, UploadId};

use super::{StorageError, Store, CHUNK_LEN, HEADER_LEN, WRAP_LEN};

const TREE_UPLOADS: &str = "uploads";
const TREE_UPLOAD_CHUNKS: &str = "upload_chunks";
const META_FORMAT: u8 = 1;
const META_LEN: usize = 25;

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

/// The upload trees and the in-memory claims, owned by the [`Store`].
pub(super) struct UploadTrees {
    meta: sled::Tree,
    chunks: sled::Tree,
    /// Serialises changes to uploads; holds the claims and the idle clocks.
    memory: Mutex<InMemory>,
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
    pub(super) fn open(db: &sled::Db) -> Result<Self, StorageError> {
        Ok(Self {
            meta: db.open_tree(TREE_UPLOADS)?,
            chunks: db.open_tree(TREE_UPLOAD_CHUNKS)?,
            memory: Mutex::new(InMemory::default()),
        })
    }

    fn lock(&self) -> MutexGuard<'_, InMemory> {
        self.memory.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[derive(Clone, Copy)]
struct Meta {
    length: u64,
    received: u64,
    created: Day,
}

impl Meta {
    fn encode(&self) -> [u8; META_LEN] {
        let mut out = [0u8; META_LEN];
        out[0] = META_FORMAT;
        out[1..9].copy_from_slice(&self.length.to_be_bytes());
        out[9..17].copy_from_slice(&self.received.to_be_bytes());
        out[17..25].copy_from_slice(&self.created.days().to_be_bytes());
        out
    }

    fn decode(b: &[u8]) -> Result<Self, StorageError> {
        let bad = StorageError::Corrupt("upload record");
        let b: &[u8; META_LEN] = b.try_into().map_err(|_| bad.clone())?;
        if b[0] != META_FORMAT {
            return Err(bad);
        }
        let u64_at = |i: usize| {
            let mut x = [0u8; 8];
            x.copy_from_slice(&b[i..i + 8]);
            x
        };
        let meta = Meta {
            length: u64::from_be_bytes(u64_at(1)),
            received: u64::from_be_bytes(u64_at(9)),
            created: Day::from_days(i64::from_be_bytes(u64_at(17))),
        };
        if meta.received > meta.length {
            return Err(bad);
        }
        Ok(meta)
    }
}

fn chunk_key(id: UploadId, chunk: u64) -> Result<[u8; 20], StorageError> {
    let chunk = u32::try_from(chunk).map_err(|_| StorageError::Invalid("upload too large"))?;
    let mut key = [0u8; 20];
    key[..16].copy_from_slice(id.as_bytes());
    key[16..].copy_from_slice(&chunk.to_be_bytes());
    Ok(key)
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
        };
        trees
            .meta
            .compare_and_swap(
                id.as_bytes(),
                None as Option<&[u8]>,
                Some(&meta.encode()[..]),
            )?
            .map_err(|_| StorageError::DuplicateId)?;
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
    pub fn append_upload(
        &self,
        id: UploadId,
        offset: u64,
        bytes: &[u8],
    ) -> Result<u64, UploadError> {
        let _gate = self.write_gate();
        let trees = &self.inner.uploads;
        let mut memory = trees.lock();
        let mut meta = load(trees, id)?.ok_or(UploadError::NotFound)?;
        if offset != meta.received {
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
        let chunk_len = CHUNK_LEN as u64;
        let mut chunk = meta.received / chunk_len;
        let mut rest = bytes;
        // Fill up the last, partial chunk first.
        let partial = (meta.received % chunk_len) as usize;
        if partial > 0 {
            let key = chunk_key(id, chunk)?;
            let old = trees
                .chunks
                .get(key)?
                .ok_or(StorageError::Corrupt("an upload chunk is missing"))?;
            let take = rest.len().min(CHUNK_LEN - partial);
            let mut value = Vec::with_capacity(partial + take);
            value.extend_from_slice(old.get(..partial).ok_or(StorageError::Corrupt(
                "an upload chunk is shorter than recorded",
            ))?);
            value.extend_from_slice(&rest[..take]);
            trees.chunks.insert(key, value)?;
            rest = &rest[take..];
            chunk += 1;
        }
        for piece in rest.chunks(CHUNK_LEN) {
            trees.chunks.insert(chunk_key(id, chunk)?, piece)?;
            chunk += 1;
        }
        meta.received = end;
        trees.meta.insert(id.as_bytes(), &meta.encode()[..])?;
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
            let length = load(trees, id)?.ok_or(UploadError::NotFound)?.length;
            let first = trees.chunks.get(chunk_key(id, 0)?)?;
            let start = first.map_or_else(Vec::new, |c| {
                c[..c.len().min(HEADER_LEN + WRAP_LEN)].to_vec()
            });
            claim.uploads.push(ClaimedUpload { id, length, start });
        }
        Ok(claim)
    }

    /// An upload's chunks in order, each with its number (a gap means a chunk is
    /// missing). For a claimed upload: one being appended to could change underneath.
    pub(super) fn upload_chunks(
        &self,
        id: UploadId,
    ) -> impl Iterator<Item = Result<(u32, sled::IVec), StorageError>> {
        self.inner
            .uploads
            .chunks
            .scan_prefix(id.as_bytes())
            .map(|kv| {
                let (k, v) = kv?;
                let n = k
                    .get(16..20)
                    .and_then(|n| <[u8; 4]>::try_from(n).ok())
                    .ok_or(StorageError::Corrupt("upload chunk key"))?;
                Ok((u32::from_be_bytes(n), v))
            })
    }

    /// Reads a whole upload into memory: for tests only (the server never does).
    #[cfg(test)]
    pub(super) fn read_upload(&self, id: UploadId) -> Vec<u8> {
        self.upload_chunks(id)
            .flat_map(|c| c.unwrap().1.to_vec())
            .collect()
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

    /// Removes upload chunks whose record is gone (a crash in the middle of a removal).
    /// For start-up: walks every chunk key.
    pub fn remove_orphan_upload_chunks(&self) -> Result<usize, UploadError> {
        let _gate = self.write_gate();
        let trees = &self.inner.uploads;
        let _memory = trees.lock();
        let mut removed = 0;
        for key in trees.chunks.iter().keys() {
            let key = key?;
            if !trees.meta.contains_key(&key[..16.min(key.len())])? {
                trees.chunks.remove(key)?;
                removed += 1;
            }
        }
        Ok(removed)
    }
}

fn load(trees: &UploadTrees, id: UploadId) -> Result<Option<Meta>, StorageError> {
    trees
        .meta
        .get(id.as_bytes())?
        .map(|v| Meta::decode(&v))
        .transpose()
}

/// The record first, then the chunks: a crash in between leaves only orphan chunks,
/// which [`Store::remove_orphan_upload_chunks`] finds. The caller holds the lock.
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
    for key in trees.chunks.scan_prefix(id.as_bytes()).keys() {
        trees.chunks.remove(key?)?;
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
        store.append_upload(id(12), 0, &[0u8; 5000]).unwrap();
        // Within the grace, both stay; 20 s in, 1 byte is behind 1000 owed, 5000 is not.
        assert_eq!(store.sweep_idle_uploads(rules, start).unwrap(), 0);
        let later = start + Duration::from_secs(20);
        assert_eq!(store.sweep_idle_uploads(rules, later).unwrap(), 1);
        assert!(store.upload_status(id(11)).unwrap().is_none());
        assert!(store.upload_status(id(12)).unwrap().is_some());
    }
}
