//! The cryptography of the no-JavaScript mailbox page, with the receipt's keys held for
//! one request: opening a reply (decrypt with the reply key, check it is addressed to
//! this receipt, its reviewer signature against the keyring, its files against their
//! hashes — as `followup.js` and `tipseal followup` do), opening the witness's copies of
//! their own follow-ups, and sealing a follow-up with the sealed-by-server flag together
//! with the witness's own copy of it (sealed to their reply key, so the server that just
//! sealed it can never read it back). No I/O; nothing here is logged.

use zeroize::Zeroizing;

use super::form_data::File;
use crate::crypto::bundle_seal::{attachment_metas, Attachment};
use crate::crypto::envelope::{open, seal};
use crate::crypto::identity::PublicKeys;
use crate::crypto::intake::IntakePublicKey;
use crate::crypto::keyring::VerifiedKeyring;
use crate::crypto::receipt::{reply_public_key, ReceiptKeys};
use crate::crypto::{ct_eq, hash32, CryptoError};
use crate::domain::bundle;
use crate::domain::envelope::{Flags, Kind};
use crate::domain::tip::conversation::{Followup, Reply};
use crate::domain::tip::{AttachmentMeta, LongText};

/// A reply, or one of the witness's own follow-ups, as the page shows it.
pub(super) struct ShownReply {
    /// The day it arrived (filled in by the caller).
    pub date: String,
    /// The witness's own follow-up (then `from` is empty).
    pub mine: bool,
    /// The reviewer's name on the keyring.
    pub from: String,
    /// Whether the reviewer has been removed since.
    pub removed: bool,
    /// The reviewer's words.
    pub message: LongText,
    /// The files' names and sizes.
    pub files: Vec<(String, u64)>,
}

/// Opens one bundle from the witness's mailbox, or `None` if anything fails to check.
pub(super) fn open_reply(
    keyring: &VerifiedKeyring,
    keys: &ReceiptKeys,
    bytes: &[u8],
) -> Option<ShownReply> {
    let parsed = bundle::parse_with_kinds(bytes, |i| {
        if i == 0 {
            Kind::Reply
        } else {
            Kind::Attachment
        }
    })
    .ok()?;
    let secret = keys.reply_secret();
    let mut parts = parsed.parts().iter();
    let head = open(parts.next()?.bytes, &secret).ok()?;
    let files = parts
        .map(|p| open(p.bytes, &secret).map(|o| o.plaintext))
        .collect::<Result<Vec<_>, _>>()
        .ok()?;
    let reply = Reply::from_json(&head.plaintext).ok()?;
    if !ct_eq(reply.to.as_bytes(), keys.reply_pk_b64().as_bytes()) {
        return None;
    }
    let listed = keyring
        .manifests()
        .iter()
        .rev()
        .find_map(|m| m.reviewer(reply.reviewer))?;
    let signer = PublicKeys::from_identity(listed).ok()?;
    if !crate::crypto::reply::verify(&signer, &reply) || !files_match(&reply.attachments, &files) {
        return None;
    }
    Some(ShownReply {
        date: String::new(),
        mine: false,
        from: listed.name.as_str().to_owned(),
        removed: keyring.current().reviewer(reply.reviewer).is_none(),
        files: reply
            .attachments
            .iter()
            .map(|a| (a.name.as_str().to_owned(), a.size))
            .collect(),
        message: reply.message,
    })
}

/// Opens the witness's copy of one of their own follow-ups (a bundle of one follow-up
/// envelope sealed to their reply key), or `None` if it does not open or parse. Its files
/// were not copied: only their names and sizes are shown.
pub(super) fn open_own(keys: &ReceiptKeys, bytes: &[u8]) -> Option<ShownReply> {
    let f = crate::crypto::reply::open_own_followup(keys, bytes).ok()?;
    Some(ShownReply {
        date: String::new(),
        mine: true,
        from: String::new(),
        removed: false,
        files: f
            .attachments
            .iter()
            .map(|a| (a.name.as_str().to_owned(), a.size))
            .collect(),
        message: f.message,
    })
}

fn files_match(metas: &[AttachmentMeta], files: &[Zeroizing<Vec<u8>>]) -> bool {
    metas.len() == files.len()
        && metas.iter().zip(files).all(|(m, f)| {
            m.size == f.len() as u64
                && ct_eq(
                    hex::encode(hash32(b"", &[f])).as_bytes(),
                    m.blake2b.to_ascii_lowercase().as_bytes(),
                )
        })
}

/// Why a follow-up was not sealed.
pub(super) enum SealError {
    /// No words and no file.
    Empty,
    /// The schema refuses it (text too long, too many files).
    Refused,
    /// A photo whose metadata cannot be removed (it does not parse whole).
    Metadata,
    /// Sealing failed.
    Crypto(CryptoError),
}

/// The witness's reply public key, which their own copies are sealed to (`None` only if
/// the derived key were malformed, which a receipt never gives).
pub(super) fn own_key(keys: &ReceiptKeys) -> Option<IntakePublicKey> {
    reply_public_key(&keys.reply_pk_b64())
}

/// A follow-up sealed for storage: the reviewers' bundle and the witness's own copy.
pub(super) struct SealedFollowup {
    /// Follow-up then files, sealed to the current epoch (sealed-by-server flag).
    pub bundle: Vec<u8>,
    /// The follow-up envelope alone, sealed to the witness's reply key (same epoch label
    /// and flag), for them to read back in their mailbox.
    pub own_copy: Vec<u8>,
}

/// Seals a witness's follow-up (kind follow-up, then its files with image metadata
/// removed, as on the no-JavaScript tip form) to the current epoch, flagged as sealed by
/// the server, and the same follow-up plaintext to the witness's own reply key. The
/// plaintext lives only in zeroizing buffers.
pub(super) fn seal_followup(
    keyring: &VerifiedKeyring,
    own_key: &Option<IntakePublicKey>,
    message: &str,
    files: Vec<File>,
) -> Result<SealedFollowup, SealError> {
    if message.trim().is_empty() && files.is_empty() {
        return Err(SealError::Empty);
    }
    let message = LongText::parse(message.to_owned()).map_err(|_| SealError::Refused)?;
    let files = files
        .into_iter()
        .map(File::without_metadata)
        .collect::<Result<Vec<File>, _>>()
        .map_err(|_| SealError::Metadata)?;
    let attachments: Vec<Attachment<'_>> = files.iter().map(File::as_attachment).collect();
    let followup =
        Followup::new(message, attachment_metas(&attachments)).map_err(|_| SealError::Refused)?;
    let json = Zeroizing::new(followup.to_json());
    let (epoch, intake) = (keyring.epoch(), keyring.intake_public_key());
    let flags = Flags::SEALED_BY_SERVER;
    let mut envelopes =
        vec![seal(&json, Kind::Followup, flags, epoch, &intake).map_err(SealError::Crypto)?];
    for a in &attachments {
        envelopes.push(
            seal(a.bytes, Kind::Attachment, flags, epoch, &intake).map_err(SealError::Crypto)?,
        );
    }
    let own_key = own_key
        .as_ref()
        .ok_or(SealError::Crypto(CryptoError::InvalidKey(
            "the receipt's reply key",
        )))?;
    let own_copy = seal(&json, Kind::Followup, flags, epoch, own_key).map_err(SealError::Crypto)?;
    let refs: Vec<&[u8]> = envelopes.iter().map(Vec::as_slice).collect();
    Ok(SealedFollowup {
        bundle: bundle::encode(&refs),
        own_copy,
    })
}
