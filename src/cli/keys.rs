//! Key files as the command line reads and makes them: every error names the file and
//! says what to do (a missing file, a public key given where the secret one is needed and
//! the reverse), and a new passphrase that is easy to guess gets a warning.
//!
//! The cryptography stays in `crypto::keyfile`; this module only words its refusals for
//! people. Must never: print a passphrase, a secret key or any part of them, or refuse a
//! passphrase (the choice stays the key owner's: we warn).

use std::path::Path;

use crate::crypto::identity::Identity;
use crate::crypto::keyfile::{self, SECRET_KEY_FORMAT};
use crate::crypto::CryptoError;
use crate::domain::keyring::{PublicIdentity, PUBLIC_KEY_FORMAT};

use super::{passphrase, CliError};

/// Shortest passphrase that is not called weak: 12 characters. Below that, an argon2id
/// key file stolen from a laptop falls to an offline guesser with a GPU budget in days.
pub const MIN_PASSPHRASE_CHARS: usize = 12;
/// Fewest different characters a passphrase needs not to be called weak ("aaaaaaaaaaaa",
/// "121212121212" are long but guessed first).
pub const MIN_DISTINCT_CHARS: usize = 6;

/// Unlocks the secret key in `path`, asking for its passphrase (or `TIPSEAL_PASSPHRASE`).
pub fn unlock(path: &Path) -> Result<Identity, CliError> {
    refuse_public_as_secret(path)?;
    let pass = passphrase::read(&path.display().to_string())?;
    keyfile::read_identity(path, &pass).map_err(|e| named(path, e))
}

/// Reads a public key file (`FILE.pub`), refusing a secret key file given in its place.
pub fn read_public(path: &Path) -> Result<PublicIdentity, CliError> {
    if format_of(path).as_deref() == Some(SECRET_KEY_FORMAT) {
        return Err(CliError::Usage(format!(
            "{} is a SECRET key file, where a public key is expected: give its public half \
             ({}.pub) instead. Never hand the secret file to anyone, the server included",
            path.display(),
            path.display()
        )));
    }
    keyfile::read_public(path).map_err(|e| named(path, e))
}

/// Before a new key is made (and its passphrase asked for and hashed): its directory
/// must exist, and neither `path` nor `path.pub` may (a key file is never overwritten).
pub fn check_new_key_path(path: &Path) -> Result<(), CliError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        return Err(CliError::Usage(format!(
            "--out {}: the directory {} does not exist. Create it or choose another place",
            path.display(),
            dir.display()
        )));
    }
    let public = keyfile::public_path(path);
    for p in [path, public.as_path()] {
        if p.exists() {
            return Err(CliError::Usage(format!(
                "{} already exists, and a key file is never overwritten: choose another --out",
                p.display()
            )));
        }
    }
    Ok(())
}

/// Writes a new identity to `path` and `path.pub`; errors name the file.
pub fn write_new(
    path: &Path,
    id: &Identity,
    pass: &crate::crypto::keyfile::Passphrase,
    strength: keyfile::KdfStrength,
) -> Result<(), CliError> {
    keyfile::write_identity(path, id, pass, strength).map_err(|e| named(path, e))
}

/// Says whether a new passphrase is easy to guess, and why (`None`: not weak by this
/// floor). A floor, not an estimate: length and variety only, no dictionary.
pub fn weakness(pass: &str) -> Option<&'static str> {
    let chars = pass.chars().count();
    let mut distinct: Vec<char> = pass.chars().collect();
    distinct.sort_unstable();
    distinct.dedup();
    if chars < MIN_PASSPHRASE_CHARS {
        Some("it is shorter than 12 characters")
    } else if distinct.len() < MIN_DISTINCT_CHARS {
        Some("it repeats a handful of characters")
    } else {
        None
    }
}

/// Prints a warning on stderr when `pass` is weak (see [`weakness`]); never refuses it.
pub fn warn_if_weak(pass: &str) {
    if let Some(why) = weakness(pass) {
        eprintln!(
            "warning: this passphrase is easy to guess ({why}). Anyone who copies the key \
             file can try passphrases offline: four or more random words are better."
        );
    }
}

/// Most bytes read to find a key file's `format` (key files are a few hundred bytes).
const MAX_PEEK: u64 = 64 * 1024;

/// The `format` field of a JSON key file, if it has one (nothing else is looked at).
fn format_of(path: &Path) -> Option<String> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .ok()?
        .take(MAX_PEEK)
        .read_to_end(&mut bytes)
        .ok()?;
    #[derive(serde::Deserialize)]
    struct Format {
        format: String,
    }
    serde_json::from_slice::<Format>(&bytes)
        .ok()
        .map(|f| f.format)
}

fn refuse_public_as_secret(path: &Path) -> Result<(), CliError> {
    if format_of(path).as_deref() == Some(PUBLIC_KEY_FORMAT) {
        return Err(CliError::Usage(format!(
            "{} is a public key file, where your secret key file is expected (the one \
             `tipseal keygen --out FILE` wrote as FILE, without .pub)",
            path.display()
        )));
    }
    Ok(())
}

/// A key-file error with the file's name in it.
fn named(path: &Path, e: CryptoError) -> CliError {
    match e {
        CryptoError::Io(io) => CliError::File(path.to_owned(), io),
        CryptoError::WrongPassphrase => CliError::Usage(format!(
            "{}: wrong passphrase, or the key file is damaged",
            path.display()
        )),
        CryptoError::InvalidKey(why) => CliError::Usage(format!("{}: {why}", path.display())),
        other => other.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_or_repetitive_passphrases_are_weak_and_long_varied_ones_are_not() {
        assert!(weakness("hunter2").is_some());
        assert!(weakness("aaaaaaaaaaaaaaaaaaaa").is_some());
        assert!(weakness("121212121212121").is_some());
        assert!(weakness("correct horse battery staple").is_none());
        // Characters, not bytes: twelve Hangul syllables are twelve.
        assert!(weakness("북쪽문밤열시이후여권반장님").is_none());
    }
}
