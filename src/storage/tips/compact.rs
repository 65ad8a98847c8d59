//! Compaction of the bundle log: giving back the space of deleted tips' records.
//!
//! A sealed segment (never the head) whose live bytes (records some index entry points
//! at, found by walking `tips`) are under half its length is rewritten: its live records
//! are copied to the head, the copies are synced, each tip's record is swapped to the new
//! locations by compare-and-swap on the exact value read (a rewrap or a delete may have
//! changed it meanwhile: re-read and retry), the swaps are flushed, and only then is the
//! old file unlinked. A crash at any point leaves every tip readable: before the swap
//! the index points at the old, still present copy; after it, at the synced new one.
//!
//! Inserts under way: an insert writes its log records before its index entry, so a
//! sealed segment may hold a record that nothing points at *yet* (a large part written
//! into a head that then rolled, or an adopted upload, `bundles/adopt.rs`, which is
//! sealed from the start). Counted as dead, it would be left behind by the copy and its
//! file unlinked, and the tip, once committed, would point at nothing. So a compaction
//! first notes the head, then waits until every insert marked in `pending` at that moment
//! is over (each marks itself before it reserves log space, and unmarks itself only once
//! committed or undone), and considers only segments older than the head it noted.
//! Inserts that began later write into that head or a newer segment.
//!
//! Must never: unlink a segment before the index entries that pointed into it were
//! swapped and flushed; unlink a segment an insert under way wrote into; compact the
//! head; change a tip's bytes.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::domain::TipId;

use super::super::bundles::{Location, SegmentNo, FRAME_LEN};
use super::super::layout::{tip_id_of_key, tip_key, Record};
use super::super::{StorageError, Store, HEADER_LEN};

/// Pieces a record is copied in: memory of a copy stays one piece.
const COPY_PIECE: usize = 1024 * 1024;

/// How long a compaction waits for the inserts under way when it starts (a 64 MiB
/// attachment's tip takes well under a second); past it, it compacts nothing this time.
const INSERTS_WAIT: Duration = Duration::from_secs(60);
/// How often it looks again whether they are over.
const INSERTS_POLL: Duration = Duration::from_millis(5);

/// What a compaction did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CompactionReport {
    /// Segment files removed.
    pub segments_removed: usize,
    /// Live records copied to the head first.
    pub records_moved: usize,
    /// Bytes of the removed files, less the copies written.
    pub bytes_freed: u64,
}

impl Store {
    /// Rewrites every sealed segment of the bundle log whose live bytes are under half its
    /// length (an empty one is just removed). Runs beside intake: it takes the write gate
    /// shared, one segment at a time, and waits for two group-commit batches per segment.
    pub fn compact_bundle_log(&self) -> Result<CompactionReport, StorageError> {
        let log = &self.inner.log;
        let _one_at_a_time = log.compaction_lock();
        let Some(head) = self.head_after_inserts_under_way()? else {
            tracing::warn!("bundle log not compacted: an insert did not finish within a minute");
            return Ok(CompactionReport::default());
        };
        let mut live: HashMap<SegmentNo, u64> = HashMap::new();
        for kv in self.inner.tips.iter() {
            let (_, value) = kv?;
            let record = Record::decode(&value)?;
            for (_, len, at) in record.log_records() {
                *live.entry(at.segment).or_default() += len.saturating_add(FRAME_LEN as u64);
            }
        }
        let mut report = CompactionReport::default();
        for (no, len) in log.segments()? {
            let live = live.get(&no).copied().unwrap_or(0);
            if no >= head || live.saturating_mul(2) >= len && len > 0 {
                continue;
            }
            let moved = self.compact_segment(no)?;
            report.segments_removed += 1;
            report.records_moved += moved;
            report.bytes_freed += len.saturating_sub(live);
        }
        Ok(report)
    }

    /// The head as it is now, once every insert under way now is over (module docs):
    /// every record in an older segment that any tip will ever point at is in `tips` by
    /// then. `None` if they are not over within [`INSERTS_WAIT`].
    fn head_after_inserts_under_way(&self) -> Result<Option<SegmentNo>, StorageError> {
        // The head first, then the marks: an insert that reserved space before this head
        // was the head had marked itself before that.
        let head = self.inner.log.head();
        let marked = self
            .inner
            .pending
            .iter()
            .keys()
            .collect::<Result<Vec<_>, _>>()?;
        let deadline = Instant::now() + INSERTS_WAIT;
        for key in marked {
            while self.inner.pending.contains_key(&key)? {
                if Instant::now() > deadline {
                    return Ok(None);
                }
                std::thread::sleep(INSERTS_POLL);
            }
        }
        Ok(Some(head))
    }

    /// Moves the live records of sealed segment `victim` to the head, then removes it.
    fn compact_segment(&self, victim: SegmentNo) -> Result<usize, StorageError> {
        let _gate = self.write_gate();
        let inner = &self.inner;
        let mut moved: Vec<(TipId, Vec<(usize, Location)>)> = Vec::new();
        for kv in inner.tips.iter() {
            let (key, value) = kv?;
            let record = Record::decode(&value)?;
            let Some(locations) = &record.locations else {
                continue;
            };
            let id = tip_id_of_key(&key)?;
            let mut copies = Vec::new();
            for (i, (body, at)) in record.bodies.iter().zip(locations).enumerate() {
                if at.segment == victim {
                    let part = i as u16; // at most MAX_PARTS, checked by decoding
                    copies.push((i, self.copy_record(*at, id, part, *body)?));
                }
            }
            if !copies.is_empty() {
                moved.push((id, copies));
            }
        }
        // The copies are synced (registered with the batch) before any entry points at them.
        self.durable_blocking()?;
        for (id, copies) in &moved {
            self.swap_locations(*id, victim, copies)?;
        }
        self.durable_blocking()?;
        inner.log.remove_segment(victim)?;
        Ok(moved.iter().map(|(_, c)| c.len()).sum())
    }

    /// Copies one record to the head, checked on the way (frame and checksum).
    pub(super) fn copy_record(
        &self,
        at: Location,
        id: TipId,
        part: u16,
        body: u64,
    ) -> Result<Location, StorageError> {
        let len = body.saturating_add(HEADER_LEN as u64);
        let mut from = self.inner.log.reader(at, id, part, len)?;
        let mut to = self.inner.log.begin(id, part, len)?;
        while let Some(piece) = from.next_piece(COPY_PIECE)? {
            to.write(&piece)?;
        }
        to.finish()
    }

    /// Points tip `id`'s parts that are still in `victim` at their copies, by
    /// compare-and-swap on the value read; a changed record is read again.
    pub(super) fn swap_locations(
        &self,
        id: TipId,
        victim: SegmentNo,
        copies: &[(usize, Location)],
    ) -> Result<(), StorageError> {
        let tips = &self.inner.tips;
        loop {
            let Some(current) = tips.get(tip_key(id))? else {
                return Ok(()); // deleted meanwhile: its copies are garbage
            };
            let mut record = Record::decode(&current)?;
            let Some(locations) = record.locations.as_mut() else {
                return Err(StorageError::Corrupt("tip record changed format"));
            };
            for (i, to) in copies {
                let slot = locations
                    .get_mut(*i)
                    .ok_or(StorageError::Corrupt("tip record lost a part"))?;
                if slot.segment == victim {
                    *slot = *to;
                }
            }
            let swapped =
                tips.compare_and_swap(tip_key(id), Some(&current), Some(record.encode()?))?;
            if swapped.is_ok() {
                return Ok(());
            }
        }
    }
}
