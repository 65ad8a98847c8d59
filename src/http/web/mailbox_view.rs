//! The cryptography of the no-JavaScript mailbox page, with the receipt's keys held for
//! one request: opening a reply (decrypt with the reply key, check it is addressed to
//! this receipt, its reviewer signature against the keyring, its files against their
//! hashes — as `followup.js` and `tipseal followup` do) and sealing a follow-up with the
//! sealed-by-server flag. No I/O; nothing here is logged.

use zeroize::Zeroizing;

use super::form_data::File;
use crate::crypto::bundle_seal::{attachment_metas, Attachment};
use crate::crypto::envelope::{open, seal};
use crate::crypto::identity::PublicKeys;
use crate::crypto::keyring::VerifiedKeyring;
use crate::crypto::receipt::ReceiptKeys;
use crate::crypto::{ct_eq, hash32, CryptoError};
use crate::domain::bundle;
use crate::domain::envelope::{Flags, Kind};
use crate::domain::tip::conversation::{Followup, Reply};
use crate::domain::tip::{AttachmentMeta, LongText};

/// A reply as the page shows it.
pub(super) struct ShownReply {
    /// The day it arrived (filled in by the caller).
    pub date: String,
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

/// Seals a witness's follow-up (kind follow-up, then its files with image metadata
/// removed, as on the no-JavaScript tip form) to the current epoch, flagged as sealed by
/// the server.
pub(super) fn seal_followup(
    keyring: &VerifiedKeyring,
    message: &str,
    files: Vec<File>,
) -> Result<Vec<u8>, SealError> {
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
    let refs: Vec<&[u8]> = envelopes.iter().map(Vec::as_slice).collect();
    Ok(bundle::encode(&refs))
}
