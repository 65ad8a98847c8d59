//! Where passphrases come from: `TIPSEAL_PASSPHRASE`, else a prompt on the terminal.

use crate::crypto::keyfile::Passphrase;

use super::CliError;

/// The environment variable read before prompting.
pub const ENV: &str = "TIPSEAL_PASSPHRASE";

/// Reads a passphrase to unlock `what`.
pub fn read(what: &str) -> Result<Passphrase, CliError> {
    if let Ok(p) = std::env::var(ENV) {
        return Ok(Passphrase::from(p));
    }
    rpassword::prompt_password(format!("Passphrase for {what}: "))
        .map(Passphrase::from)
        .map_err(|e| CliError::Usage(format!("cannot read a passphrase ({e}); set {ENV}")))
}

/// Reads a new passphrase, asking twice when prompting; warns (never refuses) when it is
/// easy to guess (`keys::weakness`).
pub fn read_new(what: &str) -> Result<Passphrase, CliError> {
    if let Ok(p) = std::env::var(ENV) {
        super::keys::warn_if_weak(&p);
        return Ok(Passphrase::from(p));
    }
    let first = rpassword::prompt_password(format!("New passphrase for {what}: "))
        .map_err(|e| CliError::Usage(format!("cannot read a passphrase ({e}); set {ENV}")))?;
    let again = rpassword::prompt_password("Repeat it: ")
        .map_err(|e| CliError::Usage(format!("cannot read a passphrase ({e}); set {ENV}")))?;
    let (first, again) = (
        zeroize::Zeroizing::new(first),
        zeroize::Zeroizing::new(again),
    );
    if *first != *again {
        return Err(CliError::Usage("the two passphrases differ".into()));
    }
    super::keys::warn_if_weak(&first);
    Ok(Passphrase::from(String::clone(&first)))
}
