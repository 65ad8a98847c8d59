//! Signed exports: a reviewer signs an export's `manifest.json` bytes with their Ed25519
//! key under its own domain (`"tipseal/export-manifest/v1\0"`), so no login, keyring or
//! event signature can pass for one. [`verify_manifest`] checks the signature against the
//! keyring: the signer must be a reviewer of the epoch the manifest names, and — when a
//! later epoch dropped them — the manifest must date from before that epoch was issued.
//!
//! Must never: trust the manifest's own word for who signed it (only the keyring names
//! keys), or tell a caller "valid" for a signer the keyring does not list.

use super::identity::{Identity, PublicKeys, SignatureDomain};
use super::keyring::VerifiedKeyring;
use super::{b64_decode, b64_encode};
use crate::domain::{Day, Epoch, KeyId};

/// Why a manifest's signature is refused, in words that name the cause.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ExportSignatureError {
    /// The keyring has no such epoch.
    #[error("the manifest names keyring epoch {0}, which this keyring does not have: check it against the team's newest keyring")]
    UnknownEpoch(u32),
    /// The signer was not a reviewer at that epoch.
    #[error("the signer {0} was not a reviewer at keyring epoch {1}: the export was not made by the team")]
    NotAReviewer(KeyId, u32),
    /// The signature does not verify.
    #[error("manifest.sig does not verify for manifest.json and signer {0}: the manifest was changed or signed by someone else")]
    BadSignature(KeyId),
    /// The signer was removed from the keyring before the export's day.
    #[error("the signer {signer} was revoked at keyring epoch {epoch} (issued {issued}); the manifest is dated {made}: refused — ask a current reviewer to export again")]
    Revoked {
        /// The signer.
        signer: KeyId,
        /// The first epoch without them.
        epoch: u32,
        /// The day that epoch was issued.
        issued: Day,
        /// The manifest's day.
        made: Day,
    },
}

/// `manifest.sig`: the signature of `manifest` as `me`, base64url, one line.
pub fn sign_manifest(me: &Identity, manifest: &[u8]) -> String {
    b64_encode(&me.sign(SignatureDomain::ExportManifest, manifest))
}

/// Checks `sig` (the text of `manifest.sig`) over `manifest` by `signer`, who must be a
/// reviewer at `epoch` and not revoked on or before `made` (the manifest's day: an export
/// made on the day of a revocation is refused, since the day cannot tell which came first).
pub fn verify_manifest(
    keyring: &VerifiedKeyring,
    signer: KeyId,
    epoch: Epoch,
    made: Day,
    manifest: &[u8],
    sig: &str,
) -> Result<(), ExportSignatureError> {
    let m = keyring
        .manifest(epoch)
        .ok_or(ExportSignatureError::UnknownEpoch(epoch.get()))?;
    let who = m
        .reviewer(signer)
        .ok_or(ExportSignatureError::NotAReviewer(signer, epoch.get()))?;
    let pk =
        PublicKeys::from_identity(who).map_err(|_| ExportSignatureError::BadSignature(signer))?;
    let ok = b64_decode(sig.trim())
        .is_some_and(|s| pk.verify(SignatureDomain::ExportManifest, manifest, &s));
    if !ok {
        return Err(ExportSignatureError::BadSignature(signer));
    }
    let dropped = keyring
        .manifests()
        .iter()
        .filter(|later| later.epoch.get() > epoch.get())
        .find(|later| later.reviewer(signer).is_none());
    if let Some(later) = dropped {
        if made >= later.issued {
            return Err(ExportSignatureError::Revoked {
                signer,
                epoch: later.epoch.get(),
                issued: later.issued,
                made,
            });
        }
    }
    Ok(())
}
