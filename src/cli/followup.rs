//! `tipseal followup`: the witness's mailbox on the command line (the sealing and opening
//! live in `witness`; this module reads the files and prints).
//!
//! The witness's client reads the receipt words from a file, derives the reply and
//! mailbox keys on this machine, logs in to the mailbox by signing a challenge, opens the
//! replies with the reply key, checks each reply's reviewer signature against the keyring
//! (old epochs included, so a reviewer revoked since is still recognised, and labelled),
//! and can add a message and files sealed to the current epoch. The receipt, the keys and
//! the plaintexts never leave the machine.

use std::path::PathBuf;

use zeroize::Zeroizing;

use crate::client::trust::{self, Use};
use crate::client::Error as ClientError;
use crate::crypto::receipt::{reply_public_key, Receipt};
use crate::domain::tip::{LongText, MAX_ATTACHMENTS};
use crate::domain::KeyId;
use crate::witness::{open_mailbox, seal_followup};

use super::{output, read_files, save, submit, CliError, Client};

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
        let bundle = seal_followup(&keyring, msg, &submit::attachments_of(&files), own.as_ref())?;
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
    let mailbox = open_mailbox(&view, &keyring, &keys)?;
    let saved = match &a.save_attachments {
        Some(dir) => save::entry_files(dir, &mailbox.entries)?,
        None => Vec::new(),
    };
    output::mailbox(
        &mailbox.entries,
        &saved,
        &view.retention,
        mailbox.unverified,
        sent.map(|id| (id, copy_kept)),
        a.json,
    )
}
