//! Reading tips back: the listing and whole tips.

use std::ops::Bound;

use sled::transaction::{abort, ConflictableTransactionResult, TransactionalTree};
use sled::Transactional;

use crate::domain::TipId;

use super::super::bundles::Pinned;
use super::super::layout::{self, tip_key, Record};
use super::super::{tx_error, StorageError, Store, CHUNK_LEN, HEADER_LEN, WRAP_LEN};
use super::{StoredPart, StoredTip, TipSummary};

impl Store {
    /// One page of the listing: at most `limit` summaries of the tips whose key comes
    /// after `after`'s (from the first when `None`), in index order ([`layout::tip_key`]:
    /// by received day).
    ///
    /// Id order, because the `tips` tree is keyed by id: a page costs `limit` reads however
    /// many tips are stored, and a cursor stays valid while tips arrive or are deleted (a
    /// tip stored during a walk lands before or after the cursor, so one walk may miss it;
    /// the next walk finds it). The tree is keyed by [`layout::tip_key`], so pages come in
    /// order of the received day, random within a day: the order reveals the day every
    /// summary shows and nothing finer (ids from before schema 4 sort at random days).
    pub fn list_tips_page(
        &self,
        after: Option<TipId>,
        limit: usize,
    ) -> Result<Vec<TipSummary>, StorageError> {
        let rows = match after {
            Some(id) => self
                .inner
                .tips
                .range((Bound::Excluded(tip_key(id)), Bound::Unbounded)),
            None => self.inner.tips.iter(),
        };
        let mut out = Vec::with_capacity(limit.min(1024));
        for kv in rows.take(limit) {
            let (key, value) = kv?;
            let id = layout::tip_id_of_key(&key)?;
            out.push(summary(id, &Record::decode(&value)?));
        }
        Ok(out)
    }

    /// A whole tip, or `None` if there is no tip with this id.
    ///
    /// The record and the wraps are read together (`read_pinned`), so the epoch in the
    /// summary is the one the returned wraps are sealed to even during a concurrent
    /// rewrap.
    pub fn load_tip(&self, id: TipId) -> Result<Option<StoredTip>, StorageError> {
        let inner = &self.inner;
        let Some((record, wraps, pinned)) = self.read_pinned(id)? else {
            return Ok(None);
        };
        let mut parts = Vec::with_capacity(wraps.len());
        for ((part, body_len), wrap) in (0u16..).zip(&record.bodies).zip(wraps) {
            let mut bytes = match pinned.get(usize::from(part)) {
                Some(record) => {
                    let len = body_len.saturating_add(HEADER_LEN as u64);
                    record.read(id, part, len)?
                }
                None => read_part_bytes(&inner.blobs, id, part, *body_len)?,
            };
            let body = bytes.split_off(HEADER_LEN);
            parts.push(StoredPart {
                header: bytes,
                wrap,
                body,
            });
        }
        Ok(Some(StoredTip {
            summary: summary(id, &record),
            parts,
        }))
    }
}

impl Store {
    /// A tip's record and wraps, with the log segments its record names pinned (empty
    /// for a format-1 tip) before compaction can unlink them: the records stay readable
    /// through the returned handles however long the read takes (`bundles/mod.rs`,
    /// "Reads and compaction"). A format-3 record holds its wraps, so one read is
    /// consistent; the wraps of an older record are read with it in one transaction.
    pub(super) fn read_pinned(&self, id: TipId) -> Result<PinnedTip, StorageError> {
        let inner = &self.inner;
        let hold = inner.log.hold();
        let Some(value) = inner.tips.get(tip_key(id))? else {
            return Ok(None);
        };
        let mut record = Record::decode(&value)?;
        let (record, wraps) = match record.wraps.take() {
            Some(wraps) => (record, wraps),
            None => {
                let found = (&inner.tips, &inner.wraps)
                    .transaction(|(tips, wraps)| read_record_and_wraps(tips, wraps, id))
                    .map_err(tx_error::<StorageError>)?;
                let Some(found) = found else {
                    return Ok(None);
                };
                found
            }
        };
        let pinned = match &record.locations {
            Some(locations) => locations
                .iter()
                .map(|at| hold.pin(*at))
                .collect::<Result<Vec<_>, _>>()?,
            None => Vec::new(),
        };
        Ok(Some((record, wraps, pinned)))
    }
}

pub(super) type PinnedTip = Option<(Record, Vec<[u8; WRAP_LEN]>, Vec<Pinned>)>;

pub(super) fn summary(id: TipId, record: &Record) -> TipSummary {
    TipSummary {
        id,
        received: record.received,
        epoch: record.epoch,
        flags: record.flags,
        size: record.size(),
        // Decoding bounds the count by MAX_PARTS.
        parts: record.bodies.len() as u16,
    }
}

type RecordAndWraps = Option<(Record, Vec<[u8; WRAP_LEN]>)>;

fn read_record_and_wraps(
    tips: &TransactionalTree,
    wraps: &TransactionalTree,
    id: TipId,
) -> ConflictableTransactionResult<RecordAndWraps, StorageError> {
    let Some(value) = tips.get(tip_key(id))? else {
        return Ok(None);
    };
    let mut record = Record::decode(&value).or_else(abort)?;
    // Rewrapped to format 3 since the first read: the wraps are in the record now.
    if let Some(wraps) = record.wraps.take() {
        return Ok(Some((record, wraps)));
    }
    let mut out = Vec::with_capacity(record.bodies.len());
    for part in 0..record.bodies.len() as u16 {
        let wrap = wraps
            .get(layout::wrap_key(id, part))?
            .and_then(|w| <[u8; WRAP_LEN]>::try_from(&w[..]).ok());
        match wrap {
            Some(wrap) => out.push(wrap),
            None => return abort(StorageError::Corrupt("wrap section")),
        }
    }
    Ok(Some((record, out)))
}

/// Reassembles header ‖ body of one part of a format-1 tip, checking that every chunk is where and as long
/// as the record says.
fn read_part_bytes(
    blobs: &sled::Tree,
    id: TipId,
    part: u16,
    body_len: u64,
) -> Result<Vec<u8>, StorageError> {
    let bad = StorageError::Corrupt("blob chunks");
    let total = usize::try_from(body_len)
        .ok()
        .and_then(|b| b.checked_add(HEADER_LEN))
        .ok_or(bad.clone())?;
    let mut out = Vec::with_capacity(total);
    for (expected_chunk, kv) in (0u32..).zip(blobs.scan_prefix(layout::part_prefix(id, part))) {
        let (key, value) = kv?;
        let (_, _, chunk) = layout::parse_blob_key(&key)?;
        let full_so_far = out.len() == expected_chunk as usize * CHUNK_LEN;
        if chunk != expected_chunk || !full_so_far || out.len() + value.len() > total {
            return Err(bad);
        }
        out.extend_from_slice(&value);
    }
    if out.len() != total {
        return Err(bad);
    }
    Ok(out)
}
