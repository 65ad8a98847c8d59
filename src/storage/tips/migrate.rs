//! Moving tips into the current layout, offline (before the store serves, or into a
//! directory being loaded):
//! - records kept by id in `tips` (schemas 1 to 3) into `tips_by_day`, keyed by
//!   [`layout::tip_key`] — at every open, so it finishes after a crash part way;
//! - format-1 tips (bytes in `blobs` chunks) into the bundle log, for a database being
//!   loaded from a snapshot (`snapshot.rs` emits every tip in format 1): a restored or
//!   offline-compacted store holds its tips in the log like one that took them in.
//!
//! They write without the group commit or the write gate. The first is safe to cut
//! anywhere (below); for the second the log is synced before its caller flushes sled, and
//! a crash part way leaves a half-loaded directory, which the loader refuses to reuse
//! anyway (it loads only into an empty one).
//!
//! Must never: change a tip's bytes, lose a record between its two trees, or drop a
//! chunk before its record points at a finished log record.

use std::path::Path;

use crate::domain::TipId;

use super::super::bundles::BundleLog;
use super::super::commit::Pending;
use super::super::layout::{self, Record};
use super::super::{StorageError, HEADER_LEN};

/// Bytes of records one pass of the move holds in memory (keys, values, overhead).
#[cfg(not(test))]
const PASS_BYTES: u64 = 32 << 20;
/// Small in tests, so that a few thousand tips take many passes.
#[cfg(test)]
const PASS_BYTES: u64 = 64 << 10;
/// Records per sled batch when a pass writes.
const WRITE_BATCH: usize = 4096;

/// Copies every record of `tips` (schemas 1 to 3: keyed by the id) into `tips_by_day`,
/// then drops `tips`; how many moved.
///
/// In **key order of the new tree**: the old keys are random ids, so copying in their
/// order would put each record at a random leaf of the new tree — with a million stored
/// that took 92 s, a sled page-in and leaf rewrite per record (BENCHMARKS.md, session 21).
/// Instead each pass reads the old tree through, keeps the records whose new key falls
/// in its range of the first two key bytes (at most ~[`PASS_BYTES`]), sorts them, and
/// appends them, so the new tree is written front to back.
///
/// Crash-safe by order: `tips` is dropped only after every record is in `tips_by_day`.
/// A crash before leaves the old tree whole and the new one partly written; the next open
/// copies again, writing the same values under the same keys. Nothing else writes either
/// tree meanwhile: the store serves only after this returns, and an older binary refuses
/// the directory (the schema is marked 4 before this runs).
pub(in crate::storage) fn move_tips_to_day_keys(db: &sled::Db) -> Result<u64, StorageError> {
    let name = layout::TREE_TIPS_BEFORE_4.as_bytes();
    if !db.tree_names().iter().any(|n| n == name) {
        return Ok(0);
    }
    let before = db.open_tree(name)?;
    let after = db.open_tree(layout::TREE_TIPS)?;
    let (mut count, mut bytes) = (0u64, 0u64);
    for kv in before.iter() {
        let (key, value) = kv?;
        count += 1;
        // A Vec entry, the IVec's allocation and its header: ~64 bytes besides the data.
        bytes += (key.len() + value.len() + 64) as u64;
    }
    let passes = bytes.div_ceil(PASS_BYTES).clamp(1, 1 << 16);
    for pass in 0..passes {
        let range = (pass << 16) / passes..((pass + 1) << 16) / passes;
        let mut rows: Vec<([u8; 16], sled::IVec)> = Vec::new();
        for kv in before.iter() {
            let (key, value) = kv?;
            let id = TipId::try_from_slice(&key).map_err(|_| StorageError::Corrupt("tip key"))?;
            let new = layout::tip_key(id);
            if range.contains(&u64::from(u16::from_be_bytes([new[0], new[1]]))) {
                rows.push((new, value));
            }
        }
        rows.sort_unstable_by_key(|row| row.0);
        for chunk in rows.chunks(WRITE_BATCH) {
            let mut batch = sled::Batch::default();
            for (key, value) in chunk {
                batch.insert(&key[..], value.clone());
            }
            after.apply_batch(batch)?;
        }
    }
    drop(before);
    db.drop_tree(name)?;
    if count > 0 {
        tracing::info!(
            tips = count,
            passes,
            "moved tip records to the day-ordered index (schema 4)"
        );
    }
    Ok(count)
}

/// Moves every format-1 tip of `db` (data directory `dir`) into the log; how many.
pub(in crate::storage) fn move_blobs_into_log(
    db: &sled::Db,
    dir: &Path,
) -> Result<u64, StorageError> {
    let tips = db.open_tree(layout::TREE_TIPS)?;
    let blobs = db.open_tree(layout::TREE_BLOBS)?;
    let log = BundleLog::open(dir, Pending::default())?;
    let bad = StorageError::Corrupt("blob chunks");
    let mut moved = 0;
    for kv in tips.iter() {
        let (key, value) = kv?;
        let mut record = Record::decode(&value)?;
        if record.locations.is_some() {
            continue;
        }
        let id = layout::tip_id_of_key(&key)?;
        let mut locations = Vec::with_capacity(record.bodies.len());
        for (part, body) in (0u16..).zip(&record.bodies) {
            let mut to = log.begin(id, part, body.saturating_add(HEADER_LEN as u64))?;
            for (expected, kv) in (0u32..).zip(blobs.scan_prefix(layout::part_prefix(id, part))) {
                let (k, v) = kv?;
                if layout::parse_blob_key(&k)?.2 != expected {
                    return Err(bad);
                }
                to.write(&v).map_err(|_| bad.clone())?;
            }
            locations.push(to.finish().map_err(|_| bad.clone())?);
        }
        record.locations = Some(locations);
        tips.insert(&key, record.encode()?)?;
        for k in blobs.scan_prefix(id.as_bytes()).keys() {
            blobs.remove(k?)?;
        }
        moved += 1;
    }
    log.sync_all()?;
    Ok(moved)
}
