//! The `tipseal` command line: key generation, admin keyring commands, the server, the
//! witness submitter and the reviewer client.
//!
//! Clients do all cryptography locally and talk to the server over HTTP. They must never
//! send a secret key or a plaintext anywhere, or write a secret to disk unencrypted.

mod admin;
mod backup;
mod bench;
mod cases;
mod casework;
mod demo;
mod desk;
mod doctor;
mod followup;
mod keygen;
mod keys;
mod output;
mod passphrase;
mod quorum;
mod receipt_file;
mod review;
mod save;
mod serve;
mod submit;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

pub use crate::client::Client;

/// tipseal — sealed, anonymous tip intake.
#[derive(Parser, Debug)]
#[command(
    name = "tipseal",
    version,
    about,
    long_about = None,
    after_help = "Environment:\n  TIPSEAL_PASSPHRASE  the passphrase of the key file a command unlocks or \
                  creates (keygen, admin, review), instead of a prompt. For scripts: anyone \
                  who can read this process's environment can read it.\n  TIPSEAL_LOG  \
                  the server's log filter (default info).\n\nThe commands that talk to a \
                  server take --proxy, e.g. socks5h://127.0.0.1:9050 for Tor."
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Make an identity: FILE (secret, passphrase-encrypted, mode 0600) and FILE.pub.
    Keygen(keygen::Args),
    /// Manage the signed keyring (run on the admin's own machine).
    #[command(subcommand)]
    Admin(admin::Command),
    /// Run the server.
    Serve(serve::Args),
    /// Seal a tip on this machine and upload it.
    Submit(submit::Args),
    /// Read tips: log in, fetch sealed data, decrypt on this machine.
    #[command(subcommand)]
    Review(review::Command),
    /// The reviewer's desk: sync, then serve a web UI on 127.0.0.1 only, and print its
    /// one-time URL.
    Desk(desk::Args),
    /// As a witness: read the reviewers' replies with your receipt, and add to your tip.
    Followup(followup::Args),
    /// Check a deployment: data directory, keyring, admin pins, listen address, logs,
    /// free disk, clock, Tor. One line per check; exit 2 when one failed.
    Doctor(doctor::Args),
    /// Measure intake against a real server process: tips/s, latency, memory, disk,
    /// and the disk's own fdatasync limit (see BENCHMARKS.md).
    Bench(bench::Args),
    /// Check an export folder: every file against its signed manifest, and the signer
    /// against the keyring (a reviewer at the manifest's epoch, not revoked by its day).
    /// Exit 0 when it holds; otherwise the first mismatch is named.
    VerifyExport(cases::VerifyArgs),
    /// Print the OpenAPI description of the HTTP API (what `docs/openapi.json` holds).
    #[command(hide = true)]
    Openapi,
    /// Print the tip document's JSON Schema (what `docs/schema/tip-v1.json` holds).
    Schema {
        /// The sealed-tip wrapper's schema instead (`docs/schema/sealed-tip-v1.json`).
        #[arg(long, conflicts_with = "page")]
        sealed: bool,
        /// The page's copy instead (`web/static/tipschema.js`).
        #[arg(long)]
        page: bool,
    },
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<(), CliError> {
    crate::crypto::init()?;
    match cli.command {
        Command::Keygen(a) => keygen::run(a),
        Command::Admin(c) => admin::run(c),
        Command::Serve(a) => serve::run(a),
        Command::Submit(a) => submit::run(a),
        Command::Review(c) => review::run(c),
        Command::Desk(a) => desk::run(a),
        Command::VerifyExport(a) => cases::verify(&a),
        Command::Followup(a) => followup::run(a),
        Command::Bench(a) => bench::run(a),
        Command::Doctor(a) => doctor::run(a),
        Command::Openapi => {
            print!("{}", crate::http::openapi::json());
            Ok(())
        }
        Command::Schema { sealed, page } => {
            use crate::domain::tip::schema;
            print!(
                "{}",
                match (sealed, page) {
                    (_, true) => schema::page_module(),
                    (true, _) => schema::to_file(&schema::sealed_tip_schema()),
                    _ => schema::to_file(&schema::tip_schema()),
                }
            );
            Ok(())
        }
    }
}

/// Why a command failed; printed as one readable line.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad arguments or a refused operation, with a sentence for the user.
    #[error("{0}")]
    Usage(String),
    /// A file could not be read or written.
    #[error("{0}: {1}")]
    File(PathBuf, std::io::Error),
    /// Cryptography refused something (wrong passphrase, bad signature, …).
    #[error(transparent)]
    Crypto(#[from] crate::crypto::CryptoError),
    /// Input did not parse.
    #[error(transparent)]
    Domain(#[from] crate::domain::DomainError),
    /// The transport failed: the server refused (exit 3), could not be reached, or its
    /// keyring was refused (a usage error, exit 2).
    #[error(transparent)]
    Client(#[from] crate::client::Error),
    /// The server could not start.
    #[error(transparent)]
    Start(#[from] crate::http::StartError),
    /// The tip was stored and its receipt printed, but saving the receipt to the
    /// `--receipt-out` file failed.
    #[error(
        "your tip IS stored and its receipt is printed above, but saving the receipt failed: \
         {0}. Copy the words from above; do not send the tip again"
    )]
    ReceiptNotSaved(Box<CliError>),
    /// A `tipseal bench` run failed.
    #[error("the benchmark failed: {0}")]
    Bench(Box<crate::loadgen::LoadgenError>),
}

/// The reviewer layer's failures keep their words and exit codes too.
impl From<crate::reviewer::Error> for CliError {
    fn from(e: crate::reviewer::Error) -> Self {
        use crate::reviewer::Error as E;
        match e {
            E::Client(e) => CliError::Client(e),
            E::Refused(s) => CliError::Usage(s),
            E::Crypto(e) => CliError::Crypto(e),
            E::Domain(e) => CliError::Domain(e),
        }
    }
}

impl CliError {
    /// Process exit code: 2 for usage, 3 for refusals by the server, 4 for a tip stored
    /// whose receipt could not be saved to its file, 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) | CliError::Client(crate::client::Error::Refused(_)) => 2,
            CliError::Client(crate::client::Error::Server { .. }) => 3,
            CliError::ReceiptNotSaved(_) => 4,
            _ => 1,
        }
    }
}

fn read_file(path: &std::path::Path) -> Result<Vec<u8>, CliError> {
    std::fs::read(path).map_err(|e| CliError::File(path.to_owned(), e))
}

/// Files the user named to attach: their paths and contents (wiped on drop), in order.
type Files = Vec<(PathBuf, zeroize::Zeroizing<Vec<u8>>)>;

/// Reads every file the user named to attach; the first that cannot be read is named.
fn read_files(paths: &[PathBuf]) -> Result<Files, CliError> {
    paths
        .iter()
        .map(|p| Ok((p.clone(), zeroize::Zeroizing::new(read_file(p)?))))
        .collect()
}

/// Writes `bytes` to `path` atomically (temporary file + rename), so a crash never
/// leaves a half-written keyring.
fn write_atomic(path: &std::path::Path, bytes: &[u8]) -> Result<(), CliError> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).map_err(|e| CliError::File(tmp.clone(), e))?;
    std::fs::rename(&tmp, path).map_err(|e| CliError::File(path.to_owned(), e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::Error as ClientError;

    #[test]
    fn transport_and_reviewer_failures_keep_their_words_and_exit_codes() {
        let server = CliError::from(ClientError::Server {
            status: 401,
            code: "unauthorized".into(),
            message: "log in again".into(),
        });
        assert_eq!(server.exit_code(), 3);
        assert_eq!(
            server.to_string(),
            "the server refused (401, unauthorized): log in again"
        );
        let refused = CliError::from(ClientError::Refused("use socks5h://".into()));
        assert_eq!(
            (refused.exit_code(), refused.to_string().as_str()),
            (2, "use socks5h://")
        );
        let network = CliError::from(ClientError::Network("timed out".into()));
        assert_eq!(network.exit_code(), 1);
        assert_eq!(network.to_string(), "cannot reach the server: timed out");
        let no_grant = CliError::from(crate::reviewer::Error::Refused("no grant".into()));
        assert_eq!(
            (no_grant.exit_code(), no_grant.to_string().as_str()),
            (2, "no grant")
        );
        let via_reviewer = CliError::from(crate::reviewer::Error::Client(ClientError::Server {
            status: 404,
            code: "not_found".into(),
            message: "no such tip".into(),
        }));
        assert_eq!(via_reviewer.exit_code(), 3);
    }
}
