//! Storage: the only module that imports sled.
//!
//! It owns the on-disk layout (`layout.rs`), the group-commit thread that makes writes
//! durable (`commit.rs`), and the operations on tips, the keyring and the audit chain.
//! It stores sealed bytes it cannot read: callers pass in ids, hashes and bytes already
//! computed. It must never import `crypto` or `http`, never store anything finer than a
//! UTC day about a tip, never call `flush_async` (it deadlocks under concurrency, sled
//! #1308), and never write a sled value larger than [`MAX_VALUE_LEN`] (sled writes larger
//! values to blob files that it does not fsync).
//!
//! Nothing here flushes on its own: a write is durable once [`Store::durable`] (or
//! [`Store::durable_blocking`]), called after the write returned, has resolved. Await it
//! before acknowledging anything to a client.
//!
//! One process per data directory: sled holds an exclusive lock on it.

mod audit;
mod bundles;
mod commit;
mod events;
mod keyring;
mod layout;
mod mailbox;
mod reclaim;
mod retention;
mod snapshot;
mod tips;
mod upload_files;
mod uploads;

use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use zeroize::Zeroizing;

pub use events::{
    AppendError, Appended, EventMarks, FeedItem, NewEvent, StoredEvent, MAX_EVENTS_PER_LOG,
    MAX_EVENT_BYTES,
};
pub use layout::{is_tip_tree, CHUNK_LEN, HEADER_LEN, MAX_PARTS, WRAP_LEN};
pub use mailbox::{
    Reader, ThreadBatchPieces, ThreadEntry, ThreadEntryPieces, ThreadIndexEntry, ThreadKind,
    WrapPatchError, MAX_THREAD_ENTRIES,
};
pub use retention::RetentionReport;
pub use snapshot::{load_into_new, SnapshotCounts, SnapshotEntry, SnapshotError};
pub use tips::{
    CompactionReport, Idempotency, InsertOutcome, NewPart, NewTip, StoredPart, StoredTip,
    SwapError, TipPieces, TipSummary, UploadedPart,
};
pub use uploads::{
    ClaimedUpload, UploadClaim, UploadError, UploadStatus, UploadSweep, MAX_OPEN_UPLOADS,
};

use commit::GroupCommit;

/// The largest value storage ever writes to sled.
///
/// sled 0.34 moves values above roughly 128 KiB into separate blob files and does not
/// fsync them on `flush()`; half of that leaves a margin. Measured, see DESIGN.md §4.
pub const MAX_VALUE_LEN: usize = 64 * 1024;

/// Bytes of sled's page cache unless the server is configured otherwise
/// (`server.cache_bytes`).
///
/// sled's default is 1 GiB, too much for the small machines NGOs run this on. sled counts
/// a cached node by its size in the log; in memory it takes ~1.3–1.5 times that (the
/// ~2.5 times measured before counted the replaced nodes sled had not yet freed, which
/// [`Store::reclaim_replaced_nodes`] now frees after a burst). Less would not only slow
/// re-reads: an insert looks up and writes leaves of random keys (ids, idempotency
/// hashes), which come back from the log once the index outgrows the cache. 6 MiB keeps
/// ~2–4 MiB less after a flood than 8 MiB (42–46 MiB instead of 43–50, after floods of
/// 62,000–119,000 tips) at the same intake; over a million stored tips both stayed
/// within 20% of an empty store in alternating rounds (6 MiB: 81–91%, 8 MiB: 81–93%;
/// the one 76% of session 29 was this measurement's noise). 16 MiB keeps ~11 MiB more
/// than 8. `BENCHMARKS.md`, "Session 31".
pub const DEFAULT_CACHE_BYTES: u64 = 6 * 1024 * 1024;

/// sled's segment (and I/O buffer) size for a new database: 4 MiB instead of 512 KiB.
///
/// sled writes any log message over a quarter of a segment to a separate blob file that
/// `flush()` does not fsync — not only a large value, but a consolidated leaf, which in
/// `blobs` holds up to 17 chunks (~560 KB with 32 KiB chunks). With 512 KiB segments such
/// leaves, holding acknowledged tips, went to those files; with 4 MiB every message stays
/// in the fsynced log.
const SEGMENT_BYTES: usize = 4 * 1024 * 1024;

/// sled refuses to open a database with another segment size than the one it was created
/// with: a database created before [`SEGMENT_BYTES`] keeps its own (read from sled's
/// `conf` file: `key: value` lines, then a binary checksum), a new one gets
/// [`SEGMENT_BYTES`].
fn segment_size_for(dir: &Path) -> usize {
    std::fs::read(dir.join("conf"))
        .ok()
        .and_then(|conf| {
            String::from_utf8_lossy(&conf)
                .lines()
                .filter_map(|l| l.strip_prefix("segment_size:"))
                .find_map(|v| v.trim().parse().ok())
        })
        .unwrap_or(SEGMENT_BYTES)
}

/// How long opening waits for sled's lock on the data directory.
///
/// After the last handle of a database is dropped, sled's background I/O threads may hold
/// the lock a little longer; a restart in the same process (tests, a supervisor) would
/// fail without this. A second server on the same directory is still refused, later.
const LOCK_WAIT: Duration = Duration::from_secs(3);

/// The version of the on-disk layout described in [`layout`]. Stored in `meta`.
///
/// 2: tips' bytes in the bundle log (record format 2). 3: each new tip's wraps in its
/// record (format 3), so a tip is one index entry. 4: records keyed by the received day
/// first (`tips_by_day`, [`layout::tip_key`]). 5: upload records of format 2, whose
/// files are laid out as bundle-log records and adopted by the log at submit
/// (`uploads.rs`, `bundles/adopt.rs`); format-1 uploads read on. 6: idempotency records
/// hold the tip's received day ([`layout::idempotency_value`]); older ones read on. A
/// binary that reads only older versions refuses such a directory with a clear error
/// instead of finding records it cannot decode. An older directory is upgraded by
/// opening it: its records move from `tips` to `tips_by_day` (`tips/migrate.rs`; once:
/// ~60 s and ~1 GiB of memory for a million tips, well under a second for thousands:
/// BENCHMARKS.md, session 21); their bytes do not move: format-1 and -2 tips read on as
/// they are (a rewrap writes a format-2 tip as format 3), new tips are format 3.
const SCHEMA_VERSION: u32 = 6;

/// Older layouts this build opens (and marks as [`SCHEMA_VERSION`]).
const READABLE_SCHEMAS: &[u32] = &[1, 2, 3, 4, 5];

/// Why a storage operation failed. Text never contains stored bytes.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StorageError {
    /// sled reported an error (I/O, corruption detected by sled, or a sled bug).
    #[error("database error: {0}")]
    Sled(#[from] sled::Error),
    /// A stored value does not have the layout this version writes; the text says which.
    #[error("stored data is corrupt: {0}")]
    Corrupt(&'static str),
    /// The group-commit thread has stopped, so nothing can be made durable.
    #[error("the group-commit thread is gone")]
    CommitterGone,
    /// The caller passed something storage refuses (wrong sizes, too many parts …).
    #[error("refused by storage: {0}")]
    Invalid(&'static str),
    /// The tip's conversation has reached [`MAX_THREAD_ENTRIES`] entries or
    /// [`crate::domain::limits::MAX_THREAD_BYTES`] stored bytes: nothing was added.
    #[error("the conversation is full")]
    ConversationFull,
    /// A tip with this id is already stored. Ids are 128 random bits, so this is a bug.
    #[error("a tip with this id is already stored")]
    DuplicateId,
    /// The submission's idempotency record was written by an older release with a
    /// BLAKE2b body hash: set `Idempotency::legacy_body_hash` and ask again.
    #[error(
        "the idempotency record holds a BLAKE2b body hash: hash the body with it and ask again"
    )]
    LegacyBodyHash,
    /// The data directory was written by a version with another layout.
    #[error("the data directory has schema version {0}, this build reads only versions 1 to 4: use the tipseal release that wrote it")]
    Schema(u32),
    /// The data directory or the group-commit thread could not be created.
    #[error("cannot prepare storage: {0}")]
    Io(Arc<std::io::Error>),
}

impl From<std::io::Error> for StorageError {
    fn from(e: std::io::Error) -> Self {
        StorageError::Io(Arc::new(e))
    }
}

/// Turns a failed transaction into the error it aborted with, or sled's error.
fn tx_error<E: From<StorageError>>(e: sled::transaction::TransactionError<E>) -> E {
    match e {
        sled::transaction::TransactionError::Abort(e) => e,
        sled::transaction::TransactionError::Storage(e) => E::from(StorageError::Sled(e)),
    }
}

/// The database: cheap to clone, shared by all request handlers.
///
/// The group-commit thread stops, after one last flush, when the last clone is dropped.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    // Field order is drop order: the commit thread is joined (and has flushed) before
    // the trees and the database handle go away.
    commit: GroupCommit,
    /// The tips' sealed bytes (format-2 records point into it).
    log: Arc<bundles::BundleLog>,
    db: sled::Db,
    tips: sled::Tree,
    blobs: sled::Tree,
    pending: sled::Tree,
    wraps: sled::Tree,
    idempotency: sled::Tree,
    keyring: sled::Tree,
    audit: sled::Tree,
    meta: sled::Tree,
    uploads: uploads::UploadTrees,
    pepper: Zeroizing<[u8; 32]>,
    /// Shared by every writing method, exclusive for a snapshot (`snapshot.rs`).
    gate: std::sync::RwLock<()>,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print the pepper.
        f.write_str("Store(..)")
    }
}

impl Store {
    /// Opens (or creates) the database in `dir`.
    ///
    /// `fresh_pepper` must be 32 fresh random bytes; it is stored only when the database
    /// has no pepper yet, so the pepper stays the same across restarts. Opening also
    /// starts a new bundle-log segment, removes what a crash in the middle of an insert
    /// left (a record without its idempotency key or without whole log records, its
    /// wraps: `tips/insert.rs`), starts the group-commit thread, and flushes once so the
    /// pepper and the schema version are durable before anything is hashed with them.
    ///
    /// sled's periodic background flush is turned off (`flush_every_ms(None)`): the
    /// group-commit thread is the only flusher, so an acknowledged write never waits
    /// behind a timer flush, and durability has exactly one path that tests exercise.
    pub fn open(dir: &Path, fresh_pepper: [u8; 32]) -> Result<Store, StorageError> {
        Self::open_with_cache(dir, fresh_pepper, DEFAULT_CACHE_BYTES)
    }

    /// [`Store::open`] with a page cache of `cache_bytes` (the server's `cache_bytes`
    /// setting).
    pub fn open_with_cache(
        dir: &Path,
        fresh_pepper: [u8; 32],
        cache_bytes: u64,
    ) -> Result<Store, StorageError> {
        let fresh_pepper = Zeroizing::new(fresh_pepper);
        create_private_dir(dir)?;
        let db = open_sled(dir, cache_bytes)?;
        let meta = db.open_tree(layout::TREE_META)?;
        check_schema(&meta)?;
        let pepper = load_or_set_pepper(&meta, &fresh_pepper)?;
        // After `check_schema` marked the directory 4, so no older binary writes `tips`.
        tips::move_tips_to_day_keys(&db)?;
        let tips = db.open_tree(layout::TREE_TIPS)?;
        let blobs = db.open_tree(layout::TREE_BLOBS)?;
        let pending = db.open_tree(layout::TREE_PENDING)?;
        let wraps = db.open_tree(layout::TREE_WRAPS)?;
        let idempotency = db.open_tree(layout::TREE_IDEMPOTENCY)?;
        let durable_work = commit::Pending::default();
        let log = Arc::new(bundles::BundleLog::open(dir, durable_work.clone())?);
        let removed = tips::remove_unfinished(&tips::InsertTrees {
            tips: &tips,
            blobs: &blobs,
            wraps: &wraps,
            idempotency: &idempotency,
            pending: &pending,
            log: &log,
        })?;
        if removed > 0 {
            tracing::info!(tips = removed, "removed tips whose insert never finished");
        }
        // Before the flush: it moves bytes an older version kept in sled into files.
        let uploads = uploads::UploadTrees::open(&db, dir)?;
        db.flush()?;
        let inner = Inner {
            commit: GroupCommit::start(db.clone(), dir, durable_work)?,
            log,
            tips,
            blobs,
            pending,
            wraps,
            idempotency,
            keyring: db.open_tree(layout::TREE_KEYRING)?,
            audit: db.open_tree(layout::TREE_AUDIT)?,
            meta,
            uploads,
            db,
            pepper,
            gate: std::sync::RwLock::new(()),
        };
        Ok(Store {
            inner: Arc::new(inner),
        })
    }

    /// Resolves once a `db.flush()` that started after this call has completed, so every
    /// write that returned before the call is on disk. Await it before answering 201.
    pub async fn durable(&self) -> Result<(), StorageError> {
        self.inner.commit.durable().await
    }

    /// Like [`Store::durable`], blocking the calling thread. Not for async contexts.
    pub fn durable_blocking(&self) -> Result<(), StorageError> {
        self.inner.commit.durable_blocking()
    }

    /// Bytes the database takes on disk, for operations dashboards.
    pub fn size_on_disk(&self) -> Result<u64, StorageError> {
        Ok(self.inner.db.size_on_disk()? + self.inner.log.bytes()?)
    }

    /// A handle that does not keep the database open (for background threads that must
    /// not outlive the server).
    pub fn downgrade(&self) -> WeakStore {
        WeakStore(Arc::downgrade(&self.inner))
    }

    /// The server's 32-byte pepper for keyed hashes (idempotency keys). Secret: never log it.
    pub fn pepper(&self) -> [u8; 32] {
        *self.inner.pepper
    }
}

/// A [`Store`] that may have been closed; see [`Store::downgrade`].
#[derive(Clone)]
pub struct WeakStore(std::sync::Weak<Inner>);

impl WeakStore {
    /// The store, if some [`Store`] still holds it open.
    pub fn upgrade(&self) -> Option<Store> {
        self.0.upgrade().map(|inner| Store { inner })
    }
}

/// Opens sled, waiting up to [`LOCK_WAIT`] for its lock on the directory.
fn open_sled(dir: &Path, cache_bytes: u64) -> Result<sled::Db, StorageError> {
    let config = sled::Config::new()
        .path(dir)
        .cache_capacity(cache_bytes)
        .segment_size(segment_size_for(dir))
        .flush_every_ms(None);
    let deadline = Instant::now() + LOCK_WAIT;
    loop {
        match config.open() {
            Err(e) if is_lock_conflict(&e) && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(10));
            }
            other => return Ok(other?),
        }
    }
}

/// sled 0.34.7 reports a held lock only as an `Other` I/O error with this text.
fn is_lock_conflict(e: &sled::Error) -> bool {
    matches!(e, sled::Error::Io(io) if io.to_string().contains("could not acquire lock"))
}

/// 00:00 UTC of the current day: the only time a file storage writes itself (a bundle-log
/// segment, an upload file, their directories) shows.
pub(super) fn midnight() -> std::time::SystemTime {
    let days = u64::try_from(crate::domain::Day::today().days()).unwrap_or(0);
    std::time::SystemTime::UNIX_EPOCH + Duration::from_secs(days * 86_400)
}

/// Sets a file's (or directory's) atime and mtime to [`midnight`]: a write moved them to
/// the second a witness's tip or upload arrived.
pub(super) fn blur_times(file: &std::fs::File) -> std::io::Result<()> {
    let t = midnight();
    file.set_times(std::fs::FileTimes::new().set_accessed(t).set_modified(t))
}

/// Creates the data directory readable by its owner only (it holds the pepper).
fn create_private_dir(dir: &Path) -> Result<(), StorageError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)?;
    Ok(())
}

fn check_schema(meta: &sled::Tree) -> Result<(), StorageError> {
    let current = SCHEMA_VERSION.to_be_bytes();
    match meta.compare_and_swap(
        layout::META_SCHEMA,
        None as Option<&[u8]>,
        Some(&current[..]),
    )? {
        Ok(()) => Ok(()),
        Err(cas) => {
            let stored = cas
                .current
                .ok_or(StorageError::Corrupt("schema version vanished"))?;
            let stored = <[u8; 4]>::try_from(&stored[..])
                .map_err(|_| StorageError::Corrupt("schema version"))?;
            match u32::from_be_bytes(stored) {
                SCHEMA_VERSION => Ok(()),
                old if READABLE_SCHEMAS.contains(&old) => {
                    // The mark first: then no older binary opens a directory whose
                    // records are half moved (`tips::move_tips_to_day_keys`, next).
                    meta.insert(layout::META_SCHEMA, &current[..])?;
                    Ok(())
                }
                other => Err(StorageError::Schema(other)),
            }
        }
    }
}

fn load_or_set_pepper(
    meta: &sled::Tree,
    fresh: &[u8; 32],
) -> Result<Zeroizing<[u8; 32]>, StorageError> {
    let stored = match meta.compare_and_swap(
        layout::META_PEPPER,
        None as Option<&[u8]>,
        Some(&fresh[..]),
    )? {
        Ok(()) => return Ok(Zeroizing::new(*fresh)),
        Err(cas) => cas
            .current
            .ok_or(StorageError::Corrupt("pepper vanished"))?,
    };
    let pepper = <[u8; 32]>::try_from(&stored[..]).map_err(|_| StorageError::Corrupt("pepper"))?;
    Ok(Zeroizing::new(pepper))
}

#[cfg(test)]
pub(crate) mod testutil {
    //! Helpers shared by the storage tests.

    use super::*;
    use crate::domain::TipId;

    /// A fixed pepper: tests do not need randomness.
    pub const PEPPER: [u8; 32] = [7; 32];

    /// A store in a fresh temporary directory (kept alive by the returned guard).
    pub fn temp_store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), PEPPER).unwrap();
        (dir, store)
    }

    /// Stores a one-part tip of `id` (received on day 20,000, zeroed header and wrap,
    /// body `body`) under `idempotency`, for tests that need a tip to exist.
    pub fn insert_small_tip(
        store: &Store,
        id: TipId,
        body: &[u8],
        idempotency: Option<Idempotency>,
    ) -> InsertOutcome {
        store
            .insert_tip(NewTip {
                id,
                received: crate::domain::Day::from_days(20_000),
                epoch: crate::domain::Epoch::FIRST,
                flags: 0,
                parts: vec![NewPart {
                    header: &[0; HEADER_LEN],
                    wrap: &[0; WRAP_LEN],
                    body,
                }],
                idempotency,
            })
            .unwrap()
    }

    /// Rewrites the idempotency record of `key_hash` as the releases before BLAKE3
    /// wrote it (81 bytes, no hash byte), holding `blake2b` as its body hash.
    pub fn rewrite_idempotency_as_legacy(store: &Store, key_hash: [u8; 32], blake2b: [u8; 32]) {
        let tree = &store.inner.idempotency;
        let mut value = tree.get(key_hash).unwrap().expect("a record").to_vec();
        value.truncate(81);
        value[16..48].copy_from_slice(&blake2b);
        tree.insert(key_hash, value).unwrap();
    }

    /// Every (tree, key, value length) in the database, for layout assertions.
    pub fn all_values(store: &Store) -> Vec<(String, Vec<u8>, usize)> {
        let db = &store.inner.db;
        let mut out = Vec::new();
        for name in db.tree_names() {
            let tree = db.open_tree(&name).unwrap();
            for kv in tree.iter() {
                let (k, v) = kv.unwrap();
                out.push((
                    String::from_utf8_lossy(&name).into_owned(),
                    k.to_vec(),
                    v.len(),
                ));
            }
        }
        out
    }

    impl Store {
        /// The raw blobs tree, to simulate a crash in the middle of an insert.
        pub fn raw_blobs(&self) -> &sled::Tree {
            &self.inner.blobs
        }

        /// Tip `id`'s raw record, to inspect it.
        pub fn raw_tip(&self, id: TipId) -> Option<sled::IVec> {
            self.inner.tips.get(layout::tip_key(id)).unwrap()
        }

        /// Replaces tip `id`'s raw record, to simulate damage or an older format.
        pub fn put_raw_tip(&self, id: TipId, record: Vec<u8>) {
            self.inner.tips.insert(layout::tip_key(id), record).unwrap();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testutil::*;
    use super::*;

    #[test]
    fn the_pepper_is_kept_across_restarts() {
        let dir = tempfile::tempdir().unwrap();
        let first = Store::open(dir.path(), [1; 32]).unwrap();
        assert_eq!(first.pepper(), [1; 32]);
        drop(first);
        let again = Store::open(dir.path(), [2; 32]).unwrap();
        assert_eq!(again.pepper(), [1; 32]);
    }

    #[test]
    fn a_second_store_on_the_same_directory_is_refused() {
        let (dir, _store) = temp_store();
        assert!(Store::open(dir.path(), PEPPER).is_err());
    }

    #[test]
    fn a_database_made_with_sleds_default_segments_still_opens() {
        let dir = tempfile::tempdir().unwrap();
        drop(sled::Config::new().path(dir.path()).open().unwrap());
        assert_eq!(segment_size_for(dir.path()), 512 * 1024);
        let store = Store::open(dir.path(), PEPPER).unwrap();
        store.durable_blocking().unwrap();
        let fresh = tempfile::tempdir().unwrap();
        assert_eq!(segment_size_for(fresh.path()), SEGMENT_BYTES);
    }

    #[test]
    fn older_schema_directories_open_and_are_marked_current_and_a_newer_one_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        for old in [1u32, 2, 3, 4, 5] {
            let store = Store::open(dir.path(), PEPPER).unwrap();
            let meta = store.inner.meta.clone();
            meta.insert(layout::META_SCHEMA, &old.to_be_bytes()[..])
                .unwrap();
            store.durable_blocking().unwrap();
            drop((meta, store));
            let store = Store::open(dir.path(), PEPPER).unwrap();
            let stored = store.inner.meta.get(layout::META_SCHEMA).unwrap().unwrap();
            assert_eq!(stored.as_ref(), &SCHEMA_VERSION.to_be_bytes()[..]);
        }
        let store = Store::open(dir.path(), PEPPER).unwrap();
        store
            .inner
            .meta
            .insert(layout::META_SCHEMA, &7u32.to_be_bytes()[..])
            .unwrap();
        store.durable_blocking().unwrap();
        drop(store);
        assert!(matches!(
            Store::open(dir.path(), PEPPER),
            Err(StorageError::Schema(7))
        ));
    }

    #[test]
    fn debug_output_does_not_show_the_pepper() {
        let (_dir, store) = temp_store();
        assert_eq!(format!("{store:?}"), "Store(..)");
    }
}
