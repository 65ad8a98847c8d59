//! Upload bytes in files: each open upload's envelope bytes live in their own file,
//! `DATA/uploads/<upload id hex>`, written in place with `pwrite`.
//!
//! Two layouts ([`Layout`], named by the upload's record): uploads created before session
//! 25 hold the envelope as received, offset for offset ([`Layout::Plain`]). New ones hold
//! it as a bundle-log record waits for its frame ([`Layout::Record`]): [`FRAME_LEN`] bytes
//! of room, the header, then the body; the wrap section, which a stored tip keeps in
//! sled's `wraps`, stays in the upload's record. The tip that names such an upload takes
//! its file into the bundle log as a segment of its own (`bundles::BundleLog::adopt`)
//! instead of copying 64 MiB into the log and syncing them a second time.
//!
//! Why not sled: sled 0.34 rewrites whole leaves of ~17 values on every insert, so a
//! 64 MiB upload in 32 KiB values cost hundreds of MB of leaf copies and ran at ~35 MB/s
//! (`BENCHMARKS.md`, "Attachments"). A file costs one copy per byte and no memory.
//!
//! This module owns the directory and the files only; the `uploads` sled tree
//! (`uploads.rs`) keeps each upload's record and decides what a file's bytes mean. The
//! caller registers every file it wrote (and the directory, after a create) with the
//! group commit, which `fdatasync`s them before `db.flush()`.
//!
//! Must never: read more than one piece ([`CHUNK_LEN`]) of a file into memory; leave a
//! time finer than a UTC day on a file or on the directory (atime and mtime are set to
//! midnight after every change, and reads use `O_NOATIME`; a file's ctime is the
//! kernel's and cannot be set — it goes with the file when the upload ends); create
//! anything the group or others can read (directory 0700, files 0600).

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, FileExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::domain::UploadId;

use super::bundles::FRAME_LEN;
use super::{blur_times, StorageError, CHUNK_LEN, HEADER_LEN, WRAP_LEN};

/// The directory of upload files, inside the data directory.
pub(super) const UPLOADS_DIR: &str = "uploads";
/// [`super::commit::FileKey`] kind of an upload file (its id is the upload id).
pub(super) const KIND_UPLOAD: u8 = 2;
/// [`super::commit::FileKey`] kind of the uploads directory (id 0): synced after a create
/// so the new file's name is as durable as its bytes.
pub(super) const KIND_UPLOADS_DIR: u8 = 3;

/// Reads never update atime (a read is a witness's or a reviewer's activity).
const NO_ATIME: i32 = libc::O_NOATIME;

/// How an upload's envelope bytes (header ‖ wrap ‖ body) lie in its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Layout {
    /// Offset for offset (uploads created before session 26; their tips copy them).
    Plain,
    /// [`FRAME_LEN`] bytes of room, header, body: a bundle-log record but for its frame.
    /// The wrap section is not in the file (the record keeps it).
    Record,
}

/// Where a run of an upload's envelope bytes lies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Place {
    /// In the file, at this offset.
    File(u64),
    /// In the wrap section, at this offset within it ([`Layout::Record`] only).
    Wrap(usize),
}

impl Layout {
    /// The file's length once the first `received` envelope bytes are in it.
    pub(super) fn file_len(self, received: u64) -> u64 {
        const H: u64 = HEADER_LEN as u64;
        const W: u64 = WRAP_LEN as u64;
        const F: u64 = FRAME_LEN as u64;
        match self {
            Layout::Plain => received,
            Layout::Record if received == 0 => 0,
            Layout::Record if received <= H => F + received,
            Layout::Record if received <= H + W => F + H,
            Layout::Record => F + received - W,
        }
    }

    /// The envelope bytes `offset..offset + len` as runs: (envelope offset, length, place).
    pub(super) fn runs(self, offset: u64, len: usize) -> Vec<(u64, usize, Place)> {
        const H: u64 = HEADER_LEN as u64;
        const W: u64 = WRAP_LEN as u64;
        const F: u64 = FRAME_LEN as u64;
        let end = offset.saturating_add(len as u64);
        if self == Layout::Plain {
            return vec![(offset, len, Place::File(offset))];
        }
        let mut out = Vec::with_capacity(3);
        let mut pos = offset;
        while pos < end {
            let (stop, place) = if pos < H {
                (H, Place::File(F + pos))
            } else if pos < H + W {
                (H + W, Place::Wrap((pos - H) as usize))
            } else {
                (u64::MAX, Place::File(F + pos - W))
            };
            let take = stop.min(end) - pos;
            out.push((pos, take as usize, place));
            pos += take;
        }
        out
    }
}

/// The upload files and a handle on their directory.
pub(super) struct UploadFiles {
    dir: PathBuf,
    handle: Arc<File>,
}

/// Why writing an upload's bytes failed; nothing counts them in any case.
#[derive(Debug)]
pub(super) enum WriteFailure {
    /// The file is missing or holds fewer bytes than the offset: the upload is damaged.
    Damaged(&'static str),
    /// The disk (or the user's quota) is full.
    NoSpace,
    /// Any other I/O error.
    Io(io::Error),
}

impl From<io::Error> for WriteFailure {
    fn from(e: io::Error) -> Self {
        match e.raw_os_error() {
            Some(libc::ENOSPC) | Some(libc::EDQUOT) => WriteFailure::NoSpace,
            _ => WriteFailure::Io(e),
        }
    }
}

impl UploadFiles {
    /// Opens (creating, mode 0700) `data_dir/uploads`.
    pub(super) fn open(data_dir: &Path) -> Result<Self, StorageError> {
        let dir = data_dir.join(UPLOADS_DIR);
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)?;
        // An existing directory keeps its mode through `create`: close it anyway.
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))?;
        let handle = Arc::new(File::open(&dir)?);
        Ok(Self { dir, handle })
    }

    /// The directory's handle, to register with the group commit after a create.
    pub(super) fn dir_handle(&self) -> &Arc<File> {
        &self.handle
    }

    /// Where `id`'s file is (the bundle log links it there when a tip adopts it).
    pub(super) fn path(&self, id: UploadId) -> PathBuf {
        self.dir.join(id.to_string())
    }

    /// Creates `id`'s file empty (truncating a leftover of the same name). The caller
    /// registers the returned file and the directory with the group commit.
    pub(super) fn create(&self, id: UploadId) -> Result<Arc<File>, WriteFailure> {
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .custom_flags(NO_ATIME)
            .open(self.path(id))?;
        blur_times(&file)?;
        blur_times(&self.handle)?;
        Ok(Arc::new(file))
    }

    /// Writes the envelope bytes `bytes` at envelope offset `offset` into `id`'s file laid
    /// out as `layout`, which must hold what `offset` bytes take (else the upload is
    /// [`WriteFailure::Damaged`]: a hole would read as zeros). Bytes of the wrap section
    /// of a [`Layout::Record`] file are not written (the caller keeps them in the record).
    /// On a failed write the file is cut back to what `offset` bytes take, so a short
    /// write leaves no bytes that look received. The caller registers the returned file
    /// with the group commit.
    pub(super) fn write_at(
        &self,
        id: UploadId,
        layout: Layout,
        offset: u64,
        bytes: &[u8],
    ) -> Result<Arc<File>, WriteFailure> {
        let file = match OpenOptions::new()
            .write(true)
            .custom_flags(NO_ATIME)
            .open(self.path(id))
        {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(WriteFailure::Damaged("the upload's file is missing"))
            }
            Err(e) => return Err(e.into()),
        };
        let before = layout.file_len(offset);
        if file.metadata()?.len() < before {
            return Err(WriteFailure::Damaged(
                "the upload's file holds fewer bytes than its record counts",
            ));
        }
        for (at, len, place) in layout.runs(offset, bytes.len()) {
            let Place::File(to) = place else { continue };
            let from = (at - offset) as usize;
            if let Err(e) = file.write_all_at(&bytes[from..from + len], to) {
                // Best effort: bytes past `before` are never counted, only wasted space.
                let _ = file.set_len(before);
                return Err(e.into());
            }
        }
        blur_times(&file)?;
        Ok(Arc::new(file))
    }

    /// Bytes in `id`'s file, or `None` if it has none.
    pub(super) fn len(&self, id: UploadId) -> Result<Option<u64>, StorageError> {
        match std::fs::metadata(self.path(id)) {
            Ok(m) => Ok(Some(m.len())),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Opens `id`'s file for reading its first `length` envelope bytes, refusing it if it
    /// holds fewer (it is never read as a shorter upload).
    fn open_checked(
        &self,
        id: UploadId,
        layout: Layout,
        length: u64,
    ) -> Result<File, StorageError> {
        let file = OpenOptions::new()
            .read(true)
            .custom_flags(NO_ATIME)
            .open(self.path(id))
            .map_err(|e| match e.kind() {
                io::ErrorKind::NotFound => StorageError::Corrupt("an upload's file is missing"),
                _ => e.into(),
            })?;
        if file.metadata()?.len() < layout.file_len(length) {
            return Err(StorageError::Corrupt(
                "an upload's file holds fewer bytes than its record counts",
            ));
        }
        Ok(file)
    }

    /// The first `min(n, length)` envelope bytes of an upload of `length` bytes (`wrap`:
    /// its wrap section as its record keeps it, for [`Layout::Record`]).
    pub(super) fn read_start(
        &self,
        id: UploadId,
        (layout, wrap): (Layout, &[u8; WRAP_LEN]),
        length: u64,
        n: usize,
    ) -> Result<Vec<u8>, StorageError> {
        let file = self.open_checked(id, layout, length)?;
        let mut start = vec![0u8; n.min(usize::try_from(length).unwrap_or(usize::MAX))];
        read_envelope(&file, layout, wrap, &mut start, 0)?;
        Ok(start)
    }

    /// The first `length` envelope bytes of `id`'s file in numbered pieces of
    /// [`CHUNK_LEN`] (the last shorter): one piece in memory at a time.
    pub(super) fn pieces(
        &self,
        id: UploadId,
        (layout, wrap): (Layout, [u8; WRAP_LEN]),
        length: u64,
    ) -> Pieces {
        Pieces {
            file: Some(self.open_checked(id, layout, length)),
            layout,
            wrap,
            length,
            pos: 0,
            n: 0,
        }
    }

    /// Removes `id`'s file (a missing one is already removed).
    pub(super) fn remove(&self, id: UploadId) -> Result<(), StorageError> {
        match std::fs::remove_file(self.path(id)) {
            Ok(()) => Ok(blur_times(&self.handle)?),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Every entry of the directory: its upload id if its name is one, and its path.
    pub(super) fn entries(&self) -> Result<Vec<(Option<UploadId>, PathBuf)>, StorageError> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(&self.dir)? {
            let entry = entry?;
            let id = entry.file_name().to_str().and_then(|n| n.parse().ok());
            out.push((id, entry.path()));
        }
        Ok(out)
    }

    /// Removes an entry found by [`UploadFiles::entries`] that belongs to no upload.
    pub(super) fn remove_stray(&self, path: &Path) -> Result<(), StorageError> {
        let removed = if path.is_dir() {
            std::fs::remove_dir_all(path)
        } else {
            std::fs::remove_file(path)
        };
        match removed {
            Ok(()) => Ok(blur_times(&self.handle)?),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

/// Reads the envelope bytes at `offset` into `buf`, from the file or `wrap`.
fn read_envelope(
    file: &File,
    layout: Layout,
    wrap: &[u8; WRAP_LEN],
    buf: &mut [u8],
    offset: u64,
) -> io::Result<()> {
    for (at, len, place) in layout.runs(offset, buf.len()) {
        let to = &mut buf[(at - offset) as usize..][..len];
        match place {
            Place::File(from) => file.read_exact_at(to, from)?,
            Place::Wrap(from) => to.copy_from_slice(&wrap[from..from + len]),
        }
    }
    Ok(())
}

/// An upload's bytes in pieces; see [`UploadFiles::pieces`].
pub(super) struct Pieces {
    /// `None` once an error was yielded: nothing follows it.
    file: Option<Result<File, StorageError>>,
    layout: Layout,
    wrap: [u8; WRAP_LEN],
    length: u64,
    pos: u64,
    n: u32,
}

impl Iterator for Pieces {
    type Item = Result<(u32, Vec<u8>), StorageError>;

    fn next(&mut self) -> Option<Self::Item> {
        let file = match self.file.as_ref()? {
            Ok(file) => file,
            Err(_) => return self.file.take().and_then(Result::err).map(Err),
        };
        if self.pos >= self.length {
            return None;
        }
        let len = (self.length - self.pos).min(CHUNK_LEN as u64) as usize;
        let mut piece = vec![0u8; len];
        if let Err(e) = read_envelope(file, self.layout, &self.wrap, &mut piece, self.pos) {
            self.file = None;
            return Some(Err(match e.kind() {
                io::ErrorKind::UnexpectedEof => StorageError::Corrupt(
                    "an upload's file holds fewer bytes than its record counts",
                ),
                _ => e.into(),
            }));
        }
        let n = self.n;
        self.pos += len as u64;
        self.n = self.n.wrapping_add(1);
        Some(Ok((n, piece)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const H: u64 = HEADER_LEN as u64;
    const W: u64 = WRAP_LEN as u64;
    const F: u64 = FRAME_LEN as u64;

    /// Where each envelope byte lies, one byte at a time: the reference for `runs`.
    fn place_of(layout: Layout, pos: u64) -> Place {
        match layout {
            Layout::Plain => Place::File(pos),
            Layout::Record if pos < H => Place::File(F + pos),
            Layout::Record if pos < H + W => Place::Wrap((pos - H) as usize),
            Layout::Record => Place::File(F + pos - W),
        }
    }

    proptest! {
        /// Runs cover the bytes asked for, in order, each byte where `place_of` says, and
        /// a file holding `offset + len` envelope bytes reaches past every file byte.
        #[test]
        fn runs_place_every_envelope_byte(offset in 0u64..400, len in 0usize..400, record: bool) {
            let layout = if record { Layout::Record } else { Layout::Plain };
            let runs = layout.runs(offset, len);
            let mut pos = offset;
            for (at, n, place) in runs {
                prop_assert_eq!(at, pos);
                prop_assert!(n > 0 || len == 0);
                for i in 0..n as u64 {
                    let expected = place_of(layout, at + i);
                    let got = match place {
                        Place::File(f) => Place::File(f + i),
                        Place::Wrap(w) => Place::Wrap(w + i as usize),
                    };
                    prop_assert_eq!(got, expected);
                    if let Place::File(f) = got {
                        prop_assert!(f < layout.file_len(offset + len as u64));
                    }
                }
                pos += n as u64;
            }
            prop_assert_eq!(pos, offset + len as u64);
        }

        /// The file only grows as envelope bytes arrive.
        #[test]
        fn file_len_never_shrinks(a in 0u64..400, b in 0u64..400) {
            for layout in [Layout::Plain, Layout::Record] {
                let (lo, hi) = (a.min(b), a.max(b));
                prop_assert!(layout.file_len(lo) <= layout.file_len(hi));
            }
        }
    }
}
