//! `tipseal admin …`: keyring changes, signed on the admin's own machine.
//!
//! Every change writes a new epoch into the keyring file (atomically); `publish` sends the
//! file to a server, which accepts it only if it verifies and extends the chain it holds.
//! The admin's client creates each epoch's intake key, seals it to the reviewers and
//! forgets it: the admin never keeps a key that opens tips.

use std::path::{Path, PathBuf};

use crate::crypto::identity::Identity;
use crate::crypto::keyring::{self, verify_chain, VerifiedKeyring};
use crate::domain::keyring::KeyringFile;

use super::keys::{read_public, unlock};
use super::{read_file, write_atomic, CliError, Client};
use crate::client::trust;

/// How long a manifest is valid before it must be renewed (`admin renew`). Short on
/// purpose: an expired epoch takes no tips, so a keyring rolled back to an old epoch
/// (or a stolen copy of one) is useless to an attacker within 90 days.
const VALIDITY_DAYS: u32 = 90;

/// `tipseal admin` subcommands.
#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// Create a new keyring (epoch 1) administered by this key.
    Init {
        #[command(flatten)]
        k: KeyArgs,
    },
    /// Add a reviewer (starts a new epoch that includes them).
    AddReviewer {
        #[command(flatten)]
        k: KeyArgs,
        /// The reviewer's public key file (FILE.pub).
        #[arg(long)]
        reviewer: PathBuf,
    },
    /// Revoke a reviewer by name or key id (starts a new epoch without them).
    RevokeReviewer {
        #[command(flatten)]
        k: KeyArgs,
        /// The reviewer's name or key id.
        #[arg(long)]
        reviewer: String,
    },
    /// Start a new epoch with a fresh intake key for the same reviewers.
    Rotate {
        #[command(flatten)]
        k: KeyArgs,
    },
    /// Renew before expiry: a new epoch with the same people, a fresh intake key and a
    /// fresh expiry (90 days). Then publish it.
    Renew {
        #[command(flatten)]
        k: KeyArgs,
    },
    /// Send the keyring file to a server.
    Publish {
        /// The keyring file.
        #[arg(long)]
        keyring: PathBuf,
        /// The server.
        #[arg(long)]
        server: String,
        /// Proxy, e.g. socks5h://127.0.0.1:9050 to go through Tor (the proxy resolves
        /// the server's name, .onion included).
        #[arg(long)]
        proxy: Option<String>,
    },
    /// Fetch the server's audit chain, verify it, and print it.
    Audit {
        /// The admin's secret key file.
        #[arg(long)]
        admin_key: PathBuf,
        /// The server.
        #[arg(long)]
        server: String,
        /// Proxy, e.g. socks5h://127.0.0.1:9050 to go through Tor (the proxy resolves
        /// the server's name, .onion included).
        #[arg(long)]
        proxy: Option<String>,
    },
    /// Write a backup of a data directory: a point-in-time snapshot, still sealed,
    /// with an integrity hash. Works while the server runs (through its control socket).
    Backup {
        /// The server's data directory.
        #[arg(long)]
        data: PathBuf,
        /// The backup file to create (never overwritten).
        #[arg(long)]
        out: PathBuf,
    },
    /// Restore a backup into a new or empty data directory, after verifying all of it.
    Restore {
        /// The backup file.
        #[arg(long)]
        from: PathBuf,
        /// The data directory to create.
        #[arg(long)]
        data: PathBuf,
    },
    /// Rewrite a data directory with only its live entries, so deleted tips' ciphertext
    /// does not linger in old database segments. Stop the server first.
    Compact {
        /// The data directory.
        #[arg(long)]
        data: PathBuf,
    },
}

/// The admin key and the keyring file every change needs.
#[derive(clap::Args, Debug)]
pub struct KeyArgs {
    /// The admin's secret key file (its passphrase is asked, or read from
    /// TIPSEAL_PASSPHRASE).
    #[arg(long)]
    admin_key: PathBuf,
    /// The keyring file to create or extend.
    #[arg(long)]
    keyring: PathBuf,
}

/// Runs a `tipseal admin` subcommand.
pub fn run(c: Command) -> Result<(), CliError> {
    match c {
        Command::Backup { data, out } => super::backup::backup(&data, &out),
        Command::Restore { from, data } => super::backup::restore(&from, &data),
        Command::Compact { data } => super::backup::compact(&data),
        Command::Init { k } => {
            if k.keyring.exists() {
                return Err(CliError::Usage(format!(
                    "{} already exists; refusing to start a second keyring over it",
                    k.keyring.display()
                )));
            }
            let admin = unlock(&k.admin_key)?;
            let file = keyring::genesis(&admin, VALIDITY_DAYS)?;
            save(&k.keyring, &file, "created")
        }
        Command::AddReviewer { k, reviewer } => {
            let public = read_public(&reviewer)?;
            let (admin, current) = load(&k)?;
            if current
                .current()
                .reviewers
                .iter()
                .any(|r| r.id == public.id)
            {
                return Err(CliError::Usage(format!(
                    "{} is already a reviewer",
                    public.name
                )));
            }
            let file = keyring::add_reviewer(&current, &admin, public, VALIDITY_DAYS)?;
            save(&k.keyring, &file, "reviewer added")
        }
        Command::RevokeReviewer { k, reviewer } => {
            let (admin, current) = load(&k)?;
            let file = keyring::revoke_reviewer(&current, &admin, &reviewer, VALIDITY_DAYS)?;
            save(&k.keyring, &file, "reviewer revoked")
        }
        Command::Rotate { k } => {
            let (admin, current) = load(&k)?;
            let file = keyring::rotate(&current, &admin, VALIDITY_DAYS)?;
            save(&k.keyring, &file, "rotated")
        }
        Command::Renew { k } => {
            let (admin, current) = load(&k)?;
            let file = keyring::rotate(&current, &admin, VALIDITY_DAYS)?;
            save(&k.keyring, &file, "renewed")
        }
        Command::Publish {
            keyring,
            server,
            proxy,
        } => {
            let bytes = read_file(&keyring)?;
            let verified = verify_chain(&KeyringFile::from_json(&bytes)?, None)?;
            if verified.is_expired(crate::domain::Day::today()) {
                eprintln!(
                    "warning: this keyring expired after {}: the server will refuse tips until \
                     you run `tipseal admin renew` and publish again",
                    verified.current().expires
                );
            }
            if let Some(warning) = trust::warn_if_expiring(&verified) {
                eprintln!("{warning}");
            }
            let epoch = Client::new(&server, proxy.as_deref())?.publish_keyring(&bytes)?;
            println!("The server now uses key epoch {epoch}.");
            Ok(())
        }
        Command::Audit {
            admin_key,
            server,
            proxy,
        } => audit(&admin_key, &server, proxy.as_deref()),
    }
}

fn load(k: &KeyArgs) -> Result<(Identity, VerifiedKeyring), CliError> {
    let file = KeyringFile::from_json(&read_file(&k.keyring)?)?;
    let current = verify_chain(&file, None)?;
    let admin = unlock(&k.admin_key)?;
    Ok((admin, current))
}

fn save(path: &Path, file: &KeyringFile, what: &str) -> Result<(), CliError> {
    let verified = verify_chain(file, None)?;
    write_atomic(path, &verified.to_json())?;
    let m = verified.current();
    println!(
        "Keyring {what}: {} is now at epoch {} with {} reviewer(s).",
        path.display(),
        verified.epoch(),
        m.reviewers.len()
    );
    println!(
        "It expires after {} (renew before: `tipseal admin renew`).",
        m.expires
    );
    println!(
        "Publish it with: tipseal admin publish --keyring {} --server URL",
        path.display()
    );
    Ok(())
}

fn audit(admin_key: &Path, server: &str, proxy: Option<&str>) -> Result<(), CliError> {
    let client = Client::new(server, proxy)?;
    let admin = unlock(admin_key)?;
    let session = client.login(&admin)?;
    let mut raw = Vec::new();
    loop {
        let page = client.audit(&session, raw.len() as u64)?;
        if page.is_empty() {
            break;
        }
        raw.extend(
            page.into_iter()
                .map(|v| serde_json::to_vec(&v).unwrap_or_default()),
        );
    }
    match crate::http::audit_log::verify_chain(&raw) {
        Ok(entries) => {
            for e in &entries {
                let actor = e.actor.map(|a| a.to_string()).unwrap_or_else(|| "-".into());
                let day = crate::domain::Day::from_days((e.at / 86_400) as i64);
                let s = e.at % 86_400;
                let at = format!("{day} {:02}:{:02}:{:02}Z", s / 3600, s / 60 % 60, s % 60);
                println!(
                    "{:>5}  {at}  {:<18}  {}  {}",
                    e.seq, e.event, actor, e.detail
                );
            }
            println!("The audit chain of {} entries is intact.", entries.len());
            Ok(())
        }
        Err(why) => Err(CliError::Usage(format!(
            "the audit chain does not verify: {why}"
        ))),
    }
}
