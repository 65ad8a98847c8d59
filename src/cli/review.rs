//! `tipseal review …`: the reviewer's client. Logs in, fetches sealed tips, and opens
//! them on this machine with the reviewer's grants from the keyring.
//!
//! The newest keyring a reviewer's client has accepted is remembered beside the key file
//! (`KEY.keyring-pin`: epoch and manifest hash, see `trust`): a server that later serves a
//! different chain, or the genuine one cut back to an older epoch — which could trick
//! `rewrap` or `reply` into sealing to a key a revoked reviewer or the server's operator
//! holds — is refused, and so is an expired keyring for anything that seals.

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::crypto::envelope::{open, rewrap};
use crate::crypto::identity::Identity;
use crate::crypto::intake::IntakeSecretKey;
use crate::crypto::keyring::{intake_secret_for, VerifiedKeyring};
use crate::crypto::{hash32, CryptoError};
use crate::domain::bundle;
use crate::domain::envelope::{Flags, Kind};
use crate::domain::tip::received::ReceivedTip;
use crate::domain::tip::AttachmentMeta;
use crate::domain::{Epoch, TipId};

use super::followup::{self, OpenedEntry};
use super::{output, CliError, Client};
use crate::client::trust::{self, Memory, Use};
use crate::crypto::receipt::reply_public_key;
use crate::domain::tip::conversation::Reply as ReplyDoc;
use crate::domain::tip::LongText;

/// What `tipseal review --help` (and each subcommand's) says after the options.
pub const AFTER_HELP: &str = "\
Keyring pin: the first command run with a key writes KEY.keyring-pin beside the key \
file. It remembers the newest keyring (epoch and hash) this key has accepted from the \
server; later commands refuse a server that offers an older or a different keyring, \
which could otherwise have you seal replies or re-wraps to a revoked reviewer's key. \
It holds nothing secret. Delete it only if the team tells you, through another \
channel, that they started a new keyring.

Passphrase: asked on the terminal, or read from the TIPSEAL_PASSPHRASE environment \
variable (for scripts; anyone who can read this process's environment can read it).";

/// `tipseal review` subcommands.
#[derive(clap::Subcommand, Debug)]
#[command(after_help = AFTER_HELP)]
pub enum Command {
    /// List tips (metadata only; nothing is decrypted).
    #[command(after_help = AFTER_HELP)]
    List {
        #[command(flatten)]
        conn: Conn,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Open one tip on this machine and print it.
    #[command(after_help = AFTER_HELP)]
    Show {
        /// The tip's id.
        id: TipId,
        #[command(flatten)]
        conn: Conn,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// Save the attachments into this directory.
        #[arg(long)]
        save_attachments: Option<PathBuf>,
    },
    /// Reply to the witness of a tip (only if they left a receipt). The reply is signed
    /// with your key and sealed to the witness's reply key, and a copy to the team.
    #[command(after_help = AFTER_HELP)]
    Reply {
        /// The tip's id.
        id: TipId,
        #[command(flatten)]
        conn: Conn,
        /// The message.
        #[arg(long)]
        message: Option<String>,
        /// A file to send (repeat for more, at most 15).
        #[arg(long)]
        attach: Vec<PathBuf>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Re-seal the content keys of tips and of their conversations (follow-ups, the
    /// team's copies of replies) from older epochs to the current epoch, so that current
    /// reviewers (including ones added later) can read them.
    #[command(after_help = AFTER_HELP)]
    Rewrap {
        #[command(flatten)]
        conn: Conn,
    },
}

/// Where and as whom.
#[derive(clap::Args, Debug)]
pub struct Conn {
    /// The server.
    #[arg(long)]
    server: String,
    /// The reviewer's secret key file (its passphrase is asked, or read from
    /// TIPSEAL_PASSPHRASE). KEY.keyring-pin is kept beside it (see `tipseal review
    /// --help`).
    #[arg(long)]
    key: PathBuf,
    /// Proxy, e.g. socks5h://127.0.0.1:9050 to go through Tor (the proxy resolves the
    /// server's name, .onion included; socks5:// does the same here).
    #[arg(long)]
    proxy: Option<String>,
}

impl Conn {
    /// `--server … --key … [--proxy …]` as given, ready to paste into a printed hint.
    pub fn hint_args(&self) -> String {
        let mut s = format!(
            "--server {} --key {}",
            output::shell_word(&self.server),
            output::shell_word(&self.key.display().to_string())
        );
        if let Some(p) = &self.proxy {
            s.push_str(&format!(" --proxy {}", output::shell_word(p)));
        }
        s
    }
}

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
}

/// Runs a `tipseal review` subcommand.
pub fn run(c: Command) -> Result<(), CliError> {
    match c {
        Command::List { conn, json } => {
            let (client, _, _, session) = connect(&conn, Use::Read)?;
            output::tip_list(&client.list(&session)?, json)
        }
        Command::Show {
            id,
            conn,
            json,
            save_attachments,
        } => {
            let (client, me, keyring, session) = connect(&conn, Use::Read)?;
            let bytes = client.fetch(&session, id)?;
            let tip = open_bundle(&keyring, &me, id, &bytes)?;
            let conversation = open_thread(&client, &session, &keyring, &me, id)?;
            let (saved, conversation_saved) = match &save_attachments {
                Some(dir) => (
                    save_files(dir, &tip)?,
                    followup::save_entry_files(&dir.join("conversation"), &conversation)?,
                ),
                None => (Vec::new(), Vec::new()),
            };
            let reply_command = format!(
                "tipseal review reply {id} {} --message TEXT",
                conn.hint_args()
            );
            output::tip(
                &tip,
                &saved,
                &conversation,
                &conversation_saved,
                &reply_command,
                json,
            )
        }
        Command::Reply {
            id,
            conn,
            message,
            attach,
            json,
        } => {
            let (client, me, keyring, session) = connect(&conn, Use::Seal)?;
            let bytes = client.fetch(&session, id)?;
            let tip = open_bundle(&keyring, &me, id, &bytes)?;
            let to = tip.received.reply_to.as_ref().ok_or_else(|| {
                CliError::Usage(
                    "the witness left no receipt with this tip: there is no way to reply".into(),
                )
            })?;
            let witness = reply_public_key(&to.box_pk)
                .ok_or_else(|| CliError::Usage("the tip's reply address is malformed".into()))?;
            let files = attach
                .iter()
                .map(|p| Ok((p.clone(), Zeroizing::new(super::read_file(p)?))))
                .collect::<Result<Vec<_>, CliError>>()?;
            let message = LongText::parse(message.unwrap_or_default()).map_err(CliError::Usage)?;
            let mut reply = ReplyDoc::unsigned(
                message,
                me.key_id(),
                to.box_pk.clone(),
                super::submit::attachment_metas(&files),
            )?;
            crate::crypto::reply::sign(&me, &mut reply);
            let bundle = followup::seal_reply_pairs(
                keyring.epoch(),
                &keyring.intake_public_key(),
                &witness,
                &reply,
                &files,
            )?;
            let seq = client.post_reply(&session, id, &bundle)?;
            if json {
                println!("{}", serde_json::json!({ "id": id, "reply": seq }));
            } else {
                println!("Reply #{seq} sent. Only the witness (with their receipt) and the team can read it.");
            }
            Ok(())
        }
        Command::Rewrap { conn } => {
            let (client, me, keyring, session) = connect(&conn, Use::Seal)?;
            rewrap_all(&client, &session, &keyring, &me, &conn.hint_args())
        }
    }
}

/// Unlocks the key, fetches the keyring and checks it against the one remembered beside
/// the key (no rollback, no fork) and its expiry (refused when `usage` seals), logs in.
pub fn connect(
    conn: &Conn,
    usage: Use,
) -> Result<
    (
        Client,
        Identity,
        VerifiedKeyring,
        crate::client::api::Session,
    ),
    CliError,
> {
    let me = super::keys::unlock(&conn.key)?;
    let client = Client::new(&conn.server, conn.proxy.as_deref())?;
    let keyring = client.keyring()?;
    let mut notes = Vec::new();
    let accepted = trust::accept(
        &keyring,
        &Memory::for_reviewer(&conn.key),
        usage,
        &mut notes,
    );
    output::notes(&notes);
    accepted?;
    let session = client.login(&me)?;
    Ok((client, me, keyring, session))
}

/// Opens every part of a tip bundle and checks attachments against the tip's hashes.
pub fn open_bundle(
    keyring: &VerifiedKeyring,
    me: &Identity,
    id: TipId,
    bytes: &[u8],
) -> Result<OpenedTip, CliError> {
    open_bundle_with(id, bytes, |epoch| {
        intake_secret_for(keyring, epoch, me).map_err(|_| {
            CliError::Usage(format!(
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
    mut key_for: impl FnMut(Epoch) -> Result<IntakeSecretKey, CliError>,
) -> Result<OpenedTip, CliError> {
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
                Err(CliError::from(CryptoError::DecryptionFailed))
            }
        })
        .collect::<Result<_, _>>()?;
    check_attachments(&received.attachments, &files)?;
    Ok(OpenedTip {
        id,
        flags: first.flags,
        received,
        files,
    })
}

/// The tip names each attachment's hash; a server that swapped, dropped or added parts
/// is caught here.
fn check_attachments(
    metas: &[AttachmentMeta],
    files: &[Zeroizing<Vec<u8>>],
) -> Result<(), CliError> {
    let ok = metas.len() == files.len()
        && metas.iter().zip(files).all(|(m, f)| {
            m.size == f.len() as u64
                && crate::crypto::ct_eq(
                    hex::encode(hash32(b"", &[f])).as_bytes(),
                    m.blake2b.to_ascii_lowercase().as_bytes(),
                )
        });
    if ok {
        Ok(())
    } else {
        Err(CliError::Usage(
            "the attachments do not match the tip's own list of them: the stored tip was altered"
                .into(),
        ))
    }
}

/// Fetches and opens a tip's conversation with this reviewer's grants.
fn open_thread(
    client: &Client,
    session: &crate::client::api::Session,
    keyring: &VerifiedKeyring,
    me: &Identity,
    id: TipId,
) -> Result<Vec<OpenedEntry>, CliError> {
    let mut keys: HashMap<Epoch, IntakeSecretKey> = HashMap::new();
    let mut out = Vec::new();
    for row in client.thread(session, id)? {
        let bytes = client.thread_entry(session, id, row.id)?;
        let kind = if row.kind == "reply" {
            Kind::Reply
        } else {
            Kind::Followup
        };
        let epoch = followup::bundle_epoch(&bytes, kind)?;
        let sk = match keys.entry(epoch) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(v) => v.insert(intake_secret_for(keyring, epoch, me).map_err(|_| {
                CliError::Usage(format!(
                    "your key has no grant for key epoch {epoch} of this conversation"
                ))
            })?),
        };
        let (head, files) = followup::open_parts(&bytes, kind, sk)?;
        let mut entry = match kind {
            Kind::Reply => {
                followup::reply_entry(keyring, ReplyDoc::from_json(&head.plaintext)?, files)
                    .map_err(|_| {
                        CliError::Usage(format!(
                            "reply #{} of this tip is not signed by a reviewer on the keyring",
                            row.id
                        ))
                    })?
            }
            // A follow-up a newer or careless client wrote: shown as received, not refused
            // (with files, its list must still vouch for them: then the strict path).
            _ if files.is_empty()
                && crate::domain::tip::conversation::Followup::from_json(&head.plaintext)
                    .is_err() =>
            {
                followup_as_received(&head.plaintext)
            }
            _ => followup::followup_entry(&head, files)?,
        };
        entry.seq = row.id;
        entry.received = row.received;
        out.push(entry);
    }
    Ok(out)
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
    OpenedEntry {
        seq: 0,
        kind: Kind::Followup,
        received: String::new(),
        message: LongText::parse(format!("{WARNING}{text}"))
            .expect("no control characters, within the length"),
        signer: None,
        attachments: Vec::new(),
        files: Vec::new(),
    }
}

fn save_files(dir: &Path, tip: &OpenedTip) -> Result<Vec<PathBuf>, CliError> {
    std::fs::create_dir_all(dir).map_err(|e| CliError::File(dir.to_owned(), e))?;
    let mut out = Vec::new();
    for (meta, bytes) in tip.received.attachments.iter().zip(&tip.files) {
        // FileName is a plain base name by construction; still, never overwrite.
        let mut path = dir.join(meta.name.as_str());
        if path.exists() {
            path = dir.join(format!("{}-{}", meta.part, meta.name.as_str()));
        }
        std::fs::write(&path, &bytes[..]).map_err(|e| CliError::File(path.clone(), e))?;
        out.push(path);
    }
    Ok(out)
}

/// Moves everything a reviewer can read to the current epoch: every tip's parts, and
/// the reviewers' copies of its conversation (follow-ups and the team's copies of
/// replies). Afterwards a reviewer added since can read it all, and an old epoch's key
/// can be destroyed without shredding anything. Entries sealed to epochs this key has no
/// grant for are counted and left for another reviewer.
fn rewrap_all(
    client: &Client,
    session: &crate::client::api::Session,
    keyring: &VerifiedKeyring,
    me: &Identity,
    hint_args: &str,
) -> Result<(), CliError> {
    let current = keyring.epoch();
    let intake = keyring.intake_public_key();
    let (mut tips_done, mut entries_done, mut skipped) = (0usize, 0usize, 0usize);
    let mut keys: HashMap<Epoch, Option<IntakeSecretKey>> = HashMap::new();
    let rewrap_parts = |bytes: &[u8], sk: &IntakeSecretKey, first: Kind| {
        let parsed =
            bundle::parse_with_kinds(bytes, |i| if i == 0 { first } else { Kind::Attachment })?;
        parsed
            .parts()
            .iter()
            .map(|p| rewrap(p.bytes, sk, current, &intake).map(|w| w.encode()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(CliError::from)
    };
    // One tip or entry that cannot be fetched, opened or swapped is reported and skipped:
    // it must never stop the rest of the team's data from moving to the current epoch.
    let mut failed: Vec<String> = Vec::new();
    for row in client.list(session)? {
        let from = Epoch::new(row.epoch)?;
        if from != current {
            match keys
                .entry(from)
                .or_insert_with(|| intake_secret_for(keyring, from, me).ok())
            {
                Some(sk) => {
                    let done = (|| -> Result<(), CliError> {
                        let bytes = client.fetch(session, row.id)?;
                        let wraps = rewrap_parts(&bytes, sk, Kind::Tip)?;
                        Ok(client.swap_wraps(session, row.id, from, &wraps)?)
                    })();
                    match done {
                        Ok(()) => tips_done += 1,
                        Err(e) => failed.push(format!("tip {}: {e}", row.id)),
                    }
                }
                None => skipped += 1,
            }
        }
        let entries = match client.thread(session, row.id) {
            Ok(entries) => entries,
            Err(e) => {
                failed.push(format!("the conversation of tip {}: {e}", row.id));
                continue;
            }
        };
        for entry in entries {
            let first = if entry.kind == "reply" {
                Kind::Reply
            } else {
                Kind::Followup
            };
            // Ok(Some(true)): re-wrapped; Ok(Some(false)): no grant; Ok(None): current.
            let mut one = || -> Result<Option<bool>, CliError> {
                let bytes = client.thread_entry(session, row.id, entry.id)?;
                let from = followup::bundle_epoch(&bytes, first)?;
                if from == current {
                    return Ok(None);
                }
                let Some(sk) = keys
                    .entry(from)
                    .or_insert_with(|| intake_secret_for(keyring, from, me).ok())
                else {
                    return Ok(Some(false));
                };
                let wraps = rewrap_parts(&bytes, sk, first)?;
                client.swap_entry_wraps(session, row.id, entry.id, from, &wraps)?;
                Ok(Some(true))
            };
            match one() {
                Ok(Some(true)) => entries_done += 1,
                Ok(Some(false)) => skipped += 1,
                Ok(None) => {}
                Err(e) => failed.push(format!("tip {} entry {}: {e}", row.id, entry.id)),
            }
        }
    }
    println!(
        "Re-wrapped {tips_done} tip(s) and {entries_done} conversation entr{} to key epoch {current}.",
        if entries_done == 1 { "y" } else { "ies" }
    );
    if skipped > 0 {
        println!(
            "{skipped} tip(s) or conversation entries are sealed to epochs your key has no grant for; another reviewer must re-wrap them."
        );
    }
    if !failed.is_empty() {
        for f in &failed {
            eprintln!("Not re-wrapped: {f}");
        }
        return Err(CliError::Usage(format!(
            "{} tip(s) or conversation entries could not be re-wrapped (listed above); everything else was. Run `tipseal review rewrap {hint_args}` again later, or ask the server's operator about those listed",
            failed.len()
        )));
    }
    Ok(())
}

#[cfg(test)]
#[path = "review_tests.rs"]
mod tests;
