//! Epoch intake keys: the X25519 keypair that tips of one key epoch are sealed to.
//!
//! The public half is published in the keyring manifest; the secret half exists only
//! inside grants (sealed boxes to each reviewer) and, for a moment, in the admin client
//! that generates it. The server only ever sees `IntakePublicKey`.

use sodiumoxide::crypto::{box_, sealedbox};
use zeroize::Zeroizing;

use super::CryptoError;

/// Length of an X25519 public or secret key.
pub const KEY_LEN: usize = 32;
/// Bytes a sealed box adds to its message.
pub const SEAL_OVERHEAD: usize = sealedbox::SEALBYTES;

/// The public intake key of an epoch.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct IntakePublicKey(box_::PublicKey);

/// The secret intake key of an epoch. Zeroized on drop (sodiumoxide's `SecretKey` wipes
/// itself); never printed.
pub struct IntakeSecretKey(box_::SecretKey);

impl std::fmt::Debug for IntakeSecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IntakeSecretKey(..)")
    }
}

/// A fresh intake keypair.
pub fn generate() -> (IntakePublicKey, IntakeSecretKey) {
    let (pk, sk) = box_::gen_keypair();
    (IntakePublicKey(pk), IntakeSecretKey(sk))
}

impl IntakePublicKey {
    /// Parses 32 raw bytes.
    pub fn from_bytes(b: &[u8]) -> Result<Self, CryptoError> {
        box_::PublicKey::from_slice(b)
            .map(Self)
            .ok_or(CryptoError::InvalidKey("an intake public key is 32 bytes"))
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; KEY_LEN] {
        &self.0 .0
    }

    /// `crypto_box_seal(msg, self)`: anyone can seal, only the secret key holder opens.
    pub fn seal(&self, msg: &[u8]) -> Vec<u8> {
        sealedbox::seal(msg, &self.0)
    }
}

impl IntakeSecretKey {
    /// Parses 32 raw bytes (as opened from a grant); derives the public half.
    pub fn from_bytes(b: &[u8]) -> Result<Self, CryptoError> {
        box_::SecretKey::from_slice(b)
            .map(Self)
            .ok_or(CryptoError::InvalidKey("an intake secret key is 32 bytes"))
    }

    /// The raw secret, for sealing it into a grant. Zeroized when the copy drops.
    pub fn to_bytes(&self) -> Zeroizing<[u8; KEY_LEN]> {
        Zeroizing::new(self.0 .0)
    }

    /// The matching public key.
    pub fn public_key(&self) -> IntakePublicKey {
        IntakePublicKey(self.0.public_key())
    }

    /// Opens a sealed box addressed to this key. The plaintext is zeroized on drop.
    pub fn open(&self, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        sealedbox::open(sealed, &self.public_key().0, &self.0)
            .map(Zeroizing::new)
            .map_err(|()| CryptoError::DecryptionFailed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_box_opens_only_with_the_matching_secret() {
        super::super::init().unwrap();
        let (pk, sk) = generate();
        let (_, other) = generate();
        let sealed = pk.seal(b"content key");
        assert_eq!(sealed.len(), 11 + SEAL_OVERHEAD);
        assert_eq!(&sk.open(&sealed).unwrap()[..], b"content key");
        assert!(other.open(&sealed).is_err());
    }

    #[test]
    fn a_secret_key_round_trips_through_bytes() {
        super::super::init().unwrap();
        let (pk, sk) = generate();
        let back = IntakeSecretKey::from_bytes(&sk.to_bytes()[..]).unwrap();
        assert_eq!(back.public_key(), pk);
        assert_eq!(format!("{back:?}"), "IntakeSecretKey(..)");
    }
}
