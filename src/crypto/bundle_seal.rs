//! Sealing a whole tip bundle: the document and each attachment, to the current epoch.
//!
//! The one implementation shared by `tipseal submit` (flags: none) and the server's
//! no-JavaScript path (flag: sealed by the server). It describes every attachment
//! (name, media type, size, BLAKE2b-256) inside the sealed tip, seals the tip and then
//! each attachment with a fresh content key, and frames them as a bundle. Must never
//! keep a plaintext copy that is not zeroized.

use zeroize::Zeroizing;

use super::envelope::seal;
use super::keyring::VerifiedKeyring;
use super::{hash32, CryptoError};
use crate::domain::bundle;
use crate::domain::envelope::{Flags, Kind};
use crate::domain::tip::{AttachmentMeta, FileName, MediaType, ReplyTo, SealedTip, TipDocument};

/// One attachment to seal: how the reviewer will see it named, and its bytes.
pub struct Attachment<'a> {
    /// Base file name.
    pub name: FileName,
    /// Media type.
    pub media_type: MediaType,
    /// The file's bytes, exactly as the reviewer will get them back.
    pub bytes: &'a [u8],
}

/// Describes `files` as parts 1, 2, … of a bundle: name, type, size, BLAKE2b-256 of the
/// plaintext (the hash binds each attachment envelope to the sealed tip).
pub fn attachment_metas(files: &[Attachment<'_>]) -> Vec<AttachmentMeta> {
    (1u16..)
        .zip(files)
        .map(|(part, f)| AttachmentMeta {
            part,
            name: f.name.clone(),
            media_type: f.media_type.clone(),
            size: f.bytes.len() as u64,
            blake2b: hex::encode(hash32(b"", &[f.bytes])),
        })
        .collect()
}

/// Seals `doc` and `files` into one bundle for the keyring's current epoch, every part
/// carrying `flags`. Fails if the report is empty (no content and no attachment).
pub fn seal_bundle(
    keyring: &VerifiedKeyring,
    doc: TipDocument,
    files: &[Attachment<'_>],
    flags: Flags,
    reply_to: Option<ReplyTo>,
) -> Result<Vec<u8>, CryptoError> {
    let epoch = keyring.epoch();
    let intake = keyring.intake_public_key();
    let mut sealed = SealedTip::new(doc, attachment_metas(files))?;
    sealed.reply_to = reply_to;
    let json = Zeroizing::new(sealed.to_json());
    let mut envelopes = vec![seal(&json, Kind::Tip, flags, epoch, &intake)?];
    for f in files {
        envelopes.push(seal(f.bytes, Kind::Attachment, flags, epoch, &intake)?);
    }
    let refs: Vec<&[u8]> = envelopes.iter().map(Vec::as_slice).collect();
    Ok(bundle::encode(&refs))
}
