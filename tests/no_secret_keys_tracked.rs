//! No secret key file is ever committed: every tracked file is checked by content (the
//! secret key file format string) and by name (`*.key`, `*secret*`).
//!
//! Source (`src/`, `tests/*.rs`) and `docs/` name the format legitimately. Test vectors
//! that must hold a secret key are named `TEST-ONLY-*` so nobody mistakes them for a
//! deployment's key.

use std::path::Path;
use std::process::Command;

use tipseal::crypto::identity::Identity;
use tipseal::crypto::keyfile::{public_path, write_identity, KdfStrength, Passphrase};
use tipseal::domain::keyring::PersonName;

const SECRET_MARKER: &[u8] = b"tipseal/secret-key/v1";

/// Why the tracked file at `path` (relative to the repository root) must not be
/// committed, or `None` if it may.
fn offending(path: &str, contents: &[u8]) -> Option<&'static str> {
    let name = path.rsplit('/').next().unwrap_or(path);
    if name.starts_with("TEST-ONLY-") {
        return None;
    }
    let is_code = path.starts_with("src/") || (path.starts_with("tests/") && path.ends_with(".rs"));
    let may_mention = is_code || path.starts_with("docs/");
    if !may_mention
        && contents
            .windows(SECRET_MARKER.len())
            .any(|w| w == SECRET_MARKER)
    {
        return Some("contains a tipseal secret key");
    }
    let lower = name.to_ascii_lowercase();
    if !is_code && (lower.ends_with(".key") || lower.contains("secret")) {
        return Some("is named like a secret key");
    }
    None
}

#[test]
fn no_tracked_file_is_a_secret_key() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = match Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["ls-files", "-z"])
        .output()
    {
        Ok(out) if out.status.success() => out,
        _ => {
            eprintln!("note: not a git checkout (or no git); skipping the tracked-file check");
            return;
        }
    };
    let mut bad = Vec::new();
    for path in out.stdout.split(|&b| b == 0).filter(|p| !p.is_empty()) {
        let path = String::from_utf8_lossy(path);
        // A tracked file deleted in the working tree has nothing to leak.
        let Ok(contents) = std::fs::read(root.join(path.as_ref())) else {
            continue;
        };
        if let Some(why) = offending(&path, &contents) {
            bad.push(format!("{path} {why}"));
        }
    }
    assert!(
        bad.is_empty(),
        "secret key material is tracked by git:\n{}",
        bad.join("\n")
    );
}

#[test]
fn a_freshly_written_secret_key_file_is_caught_by_content_and_name() {
    tipseal::crypto::init().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ada");
    let ada = Identity::generate(PersonName::parse("Ada").unwrap());
    let pass = Passphrase::new("a long enough passphrase".into());
    write_identity(&path, &ada, &pass, KdfStrength::Interactive).unwrap();

    let secret = std::fs::read(&path).unwrap();
    assert!(offending("keys/ada", &secret).is_some());
    assert!(offending("ada", &secret).is_some());
    assert!(offending("keys/ada.pub", &secret).is_some());
    assert!(offending("tests/vectors/ada.json", &secret).is_some());
    assert!(offending("tests/vectors/TEST-ONLY-ada.key", &secret).is_none());

    let public = std::fs::read(public_path(&path)).unwrap();
    assert!(offending("keys/ada.pub", &public).is_none());
    assert!(offending("keys/ada.key", &public).is_some());
    assert!(offending("keys/my-secret.pub", &public).is_some());
    assert!(offending("src/crypto/keyfile.rs", SECRET_MARKER).is_none());
    assert!(offending("docs/architecture.md", SECRET_MARKER).is_none());
}

#[test]
fn keys_holds_a_readme_and_public_material_only() {
    let keys = Path::new(env!("CARGO_MANIFEST_DIR")).join("keys");
    assert!(
        keys.join("README.md").is_file(),
        "keys/README.md explains what goes there"
    );
    for entry in std::fs::read_dir(&keys).unwrap().flatten() {
        let file = entry.path();
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        if name.ends_with(".md") || name == ".gitkeep" || file.is_dir() {
            continue;
        }
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap())
            .unwrap_or_else(|e| panic!("{} is not JSON public material: {e}", file.display()));
        let public_key = v["format"] == "tipseal/public-key/v1";
        let keyring = v["format"] == "tipseal/keyring/v1";
        assert!(
            public_key || keyring,
            "{} is neither a public key file nor a keyring",
            file.display()
        );
    }
}
