//! The write half: plaintext → envelope.

use sodiumoxide::crypto::secretstream::xchacha20poly1305 as stream;
use sodiumoxide::padding;
use zeroize::Zeroizing;

use super::{associated_data, ContentKey};
use crate::crypto::intake::IntakePublicKey;
use crate::crypto::{init, CryptoError};
use crate::domain::envelope::{Bucket, Flags, Header, Kind, WrapSection, CHUNK_LEN, MAX_PLAINTEXT};
use crate::domain::Epoch;

/// Seals `plaintext` into an Envelope v1 for the intake key of `epoch`.
///
/// The padded copy of the plaintext is zeroized before this returns. Fails with
/// [`CryptoError::TooLarge`] above `domain::envelope::MAX_PLAINTEXT` bytes.
pub fn seal(
    plaintext: &[u8],
    kind: Kind,
    flags: Flags,
    epoch: Epoch,
    intake: &IntakePublicKey,
) -> Result<Vec<u8>, CryptoError> {
    init()?;
    let key = ContentKey::generate();
    let wrap = WrapSection {
        epoch,
        sealed_key: key.seal_to(intake),
    };
    if plaintext.len() > MAX_PLAINTEXT {
        return Err(CryptoError::TooLarge);
    }
    let bucket = Bucket::for_plaintext_len(plaintext.len()).map_err(|_| CryptoError::TooLarge)?;
    let padded = pad(plaintext, bucket)?;
    encrypt_padded(&padded, bucket, kind, flags, &key, &wrap, standard_tag)
}

/// The tag of chunk `i` of `n`: MESSAGE, and FINAL on the last.
pub(super) fn standard_tag(i: usize, n: usize) -> stream::Tag {
    if i + 1 == n {
        stream::Tag::Final
    } else {
        stream::Tag::Message
    }
}

/// Encrypts an already padded buffer of exactly `bucket` bytes under `key`, with the
/// given wrap. `tag_for` is [`standard_tag`] except when the test vector generator
/// crafts a malformed stream.
pub(super) fn encrypt_padded(
    padded: &[u8],
    bucket: Bucket,
    kind: Kind,
    flags: Flags,
    key: &ContentKey,
    wrap: &WrapSection,
    tag_for: fn(usize, usize) -> stream::Tag,
) -> Result<Vec<u8>, CryptoError> {
    debug_assert_eq!(padded.len(), bucket.len());

    // init_push fails only if libsodium is not initialised, which `init` ruled out.
    let (mut push, stream_header) =
        stream::Stream::init_push(&key.0).map_err(|()| CryptoError::Init)?;
    let header = Header {
        kind,
        flags,
        bucket,
        commitment: key.commitment(),
        stream_header: stream_header.0,
    };
    let header_bytes = header.encode();
    let ad = associated_data(&header_bytes);

    let mut out = Vec::with_capacity(bucket.envelope_len());
    out.extend_from_slice(&header_bytes);
    out.extend_from_slice(&wrap.encode());
    let chunks = bucket.chunk_count();
    let mut ct = Vec::with_capacity(CHUNK_LEN + stream::ABYTES);
    for (i, chunk) in padded.chunks(CHUNK_LEN).enumerate() {
        let tag = tag_for(i, chunks);
        // push fails only after a FINAL chunk or for a chunk above messagebytes_max
        // (~256 GiB); FINAL is pushed last and chunks are 64 KiB.
        push.push_to_vec(chunk, Some(&ad), tag, &mut ct)
            .map_err(|()| CryptoError::Init)?;
        out.extend_from_slice(&ct);
    }
    debug_assert_eq!(out.len(), bucket.envelope_len());
    Ok(out)
}

/// `plaintext || 0x80 || 0x00…` up to exactly `bucket` bytes (libsodium's `sodium_pad`
/// with blocksize = bucket), in a buffer zeroized on drop.
fn pad(plaintext: &[u8], bucket: Bucket) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let mut padded = Zeroizing::new(vec![0u8; bucket.len()]);
    padded[..plaintext.len()].copy_from_slice(plaintext);
    match padding::pad(&mut padded, plaintext.len(), bucket.len()) {
        Ok(n) if n == bucket.len() => Ok(padded),
        // Cannot happen: the bucket holds plaintext + 1 by construction.
        _ => Err(CryptoError::TooLarge),
    }
}
