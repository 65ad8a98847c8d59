//! Login for reviewers and admins: an Ed25519 signature over a single-use challenge,
//! then a random session token of which the server keeps only a hash.
//!
//! Signed message: `"tipseal/auth/v1\0" || challenge(32) || key_id(16 raw bytes)`.
//! Must never: print a token, or keep a token anywhere but in the client.

use std::fmt;

use zeroize::Zeroizing;

use super::identity::{Identity, PublicKeys, SignatureDomain};
use super::{b64_decode, b64_encode, ct_eq, hash32, random_bytes};
use crate::domain::KeyId;

/// Length of a challenge and of a session token, in bytes.
pub const RANDOM_LEN: usize = 32;

fn login_message(challenge: &[u8; RANDOM_LEN], key_id: KeyId) -> [u8; RANDOM_LEN + KeyId::LEN] {
    let mut m = [0u8; RANDOM_LEN + KeyId::LEN];
    m[..RANDOM_LEN].copy_from_slice(challenge);
    m[RANDOM_LEN..].copy_from_slice(key_id.as_bytes());
    m
}

/// Signs a login challenge with `id`'s signing key; the signature as base64url.
pub fn sign_login(id: &Identity, challenge: &[u8; RANDOM_LEN]) -> String {
    let msg = login_message(challenge, id.key_id());
    b64_encode(&id.sign(SignatureDomain::Auth, &msg))
}

/// Whether `sig_b64` is `pk`'s login signature over `challenge`.
pub fn verify_login(pk: &PublicKeys, challenge: &[u8; RANDOM_LEN], sig_b64: &str) -> bool {
    let Some(sig) = b64_decode(sig_b64) else {
        return false;
    };
    pk.verify(
        SignatureDomain::Auth,
        &login_message(challenge, pk.id()),
        &sig,
    )
}

/// A single-use login challenge: 32 random bytes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Challenge([u8; RANDOM_LEN]);

impl Challenge {
    /// A fresh random challenge.
    pub fn generate() -> Self {
        Self(random_bytes())
    }

    /// Wraps 32 bytes (a stateless challenge built by [`super::challenge`]).
    pub(crate) const fn from_bytes(bytes: [u8; RANDOM_LEN]) -> Self {
        Self(bytes)
    }

    /// Parses the base64url form a client sends back.
    pub fn from_b64(s: &str) -> Option<Self> {
        b64_decode(s)?.try_into().ok().map(Self)
    }

    /// The base64url form sent to the client.
    pub fn to_b64(&self) -> String {
        b64_encode(&self.0)
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; RANDOM_LEN] {
        &self.0
    }
}

/// A session token as handed to the client once: 32 random bytes in base64url. Never
/// printed, zeroized on drop. The server keeps only its [`TokenHash`].
pub struct SessionToken(Zeroizing<String>);

impl SessionToken {
    /// A fresh token and the hash to store.
    pub fn generate() -> (SessionToken, TokenHash) {
        let raw = Zeroizing::new(random_bytes::<RANDOM_LEN>());
        let token = SessionToken(Zeroizing::new(b64_encode(&raw[..])));
        (token, TokenHash::of_raw(&raw))
    }

    /// The token text, to put in the login response (and nowhere else).
    pub fn expose_secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionToken(..)")
    }
}

/// `BLAKE2b-256("tipseal/token/v1" || token bytes)`: what the server stores and looks
/// up. Compared in constant time.
#[derive(Clone, Copy, Eq)]
pub struct TokenHash([u8; 32]);

impl TokenHash {
    /// The hash of a presented `Authorization: Bearer` token; `None` if it cannot be a
    /// token (not base64url of 32 bytes).
    pub fn of(presented: &str) -> Option<TokenHash> {
        let raw = Zeroizing::new(b64_decode(presented)?);
        let raw: &[u8; RANDOM_LEN] = raw.as_slice().try_into().ok()?;
        Some(Self::of_raw(raw))
    }

    fn of_raw(raw: &[u8; RANDOM_LEN]) -> TokenHash {
        TokenHash(hash32(b"tipseal/token/v1", &[raw]))
    }

    /// Rebuilds a stored hash.
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The raw hash, as a storage key.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl PartialEq for TokenHash {
    fn eq(&self, other: &Self) -> bool {
        ct_eq(&self.0, &other.0)
    }
}

impl std::hash::Hash for TokenHash {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

impl fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenHash(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::keyring::PersonName;

    fn someone() -> Identity {
        super::super::init().unwrap();
        Identity::generate(PersonName::parse("rui").unwrap())
    }

    #[test]
    fn a_login_signature_verifies_for_its_challenge_and_key_only() {
        let rui = someone();
        let c = Challenge::generate();
        let sig = sign_login(&rui, c.as_bytes());
        assert!(verify_login(&rui.public_keys(), c.as_bytes(), &sig));
        assert!(!verify_login(
            &rui.public_keys(),
            Challenge::generate().as_bytes(),
            &sig
        ));
        assert!(!verify_login(&someone().public_keys(), c.as_bytes(), &sig));
        assert!(!verify_login(
            &rui.public_keys(),
            c.as_bytes(),
            "not base64!"
        ));
    }

    #[test]
    fn a_login_signature_is_not_a_manifest_signature() {
        let rui = someone();
        let c = Challenge::generate();
        let sig = b64_decode(&sign_login(&rui, c.as_bytes())).unwrap();
        let msg = login_message(c.as_bytes(), rui.key_id());
        assert!(!rui
            .public_keys()
            .verify(SignatureDomain::Keyring, &msg, &sig));
    }

    #[test]
    fn a_token_hashes_to_what_the_server_stored() {
        super::super::init().unwrap();
        let (token, stored) = SessionToken::generate();
        assert_eq!(TokenHash::of(token.expose_secret()), Some(stored));
        let (other, _) = SessionToken::generate();
        assert_ne!(TokenHash::of(other.expose_secret()), Some(stored));
        assert_eq!(TokenHash::of("short"), None);
        assert_eq!(format!("{token:?}"), "SessionToken(..)");
        assert_eq!(token.expose_secret().len(), 43);
    }

    #[test]
    fn a_challenge_round_trips_through_base64() {
        super::super::init().unwrap();
        let c = Challenge::generate();
        assert_eq!(Challenge::from_b64(&c.to_b64()), Some(c));
        assert_eq!(Challenge::from_b64("AAAA"), None);
    }
}
