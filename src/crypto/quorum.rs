//! Admin quorum: k of m admins sign a keyring change, each on their own machine.
//!
//! A manifest names its admins and a `threshold` k (absent: 1). The next manifest counts
//! only if at least k *distinct* admins of that manifest signed its exact body bytes. The
//! body holds the epoch and the previous manifest's hash, so a signature is bound to one
//! manifest at one chain position and cannot be replayed onto another. A removed admin is
//! not in the previous manifest's list (for the manifest after the removal), so their
//! signature stops counting; signing twice with one key counts once.
//!
//! A *proposal* is an ordinary `tipseal/keyring/v1` file whose last manifest does not yet
//! carry its quorum: `propose` writes it, `sign` adds one admin's signature, and
//! [`status`] says how many are present and needed before it is published.
//!
//! Must never: count a signature by anyone outside the previous manifest's admins, count
//! one admin twice, or accept fewer than k — the server and every client go through
//! [`require`] via `crypto::keyring::verify_chain`.

use std::collections::HashSet;

use super::identity::{Identity, PublicKeys, SignatureDomain};
use super::keyring::{verify_chain, VerifiedKeyring};
use super::{b64_decode, b64_encode, CryptoError, KeyringProblem};
use crate::domain::keyring::MAX_SIGNATURES;
use crate::domain::keyring::{KeyringFile, Manifest, ManifestSignature, SignedManifest};
use crate::domain::{Epoch, KeyId};

/// The distinct key ids among `signers` whose signature of `body` in `signed` verifies.
/// Signatures by anyone else, malformed ones and repeats are ignored.
pub fn valid_signers(signed: &SignedManifest, body: &[u8], signers: &[PublicKeys]) -> Vec<KeyId> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for s in &signed.signatures {
        if seen.contains(&s.key_id) {
            continue;
        }
        let Some(pk) = signers.iter().find(|pk| pk.id() == s.key_id) else {
            continue;
        };
        let ok = b64_decode(&s.signature)
            .is_some_and(|sig| pk.verify(SignatureDomain::Keyring, body, &sig));
        if ok {
            seen.insert(s.key_id);
            out.push(s.key_id);
        }
    }
    out
}

/// The threshold rule: `present` distinct valid admin signatures satisfy `needed` only if
/// `present >= needed` (and never with none). No valid signature at all is
/// `BadSignature`, as before quorums existed; some but too few is `QuorumNotMet`.
pub fn require(present: usize, needed: usize) -> Result<(), CryptoError> {
    if present == 0 {
        Err(CryptoError::Keyring(KeyringProblem::BadSignature))
    } else if present < needed.max(1) {
        Err(CryptoError::Keyring(KeyringProblem::QuorumNotMet {
            present,
            needed,
        }))
    } else {
        Ok(())
    }
}

/// Where a proposal stands: the verified chain it extends, the proposed manifest, and
/// who of the admins entitled to sign it already did.
#[derive(Debug)]
pub struct Proposal {
    /// The chain before the proposed manifest, verified.
    pub base: VerifiedKeyring,
    /// The proposed manifest (parsed for review: its signatures may not be enough yet).
    pub manifest: Manifest,
    /// Entitled admins whose signature verifies, each once.
    pub signed_by: Vec<KeyId>,
    /// The threshold of the epoch before it.
    pub needed: usize,
}

impl Proposal {
    /// Whether it carries its quorum.
    pub fn is_complete(&self) -> bool {
        self.signed_by.len() >= self.needed
    }

    /// The proposed epoch.
    pub fn epoch(&self) -> Epoch {
        self.manifest.epoch
    }
}

fn malformed(why: &str) -> CryptoError {
    CryptoError::Keyring(KeyringProblem::Malformed(why.to_owned()))
}

/// Reads a proposal: every manifest but the last must verify as a chain; the last must
/// be the well-formed next epoch of it. Its body is parsed before its quorum is there —
/// only so that the admin about to sign can read what they sign; nothing trusts it.
pub fn status(file: &KeyringFile) -> Result<Proposal, CryptoError> {
    file.check_shape()
        .map_err(|e| CryptoError::Keyring(KeyringProblem::Malformed(e.to_string())))?;
    let Some((last, before)) = file.manifests.split_last() else {
        return Err(malformed("the keyring has no manifests"));
    };
    if before.is_empty() {
        return Err(malformed(
            "a proposal changes an existing keyring: it needs at least two manifests",
        ));
    }
    let base = verify_chain(&KeyringFile::new(before.to_vec()), None)?;
    let body = b64_decode(&last.body)
        .ok_or_else(|| malformed("the proposed manifest body is not base64url"))?;
    let manifest = Manifest::from_json(&body)
        .map_err(|e| CryptoError::Keyring(KeyringProblem::Malformed(e.to_string())))?;
    let expected_prev = base.manifest_hash(base.epoch());
    if base.epoch().next().ok() != Some(manifest.epoch) || manifest.prev != expected_prev {
        return Err(CryptoError::Keyring(KeyringProblem::BrokenChain));
    }
    let entitled = entitled(&base)?;
    let signed_by = valid_signers(last, &body, &entitled);
    Ok(Proposal {
        needed: base.current().required_signatures(),
        base,
        manifest,
        signed_by,
    })
}

fn entitled(base: &VerifiedKeyring) -> Result<Vec<PublicKeys>, CryptoError> {
    base.current()
        .admins
        .iter()
        .map(|p| {
            PublicKeys::from_identity(p)
                .map_err(|_| malformed("a listed admin's keys do not match their key id"))
        })
        .collect()
}

/// Adds `admin`'s signature to the proposal in `file` (replacing an earlier one by the
/// same key). Refuses a key that is not an admin of the epoch before the proposal.
pub fn sign(file: &KeyringFile, admin: &Identity) -> Result<KeyringFile, CryptoError> {
    let proposal = status(file)?;
    if proposal.base.current().admin(admin.key_id()).is_none() {
        return Err(CryptoError::Keyring(KeyringProblem::NotAnAdmin));
    }
    let mut out = file.clone();
    let last = out
        .manifests
        .last_mut()
        .expect("status() checked there are manifests");
    let body = b64_decode(&last.body).expect("status() decoded this body");
    last.signatures.retain(|s| s.key_id != admin.key_id());
    if last.signatures.len() >= MAX_SIGNATURES {
        return Err(malformed(
            "the proposal already carries the most signatures a manifest may hold",
        ));
    }
    last.signatures.push(ManifestSignature {
        key_id: admin.key_id(),
        signature: b64_encode(&admin.sign(SignatureDomain::Keyring, &body)),
    });
    Ok(out)
}

/// A proposal: `base`'s chain plus `next`, carrying no signature yet.
pub fn propose(base: &VerifiedKeyring, next: &Manifest) -> KeyringFile {
    let mut file = base.file().clone();
    file.manifests.push(SignedManifest {
        body: b64_encode(&next.to_json()),
        signatures: Vec::new(),
    });
    file
}

#[cfg(test)]
#[path = "quorum_tests.rs"]
mod tests;
