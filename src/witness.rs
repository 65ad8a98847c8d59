//! The witness's side of a conversation, as a library under `tipseal followup` (and any
//! later face): sealing a follow-up to the current epoch, with the witness's own copy,
//! and opening their mailbox with the keys their receipt derives.
//!
//! A module of its own rather than part of `client` (which only carries bytes) or
//! `reviewer` (which holds a reviewer's keys): the witness holds only receipt keys. It
//! reuses the reviewer's checks of a reply (`reviewer::open::reply_entry`: the signer on
//! the keyring, the attachments against their hashes) so both sides agree on who signed
//! what. Must never: send the receipt, its keys or a plaintext anywhere, or print.

use zeroize::Zeroizing;

use crate::client::api::MailboxView;
use crate::client::Error;
use crate::crypto::b64_decode;
use crate::crypto::bundle_seal::{self, Attachment};
use crate::crypto::envelope::seal;
use crate::crypto::intake::IntakePublicKey;
use crate::crypto::keyring::VerifiedKeyring;
use crate::crypto::receipt::ReceiptKeys;
use crate::domain::bundle;
use crate::domain::envelope::{Flags, Kind};
use crate::domain::tip::conversation::{Followup, Reply};
use crate::domain::tip::LongText;
use crate::reviewer::open::{open_parts, reply_entry, OpenedEntry};

/// Seals a witness's follow-up (kind follow-up, then attachments) to the current epoch
/// and, with `own` (the receipt's reply public key), appends the witness's own copy of
/// the message: one more follow-up envelope sealed to `own`, which the server stores for
/// their mailbox and cannot open (`docs/followup.md`). The files are not copied.
pub fn seal_followup(
    keyring: &VerifiedKeyring,
    message: LongText,
    files: &[Attachment<'_>],
    own: Option<&IntakePublicKey>,
) -> Result<Vec<u8>, Error> {
    let epoch = keyring.epoch();
    let intake = keyring.intake_public_key();
    let f = Followup::new(message, bundle_seal::attachment_metas(files))?;
    let json = Zeroizing::new(f.to_json());
    let mut envelopes = vec![seal(&json, Kind::Followup, Flags::NONE, epoch, &intake)?];
    for file in files {
        envelopes.push(seal(
            file.bytes,
            Kind::Attachment,
            Flags::NONE,
            epoch,
            &intake,
        )?);
    }
    if let Some(own) = own {
        envelopes.push(seal(&json, Kind::Followup, Flags::NONE, epoch, own)?);
    }
    let refs: Vec<&[u8]> = envelopes.iter().map(Vec::as_slice).collect();
    Ok(bundle::encode(&refs))
}

/// A witness's mailbox, opened.
pub struct Mailbox {
    /// The replies and the witness's own follow-ups that opened and verified, in
    /// conversation order.
    pub entries: Vec<OpenedEntry>,
    /// Entries that did not open or whose signature did not verify (not shown).
    pub unverified: usize,
}

/// Opens every entry of `view` with the receipt's `keys`: replies are checked against
/// `keyring` (old epochs included, so a reviewer revoked since is still recognised).
pub fn open_mailbox(
    view: &MailboxView,
    keyring: &VerifiedKeyring,
    keys: &ReceiptKeys,
) -> Result<Mailbox, Error> {
    let mut entries = Vec::with_capacity(view.replies.len() + view.followups.len());
    let mut unverified = 0usize;
    for r in &view.replies {
        let bytes = b64_decode(&r.bundle)
            .ok_or_else(|| Error::Network("the server sent a malformed reply".into()))?;
        match open_reply(keyring, keys, &bytes) {
            Some(mut e) => {
                e.seq = r.id;
                e.received = r.received.clone();
                entries.push(e);
            }
            None => unverified += 1,
        }
    }
    for f in &view.followups {
        let opened = b64_decode(&f.bundle).and_then(|b| open_own_followup(keys, &b));
        match opened {
            Some(mut e) => {
                e.seq = f.id;
                e.received = f.received.clone();
                entries.push(e);
            }
            None => unverified += 1,
        }
    }
    entries.sort_by_key(|e| e.seq);
    Ok(Mailbox {
        entries,
        unverified,
    })
}

/// The witness's copy of their own follow-up as an entry (its files listed, not held).
fn open_own_followup(keys: &ReceiptKeys, bytes: &[u8]) -> Option<OpenedEntry> {
    let f = crate::crypto::reply::open_own_followup(keys, bytes).ok()?;
    Some(OpenedEntry::followup(f.message, f.attachments, Vec::new()))
}

/// Opens a reply from the witness's mailbox: decrypts it with the reply key, checks it
/// is addressed to this receipt, its signature by a reviewer on the keyring, and its
/// attachments against their hashes. `None` for anything that does not hold.
fn open_reply(keyring: &VerifiedKeyring, keys: &ReceiptKeys, bytes: &[u8]) -> Option<OpenedEntry> {
    let (head, files) = open_parts(bytes, Kind::Reply, &keys.reply_secret()).ok()?;
    let reply = Reply::from_json(&head.plaintext).ok()?;
    if reply.to != keys.reply_pk_b64() {
        // Sealed to this key but addressed to another receipt: not this witness's.
        return None;
    }
    reply_entry(keyring, reply, files).ok()
}
