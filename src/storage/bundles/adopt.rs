//! Taking a file that already holds a record, but for its frame, into the log as a sealed
//! segment of its own: how an uploaded attachment becomes a tip's part without its bytes
//! being copied and synced a second time (`tips/attach.rs`; the file's layout is
//! `upload_files::Layout::Record`).
//!
//! A file is adopted at most once while it is a segment: a second claim of the same
//! upload (a tip stored, then the server stopped before the upload was removed, and the
//! upload claimed again) finds the file already linked into the log and is copied
//! instead, so the frame of a stored tip's record is never rewritten. Across filesystems
//! (`uploads/` and `bundles/` mounted apart) nothing can be linked, and the part is
//! copied too.
//!
//! Timing: a file's ctime cannot be set, and a link, a write or setting its other times
//! moves it to now. An adopted file would keep, for ever, the second its tip arrived (and
//! the head it sealed, the second of its last text tip). So every adoption touches every
//! segment adopted or sealed by adoption that UTC day ([`Adopted`]): their ctimes all
//! become the day's last adoption, which is what any file's times show anyway (the last
//! write, `docs/threat-model.md`). Opening the log touches every segment for the same
//! reason (the list is in memory). Only uploads of [`ADOPT_MIN`] bytes or more are
//! adopted, at most [`ADOPTED_PER_DAY`] a day; the rest are copied, as before.
//!
//! Must never: link a file whose frame and bytes are not durable, write into a file that
//! is already a segment, reuse a segment number, or leave a segment numbered after the
//! head.

use std::fs::OpenOptions;
use std::os::unix::fs::{FileExt, MetadataExt, OpenOptionsExt};
use std::path::Path;
use std::sync::PoisonError;

use crate::domain::{Day, TipId};

use super::frame::{hasher, Frame, FRAME_LEN};
use super::{blur_times, create_segment, BundleLog, Head, Location, SegmentNo, StorageError};

/// Bytes read at a time to take the record's checksum.
const PIECE: u64 = 1024 * 1024;

/// Records shorter than this are copied rather than adopted: a copy of a few MiB costs
/// little, and each adoption leaves two segment files and touches the day's others.
pub(in crate::storage) const ADOPT_MIN: u64 = 4 * 1024 * 1024;

/// Most adoptions in one UTC day: bounds the files each adoption touches (two per
/// adoption). Past it, uploads are copied until the day ends.
const ADOPTED_PER_DAY: usize = 256;

/// The segments adopted, or sealed by an adoption, this UTC day.
#[derive(Default)]
pub(super) struct Adopted {
    day: Option<Day>,
    segments: Vec<SegmentNo>,
}

impl BundleLog {
    /// The file at `path` holds [`FRAME_LEN`] bytes of room, then the `len` bytes of tip
    /// `id`'s part `part`. Writes their frame at its start, syncs the file, and links it
    /// into the log under a new number after the head, the head moving on past it; the
    /// directory is synced before this returns, so an index entry naming the record can
    /// never be durable before the record is. Reads the `len` bytes once (one piece at a
    /// time) for the frame's checksum. The file keeps its other name: its owner removes
    /// that. A record adopted by a tip that is then not stored is a segment nothing
    /// points at, which compaction removes.
    ///
    /// `None` when the file cannot be adopted and its bytes must be copied instead: it is
    /// already a segment (it has a second name), or the log is on another filesystem.
    pub fn adopt(
        &self,
        path: &Path,
        id: TipId,
        part: u16,
        len: u64,
    ) -> Result<Option<Location>, StorageError> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NOATIME)
            .open(path)?;
        let total = len
            .checked_add(FRAME_LEN as u64)
            .ok_or(StorageError::Invalid("a part body is too large"))?;
        let meta = file.metadata()?;
        if meta.nlink() > 1 || len < ADOPT_MIN {
            return Ok(None);
        }
        let today = Day::today();
        {
            let adopted = self.lock_adopted();
            if adopted.day == Some(today) && adopted.segments.len() >= 2 * ADOPTED_PER_DAY {
                return Ok(None);
            }
        }
        if meta.len() < total {
            return Err(StorageError::Corrupt(
                "an upload's file holds fewer bytes than its record counts",
            ));
        }
        let mut crc = hasher(id, part);
        let mut piece = vec![0u8; PIECE.min(len) as usize];
        let mut pos = 0u64;
        while pos < len {
            let n = PIECE.min(len - pos) as usize;
            file.read_exact_at(&mut piece[..n], FRAME_LEN as u64 + pos)?;
            crc.update(&piece[..n]);
            pos += n as u64;
        }
        let frame = Frame {
            id,
            part,
            len,
            crc: crc.finalize(),
        };
        file.write_all_at(&frame.encode(), 0)?;
        blur_times(&file)?;
        file.sync_data()?;

        let (no, sealed) = {
            let mut head = self.lock_head();
            let no = SegmentNo(head.no.0 + 1);
            // The next head first (created and its name synced): if the link then fails,
            // `no` is a number never used, and the log still ends at its head.
            let next = SegmentNo(no.0 + 1);
            let next_file = create_segment(&self.dir, next)?;
            let sealed = head.no;
            *head = Head {
                no: next,
                file: next_file,
                len: 0,
            };
            match std::fs::hard_link(path, self.dir.join(no.file_name())) {
                Ok(()) => (no, sealed),
                Err(e) if e.raw_os_error() == Some(libc::EXDEV) => return Ok(None),
                Err(e) => return Err(e.into()),
            }
        };
        let dir = std::fs::File::open(&self.dir)?;
        dir.sync_all()?;
        blur_times(&dir)?;
        {
            let mut adopted = self.lock_adopted();
            if adopted.day != Some(today) {
                *adopted = Adopted {
                    day: Some(today),
                    segments: Vec::new(),
                };
            }
            adopted.segments.extend([sealed, no]);
            // On a failure the list stays whole: the next adoption touches them all again.
            adopted.segments = self.touch(&adopted.segments)?;
        }
        Ok(Some(Location {
            segment: no,
            offset: 0,
        }))
    }

    /// Sets the times of each of `segments` back to midnight, which moves their ctimes to
    /// now; the ones that still exist (compaction may have removed some).
    pub(super) fn touch(&self, segments: &[SegmentNo]) -> Result<Vec<SegmentNo>, StorageError> {
        let mut kept = Vec::with_capacity(segments.len());
        for &no in segments {
            let opened = OpenOptions::new()
                .read(true)
                .custom_flags(libc::O_NOATIME)
                .open(self.dir.join(no.file_name()));
            match opened {
                Ok(file) => {
                    blur_times(&file)?;
                    kept.push(no);
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(kept)
    }

    fn lock_adopted(&self) -> std::sync::MutexGuard<'_, Adopted> {
        // A list of numbers: a panic elsewhere leaves it whole.
        self.adopted.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
