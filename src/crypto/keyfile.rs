//! Passphrase-protected identity files (`tipseal/secret-key/v1`) and their `.pub` files.
//!
//! The secret file is JSON; its `ciphertext` is `crypto_secretbox` (XSalsa20-Poly1305)
//! under a key derived from the passphrase with Argon2id, of
//! `sign_seed(32) || box_secret(32) || key_id(16) || name (UTF-8)`. The id and name in
//! the plaintext must match the JSON fields, and the id must match the keys, so editing
//! the file's visible fields is detected. Secret files are created with mode 0600 and
//! never overwritten.
//!
//! Must never: accept an empty passphrase, write a secret in clear, keep a decrypted
//! buffer that is not zeroized, or let a key file ask for unbounded Argon2 work.

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sodiumoxide::crypto::pwhash::argon2id13 as argon;
use sodiumoxide::crypto::secretbox;
use zeroize::Zeroizing;

use super::identity::{Identity, PublicKeys, SECRET_LEN};
use super::{b64_decode, b64_encode, CryptoError};
use crate::domain::keyring::{
    PersonName, PublicIdentity, PublicKeyFile, MAX_PUBLIC_KEY_FILE_BYTES,
};
use crate::domain::KeyId;

/// The `format` of a secret key file.
pub const SECRET_KEY_FORMAT: &str = "tipseal/secret-key/v1";
/// The only key derivation function written and accepted.
pub const KDF_NAME: &str = "argon2id13";
/// Largest secret key file read: one is about 500 bytes.
pub const MAX_SECRET_KEY_FILE_BYTES: usize = 8 * 1024;

/// A passphrase: zeroized on drop, never printed.
pub struct Passphrase(Zeroizing<String>);

impl Passphrase {
    /// Wraps a passphrase (as read by the CLI's prompt).
    pub fn new(s: String) -> Self {
        Self(Zeroizing::new(s))
    }

    /// Whether it is empty (empty passphrases are refused when writing).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl From<String> for Passphrase {
    fn from(s: String) -> Self {
        Self::new(s)
    }
}

impl fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Passphrase(..)")
    }
}

/// How much Argon2id work protects a key file (libsodium's presets).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum KdfStrength {
    /// 64 MiB, fast: tests only, or very weak machines.
    Interactive,
    /// 256 MiB, about a second: the default.
    #[default]
    Moderate,
    /// 1 GiB, several seconds: for admin keys kept offline.
    Sensitive,
}

impl KdfStrength {
    fn limits(self) -> (argon::OpsLimit, argon::MemLimit) {
        match self {
            Self::Interactive => (argon::OPSLIMIT_INTERACTIVE, argon::MEMLIMIT_INTERACTIVE),
            Self::Moderate => (argon::OPSLIMIT_MODERATE, argon::MEMLIMIT_MODERATE),
            Self::Sensitive => (argon::OPSLIMIT_SENSITIVE, argon::MEMLIMIT_SENSITIVE),
        }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SecretKeyFile {
    format: String,
    id: KeyId,
    name: PersonName,
    kdf: String,
    opslimit: u64,
    memlimit: u64,
    salt: String,
    nonce: String,
    ciphertext: String,
}

/// The public key file written next to a secret key file: `path` + `.pub`.
pub fn public_path(path: &Path) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(".pub");
    PathBuf::from(p)
}

/// Writes `id` to `path` (mode 0600, encrypted under `pass`) and its public key file to
/// `path.pub` (mode 0644). Refuses an empty passphrase and existing files.
pub fn write_identity(
    path: &Path,
    id: &Identity,
    pass: &Passphrase,
    strength: KdfStrength,
) -> Result<(), CryptoError> {
    if pass.is_empty() {
        return Err(CryptoError::InvalidKey("the passphrase must not be empty"));
    }
    let (ops, mem) = strength.limits();
    let salt = argon::gen_salt();
    let key = derive_key(pass, &salt, ops.0 as u64, mem.0 as u64)?;
    let nonce = secretbox::gen_nonce();
    let plain = plaintext(id);
    let file = SecretKeyFile {
        format: SECRET_KEY_FORMAT.to_owned(),
        id: id.key_id(),
        name: id.name().clone(),
        kdf: KDF_NAME.to_owned(),
        opslimit: ops.0 as u64,
        memlimit: mem.0 as u64,
        salt: b64_encode(&salt.0),
        nonce: b64_encode(&nonce.0),
        ciphertext: b64_encode(&secretbox::seal(&plain, &nonce, &key)),
    };
    let mut json = serde_json::to_vec_pretty(&file).expect("a key file serializes");
    json.push(b'\n');

    let pub_path = public_path(path);
    let mut secret = create_new(path, 0o600)?;
    let mut public = match create_new(&pub_path, 0o644) {
        Ok(f) => f,
        Err(e) => {
            drop(secret);
            let _ = fs::remove_file(path);
            return Err(e);
        }
    };
    let written = (|| -> Result<(), CryptoError> {
        secret.write_all(&json)?;
        secret.sync_all()?;
        public.write_all(&PublicKeyFile::to_json(&id.public()))?;
        public.sync_all()?;
        Ok(())
    })();
    if written.is_err() {
        // Leave no half-written key behind (both files were created by this call).
        let _ = fs::remove_file(path);
        let _ = fs::remove_file(&pub_path);
    }
    written
}

/// Reads and decrypts an identity. A wrong passphrase and a damaged ciphertext both
/// give [`CryptoError::WrongPassphrase`].
pub fn read_identity(path: &Path, pass: &Passphrase) -> Result<Identity, CryptoError> {
    let bytes = read_capped(path, MAX_SECRET_KEY_FILE_BYTES)?;
    let file: SecretKeyFile = serde_json::from_slice(&bytes)
        .map_err(|_| CryptoError::InvalidKey("the key file is not a tipseal secret key file"))?;
    if file.format != SECRET_KEY_FORMAT || file.kdf != KDF_NAME {
        return Err(CryptoError::InvalidKey(
            "the key file is not a tipseal secret key file",
        ));
    }
    let salt = b64_decode(&file.salt)
        .and_then(|b| argon::Salt::from_slice(&b))
        .ok_or(CryptoError::InvalidKey("the key file's salt is malformed"))?;
    let nonce = b64_decode(&file.nonce)
        .and_then(|b| secretbox::Nonce::from_slice(&b))
        .ok_or(CryptoError::InvalidKey("the key file's nonce is malformed"))?;
    let ct = b64_decode(&file.ciphertext).ok_or(CryptoError::InvalidKey(
        "the key file's ciphertext is malformed",
    ))?;
    let key = derive_key(pass, &salt, file.opslimit, file.memlimit)?;
    let plain = Zeroizing::new(
        secretbox::open(&ct, &nonce, &key).map_err(|()| CryptoError::WrongPassphrase)?,
    );
    let tampered = CryptoError::InvalidKey("the key file's id or name was altered");
    if plain.len() < 2 * SECRET_LEN + KeyId::LEN {
        return Err(tampered);
    }
    let (secrets, rest) = plain.split_at(2 * SECRET_LEN);
    let (inner_id, inner_name) = rest.split_at(KeyId::LEN);
    let identity = Identity::from_secrets(file.name.clone(), &secrets[..32], &secrets[32..])?;
    if inner_id != file.id.as_bytes()
        || identity.key_id() != file.id
        || inner_name != file.name.as_str().as_bytes()
    {
        return Err(tampered);
    }
    Ok(identity)
}

/// Reads a public key file and checks that its id matches its keys.
pub fn read_public(path: &Path) -> Result<PublicIdentity, CryptoError> {
    let bytes = read_capped(path, MAX_PUBLIC_KEY_FILE_BYTES)?;
    let p = PublicKeyFile::from_json(&bytes)?;
    PublicKeys::from_identity(&p)?;
    Ok(p)
}

fn plaintext(id: &Identity) -> Zeroizing<Vec<u8>> {
    let mut p = Zeroizing::new(Vec::with_capacity(2 * SECRET_LEN + KeyId::LEN + 256));
    p.extend_from_slice(&id.secrets()[..]);
    p.extend_from_slice(id.key_id().as_bytes());
    p.extend_from_slice(id.name().as_str().as_bytes());
    p
}

/// Argon2id with limits bounded to libsodium's presets, so a crafted key file cannot ask
/// for more than the Sensitive preset's memory and time.
fn derive_key(
    pass: &Passphrase,
    salt: &argon::Salt,
    ops: u64,
    mem: u64,
) -> Result<secretbox::Key, CryptoError> {
    let (min_ops, min_mem) = KdfStrength::Interactive.limits();
    let (max_ops, max_mem) = KdfStrength::Sensitive.limits();
    let ops_ok = (min_ops.0 as u64..=max_ops.0 as u64).contains(&ops);
    let mem_ok = (min_mem.0 as u64..=max_mem.0 as u64).contains(&mem);
    if !ops_ok || !mem_ok {
        return Err(CryptoError::InvalidKey(
            "the key file's Argon2 limits are out of range",
        ));
    }
    let mut key = secretbox::Key([0u8; secretbox::KEYBYTES]);
    argon::derive_key(
        &mut key.0,
        pass.bytes(),
        salt,
        argon::OpsLimit(ops as usize),
        argon::MemLimit(mem as usize),
    )
    .map_err(|()| CryptoError::InvalidKey("Argon2 could not allocate its memory"))?;
    Ok(key)
}

fn create_new(path: &Path, mode: u32) -> Result<File, CryptoError> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
        .map_err(CryptoError::Io)
}

fn read_capped(path: &Path, cap: usize) -> Result<Vec<u8>, CryptoError> {
    let mut out = Vec::new();
    File::open(path)?
        .take(cap as u64 + 1)
        .read_to_end(&mut out)?;
    if out.len() > cap {
        return Err(CryptoError::InvalidKey("the key file is too large"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn setup() -> (tempfile::TempDir, PathBuf, Identity, Passphrase) {
        super::super::init().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ada.key");
        let id = Identity::generate(PersonName::parse("Ada").unwrap());
        let pass = Passphrase::new("correct horse battery staple".into());
        write_identity(&path, &id, &pass, KdfStrength::Interactive).unwrap();
        (dir, path, id, pass)
    }

    #[test]
    fn an_identity_round_trips_through_its_key_file() {
        let (_d, path, id, pass) = setup();
        let back = read_identity(&path, &pass).unwrap();
        assert_eq!(back.public(), id.public());
        assert_eq!(read_public(&public_path(&path)).unwrap(), id.public());
    }

    #[test]
    fn a_wrong_passphrase_is_refused() {
        let (_d, path, _id, _pass) = setup();
        let wrong = Passphrase::new("correct horse battery stapler".into());
        assert!(matches!(
            read_identity(&path, &wrong),
            Err(CryptoError::WrongPassphrase)
        ));
    }

    #[test]
    fn the_secret_file_is_private_and_the_public_file_is_not() {
        let (_d, path, _id, _pass) = setup();
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let pub_mode = fs::metadata(public_path(&path))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(pub_mode & 0o600, 0o600);
    }

    #[test]
    fn an_existing_file_is_never_overwritten_and_empty_passphrases_are_refused() {
        let (_d, path, id, pass) = setup();
        let before = fs::read(&path).unwrap();
        assert!(write_identity(&path, &id, &pass, KdfStrength::Interactive).is_err());
        assert_eq!(fs::read(&path).unwrap(), before);
        let other = path.with_file_name("other.key");
        let empty = Passphrase::new(String::new());
        assert!(write_identity(&other, &id, &empty, KdfStrength::Interactive).is_err());
        assert!(!other.exists());
    }

    #[test]
    fn an_existing_public_file_blocks_the_write_and_is_left_alone() {
        let (_d, path, id, pass) = setup();
        let other = path.with_file_name("rui.key");
        fs::write(public_path(&other), b"someone else's").unwrap();
        assert!(write_identity(&other, &id, &pass, KdfStrength::Interactive).is_err());
        assert!(!other.exists());
        assert_eq!(fs::read(public_path(&other)).unwrap(), b"someone else's");
    }

    fn edit(path: &Path, f: impl FnOnce(&mut serde_json::Value)) {
        let mut v: serde_json::Value = serde_json::from_slice(&fs::read(path).unwrap()).unwrap();
        f(&mut v);
        fs::write(path, serde_json::to_vec(&v).unwrap()).unwrap();
    }

    #[test]
    fn a_tampered_file_is_refused() {
        let (_d, path, _id, pass) = setup();
        let original = fs::read(&path).unwrap();
        edit(&path, |v| v["name"] = "Mallory".into());
        assert!(read_identity(&path, &pass).is_err());
        fs::write(&path, &original).unwrap();
        edit(&path, |v| {
            let mut ct = b64_decode(v["ciphertext"].as_str().unwrap()).unwrap();
            ct[20] ^= 1;
            v["ciphertext"] = b64_encode(&ct).into();
        });
        assert!(matches!(
            read_identity(&path, &pass),
            Err(CryptoError::WrongPassphrase)
        ));
        fs::write(&path, &original).unwrap();
        edit(&path, |v| v["memlimit"] = (1u64 << 40).into());
        assert!(read_identity(&path, &pass).is_err());
        fs::write(&path, &original).unwrap();
        edit(&path, |v| v["id"] = "00".repeat(16).into());
        assert!(read_identity(&path, &pass).is_err());
    }

    #[test]
    fn the_secret_file_does_not_contain_the_raw_secrets() {
        let (_d, path, id, _pass) = setup();
        let text = fs::read_to_string(&path).unwrap();
        let secrets = id.secrets();
        for s in [&secrets[..32], &secrets[32..]] {
            assert!(!text.contains(&b64_encode(s)));
            assert!(!text.contains(&hex::encode(s)));
            assert!(!text.as_bytes().windows(32).any(|w| w == s));
        }
        assert!(text.contains(SECRET_KEY_FORMAT));
        assert_eq!(
            format!("{:?}", Passphrase::new("x".into())),
            "Passphrase(..)"
        );
    }
}
