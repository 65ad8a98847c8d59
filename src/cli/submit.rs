//! `tipseal submit`: the witness's command-line client.
//!
//! Parses the tip document, seals it and every attachment on this machine to the current
//! key epoch of a keyring whose signatures it has checked, and uploads one bundle. A
//! dropped connection is retried with the same idempotency key, so a retry never files
//! the tip twice. Nothing but sealed bytes leaves the machine.

use std::path::PathBuf;

use zeroize::Zeroizing;

use crate::crypto::bundle_seal::{self, Attachment};
use crate::crypto::{b64_encode, random_bytes, CryptoError};
use crate::domain::envelope::Flags;
use crate::domain::tip::{FileName, MediaType, TipDocument};

use super::{output, read_file, CliError, Client};

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
    /// Refuse the keyring unless its genesis is signed by this admin key id.
    #[arg(long)]
    admin_key_id: Option<crate::domain::KeyId>,
    /// Proxy for the connection, e.g. socks5://127.0.0.1:9050 to go through Tor.
    #[arg(long)]
    proxy: Option<String>,
}

/// Runs `tipseal submit`.
pub fn run(a: Args) -> Result<(), CliError> {
    let doc_bytes = Zeroizing::new(read_file(&a.tip)?);
    let doc = TipDocument::from_json(&doc_bytes)
        .map_err(|e| CliError::Usage(format!("{}: {e}", a.tip.display())))?;
    let files = a
        .attach
        .iter()
        .map(|p| Ok((p.clone(), Zeroizing::new(read_file(p)?))))
        .collect::<Result<Vec<_>, CliError>>()?;

    let client = Client::new(&a.server, a.proxy.as_deref())?;
    let keyring = client.keyring()?;
    if let Some(pin) = a.admin_key_id {
        let genesis = keyring.manifest(crate::domain::Epoch::FIRST);
        if !genesis.is_some_and(|m| m.admins.iter().any(|a| a.id == pin)) {
            return Err(CliError::Usage(
                "the server's keyring is not signed by the admin key you pinned".into(),
            ));
        }
    }
    if !keyring.has_reviewers() {
        return Err(CliError::Usage(
            "the server has no reviewers yet; nobody could read your tip".into(),
        ));
    }
    let bundle = seal_bundle(&keyring, doc, &files)?;
    let key = b64_encode(&random_bytes::<18>());
    let mut last = None;
    for _ in 0..UPLOAD_ATTEMPTS {
        match client.submit(&bundle, &key) {
            Ok(receipt) => return output::receipt(&receipt, a.json),
            Err(CliError::Network(e)) => last = Some(CliError::Network(e)),
            Err(e) => return Err(e),
        }
        std::thread::sleep(std::time::Duration::from_secs(2));
    }
    Err(last.unwrap_or_else(|| CliError::Network("upload failed".into())))
}

/// Seals a document and its attachments into one bundle for the keyring's current epoch.
pub fn seal_bundle(
    keyring: &crate::crypto::keyring::VerifiedKeyring,
    doc: TipDocument,
    files: &[(PathBuf, Zeroizing<Vec<u8>>)],
) -> Result<Vec<u8>, CliError> {
    let attachments: Vec<Attachment<'_>> = files
        .iter()
        .map(|(path, bytes)| Attachment {
            name: FileName::from_path_lossy(path),
            media_type: media_type_of(path),
            bytes,
        })
        .collect();
    bundle_seal::seal_bundle(keyring, doc, &attachments, Flags::NONE).map_err(|e| match e {
        CryptoError::Domain(d) => CliError::Domain(d),
        other => other.into(),
    })
}

/// A media type from the file extension; never from the content (we don't parse it).
fn media_type_of(path: &std::path::Path) -> MediaType {
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
