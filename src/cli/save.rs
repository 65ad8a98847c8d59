//! Saving opened attachments into the directory the user named (`--save-attachments`):
//! a tip's files by their own names, conversation files as `<seq>-<name>`.
//!
//! Must never: overwrite a file already there with a tip's attachment, or write outside
//! the named directory (names are plain base names by construction).

use std::path::{Path, PathBuf};

use crate::reviewer::open::{OpenedEntry, OpenedTip};

use super::CliError;

/// Saves a tip's attachments into `dir`; returns their paths, in part order.
pub fn tip_files(dir: &Path, tip: &OpenedTip) -> Result<Vec<PathBuf>, CliError> {
    std::fs::create_dir_all(dir).map_err(|e| CliError::File(dir.to_owned(), e))?;
    let mut out = Vec::new();
    for (meta, bytes) in tip.received.attachments.iter().zip(&tip.files) {
        // FileName is a plain base name by construction; still, never overwrite.
        let mut path = dir.join(meta.name.as_str());
        if path.exists() {
            path = dir.join(format!("{}-{}", meta.part, meta.name.as_str()));
        }
        std::fs::write(&path, &bytes[..]).map_err(|e| CliError::File(path.clone(), e))?;
        out.push(path);
    }
    Ok(out)
}

/// Saves every entry's files into `dir` as `<seq>-<name>`; returns, per entry, the paths.
pub fn entry_files(dir: &Path, entries: &[OpenedEntry]) -> Result<Vec<Vec<PathBuf>>, CliError> {
    std::fs::create_dir_all(dir).map_err(|e| CliError::File(dir.to_owned(), e))?;
    let mut out = Vec::with_capacity(entries.len());
    for e in entries {
        let mut paths = Vec::new();
        for (meta, bytes) in e.attachments.iter().zip(&e.files) {
            let path = dir.join(format!("{}-{}", e.seq, meta.name.as_str()));
            std::fs::write(&path, &bytes[..]).map_err(|err| CliError::File(path.clone(), err))?;
            paths.push(path);
        }
        out.push(paths);
    }
    Ok(out)
}
