//! Tips: sealed envelopes of 1..=33 parts, stored whole or not at all.
//!
//! A part is a 68-byte immutable header, an 84-byte wrap section (replaced by a rewrap)
//! and a body. Storage never looks inside any of them. Header ‖ body of each part is one
//! record of the bundle log (`bundles/`); sled holds the index: the tip record (format 3:
//! body lengths, where each record starts and each part's wrap) and the idempotency
//! entry. Every insert marks its id `pending`, appends the records, then writes the index
//! — a small tip (every text tip) in plain writes in log order, a larger one in one
//! transaction —
//! and leaves the mark until the batch that synced the records is answered; opening
//! checks every marked tip and removes it unless it is whole (`insert.rs`). Attachments
//! that came through the uploads API are streamed into their records piece by piece
//! (`attach.rs`). Tips written by schema 1 (format 1: bytes in `blobs` chunks) and
//! schema 2 (format 2: wraps in `wraps`) are read and deleted as they are. Compaction gives back deleted tips' log space (`compact.rs`).

mod attach;
mod compact;
mod delete;
mod insert;
mod migrate;
mod read;
mod rewrap;
mod stream;
#[cfg(test)]
mod tests;

use crate::domain::envelope::EnvelopeRef;
use crate::domain::{Day, Epoch, TipId};

pub use attach::UploadedPart;
pub use compact::CompactionReport;
pub(super) use insert::{remove_unfinished, InsertTrees};
pub(super) use migrate::{move_blobs_into_log, move_tips_to_day_keys};
pub use rewrap::SwapError;
pub use stream::TipPieces;

use super::WRAP_LEN;

/// A tip to insert. Its id must be fresh random bytes chosen by the caller.
pub struct NewTip<'a> {
    /// Random id of the tip.
    pub id: TipId,
    /// The UTC day it arrived: the only time stored.
    pub received: Day,
    /// The epoch of the intake key its wraps are sealed to.
    pub epoch: Epoch,
    /// Opaque flags kept with the record.
    pub flags: u8,
    /// The tip, then its attachments: 1 to [`super::MAX_PARTS`] parts.
    pub parts: Vec<NewPart<'a>>,
    /// Present when the witness's client sent an `Idempotency-Key`.
    pub idempotency: Option<Idempotency>,
}

/// One part of a tip to insert, already split by the caller.
pub struct NewPart<'a> {
    /// The [`super::HEADER_LEN`]-byte header.
    pub header: &'a [u8],
    /// The [`WRAP_LEN`]-byte wrap section.
    pub wrap: &'a [u8],
    /// The ciphertext body.
    pub body: &'a [u8],
}

impl<'a> NewPart<'a> {
    /// The part of a parsed envelope, with its wrap section already encoded (`wrap`).
    pub fn of_envelope(envelope: &EnvelopeRef<'a>, wrap: &'a [u8; WRAP_LEN]) -> Self {
        NewPart {
            header: envelope.header_bytes,
            wrap,
            body: envelope.body,
        }
    }
}

/// What makes a retried submission recognisable, all hashes computed by the caller.
///
/// A retry is the same key, the same body *and* the same mailbox: a replay of a body and
/// key with another `Tipseal-Mailbox` is a conflict, never a way to attach a mailbox to
/// someone else's tip.
#[derive(Clone, Copy)]
pub struct Idempotency {
    /// Keyed hash (with the store's pepper) of the client's idempotency key.
    pub key_hash: [u8; 32],
    /// BLAKE3 of the whole submitted bundle and its upload ids
    /// (`crypto::bulk_hash32`).
    pub body_hash: [u8; 32],
    /// BLAKE2b of the same bytes (`crypto::hash32`): needed only to answer a retry whose
    /// record an older release wrote. `None` on the intake path;
    /// [`super::Store::idempotent_outcome`] asks for it with
    /// [`super::StorageError::LegacyBodyHash`] when it meets such a record.
    pub legacy_body_hash: Option<[u8; 32]>,
    /// The peppered hash of the mailbox key registered with the tip (the `mailboxes`
    /// tree's key), or `None` when the submission registers no mailbox.
    pub mailbox: Option<[u8; 32]>,
}

/// The result of [`super::Store::insert_tip`].
///
/// Whatever the outcome, await [`super::Store::durable`] before answering: an `Existing`
/// tip may come from a request whose flush has not completed yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InsertOutcome {
    /// The tip was stored under the id it was given.
    Created(TipId),
    /// The same key with the same body was stored before (a retry): its id.
    Existing(TipId),
    /// The same key was used before with a different body; nothing was stored.
    Conflict,
}

/// What a listing shows of a tip, without its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TipSummary {
    /// The tip's id.
    pub id: TipId,
    /// The UTC day it arrived.
    pub received: Day,
    /// The epoch its wraps are currently sealed to.
    pub epoch: Epoch,
    /// Opaque flags.
    pub flags: u8,
    /// Total envelope bytes of all parts (headers, wraps and bodies).
    pub size: u64,
    /// Number of parts.
    pub parts: u16,
}

/// A tip read back whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredTip {
    /// Its summary, consistent with the wraps below.
    pub summary: TipSummary,
    /// Its parts in order.
    pub parts: Vec<StoredPart>,
}

/// One part read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPart {
    /// The [`super::HEADER_LEN`]-byte header.
    pub header: Vec<u8>,
    /// The wrap section as currently stored.
    pub wrap: [u8; WRAP_LEN],
    /// The body.
    pub body: Vec<u8>,
}
