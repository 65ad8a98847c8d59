//! Inserting a tip whose attachments came through the uploads API: each claimed upload is
//! streamed into one bundle-log record of the tip, piece by piece as it is read, never
//! assembled in memory.
//!
//! An upload holds its envelope as sent (header ‖ wrap ‖ body); a tip's log record holds
//! header ‖ body (the wrap lives in `wraps`), so the copy leaves the wrap out. The insert
//! is the staged one of `insert.rs` — `pending` mark and inline parts' records
//! ([`Store::stage`]), the uploads' records, then one transaction for record, wraps and
//! key ([`Store::commit_staged`]) — so a tip is whole or absent whatever fails or
//! crashes during the copy.
//!
//! Must never: hold more than one piece of an upload's bytes at once; write a record of
//! an upload whose bytes differ from what the caller checked.

use crate::domain::{TipId, UploadId};

use super::super::bundles::Location;
use super::super::uploads::UploadClaim;
use super::super::{StorageError, Store, HEADER_LEN, MAX_PARTS, WRAP_LEN};
use super::insert::{check_shape, record_of};
use super::{InsertOutcome, NewTip};

/// A claimed upload to append to a tip as its next part, already checked by the caller
/// as an envelope from its first bytes and declared length (`domain::envelope::parse_prefix`).
pub struct UploadedPart {
    /// The claimed upload.
    pub upload: UploadId,
    /// Its whole envelope length.
    pub length: u64,
    /// Its [`HEADER_LEN`]-byte header, as checked.
    pub header: [u8; HEADER_LEN],
    /// Its [`WRAP_LEN`]-byte wrap section, as checked.
    pub wrap: [u8; WRAP_LEN],
}

impl UploadedPart {
    fn body_len(&self) -> Result<u64, StorageError> {
        self.length
            .checked_sub((HEADER_LEN + WRAP_LEN) as u64)
            .ok_or(StorageError::Invalid(
                "an uploaded part is shorter than a header and wrap section",
            ))
    }
}

impl Store {
    /// Stores a tip of `new`'s parts followed by the `uploaded` ones, whole or not at
    /// all, like [`Store::insert_tip`] (which it is when `uploaded` is empty). Every
    /// upload must be held by `claim`. An upload whose chunks do not add up to its length,
    /// or whose first bytes are not the header and wrap the caller checked, is refused
    /// and nothing of the tip stays written. Does not flush and does not remove the
    /// uploads: await [`Store::durable`], and consume the claim once the tip is `Created`.
    pub fn insert_tip_with_uploads(
        &self,
        new: NewTip<'_>,
        claim: &UploadClaim<'_>,
        uploaded: &[UploadedPart],
    ) -> Result<InsertOutcome, StorageError> {
        if uploaded.is_empty() {
            return self.insert_tip(new);
        }
        let _gate = self.write_gate();
        check_shape(&new)?;
        if new.parts.len() + uploaded.len() > MAX_PARTS {
            return Err(StorageError::Invalid("a tip has 1 to 33 parts"));
        }
        let mut bodies = Vec::with_capacity(uploaded.len());
        for up in uploaded {
            if !claim.holds(up.upload) {
                return Err(StorageError::Invalid("an uploaded part is not claimed"));
            }
            bodies.push(up.body_len()?);
        }
        // As in `insert_tip`: answer a retry before copying anything, refuse an id in use.
        if let Some(outcome) = self.before_staging(&new)? {
            return Ok(outcome);
        }
        let mut locations = self.stage(&new)?;
        match self.copy_uploads(&new, uploaded) {
            Ok(more) => locations.extend(more),
            Err(e) => {
                self.unstage(new.id)?;
                return Err(e);
            }
        }
        let uploaded_wraps: Vec<[u8; WRAP_LEN]> = uploaded.iter().map(|up| up.wrap).collect();
        let record = match record_of(&new, &bodies, &uploaded_wraps, &locations) {
            Ok(record) => record,
            Err(e) => {
                self.unstage(new.id)?;
                return Err(e);
            }
        };
        self.commit_staged(&new, &record)
    }

    /// The log record of each upload, after the inline parts' ([`Store::stage`]).
    fn copy_uploads(
        &self,
        new: &NewTip<'_>,
        uploaded: &[UploadedPart],
    ) -> Result<Vec<Location>, StorageError> {
        (new.parts.len()..)
            .zip(uploaded)
            .map(|(part, up)| self.copy_upload(up, new.id, part as u16))
            .collect()
    }

    /// Streams one upload (header ‖ wrap ‖ body) into the log record of part `part`
    /// (header ‖ body), checking on the way that its header and wrap are the ones the
    /// caller checked, that no chunk is missing, and that it ends at its length.
    fn copy_upload(
        &self,
        up: &UploadedPart,
        tip: TipId,
        part: u16,
    ) -> Result<Location, StorageError> {
        const PREFIX: u64 = (HEADER_LEN + WRAP_LEN) as u64;
        let changed = StorageError::Invalid("an upload is not the envelope that was checked");
        let record_len = up.body_len()? + HEADER_LEN as u64;
        let mut out = self.inner.log.begin(tip, part, record_len)?;
        let mut pos = 0u64;
        for (expected, item) in (0u32..).zip(self.upload_chunks(up.upload)) {
            let (n, value) = item?;
            if n != expected {
                return Err(StorageError::Corrupt("an upload chunk is missing"));
            }
            if pos.saturating_add(value.len() as u64) > up.length {
                return Err(StorageError::Corrupt("an upload's chunks do not add up"));
            }
            let mut rest: &[u8] = &value;
            while !rest.is_empty() {
                let take = if pos < HEADER_LEN as u64 {
                    let at = pos as usize;
                    let take = rest.len().min(HEADER_LEN - at);
                    if rest[..take] != up.header[at..at + take] {
                        return Err(changed);
                    }
                    out.write(&rest[..take])?;
                    take
                } else if pos < PREFIX {
                    // The wrap: checked, and kept in `wraps` rather than in the chunks.
                    let at = pos as usize - HEADER_LEN;
                    let take = rest.len().min(WRAP_LEN - at);
                    if rest[..take] != up.wrap[at..at + take] {
                        return Err(changed);
                    }
                    take
                } else {
                    out.write(rest)?;
                    rest.len()
                };
                pos += take as u64;
                rest = &rest[take..];
            }
        }
        if pos != up.length {
            return Err(StorageError::Corrupt("an upload's chunks do not add up"));
        }
        out.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::super::super::testutil::temp_store;
    use super::super::{Idempotency, NewPart};
    use super::*;
    use crate::domain::{Day, Epoch};
    use crate::storage::layout::tip_key;
    use crate::storage::CHUNK_LEN;

    const DAY: Day = Day::from_days(20_000);
    const PREFIX: usize = HEADER_LEN + WRAP_LEN;
    /// A few MiB, not a multiple of any chunk length.
    const BIG: usize = 3 * 1024 * 1024 + 12_345;

    fn upload_id(n: u8) -> UploadId {
        UploadId::from_bytes([n; 16])
    }

    /// Stores a complete upload of `len` bytes in uneven pieces; its bytes.
    fn complete_upload(store: &Store, id: UploadId, len: usize) -> Vec<u8> {
        let data: Vec<u8> = (0..len).map(|i| (i * 131 + i / 7) as u8).collect();
        store.create_upload(id, len as u64, DAY, u64::MAX).unwrap();
        let mut offset = 0;
        for piece in data.chunks(1_000_003) {
            offset = store.append_upload(id, offset, piece).unwrap();
            store.durable_blocking().unwrap();
        }
        data
    }

    fn part_of(id: UploadId, data: &[u8]) -> UploadedPart {
        UploadedPart {
            upload: id,
            length: data.len() as u64,
            header: data[..HEADER_LEN].try_into().unwrap(),
            wrap: data[HEADER_LEN..PREFIX].try_into().unwrap(),
        }
    }

    fn tip<'a>(id: TipId, header: &'a [u8], wrap: &'a [u8], body: &'a [u8]) -> NewTip<'a> {
        NewTip {
            id,
            received: DAY,
            epoch: Epoch::FIRST,
            flags: 0,
            parts: vec![NewPart { header, wrap, body }],
            idempotency: Some(Idempotency {
                key_hash: [4; 32],
                body_hash: [5; 32],
                legacy_body_hash: None,
                mailbox: None,
            }),
        }
    }

    /// Nothing of tip `id` anywhere: no record, wrap, chunk, pending mark or key.
    fn nothing_of(store: &Store, id: TipId) -> bool {
        let inner = &store.inner;
        !inner.tips.contains_key(tip_key(id)).unwrap()
            && inner.wraps.scan_prefix(id.as_bytes()).next().is_none()
            && inner.blobs.scan_prefix(id.as_bytes()).next().is_none()
            && inner.pending.is_empty()
            && inner.idempotency.is_empty()
    }

    #[test]
    fn a_tip_naming_a_large_upload_reads_back_byte_identical_and_the_upload_is_used_up() {
        let (_dir, store) = temp_store();
        let (a, b) = (upload_id(1), upload_id(2));
        let first = complete_upload(&store, a, BIG);
        let second = complete_upload(&store, b, PREFIX + 1);
        let id = TipId::from_bytes([9; 16]);
        let (h, w, body) = ([1u8; HEADER_LEN], [2u8; WRAP_LEN], vec![3u8; 5000]);
        let claim = store.take_completed(&[a, b]).unwrap();
        let parts = [part_of(a, &first), part_of(b, &second)];
        let outcome = store
            .insert_tip_with_uploads(tip(id, &h, &w, &body), &claim, &parts)
            .unwrap();
        assert_eq!(outcome, InsertOutcome::Created(id));
        claim.consume().unwrap();

        let stored = store.load_tip(id).unwrap().unwrap();
        assert_eq!(stored.summary.parts, 3);
        assert_eq!(stored.parts[0].body, body);
        for (part, data) in stored.parts[1..].iter().zip([&first, &second]) {
            assert_eq!(part.header, data[..HEADER_LEN]);
            assert_eq!(part.wrap[..], data[HEADER_LEN..PREFIX]);
            assert!(part.body == data[PREFIX..], "the body is byte-identical");
        }
        // Stored as one log record per part, nothing in `blobs`.
        assert!(store
            .inner
            .blobs
            .scan_prefix(id.as_bytes())
            .next()
            .is_none());
        assert!(store.upload_status(a).unwrap().is_none());
        assert!(store.upload_status(b).unwrap().is_none());
        store.durable_blocking().unwrap();
        store.durable_blocking().unwrap();
        assert!(store.inner.pending.is_empty(), "the mark goes once durable");
    }

    #[test]
    fn an_upload_whose_file_lost_bytes_is_refused_and_nothing_of_the_tip_stays() {
        let (dir, store) = temp_store();
        let a = upload_id(3);
        let data = complete_upload(&store, a, BIG);
        let id = TipId::from_bytes([8; 16]);
        let (h, w, body) = ([1u8; HEADER_LEN], [2u8; WRAP_LEN], vec![3u8; 100]);
        let claim = store.take_completed(&[a]).unwrap();
        // The upload's file loses its tail after the claim (a damaged disk): found only
        // during the copy.
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open(dir.path().join("uploads").join(a.to_string()))
            .unwrap();
        file.set_len(40 * CHUNK_LEN as u64).unwrap();
        let refused =
            store.insert_tip_with_uploads(tip(id, &h, &w, &body), &claim, &[part_of(a, &data)]);
        assert!(
            matches!(refused, Err(StorageError::Corrupt(_))),
            "{refused:?}"
        );
        assert!(nothing_of(&store, id));
        drop(claim);
        assert!(
            store.upload_status(a).unwrap().is_some(),
            "the upload is given back"
        );
    }

    #[test]
    fn an_upload_that_is_not_the_envelope_that_was_checked_is_refused_and_nothing_stays() {
        let (_dir, store) = temp_store();
        let a = upload_id(4);
        let data = complete_upload(&store, a, BIG);
        let id = TipId::from_bytes([7; 16]);
        let (h, w, body) = ([1u8; HEADER_LEN], [2u8; WRAP_LEN], vec![3u8; 100]);
        let claim = store.take_completed(&[a]).unwrap();
        // A header, a wrap, or a length other than the upload's.
        let mut other_header = part_of(a, &data);
        other_header.header[5] ^= 1;
        let mut other_wrap = part_of(a, &data);
        other_wrap.wrap[83] ^= 1;
        let mut shorter = part_of(a, &data);
        shorter.length -= 1;
        let mut longer = part_of(a, &data);
        longer.length += 1;
        for bad in [other_header, other_wrap, shorter, longer] {
            let refused = store.insert_tip_with_uploads(tip(id, &h, &w, &body), &claim, &[bad]);
            assert!(refused.is_err());
            assert!(nothing_of(&store, id));
        }
        // An upload the caller did not claim is refused before anything is written.
        let b = upload_id(5);
        let other = complete_upload(&store, b, PREFIX + 10);
        let unclaimed =
            store.insert_tip_with_uploads(tip(id, &h, &w, &body), &claim, &[part_of(b, &other)]);
        assert!(matches!(unclaimed, Err(StorageError::Invalid(_))));
        assert!(nothing_of(&store, id));
        // The claimed upload is untouched and still goes in whole.
        let ok =
            store.insert_tip_with_uploads(tip(id, &h, &w, &body), &claim, &[part_of(a, &data)]);
        assert_eq!(ok.unwrap(), InsertOutcome::Created(id));
        assert!(store.load_tip(id).unwrap().unwrap().parts[1].body == data[PREFIX..]);
    }
}
