//! `keys/` holds public material only, and no secret key file is tracked anywhere in
//! the repository. What a secret key file looks like is learned from `tipseal keygen`
//! itself, so the check follows the format wherever it goes.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use serde_json::Value;
use tempfile::TempDir;

/// The top-level field names of a JSON object, if `bytes` is one.
fn json_fields(bytes: &[u8]) -> Option<BTreeSet<String>> {
    match serde_json::from_slice::<Value>(bytes).ok()? {
        Value::Object(map) => Some(map.keys().cloned().collect()),
        _ => None,
    }
}

/// Files git tracks in this checkout; every file under the root if git is unavailable.
fn tracked_files(root: &Path) -> Vec<PathBuf> {
    let out = Command::new("git")
        .args(["ls-files", "-z"])
        .current_dir(root)
        .output();
    match out {
        Ok(out) if out.status.success() => out
            .stdout
            .split(|b| *b == 0)
            .filter(|p| !p.is_empty())
            .map(|p| root.join(String::from_utf8_lossy(p).as_ref()))
            .collect(),
        _ => files_under(root)
            .into_iter()
            .filter(|p| !p.starts_with(root.join("target")) && !p.starts_with(root.join(".git")))
            .collect(),
    }
}

#[test]
fn no_secret_key_file_is_tracked_and_keys_holds_public_material_only() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let scratch = TempDir::new().unwrap();
    let secret = std::fs::read(keygen(scratch.path(), "probe")).unwrap();
    let secret_json: Option<Value> = serde_json::from_slice(&secret).ok();
    let secret_format = secret_json
        .as_ref()
        .and_then(|v| v["format"].as_str().map(String::from));
    let secret_fields = json_fields(&secret);
    let secret_magic = &secret[..secret.len().min(8)];
    // A file looks like a secret key file when it carries the same `format` tag, or
    // (no tag) every field of one, or (not JSON) starts with the same magic bytes.
    let looks_secret = |bytes: &[u8]| match (&secret_format, &secret_fields) {
        (Some(format), _) => serde_json::from_slice::<Value>(bytes)
            .is_ok_and(|v| v["format"].as_str() == Some(format.as_str())),
        (None, Some(secret)) => json_fields(bytes).is_some_and(|f| secret.is_subset(&f)),
        (None, None) => bytes.starts_with(secret_magic),
    };

    let secrets: Vec<PathBuf> = tracked_files(root)
        .into_iter()
        .filter(|p| std::fs::read(p).map(|b| looks_secret(&b)).unwrap_or(false))
        .collect();
    assert!(
        secrets.is_empty(),
        "secret key files are tracked: {secrets:?}"
    );

    let keys = root.join("keys");
    assert!(
        keys.join("README.md").is_file(),
        "keys/README.md explains what goes there"
    );
    for file in files_under(&keys) {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        if name.ends_with(".md") || name == ".gitkeep" {
            continue;
        }
        let v: Value = serde_json::from_slice(&std::fs::read(&file).unwrap())
            .unwrap_or_else(|e| panic!("{} is not JSON public material: {e}", file.display()));
        let public_key = v["sign_pk"].is_string() && v["box_pk"].is_string();
        let keyring = v["format"] == "tipseal/keyring/v1";
        assert!(
            public_key || keyring,
            "{} is neither a public key nor a keyring",
            file.display()
        );
    }
}
