//! Checking an export folder offline: the manifest's signature and signer against a
//! keyring (`crypto::export`), then every file against the manifest, then that the folder
//! holds nothing else. Must never: call a folder verified on the manifest's own word.

use std::collections::BTreeSet;
use std::path::Path;

use crate::crypto::export::verify_manifest;
use crate::crypto::keyring::VerifiedKeyring;

use super::{hashes, ExportError, Manifest, MANIFEST, MANIFEST_FORMAT, SIGNATURE};

/// Checks folder `dir` against `keyring`: the signature and signer first, then every
/// file; the first mismatch is the error. Returns the manifest.
pub fn verify_dir(dir: &Path, keyring: &VerifiedKeyring) -> Result<Manifest, ExportError> {
    let mbytes =
        std::fs::read(dir.join(MANIFEST)).map_err(|e| ExportError::BadManifest(e.to_string()))?;
    let sig = std::fs::read_to_string(dir.join(SIGNATURE)).map_err(|e| ExportError::Mismatch {
        file: SIGNATURE.into(),
        what: format!("cannot be read ({e}): an export without its signature cannot be verified"),
    })?;
    let m: Manifest =
        serde_json::from_slice(&mbytes).map_err(|e| ExportError::BadManifest(e.to_string()))?;
    if m.format != MANIFEST_FORMAT {
        return Err(ExportError::BadManifest(format!(
            "format is not {MANIFEST_FORMAT}"
        )));
    }
    verify_manifest(
        keyring,
        m.signer,
        m.keyring_epoch,
        m.created_day,
        &mbytes,
        &sig,
    )?;
    let mut listed = BTreeSet::new();
    for f in &m.files {
        let bad = |what: String| ExportError::Mismatch {
            file: f.name.clone(),
            what,
        };
        if f.name.contains(['/', '\\'])
            || f.name.starts_with('.')
            || f.name == MANIFEST
            || f.name == SIGNATURE
        {
            return Err(bad(
                "is not a plain file name: the manifest is malformed".into()
            ));
        }
        listed.insert(f.name.clone());
        let bytes = std::fs::read(dir.join(&f.name)).map_err(|e| {
            bad(format!(
                "is listed in the signed manifest but cannot be read ({e})"
            ))
        })?;
        if bytes.len() as u64 != f.size {
            return Err(bad(format!(
                "is {} bytes, the signed manifest says {}: the file was changed after export",
                bytes.len(),
                f.size
            )));
        }
        let (b2, sha) = hashes(&bytes);
        if sha != f.sha256 {
            return Err(bad(
                "SHA-256 differs from the signed manifest: the file was changed after export"
                    .into(),
            ));
        }
        if b2 != f.blake2b_256 {
            return Err(bad(
                "BLAKE2b-256 differs from the signed manifest: the file was changed after export"
                    .into(),
            ));
        }
    }
    let entries = std::fs::read_dir(dir).map_err(|e| ExportError::Io(dir.to_path_buf(), e))?;
    let mut extra: Vec<String> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n != MANIFEST && n != SIGNATURE && !listed.contains(n))
        .collect();
    extra.sort();
    if let Some(n) = extra.into_iter().next() {
        return Err(ExportError::Mismatch {
            file: n,
            what: "is not in the signed manifest: it was added after export".into(),
        });
    }
    Ok(m)
}
