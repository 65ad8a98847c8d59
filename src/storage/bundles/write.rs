//! Appending records: whole ones from bytes in memory, or streamed in pieces (an
//! uploaded attachment copied in as it is read).
//!
//! Must never: write past the space it reserved, or let a record look finished (its
//! frame written) before every byte of it was written.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::sync::Arc;

use crate::domain::TipId;

use super::frame::{hasher, Frame, FRAME_LEN};
use super::{BundleLog, Location, StorageError};

/// Records up to this many bytes (every text tip) wait in memory and are written with
/// their batch (`staging.rs`). Larger ones are written piece by piece, uncopied.
const ONE_WRITE_MAX: usize = 256 * 1024;

impl BundleLog {
    /// Appends one record of `pieces` concatenated (a part's header, then its body) and
    /// registers its segment for the next batch's sync. A small record is only in memory
    /// when this returns; the batch writes it before its sync, and a reader of its
    /// segment before it reads.
    pub fn append(&self, id: TipId, part: u16, pieces: &[&[u8]]) -> Result<Location, StorageError> {
        let len: usize = pieces.iter().map(|p| p.len()).sum();
        if len > ONE_WRITE_MAX {
            let mut w = self.begin(id, part, len as u64)?;
            for p in pieces {
                w.write(p)?;
            }
            return w.finish();
        }
        let mut crc = hasher(id, part);
        pieces.iter().for_each(|p| crc.update(p));
        let frame = Frame {
            id,
            part,
            len: len as u64,
            crc: crc.finalize(),
        };
        let frame = frame.encode();
        let mut all = Vec::with_capacity(pieces.len() + 1);
        all.push(&frame[..]);
        all.extend_from_slice(pieces);
        let (at, file, over_cap) = self.reserve_staged(&all)?;
        self.written(at, &file)?;
        if over_cap {
            self.staging.write_out()?;
        }
        Ok(at)
    }

    /// Starts a record of exactly `len` bytes, written with [`RecordWriter::write`].
    pub fn begin(&self, id: TipId, part: u16, len: u64) -> Result<RecordWriter<'_>, StorageError> {
        let total = len
            .checked_add(FRAME_LEN as u64)
            .ok_or(StorageError::Invalid("a part body is too large"))?;
        let (at, file) = self.reserve(total)?;
        Ok(RecordWriter {
            log: self,
            file,
            at,
            frame: Frame {
                id,
                part,
                len,
                crc: 0,
            },
            written: 0,
            crc: hasher(id, part),
        })
    }
}

/// A record being written in pieces. Dropped unfinished, it leaves garbage that no index
/// entry points at (its frame is never written).
pub(in crate::storage) struct RecordWriter<'a> {
    log: &'a BundleLog,
    file: Arc<File>,
    at: Location,
    frame: Frame,
    written: u64,
    crc: crc32fast::Hasher,
}

impl RecordWriter<'_> {
    /// Writes the next bytes of the record.
    pub fn write(&mut self, bytes: &[u8]) -> Result<(), StorageError> {
        let end = self.written.saturating_add(bytes.len() as u64);
        if end > self.frame.len {
            return Err(StorageError::Invalid(
                "a bundle log record is longer than announced",
            ));
        }
        let offset = self.at.offset + FRAME_LEN as u64 + self.written;
        self.file.write_all_at(bytes, offset)?;
        self.crc.update(bytes);
        self.written = end;
        Ok(())
    }

    /// Writes the frame once every byte is written; where the record starts.
    pub fn finish(self) -> Result<Location, StorageError> {
        if self.written != self.frame.len {
            return Err(StorageError::Invalid(
                "a bundle log record is shorter than announced",
            ));
        }
        let frame = Frame {
            crc: self.crc.finalize(),
            ..self.frame
        };
        self.file.write_all_at(&frame.encode(), self.at.offset)?;
        self.log.written(self.at, &self.file)?;
        Ok(self.at)
    }
}
