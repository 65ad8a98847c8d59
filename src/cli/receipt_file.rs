//! `tipseal submit --receipt-out FILE`: the file the receipt words are saved to, made
//! before anything is sent and written after.
//!
//! Created exclusively with mode 0600 before the tip is sealed, so a missing directory, an
//! unwritable one or an existing file is refused while nothing is stored yet; filled only
//! once the server has acknowledged the tip. Must never: overwrite a file (it may hold
//! another tip's receipt), leave an empty or half-written receipt file behind, or make a
//! failure to save hide the receipt (the caller prints it either way).

use std::fs::File;
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

use super::CliError;

/// A new, empty receipt file, removed again unless [`ReceiptFile::write`] fills it.
pub struct ReceiptFile {
    path: PathBuf,
    file: Option<File>,
}

impl ReceiptFile {
    /// Creates `path` (it must not exist; its directory must), readable by its owner only.
    pub fn create(path: &Path) -> Result<Self, CliError> {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        if !dir.is_dir() {
            return Err(CliError::Usage(format!(
                "--receipt-out {}: the directory {} does not exist. Create it or choose \
                 another file; nothing was sent",
                path.display(),
                dir.display()
            )));
        }
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let file = opts.open(path).map_err(|e| match e.kind() {
            ErrorKind::AlreadyExists => CliError::Usage(format!(
                "--receipt-out {}: the file already exists, and a receipt file is never \
                 overwritten (it may hold another tip's receipt). Choose a new name; nothing \
                 was sent",
                path.display()
            )),
            ErrorKind::PermissionDenied => CliError::Usage(format!(
                "--receipt-out {}: no permission to create a file in {}. Choose a directory \
                 you can write to; nothing was sent",
                path.display(),
                dir.display()
            )),
            _ => CliError::File(path.to_owned(), e),
        })?;
        Ok(Self {
            path: path.to_owned(),
            file: Some(file),
        })
    }

    /// Writes the words and a newline, and syncs them to disk. On failure the partial
    /// file is removed (a half receipt is worse than none: it looks like one).
    pub fn write(mut self, words: &[u8]) -> Result<(), CliError> {
        let mut file = self.file.take().expect("written once");
        let written = file
            .write_all(words)
            .and_then(|()| file.write_all(b"\n"))
            .and_then(|()| file.sync_all());
        match written {
            Ok(()) => Ok(()),
            Err(e) => {
                drop(file);
                let _ = std::fs::remove_file(&self.path);
                Err(CliError::File(self.path.clone(), e))
            }
        }
    }
}

impl Drop for ReceiptFile {
    /// Not written (the submission failed): the empty file this created goes away.
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}
