//! Which keyring a client may seal to: the trust anchor, rollback and fork memory, and
//! expiry, applied the same way by the witness (`submit`, `followup`) and the reviewer
//! (`review …`) commands.
//!
//! The rules themselves live in `crypto::keyring` (`verify_chain` with pins,
//! `KeyringMemory::check`, `check_fresh`); this module only decides where the memory is
//! kept and words the refusals and warnings, which it returns for the face to show (it
//! prints nothing). The memory holds the highest epoch and its manifest hash,
//! nothing else: never the server's address in clear, a time, or anything about a tip.
//! It must never let a client seal to a keyring older than, or forked from, one it has
//! already accepted, nor to an expired one.

use std::path::{Path, PathBuf};

use crate::crypto::keyring::{check_fresh, KeyringMemory, VerifiedKeyring};
use crate::crypto::{hash32, CryptoError, KeyringProblem};
use crate::domain::{Day, Epoch, KeyId};

use super::Client;
use super::Error;

/// Where a client keeps what it remembers of a server's keyring.
pub enum Memory {
    /// The witness's file (created on first use).
    File(PathBuf),
    /// A reviewer's `KEY.keyring-pin` beside their key (created on first use, and said so).
    Pin(PathBuf),
    /// Nothing is remembered (`--no-keyring-memory`): rollbacks go unnoticed.
    Off,
}

impl Memory {
    /// The witness's memory of `server`:
    /// `$XDG_STATE_HOME/tipseal/keyrings/<hash of the URL>.json`, else
    /// `$HOME/.local/state/tipseal/keyrings/…`. Errors when neither is set.
    pub fn for_witness(server: &str) -> Result<Self, Error> {
        let base = std::env::var_os("XDG_STATE_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("HOME")
                    .filter(|v| !v.is_empty())
                    .map(|h| PathBuf::from(h).join(".local/state"))
            })
            .ok_or_else(|| {
                Error::Refused(
                    "neither XDG_STATE_HOME nor HOME is set, so the keyring cannot be \
                     remembered: set one, or pass --no-keyring-memory"
                        .into(),
                )
            })?;
        let url = server.trim().trim_end_matches('/').to_ascii_lowercase();
        let name = hex::encode(&hash32(b"tipseal/keyring-memory/v1\0", &[url.as_bytes()])[..16]);
        Ok(Memory::File(
            base.join("tipseal")
                .join("keyrings")
                .join(format!("{name}.json")),
        ))
    }

    /// The reviewer's memory: `KEY.keyring-pin` beside the key file. A file from before
    /// this memory held only the genesis hash: it is read as epoch 1.
    pub fn for_reviewer(key: &Path) -> Self {
        let mut p = key.as_os_str().to_owned();
        p.push(PIN_SUFFIX);
        Memory::Pin(PathBuf::from(p))
    }

    fn path(&self) -> Option<&Path> {
        match self {
            Memory::File(p) | Memory::Pin(p) => Some(p),
            Memory::Off => None,
        }
    }
}

/// What the client is about to do with the keyring.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Use {
    /// Seal something to its current epoch: an expired keyring is refused.
    Seal,
    /// Only read with it (open old tips): an expired keyring is allowed, with a warning.
    Read,
}

/// Applies memory and expiry to a keyring whose chain (and pins) already verified, then
/// remembers it. Refusals say what happened and what to do. What the user should be told
/// besides (warnings, the pin file written) is pushed onto `notes`, in order, even when
/// this then fails: the caller shows them.
pub fn accept(
    keyring: &VerifiedKeyring,
    memory: &Memory,
    usage: Use,
    notes: &mut Vec<String>,
) -> Result<(), Error> {
    let mut first_time = false;
    if let Some(path) = memory.path() {
        match recall(path)? {
            Some(seen) => seen
                .check(keyring)
                .map_err(|e| refusal(e, path, &seen, keyring))?,
            None => first_time = true,
        }
    }
    match check_fresh(keyring, Day::today()) {
        Ok(()) => notes.extend(warn_if_expiring(keyring)),
        Err(_) if usage == Use::Read => notes.push(format!(
            "warning: this server's keyring expired after {}; reading only. Ask an admin to \
             run `tipseal admin renew`.",
            keyring.current().expires
        )),
        Err(_) => {
            return Err(Error::Refused(format!(
                "this server's keyring (epoch {}) expired after {}: nothing was sealed or sent. \
                 Its admin must renew it (`tipseal admin renew`, then publish); try again later.",
                keyring.epoch(),
                keyring.current().expires
            )))
        }
    }
    if let Some(path) = memory.path() {
        remember(path, &KeyringMemory::of(keyring))?;
        if first_time && matches!(memory, Memory::Pin(_)) {
            notes.push(pin_created_note(path, keyring.epoch()));
        }
    }
    Ok(())
}

/// The suffix of a reviewer's pin file, beside their key file.
pub const PIN_SUFFIX: &str = ".keyring-pin";

/// What a reviewer is told when their key's pin file is first written (also the gist of
/// `tipseal review --help`).
fn pin_created_note(path: &Path, epoch: Epoch) -> String {
    format!(
        "note: wrote {}: it remembers this server's keyring (epoch {epoch} and its hash), \
         so commands with this key will refuse a server that later offers an older or a \
         different keyring (which could have you seal replies or re-wraps to a revoked \
         reviewer's key). It holds nothing secret; keep it beside the key. Delete it only \
         if the team tells you, through another channel, that they started a new keyring.",
        path.display()
    )
}

/// The witness's keyring for `server` (`submit` and `followup` alike): fetched, its chain
/// verified against `pins` (the `--admin-key-id` values; none means no anchor), then the
/// witness's memory (unless `no_memory`) and expiry applied by [`accept`] (which pushes
/// onto `notes`).
pub fn witness_keyring(
    client: &Client,
    server: &str,
    pins: &[KeyId],
    no_memory: bool,
    usage: Use,
    notes: &mut Vec<String>,
) -> Result<VerifiedKeyring, Error> {
    let keyring = client.keyring_pinned((!pins.is_empty()).then_some(pins))?;
    let memory = if no_memory {
        Memory::Off
    } else {
        Memory::for_witness(server)?
    };
    accept(&keyring, &memory, usage, notes)?;
    Ok(keyring)
}

/// The warning to show when the current manifest expires within `WARN_DAYS`.
pub fn warn_if_expiring(keyring: &VerifiedKeyring) -> Option<String> {
    let expires = keyring.current().expires;
    let left = expires.days() - Day::today().days();
    (0..=WARN_DAYS).contains(&left).then(|| {
        format!(
            "warning: the keyring (epoch {}) expires after {expires} ({left} day(s) left): \
             an admin should run `tipseal admin renew` and publish it",
            keyring.epoch()
        )
    })
}

/// Days before expiry from which commands warn.
pub const WARN_DAYS: i64 = 14;

fn refusal(e: CryptoError, path: &Path, seen: &KeyringMemory, now: &VerifiedKeyring) -> Error {
    let what = match e {
        CryptoError::Keyring(KeyringProblem::Rollback) => format!(
            "the server now offers key epoch {}, older than epoch {} this client already saw \
             from it: a rolled-back keyring could let a revoked reviewer read what you send",
            now.epoch(),
            seen.epoch
        ),
        CryptoError::Keyring(KeyringProblem::Fork) => format!(
            "the server's keyring does not contain the epoch-{} manifest this client already \
             saw from it (a forked or replaced keyring)",
            seen.epoch
        ),
        other => other.to_string(),
    };
    Error::Refused(format!(
        "{what}. Nothing was sealed or sent. Check with the team through another channel; \
         only if they really started a new keyring, delete {}",
        path.display()
    ))
}

fn recall(path: &Path) -> Result<Option<KeyringMemory>, Error> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::File(path.to_owned(), e)),
    };
    let t = text.trim();
    // The older pin file: the genesis hash alone, which is epoch 1's manifest hash.
    if t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(Some(KeyringMemory {
            epoch: Epoch::FIRST,
            manifest_hash: t.to_ascii_lowercase(),
        }));
    }
    serde_json::from_str(t).map(Some).map_err(|_| {
        Error::Refused(format!(
            "{} is not a keyring memory file; move it away only if you know why it changed",
            path.display()
        ))
    })
}

fn remember(path: &Path, m: &KeyringMemory) -> Result<(), Error> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| Error::File(dir.to_owned(), e))?;
    }
    let mut bytes = serde_json::to_vec(m).expect("a keyring memory serializes");
    bytes.push(b'\n');
    // A temporary name of this process's own, so two commands at once never mix their
    // bytes; the rename makes the last one win whole.
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".{}.tmp", std::process::id()));
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, &bytes).map_err(|e| Error::File(tmp.clone(), e))?;
    std::fs::rename(&tmp, path).map_err(|e| Error::File(path.to_owned(), e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_memory_round_trips_and_an_old_genesis_pin_reads_as_epoch_one() {
        let dir = tempfile::TempDir::new().unwrap();
        let path = dir.path().join("nested/alice.key.keyring-pin");
        assert_eq!(recall(&path).unwrap(), None);
        let m = KeyringMemory {
            epoch: Epoch::new(4).unwrap(),
            manifest_hash: "ab".repeat(32),
        };
        remember(&path, &m).unwrap();
        assert_eq!(recall(&path).unwrap(), Some(m));
        std::fs::write(&path, format!("{}\n", "CD".repeat(32))).unwrap();
        let old = recall(&path).unwrap().unwrap();
        assert_eq!(old.epoch, Epoch::FIRST);
        assert_eq!(old.manifest_hash, "cd".repeat(32));
        std::fs::write(&path, "not a memory").unwrap();
        assert!(recall(&path).is_err());
    }

    fn keyring_valid_for(days: u32) -> VerifiedKeyring {
        crate::crypto::init().unwrap();
        let admin = crate::crypto::identity::Identity::generate(
            crate::domain::keyring::PersonName::parse("ada").unwrap(),
        );
        let file = crate::crypto::keyring::genesis(&admin, days).unwrap();
        crate::crypto::keyring::verify_chain(&file, None).unwrap()
    }

    #[test]
    fn accepting_a_keyring_returns_what_to_say_instead_of_printing_it() {
        let dir = tempfile::TempDir::new().unwrap();
        let memory = Memory::for_reviewer(&dir.path().join("bo.key"));
        let keyring = keyring_valid_for(5);
        let mut notes = Vec::new();
        accept(&keyring, &memory, Use::Seal, &mut notes).unwrap();
        assert_eq!(notes.len(), 2, "{notes:?}");
        assert!(notes[0].starts_with("warning: the keyring (epoch 1) expires after"));
        assert!(notes[1].starts_with("note: wrote ") && notes[1].contains("bo.key.keyring-pin"));
        // The second time: the pin is there, only the expiry warning is left to say.
        let mut again = Vec::new();
        accept(&keyring, &memory, Use::Read, &mut again).unwrap();
        assert_eq!(again, notes[..1]);
        assert_eq!(warn_if_expiring(&keyring_valid_for(365)), None);
    }
}
