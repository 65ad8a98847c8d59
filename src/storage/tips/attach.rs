//! Inserting a tip whose attachments came through the uploads API: each claimed upload
//! becomes one bundle-log record of the tip, never assembled in memory.
//!
//! A tip's log record holds header ‖ body (the wrap lives in the tip's index record,
//! `record_of`). An upload created since session 26 is already laid out that way in its
//! file, with room for the frame (`upload_files::Layout::Record`; its wrap is in its
//! record): after its header and wrap are checked, the file itself is adopted by the log
//! as a segment (`bundles::BundleLog::adopt`): its bytes are read once for the frame's
//! checksum and neither copied nor synced again. An older upload, or one too small to be
//! worth adopting, is streamed into a new record, piece by piece, leaving the wrap out.
//! The insert is the staged one of `insert.rs` — `pending` mark and inline parts'
//! records ([`Store::stage`]), the uploads' records, then one transaction for the record
//! (wraps inside) and the key ([`Store::commit_staged`]) — so a tip is whole or absent
//! whatever fails or crashes during the copy.
//!
//! Must never: hold more than one piece of an upload's bytes at once; write a record of
//! an upload whose bytes differ from what the caller checked.

use crate::domain::{TipId, UploadId};

use super::super::bundles::{Location, ADOPT_MIN};
use super::super::upload_files::Layout;
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
            .map(|(part, up)| {
                let (meta, path) = self.claimed_upload(up.upload)?;
                let adopted = match meta.layout {
                    Layout::Record => self.adopt_upload(up, &meta, &path, new.id, part as u16)?,
                    Layout::Plain => None,
                };
                match adopted {
                    Some(at) => Ok(at),
                    None => self.copy_upload(up, new.id, part as u16),
                }
            })
            .collect()
    }

    /// Takes a [`Layout::Record`] upload's file into the log as part `part`'s record,
    /// after checking that it is complete and holds the header, wrap and length the
    /// caller checked; `None` if the log cannot take it (`BundleLog::adopt`: it is copied).
    fn adopt_upload(
        &self,
        up: &UploadedPart,
        meta: &super::super::uploads::Meta,
        path: &std::path::Path,
        tip: TipId,
        part: u16,
    ) -> Result<Option<Location>, StorageError> {
        let changed = StorageError::Invalid("an upload is not the envelope that was checked");
        if meta.length != up.length || meta.received != meta.length || meta.wrap != up.wrap {
            return Err(changed);
        }
        let record_len = up.body_len()? + HEADER_LEN as u64;
        // A record the log would copy anyway is not read here first: the copy checks it.
        if record_len < ADOPT_MIN {
            return Ok(None);
        }
        if self.claimed_header(up.upload, meta)? != up.header {
            return Err(changed);
        }
        self.inner.log.adopt(path, tip, part, record_len)
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
                    // The wrap: checked, and kept in the index record rather than in the log.
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
    use super::super::super::bundles::{ADOPT_MIN, FRAME_LEN};
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
    /// Large enough to be adopted rather than copied (`bundles::ADOPT_MIN`).
    const HUGE: usize = ADOPT_MIN as usize + PREFIX + 12_345;

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

    /// `tip` under idempotency key `key`.
    fn tip_keyed<'a>(
        id: TipId,
        key: u8,
        header: &'a [u8],
        wrap: &'a [u8],
        body: &'a [u8],
    ) -> NewTip<'a> {
        let mut new = tip(id, header, wrap, body);
        if let Some(idem) = new.idempotency.as_mut() {
            idem.key_hash = [key; 32];
        }
        new
    }

    /// Inserts tip `id` (idempotency key `key`, one 100-byte text part) followed by
    /// `parts`, all held by `claim`.
    fn submit(
        store: &Store,
        claim: &UploadClaim<'_>,
        id: TipId,
        key: u8,
        parts: &[UploadedPart],
    ) -> Result<InsertOutcome, StorageError> {
        let (h, w, body) = ([1u8; HEADER_LEN], [2u8; WRAP_LEN], [3u8; 100]);
        store.insert_tip_with_uploads(tip_keyed(id, key, &h, &w, &body), claim, parts)
    }

    /// The segment file holding the record at `at`.
    fn segment_file(dir: &std::path::Path, at: Location) -> std::path::PathBuf {
        dir.join(super::super::super::bundles::BUNDLES_DIR)
            .join(at.segment.file_name())
    }

    fn locations(store: &Store, id: TipId) -> Vec<Location> {
        let raw = store.raw_tip(id).unwrap();
        crate::storage::layout::Record::decode(&raw)
            .unwrap()
            .locations
            .unwrap()
    }

    fn assert_reads_back(store: &Store, id: TipId, data: &[u8]) {
        let stored = store.load_tip(id).unwrap().expect("the tip is stored");
        let part = stored.parts.last().unwrap();
        assert_eq!(part.header, data[..HEADER_LEN]);
        assert_eq!(part.wrap[..], data[HEADER_LEN..PREFIX]);
        assert!(part.body == data[PREFIX..], "the body is byte-identical");
    }

    #[test]
    fn an_upload_becomes_a_segment_of_its_own_without_a_copy_and_reads_back_after_a_restart() {
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), super::super::super::testutil::PEPPER).unwrap();
        let a = upload_id(11);
        let data = complete_upload(&store, a, HUGE);
        let upload_file = dir.path().join("uploads").join(a.to_string());
        let inode = std::fs::metadata(&upload_file).unwrap().ino();
        let log_before = store.inner.log.bytes().unwrap();
        let id = TipId::from_bytes([11; 16]);
        let claim = store.take_completed(&[a]).unwrap();
        let outcome = submit(&store, &claim, id, 4, &[part_of(a, &data)]).unwrap();
        assert_eq!(outcome, InsertOutcome::Created(id));
        claim.consume().unwrap();
        store.durable_blocking().unwrap();

        let at = locations(&store, id)[1];
        assert_eq!(at.offset, 0, "the record starts its own segment");
        let segment = std::fs::metadata(segment_file(dir.path(), at)).unwrap();
        assert_eq!(segment.ino(), inode, "the upload's own file, not a copy");
        assert_eq!(segment.nlink(), 1, "the upload's name is gone");
        assert_eq!(
            segment.len(),
            (FRAME_LEN + HUGE - WRAP_LEN) as u64,
            "frame, header and body: the wrap lives in the index"
        );
        let written = store.inner.log.bytes().unwrap() - log_before;
        assert!(
            written < segment.len() + 64 * 1024,
            "the body was not written into the log a second time ({written} bytes)"
        );
        assert!(!upload_file.exists());
        assert_reads_back(&store, id, &data);

        drop(store);
        let store = Store::open(dir.path(), super::super::super::testutil::PEPPER).unwrap();
        assert_reads_back(&store, id, &data);
        let streamed: Vec<u8> = store
            .tip_pieces(id)
            .unwrap()
            .unwrap()
            .map(|p| p.unwrap())
            .collect::<Vec<_>>()
            .concat();
        assert!(streamed.ends_with(&data[PREFIX..]), "a stream reads it too");
    }

    #[test]
    fn an_upload_from_an_older_release_is_copied_into_the_log() {
        let (dir, store) = temp_store();
        let a = upload_id(12);
        let data: Vec<u8> = (0..HUGE).map(|i| (i * 7 + i / 13) as u8).collect();
        store.create_plain_upload(a, HUGE as u64, DAY).unwrap();
        let mut offset = 0;
        for piece in data.chunks(777_777) {
            offset = store.append_upload(a, offset, piece).unwrap();
            store.durable_blocking().unwrap();
        }
        let raw = std::fs::read(dir.path().join("uploads").join(a.to_string())).unwrap();
        assert!(raw == data, "the file holds the envelope as received");
        let id = TipId::from_bytes([12; 16]);
        let claim = store.take_completed(&[a]).unwrap();
        let outcome = submit(&store, &claim, id, 4, &[part_of(a, &data)]).unwrap();
        assert_eq!(outcome, InsertOutcome::Created(id));
        claim.consume().unwrap();
        assert_ne!(
            locations(&store, id)[1].offset,
            0,
            "copied behind the text part"
        );
        assert_reads_back(&store, id, &data);
    }

    /// The attack on adoption: an upload already in a stored tip is claimed again (the
    /// server stopped between storing the tip and removing the upload). Adopting it a
    /// second time would rewrite the first tip's frame; it must be copied instead.
    #[test]
    fn a_second_claim_of_an_upload_already_in_a_stored_tip_copies_it_and_leaves_the_first_whole() {
        let (_dir, store) = temp_store();
        let a = upload_id(13);
        let data = complete_upload(&store, a, HUGE);
        let first = TipId::from_bytes([13; 16]);
        let claim = store.take_completed(&[a]).unwrap();
        submit(&store, &claim, first, 1, &[part_of(a, &data)]).unwrap();
        drop(claim); // never consumed: the upload stays
        let second = TipId::from_bytes([14; 16]);
        let claim = store.take_completed(&[a]).unwrap();
        let outcome = submit(&store, &claim, second, 2, &[part_of(a, &data)]).unwrap();
        assert_eq!(outcome, InsertOutcome::Created(second));
        claim.consume().unwrap();
        assert_ne!(
            locations(&store, second)[1].offset,
            0,
            "the second was copied"
        );
        assert_reads_back(&store, first, &data);
        assert_reads_back(&store, second, &data);
    }

    /// A tip not stored after one of its uploads was adopted leaves a segment nothing
    /// points at: a retry still goes in whole (copied, as the file is still a segment),
    /// and compaction gives the orphan back; after that the upload is adopted again.
    #[test]
    fn an_adopted_upload_of_a_refused_tip_stays_usable_and_its_orphan_segment_is_compacted() {
        use std::os::unix::fs::MetadataExt;
        let (dir, store) = temp_store();
        let (a, b) = (upload_id(15), upload_id(16));
        let data = complete_upload(&store, a, HUGE);
        let other = complete_upload(&store, b, PREFIX + 10);
        let upload_file = dir.path().join("uploads").join(a.to_string());
        let id = TipId::from_bytes([15; 16]);
        let claim = store.take_completed(&[a, b]).unwrap();
        let mut bad = part_of(b, &other);
        bad.header[0] ^= 1;
        let refused = submit(&store, &claim, id, 4, &[part_of(a, &data), bad]);
        assert!(refused.is_err());
        assert!(nothing_of(&store, id));
        assert_eq!(
            std::fs::metadata(&upload_file).unwrap().nlink(),
            2,
            "a was adopted before b was refused"
        );
        // A retry while the orphan segment is still there.
        let copied = submit(&store, &claim, id, 4, &[part_of(a, &data)]).unwrap();
        assert_eq!(copied, InsertOutcome::Created(id));
        assert_reads_back(&store, id, &data);
        assert!(store.delete_tip(id).unwrap());
        store.durable_blocking().unwrap();

        let report = store.compact_bundle_log().unwrap();
        assert!(report.segments_removed >= 1, "{report:?}");
        assert_eq!(std::fs::metadata(&upload_file).unwrap().nlink(), 1);
        // Adopted again now that it is nobody's segment.
        let again = TipId::from_bytes([16; 16]);
        let outcome = submit(&store, &claim, again, 3, &[part_of(a, &data)]).unwrap();
        assert_eq!(outcome, InsertOutcome::Created(again));
        claim.consume().unwrap();
        assert_eq!(locations(&store, again)[1].offset, 0, "adopted");
        assert_reads_back(&store, again, &data);
    }

    /// The attack on compaction: an insert under way has written a record into a segment
    /// that is sealed before the insert commits (here: another tip's upload was adopted
    /// meanwhile, which rolls the head). Counted as dead, that segment would be unlinked
    /// and the committed tip would point at nothing. Compaction must wait for the insert.
    #[test]
    fn compaction_waits_for_an_insert_under_way_in_a_segment_sealed_meanwhile() {
        let (_dir, store) = temp_store();
        let store = std::sync::Arc::new(store);
        let (h, w, body) = ([1u8; HEADER_LEN], [2u8; WRAP_LEN], vec![3u8; 300_000]);
        let slow = TipId::from_bytes([17; 16]);
        let new = tip_keyed(slow, 4, &h, &w, &body);
        let staged = store.stage(&new).unwrap();
        let head_of_slow = staged[0].segment;

        let a = upload_id(17);
        let data = complete_upload(&store, a, HUGE);
        let other = TipId::from_bytes([18; 16]);
        let claim = store.take_completed(&[a]).unwrap();
        // Its text part is small: the sealed segment is then mostly the slow insert's
        // record, which compaction would count as dead.
        let short = [3u8; 100];
        store
            .insert_tip_with_uploads(
                tip_keyed(other, 5, &h, &w, &short),
                &claim,
                &[part_of(a, &data)],
            )
            .unwrap();
        claim.consume().unwrap();
        store.durable_blocking().unwrap();
        assert!(
            store.inner.log.head() > head_of_slow,
            "the slow insert's segment is sealed"
        );

        let compacting = {
            let store = store.clone();
            std::thread::spawn(move || store.compact_bundle_log().unwrap())
        };
        std::thread::sleep(std::time::Duration::from_millis(300));
        assert!(!compacting.is_finished(), "compaction waits for the insert");
        let record = record_of(&new, &[], &[], &staged).unwrap();
        assert_eq!(
            store.commit_staged(&new, &record).unwrap(),
            InsertOutcome::Created(slow)
        );
        store.durable_blocking().unwrap();
        compacting.join().unwrap();
        // Whatever compaction did, both tips read back whole; and once more after a
        // compaction that saw the slow tip's record.
        for _ in 0..2 {
            assert_eq!(store.load_tip(slow).unwrap().unwrap().parts[0].body, body);
            assert_reads_back(&store, other, &data);
            store.compact_bundle_log().unwrap();
        }
    }

    /// The attack on adoption's timing: a seized disk must not date each attachment tip
    /// by its segment's ctime (which no call can set back). After a later adoption the
    /// earlier segment, and the head it sealed, show the later one's time.
    #[test]
    fn an_adopted_segment_does_not_keep_the_second_its_tip_arrived() {
        use std::os::unix::fs::MetadataExt;
        let (dir, store) = temp_store();
        // In milliseconds: the kernel's clock for ctimes is coarse (a tick).
        let ctime = |at: Location| {
            let m = std::fs::metadata(segment_file(dir.path(), at)).unwrap();
            m.ctime() * 1_000 + m.ctime_nsec() / 1_000_000
        };
        let mut adopted = Vec::new();
        let mut at_first = (0, 0);
        for n in 0..2u8 {
            let a = upload_id(20 + n);
            let data = complete_upload(&store, a, HUGE);
            let id = TipId::from_bytes([20 + n; 16]);
            let claim = store.take_completed(&[a]).unwrap();
            submit(&store, &claim, id, 20 + n, &[part_of(a, &data)]).unwrap();
            claim.consume().unwrap();
            store.durable_blocking().unwrap();
            let parts = locations(&store, id);
            assert_eq!(parts[1].offset, 0, "adopted");
            if n == 0 {
                at_first = (ctime(parts[0]), ctime(parts[1]));
                std::thread::sleep(std::time::Duration::from_millis(1_100));
            }
            adopted.push(parts);
        }
        let first = &adopted[0];
        // The second adoption came 1.1 s after the first; allow a tick of slack.
        assert!(
            ctime(first[1]) >= at_first.1 + 1_000,
            "the first attachment's segment shows the second adoption's time"
        );
        assert!(
            ctime(first[0]) >= at_first.0 + 1_000,
            "so does the head the first adoption sealed (its last text tip's time)"
        );
    }
}
