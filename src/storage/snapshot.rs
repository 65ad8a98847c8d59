//! Point-in-time snapshots of the whole database (for backups and compaction), and
//! loading one into a fresh directory.
//!
//! sled 0.34 has no snapshot or checkpoint API: an iterator sees writes made while it
//! runs, and `Db::export` is documented for offline use only. So storage has its own
//! gate: every method that writes holds it shared ([`Store::write_gate`]) for the length
//! of the method, and [`Store::snapshot`] holds it exclusively while it copies every tree.
//! A snapshot therefore contains every write that returned before it started (every tip
//! acknowledged, since acknowledging waits for the write) and no half of any operation:
//! no partial tip, no event without its feed entry. Writes wait (they are not refused)
//! while a snapshot runs; reads go on.
//!
//! Tips stored in the bundle log (record formats 2 and 3) are emitted as a format-1 store
//! holds them: their bytes as `blobs` chunks (read from the log under the same gate), a
//! format-1 record, and their wraps as `wraps` entries. A snapshot is thus one format
//! whichever layout wrote the tips, old backups and new ones restore alike. Loading moves
//! them into the new store's bundle log (`tips/migrate.rs`), so a restored or compacted
//! store is format 2 throughout.
//!
//! Must never: write a byte into the source database, load into a directory that already
//! holds data, or interpret the values it copies (they are sealed bytes it cannot read).

use std::cell::Cell;
use std::path::Path;
use std::sync::RwLockReadGuard;

use super::layout::{self, Record};
use super::{create_private_dir, open_sled, uploads, StorageError, Store, CHUNK_LEN};

/// Trees never copied: `pending` marks inserts in progress, and none is in progress
/// while the gate is held (a leftover from a crash is cleaned at the next open anyway).
/// `upload_chunks` is where a previous version kept upload bytes; opening moves them into
/// files, and a snapshot writes the files' bytes there itself (see [`Store::snapshot`]).
const SKIPPED_TREES: &[&[u8]] = &[
    layout::TREE_PENDING.as_bytes(),
    uploads::TREE_UPLOAD_CHUNKS.as_bytes(),
];

/// Writes one (tree, key, value) entry of a snapshot and counts it.
type PutEntry<'a> = dyn FnMut(&[u8], &[u8], &[u8]) -> Result<(), SnapshotError> + 'a;

thread_local! {
    /// How many write-gate guards this thread holds: a writing method that calls another
    /// must not wait for the gate again (with a snapshot waiting, it would deadlock).
    static GATE_DEPTH: Cell<u32> = const { Cell::new(0) };
}

/// Held by a writing method for its whole length; see the module docs.
pub(crate) struct WriteGate<'a> {
    _guard: Option<RwLockReadGuard<'a, ()>>,
}

impl Drop for WriteGate<'_> {
    fn drop(&mut self) {
        GATE_DEPTH.with(|d| d.set(d.get() - 1));
    }
}

/// What a snapshot held.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SnapshotCounts {
    /// Key–value entries copied, every tree together.
    pub entries: u64,
    /// Tips among them (records in `tips`).
    pub tips: u64,
    /// Bytes of keys and values copied.
    pub bytes: u64,
}

/// One entry of a snapshot: which tree, which key, which value.
pub struct SnapshotEntry<'a> {
    /// The sled tree's name.
    pub tree: &'a [u8],
    /// The key.
    pub key: &'a [u8],
    /// The value.
    pub value: &'a [u8],
}

/// Why a snapshot or a load failed.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// Reading or writing the database failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The sink (the backup file, the new database) refused an entry.
    #[error("writing the snapshot failed: {0}")]
    Sink(String),
    /// The target directory already holds a database.
    #[error("{0} already holds data: restore only into a new or empty directory")]
    NotEmpty(String),
}

impl Store {
    /// Taken by every method that writes, before its first write; see the module docs.
    pub(crate) fn write_gate(&self) -> WriteGate<'_> {
        let depth = GATE_DEPTH.with(|d| {
            let v = d.get();
            d.set(v + 1);
            v
        });
        let guard = (depth == 0).then(|| {
            // A poisoned gate only means a snapshot panicked; the data is untouched.
            self.inner
                .gate
                .read()
                .unwrap_or_else(|poison| poison.into_inner())
        });
        WriteGate { _guard: guard }
    }

    /// The write gate if it is free now, `None` while a snapshot holds (or waits for) it.
    ///
    /// For writers on a thread that must not wait seconds for a snapshot (an HTTP worker
    /// serving many connections): they take the gate here and, on `None`, hand the work
    /// to a thread that may wait. Storage methods called while the returned guard is
    /// held do not take the gate again.
    pub(crate) fn try_write_gate(&self) -> Option<WriteGate<'_>> {
        let nested = GATE_DEPTH.with(|d| d.get() > 0);
        let guard = if nested {
            None
        } else {
            match self.inner.gate.try_read() {
                Ok(guard) => Some(guard),
                // A poisoned gate only means a snapshot panicked; the data is untouched.
                Err(std::sync::TryLockError::Poisoned(poison)) => Some(poison.into_inner()),
                Err(std::sync::TryLockError::WouldBlock) => return None,
            }
        };
        GATE_DEPTH.with(|d| d.set(d.get() + 1));
        Some(WriteGate { _guard: guard })
    }

    /// Copies every tree into `sink`, as of one point in time: writes wait until it
    /// returns. Entries come tree by tree (sorted by name), keys in order.
    ///
    /// Unfinished uploads go in too, so a witness can resume after a restore: their
    /// bytes (kept in files, `upload_files.rs`) as entries of the `upload_chunks` tree in
    /// the layout of the version that kept them in sled (`upload id ‖ piece u32 BE` → ≤
    /// 32 KiB), just before their records; opening the restored (or compacted) database
    /// moves them into files. An upload whose file is damaged goes in without all its
    /// bytes, and that open removes it.
    pub fn snapshot(
        &self,
        sink: &mut dyn FnMut(SnapshotEntry<'_>) -> Result<(), String>,
    ) -> Result<SnapshotCounts, SnapshotError> {
        let _exclusive = self
            .inner
            .gate
            .write()
            .unwrap_or_else(|poison| poison.into_inner());
        let db = &self.inner.db;
        let mut names: Vec<sled::IVec> = db.tree_names();
        names.sort();
        let mut counts = SnapshotCounts::default();
        let mut put = |tree: &[u8], key: &[u8], value: &[u8]| {
            sink(SnapshotEntry { tree, key, value }).map_err(SnapshotError::Sink)?;
            counts.entries += 1;
            counts.bytes += (key.len() + value.len()) as u64;
            counts.tips += u64::from(layout::is_tip_tree(tree));
            Ok::<(), SnapshotError>(())
        };
        for name in names {
            if SKIPPED_TREES.contains(&name.as_ref()) {
                continue;
            }
            let tree = db.open_tree(&name).map_err(StorageError::from)?;
            if name.as_ref() == layout::TREE_BLOBS.as_bytes() {
                self.emit_blobs(&mut put)?;
                continue;
            }
            if name.as_ref() == layout::TREE_WRAPS.as_bytes() {
                self.emit_wraps(&mut put)?;
                continue;
            }
            if name.as_ref() == uploads::TREE_UPLOADS.as_bytes() {
                self.snapshot_upload_bytes(&tree, &mut put)?;
            }
            let is_tips = name.as_ref() == layout::TREE_TIPS.as_bytes();
            for kv in tree.iter() {
                let (key, value) = kv.map_err(StorageError::from)?;
                if is_tips {
                    let record = Record {
                        locations: None,
                        wraps: None,
                        ..Record::decode(&value)?
                    };
                    put(&name, &key, &record.encode()?)?;
                } else {
                    put(&name, &key, &value)?;
                }
            }
        }
        Ok(counts)
    }

    /// The `blobs` tree as a format-1 store holds it, in key order: tip by tip (keys
    /// start with the id), the chunks of a format-1 tip as stored, those of a format-2
    /// tip read from its log records and cut at [`CHUNK_LEN`] as format 1 cuts them.
    /// Chunks that no record names (a crash's leftovers, removed at the next open) are
    /// not carried over.
    fn emit_blobs(&self, put: &mut PutEntry<'_>) -> Result<(), SnapshotError> {
        let inner = &self.inner;
        let blobs = layout::TREE_BLOBS.as_bytes();
        for kv in inner.tips.iter() {
            let (key, value) = kv.map_err(StorageError::from)?;
            let id = layout::tip_id_of_key(&key)?;
            let record = Record::decode(&value)?;
            if record.locations.is_none() {
                for kv in inner.blobs.scan_prefix(id.as_bytes()) {
                    let (k, v) = kv.map_err(StorageError::from)?;
                    put(blobs, &k, &v)?;
                }
                continue;
            };
            for (part, len, at) in record.log_records() {
                let mut reader = inner.log.reader(at, id, part, len)?;
                let mut chunk = 0u32;
                while let Some(piece) = reader.next_piece(CHUNK_LEN)? {
                    put(blobs, &layout::blob_key(id, part, chunk), &piece)?;
                    chunk = chunk.saturating_add(1);
                }
            }
        }
        Ok(())
    }

    /// The `wraps` tree as a format-1 store holds it: the entries stored there (format-1
    /// and -2 tips, in key order), then the wraps that format-3 records hold, tip by tip
    /// in the order of `tips_by_day`. No key is in both (a tip keeps its wraps in one
    /// place), and a load does not need them sorted.
    fn emit_wraps(&self, put: &mut PutEntry<'_>) -> Result<(), SnapshotError> {
        let inner = &self.inner;
        let name = layout::TREE_WRAPS.as_bytes();
        for kv in inner.wraps.iter() {
            let (k, v) = kv.map_err(StorageError::from)?;
            put(name, &k, &v)?;
        }
        for kv in inner.tips.iter() {
            let (key, value) = kv.map_err(StorageError::from)?;
            let Some(wraps) = Record::decode(&value)?.wraps else {
                continue;
            };
            let id = layout::tip_id_of_key(&key)?;
            for (part, wrap) in (0u16..).zip(&wraps) {
                put(name, &layout::wrap_key(id, part), wrap)?;
            }
        }
        Ok(())
    }

    /// The bytes of every upload recorded in `records`, as `upload_chunks` entries.
    fn snapshot_upload_bytes(
        &self,
        records: &sled::Tree,
        put: &mut PutEntry<'_>,
    ) -> Result<(), SnapshotError> {
        let tree = uploads::TREE_UPLOAD_CHUNKS.as_bytes();
        for key in records.iter().keys() {
            let key = key.map_err(StorageError::from)?;
            let id = crate::domain::UploadId::try_from_slice(&key)
                .map_err(|_| StorageError::Corrupt("upload key"))?;
            for piece in self.upload_chunks(id) {
                let (n, bytes) = match piece {
                    Ok(piece) => piece,
                    Err(StorageError::Corrupt(what)) => {
                        tracing::warn!(
                            cause = what,
                            "a damaged upload goes into the snapshot without all its bytes"
                        );
                        break;
                    }
                    Err(e) => return Err(e.into()),
                };
                let mut piece_key = [0u8; 20];
                piece_key[..16].copy_from_slice(id.as_bytes());
                piece_key[16..].copy_from_slice(&n.to_be_bytes());
                put(tree, &piece_key, &bytes)?;
            }
        }
        Ok(())
    }
}

/// Loads entries into a new database in `dir` (created 0700; refused if it holds a
/// database or any other file), then flushes it. The caller verifies the entries before
/// (a backup's hash) and opens the result with [`Store::open`] after.
pub fn load_into_new<E: std::fmt::Display>(
    dir: &Path,
    entries: impl Iterator<Item = Result<(Vec<u8>, Vec<u8>, Vec<u8>), E>>,
) -> Result<SnapshotCounts, SnapshotError> {
    if dir.exists()
        && std::fs::read_dir(dir)
            .map_err(StorageError::from)?
            .next()
            .is_some()
    {
        return Err(SnapshotError::NotEmpty(dir.display().to_string()));
    }
    create_private_dir(dir)?;
    let db = open_sled(dir, super::DEFAULT_CACHE_BYTES)?;
    let mut counts = SnapshotCounts::default();
    let mut tree: Option<(Vec<u8>, sled::Tree)> = None;
    for entry in entries {
        let (name, key, value) = entry.map_err(|e| SnapshotError::Sink(e.to_string()))?;
        if tree.as_ref().map(|(n, _)| n) != Some(&name) {
            let t = db.open_tree(&name).map_err(StorageError::from)?;
            tree = Some((name.clone(), t));
        }
        let (_, t) = tree.as_ref().expect("opened just above");
        counts.entries += 1;
        counts.bytes += (key.len() + value.len()) as u64;
        counts.tips += u64::from(layout::is_tip_tree(&name));
        if t.insert(key, value).map_err(StorageError::from)?.is_some() {
            return Err(StorageError::Corrupt("the same key appears twice in a snapshot").into());
        }
    }
    // A backup from before schema 4 holds its records in `tips`, keyed by id.
    super::tips::move_tips_to_day_keys(&db)?;
    super::tips::move_blobs_into_log(&db, dir)?;
    db.flush().map_err(StorageError::from)?;
    Ok(counts)
}

impl Store {
    /// Copies a snapshot into a new database in `dir` (which must not hold data): the
    /// rewrite behind compaction, where only live entries are written, so bytes of deleted
    /// entries left in the old files' segments are not carried over.
    pub fn copy_into_new(&self, dir: &Path) -> Result<SnapshotCounts, SnapshotError> {
        if dir.exists()
            && std::fs::read_dir(dir)
                .map_err(StorageError::from)?
                .next()
                .is_some()
        {
            return Err(SnapshotError::NotEmpty(dir.display().to_string()));
        }
        create_private_dir(dir)?;
        let target = open_sled(dir, super::DEFAULT_CACHE_BYTES)?;
        let mut tree: Option<(Vec<u8>, sled::Tree)> = None;
        let counts = self.snapshot(&mut |e: SnapshotEntry<'_>| {
            if tree.as_ref().map(|(n, _)| n.as_slice()) != Some(e.tree) {
                let t = target.open_tree(e.tree).map_err(|e| e.to_string())?;
                tree = Some((e.tree.to_vec(), t));
            }
            let (_, t) = tree.as_ref().expect("opened just above");
            t.insert(e.key, e.value).map_err(|e| e.to_string())?;
            Ok(())
        })?;
        super::tips::move_blobs_into_log(&target, dir)?;
        target.flush().map_err(StorageError::from)?;
        Ok(counts)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;

    use super::super::testutil::temp_store;

    #[test]
    fn the_write_gate_is_refused_without_waiting_while_a_snapshot_runs() {
        let (_dir, store) = temp_store();
        assert!(
            store.try_write_gate().is_some(),
            "free when no snapshot runs"
        );
        let (asked, answer) = mpsc::channel();
        let other = store.clone();
        let mut first = true;
        store
            .snapshot(&mut |_| {
                if std::mem::take(&mut first) {
                    // Another thread (an HTTP worker) asks while the snapshot copies.
                    let other = other.clone();
                    let asked = asked.clone();
                    std::thread::spawn(move || {
                        asked.send(other.try_write_gate().is_some()).unwrap();
                    })
                    .join()
                    .unwrap();
                }
                Ok(())
            })
            .unwrap();
        assert!(!answer.recv().unwrap(), "refused during the snapshot");
        assert!(store.try_write_gate().is_some(), "free again after it");
    }

    #[test]
    fn a_writer_holding_the_gate_does_not_take_it_again() {
        let (_dir, store) = temp_store();
        let outer = store.try_write_gate().expect("free");
        // Nested: a storage method called under the guard must not wait for the lock.
        let inner = store.try_write_gate().expect("nested");
        drop(inner);
        drop(outer);
        store.snapshot(&mut |_| Ok(())).unwrap();
    }

    #[test]
    fn an_unfinished_upload_survives_a_snapshot_and_a_load_and_resumes() {
        use crate::domain::{Day, UploadId};

        let (_dir, store) = temp_store();
        let id = UploadId::from_bytes([5; 16]);
        let data: Vec<u8> = (0..100_000u32).map(|i| (i % 241) as u8).collect();
        store
            .create_upload(id, 150_000, Day::from_days(20_000), u64::MAX)
            .unwrap();
        store.append_upload(id, 0, &data).unwrap();
        store.durable_blocking().unwrap();
        let mut entries = Vec::new();
        store
            .snapshot(&mut |e| {
                entries.push((e.tree.to_vec(), e.key.to_vec(), e.value.to_vec()));
                Ok(())
            })
            .unwrap();
        assert!(entries.iter().all(|e| e.2.len() <= super::super::CHUNK_LEN));

        let target = tempfile::tempdir().unwrap();
        let restored_dir = target.path().join("restored");
        super::load_into_new(&restored_dir, entries.into_iter().map(Ok::<_, String>)).unwrap();
        let restored = super::Store::open(&restored_dir, [7; 32]).unwrap();
        assert_eq!(
            restored.upload_status(id).unwrap().unwrap().received,
            100_000
        );
        restored.append_upload(id, 100_000, &[1; 50_000]).unwrap();
        restored.durable_blocking().unwrap();
        let claim = restored.take_completed(&[id]).unwrap();
        let read = restored.read_upload(id);
        assert!(read[..100_000] == data[..] && read[100_000..] == [1; 50_000]);
        drop(claim);
    }
}
