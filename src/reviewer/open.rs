//! Opening what a reviewer reads, on this machine: a tip bundle (the tip and its
//! attachments, checked against the tip's own list of them) and a tip's conversation (the
//! witness's follow-ups and the reviewers' replies, each reply's signature checked against
//! the keyring). The witness's client opens the replies in its mailbox with the same
//! checks (`witness`), so both faces agree on who signed what.
//!
//! Only cryptography and the tip's own hashes refuse: whatever a plaintext says, it is
//! read as received. Must never: write a plaintext to disk or send one anywhere.

use std::collections::hash_map::Entry;
use std::collections::HashMap;

use zeroize::Zeroizing;

use crate::client::api::{Session, ThreadRow};
use crate::client::Client;
use crate::crypto::envelope::{open, Opened};
use crate::crypto::identity::{Identity, PublicKeys};
use crate::crypto::intake::IntakeSecretKey;
use crate::crypto::keyring::{intake_secret_for, VerifiedKeyring};
use crate::crypto::{hash32, CryptoError};
use crate::domain::bundle;
use crate::domain::envelope::{Flags, Kind};
use crate::domain::tip::conversation::{Followup, Reply};
use crate::domain::tip::received::ReceivedTip;
use crate::domain::tip::{AttachmentMeta, LongText};
use crate::domain::{Epoch, KeyId, TipId};

use super::Error;

/// Opened attachment plaintexts, in order.
pub type Plaintexts = Vec<Zeroizing<Vec<u8>>>;

/// A tip opened on this machine.
pub struct OpenedTip {
    /// The tip's id.
    pub id: TipId,
    /// Which path sealed it.
    pub flags: Flags,
    /// The document and attachment descriptions, as received: a tip that does not follow
    /// the schema still opens, with warnings (`domain::tip::received`).
    pub received: ReceivedTip,
    /// The attachments' plaintexts, in part order.
    pub files: Vec<Zeroizing<Vec<u8>>>,
    /// The tip's plaintext exactly as opened (the workspace keeps it in its encrypted
    /// store and reads it again with `ReceivedTip::from_plaintext`).
    pub plaintext: Zeroizing<Vec<u8>>,
}

/// Who signed a reply, as the keyring says.
#[derive(Debug, Clone)]
pub struct Signer {
    /// The reviewer's key id.
    pub id: KeyId,
    /// Their name on the keyring.
    pub name: String,
    /// Whether they are a reviewer of the current epoch (false: removed since).
    pub current: bool,
}

/// One opened entry of a conversation.
pub struct OpenedEntry {
    /// Position in the conversation.
    pub seq: u32,
    /// Follow-up (from the witness) or reply (from a reviewer).
    pub kind: Kind,
    /// Day received.
    pub received: String,
    /// The words.
    pub message: LongText,
    /// For replies: the verified signer.
    pub signer: Option<Signer>,
    /// Attachment descriptions.
    pub attachments: Vec<AttachmentMeta>,
    /// Attachment plaintexts, in order.
    pub files: Vec<Zeroizing<Vec<u8>>>,
}

impl OpenedEntry {
    /// A follow-up from the witness; the caller sets its position and day.
    pub fn followup(
        message: LongText,
        attachments: Vec<AttachmentMeta>,
        files: Plaintexts,
    ) -> Self {
        OpenedEntry {
            seq: 0,
            kind: Kind::Followup,
            received: String::new(),
            message,
            signer: None,
            attachments,
            files,
        }
    }
}

/// Opens every part of a tip bundle and checks attachments against the tip's hashes.
pub fn open_bundle(
    keyring: &VerifiedKeyring,
    me: &Identity,
    id: TipId,
    bytes: &[u8],
) -> Result<OpenedTip, Error> {
    open_bundle_with(id, bytes, |epoch| {
        intake_secret_for(keyring, epoch, me).map_err(|_| {
            Error::Refused(format!(
                "your key has no grant for key epoch {epoch} of this tip: ask a reviewer \
                 who has it to run `tipseal review rewrap`"
            ))
        })
    })
}

/// [`open_bundle`] with the intake secret of each epoch from `key_for`. Only
/// cryptography refuses: whatever the tip's plaintext says, it is read as received.
pub fn open_bundle_with(
    id: TipId,
    bytes: &[u8],
    mut key_for: impl FnMut(Epoch) -> Result<IntakeSecretKey, Error>,
) -> Result<OpenedTip, Error> {
    let parsed = bundle::parse(bytes)?;
    let mut keys: HashMap<Epoch, IntakeSecretKey> = HashMap::new();
    let mut opened = Vec::with_capacity(parsed.parts().len());
    for part in parsed.parts() {
        let epoch = part.wrap.epoch;
        let sk = match keys.entry(epoch) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(v) => v.insert(key_for(epoch)?),
        };
        opened.push(open(part.bytes, sk)?);
    }
    let mut it = opened.into_iter();
    let first = it.next().ok_or(CryptoError::DecryptionFailed)?;
    if first.kind != Kind::Tip {
        return Err(CryptoError::DecryptionFailed.into());
    }
    let received = ReceivedTip::from_plaintext(&first.plaintext);
    let files: Vec<Zeroizing<Vec<u8>>> = it
        .map(|o| {
            if o.kind == Kind::Attachment {
                Ok(o.plaintext)
            } else {
                Err(Error::from(CryptoError::DecryptionFailed))
            }
        })
        .collect::<Result<_, _>>()?;
    // The tip names each attachment's hash; a server that swapped, dropped or added parts
    // is caught here.
    if !files_match(&received.attachments, &files) {
        return Err(Error::Refused(
            "the attachments do not match the tip's own list of them: the stored tip was altered"
                .into(),
        ));
    }
    Ok(OpenedTip {
        id,
        flags: first.flags,
        received,
        plaintext: first.plaintext,
        files,
    })
}

/// A tip's conversation as fetched: how many entries the server lists, and those opened
/// (no `Debug`: it holds plaintexts).
pub struct FetchedThread {
    /// Entries the server lists for the tip (held already or not).
    pub listed: usize,
    /// The entries fetched and opened, in the server's order.
    pub opened: Vec<OpenedEntry>,
}

/// Fetches and opens a tip's whole conversation with this reviewer's grants.
pub fn open_thread(
    client: &Client,
    session: &Session,
    keyring: &VerifiedKeyring,
    me: &Identity,
    id: TipId,
) -> Result<Vec<OpenedEntry>, Error> {
    Ok(open_thread_except(client, session, keyring, me, id, &|_| false)?.opened)
}

/// Lists a tip's conversation and fetches (in batches) and opens only the entries whose
/// seq `held` does not claim. A sync after one more follow-up must cost one entry, not the
/// whole conversation again: anyone with a receipt can grow a conversation to its cap one
/// entry at a time, and every reviewer's sync would re-read all of it each time.
pub fn open_thread_except(
    client: &Client,
    session: &Session,
    keyring: &VerifiedKeyring,
    me: &Identity,
    id: TipId,
    held: &dyn Fn(u32) -> bool,
) -> Result<FetchedThread, Error> {
    let mut keys: HashMap<Epoch, IntakeSecretKey> = HashMap::new();
    let mut out = Vec::new();
    let rows = client.thread(session, id)?;
    let listed = rows.len();
    let missing: Vec<ThreadRow> = rows.into_iter().filter(|r| !held(r.id)).collect();
    super::entries::for_each_entry(client, session, id, &missing, &mut |row, bytes| {
        out.push(open_entry(keyring, me, &mut keys, row, bytes)?);
        Ok(())
    })?;
    Ok(FetchedThread {
        listed,
        opened: out,
    })
}

/// Opens one conversation entry. A missing grant is an error (nothing would be right to
/// keep); an entry whose bytes do not open or verify comes back as a notice instead, so
/// that one malformed or forged entry — anyone with a mailbox can add entries — never
/// stops the reviewer from reading the rest or from syncing.
fn open_entry(
    keyring: &VerifiedKeyring,
    me: &Identity,
    keys: &mut HashMap<Epoch, IntakeSecretKey>,
    row: &ThreadRow,
    bytes: &[u8],
) -> Result<OpenedEntry, Error> {
    let kind = if row.kind == "reply" {
        Kind::Reply
    } else {
        Kind::Followup
    };
    let epoch = match bundle_epoch(bytes, kind) {
        Ok(epoch) => epoch,
        Err(e) => return Ok(unopenable(row.id, kind, row.received.clone(), &e)),
    };
    let sk = match keys.entry(epoch) {
        Entry::Occupied(e) => e.into_mut(),
        Entry::Vacant(v) => v.insert(intake_secret_for(keyring, epoch, me).map_err(|_| {
            Error::Refused(format!(
                "your key has no grant for key epoch {epoch} of this conversation"
            ))
        })?),
    };
    let opened = (|| -> Result<OpenedEntry, Error> {
        let (head, files) = open_parts(bytes, kind, sk)?;
        Ok(match kind {
            Kind::Reply => reply_entry(keyring, Reply::from_json(&head.plaintext)?, files)
                .map_err(|_| {
                    Error::Refused(format!(
                        "reply #{} of this tip is not signed by a reviewer on the keyring",
                        row.id
                    ))
                })?,
            // A follow-up a newer or careless client wrote: shown as received, not
            // refused (with files, its list must still vouch for them: the strict path).
            _ if files.is_empty() && Followup::from_json(&head.plaintext).is_err() => {
                followup_as_received(&head.plaintext)
            }
            _ => followup_entry(&head, files)?,
        })
    })();
    Ok(match opened {
        Ok(mut entry) => {
            entry.seq = row.id;
            entry.received = row.received.clone();
            entry
        }
        Err(e) => unopenable(row.id, kind, row.received.clone(), &e),
    })
}

/// An entry that could not be opened or verified, as a notice naming why; nothing of its
/// content is shown (a forged reply's words must not pass for a reviewer's).
fn unopenable(seq: u32, kind: Kind, received: String, why: &Error) -> OpenedEntry {
    let what = if kind == Kind::Reply {
        "reply"
    } else {
        "follow-up"
    };
    let text: String =
        format!("[Warning: {what} #{seq} could not be opened ({why}); nothing of it is shown.]")
            .chars()
            .map(|c| if c.is_control() { '\u{FFFD}' } else { c })
            .take(LongText::MAX_CHARS)
            .collect();
    let message = LongText::parse(text).expect("no control characters, within the length");
    let mut entry = OpenedEntry::followup(message, Vec::new(), Vec::new());
    entry.kind = kind;
    entry.seq = seq;
    entry.received = received;
    entry
}

/// A follow-up that does not follow `tipseal/followup/v1`, as text with a warning line:
/// control characters (but tab and line breaks) become U+FFFD, and it is cut to what a
/// message holds.
fn followup_as_received(plaintext: &[u8]) -> OpenedEntry {
    const WARNING: &str = "[Warning: this follow-up does not follow tipseal/followup/v1; \
                           shown as received.]\n";
    let text: String = String::from_utf8_lossy(plaintext)
        .chars()
        .map(|c| {
            if c.is_control() && !matches!(c, '\n' | '\t' | '\r') {
                '\u{FFFD}'
            } else {
                c
            }
        })
        .take(LongText::MAX_CHARS - WARNING.chars().count())
        .collect();
    let message = LongText::parse(format!("{WARNING}{text}"))
        .expect("no control characters, within the length");
    OpenedEntry::followup(message, Vec::new(), Vec::new())
}

/// Opens every part of a conversation bundle whose first part is `first` with `key`.
pub fn open_parts(
    bytes: &[u8],
    first: Kind,
    key: &IntakeSecretKey,
) -> Result<(Opened, Plaintexts), Error> {
    let parsed =
        bundle::parse_with_kinds(bytes, |i| if i == 0 { first } else { Kind::Attachment })?;
    let mut it = parsed.parts().iter();
    let head = open(it.next().ok_or(CryptoError::DecryptionFailed)?.bytes, key)?;
    let files = it
        .map(|p| open(p.bytes, key).map(|o| o.plaintext))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((head, files))
}

/// The epoch label of a conversation bundle whose first part is `first` (to pick the
/// reviewer's intake key before opening it).
pub fn bundle_epoch(bytes: &[u8], first: Kind) -> Result<Epoch, Error> {
    let parsed =
        bundle::parse_with_kinds(bytes, |i| if i == 0 { first } else { Kind::Attachment })?;
    Ok(parsed.epoch())
}

/// Checks a reply's signature and attachments and makes it an entry.
pub fn reply_entry(
    keyring: &VerifiedKeyring,
    reply: Reply,
    files: Vec<Zeroizing<Vec<u8>>>,
) -> Result<OpenedEntry, Error> {
    let signer = verify_signer(keyring, &reply).ok_or(CryptoError::BadSignature)?;
    if !files_match(&reply.attachments, &files) {
        return Err(CryptoError::DecryptionFailed.into());
    }
    Ok(OpenedEntry {
        seq: 0,
        kind: Kind::Reply,
        received: String::new(),
        message: reply.message,
        signer: Some(signer),
        attachments: reply.attachments,
        files,
    })
}

/// A follow-up's plaintext and files as an entry (attachments checked).
pub fn followup_entry(head: &Opened, files: Vec<Zeroizing<Vec<u8>>>) -> Result<OpenedEntry, Error> {
    let f = Followup::from_json(&head.plaintext)?;
    if !files_match(&f.attachments, &files) {
        return Err(Error::Refused(
            "a follow-up's files do not match its own list of them: the stored message was altered"
                .into(),
        ));
    }
    Ok(OpenedEntry::followup(f.message, f.attachments, files))
}

/// The reviewer who signed `reply`, looked up in every manifest from newest to oldest,
/// so replies by reviewers removed since still verify (and say so).
pub fn verify_signer(keyring: &VerifiedKeyring, reply: &Reply) -> Option<Signer> {
    let current = keyring.current();
    let listed = keyring
        .manifests()
        .iter()
        .rev()
        .find_map(|m| m.reviewer(reply.reviewer))?;
    let keys = PublicKeys::from_identity(listed).ok()?;
    if !crate::crypto::reply::verify(&keys, reply) {
        return None;
    }
    Some(Signer {
        id: reply.reviewer,
        name: listed.name.as_str().to_owned(),
        current: current.reviewer(reply.reviewer).is_some(),
    })
}

/// Whether each file has the size and BLAKE2b-256 its description names.
pub fn files_match(metas: &[AttachmentMeta], files: &[Zeroizing<Vec<u8>>]) -> bool {
    metas.len() == files.len()
        && metas.iter().zip(files).all(|(m, f)| {
            m.size == f.len() as u64
                && crate::crypto::ct_eq(
                    hex::encode(hash32(b"", &[f])).as_bytes(),
                    m.blake2b.to_ascii_lowercase().as_bytes(),
                )
        })
}

#[cfg(test)]
#[path = "open_tests.rs"]
mod tests;
