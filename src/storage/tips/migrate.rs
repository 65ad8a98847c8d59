//! Moving format-1 tips (bytes in `blobs` chunks) into the bundle log, for a database
//! being loaded from a snapshot (`snapshot.rs` emits every tip in format 1): a restored
//! or offline-compacted store holds its tips in the log like one that took them in.
//!
//! Offline only: it writes without the group commit or the write gate, then syncs the
//! log before its caller flushes sled. A crash part way leaves a half-loaded directory,
//! which the loader refuses to reuse anyway (it loads only into an empty one).
//!
//! Must never: change a tip's bytes, or drop a chunk before its record points at a
//! finished log record.

use std::path::Path;

use crate::domain::TipId;

use super::super::bundles::BundleLog;
use super::super::commit::Pending;
use super::super::layout::{self, Record};
use super::super::{StorageError, HEADER_LEN};

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
        let id = TipId::try_from_slice(&key).map_err(|_| StorageError::Corrupt("tip key"))?;
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
