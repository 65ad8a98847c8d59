//! What a run needs before the clock starts: a team made for the run (one admin, one
//! reviewer, a signed keyring) and a pool of bundles sealed the way a witness's client
//! seals them, from the repository's sample tips.
//!
//! The identities live in memory only and die with the run; the server gets the public
//! keyring file, never a secret key.

use std::path::{Path, PathBuf};

use crate::crypto::identity::Identity;
use crate::crypto::keyring::{add_reviewer, genesis, verify_chain, VerifiedKeyring};
use crate::domain::keyring::PersonName;
use crate::domain::tip::TipDocument;

use super::LoadgenError;

/// The sample tips of `tests/samples/`: each seals to a bundle of one 16 KiB bucket
/// (~16.5 KB on the wire), the size issue 11's figures use.
const SAMPLES: [&str; 7] = [
    include_str!("../../tests/samples/ar-construction-kuwait.json"),
    include_str!("../../tests/samples/en-construction-qatar.json"),
    include_str!("../../tests/samples/ko-construction-vladivostok.json"),
    include_str!("../../tests/samples/nl-shipbuilding-order.json"),
    include_str!("../../tests/samples/pl-shipyard-gdansk.json"),
    include_str!("../../tests/samples/ru-logging-khabarovsk.json"),
    include_str!("../../tests/samples/zh-restaurant-dandong.json"),
];

/// Distinct pre-sealed bundles the clients cycle through (each POST has its own key).
pub const POOL: usize = 256;

/// The run's team: the reviewer's identity and the keyring file the server starts with.
pub struct Team {
    /// The run's only reviewer (logs in for the listing).
    pub reviewer: Identity,
    /// The keyring file given to `serve --keyring`.
    pub keyring_file: PathBuf,
}

/// Makes an admin and a reviewer, signs a keyring with both, writes it under `dir`;
/// the team and the verified keyring.
pub fn make_team(dir: &Path) -> Result<(Team, VerifiedKeyring), LoadgenError> {
    let name = |s: &str| PersonName::parse(s).map_err(crate::cli::CliError::from);
    let admin = Identity::generate(name("bench-admin")?);
    let reviewer = Identity::generate(name("bench-reviewer")?);
    let first = verify_chain(&genesis(&admin, 30)?, None)?;
    let keyring = verify_chain(&add_reviewer(&first, &admin, reviewer.public(), 30)?, None)?;
    let keyring_file = dir.join("keyring.json");
    std::fs::write(&keyring_file, keyring.to_json())
        .map_err(|e| LoadgenError::Io("the run's keyring", keyring_file.clone(), e))?;
    Ok((
        Team {
            reviewer,
            keyring_file,
        },
        keyring,
    ))
}

/// `n` bundles sealed to `keyring`, cycling through the samples.
pub fn seal_pool(keyring: &VerifiedKeyring, n: usize) -> Result<Vec<Vec<u8>>, LoadgenError> {
    (0..n)
        .map(|i| {
            let doc = TipDocument::from_json(SAMPLES[i % SAMPLES.len()].as_bytes())
                .map_err(crate::cli::CliError::from)?;
            Ok(crate::crypto::bundle_seal::seal_bundle(
                keyring,
                doc,
                &[],
                crate::domain::envelope::Flags::NONE,
                None,
            )?)
        })
        .collect()
}

/// One sample tip document (for the attachment mode's tip).
pub fn sample_doc() -> Result<TipDocument, LoadgenError> {
    Ok(TipDocument::from_json(SAMPLES[1].as_bytes()).map_err(crate::cli::CliError::from)?)
}
