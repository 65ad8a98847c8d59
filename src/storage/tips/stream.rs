//! Reading a stored tip out as a bundle, piece by piece, so that a reviewer's fetch never
//! assembles the whole tip in memory: the bundle prefix, then for each part its length
//! field, header, current wrap and body, in chunks of at most [`CHUNK_LEN`] bytes, read
//! from the bundle log (format 2) or from `blobs` (format 1).

use crate::domain::bundle::{MAGIC, VERSION};
use crate::domain::TipId;

use super::super::bundles::{Pinned, RecordReader};
use super::super::layout::{self, Record};
use super::super::{StorageError, Store, CHUNK_LEN, HEADER_LEN, WRAP_LEN};

/// A stored tip as a stream of bundle pieces. Every chunk is checked against the record
/// as it is read (in order, full but the last, exact total; a log record's frame before
/// its first piece and its checksum with its last); a mismatch is an error item, after
/// which the iterator ends.
pub struct TipPieces {
    blobs: sled::Tree,
    /// Each part's log record, its segment pinned when the record was read (format 2;
    /// empty for format 1): compaction may unlink the file while the stream runs.
    pinned: Vec<Pinned>,
    /// The log record of the part being read (format 2).
    reader: Option<RecordReader>,
    id: TipId,
    record: Record,
    wraps: Vec<[u8; WRAP_LEN]>,
    started: bool,
    /// The part being read and how far.
    part: usize,
    next_chunk: u32,
    read: usize,
    failed: bool,
}

impl TipPieces {
    /// Length of the whole bundle this yields.
    pub fn total_len(&self) -> u64 {
        let framing = 4 * self.record.bodies.len() as u64;
        crate::domain::bundle::PREFIX_LEN as u64 + framing + self.record.size()
    }

    fn part_total(&self) -> Option<usize> {
        let body = *self.record.bodies.get(self.part)?;
        usize::try_from(body).ok()?.checked_add(HEADER_LEN)
    }

    fn next_piece(&mut self) -> Result<Option<Vec<u8>>, StorageError> {
        if !self.started {
            self.started = true;
            let mut out = Vec::with_capacity(6);
            out.extend_from_slice(&MAGIC);
            out.push(VERSION);
            // Decoding bounds the count by MAX_PARTS (33).
            out.push(self.record.bodies.len() as u8);
            return Ok(Some(out));
        }
        let bad = StorageError::Corrupt("blob chunks");
        let Some(total) = self.part_total() else {
            return Ok(None);
        };
        let part = u16::try_from(self.part).map_err(|_| bad.clone())?;
        let value = self.fetch(part, total)?;
        if self.read + value.len() > total || value.is_empty() {
            return Err(bad);
        }
        let first = self.read == 0;
        self.read += value.len();
        self.next_chunk += 1;
        let piece = if first {
            // length field ‖ header ‖ wrap ‖ the start of the body.
            if value.len() < HEADER_LEN {
                return Err(bad);
            }
            let envelope_len = u32::try_from(total + WRAP_LEN).map_err(|_| bad.clone())?;
            let mut out = Vec::with_capacity(4 + WRAP_LEN + value.len());
            out.extend_from_slice(&envelope_len.to_be_bytes());
            out.extend_from_slice(&value[..HEADER_LEN]);
            out.extend_from_slice(&self.wraps[self.part]);
            out.extend_from_slice(&value[HEADER_LEN..]);
            out
        } else {
            value
        };
        if self.read == total {
            self.part += 1;
            self.next_chunk = 0;
            self.read = 0;
            self.reader = None;
        }
        Ok(Some(piece))
    }

    /// The next at most [`CHUNK_LEN`] bytes of part `part`'s header ‖ body (`total`).
    fn fetch(&mut self, part: u16, total: usize) -> Result<Vec<u8>, StorageError> {
        let bad = StorageError::Corrupt("blob chunks");
        if self.pinned.is_empty() {
            let key = layout::blob_key(self.id, part, self.next_chunk);
            let value = self.blobs.get(key)?.ok_or(bad.clone())?;
            if self.read != self.next_chunk as usize * CHUNK_LEN {
                return Err(bad);
            }
            return Ok(value.to_vec());
        }
        if self.reader.is_none() {
            let record = self.pinned.get(usize::from(part)).ok_or(bad.clone())?;
            self.reader = Some(record.reader(self.id, part, total as u64)?);
        }
        let reader = self.reader.as_mut().ok_or(bad.clone())?;
        reader.next_piece(CHUNK_LEN)?.ok_or(bad)
    }
}

impl Iterator for TipPieces {
    type Item = Result<Vec<u8>, StorageError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let item = self.next_piece().transpose();
        if matches!(item, Some(Err(_))) {
            self.failed = true;
        }
        item
    }
}

impl Store {
    /// A tip as bundle pieces, or `None` if there is no tip with this id. The record and
    /// wraps are read together (as in [`Store::load_tip`]); the bodies as they are asked for.
    pub fn tip_pieces(&self, id: TipId) -> Result<Option<TipPieces>, StorageError> {
        // As in `load_tip`: the segments stay readable through the whole stream.
        let Some((record, wraps, pinned)) = self.read_pinned(id)? else {
            return Ok(None);
        };
        Ok(Some(TipPieces {
            blobs: self.inner.blobs.clone(),
            pinned,
            reader: None,
            id,
            record,
            wraps,
            started: false,
            part: 0,
            next_chunk: 0,
            read: 0,
            failed: false,
        }))
    }
}
