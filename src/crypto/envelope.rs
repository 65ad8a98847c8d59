//! Envelope v1 sealing and opening: the cryptography behind `domain::envelope`.
//!
//! The write half ([`seal`]) pads a plaintext to its size bucket, encrypts it with a fresh
//! content key as a `crypto_secretstream_xchacha20poly1305` stream whose associated data
//! is the BLAKE2b-256 of the immutable header, commits to the content key in the header,
//! and seals the content key to an epoch's intake public key. The read half ([`open`],
//! [`rewrap`]) reverses it in a fixed order: structure → sealed key → key commitment →
//! chunks with their tags → padding.
//!
//! Must never: return a plaintext or content key that is not zeroized on drop; tell the
//! caller *which* check failed after the structure parsed (every such failure is
//! [`CryptoError::DecryptionFailed`]); compare the commitment with `==`. The byte layout
//! lives in `docs/envelope.md`.

mod open;
mod seal;
#[cfg(test)]
mod tests;

use std::fmt;

use sodiumoxide::crypto::secretstream::xchacha20poly1305 as stream;
use zeroize::Zeroizing;

use super::intake::{IntakePublicKey, IntakeSecretKey};
use super::{ct_eq, hash32, keyed_hash32, CryptoError};
use crate::domain::envelope::{Flags, Header, Kind, WrapSection, COMMITMENT_LEN, SEALED_KEY_LEN};
use crate::domain::Epoch;

pub use open::{open, rewrap};
pub use seal::seal;

/// The message of the key commitment, hashed with BLAKE2b-256 keyed by the content key.
pub const COMMITMENT_MESSAGE: &[u8] = b"tipseal/envelope/v1 key commitment";

/// An opened envelope. The plaintext is zeroized on drop and never printed by `Debug`.
pub struct Opened {
    /// Tip or attachment.
    pub kind: Kind,
    /// The header flags.
    pub flags: Flags,
    /// The epoch of the wrap that opened it.
    pub epoch: Epoch,
    /// The unpadded plaintext.
    pub plaintext: Zeroizing<Vec<u8>>,
}

impl fmt::Debug for Opened {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Opened")
            .field("kind", &self.kind)
            .field("flags", &self.flags)
            .field("epoch", &self.epoch)
            .field(
                "plaintext",
                &format_args!("<{} bytes>", self.plaintext.len()),
            )
            .finish()
    }
}

/// The 32-byte secretstream key of one envelope. sodiumoxide's `Key` wipes itself on
/// drop; this wrapper adds no `Debug` and keeps the bytes inside this module.
struct ContentKey(stream::Key);

impl ContentKey {
    fn generate() -> Self {
        ContentKey(stream::gen_key())
    }

    /// `BLAKE2b-256(key = content key, message = COMMITMENT_MESSAGE)`.
    fn commitment(&self) -> [u8; COMMITMENT_LEN] {
        keyed_hash32(&self.0 .0, COMMITMENT_MESSAGE, b"")
    }

    /// `crypto_box_seal(content key, intake_pk)`: always 80 bytes.
    fn seal_to(&self, intake: &IntakePublicKey) -> [u8; SEALED_KEY_LEN] {
        let sealed = intake.seal(&self.0 .0);
        let mut out = [0u8; SEALED_KEY_LEN];
        // A 32-byte message sealed is 32 + SEALBYTES (48) = 80 bytes, always.
        out.copy_from_slice(&sealed);
        out
    }

    /// Opens the wrap and checks the key against the header's commitment, in constant
    /// time. Any failure is `DecryptionFailed`.
    fn unwrap_from(
        header: &Header,
        wrap: &WrapSection,
        intake: &IntakeSecretKey,
    ) -> Result<Self, CryptoError> {
        let raw = intake.open(&wrap.sealed_key)?;
        let key = stream::Key::from_slice(&raw)
            .map(ContentKey)
            .ok_or(CryptoError::DecryptionFailed)?;
        if !ct_eq(&key.commitment(), &header.commitment) {
            return Err(CryptoError::DecryptionFailed);
        }
        Ok(key)
    }
}

/// The associated data of every chunk: unkeyed BLAKE2b-256 of the 68 header bytes.
fn associated_data(header_bytes: &[u8]) -> [u8; 32] {
    hash32(header_bytes, &[])
}
