//! Encryption at rest for the reviewer's local store (`reviewer::store`).
//!
//! A [`StoreKey`] is 32 random bytes. The store keeps it only as
//! `crypto_box_seal(store_key, reviewer_box_pk)`, so opening the store needs the
//! reviewer's [`Identity`]. Every value is sealed with XChaCha20-Poly1305 (IETF, random
//! 24-byte nonce) under the store key, with associated data
//! `"tipseal/local-store/v1\0" || table || "\0" || key`: a value copied to another row
//! or another table no longer opens.
//!
//! Must never: expose the store key's bytes (no `Debug`, no accessor), reuse a nonce on
//! purpose, or say why a value failed to open.

use std::fmt;

use sodiumoxide::crypto::aead::xchacha20poly1305_ietf as aead;
use zeroize::Zeroizing;

use super::identity::{Identity, PublicKeys};
use super::CryptoError;

/// Length of the store key.
pub const STORE_KEY_LEN: usize = 32;
/// Bytes a sealed value adds to its plaintext: the nonce and the tag.
pub const VALUE_OVERHEAD: usize = aead::NONCEBYTES + aead::TAGBYTES;

const AD_TAG: &[u8] = b"tipseal/local-store/v1\0";

/// The symmetric key of one local store. sodiumoxide's key type wipes itself on drop;
/// `Debug` shows nothing.
pub struct StoreKey(aead::Key);

impl StoreKey {
    /// A fresh random key.
    pub fn generate() -> Result<Self, CryptoError> {
        super::init()?;
        Ok(Self(aead::gen_key()))
    }

    /// `crypto_box_seal(key, owner's box key)`: what the store file keeps.
    pub fn seal_for(&self, owner: &PublicKeys) -> Vec<u8> {
        owner.seal_to_box(&self.0 .0)
    }

    /// Opens a key sealed by [`StoreKey::seal_for`]. Fails when `identity` is not the
    /// one it was sealed for (or the bytes were changed).
    pub fn open_sealed(sealed: &[u8], identity: &Identity) -> Result<Self, CryptoError> {
        super::init()?;
        let raw = identity.open_sealed(sealed)?;
        aead::Key::from_slice(&raw)
            .map(Self)
            .ok_or(CryptoError::InvalidKey(
                "a local store key must be 32 bytes",
            ))
    }

    /// Seals one value of row `key` in table `table`: `nonce || ciphertext || tag`.
    pub fn seal_value(&self, table: &str, key: &[u8], plaintext: &[u8]) -> Vec<u8> {
        let nonce = aead::gen_nonce();
        let ct = aead::seal(
            plaintext,
            Some(&associated_data(table, key)),
            &nonce,
            &self.0,
        );
        let mut out = Vec::with_capacity(aead::NONCEBYTES + ct.len());
        out.extend_from_slice(&nonce.0);
        out.extend_from_slice(&ct);
        out
    }

    /// Opens a value sealed by [`StoreKey::seal_value`] for the same table and key.
    pub fn open_value(
        &self,
        table: &str,
        key: &[u8],
        sealed: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        if sealed.len() < VALUE_OVERHEAD {
            return Err(CryptoError::DecryptionFailed);
        }
        let (nonce, ct) = sealed.split_at(aead::NONCEBYTES);
        let nonce = aead::Nonce::from_slice(nonce).ok_or(CryptoError::DecryptionFailed)?;
        aead::open(ct, Some(&associated_data(table, key)), &nonce, &self.0)
            .map(Zeroizing::new)
            .map_err(|()| CryptoError::DecryptionFailed)
    }
}

impl fmt::Debug for StoreKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StoreKey(..)")
    }
}

/// Table names never contain NUL, so `table || 0 || key` is unambiguous.
fn associated_data(table: &str, key: &[u8]) -> Vec<u8> {
    let mut ad = Vec::with_capacity(AD_TAG.len() + table.len() + 1 + key.len());
    ad.extend_from_slice(AD_TAG);
    ad.extend_from_slice(table.as_bytes());
    ad.push(0);
    ad.extend_from_slice(key);
    ad
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::keyring::PersonName;

    fn person(name: &str) -> Identity {
        Identity::generate(PersonName::parse(name).unwrap())
    }

    #[test]
    fn key_opens_only_for_its_owner() {
        let (alice, bob) = (person("alice"), person("bob"));
        let key = StoreKey::generate().unwrap();
        let sealed = key.seal_for(&alice.public_keys());
        let reopened = StoreKey::open_sealed(&sealed, &alice).unwrap();
        let v = key.seal_value("tips", b"k", b"hello");
        assert_eq!(
            &reopened.open_value("tips", b"k", &v).unwrap()[..],
            b"hello"
        );
        assert!(StoreKey::open_sealed(&sealed, &bob).is_err());
    }

    #[test]
    fn value_is_bound_to_table_and_key() {
        let key = StoreKey::generate().unwrap();
        let v = key.seal_value("tips", b"k1", b"secret");
        assert!(key.open_value("tips", b"k2", &v).is_err());
        assert!(key.open_value("meta", b"k1", &v).is_err());
        let mut flipped = v.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert!(key.open_value("tips", b"k1", &flipped).is_err());
        assert!(key
            .open_value("tips", b"k1", &v[..VALUE_OVERHEAD - 1])
            .is_err());
    }

    #[test]
    fn debug_hides_the_key() {
        let key = StoreKey::generate().unwrap();
        assert_eq!(format!("{key:?}"), "StoreKey(..)");
    }
}
