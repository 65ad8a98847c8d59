//! Triage event logs: one append-only sequence of sealed events per tip, one for the
//! team, and a global feed so a reviewer's client can ask "what is new since cursor C".
//!
//! | tree          | key                                  | value                                  |
//! |---------------|--------------------------------------|----------------------------------------|
//! | `events`      | log key (17) ‖ seq u32 BE            | the sealed event (≤ [`MAX_EVENT_BYTES`]) |
//! | `event_meta`  | log key (17) ‖ seq u32 BE            | `1 ‖ day i64 ‖ epoch u32 ‖ cursor u64 ‖ marks u8` |
//! | `event_heads` | log key (17)                         | next seq u32                           |
//! | `event_heads` | `feed`                               | next cursor u64                        |
//! | `event_feed`  | cursor u64 BE                        | log key (17) ‖ seq u32 BE              |
//!
//! Log key: `0` ‖ 16 zero bytes for the team log, `1` ‖ tip id for a tip's. Every append
//! is one sled transaction over all four trees that also bumps the feed counter, so
//! appends are serialized: cursors grow in commit order and a client that has seen
//! cursor C never misses an event committed later with a smaller one. The day and the
//! epoch are the server's (the UTC day, the keyring epoch in force at the append);
//! `marks` is what the appending client declared about an event it sealed (only
//! "records a deletion"), which the reader checks against the opened event.
//!
//! Must never: read or interpret an event's bytes, store a time finer than a UTC day,
//! or lose an event that was acknowledged (await [`Store::durable`] before answering).

use sled::transaction::{abort, ConflictableTransactionError, TransactionalTree};
use sled::Transactional;

use crate::domain::triage::LogRef;
use crate::domain::{Day, Epoch, TipId};

use super::layout::{HEADER_LEN, WRAP_LEN};
use super::{tx_error, StorageError, Store, WrapPatchError};

const TREE_EVENTS: &str = "events";
const TREE_META: &str = "event_meta";
const TREE_HEADS: &str = "event_heads";
const TREE_FEED: &str = "event_feed";
const FEED_COUNTER: &[u8] = b"feed";
const META_FORMAT: u8 = 1;
const META_LEN: usize = 1 + 8 + 4 + 8 + 1;

/// Largest sealed event stored: a sealed event is 16,553 bytes (the smallest envelope
/// bucket), so this leaves room for a later format while staying at sled's inline value
/// limit ([`super::MAX_VALUE_LEN`]) — one value per event, fsynced by the group commit.
pub const MAX_EVENT_BYTES: usize = 64 * 1024;
/// Most events in one log: years of daily triage on one tip, and a bound on what one
/// reviewer session can make the server store for a log (10,000 × 64 KiB ≈ 640 MiB at
/// worst, 165 MiB with real 16 KiB events).
pub const MAX_EVENTS_PER_LOG: u32 = 10_000;

/// What the appending client declares about an event (the server cannot read it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EventMarks(u8);

impl EventMarks {
    /// Nothing declared.
    pub const NONE: EventMarks = EventMarks(0);
    /// The event records a decision to delete the tip (`DeleteTip`).
    pub const DELETE_TIP: EventMarks = EventMarks(1);

    /// Whether the deletion mark is set.
    pub const fn deletes_tip(self) -> bool {
        self.0 & 1 != 0
    }
}

/// An event to append.
pub struct NewEvent<'a> {
    /// The log.
    pub log: LogRef,
    /// The seq the client built its event for: must be the log's next one.
    pub expected_seq: u32,
    /// The sealed bytes.
    pub blob: &'a [u8],
    /// Today (UTC).
    pub day: Day,
    /// The keyring epoch in force.
    pub epoch: Epoch,
    /// What the client declared.
    pub marks: EventMarks,
}

/// Where an appended event went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Appended {
    /// Its seq in its log.
    pub seq: u32,
    /// Its place in the global feed.
    pub cursor: u64,
}

/// Why an append stored nothing.
#[derive(Debug, Clone, thiserror::Error)]
pub enum AppendError {
    /// Someone appended first: `current` is the log's next seq now.
    #[error("the log has moved on: its next event is {current}")]
    Conflict {
        /// The next seq.
        current: u32,
    },
    /// The event is over [`MAX_EVENT_BYTES`].
    #[error("the event is larger than 64 KiB")]
    TooLarge,
    /// The log holds [`MAX_EVENTS_PER_LOG`] events.
    #[error("the log holds the most events this server keeps for one log")]
    LogFull,
    /// A tip log for a tip that is not stored (and has no log yet).
    #[error("no such tip")]
    NoSuchTip,
    /// Storage failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// One stored event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredEvent {
    /// Its seq.
    pub seq: u32,
    /// The UTC day it was appended.
    pub day: Day,
    /// The epoch in force then.
    pub epoch: Epoch,
    /// Its feed cursor.
    pub cursor: u64,
    /// What its author declared.
    pub marks: EventMarks,
    /// The sealed bytes.
    pub blob: Vec<u8>,
}

/// One item of the feed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FeedItem {
    /// Its cursor.
    pub cursor: u64,
    /// The log.
    pub log: LogRef,
    /// The seq.
    pub seq: u32,
}

fn log_key(log: LogRef) -> [u8; 17] {
    let mut k = [0u8; 17];
    if let LogRef::Tip(id) = log {
        k[0] = 1;
        k[1..].copy_from_slice(id.as_bytes());
    }
    k
}

fn parse_log_key(k: &[u8]) -> Result<LogRef, StorageError> {
    match k.split_first() {
        Some((0, _)) => Ok(LogRef::Team),
        Some((1, id)) => TipId::try_from_slice(id)
            .map(LogRef::Tip)
            .map_err(|_| StorageError::Corrupt("event log key")),
        _ => Err(StorageError::Corrupt("event log key")),
    }
}

fn event_key(log: LogRef, seq: u32) -> [u8; 21] {
    let mut k = [0u8; 21];
    k[..17].copy_from_slice(&log_key(log));
    k[17..].copy_from_slice(&seq.to_be_bytes());
    k
}

fn be_u32(b: &[u8]) -> Result<u32, StorageError> {
    Ok(u32::from_be_bytes(
        b.try_into()
            .map_err(|_| StorageError::Corrupt("event counter"))?,
    ))
}

fn be_u64(b: &[u8]) -> Result<u64, StorageError> {
    Ok(u64::from_be_bytes(b.try_into().map_err(|_| {
        StorageError::Corrupt("event feed counter")
    })?))
}

fn encode_meta(day: Day, epoch: Epoch, cursor: u64, marks: EventMarks) -> [u8; META_LEN] {
    let mut m = [0u8; META_LEN];
    m[0] = META_FORMAT;
    m[1..9].copy_from_slice(&day.days().to_be_bytes());
    m[9..13].copy_from_slice(&epoch.get().to_be_bytes());
    m[13..21].copy_from_slice(&cursor.to_be_bytes());
    m[21] = marks.0;
    m
}

fn decode_meta(m: &[u8]) -> Result<(Day, Epoch, u64, EventMarks), StorageError> {
    if m.len() != META_LEN || m[0] != META_FORMAT {
        return Err(StorageError::Corrupt("event metadata"));
    }
    let day = Day::from_days(i64::from_be_bytes(m[1..9].try_into().unwrap_or_default()));
    let epoch = Epoch::new(be_u32(&m[9..13])?).map_err(|_| StorageError::Corrupt("event epoch"))?;
    Ok((day, epoch, be_u64(&m[13..21])?, EventMarks(m[21])))
}

impl Store {
    /// Appends `new.blob` as event `new.expected_seq` of its log, atomically, or stores
    /// nothing and says why ([`AppendError::Conflict`] names the log's next seq).
    pub fn append_event(&self, new: NewEvent<'_>) -> Result<Appended, AppendError> {
        let _gate = self.write_gate();
        if new.blob.len() > MAX_EVENT_BYTES {
            return Err(AppendError::TooLarge);
        }
        let (events, meta) = (self.tree(TREE_EVENTS)?, self.tree(TREE_META)?);
        let (heads, feed) = (self.tree(TREE_HEADS)?, self.tree(TREE_FEED)?);
        let next = heads
            .get(log_key(new.log))
            .map_err(StorageError::from)?
            .map(|v| be_u32(&v))
            .transpose()?;
        // A tip's log starts only while the tip exists; once started it outlives the tip.
        if let (LogRef::Tip(id), None) = (new.log, next) {
            if !self.tip_exists(id)? {
                return Err(AppendError::NoSuchTip);
            }
        }
        (&events, &meta, &heads, &feed)
            .transaction(|(events, meta, heads, feed)| {
                append_in_tx(events, meta, heads, feed, &new)
            })
            .map_err(tx_error::<AppendError>)
    }

    /// The next seq of `log` (0 for a log with no events).
    pub fn event_head(&self, log: LogRef) -> Result<u32, StorageError> {
        let v = self.tree(TREE_HEADS)?.get(log_key(log))?;
        v.map(|v| be_u32(&v)).transpose().map(|n| n.unwrap_or(0))
    }

    /// Up to `limit` events of `log` from seq `from` on, in order.
    pub fn events(
        &self,
        log: LogRef,
        from: u32,
        limit: usize,
    ) -> Result<Vec<StoredEvent>, StorageError> {
        let events = self.tree(TREE_EVENTS)?;
        let meta = self.tree(TREE_META)?;
        let end = event_key(log, u32::MAX);
        let mut out = Vec::new();
        for kv in meta.range(event_key(log, from)..=end).take(limit) {
            let (k, m) = kv?;
            let seq = be_u32(&k[17..])?;
            let (day, epoch, cursor, marks) = decode_meta(&m)?;
            let blob = events
                .get(&k)?
                .ok_or(StorageError::Corrupt("an event's bytes are missing"))?;
            out.push(StoredEvent {
                seq,
                day,
                epoch,
                cursor,
                marks,
                blob: blob.to_vec(),
            });
        }
        Ok(out)
    }

    /// Up to `limit` feed items after `cursor`, oldest first.
    pub fn event_feed(&self, after: u64, limit: usize) -> Result<Vec<FeedItem>, StorageError> {
        let Some(start) = after.checked_add(1) else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for kv in self
            .tree(TREE_FEED)?
            .range(start.to_be_bytes()..)
            .take(limit)
        {
            let (k, v) = kv?;
            if v.len() != 21 {
                return Err(StorageError::Corrupt("event feed item"));
            }
            out.push(FeedItem {
                cursor: be_u64(&k)?,
                log: parse_log_key(&v[..17])?,
                seq: be_u32(&v[17..])?,
            });
        }
        Ok(out)
    }

    /// Whether any event of the tip's log was declared to record its deletion.
    pub fn has_delete_mark(&self, tip: TipId) -> Result<bool, StorageError> {
        for kv in self.tree(TREE_META)?.scan_prefix(log_key(LogRef::Tip(tip))) {
            if decode_meta(&kv?.1)?.3.deletes_tip() {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Replaces the wrap section of one stored event, only if it still is `old` (a
    /// concurrent rewrap that got there first makes this fail with
    /// [`WrapPatchError::Changed`]). Await [`Store::durable`] before acknowledging.
    pub fn swap_event_wrap(
        &self,
        log: LogRef,
        seq: u32,
        old: &[u8; WRAP_LEN],
        new: &[u8; WRAP_LEN],
    ) -> Result<(), WrapPatchError> {
        let _gate = self.write_gate();
        let events = self.tree(TREE_EVENTS)?;
        let key = event_key(log, seq);
        events
            .transaction(|tx| {
                let Some(v) = tx.get(key)? else {
                    return abort(WrapPatchError::NotFound);
                };
                let range = HEADER_LEN..HEADER_LEN + WRAP_LEN;
                if v.get(range.clone()) != Some(&old[..]) {
                    return abort(WrapPatchError::Changed);
                }
                let mut bytes = v.to_vec();
                bytes[range].copy_from_slice(new);
                tx.insert(&key, bytes)?;
                Ok(())
            })
            .map_err(tx_error::<WrapPatchError>)
    }
}

fn append_in_tx(
    events: &TransactionalTree,
    meta: &TransactionalTree,
    heads: &TransactionalTree,
    feed: &TransactionalTree,
    new: &NewEvent<'_>,
) -> Result<Appended, ConflictableTransactionError<AppendError>> {
    let corrupt = |e: StorageError| ConflictableTransactionError::Abort(AppendError::from(e));
    let head_key = log_key(new.log);
    let current = match heads.get(head_key)? {
        Some(v) => be_u32(&v).map_err(corrupt)?,
        None => 0,
    };
    if current != new.expected_seq {
        return abort(AppendError::Conflict { current });
    }
    if current >= MAX_EVENTS_PER_LOG {
        return abort(AppendError::LogFull);
    }
    let cursor = match heads.get(FEED_COUNTER)? {
        Some(v) => be_u64(&v).map_err(corrupt)?,
        None => 1,
    };
    let key = event_key(new.log, current);
    events.insert(&key, new.blob)?;
    meta.insert(
        &key,
        &encode_meta(new.day, new.epoch, cursor, new.marks)[..],
    )?;
    heads.insert(&head_key, &(current + 1).to_be_bytes())?;
    heads.insert(FEED_COUNTER, &(cursor + 1).to_be_bytes())?;
    feed.insert(&cursor.to_be_bytes(), &key[..])?;
    Ok(Appended {
        seq: current,
        cursor,
    })
}

#[cfg(test)]
mod tests;
