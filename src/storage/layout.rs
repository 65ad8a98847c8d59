//! The on-disk layout (schema version 4): tree names, key encodings, the tip record.
//!
//! | tree          | key                                   | value                               |
//! |---------------|---------------------------------------|-------------------------------------|
//! | `tips_by_day` | the tip's [`tip_key`] (16)            | tip record, below                   |
//! | `blobs`       | tip id (16) ‖ part u16 BE ‖ chunk u32 BE | ≤ [`CHUNK_LEN`] bytes of header ‖ body (format-1 tips only) |
//! | `pending`     | tip id (16)                           | empty, or the key hash (32): an insert is under way, or its log records are not known to be synced |
//! | `wraps`       | tip id (16) ‖ part u16 BE             | the part's 84-byte wrap section (format-1 and -2 tips only) |
//! | `idempotency` | keyed hash of the key (32)            | tip id (16) ‖ body hash (32) ‖ mailbox (33) ‖ hash (1) |
//! | `keyring`     | see `keyring.rs`                      | chunks of the keyring JSON          |
//! | `audit`       | sequence number u64 BE                | the entry (opaque, ≤ 64 KiB)        |
//! | `meta`        | `schema`, `pepper`, `audit_next`      | u32 BE, 32 bytes, u64 BE            |
//!
//! A tip id ends with the day it was received (`crypto::new_tip_id`); its [`tip_key`]
//! puts those four bytes first, so the tips of one day sort together and an insert
//! writes one of the few index leaves of today's range, which stay in sled's cache,
//! instead of a random leaf among every stored tip's. Ids from before schema 4 are 16
//! random bytes: their keys sort at a random "day", which costs nothing but locality.
//! Schemas 1 to 3 kept records in `tips` keyed by the id itself; opening such a directory
//! moves them (`tips/migrate.rs`, [`TREE_TIPS_BEFORE_4`]).
//!
//! The idempotency value's mailbox is `1 ‖ peppered hash of the mailbox key` registered
//! with the tip, or `0 ‖ 32 zero bytes` for none. Values from before it existed are 48
//! bytes (mailbox unknown; see `tips/insert.rs` for how a retry of one is answered).
//! The body hash is BLAKE3 when the value ends with a `1` (82 bytes); values of 81 or 48
//! bytes, from releases before it, hold BLAKE2b (a retry of one is hashed again with
//! BLAKE2b: `StorageError::LegacyBodyHash`). Idempotency keys expire after seven days, so
//! the old kind disappears by itself; the schema version did not change.
//!
//! Besides sled, the data directory holds the bundle log (`bundles/*.seg`, see
//! `bundles/`): the header ‖ body of each part of every format-2 tip.
//!
//! Tip record, fixed binary layout, big-endian:
//!
//! ```text
//! 0       u8    record format, 1, 2 or 3
//! 1..9    i64   received day (days since 1970-01-01, UTC): the only time stored
//! 9..13   u32   epoch the wraps are sealed to (updated with the wraps by a rewrap)
//! 13      u8    flags (opaque to storage)
//! 14..16  u16   number of parts n, 1..=33
//! format 1:  16..  n × u64  body length of each part
//! format 2:  16..  n × (u64 body length, u64 segment, u64 offset of its log record)
//! format 3:  16..  n × (u64 body length, u64 segment, u64 offset, 84-byte wrap section)
//! ```
//!
//! Each part's 68-byte header and its body are stored together: in format 1 (written
//! before schema 2, still read and deleted) cut into chunks in `blobs`; in formats 2 and
//! 3 as one record of the bundle log. Format 3 (written since schema 3) keeps each
//! part's wrap in the record itself, so a tip is one index entry: a rewrap rewrites the
//! record. Formats 1 and 2 keep the wraps apart in `wraps`; a rewrap of a format-2 tip
//! writes it as format 3 and removes its `wraps` entries.

use crate::domain::{Day, Epoch, TipId};

use super::bundles::{Location, SegmentNo};
use super::StorageError;

pub(super) const TREE_TIPS: &str = "tips_by_day";
/// Where schemas 1 to 3 kept tip records, keyed by the id itself. Emptied at open.
pub(super) const TREE_TIPS_BEFORE_4: &str = "tips";
pub(super) const TREE_BLOBS: &str = "blobs";
pub(super) const TREE_PENDING: &str = "pending";
pub(super) const TREE_WRAPS: &str = "wraps";
pub(super) const TREE_IDEMPOTENCY: &str = "idempotency";
pub(super) const TREE_KEYRING: &str = "keyring";
pub(super) const TREE_AUDIT: &str = "audit";
pub(super) const TREE_META: &str = "meta";

pub(super) const META_SCHEMA: &[u8] = b"schema";
pub(super) const META_PEPPER: &[u8] = b"pepper";
pub(super) const META_AUDIT_NEXT: &[u8] = b"audit_next";
/// The UTC day (i64 days since 1970, big-endian) of the last idempotency sweep.
pub(super) const META_IDEMPOTENCY_SWEPT: &[u8] = b"idempotency_swept";

/// Length of a part's immutable, authenticated header (envelope format v1).
pub const HEADER_LEN: usize = 68;
/// Length of a part's wrap section, the only replaceable bytes of a part.
pub const WRAP_LEN: usize = 84;
/// Most parts in one tip: the tip itself and up to 32 attachments.
pub const MAX_PARTS: usize = 33;
/// Bytes of header ‖ body per `blobs` value.
///
/// Half of [`super::MAX_VALUE_LEN`]: small enough that sled keeps every chunk inline in
/// its log (which `flush()` fsyncs), large enough that a 64 MiB body is only 2,048 keys.
pub const CHUNK_LEN: usize = 32 * 1024;

/// Parts' bytes in `blobs` chunks.
const FORMAT_BLOBS: u8 = 1;
/// Parts' bytes in the bundle log, wraps in `wraps`.
const FORMAT_LOG: u8 = 2;
/// Parts' bytes in the bundle log, wraps in the record.
const FORMAT_LOG_WRAPS: u8 = 3;
const RECORD_FIXED_LEN: usize = 16;

/// A tip's record in `tips`: everything about it except its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Record {
    pub received: Day,
    pub epoch: Epoch,
    pub flags: u8,
    /// Body length of each part, in order.
    pub bodies: Vec<u64>,
    /// Formats 2 and 3: where each part's log record starts, in order (as many as
    /// `bodies`). `None` for format 1: the bytes are in `blobs`.
    pub locations: Option<Vec<Location>>,
    /// Format 3: each part's wrap section, in order (as many as `bodies`). `None` for
    /// formats 1 and 2: the wraps are in `wraps`. Only a record with `locations` has
    /// them (format 1 has no place for them): [`Record::encode`] refuses otherwise.
    pub wraps: Option<Vec<[u8; WRAP_LEN]>>,
}

impl Record {
    /// The record's bytes. A record with `wraps` but no `locations`, or with fewer
    /// locations or wraps than parts, has no encoding: `Corrupt` (a bug of the caller).
    pub fn encode(&self) -> Result<Vec<u8>, StorageError> {
        let n = self.bodies.len();
        let (format, per_part) = match (&self.locations, &self.wraps) {
            (None, None) => (FORMAT_BLOBS, 8),
            (Some(l), None) if l.len() == n => (FORMAT_LOG, 24),
            (Some(l), Some(w)) if l.len() == n && w.len() == n => (FORMAT_LOG_WRAPS, 24 + WRAP_LEN),
            _ => {
                return Err(StorageError::Corrupt(
                    "a tip record without a place for its parts",
                ))
            }
        };
        let mut out = Vec::with_capacity(RECORD_FIXED_LEN + per_part * n);
        out.push(format);
        out.extend_from_slice(&self.received.days().to_be_bytes());
        out.extend_from_slice(&self.epoch.get().to_be_bytes());
        out.push(self.flags);
        // Parts are bounded by MAX_PARTS when a tip is inserted.
        out.extend_from_slice(&(self.bodies.len() as u16).to_be_bytes());
        for (i, len) in self.bodies.iter().enumerate() {
            out.extend_from_slice(&len.to_be_bytes());
            if let Some(at) = self.locations.as_ref().and_then(|l| l.get(i)) {
                out.extend_from_slice(&at.segment.get().to_be_bytes());
                out.extend_from_slice(&at.offset.to_be_bytes());
            }
            if let Some(wrap) = self.wraps.as_ref().and_then(|w| w.get(i)) {
                out.extend_from_slice(wrap);
            }
        }
        Ok(out)
    }

    pub fn decode(b: &[u8]) -> Result<Self, StorageError> {
        let bad = StorageError::Corrupt("tip record");
        if b.len() < RECORD_FIXED_LEN {
            return Err(bad);
        }
        let per_part = match b[0] {
            FORMAT_BLOBS => 8,
            FORMAT_LOG => 24,
            FORMAT_LOG_WRAPS => 24 + WRAP_LEN,
            _ => return Err(bad),
        };
        let received = Day::from_days(i64::from_be_bytes(array(&b[1..9])));
        let epoch = Epoch::new(u32::from_be_bytes(array(&b[9..13]))).map_err(|_| bad.clone())?;
        let flags = b[13];
        let n = usize::from(u16::from_be_bytes(array(&b[14..16])));
        let rest = &b[RECORD_FIXED_LEN..];
        if !(1..=MAX_PARTS).contains(&n) || rest.len() != per_part * n {
            return Err(bad);
        }
        let u64_at = |c: &[u8], i: usize| u64::from_be_bytes(array(&c[i..i + 8]));
        let bodies = rest.chunks_exact(per_part).map(|c| u64_at(c, 0)).collect();
        let locations = (per_part >= 24).then(|| {
            rest.chunks_exact(per_part)
                .map(|c| Location {
                    segment: SegmentNo::new(u64_at(c, 8)),
                    offset: u64_at(c, 16),
                })
                .collect()
        });
        let wraps = (per_part == 24 + WRAP_LEN).then(|| {
            rest.chunks_exact(per_part)
                .map(|c| array(&c[24..]))
                .collect()
        });
        Ok(Self {
            received,
            epoch,
            flags,
            bodies,
            locations,
            wraps,
        })
    }

    /// Formats 2 and 3: each part's log record as (part, its length — header ‖ body —, where it
    /// starts); nothing for format 1.
    pub fn log_records(&self) -> impl Iterator<Item = (u16, u64, Location)> + '_ {
        (0u16..)
            .zip(&self.bodies)
            .zip(self.locations.iter().flatten())
            .map(|((part, body), at)| (part, body.saturating_add(HEADER_LEN as u64), *at))
    }

    /// Total envelope bytes: every part's header, wrap and body.
    pub fn size(&self) -> u64 {
        let per_part = (HEADER_LEN + WRAP_LEN) as u64;
        self.bodies.iter().map(|b| b + per_part).sum()
    }
}

/// Copies a slice whose length the caller has already fixed into an array.
fn array<const N: usize>(b: &[u8]) -> [u8; N] {
    let mut out = [0; N];
    out.copy_from_slice(b);
    out
}

/// Whether entries of the tree `name` are tip records: `tips_by_day`, or `tips` in a
/// directory or backup from before schema 4. Snapshots and backups count tips by it.
pub fn is_tip_tree(name: &[u8]) -> bool {
    name == TREE_TIPS.as_bytes() || name == TREE_TIPS_BEFORE_4.as_bytes()
}

/// A tip's key in [`TREE_TIPS`]: its id with the last four bytes (the received day of
/// every id since schema 4) moved to the front. A bijection: [`tip_id_of_key`] undoes it.
pub(super) fn tip_key(id: TipId) -> [u8; 16] {
    id.listing_order()
}

/// The tip id whose [`tip_key`] is `k`.
pub(super) fn tip_id_of_key(k: &[u8]) -> Result<TipId, StorageError> {
    let mut b: [u8; 16] = k.try_into().map_err(|_| StorageError::Corrupt("tip key"))?;
    b.rotate_left(4);
    Ok(TipId::from_bytes(b))
}

/// `blobs` keys of one part start with this.
pub(super) fn part_prefix(id: TipId, part: u16) -> [u8; 18] {
    let mut k = [0; 18];
    k[..16].copy_from_slice(id.as_bytes());
    k[16..].copy_from_slice(&part.to_be_bytes());
    k
}

/// The `blobs` key of one chunk.
pub(super) fn blob_key(id: TipId, part: u16, chunk: u32) -> [u8; 22] {
    let mut k = [0; 22];
    k[..18].copy_from_slice(&part_prefix(id, part));
    k[18..].copy_from_slice(&chunk.to_be_bytes());
    k
}

/// Splits a `blobs` key into (tip id bytes, part, chunk).
pub(super) fn parse_blob_key(k: &[u8]) -> Result<([u8; 16], u16, u32), StorageError> {
    if k.len() != 22 {
        return Err(StorageError::Corrupt("blob key"));
    }
    Ok((
        array(&k[..16]),
        u16::from_be_bytes(array(&k[16..18])),
        u32::from_be_bytes(array(&k[18..])),
    ))
}

/// The `wraps` key of one part.
pub(super) fn wrap_key(id: TipId, part: u16) -> [u8; 18] {
    part_prefix(id, part)
}

/// The byte after the mailbox in an `idempotency` value whose body hash is BLAKE3.
const BODY_HASH_BLAKE3: u8 = 1;

/// Length of the `idempotency` value written now ([`idempotency_value`]).
pub(super) const IDEMPOTENCY_VALUE_LEN: usize = 86;

/// The `idempotency` value: tip id ‖ body hash ‖ mailbox (1 ‖ its peppered hash, or 0 ‖
/// 32 zero bytes for none) ‖ which hash (1: BLAKE3) ‖ the tip's received day (u32 days
/// since 1970, big-endian), so that forgetting old keys reads this tree alone
/// ([`Store::expire_idempotency`](super::Store::expire_idempotency)). Records written
/// before the day was kept (82 bytes), before the hash was named (81) or before the
/// mailbox was recorded (48; both BLAKE2b) read on.
pub(super) fn idempotency_value(
    id: TipId,
    body_hash: &[u8; 32],
    mailbox: Option<&[u8; 32]>,
    received: Day,
) -> [u8; IDEMPOTENCY_VALUE_LEN] {
    let mut v = [0; IDEMPOTENCY_VALUE_LEN];
    v[..16].copy_from_slice(id.as_bytes());
    v[16..48].copy_from_slice(body_hash);
    if let Some(m) = mailbox {
        v[48] = 1;
        v[49..81].copy_from_slice(m);
    }
    v[81] = BODY_HASH_BLAKE3;
    v[82..].copy_from_slice(&received.to_be_bytes());
    v
}

/// Which hash a stored idempotency record's body hash is.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum BodyHashKind {
    /// BLAKE2b (`crypto::hash32`): records of releases before BLAKE3, kept for
    /// `IDEMPOTENCY_DAYS` after the upgrade.
    Blake2b,
    /// BLAKE3 (`crypto::bulk_hash32`): every record written now.
    Blake3,
}

/// What the first try of a submission recorded about the mailbox it registered.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum RecordedMailbox {
    /// A record written before mailboxes were recorded (48 bytes): unknown.
    Unknown,
    /// The first try registered no mailbox.
    None,
    /// The peppered hash of the mailbox key the first try registered.
    Some([u8; 32]),
}

/// A stored idempotency record.
pub(super) struct IdempotencyRecord {
    pub id: TipId,
    pub body_hash: [u8; 32],
    pub hash: BodyHashKind,
    pub mailbox: RecordedMailbox,
    /// The tip's received day; `None` in records written before it was kept.
    pub received: Option<Day>,
}

pub(super) fn parse_idempotency_value(v: &[u8]) -> Result<IdempotencyRecord, StorageError> {
    let corrupt = StorageError::Corrupt("idempotency entry");
    let hash = match (v.len(), v.get(81)) {
        (48 | 81, _) => BodyHashKind::Blake2b,
        (82 | IDEMPOTENCY_VALUE_LEN, Some(&BODY_HASH_BLAKE3)) => BodyHashKind::Blake3,
        _ => return Err(corrupt),
    };
    let mailbox = match (v.len(), v.get(48)) {
        (48, _) => RecordedMailbox::Unknown,
        (_, Some(0)) if v[49..81].iter().all(|&b| b == 0) => RecordedMailbox::None,
        (_, Some(1)) => RecordedMailbox::Some(array(&v[49..81])),
        _ => return Err(corrupt),
    };
    let received = (v.len() == IDEMPOTENCY_VALUE_LEN)
        .then(|| Day::from_days(i64::from(u32::from_be_bytes(array(&v[82..])))));
    Ok(IdempotencyRecord {
        id: TipId::from_bytes(array(&v[..16])),
        body_hash: array(&v[16..48]),
        hash,
        mailbox,
        received,
    })
}

/// The chunks of `header ‖ body`, each at most [`CHUNK_LEN`] bytes, without building the
/// whole concatenation: how format 1 cut a part (tests write format-1 tips with it).
/// There is always at least one chunk (the header is not empty).
#[cfg(test)]
pub(super) fn chunks<'a>(header: &'a [u8], body: &'a [u8]) -> impl Iterator<Item = Vec<u8>> + 'a {
    let total = header.len() + body.len();
    (0..total.div_ceil(CHUNK_LEN)).map(move |i| {
        let (start, end) = (i * CHUNK_LEN, ((i + 1) * CHUNK_LEN).min(total));
        let mut chunk = Vec::with_capacity(end - start);
        if start < header.len() {
            chunk.extend_from_slice(&header[start..end.min(header.len())]);
        }
        let (body_start, body_end) = (start.max(header.len()), end);
        if body_start < body_end {
            chunk.extend_from_slice(&body[body_start - header.len()..body_end - header.len()]);
        }
        chunk
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn record() -> Record {
        Record {
            received: Day::from_days(20_000),
            epoch: Epoch::new(3).unwrap(),
            flags: 0b101,
            bodies: vec![0, 300_000, 12],
            locations: None,
            wraps: None,
        }
    }

    fn at(segment: u64, offset: u64) -> Location {
        Location {
            segment: SegmentNo::new(segment),
            offset,
        }
    }

    #[test]
    fn a_tip_key_leads_with_the_day_the_id_ends_with() {
        let day = 20_422u32.to_be_bytes();
        let mut id = [0xab; 16];
        id[12..].copy_from_slice(&day);
        let key = tip_key(TipId::from_bytes(id));
        assert_eq!(key[..4], day);
        assert_eq!(key[4..], [0xab; 12]);
        // Keys of one day sort together, whatever their random bytes.
        let mut later = [0x00; 16];
        later[12..].copy_from_slice(&20_423u32.to_be_bytes());
        assert!(tip_key(TipId::from_bytes(later)) > key);
        assert!(tip_id_of_key(&key[..15]).is_err(), "a key is 16 bytes");
    }

    proptest! {
        #[test]
        fn tip_keys_are_a_bijection(id in any::<[u8; 16]>()) {
            let id = TipId::from_bytes(id);
            prop_assert_eq!(tip_id_of_key(&tip_key(id)).unwrap(), id);
        }
    }

    #[test]
    fn a_format_3_record_round_trips_with_its_locations_and_wraps() {
        let r = Record {
            locations: Some(vec![at(0, 0), at(0, 300_102), at(7, 1 << 33)]),
            wraps: Some(vec![[1; WRAP_LEN], [2; WRAP_LEN], [3; WRAP_LEN]]),
            ..record()
        };
        let bytes = r.encode().unwrap();
        assert_eq!(bytes[0], 3);
        assert_eq!(bytes.len(), 16 + (24 + WRAP_LEN) * 3);
        assert_eq!(Record::decode(&bytes).unwrap(), r);
        for cut in 0..bytes.len() {
            assert!(Record::decode(&bytes[..cut]).is_err());
        }
        // A trailing byte is refused as well: the length is exact.
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(Record::decode(&longer).is_err());
    }

    #[test]
    fn a_record_without_a_place_for_its_parts_has_no_encoding() {
        let wraps_without_log = Record {
            wraps: Some(vec![[1; WRAP_LEN]; 3]),
            ..record()
        };
        assert!(wraps_without_log.encode().is_err());
        let too_few_wraps = Record {
            locations: Some(vec![at(0, 0); 3]),
            wraps: Some(vec![[1; WRAP_LEN]; 2]),
            ..record()
        };
        assert!(too_few_wraps.encode().is_err());
        let too_few_locations = Record {
            locations: Some(vec![at(0, 0); 2]),
            ..record()
        };
        assert!(too_few_locations.encode().is_err());
    }

    #[test]
    fn a_format_2_record_round_trips_with_its_locations() {
        let r = Record {
            locations: Some(vec![at(0, 0), at(0, 300_102), at(7, 1 << 33)]),
            ..record()
        };
        let bytes = r.encode().unwrap();
        assert_eq!(bytes[0], 2);
        assert_eq!(bytes.len(), 16 + 24 * 3);
        assert_eq!(Record::decode(&bytes).unwrap(), r);
        for cut in 0..bytes.len() {
            assert!(Record::decode(&bytes[..cut]).is_err());
        }
        // A format-1 record keeps its format and reads as before.
        assert_eq!(
            Record::decode(&record().encode().unwrap()).unwrap(),
            record()
        );
    }

    #[test]
    fn a_record_round_trips_and_holds_only_a_day() {
        let r = record();
        let bytes = r.encode().unwrap();
        assert_eq!(Record::decode(&bytes).unwrap(), r);
        // format, day, epoch, flags, count, one length per part: nothing else fits.
        assert_eq!(bytes.len(), 1 + 8 + 4 + 1 + 2 + 8 * 3);
        assert_eq!(r.size(), 300_012 + 3 * 152);
    }

    #[test]
    fn malformed_records_are_corrupt_not_panics() {
        let bytes = record().encode().unwrap();
        for cut in 0..bytes.len() {
            assert!(Record::decode(&bytes[..cut]).is_err());
        }
        let mut zero_epoch = bytes.clone();
        zero_epoch[9..13].copy_from_slice(&[0; 4]);
        assert!(Record::decode(&zero_epoch).is_err());
        let mut other_format = bytes;
        other_format[0] = 4;
        assert!(Record::decode(&other_format).is_err());
    }

    proptest! {
        #[test]
        fn an_idempotency_value_reads_back_what_was_written(
            id in any::<[u8; 16]>(),
            hash in any::<[u8; 32]>(),
            mailbox in proptest::option::of(any::<[u8; 32]>()),
            day in 0i64..=i64::from(u32::MAX),
        ) {
            let v = idempotency_value(TipId::from_bytes(id), &hash, mailbox.as_ref(), Day::from_days(day));
            let r = parse_idempotency_value(&v).unwrap();
            prop_assert_eq!(r.id, TipId::from_bytes(id));
            prop_assert_eq!(r.body_hash, hash);
            prop_assert_eq!(r.hash, BodyHashKind::Blake3);
            let same_mailbox = match (r.mailbox, mailbox) {
                (RecordedMailbox::Some(a), Some(b)) => a == b,
                (RecordedMailbox::None, None) => true,
                _ => false,
            };
            prop_assert!(same_mailbox);
            prop_assert_eq!(r.received, Some(Day::from_days(day)));
            // The record of the release before the day was kept: the same, without it.
            let before = parse_idempotency_value(&v[..82]).unwrap();
            prop_assert_eq!(before.id, r.id);
            prop_assert_eq!(before.hash, BodyHashKind::Blake3);
            prop_assert_eq!(before.received, None);
        }

        #[test]
        fn any_bytes_parse_as_an_idempotency_value_or_are_refused(v in proptest::collection::vec(any::<u8>(), 0..100)) {
            // Never a panic; only the known lengths are accepted.
            if parse_idempotency_value(&v).is_ok() {
                prop_assert!([48, 81, 82, IDEMPOTENCY_VALUE_LEN].contains(&v.len()));
            }
        }
    }

    proptest! {
        #[test]
        fn chunks_reassemble_to_header_and_body(header_len in 1usize..100, body_len in 0usize..200_000) {
            let header: Vec<u8> = (0..header_len).map(|i| i as u8).collect();
            let body: Vec<u8> = (0..body_len).map(|i| (i * 7) as u8).collect();
            let parts: Vec<Vec<u8>> = chunks(&header, &body).collect();
            prop_assert!(parts.iter().all(|c| !c.is_empty() && c.len() <= CHUNK_LEN));
            prop_assert!(parts[..parts.len() - 1].iter().all(|c| c.len() == CHUNK_LEN));
            let joined = parts.concat();
            prop_assert_eq!(&joined[..header_len], &header[..]);
            prop_assert_eq!(&joined[header_len..], &body[..]);
        }
    }
}
