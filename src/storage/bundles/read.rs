//! Reading records back with `pread`, checked against what the index expects.
//!
//! Must never: return bytes of a record whose frame names another tip, part or length;
//! panic on a short or damaged segment (it is `StorageError::Corrupt`).

use std::fs::File;
use std::io::ErrorKind;
use std::os::unix::fs::FileExt;
use std::sync::Arc;

use crate::domain::TipId;

use super::frame::{hasher, Frame, FRAME_LEN};
use super::{BundleLog, Location, Pinned, StorageError};

const MISMATCH: StorageError =
    StorageError::Corrupt("bundle log record does not match its index entry");
const CHECKSUM: StorageError = StorageError::Corrupt("bundle log record checksum");

/// Pieces read at a time when checking a whole record.
const VERIFY_PIECE: usize = 1024 * 1024;

impl Pinned {
    /// The bytes of the record (header ‖ body of part `part` of tip `id`, `len` bytes),
    /// frame and checksum checked.
    pub fn read(&self, id: TipId, part: u16, len: u64) -> Result<Vec<u8>, StorageError> {
        let mut r = self.reader(id, part, len)?;
        let whole = usize::try_from(len).map_err(|_| MISMATCH)?;
        // One piece of the whole length: read straight into the returned buffer.
        Ok(r.next_piece(whole)?.unwrap_or_default())
    }

    /// The record for reading in pieces, its frame checked now and its checksum once the
    /// last piece is read.
    pub fn reader(&self, id: TipId, part: u16, len: u64) -> Result<RecordReader, StorageError> {
        let mut head = [0; FRAME_LEN];
        read_exact(&self.file, &mut head, self.at.offset)?;
        let frame = Frame::decode(&head).ok_or(MISMATCH)?;
        if frame.id != id || frame.part != part || frame.len != len {
            return Err(MISMATCH);
        }
        Ok(RecordReader {
            file: self.file.clone(),
            start: self.at.offset + FRAME_LEN as u64,
            len,
            read: 0,
            crc: hasher(id, part),
            expected: frame.crc,
        })
    }
}

impl BundleLog {
    /// The record at `at` for reading in pieces (see [`Pinned::reader`]), for the log's
    /// own upkeep where no compaction can remove the segment meanwhile: compaction
    /// itself, a snapshot (under the exclusive write gate), the check at open. Readers
    /// of the live index take a [`super::SegmentHold`] around the index read instead.
    pub fn reader(
        &self,
        at: Location,
        id: TipId,
        part: u16,
        len: u64,
    ) -> Result<RecordReader, StorageError> {
        self.hold().pin(at)?.reader(id, part, len)
    }

    /// The whole record at `at` (see [`Pinned::read`]), for tests of the log alone.
    #[cfg(test)]
    pub fn read(
        &self,
        at: Location,
        id: TipId,
        part: u16,
        len: u64,
    ) -> Result<Vec<u8>, StorageError> {
        self.hold().pin(at)?.read(id, part, len)
    }

    /// Whether the record is there whole (frame and checksum): what opening asks of the
    /// records of a tip whose insert may not have been synced.
    pub fn verify(
        &self,
        at: Location,
        id: TipId,
        part: u16,
        len: u64,
    ) -> Result<bool, StorageError> {
        let checked = self
            .reader(at, id, part, len)
            .and_then(|mut r| while_some(|| r.next_piece(VERIFY_PIECE)));
        match checked {
            Ok(()) => Ok(true),
            Err(StorageError::Corrupt(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }
}

fn while_some(
    mut f: impl FnMut() -> Result<Option<Vec<u8>>, StorageError>,
) -> Result<(), StorageError> {
    while f()?.is_some() {}
    Ok(())
}

/// `pread` of exactly `buf.len()` bytes; a segment that ends early is corrupt.
fn read_exact(file: &File, buf: &mut [u8], offset: u64) -> Result<(), StorageError> {
    match file.read_exact_at(buf, offset) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == ErrorKind::UnexpectedEof => Err(StorageError::Corrupt(
            "a bundle log segment ends inside a record",
        )),
        Err(e) => Err(e.into()),
    }
}

/// One record being read in pieces.
pub(in crate::storage) struct RecordReader {
    file: Arc<File>,
    start: u64,
    len: u64,
    read: u64,
    crc: crc32fast::Hasher,
    expected: u32,
}

impl RecordReader {
    /// The next at most `max` bytes, `None` after the last; the last piece is only
    /// returned once the whole record's checksum matched.
    pub fn next_piece(&mut self, max: usize) -> Result<Option<Vec<u8>>, StorageError> {
        let left = self.len - self.read;
        if left == 0 {
            return Ok(None);
        }
        let n = usize::try_from(left).map_or(max, |l| l.min(max));
        let mut buf = vec![0; n];
        read_exact(&self.file, &mut buf, self.start + self.read)?;
        self.crc.update(&buf);
        self.read += n as u64;
        if self.read == self.len && self.crc.clone().finalize() != self.expected {
            return Err(CHECKSUM);
        }
        Ok(Some(buf))
    }
}
