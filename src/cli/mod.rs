//! The `tipseal` command line: key generation, admin keyring commands, the server, the
//! witness submitter and the reviewer client.
//!
//! Clients do all cryptography locally and talk to the server over HTTP. They must never
//! send a secret key or a plaintext anywhere, or write a secret to disk unencrypted.

mod admin;
mod bench;
mod client;
mod demo;
mod followup;
mod keygen;
mod keys;
mod net;
mod output;
mod passphrase;
mod receipt_file;
mod review;
mod serve;
pub(crate) mod submit;
mod trust;
pub(crate) mod upload;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

pub use client::Client;

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
    /// As a witness: read the reviewers' replies with your receipt, and add to your tip.
    Followup(followup::Args),
    /// Measure intake against a real server process: tips/s, latency, memory, disk,
    /// and the disk's own fdatasync limit (see BENCHMARKS.md).
    Bench(bench::Args),
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
        Command::Followup(a) => followup::run(a),
        Command::Bench(a) => bench::run(a),
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
    /// The server answered with an error.
    #[error("the server refused ({status}, {code}): {message}")]
    Server {
        /// HTTP status.
        status: u16,
        /// The error code from the JSON body.
        code: String,
        /// The error sentence from the JSON body.
        message: String,
    },
    /// The server could not be reached.
    #[error("cannot reach the server: {0}")]
    Network(String),
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

impl CliError {
    /// Process exit code: 2 for usage, 3 for refusals by the server, 4 for a tip stored
    /// whose receipt could not be saved to its file, 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) => 2,
            CliError::Server { .. } => 3,
            CliError::ReceiptNotSaved(_) => 4,
            _ => 1,
        }
    }
}

fn read_file(path: &std::path::Path) -> Result<Vec<u8>, CliError> {
    std::fs::read(path).map_err(|e| CliError::File(path.to_owned(), e))
}

/// Writes `bytes` to `path` atomically (temporary file + rename), so a crash never
/// leaves a half-written keyring.
fn write_atomic(path: &std::path::Path, bytes: &[u8]) -> Result<(), CliError> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).map_err(|e| CliError::File(tmp.clone(), e))?;
    std::fs::rename(&tmp, path).map_err(|e| CliError::File(path.to_owned(), e))
}
