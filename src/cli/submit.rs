//! `tipseal submit`: the witness's command-line client.
//!
//! Parses the tip document, seals it and every attachment on this machine to the current
//! key epoch of a keyring whose signatures it has checked, and uploads one bundle. A
//! dropped connection is retried with the same idempotency key, so a retry never files
//! the tip twice. Nothing but sealed bytes leaves the machine.

use std::path::PathBuf;

use zeroize::Zeroizing;

use crate::crypto::bundle_seal::{self, Attachment};
use crate::crypto::receipt::Receipt;
use crate::crypto::{b64_encode, random_bytes, CryptoError};
use crate::domain::envelope::Flags;
use crate::domain::receipt::WordList;
use crate::domain::tip::{FileName, MediaType, ReplyTo, TipDocument};

use super::{output, read_file, receipt_file, CliError, Client};
use crate::client::trust::{self, Use};

/// Why a tip document is refused before anything is sealed or sent: every field that
/// does not follow the schema (`docs/schema/tip-v1.json`), by name.
fn refusal(path: &std::path::Path, bytes: &[u8]) -> String {
    let problems: Vec<String> = crate::domain::tip::received::document_problems(bytes)
        .into_iter()
        .map(|w| match w.field.as_str() {
            "" => w.problem,
            f => format!("{f}: {}", w.problem),
        })
        .collect();
    format!(
        "{} does not follow the tip schema (docs/schema/tip-v1.json); nothing was sent. Fix: {}",
        path.display(),
        problems.join("; ")
    )
}

/// Attempts at uploading before giving up (the same idempotency key each time).
const UPLOAD_ATTEMPTS: u32 = 3;

/// Arguments of `tipseal submit`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The server, e.g. http://abc…xyz.onion or http://127.0.0.1:8080.
    #[arg(long)]
    server: String,
    /// The tip document (JSON, schema tipseal/tip/v1).
    #[arg(long)]
    tip: PathBuf,
    /// A file to attach (repeat for more).
    #[arg(long)]
    attach: Vec<PathBuf>,
    /// Print the receipt as JSON.
    #[arg(long)]
    json: bool,
    /// Refuse the keyring unless its first manifest lists exactly these admins and is
    /// signed by each of them (repeat for every admin the team published).
    #[arg(long)]
    admin_key_id: Vec<crate::domain::KeyId>,
    /// Do not remember this server's newest keyring epoch. By default it is kept in
    /// `$XDG_STATE_HOME/tipseal/keyrings/` (or `~/.local/state/…`), so a server rolled
    /// back to an older epoch is refused; the file shows someone who searches this
    /// machine that tipseal was used. Without it, a rollback goes unnoticed.
    #[arg(long)]
    no_keyring_memory: bool,
    /// Proxy, e.g. socks5h://127.0.0.1:9050 to go through Tor (the proxy resolves the
    /// server's name, .onion included; socks5:// does the same here).
    #[arg(long)]
    proxy: Option<String>,
    /// The word list to show the receipt in: english (default), korean,
    /// chinese_simplified, chinese_traditional, japanese, spanish, french, italian,
    /// czech, portuguese. Every list is accepted when you use it.
    #[arg(long, default_value = "english")]
    receipt_words: String,
    /// Also save the receipt words to this new file (mode 0600), for scripts. It must not
    /// exist yet and its directory must: both are checked, and the file created, before
    /// anything is sent. The receipt is printed even if saving it fails (exit status 4:
    /// the tip IS stored; do not send it again). Anyone who reads the file can read the
    /// replies to your tip.
    #[arg(long, conflicts_with = "no_receipt")]
    receipt_out: Option<PathBuf>,
    /// Leave no way for reviewers to write back (no receipt is made).
    #[arg(long)]
    no_receipt: bool,
}

/// Runs `tipseal submit`.
pub fn run(a: Args) -> Result<(), CliError> {
    let doc_bytes = Zeroizing::new(read_file(&a.tip)?);
    let doc = TipDocument::from_json(&doc_bytes)
        .map_err(|_| CliError::Usage(refusal(&a.tip, &doc_bytes)))?;
    let files = super::read_files(&a.attach)?;
    if !doc.has_content() && files.is_empty() {
        return Err(CliError::Usage(format!(
            "{}: the report is empty: write something or attach a file (nothing was sent)",
            a.tip.display()
        )));
    }

    let client = Client::new(&a.server, a.proxy.as_deref())?;
    // Before anything is sealed or sent: a receipt file that cannot be made must not
    // cost the witness a stored tip without its receipt (a retry would file it twice).
    let mut receipt_file = a
        .receipt_out
        .as_deref()
        .map(receipt_file::ReceiptFile::create)
        .transpose()?;
    let mut notes = Vec::new();
    let keyring = trust::witness_keyring(
        &client,
        &a.server,
        &a.admin_key_id,
        a.no_keyring_memory,
        Use::Seal,
        &mut notes,
    );
    output::notes(&notes);
    let keyring = keyring?;
    if !keyring.has_reviewers() {
        return Err(CliError::Usage(
            "the server has no reviewers yet; nobody could read your tip".into(),
        ));
    }
    let list = WordList::parse(&a.receipt_words).ok_or_else(|| {
        CliError::Usage(format!(
            "--receipt-words must be one of: {}",
            WordList::ALL.map(WordList::name).join(", ")
        ))
    })?;
    let followup = (!a.no_receipt).then(Receipt::generate);
    let keys = followup.as_ref().map(Receipt::keys);
    let reply_to = keys.as_ref().map(|k| ReplyTo {
        box_pk: k.reply_pk_b64(),
    });
    let mailbox_pk = keys.as_ref().map(|k| k.mailbox_pk_b64());
    let bundle = seal_bundle_with_reply(&keyring, doc, &files, reply_to)?;
    let words = followup.as_ref().map(|r| r.to_words(list));
    let key = b64_encode(&random_bytes::<18>());
    // Big parts through the uploads API, once: every retry names the same uploads.
    let sent = crate::client::upload::prepare(&client, &bundle)?;
    let mut last = None;
    for _ in 0..UPLOAD_ATTEMPTS {
        match client.submit_with_uploads(&sent.body, &key, mailbox_pk.as_deref(), &sent.uploads) {
            Ok(receipt) => {
                // Saved first, printed always: a failed save still shows the words.
                let saved = match (receipt_file.take(), &words) {
                    (Some(file), Some(w)) => file.write(w.as_bytes()).err(),
                    _ => None,
                };
                let hint = output::ReceiptHint {
                    server: &a.server,
                    proxy: a.proxy.as_deref(),
                    saved_to: a.receipt_out.as_deref().filter(|_| saved.is_none()),
                };
                output::receipt(&receipt, words.as_ref().map(|w| w.as_str()), &hint, a.json)?;
                return match saved {
                    None => Ok(()),
                    Some(e) => Err(CliError::ReceiptNotSaved(Box::new(e))),
                };
            }
            Err(e @ crate::client::Error::Network(_)) => last = Some(e),
            Err(e) => return Err(e.into()),
        }
        std::thread::sleep(std::time::Duration::from_secs(2));
    }
    Err(last
        .unwrap_or_else(|| crate::client::Error::Network("upload failed".into()))
        .into())
}

/// Seals a document and its attachments into one bundle for the keyring's current epoch.
pub fn seal_bundle(
    keyring: &crate::crypto::keyring::VerifiedKeyring,
    doc: TipDocument,
    files: &[(PathBuf, Zeroizing<Vec<u8>>)],
) -> Result<Vec<u8>, CliError> {
    seal_bundle_with_reply(keyring, doc, files, None)
}

/// Like [`seal_bundle`], with the witness's reply address inside the sealed tip.
pub fn seal_bundle_with_reply(
    keyring: &crate::crypto::keyring::VerifiedKeyring,
    doc: TipDocument,
    files: &[(PathBuf, Zeroizing<Vec<u8>>)],
    reply_to: Option<ReplyTo>,
) -> Result<Vec<u8>, CliError> {
    bundle_seal::seal_bundle(keyring, doc, &attachments_of(files), Flags::NONE, reply_to).map_err(
        |e| match e {
            CryptoError::Domain(d) => CliError::Domain(d),
            other => other.into(),
        },
    )
}

/// The files as attachments to seal: base name and media type from the path.
pub(super) fn attachments_of(files: &[(PathBuf, Zeroizing<Vec<u8>>)]) -> Vec<Attachment<'_>> {
    files
        .iter()
        .map(|(path, bytes)| Attachment {
            name: FileName::from_path_lossy(path),
            media_type: media_type_of(path),
            bytes,
        })
        .collect()
}

/// A media type from the file extension; never from the content (we don't parse it).
pub(crate) fn media_type_of(path: &std::path::Path) -> MediaType {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let t = match ext.as_str() {
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "heic" => "image/heic",
        "pdf" => "application/pdf",
        "txt" => "text/plain",
        "md" => "text/markdown",
        "csv" => "text/csv",
        "json" => "application/json",
        "mp3" => "audio/mpeg",
        "m4a" => "audio/mp4",
        "ogg" | "oga" | "opus" => "audio/ogg",
        "wav" => "audio/wav",
        "mp4" => "video/mp4",
        "mov" => "video/quicktime",
        "doc" => "application/msword",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xls" => "application/vnd.ms-excel",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "zip" => "application/zip",
        _ => "application/octet-stream",
    };
    MediaType::parse(t.to_owned()).expect("the table holds valid media types")
}
