//! The shared sample tips, random attachments, and small format checks.

use std::io::Read;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::submit;

/// The shared sample tips: `../shared/samples/*.json` when that folder exists (it is the
/// source of truth), else the copies in `tests/samples/`. Sorted by file name.
pub fn sample_paths() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let shared = root.join("../shared/samples");
    let dir = if shared.is_dir() {
        shared
    } else {
        root.join("tests/samples")
    };
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read samples in {}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    assert!(
        paths.len() >= 7,
        "expected the seven shared samples in {}",
        dir.display()
    );
    paths
}

/// One sample (the English one) for tests that need any tip.
pub fn a_sample() -> PathBuf {
    sample_paths()
        .into_iter()
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("en-"))
        })
        .unwrap_or_else(|| sample_paths().remove(0))
}

/// Parses a JSON file.
pub fn read_json(path: &Path) -> Value {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// `n` bytes from the kernel's CSPRNG.
pub fn random_bytes(n: usize) -> Vec<u8> {
    let mut out = vec![0u8; n];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut out))
        .expect("read /dev/urandom");
    out
}

/// A random lowercase hex string of `n` bytes (2n characters).
pub fn random_hex(n: usize) -> String {
    random_bytes(n).iter().map(|b| format!("{b:02x}")).collect()
}

/// 32 hex characters (a tip id or a key id).
pub fn is_hex32(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A tip id: 32 hex characters.
pub fn is_tip_id(s: &str) -> bool {
    is_hex32(s)
}

/// `YYYY-MM-DD`
pub fn is_utc_day(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

/// One `tipseal submit` of a sample.
pub struct Submission {
    /// The sample file submitted.
    pub tip_path: PathBuf,
    /// The tip id the server answered.
    pub id: String,
    /// The files attached (random bytes).
    pub attachments: Vec<PathBuf>,
}

/// Submits every shared sample with `tipseal submit`. The first gets a 3 KiB attachment,
/// the second a 4 KiB one and a 210 KiB one; the attachment files are written in `dir`.
/// They are random bytes named `.bin`, so no metadata stripping has cause to touch them.
pub fn submit_every_sample(server_url: &str, dir: &Path) -> Vec<Submission> {
    sample_paths()
        .into_iter()
        .enumerate()
        .map(|(i, tip_path)| {
            let sizes: &[(&str, usize)] = match i {
                0 => &[("photo-of-the-gate.bin", 3 * 1024)],
                1 => &[("wage-slip.bin", 4 * 1024), ("site-video.bin", 210 * 1024)],
                _ => &[],
            };
            let attachments: Vec<PathBuf> = sizes
                .iter()
                .map(|(name, size)| {
                    let p = dir.join(format!("{i}-{name}"));
                    std::fs::write(&p, random_bytes(*size)).expect("write attachment");
                    p
                })
                .collect();
            let id = submit(server_url, &tip_path, &attachments);
            Submission {
                tip_path,
                id,
                attachments,
            }
        })
        .collect()
}

/// The file name an attachment travels under (its base name).
pub fn attachment_name(path: &Path) -> String {
    path.file_name()
        .expect("attachment has a file name")
        .to_string_lossy()
        .into_owned()
}
