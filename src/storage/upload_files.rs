//! Upload bytes in files: each open upload's envelope bytes live in their own file,
//! `DATA/uploads/<upload id hex>`, written in place with `pwrite` at the upload's offset.
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

use super::{blur_times, StorageError, CHUNK_LEN};

/// The directory of upload files, inside the data directory.
pub(super) const UPLOADS_DIR: &str = "uploads";
/// [`super::commit::FileKey`] kind of an upload file (its id is the upload id).
pub(super) const KIND_UPLOAD: u8 = 2;
/// [`super::commit::FileKey`] kind of the uploads directory (id 0): synced after a create
/// so the new file's name is as durable as its bytes.
pub(super) const KIND_UPLOADS_DIR: u8 = 3;

/// Reads never update atime (a read is a witness's or a reviewer's activity).
const NO_ATIME: i32 = libc::O_NOATIME;

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

    fn path(&self, id: UploadId) -> PathBuf {
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

    /// Writes `bytes` at `offset` of `id`'s file, which must hold at least `offset` bytes
    /// (else the upload is [`WriteFailure::Damaged`]: a hole would read as zeros). On a
    /// failed write the file is cut back to `offset`, so a short write leaves no bytes
    /// that look received. The caller registers the returned file with the group commit.
    pub(super) fn write_at(
        &self,
        id: UploadId,
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
        if file.metadata()?.len() < offset {
            return Err(WriteFailure::Damaged(
                "the upload's file holds fewer bytes than its record counts",
            ));
        }
        if let Err(e) = file.write_all_at(bytes, offset) {
            // Best effort: bytes past `offset` are never counted, only wasted space.
            let _ = file.set_len(offset);
            return Err(e.into());
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

    /// Opens `id`'s file for reading its first `length` bytes, refusing it if it holds
    /// fewer (it is never read as a shorter upload).
    fn open_checked(&self, id: UploadId, length: u64) -> Result<File, StorageError> {
        let file = OpenOptions::new()
            .read(true)
            .custom_flags(NO_ATIME)
            .open(self.path(id))
            .map_err(|e| match e.kind() {
                io::ErrorKind::NotFound => StorageError::Corrupt("an upload's file is missing"),
                _ => e.into(),
            })?;
        if file.metadata()?.len() < length {
            return Err(StorageError::Corrupt(
                "an upload's file holds fewer bytes than its record counts",
            ));
        }
        Ok(file)
    }

    /// The first `min(n, length)` bytes of an upload of `length` bytes.
    pub(super) fn read_start(
        &self,
        id: UploadId,
        length: u64,
        n: usize,
    ) -> Result<Vec<u8>, StorageError> {
        let file = self.open_checked(id, length)?;
        let mut start = vec![0u8; n.min(usize::try_from(length).unwrap_or(usize::MAX))];
        file.read_exact_at(&mut start, 0)?;
        Ok(start)
    }

    /// The first `length` bytes of `id`'s file in numbered pieces of [`CHUNK_LEN`] (the
    /// last shorter): one piece in memory at a time.
    pub(super) fn pieces(&self, id: UploadId, length: u64) -> Pieces {
        Pieces {
            file: Some(self.open_checked(id, length)),
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

/// An upload's bytes in pieces; see [`UploadFiles::pieces`].
pub(super) struct Pieces {
    /// `None` once an error was yielded: nothing follows it.
    file: Option<Result<File, StorageError>>,
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
        if let Err(e) = file.read_exact_at(&mut piece, self.pos) {
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
