//! Writing a backup: the header, one frame per entry, the end marker and the hash.

use std::io::Write;

use crate::crypto::StreamHash;
use crate::storage::{SnapshotCounts, SnapshotEntry};

use super::{BackupError, HASH_DOMAIN, MAGIC, MAX_VALUE, VERSION};

/// Frames entries into `W`, hashing every byte written.
pub struct BackupWriter<W: Write> {
    out: W,
    hash: StreamHash,
}

impl<W: Write> BackupWriter<W> {
    /// Writes the header.
    pub fn new(out: W) -> Result<Self, BackupError> {
        let mut w = BackupWriter {
            out,
            hash: StreamHash::new(HASH_DOMAIN),
        };
        w.put(MAGIC)?;
        w.put(&VERSION.to_be_bytes())?;
        Ok(w)
    }

    /// Writes one entry.
    pub fn entry(&mut self, e: SnapshotEntry<'_>) -> Result<(), BackupError> {
        let tree_len = u8::try_from(e.tree.len())
            .map_err(|_| BackupError::Malformed("a tree name is longer than 255 bytes"))?;
        let key_len = u16::try_from(e.key.len())
            .map_err(|_| BackupError::Malformed("a key is longer than 65,535 bytes"))?;
        if e.value.len() > MAX_VALUE {
            return Err(BackupError::Malformed(
                "a value is larger than storage writes",
            ));
        }
        self.put(&[1, tree_len])?;
        self.put(e.tree)?;
        self.put(&key_len.to_be_bytes())?;
        self.put(e.key)?;
        // Bounded by MAX_VALUE just above.
        self.put(&(e.value.len() as u32).to_be_bytes())?;
        self.put(e.value)
    }

    /// Writes the end marker with the counts and the hash; returns the writer.
    pub fn finish(mut self, counts: SnapshotCounts) -> Result<W, BackupError> {
        self.put(&[0])?;
        self.put(&counts.entries.to_be_bytes())?;
        self.put(&counts.tips.to_be_bytes())?;
        self.put(&counts.bytes.to_be_bytes())?;
        let digest = self.hash.finish();
        self.out.write_all(&digest)?;
        self.out.flush()?;
        Ok(self.out)
    }

    fn put(&mut self, b: &[u8]) -> Result<(), BackupError> {
        self.hash.update(b);
        self.out.write_all(b)?;
        Ok(())
    }
}
