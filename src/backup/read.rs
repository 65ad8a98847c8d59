//! Reading a backup: [`verify`] checks a whole file before anything is restored, and
//! [`entries`] yields its entries (checking the hash again at the end, in case the file
//! changed in between).

use std::fs::File;
use std::io::{BufReader, ErrorKind, Read};
use std::path::Path;

use crate::crypto::{ct_eq, StreamHash};

use super::{BackupError, HASH_DOMAIN, MAGIC, MAX_VALUE, VERSION};

/// What a verified backup holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// Key–value entries, every tree together.
    pub entries: u64,
    /// Tips among them.
    pub tips: u64,
    /// Bytes of keys and values.
    pub bytes: u64,
}

/// One entry: (tree name, key, value).
pub type Entry = (Vec<u8>, Vec<u8>, Vec<u8>);

/// Reads the whole file, checking the header, every frame, the counts and the hash.
pub fn verify(path: &Path) -> Result<Summary, BackupError> {
    let mut frames = Frames::open(path)?;
    while frames.next_entry()?.is_some() {}
    frames.summary.ok_or(BackupError::Truncated)
}

/// The entries of a backup, in order; the last item is an error if the file does not
/// verify. Call [`verify`] first: this is for loading a file already checked.
pub fn entries(
    path: &Path,
) -> Result<impl Iterator<Item = Result<Entry, BackupError>>, BackupError> {
    let mut frames = Frames::open(path)?;
    let mut done = false;
    Ok(std::iter::from_fn(move || {
        if done {
            return None;
        }
        match frames.next_entry() {
            Ok(Some(e)) => Some(Ok(e)),
            Ok(None) => {
                done = true;
                None
            }
            Err(e) => {
                done = true;
                Some(Err(e))
            }
        }
    }))
}

/// A reader of frames that hashes what it reads.
struct Frames {
    input: BufReader<File>,
    hash: Option<StreamHash>,
    counted: Summary,
    summary: Option<Summary>,
}

impl Frames {
    fn open(path: &Path) -> Result<Self, BackupError> {
        let mut f = Frames {
            input: BufReader::new(File::open(path)?),
            hash: Some(StreamHash::new(HASH_DOMAIN)),
            counted: Summary {
                entries: 0,
                tips: 0,
                bytes: 0,
            },
            summary: None,
        };
        let mut magic = [0; 16];
        f.take(&mut magic).map_err(|e| match e {
            BackupError::Truncated => BackupError::NotABackup,
            other => other,
        })?;
        if &magic != MAGIC {
            return Err(BackupError::NotABackup);
        }
        let version = u32::from_be_bytes(f.array()?);
        if version != VERSION {
            return Err(BackupError::Version(version));
        }
        Ok(f)
    }

    /// The next entry, or `None` after the end marker once the counts and hash match.
    fn next_entry(&mut self) -> Result<Option<Entry>, BackupError> {
        if self.summary.is_some() {
            return Ok(None);
        }
        let [tag] = self.array::<1>()?;
        match tag {
            1 => {
                let [tree_len] = self.array::<1>()?;
                let tree = self.vec(usize::from(tree_len))?;
                let key_len = u16::from_be_bytes(self.array()?);
                let key = self.vec(usize::from(key_len))?;
                let value_len = u32::from_be_bytes(self.array()?) as usize;
                if value_len > MAX_VALUE {
                    return Err(BackupError::Malformed(
                        "a value is larger than storage writes",
                    ));
                }
                let value = self.vec(value_len)?;
                self.counted.entries += 1;
                self.counted.bytes += (key.len() + value.len()) as u64;
                self.counted.tips += u64::from(crate::storage::is_tip_tree(&tree));
                Ok(Some((tree, key, value)))
            }
            0 => {
                let stated = Summary {
                    entries: u64::from_be_bytes(self.array()?),
                    tips: u64::from_be_bytes(self.array()?),
                    bytes: u64::from_be_bytes(self.array()?),
                };
                let computed = self.hash.take().expect("hash is taken once").finish();
                let mut stored = [0; 32];
                read_exact(&mut self.input, &mut stored)?;
                if !ct_eq(&computed, &stored) {
                    return Err(BackupError::HashMismatch);
                }
                if stated != self.counted {
                    return Err(BackupError::Malformed(
                        "the counts at the end disagree with the entries",
                    ));
                }
                let mut extra = [0; 1];
                if self.input.read(&mut extra)? != 0 {
                    return Err(BackupError::Malformed("bytes follow the integrity hash"));
                }
                self.summary = Some(stated);
                Ok(None)
            }
            _ => Err(BackupError::Malformed(
                "an unknown frame tag (a corrupted byte?)",
            )),
        }
    }

    fn take(&mut self, buf: &mut [u8]) -> Result<(), BackupError> {
        read_exact(&mut self.input, buf)?;
        if let Some(h) = self.hash.as_mut() {
            h.update(buf);
        }
        Ok(())
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], BackupError> {
        let mut b = [0; N];
        self.take(&mut b)?;
        Ok(b)
    }

    fn vec(&mut self, n: usize) -> Result<Vec<u8>, BackupError> {
        let mut v = vec![0; n];
        self.take(&mut v)?;
        Ok(v)
    }
}

fn read_exact(r: &mut impl Read, buf: &mut [u8]) -> Result<(), BackupError> {
    r.read_exact(buf).map_err(|e| match e.kind() {
        ErrorKind::UnexpectedEof => BackupError::Truncated,
        _ => BackupError::Io(e),
    })
}
