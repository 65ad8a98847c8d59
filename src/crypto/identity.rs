//! Identities: a person's Ed25519 signing keypair and independent X25519 box keypair.
//!
//! [`Identity`] holds the secrets (on the person's own machine only). [`PublicKeys`] is
//! a parsed and checked [`PublicIdentity`]: the key lengths are right and the key id
//! matches the keys. Signing is crate-internal and always domain-separated through
//! `SignatureDomain`, so a login signature can never pass as a manifest signature;
//! callers use the typed signers in `crypto::keyring` and `crypto::auth`.
//!
//! Must never: print a secret, convert between Ed25519 and X25519 keys, or hand out a
//! secret key's bytes outside this crate.

use std::fmt;

use sodiumoxide::crypto::{box_, sealedbox, sign};
use zeroize::Zeroizing;

use super::{b64_decode, b64_encode, hash32, CryptoError};
use crate::domain::keyring::{PersonName, PublicIdentity};
use crate::domain::KeyId;

/// Length of an Ed25519 signature.
pub const SIGNATURE_LEN: usize = sign::SIGNATUREBYTES;
/// Length of the Ed25519 seed and of the X25519 secret key stored in a key file.
pub const SECRET_LEN: usize = 32;

/// What a signature is for. Each domain prefixes its own tag to the signed message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SignatureDomain {
    /// Keyring manifests: `"tipseal/keyring/v1\0" || body`.
    Keyring,
    /// Login challenges: `"tipseal/auth/v1\0" || challenge || key_id`.
    Auth,
    /// Replies to witnesses: `"tipseal/reply/v1\0" || canonical reply JSON`.
    Reply,
    /// Triage events: `"tipseal/triage-event/v1\0" || event body JSON`.
    TriageEvent,
    /// Export manifests: `"tipseal/export-manifest/v1\0" || manifest.json bytes`.
    ExportManifest,
}

impl SignatureDomain {
    fn tag(self) -> &'static [u8] {
        match self {
            Self::Keyring => b"tipseal/keyring/v1\0",
            Self::Auth => b"tipseal/auth/v1\0",
            Self::Reply => b"tipseal/reply/v1\0",
            Self::TriageEvent => b"tipseal/triage-event/v1\0",
            Self::ExportManifest => b"tipseal/export-manifest/v1\0",
        }
    }

    fn message(self, msg: &[u8]) -> Vec<u8> {
        let mut m = Vec::with_capacity(self.tag().len() + msg.len());
        m.extend_from_slice(self.tag());
        m.extend_from_slice(msg);
        m
    }
}

/// A person's key id: the first 16 bytes of
/// `BLAKE2b-256("tipseal/key-id/v1" || sign_pk || box_pk)`.
pub fn key_id(sign_pk: &[u8; 32], box_pk: &[u8; 32]) -> KeyId {
    let h = hash32(b"tipseal/key-id/v1", &[sign_pk, box_pk]);
    let mut id = [0u8; KeyId::LEN];
    id.copy_from_slice(&h[..KeyId::LEN]);
    KeyId::from_bytes(id)
}

/// A person's secret keys and name. Secrets are wiped on drop; `Debug` shows the key id.
pub struct Identity {
    name: PersonName,
    id: KeyId,
    sign_pk: sign::PublicKey,
    sign_sk: sign::SecretKey,
    box_pk: box_::PublicKey,
    box_sk: box_::SecretKey,
}

impl Identity {
    /// A fresh identity with random keys.
    pub fn generate(name: PersonName) -> Self {
        let seed = Zeroizing::new(super::random_bytes::<SECRET_LEN>());
        let box_secret = Zeroizing::new(super::random_bytes::<SECRET_LEN>());
        // Any 32 bytes are a valid Ed25519 seed and X25519 secret (libsodium's own
        // keypair generators draw exactly that), so this cannot fail.
        Self::from_secrets(name, &seed[..], &box_secret[..])
            .expect("32 random bytes are a valid seed and secret key")
    }

    /// Rebuilds an identity from its Ed25519 seed and X25519 secret (as in a key file).
    pub(crate) fn from_secrets(
        name: PersonName,
        seed: &[u8],
        box_secret: &[u8],
    ) -> Result<Self, CryptoError> {
        let seed = sign::Seed::from_slice(seed).ok_or(CryptoError::InvalidKey("bad seed"))?;
        let (sign_pk, sign_sk) = sign::keypair_from_seed(&seed);
        let box_sk = box_::SecretKey::from_slice(box_secret)
            .ok_or(CryptoError::InvalidKey("bad box secret key"))?;
        let box_pk = box_sk.public_key();
        let id = key_id(&sign_pk.0, &box_pk.0);
        Ok(Self {
            name,
            id,
            sign_pk,
            sign_sk,
            box_pk,
            box_sk,
        })
    }

    /// The Ed25519 seed and X25519 secret, for the key file. Zeroized on drop.
    pub(crate) fn secrets(&self) -> Zeroizing<[u8; 2 * SECRET_LEN]> {
        let mut out = Zeroizing::new([0u8; 2 * SECRET_LEN]);
        // An Ed25519 secret key is seed || public key.
        out[..SECRET_LEN].copy_from_slice(&self.sign_sk.0[..SECRET_LEN]);
        out[SECRET_LEN..].copy_from_slice(&self.box_sk.0);
        out
    }

    /// The display name.
    pub fn name(&self) -> &PersonName {
        &self.name
    }

    /// The key id.
    pub fn key_id(&self) -> KeyId {
        self.id
    }

    /// The public half, as listed in manifests and `.pub` files.
    pub fn public(&self) -> PublicIdentity {
        PublicIdentity {
            id: self.id,
            name: self.name.clone(),
            sign_pk: b64_encode(&self.sign_pk.0),
            box_pk: b64_encode(&self.box_pk.0),
        }
    }

    /// The public half, parsed.
    pub fn public_keys(&self) -> PublicKeys {
        PublicKeys {
            id: self.id,
            name: self.name.clone(),
            sign_pk: self.sign_pk,
            box_pk: self.box_pk,
        }
    }

    /// Signs `domain tag || msg`.
    pub(crate) fn sign(&self, domain: SignatureDomain, msg: &[u8]) -> [u8; SIGNATURE_LEN] {
        sign::sign_detached(&domain.message(msg), &self.sign_sk).to_bytes()
    }

    /// Opens a sealed box addressed to this identity's box key (a grant).
    pub(crate) fn open_sealed(&self, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        sealedbox::open(sealed, &self.box_pk, &self.box_sk)
            .map(Zeroizing::new)
            .map_err(|()| CryptoError::DecryptionFailed)
    }
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Identity({}, {:?}, ..)", self.id, self.name)
    }
}

/// Someone's public keys, checked: right lengths, and the id is derived from the keys.
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKeys {
    id: KeyId,
    name: PersonName,
    sign_pk: sign::PublicKey,
    box_pk: box_::PublicKey,
}

impl PublicKeys {
    /// Parses and checks a manifest entry or public key file.
    pub fn from_identity(p: &PublicIdentity) -> Result<Self, CryptoError> {
        let sign_pk = b64_decode(&p.sign_pk)
            .and_then(|b| sign::PublicKey::from_slice(&b))
            .ok_or(CryptoError::InvalidKey(
                "a signing public key is 32 base64url bytes",
            ))?;
        let box_pk = b64_decode(&p.box_pk)
            .and_then(|b| box_::PublicKey::from_slice(&b))
            .ok_or(CryptoError::InvalidKey(
                "a box public key is 32 base64url bytes",
            ))?;
        if key_id(&sign_pk.0, &box_pk.0) != p.id {
            return Err(CryptoError::InvalidKey(
                "the key id does not match the keys",
            ));
        }
        Ok(Self {
            id: p.id,
            name: p.name.clone(),
            sign_pk,
            box_pk,
        })
    }

    /// The key id.
    pub fn id(&self) -> KeyId {
        self.id
    }

    /// The display name.
    pub fn name(&self) -> &PersonName {
        &self.name
    }

    /// The key id grouped for reading aloud: `1a2b 3c4d … ` (8 groups of 4 hex digits).
    pub fn fingerprint(&self) -> String {
        let hex = self.id.to_string();
        let groups: Vec<&str> = (0..8).map(|i| &hex[i * 4..i * 4 + 4]).collect();
        groups.join(" ")
    }

    /// Back to the JSON form.
    pub fn to_identity(&self) -> PublicIdentity {
        PublicIdentity {
            id: self.id,
            name: self.name.clone(),
            sign_pk: b64_encode(&self.sign_pk.0),
            box_pk: b64_encode(&self.box_pk.0),
        }
    }

    /// Checks a signature of `domain tag || msg`.
    pub(crate) fn verify(&self, domain: SignatureDomain, msg: &[u8], sig: &[u8]) -> bool {
        let Ok(sig) = sign::Signature::from_bytes(sig) else {
            return false;
        };
        sign::verify_detached(&sig, &domain.message(msg), &self.sign_pk)
    }

    /// `crypto_box_seal(msg, box_pk)`: only this person can open it.
    pub fn seal_to_box(&self, msg: &[u8]) -> Vec<u8> {
        sealedbox::seal(msg, &self.box_pk)
    }
}

impl fmt::Debug for PublicKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKeys({}, {:?})", self.id, self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alice() -> Identity {
        super::super::init().unwrap();
        Identity::generate(PersonName::parse("alice").unwrap())
    }

    #[test]
    fn public_keys_round_trip_and_check_the_id() {
        let a = alice();
        let pk = PublicKeys::from_identity(&a.public()).unwrap();
        assert_eq!(pk.id(), a.key_id());
        assert_eq!(pk.to_identity(), a.public());
        let mut forged = a.public();
        forged.box_pk = alice().public().box_pk;
        assert!(PublicKeys::from_identity(&forged).is_err());
        let mut short = a.public();
        short.sign_pk = b64_encode(&[1u8; 31]);
        assert!(PublicKeys::from_identity(&short).is_err());
    }

    #[test]
    fn signatures_are_bound_to_their_domain() {
        let a = alice();
        let pk = a.public_keys();
        let sig = a.sign(SignatureDomain::Keyring, b"body");
        assert!(pk.verify(SignatureDomain::Keyring, b"body", &sig));
        assert!(!pk.verify(SignatureDomain::Auth, b"body", &sig));
        assert!(!pk.verify(SignatureDomain::Keyring, b"bodx", &sig));
        assert!(!alice()
            .public_keys()
            .verify(SignatureDomain::Keyring, b"body", &sig));
        assert!(!pk.verify(SignatureDomain::Keyring, b"body", &sig[..63]));
    }

    #[test]
    fn an_identity_survives_its_secrets_and_opens_what_is_sealed_to_it() {
        let a = alice();
        let s = a.secrets();
        let b = Identity::from_secrets(a.name().clone(), &s[..32], &s[32..]).unwrap();
        assert_eq!(b.public(), a.public());
        let sealed = a.public_keys().seal_to_box(b"grant");
        assert_eq!(&b.open_sealed(&sealed).unwrap()[..], b"grant");
        assert!(alice().open_sealed(&sealed).is_err());
    }

    #[test]
    fn debug_output_shows_no_secret() {
        let a = alice();
        let shown = format!("{a:?}");
        let seed_hex = hex::encode(&a.secrets()[..32]);
        assert!(!shown.contains(&seed_hex[..16]));
        assert!(shown.contains(&a.key_id().to_string()));
        assert_eq!(a.public_keys().fingerprint().len(), 39);
    }
}
