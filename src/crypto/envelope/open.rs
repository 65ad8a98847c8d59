//! The read half: envelope → plaintext, and rewrapping a content key to a new epoch.

use sodiumoxide::crypto::secretstream::xchacha20poly1305 as stream;
use sodiumoxide::padding;
use zeroize::Zeroizing;

use super::seal::standard_tag;
use super::{associated_data, ContentKey, Opened};
use crate::crypto::intake::{IntakePublicKey, IntakeSecretKey};
use crate::crypto::{init, CryptoError};
use crate::domain::envelope::{self, Header, WrapSection, CHUNK_LEN, HEADER_LEN, PREFIX_LEN};
use crate::domain::{DomainError, Epoch};

/// Opens an envelope with the intake secret key of its epoch.
///
/// Order: structure ([`CryptoError::Domain`] with the reason) → sealed key → key
/// commitment → every chunk with the header hash as associated data, MESSAGE tags then
/// FINAL on the last → padding. Every failure after the structure parsed is the same
/// [`CryptoError::DecryptionFailed`].
pub fn open(envelope_bytes: &[u8], intake: &IntakeSecretKey) -> Result<Opened, CryptoError> {
    init()?;
    let env = envelope::parse(envelope_bytes)?;
    let key = ContentKey::unwrap_from(&env.header, &env.wrap, intake)?;
    let ad = associated_data(env.header_bytes);
    let stream_header = stream::Header(env.header.stream_header);
    let mut pull = stream::Stream::init_pull(&stream_header, &key.0)
        .map_err(|()| CryptoError::DecryptionFailed)?;

    let bucket = env.header.bucket;
    let chunks = bucket.chunk_count();
    // Both buffers are allocated at full size up front so they never reallocate (a
    // reallocation would leave an unwiped copy of plaintext behind).
    let mut padded = Zeroizing::new(Vec::with_capacity(bucket.len()));
    let mut chunk_plain = Zeroizing::new(Vec::with_capacity(CHUNK_LEN));
    for (i, chunk) in env.chunks().enumerate() {
        let tag = pull
            .pull_to_vec(chunk, Some(&ad), &mut chunk_plain)
            .map_err(|()| CryptoError::DecryptionFailed)?;
        if tag != standard_tag(i, chunks) {
            return Err(CryptoError::DecryptionFailed);
        }
        padded.extend_from_slice(&chunk_plain);
    }
    if padded.len() != bucket.len() {
        return Err(CryptoError::DecryptionFailed);
    }
    let len = padding::unpad(&padded, bucket.len(), bucket.len())
        .map_err(|()| CryptoError::DecryptionFailed)?;
    padded.truncate(len);
    Ok(Opened {
        kind: env.header.kind,
        flags: env.header.flags,
        epoch: env.wrap.epoch,
        plaintext: padded,
    })
}

/// Re-seals an envelope's content key from `old` to `new` (the intake key of
/// `new_epoch`) and returns the replacement wrap section.
///
/// `envelope_prefix` holds at least the first [`PREFIX_LEN`] bytes of the envelope
/// (header and current wrap); the body is not needed. The key commitment is checked, so
/// a wrap that does not belong to this header is refused. The content key is zeroized.
pub fn rewrap(
    envelope_prefix: &[u8],
    old: &IntakeSecretKey,
    new_epoch: Epoch,
    new: &IntakePublicKey,
) -> Result<WrapSection, CryptoError> {
    init()?;
    if envelope_prefix.len() < PREFIX_LEN {
        return Err(DomainError::Envelope("too short for the header and wrap section").into());
    }
    let header = Header::parse(&envelope_prefix[..HEADER_LEN])?;
    let wrap = WrapSection::parse(&envelope_prefix[HEADER_LEN..PREFIX_LEN])?;
    let key = ContentKey::unwrap_from(&header, &wrap, old)?;
    Ok(WrapSection {
        epoch: new_epoch,
        sealed_key: key.seal_to(new),
    })
}
