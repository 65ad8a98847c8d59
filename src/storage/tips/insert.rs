//! Inserting a tip, and removing what inserts that never committed (or whose log records
//! never reached the disk) left behind.
//!
//! Every insert marks its id in `pending` first and writes each part as one record of the
//! bundle log; the index entries (the record, format 3 with the wraps in it, then the
//! key) follow. The mark is not removed by
//! the insert but by the commit thread, after the batch that synced the log segment and
//! flushed the index was answered ([`clear_mark_once_durable`]): sled may write index
//! entries to disk before our segment's `fdatasync`, so only an unmarked tip is known to
//! be backed by synced records, and opening checks the records of every marked one.

use sled::transaction::{abort, ConflictableTransactionResult, TransactionalTree};
use sled::Transactional;

use crate::domain::{Day, TipId};

use super::super::bundles::{BundleLog, Location};
use super::super::layout::{
    self, tip_key, BodyHashKind, IdempotencyRecord, Record, RecordedMailbox,
};
use super::super::{tx_error, StorageError, Store, HEADER_LEN, MAX_PARTS, WRAP_LEN};
use super::{Idempotency, InsertOutcome, NewTip};

impl Store {
    /// Stores a tip whole, or recognises a retry by its idempotency key.
    ///
    /// The parts' log records are written first, then the index: in plain writes in log
    /// order for a small tip, else one transaction over `tips`, `wraps` and
    /// `idempotency` that checks the key and inserts the record, the wraps and the key. On
    /// `Existing` or `Conflict` nothing new stays stored. Does not flush: await
    /// [`Store::durable`] before acknowledging, so concurrent inserts share a flush.
    pub fn insert_tip(&self, new: NewTip<'_>) -> Result<InsertOutcome, StorageError> {
        let _gate = self.write_gate();
        check_shape(&new)?;
        if staged_bytes(&new) <= SMALL_TIP_BYTES {
            return self.insert_in_log_order(&new);
        }
        if let Some(outcome) = self.before_staging(&new)? {
            return Ok(outcome);
        }
        let locations = self.stage(&new)?;
        let record = match record_of(&new, &[], &[], &locations) {
            Ok(record) => record,
            Err(e) => {
                self.unstage(new.id)?;
                return Err(e);
            }
        };
        self.commit_staged(&new, &record)
    }

    /// Phase two of a staged insert: one transaction inserts the record (with every
    /// part's wrap, the inline parts' and the uploaded ones') and the idempotency key;
    /// the `pending` mark goes once that is durable. A created tip
    /// stays; anything else (a retry answered by the transaction, a conflict, an error)
    /// removes the mark (its log records are garbage nothing points at), except when a
    /// twin insert with the same fresh id (never, with 128 random bits) owns it.
    pub(in crate::storage) fn commit_staged(
        &self,
        new: &NewTip<'_>,
        record: &[u8],
    ) -> Result<InsertOutcome, StorageError> {
        let inner = &self.inner;
        let result = (&inner.tips, &inner.idempotency)
            .transaction(|(tips, idempotency)| {
                check_and_insert_record(tips, idempotency, new, record)
            })
            .map_err(tx_error::<StorageError>);
        match result {
            Ok(InsertOutcome::Created(id)) => {
                self.clear_mark_once_durable(id);
                Ok(InsertOutcome::Created(id))
            }
            Err(StorageError::DuplicateId) => Err(StorageError::DuplicateId),
            other => {
                self.inner.commit.nudge();
                self.unstage(new.id)?;
                other
            }
        }
    }

    /// A small tip (every text tip) in plain writes, without a sled transaction: sled
    /// 0.34 seals and writes its I/O buffer twice for every transaction (`pin_log` rolls
    /// it before and after its reservation), so a transaction per tip cost two `pwrite` +
    /// `sync_file_range` on sled's I/O threads — the largest item of the release profile
    /// (BENCHMARKS.md). Instead the writes go in an order that sled's prefix recovery
    /// makes safe: the `pending` mark (holding the key's hash), the log records, the
    /// record with the wraps (from here readers see the tip, whole), the idempotency key
    /// by compare-and-swap; the mark goes once all that is durable. After a crash, opening
    /// removes every tip still marked whose key does not name it or whose log records
    /// are not whole ([`remove_unfinished`]); a try that loses the race for its key
    /// removes its own tip again and answers like a retry.
    fn insert_in_log_order(&self, new: &NewTip<'_>) -> Result<InsertOutcome, StorageError> {
        let inner = &self.inner;
        if let Some(outcome) = self.before_staging(new)? {
            return Ok(outcome);
        }
        let mark: &[u8] = new.idempotency.as_ref().map_or(&[], |i| &i.key_hash[..]);
        inner.pending.insert(new.id.as_bytes(), mark)?;
        let written = (|| {
            let locations = append_parts(&inner.log, new)?;
            inner
                .tips
                .insert(tip_key(new.id), record_of(new, &[], &[], &locations)?)?;
            let Some(idem) = &new.idempotency else {
                return Ok(InsertOutcome::Created(new.id));
            };
            let value = layout::idempotency_value(
                new.id,
                &idem.body_hash,
                idem.mailbox.as_ref(),
                new.received,
            );
            match inner.idempotency.compare_and_swap(
                idem.key_hash,
                None as Option<&[u8]>,
                Some(&value[..]),
            )? {
                Ok(()) => Ok(InsertOutcome::Created(new.id)),
                Err(cas) => {
                    let stored = cas
                        .current
                        .ok_or(StorageError::Corrupt("idempotency entry vanished"))?;
                    let record = layout::parse_idempotency_value(&stored)?;
                    Ok(outcome_of_existing_key(&record, idem))
                }
            }
        })();
        match written {
            Ok(InsertOutcome::Created(id)) => {
                self.clear_mark_once_durable(id);
                Ok(InsertOutcome::Created(id))
            }
            // Another try stored this key first, or a write failed: this try's tip goes.
            other => {
                // Its log records are garbage, but their segment's times moved: a batch
                // sets them back even if no other tip comes (nobody waits for this one).
                inner.commit.nudge();
                remove_tip_writes(&inner.tips, &inner.wraps, &inner.blobs, new.id)?;
                inner.pending.remove(new.id.as_bytes())?;
                other
            }
        }
    }

    /// What an insert carrying this idempotency key would answer if the key is already
    /// stored (`Existing` for the same body and mailbox, `Conflict` otherwise), or `None`
    /// for a new key. Lets a caller answer a retry before doing work the first try
    /// already did (claiming its uploads); [`Store::insert_tip`] still checks again.
    ///
    /// A record from before mailboxes were recorded does not say which mailbox the first
    /// try registered: a retry of it is `Existing` only without a mailbox (nothing to
    /// attach) or with the mailbox already registered to that very tip; any other
    /// mailbox is a `Conflict`, so a replay can never attach a new one.
    ///
    /// A record an older release wrote holds a BLAKE2b body hash: without
    /// `legacy_body_hash` this answers [`StorageError::LegacyBodyHash`], so that the
    /// caller hashes the body a second time only for such a retry, never on every tip.
    pub fn idempotent_outcome(
        &self,
        idem: &Idempotency,
    ) -> Result<Option<InsertOutcome>, StorageError> {
        let Some(v) = self.inner.idempotency.get(idem.key_hash)? else {
            return Ok(None);
        };
        let record = layout::parse_idempotency_value(&v)?;
        if record.hash == BodyHashKind::Blake2b && idem.legacy_body_hash.is_none() {
            return Err(StorageError::LegacyBodyHash);
        }
        let outcome = match (record.mailbox, &idem.mailbox) {
            (RecordedMailbox::Unknown, Some(m)) => {
                if same_body(&record, idem) && self.mailbox_tip(m)? == Some(record.id) {
                    InsertOutcome::Existing(record.id)
                } else {
                    InsertOutcome::Conflict
                }
            }
            _ => outcome_of_existing_key(&record, idem),
        };
        Ok(Some(outcome))
    }

    /// Before a staged insert writes any chunk: the answer to a retry (answered without
    /// rewriting up to 33 × 64 MiB of chunks; the final transaction checks again, for
    /// retries that race the original), or a refusal of an id in use (its chunks would be
    /// overwritten).
    pub(in crate::storage) fn before_staging(
        &self,
        new: &NewTip<'_>,
    ) -> Result<Option<InsertOutcome>, StorageError> {
        if let Some(idem) = &new.idempotency {
            if let Some(outcome) = self.idempotent_outcome(idem)? {
                return Ok(Some(outcome));
            }
        }
        if self.inner.tips.contains_key(tip_key(new.id))? {
            return Err(StorageError::DuplicateId);
        }
        Ok(None)
    }

    /// Phase one of an insert: the `pending` marker, then the parts' log records; where
    /// they start. sled recovers a prefix of its log, so after a crash any recovered
    /// index entry of the insert has its marker too.
    pub(in crate::storage) fn stage(
        &self,
        new: &NewTip<'_>,
    ) -> Result<Vec<Location>, StorageError> {
        self.inner.pending.insert(new.id.as_bytes(), &[])?;
        match append_parts(&self.inner.log, new) {
            Ok(locations) => Ok(locations),
            Err(e) => {
                self.unstage(new.id)?;
                Err(e)
            }
        }
    }

    /// Registers the removal of tip `id`'s `pending` mark with the commit thread, to run
    /// once the batch that syncs the log records written so far has been answered.
    pub(in crate::storage) fn clear_mark_once_durable(&self, id: TipId) {
        let pending = self.inner.pending.clone();
        self.inner.commit.pending().after_durable(Box::new(move || {
            // Left in place, the mark only makes the next open check this tip's records.
            if let Err(e) = pending.remove(id.as_bytes()) {
                tracing::warn!(error = %e, "could not clear an insert's pending mark");
            }
        }));
    }

    /// Undoes [`Store::stage`] for an insert that will not be committed: its log records
    /// stay as garbage nothing points at (compaction reclaims them).
    pub(super) fn unstage(&self, id: TipId) -> Result<(), StorageError> {
        remove_blobs(&self.inner.blobs, id)?;
        self.inner.pending.remove(id.as_bytes())?;
        Ok(())
    }

    /// Forgets idempotency keys of tips received before `before`. A retry comes seconds or
    /// hours after a lost answer, not weeks; keeping the keys for ever would keep, for
    /// every tip, a link a client could test (a key it remembers) and grow the tree
    /// without bound. The day is the one the key's record holds (the tip's received day,
    /// which its id and record already show); a record from before schema 6 has none, and
    /// the tip's record is read for it (such a key whose tip is gone goes too). Walks this
    /// tree alone otherwise: reading each key's tip paged the whole index of a week's tips
    /// through sled's cache at every start-up (BENCHMARKS.md, session 27). The server runs
    /// it after start-up and daily, alongside requests. Returns how many were removed.
    pub fn expire_idempotency(&self, before: Day) -> Result<usize, StorageError> {
        let _gate = self.write_gate();
        let inner = &self.inner;
        let mut removed = 0;
        for kv in inner.idempotency.iter() {
            let (key, value) = kv?;
            let record = layout::parse_idempotency_value(&value)?;
            // The day is in every record written since schema 6: no read of `tips`, whose
            // leaves a walk of a week's keys would otherwise page in one by one.
            let received = match record.received {
                Some(day) => Some(day),
                None => match inner.tips.get(tip_key(record.id))? {
                    Some(tip) => Some(Record::decode(&tip)?.received),
                    None => None,
                },
            };
            // Only the value just read goes: a key that a delete freed and a new
            // submission took meanwhile names a fresh tip, and its retry must find it.
            if !matches!(received, Some(day) if day >= before)
                && inner
                    .idempotency
                    .compare_and_swap(&key, Some(&value), None as Option<&[u8]>)?
                    .is_ok()
            {
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// The daily sweep: forgets the keys of tips received more than `keep_days` before
    /// `today` ([`Store::expire_idempotency`]), unless a sweep already ran on `today`
    /// (then `None`). A restart thus does not walk a week of keys a second time that
    /// day: each walk pages the whole tree through sled's cache (BENCHMARKS.md, session
    /// 27).
    pub fn expire_idempotency_daily(
        &self,
        today: Day,
        keep_days: i64,
    ) -> Result<Option<usize>, StorageError> {
        let stamp = today.days().to_be_bytes();
        let meta = &self.inner.meta;
        if meta.get(layout::META_IDEMPOTENCY_SWEPT)?.as_deref() == Some(&stamp[..]) {
            return Ok(None);
        }
        let removed = self.expire_idempotency(today.plus_days(-keep_days))?;
        // Durable with the next batch; lost in a crash, the sweep simply runs again.
        let _gate = self.write_gate();
        meta.insert(layout::META_IDEMPOTENCY_SWEPT, &stamp[..])?;
        Ok(Some(removed))
    }

    /// Number of stored tips (walks the `tips` tree).
    pub fn tip_count(&self) -> Result<usize, StorageError> {
        Ok(self.inner.tips.len())
    }
}

pub(super) fn check_shape(new: &NewTip<'_>) -> Result<(), StorageError> {
    if !(1..=MAX_PARTS).contains(&new.parts.len()) {
        return Err(StorageError::Invalid("a tip has 1 to 33 parts"));
    }
    for part in &new.parts {
        if part.header.len() != HEADER_LEN {
            return Err(StorageError::Invalid("a part header is not 68 bytes"));
        }
        if part.wrap.len() != WRAP_LEN {
            return Err(StorageError::Invalid("a wrap section is not 84 bytes"));
        }
        if (HEADER_LEN + part.body.len()).div_ceil(layout::CHUNK_LEN) > u32::MAX as usize {
            return Err(StorageError::Invalid("a part body is too large"));
        }
    }
    Ok(())
}

/// Appends every part of `new` (header ‖ body) to the log, in order; where each starts.
fn append_parts(log: &BundleLog, new: &NewTip<'_>) -> Result<Vec<Location>, StorageError> {
    (0u16..)
        .zip(&new.parts)
        .map(|(part, p)| log.append(new.id, part, &[p.header, p.body]))
        .collect()
}

/// Tips whose staged bytes (every part's header ‖ body) are at most this (every text tip)
/// are indexed in plain writes in log order ([`Store::insert_in_log_order`]); larger ones
/// (attachments, up to 33 × 64 MiB) are indexed by one transaction
/// ([`Store::commit_staged`]).
const SMALL_TIP_BYTES: usize = 4 * layout::CHUNK_LEN;

fn staged_bytes(new: &NewTip<'_>) -> usize {
    new.parts
        .iter()
        .map(|p| p.header.len().saturating_add(p.body.len()))
        .fold(0, usize::saturating_add)
}

/// The format-3 record of `new`'s parts followed by parts copied from uploads (their
/// body lengths `more_bodies`, their wraps `more_wraps`), every part's log record
/// starting at its entry of `locations`.
pub(super) fn record_of(
    new: &NewTip<'_>,
    more_bodies: &[u64],
    more_wraps: &[[u8; WRAP_LEN]],
    locations: &[Location],
) -> Result<Vec<u8>, StorageError> {
    let mut wraps = Vec::with_capacity(new.parts.len() + more_wraps.len());
    for p in &new.parts {
        let wrap = <[u8; WRAP_LEN]>::try_from(p.wrap)
            .map_err(|_| StorageError::Invalid("a wrap section is not 84 bytes"))?;
        wraps.push(wrap);
    }
    wraps.extend_from_slice(more_wraps);
    Record {
        locations: Some(locations.to_vec()),
        wraps: Some(wraps),
        received: new.received,
        epoch: new.epoch,
        flags: new.flags,
        bodies: new
            .parts
            .iter()
            .map(|p| p.body.len() as u64)
            .chain(more_bodies.iter().copied())
            .collect(),
    }
    .encode()
}

/// The transaction body of a staged insert (sled may run it more than once): checks the
/// idempotency key and the id, then inserts the record and the key.
fn check_and_insert_record(
    tips: &TransactionalTree,
    idempotency: &TransactionalTree,
    new: &NewTip<'_>,
    record: &[u8],
) -> ConflictableTransactionResult<InsertOutcome, StorageError> {
    if let Some(idem) = &new.idempotency {
        if let Some(v) = idempotency.get(idem.key_hash)? {
            let record = layout::parse_idempotency_value(&v).or_else(abort)?;
            return Ok(outcome_of_existing_key(&record, idem));
        }
    }
    if tips.get(tip_key(new.id))?.is_some() {
        return abort(StorageError::DuplicateId);
    }
    tips.insert(&tip_key(new.id)[..], record)?;
    if let Some(idem) = &new.idempotency {
        let value =
            layout::idempotency_value(new.id, &idem.body_hash, idem.mailbox.as_ref(), new.received);
        idempotency.insert(&idem.key_hash[..], &value[..])?;
    }
    Ok(InsertOutcome::Created(new.id))
}

/// A retry must match the first try's body and mailbox exactly. (A record of unknown
/// mailbox with a mailbox given is a conflict here; [`Store::idempotent_outcome`], which
/// runs first, answers it from the `mailboxes` tree.)
fn outcome_of_existing_key(record: &IdempotencyRecord, idem: &Idempotency) -> InsertOutcome {
    let mailbox_matches = match (record.mailbox, &idem.mailbox) {
        (RecordedMailbox::Some(a), Some(b)) => same_32(&a, b),
        (RecordedMailbox::None | RecordedMailbox::Unknown, None) => true,
        _ => false,
    };
    if same_body(record, idem) && mailbox_matches {
        InsertOutcome::Existing(record.id)
    } else {
        InsertOutcome::Conflict
    }
}

/// Whether a retry carries the body its record was written for, by the record's kind of
/// hash. A BLAKE2b record without the retry's BLAKE2b hash is not a match: only
/// [`Store::idempotent_outcome`], which runs first and asks for that hash, meets old
/// records (nothing writes them any more, so none appears between it and an insert).
fn same_body(record: &IdempotencyRecord, idem: &Idempotency) -> bool {
    match record.hash {
        BodyHashKind::Blake3 => same_32(&record.body_hash, &idem.body_hash),
        BodyHashKind::Blake2b => idem
            .legacy_body_hash
            .is_some_and(|h| same_32(&record.body_hash, &h)),
    }
}

/// Compares without an early exit, so timing says nothing about where hashes differ.
fn same_32(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Removes every `blobs` chunk of tip `id` (format 1); how many there were.
fn remove_blobs(blobs: &sled::Tree, id: TipId) -> Result<usize, StorageError> {
    let mut chunks = 0;
    for key in blobs.scan_prefix(id.as_bytes()).keys() {
        blobs.remove(key?)?;
        chunks += 1;
    }
    Ok(chunks)
}

/// Removes a tip's record, wraps and chunks, record first so readers stop seeing it.
fn remove_tip_writes(
    tips: &sled::Tree,
    wraps: &sled::Tree,
    blobs: &sled::Tree,
    id: TipId,
) -> Result<usize, StorageError> {
    tips.remove(tip_key(id))?;
    for key in wraps.scan_prefix(id.as_bytes()).keys() {
        wraps.remove(key?)?;
    }
    remove_blobs(blobs, id)
}

/// The trees an unfinished insert may have written to.
pub(in crate::storage) struct InsertTrees<'a> {
    pub tips: &'a sled::Tree,
    pub blobs: &'a sled::Tree,
    pub wraps: &'a sled::Tree,
    pub idempotency: &'a sled::Tree,
    pub pending: &'a sled::Tree,
    pub log: &'a BundleLog,
}

/// Removes what inserts that never finished left behind: a crash between an insert's
/// `pending` mark and the mark's removal (after its batch was durable). A marked tip
/// stays only when it is whole: its record is there; when the mark names an idempotency
/// key, that key names this tip (the small-tip path writes the key last; the staged path
/// writes record and key in one transaction and leaves the mark empty); and each of its
/// log records is there with the frame and checksum the record expects (the segment's
/// sync may not have happened). Anything else goes: record, wraps and chunks; the log
/// records stay as garbage, and a key naming the tip goes too. Only marked ids are looked at, so opening does not read
/// every stored tip. Runs at open, before any insert can be in flight. Returns how many
/// tips were removed.
pub(in crate::storage) fn remove_unfinished(t: &InsertTrees<'_>) -> Result<usize, StorageError> {
    let mut removed = 0;
    for kv in t.pending.iter() {
        let (key, mark) = kv?;
        let id = TipId::try_from_slice(&key).map_err(|_| StorageError::Corrupt("pending key"))?;
        let record = t.tips.get(tip_key(id))?;
        let whole = record.is_some()
            && match mark.len() {
                0 => true,
                32 => match t.idempotency.get(&mark[..])? {
                    Some(v) => layout::parse_idempotency_value(&v)?.id == id,
                    None => false,
                },
                _ => return Err(StorageError::Corrupt("pending mark")),
            }
            && match &record {
                Some(r) => records_whole(t.log, id, &Record::decode(r)?)?,
                None => false,
            };
        if !whole {
            remove_tip_writes(t.tips, t.wraps, t.blobs, id)?;
            // A key naming the removed tip would answer its retry with a missing tip.
            if mark.len() == 32 {
                if let Some(v) = t.idempotency.get(&mark[..])? {
                    if layout::parse_idempotency_value(&v)?.id == id {
                        t.idempotency.remove(&mark[..])?;
                    }
                }
            }
            removed += 1;
        }
        t.pending.remove(key)?;
    }
    Ok(removed)
}

/// Whether every log record of a format-2 tip is there whole (a format-1 tip's chunks
/// were written before its record, so its record is enough).
fn records_whole(log: &BundleLog, id: TipId, record: &Record) -> Result<bool, StorageError> {
    for (part, len, at) in record.log_records() {
        if !log.verify(at, id, part, len)? {
            return Ok(false);
        }
    }
    Ok(true)
}
