//! The run's own directory (`tipseal-bench-XXXXXXXXXXXX` under `--data` or the system's
//! temporary directory): data directory, keyring, server log and disk probe. Removed with
//! everything in it when the run ends, so repeated runs do not fill the disk.
//!
//! It must never remove a directory it did not create: the name has 48 random bits and
//! creation fails if it exists.

use std::path::{Path, PathBuf};

use super::LoadgenError;

/// A fresh directory, removed on drop.
pub struct RunDir(PathBuf);

impl RunDir {
    /// Creates `parent/tipseal-bench-<random hex>` (and `parent` if missing).
    pub fn create(parent: &Path) -> Result<Self, LoadgenError> {
        let dir = parent.join(format!(
            "tipseal-bench-{}",
            hex::encode(crate::crypto::random_bytes::<6>())
        ));
        std::fs::create_dir_all(parent)
            .and_then(|()| std::fs::create_dir(&dir))
            .map_err(|e| LoadgenError::Io("the run's directory", dir.clone(), e))?;
        Ok(Self(dir))
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for RunDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
