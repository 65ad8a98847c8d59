//! Backup files: a point-in-time snapshot of the database ([`crate::storage::Store::snapshot`])
//! framed with a version header, counts and a BLAKE2b-256 hash over everything.
//!
//! The file holds exactly what the database holds: sealed bytes, peppered hashes, sealed
//! events. Nothing in it opens a tip without a reviewer's key; keep it as private as the
//! data directory anyway (it holds the pepper). The hash detects corruption and
//! truncation, not a forger who can rewrite the whole file (nothing the server holds
//! could sign it without that key being on the server too).
//!
//! ```text
//! "tipseal-backup\n\0" (16) ‖ version u32 BE = 1
//! entries: 1 ‖ tree name len u8 ‖ name ‖ key len u16 BE ‖ key ‖ value len u32 BE ‖ value
//! end:     0 ‖ entries u64 BE ‖ tips u64 BE ‖ bytes u64 BE
//! hash:    BLAKE2b-256("tipseal/backup/v1" ‖ every byte above) (32)
//! ```
//!
//! Must never: restore from a file before all of it verified, or write a backup over an
//! existing file.

mod read;
mod write;

pub use read::{entries, verify, Summary};
pub use write::BackupWriter;

/// First bytes of every backup file.
pub const MAGIC: &[u8; 16] = b"tipseal-backup\n\0";
/// The format this build writes and reads.
pub const VERSION: u32 = 1;
/// Domain of the integrity hash.
const HASH_DOMAIN: &[u8] = b"tipseal/backup/v1";
/// Largest value in a backup: storage never writes a larger one.
const MAX_VALUE: usize = crate::storage::MAX_VALUE_LEN;

/// Why a backup could not be written or read. Text names the file's problem and what to
/// do; it never quotes the file's bytes.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// Reading or writing the file failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The file does not start like a tipseal backup.
    #[error("this is not a tipseal backup file (its first bytes are wrong)")]
    NotABackup,
    /// The file was written by a newer or unknown format.
    #[error("the backup has format version {0}; this build reads only version 1")]
    Version(u32),
    /// The file ends before its end marker and hash.
    #[error("the backup file is truncated: it ends before its end marker and hash (was the copy cut short?)")]
    Truncated,
    /// The content does not match the hash.
    #[error("the backup file is corrupted: its content does not match its integrity hash; restore from another copy")]
    HashMismatch,
    /// The framing is not what this format allows (a length out of bounds, bytes after
    /// the hash, counts that disagree).
    #[error("the backup file is malformed: {0}")]
    Malformed(&'static str),
}
