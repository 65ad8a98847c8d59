//! `tipseal keygen`: a new identity for an admin or a reviewer.

use std::path::PathBuf;

use crate::crypto::identity::Identity;
use crate::crypto::keyfile::KdfStrength;
use crate::domain::keyring::PersonName;

use super::{keys, passphrase, CliError};

/// Arguments of `tipseal keygen`.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "The passphrase is asked twice on the terminal, or read from the \
TIPSEAL_PASSPHRASE environment variable. A short or repetitive one gets a warning (not a \
refusal): anyone who copies the key file can guess passphrases offline."
)]
pub struct Args {
    /// Secret key file to create (FILE.pub is written beside it).
    #[arg(long)]
    out: PathBuf,
    /// A name shown in the keyring (e.g. "reviewer-anna").
    #[arg(long)]
    name: Option<String>,
    /// Cost of the passphrase hash (argon2id): moderate (256 MiB) unless you know better.
    #[arg(long, value_enum, default_value = "moderate")]
    kdf: Kdf,
}

/// Passphrase hashing strength.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum Kdf {
    /// 64 MiB, fast: tests and demos.
    Interactive,
    /// 256 MiB: the default.
    Moderate,
    /// 1 GiB: for keys that rarely unlock.
    Sensitive,
}

impl From<Kdf> for KdfStrength {
    fn from(k: Kdf) -> Self {
        match k {
            Kdf::Interactive => KdfStrength::Interactive,
            Kdf::Moderate => KdfStrength::Moderate,
            Kdf::Sensitive => KdfStrength::Sensitive,
        }
    }
}

/// Runs `tipseal keygen`.
pub fn run(a: Args) -> Result<(), CliError> {
    let name = a.name.clone().unwrap_or_else(|| {
        a.out
            .file_stem()
            .map_or_else(|| "key".to_owned(), |s| s.to_string_lossy().into_owned())
    });
    let id = Identity::generate(PersonName::parse(&name)?);
    keys::check_new_key_path(&a.out)?;
    let pass = passphrase::read_new(&a.out.display().to_string())?;
    keys::write_new(&a.out, &id, &pass, a.kdf.into())?;
    println!(
        "Wrote secret key {} (encrypted, mode 0600)",
        a.out.display()
    );
    println!("Wrote public key {}.pub", a.out.display());
    println!("Key id: {}  name: {}", id.key_id(), name);
    Ok(())
}
