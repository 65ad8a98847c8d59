//! `tipseal admin propose | sign`: keyring changes that need k of m admin signatures.
//!
//! `propose` writes the next epoch into a separate proposal file (the keyring file is
//! left as it is); each admin runs `sign` on their own, possibly offline, machine; `admin
//! publish` sends it once it carries its quorum. The rules are `crypto::quorum`'s; this
//! module only reads arguments and files and says what happened.
//!
//! Must never: write a proposal over an existing file on `propose`, or sign before
//! showing the signer what changes.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::keys::{read_public, unlock};
use super::{read_file, write_atomic, CliError};
use crate::crypto::keyring::{self, verify_chain, NextPeople, VerifiedKeyring};
use crate::crypto::quorum::{self, Proposal};
use crate::domain::keyring::{KeyringFile, Manifest, PublicIdentity, Threshold};
use crate::domain::KeyId;

/// `admin propose` arguments.
#[derive(clap::Args, Debug)]
pub struct ProposeArgs {
    /// The keyring file in force (left unchanged).
    #[arg(long)]
    keyring: PathBuf,
    /// Where to write the proposal (must not exist yet).
    #[arg(long)]
    out: PathBuf,
    /// Sign the proposal at once with this admin's secret key file (optional).
    #[arg(long)]
    admin_key: Option<PathBuf>,
    /// Add a reviewer: their public key file (repeatable).
    #[arg(long)]
    add_reviewer: Vec<PathBuf>,
    /// Revoke a reviewer by name or key id (repeatable).
    #[arg(long)]
    revoke_reviewer: Vec<String>,
    /// Add an admin: their public key file (repeatable).
    #[arg(long)]
    add_admin: Vec<PathBuf>,
    /// Remove an admin by name or key id (repeatable).
    #[arg(long)]
    remove_admin: Vec<String>,
    /// How many admins must sign each later change (default: unchanged).
    #[arg(long)]
    threshold: Option<u32>,
}

/// `admin sign` arguments.
#[derive(clap::Args, Debug)]
pub struct SignArgs {
    /// The proposal file (signed in place).
    file: PathBuf,
    /// This admin's secret key file (its passphrase is asked, or read from
    /// TIPSEAL_PASSPHRASE).
    #[arg(long, alias = "admin-key")]
    key: PathBuf,
    /// The keyring this admin holds: refuse unless the proposal extends it.
    #[arg(long)]
    keyring: Option<PathBuf>,
}

/// `tipseal admin propose`.
pub fn propose(a: ProposeArgs, validity_days: u32) -> Result<(), CliError> {
    if a.out.exists() {
        return Err(CliError::Usage(format!(
            "{} already exists; refusing to write a proposal over it",
            a.out.display()
        )));
    }
    let base = verify_chain(&KeyringFile::from_json(&read_file(&a.keyring)?)?, None)?;
    let people = next_people(&base, &a)?;
    let (issued, expires) = keyring::validity_from_today(validity_days)?;
    let next = keyring::unsigned_next(&base, people, issued, expires)?;
    let mut file = quorum::propose(&base, &next);
    if let Some(key) = &a.admin_key {
        file = quorum::sign(&file, &unlock(key)?)?;
    }
    write_atomic(&a.out, &file.to_json())?;
    let p = quorum::status(&file)?;
    println!(
        "Proposal for epoch {} written to {}.",
        p.epoch(),
        a.out.display()
    );
    print!("{}", describe(&p));
    println!("{}", standing(&p, &a.out));
    Ok(())
}

/// `tipseal admin sign`.
pub fn sign(a: SignArgs) -> Result<(), CliError> {
    let file = KeyringFile::from_json(&read_file(&a.file)?)?;
    let p = quorum::status(&file)?;
    if let Some(held) = &a.keyring {
        let held = verify_chain(&KeyringFile::from_json(&read_file(held)?)?, None)?;
        let same = held.epoch() == p.base.epoch()
            && held.manifest_hash(held.epoch()) == p.base.manifest_hash(held.epoch());
        if !same {
            keyring::check_extends(&held, &p.base)?;
        }
    }
    // Show what is about to be signed before the passphrase is asked.
    println!("You are signing epoch {} of this keyring:", p.epoch());
    print!("{}", describe(&p));
    let admin = unlock(&a.key)?;
    let signed = quorum::sign(&file, &admin)?;
    write_atomic(&a.file, &signed.to_json())?;
    println!("{}", standing(&quorum::status(&signed)?, &a.file));
    Ok(())
}

/// Refuses to publish a proposal short of its quorum, saying how many signatures are
/// present and needed. Keyrings that are not proposals pass through to the server's
/// and `verify_chain`'s checks.
pub fn check_before_publish(file: &KeyringFile, path: &Path) -> Result<(), CliError> {
    if file.manifests.len() < 2 {
        return Ok(());
    }
    match quorum::status(file) {
        Ok(p) if !p.is_complete() => Err(CliError::Usage(format!(
            "{} carries valid signatures by {} admin(s) of epoch {}; {} are needed. Ask \
             another admin to run `tipseal admin sign {} --key THEIR.key`, then publish again",
            path.display(),
            p.signed_by.len(),
            p.base.epoch(),
            p.needed,
            path.display()
        ))),
        _ => Ok(()),
    }
}

/// Refuses the single-signature commands on a keyring that needs more than one.
pub fn refuse_if_quorum(current: &VerifiedKeyring) -> Result<(), CliError> {
    let k = current.current().required_signatures();
    if k > 1 {
        return Err(CliError::Usage(format!(
            "this keyring needs {k} admin signatures for every change: use `tipseal admin \
             propose --keyring FILE --out PROPOSAL …`, then `tipseal admin sign PROPOSAL --key \
             KEY` by {k} admins, then `tipseal admin publish PROPOSAL --server URL`"
        )));
    }
    Ok(())
}

fn next_people(base: &VerifiedKeyring, a: &ProposeArgs) -> Result<NextPeople, CliError> {
    let cur = base.current();
    let mut admins = cur.admins.clone();
    for who in &a.remove_admin {
        let gone = find(&admins, who).ok_or_else(|| {
            CliError::Usage(format!(
                "no admin of epoch {} has the name or key id given to --remove-admin",
                base.epoch()
            ))
        })?;
        admins.retain(|p| p.id != gone);
    }
    for path in &a.add_admin {
        admins.push(read_public(path)?);
    }
    let mut reviewers = cur.reviewers.clone();
    for who in &a.revoke_reviewer {
        let gone = find(&reviewers, who).ok_or_else(|| {
            CliError::Usage(format!(
                "no reviewer of epoch {} has the name or key id given to --revoke-reviewer",
                base.epoch()
            ))
        })?;
        reviewers.retain(|p| p.id != gone);
    }
    for path in &a.add_reviewer {
        reviewers.push(read_public(path)?);
    }
    let threshold = match a.threshold {
        // 1 is the default: leaving it out keeps the manifest readable by older clients.
        Some(1) => None,
        Some(k) => Some(Threshold::new(k)?),
        None => cur.threshold,
    };
    if threshold.map_or(1, Threshold::get) > admins.len() {
        return Err(CliError::Usage(format!(
            "the threshold would be larger than the {} admin(s) the proposal lists: give \
             --threshold {} or fewer",
            admins.len(),
            admins.len()
        )));
    }
    Ok(NextPeople {
        admins,
        threshold,
        reviewers,
    })
}

fn find(list: &[PublicIdentity], who: &str) -> Option<KeyId> {
    let by_id = KeyId::parse(who).ok();
    list.iter()
        .find(|p| p.name.as_str() == who || Some(p.id) == by_id)
        .map(|p| p.id)
}

/// What the proposal changes, one line each.
fn describe(p: &Proposal) -> String {
    let (old, new) = (p.base.current(), &p.manifest);
    let mut out = String::new();
    diff(&mut out, "admin", &old.admins, &new.admins);
    diff(&mut out, "reviewer", &old.reviewers, &new.reviewers);
    let threshold = |m: &Manifest| format!("{} of {}", m.required_signatures(), m.admins.len());
    out.push_str(&format!(
        "  admin signatures for later changes: {} (was {})\n",
        threshold(new),
        threshold(old)
    ));
    out.push_str(&format!(
        "  a fresh intake key; valid {} to {}\n",
        new.issued, new.expires
    ));
    out
}

fn diff(out: &mut String, role: &str, old: &[PublicIdentity], new: &[PublicIdentity]) {
    let was: HashSet<KeyId> = old.iter().map(|p| p.id).collect();
    let now: HashSet<KeyId> = new.iter().map(|p| p.id).collect();
    for p in new.iter().filter(|p| !was.contains(&p.id)) {
        out.push_str(&format!("  + {role} {} ({})\n", p.name, p.id));
    }
    for p in old.iter().filter(|p| !now.contains(&p.id)) {
        out.push_str(&format!("  - {role} {} ({})\n", p.name, p.id));
    }
}

fn standing(p: &Proposal, path: &Path) -> String {
    let count = format!(
        "It carries {} of the {} admin signature(s) needed",
        p.signed_by.len(),
        p.needed
    );
    if p.is_complete() {
        format!(
            "{count}: publish it with `tipseal admin publish {} --server URL`, then keep it \
             as your keyring file.",
            path.display()
        )
    } else {
        format!(
            "{count}: each other admin runs `tipseal admin sign {} --key THEIR.key`.",
            path.display()
        )
    }
}
