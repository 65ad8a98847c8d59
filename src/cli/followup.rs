//! `tipseal followup`: the witness's mailbox on the command line, and the conversation
//! helpers the reviewer's client shares (sealing and opening follow-ups and replies).
//!
//! The witness's client reads the receipt words from a file, derives the reply and
//! mailbox keys on this machine, logs in to the mailbox by signing a challenge, opens the
//! replies with the reply key, checks each reply's reviewer signature against the keyring
//! (old epochs included, so a reviewer revoked since is still recognised, and labelled),
//! and can add a message and files sealed to the current epoch. The receipt, the keys and
//! the plaintexts never leave the machine.

use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::crypto::envelope::{open, seal, Opened};
use crate::crypto::identity::PublicKeys;
use crate::crypto::intake::{IntakePublicKey, IntakeSecretKey};
use crate::crypto::keyring::VerifiedKeyring;
use crate::crypto::receipt::{reply_public_key, Receipt, ReceiptKeys};
use crate::crypto::{b64_decode, hash32, CryptoError};
use crate::domain::bundle;
use crate::domain::envelope::{Flags, Kind};
use crate::domain::tip::conversation::{Followup, Reply};
use crate::domain::tip::{AttachmentMeta, LongText, MAX_ATTACHMENTS};
use crate::domain::{Epoch, KeyId};

use super::{output, read_file, submit, CliError, Client};
use crate::client::trust::{self, Use};
use crate::client::Error as ClientError;

/// Files read from disk: their paths and contents (wiped on drop).
pub type Files = Vec<(PathBuf, Zeroizing<Vec<u8>>)>;
/// Opened attachment plaintexts, in order.
pub type Plaintexts = Vec<Zeroizing<Vec<u8>>>;

/// Arguments of `tipseal followup`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The server you sent your tip to.
    #[arg(long)]
    server: String,
    /// A file holding your 12 receipt words (any supported language, one line).
    #[arg(long)]
    receipt_file: PathBuf,
    /// A message to add to your tip.
    #[arg(long)]
    message: Option<String>,
    /// A file to add to your tip (repeat for more).
    #[arg(long)]
    attach: Vec<PathBuf>,
    /// Save files that reviewers attached to their replies into this directory.
    #[arg(long)]
    save_attachments: Option<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
    /// Proxy, e.g. socks5h://127.0.0.1:9050 to go through Tor (the proxy resolves the
    /// server's name, .onion included; socks5:// does the same here).
    #[arg(long)]
    proxy: Option<String>,
    /// Refuse the keyring unless its first manifest lists exactly these admins and is
    /// signed by each of them (repeat for every admin the team published; the same pins
    /// as `tipseal submit`). Without it, and with --no-keyring-memory, nothing anchors
    /// the keyring: a server could swap in its own reviewers.
    #[arg(long)]
    admin_key_id: Vec<KeyId>,
    /// Do not remember this server's newest keyring epoch (see `tipseal submit --help`).
    #[arg(long)]
    no_keyring_memory: bool,
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

/// Runs `tipseal followup`.
pub fn run(a: Args) -> Result<(), CliError> {
    let text = Zeroizing::new(
        std::fs::read_to_string(&a.receipt_file)
            .map_err(|e| CliError::File(a.receipt_file.clone(), e))?,
    );
    let receipt = Receipt::from_words(&text)
        .map_err(|e| CliError::Usage(format!("{}: {e}", a.receipt_file.display())))?;
    let keys = receipt.keys();
    drop(receipt);
    let files = read_files(&a.attach)?;
    let message = a
        .message
        .clone()
        .map(LongText::parse)
        .transpose()
        .map_err(CliError::Usage)?;

    let client = Client::new(&a.server, a.proxy.as_deref())?;
    let sealing = message.is_some() || !files.is_empty();
    let usage = if sealing { Use::Seal } else { Use::Read };
    let mut notes = Vec::new();
    let keyring = trust::witness_keyring(
        &client,
        &a.server,
        &a.admin_key_id,
        a.no_keyring_memory,
        usage,
        &mut notes,
    );
    output::notes(&notes);
    let keyring = keyring?;
    let session = client.mailbox_login(&keys).map_err(|e| match e {
        ClientError::Server { status: 401, .. } => ClientError::Server {
            status: 401,
            code: "unauthorized".into(),
            message: "no mailbox opens with this receipt on this server: check the words \
                      and the server address"
                .into(),
        },
        other => other,
    })?;
    // Send first, then read: the conversation shown includes the message just added.
    let mut copy_kept = true;
    let sent = if sealing {
        let msg =
            message.unwrap_or_else(|| LongText::parse(String::new()).expect("empty is valid"));
        let own = reply_public_key(&keys.reply_pk_b64());
        copy_kept = own.is_some() && files.len() < MAX_ATTACHMENTS;
        let own = own.filter(|_| copy_kept);
        let bundle = seal_followup(&keyring, msg, &files, own.as_ref())?;
        Some(client.post_followup(&session, &bundle)?)
    } else {
        None
    };
    let view = client.mailbox(&session).inspect_err(|_| {
        if let Some(id) = sent {
            // Stored is stored: say so before the error, so nobody sends it twice.
            eprintln!(
                "Your message was added to your tip (#{id}), but reading your mailbox \
                 afterwards failed:"
            );
        }
    })?;
    let mut entries = Vec::with_capacity(view.replies.len() + view.followups.len());
    let mut unverified = 0usize;
    for r in &view.replies {
        let bytes = b64_decode(&r.bundle)
            .ok_or_else(|| CliError::Network("the server sent a malformed reply".into()))?;
        match open_reply_for_witness(&keyring, &keys, &bytes) {
            Ok(mut e) => {
                e.seq = r.id;
                e.received = r.received.clone();
                entries.push(e);
            }
            Err(_) => unverified += 1,
        }
    }
    for f in &view.followups {
        let opened = b64_decode(&f.bundle).and_then(|b| open_own_followup(&keys, &b).ok());
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
    let saved = match &a.save_attachments {
        Some(dir) => save_entry_files(dir, &entries)?,
        None => Vec::new(),
    };
    output::mailbox(
        &entries,
        &saved,
        &view.retention,
        unverified,
        sent.map(|id| (id, copy_kept)),
        a.json,
    )
}

fn read_files(paths: &[PathBuf]) -> Result<Files, CliError> {
    paths
        .iter()
        .map(|p| Ok((p.clone(), Zeroizing::new(read_file(p)?))))
        .collect()
}

/// Seals a witness's follow-up (kind follow-up, then attachments) to the current epoch
/// and, with `own` (the receipt's reply public key), appends the witness's own copy of
/// the message: one more follow-up envelope sealed to `own`, which the server stores for
/// their mailbox and cannot open (`docs/followup.md`). The files are not copied.
pub fn seal_followup(
    keyring: &VerifiedKeyring,
    message: LongText,
    files: &[(PathBuf, Zeroizing<Vec<u8>>)],
    own: Option<&IntakePublicKey>,
) -> Result<Vec<u8>, CliError> {
    let epoch = keyring.epoch();
    let intake = keyring.intake_public_key();
    let f = Followup::new(message, submit::attachment_metas(files))?;
    let json = Zeroizing::new(f.to_json());
    let mut envelopes = vec![seal(&json, Kind::Followup, Flags::NONE, epoch, &intake)?];
    for (_, bytes) in files {
        envelopes.push(seal(bytes, Kind::Attachment, Flags::NONE, epoch, &intake)?);
    }
    if let Some(own) = own {
        envelopes.push(seal(&json, Kind::Followup, Flags::NONE, epoch, own)?);
    }
    let refs: Vec<&[u8]> = envelopes.iter().map(Vec::as_slice).collect();
    Ok(bundle::encode(&refs))
}

/// The witness's copy of their own follow-up as an entry (its files listed, not held).
fn open_own_followup(keys: &ReceiptKeys, bytes: &[u8]) -> Result<OpenedEntry, CliError> {
    let f = crate::crypto::reply::open_own_followup(keys, bytes)?;
    Ok(OpenedEntry {
        seq: 0,
        kind: Kind::Followup,
        received: String::new(),
        message: f.message,
        signer: None,
        attachments: f.attachments,
        files: Vec::new(),
    })
}

/// Seals a signed reply as the reply bundle of pairs: each part sealed to the witness's
/// reply key, then to the current epoch (the reviewers' copy).
pub fn seal_reply_pairs(
    epoch: Epoch,
    intake: &IntakePublicKey,
    witness: &IntakePublicKey,
    reply: &Reply,
    files: &[(PathBuf, Zeroizing<Vec<u8>>)],
) -> Result<Vec<u8>, CliError> {
    let json = Zeroizing::new(reply.to_json());
    let mut envelopes = Vec::with_capacity(2 + 2 * files.len());
    for key in [witness, intake] {
        envelopes.push(seal(&json, Kind::Reply, Flags::NONE, epoch, key)?);
    }
    for (_, bytes) in files {
        for key in [witness, intake] {
            envelopes.push(seal(bytes, Kind::Attachment, Flags::NONE, epoch, key)?);
        }
    }
    let refs: Vec<&[u8]> = envelopes.iter().map(Vec::as_slice).collect();
    Ok(bundle::encode(&refs))
}

/// Opens every part of a conversation bundle whose first part is `first` with `key`.
pub fn open_parts(
    bytes: &[u8],
    first: Kind,
    key: &IntakeSecretKey,
) -> Result<(Opened, Plaintexts), CliError> {
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
pub fn bundle_epoch(bytes: &[u8], first: Kind) -> Result<Epoch, CliError> {
    let parsed =
        bundle::parse_with_kinds(bytes, |i| if i == 0 { first } else { Kind::Attachment })?;
    Ok(parsed.epoch())
}

/// Opens a reply from the witness's mailbox: decrypts it with the reply key, checks it
/// is addressed to this receipt, its signature by a reviewer on the keyring, and its
/// attachments against their hashes.
fn open_reply_for_witness(
    keyring: &VerifiedKeyring,
    keys: &ReceiptKeys,
    bytes: &[u8],
) -> Result<OpenedEntry, CliError> {
    let (head, files) = open_parts(bytes, Kind::Reply, &keys.reply_secret())?;
    let reply = Reply::from_json(&head.plaintext)?;
    if reply.to != keys.reply_pk_b64() {
        return Err(CryptoError::BadSignature.into());
    }
    reply_entry(keyring, reply, files)
}

/// Checks a reply's signature and attachments and makes it an entry.
pub fn reply_entry(
    keyring: &VerifiedKeyring,
    reply: Reply,
    files: Vec<Zeroizing<Vec<u8>>>,
) -> Result<OpenedEntry, CliError> {
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
pub fn followup_entry(
    head: &Opened,
    files: Vec<Zeroizing<Vec<u8>>>,
) -> Result<OpenedEntry, CliError> {
    let f = Followup::from_json(&head.plaintext)?;
    if !files_match(&f.attachments, &files) {
        return Err(CliError::Usage(
            "a follow-up's files do not match its own list of them: the stored message was altered"
                .into(),
        ));
    }
    Ok(OpenedEntry {
        seq: 0,
        kind: Kind::Followup,
        received: String::new(),
        message: f.message,
        signer: None,
        attachments: f.attachments,
        files,
    })
}

/// The reviewer who signed `reply`, looked up in every manifest from newest to oldest,
/// so replies by reviewers removed since still verify (and say so).
fn verify_signer(keyring: &VerifiedKeyring, reply: &Reply) -> Option<Signer> {
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

/// Saves every entry's files into `dir` as `<seq>-<name>`; returns, per entry, the paths.
pub fn save_entry_files(
    dir: &Path,
    entries: &[OpenedEntry],
) -> Result<Vec<Vec<PathBuf>>, CliError> {
    std::fs::create_dir_all(dir).map_err(|e| CliError::File(dir.to_owned(), e))?;
    let mut out = Vec::with_capacity(entries.len());
    for e in entries {
        let mut paths = Vec::new();
        for (meta, bytes) in e.attachments.iter().zip(&e.files) {
            let path = dir.join(format!("{}-{}", e.seq, meta.name.as_str()));
            std::fs::write(&path, &bytes[..]).map_err(|err| CliError::File(path.clone(), err))?;
            paths.push(path);
        }
        out.push(paths);
    }
    Ok(out)
}
