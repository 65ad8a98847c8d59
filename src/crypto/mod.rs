//! The cryptographic core: the only module that imports `sodiumoxide`.
//!
//! It seals and opens envelopes, makes and reads identities and their passphrase-protected
//! key files, signs and verifies keyring manifests and login challenges, and hashes
//! tokens. Everything else in the crate sees only the types exported here, so that
//! libsodium can be swapped for another implementation of the same formats.
//!
//! Must never: expose a secret through `Debug`, `Display` or `Serialize`; compare secrets
//! with `==`; return a plaintext buffer that is not zeroized on drop; tell a caller *why*
//! a decryption failed.

pub mod auth;
pub mod bundle_seal;
pub mod challenge;
pub mod envelope;
pub mod export;
pub mod identity;
pub mod intake;
pub mod keyfile;
pub mod keyring;
pub mod local_store;
pub mod quorum;
pub mod receipt;
pub mod reply;
pub mod triage;

use std::sync::OnceLock;

use sodiumoxide::crypto::generichash;

use crate::domain::{Day, DomainError, TipId};

/// Why a cryptographic operation failed. Deliberately coarse: callers and attackers
/// learn that something failed, not which byte was wrong.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    /// libsodium could not be initialised; nothing cryptographic is safe to do.
    #[error("libsodium could not be initialised")]
    Init,
    /// Authentication, key commitment, padding or truncation check failed.
    #[error("decryption failed")]
    DecryptionFailed,
    /// A signature did not verify.
    #[error("a signature did not verify")]
    BadSignature,
    /// The passphrase did not open the key file.
    #[error("wrong passphrase, or the key file is damaged")]
    WrongPassphrase,
    /// A key, key file or public key file is malformed; the text says what.
    #[error("invalid key: {0}")]
    InvalidKey(&'static str),
    /// The keyring chain is not acceptable; the text says why.
    #[error("keyring refused: {0}")]
    Keyring(KeyringProblem),
    /// The input is larger than the format allows.
    #[error("too large to seal: the largest envelope holds 64 MiB minus one byte")]
    TooLarge,
    /// A structural error from the domain parsers.
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// Reading or writing a key file failed.
    #[error("key file I/O: {0}")]
    Io(#[from] std::io::Error),
}

/// The reasons a keyring is refused, each mapped to its own HTTP answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyringProblem {
    /// A manifest signature is missing or invalid.
    #[error("a manifest is not signed by an admin of the previous epoch")]
    BadSignature,
    /// Epochs do not run 1, 2, 3 … or a `prev` hash does not match.
    #[error("the manifests do not form an unbroken hash chain")]
    BrokenChain,
    /// The chain is not newer than the one already held.
    #[error("the keyring is not newer than the one in use")]
    StaleEpoch,
    /// The chain does not extend the one already held (a fork).
    #[error("the keyring does not extend the one in use")]
    Fork,
    /// The genesis admins are not exactly the pinned admin keys, or one of them did not
    /// sign it.
    #[error("the keyring's first manifest is not signed by every pinned admin key")]
    UnpinnedAdmin,
    /// The current manifest's expiry day has passed.
    #[error("the keyring has expired: an admin must renew it (`tipseal admin renew`)")]
    Expired,
    /// The chain is older than one already seen from this server (a rollback).
    #[error("the keyring is older than one already seen from this server")]
    Rollback,
    /// Some, but fewer than the threshold of, distinct admins entitled to sign a
    /// manifest signed it (k of m; a removed admin or a repeated signature does not count).
    #[error(
        "a manifest carries valid signatures by {present} admin(s) of the epoch before it; \
         {needed} are needed: more admins must run `tipseal admin sign`"
    )]
    QuorumNotMet {
        /// Distinct entitled admins whose signature verified.
        present: usize,
        /// The threshold of the epoch before it.
        needed: usize,
    },
    /// The key offered to sign a proposal is not an admin of the epoch before it, so its
    /// signature would not count.
    #[error(
        "this key is not an admin of the epoch before the proposal: its signature would not count"
    )]
    NotAnAdmin,
    /// JSON or field-level problem.
    #[error("{0}")]
    Malformed(String),
}

static INIT: OnceLock<bool> = OnceLock::new();

/// Initialises libsodium once. Call before any other function of this module; every
/// public entry point of the crate that does crypto calls it.
pub fn init() -> Result<(), CryptoError> {
    if *INIT.get_or_init(|| sodiumoxide::init().is_ok()) {
        Ok(())
    } else {
        Err(CryptoError::Init)
    }
}

/// `N` bytes from libsodium's CSPRNG.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    sodiumoxide::randombytes::randombytes_into(&mut out);
    out
}

/// A fresh tip id for a tip received on `received`: 12 random bytes, then the day (days
/// since 1970-01-01, u32 big-endian).
///
/// The day is there for storage: the store keys a tip by its id with the day moved to the
/// front (`storage::layout::tip_key`), so today's inserts share a few cached index leaves
/// instead of each touching a random leaf among every stored tip's (with a million
/// stored, that miss cost a third of the intake rate; BENCHMARKS.md, session 21). The
/// random bytes come first because the first eight hex characters are the short id that
/// reviewers read and type: they must differ between tips of one day. The day reveals
/// nothing new: it is stored with every tip and shown with it, and nothing finer is in
/// the id (96 fresh random bits).
pub fn new_tip_id(received: Day) -> TipId {
    let mut b: [u8; 16] = random_bytes();
    b[12..].copy_from_slice(&received.to_be_bytes());
    TipId::from_bytes(b)
}

/// BLAKE2b-256 of `domain || parts…`. `domain` separates uses (e.g. `b"tipseal/key-id/v1"`).
pub fn hash32(domain: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut st = generichash::State::new(Some(32), None).expect("32 is a valid BLAKE2b length");
    st.update(domain).expect("hash state is fresh");
    for p in parts {
        st.update(p).expect("hash state is fresh");
    }
    digest32(st.finalize().expect("hash finalizes once"))
}

/// BLAKE3-256 of `domain || parts…`, for bulk bytes on a hot path: the idempotency
/// check's hash of a whole submitted bundle, which the server alone computes and
/// compares. libsodium's BLAKE2b ([`hash32`]) took ~9% of the server's time per 16.5 KB
/// tip; BLAKE3's SIMD code is several times faster. Everything a client or another
/// implementation must recompute stays [`hash32`].
pub fn bulk_hash32(domain: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut h = blake3::Hasher::new();
    h.update(domain);
    for p in parts {
        h.update(p);
    }
    *h.finalize().as_bytes()
}

/// BLAKE2b-256 keyed with `key` (a MAC / PRF), of `domain || msg`.
pub fn keyed_hash32(key: &[u8; 32], domain: &[u8], msg: &[u8]) -> [u8; 32] {
    let mut st =
        generichash::State::new(Some(32), Some(key)).expect("32-byte key and output are valid");
    st.update(domain).expect("hash state is fresh");
    st.update(msg).expect("hash state is fresh");
    digest32(st.finalize().expect("hash finalizes once"))
}

/// BLAKE2b-256 over a stream of bytes fed in pieces, starting with a `domain`: for
/// integrity checks of files too large to hold in memory (backups).
pub struct StreamHash(generichash::State);

impl StreamHash {
    /// A fresh hash of `domain || …`.
    pub fn new(domain: &[u8]) -> Self {
        let mut st = generichash::State::new(Some(32), None).expect("32 is a valid BLAKE2b length");
        st.update(domain).expect("hash state is fresh");
        StreamHash(st)
    }

    /// Feeds more bytes.
    pub fn update(&mut self, bytes: &[u8]) {
        self.0
            .update(bytes)
            .expect("the state is not finalized before finish");
    }

    /// The 32-byte digest of everything fed.
    pub fn finish(self) -> [u8; 32] {
        digest32(self.0.finalize().expect("hash finalizes once"))
    }
}

fn digest32(d: generichash::Digest) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}

/// Constant-time equality of two byte strings of equal length (false if lengths differ).
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && sodiumoxide::utils::memcmp(a, b)
}

/// Base64url without padding: the one text encoding of binary values in tipseal's JSON.
pub fn b64_encode(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes base64url without padding.
pub fn b64_decode(s: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tip_id_ends_with_its_day_and_is_random_before_it() {
        let day = Day::from_days(20_422);
        let (a, b) = (new_tip_id(day), new_tip_id(day));
        assert_eq!(a.as_bytes()[12..], 20_422u32.to_be_bytes());
        assert_eq!(a.as_bytes()[12..], b.as_bytes()[12..]);
        assert_ne!(
            a.as_bytes()[..12],
            b.as_bytes()[..12],
            "96 fresh random bits"
        );
        // The short id (first eight hex characters) tells tips of one day apart.
        assert_ne!(a.to_string()[..8], b.to_string()[..8]);
        // A day before 1970 cannot come from the clock; it clamps instead of wrapping.
        assert_eq!(new_tip_id(Day::from_days(-5)).as_bytes()[12..], [0; 4]);
    }

    #[test]
    fn hashes_are_domain_separated() {
        init().unwrap();
        assert_ne!(hash32(b"a", &[b"x"]), hash32(b"b", &[b"x"]));
        assert_eq!(hash32(b"a", &[b"x", b"y"]), hash32(b"a", &[b"xy"]));
    }

    #[test]
    fn the_bulk_hash_is_blake3_of_domain_then_parts() {
        // BLAKE3 of the empty input, from the BLAKE3 specification's test vectors.
        assert_eq!(
            hex::encode(bulk_hash32(b"", &[])),
            "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"
        );
        // Inputs past one 1 KiB chunk and past 16 KiB take BLAKE3's tree and SIMD paths;
        // how the bytes are split into parts does not matter, the domain does.
        let body: Vec<u8> = (0..40_000u32).map(|i| (i * 7 + 3) as u8).collect();
        let (a, b) = body.split_at(17_000);
        assert_eq!(
            bulk_hash32(b"tipseal/bundle-hash/v2", &[&body]),
            bulk_hash32(b"tipseal/bundle-hash/v2", &[a, b])
        );
        assert_eq!(
            bulk_hash32(b"d", &[&body]),
            bulk_hash32(b"", &[b"d", &body])
        );
        assert_ne!(bulk_hash32(b"a", &[b"x"]), bulk_hash32(b"b", &[b"x"]));
        init().unwrap();
        assert_ne!(bulk_hash32(b"a", &[b"x"]), hash32(b"a", &[b"x"]));
    }

    #[test]
    fn constant_time_compare_handles_length_mismatch() {
        assert!(ct_eq(b"abc", b"abc"));
        assert!(!ct_eq(b"abc", b"abd"));
        assert!(!ct_eq(b"abc", b"ab"));
    }
}
