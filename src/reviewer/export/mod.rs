//! Exports that can be verified: the decrypted, structured data of a case or of a filtered
//! set of tips, written as JSON, CSV or a markdown report per worksite into a folder with a
//! `manifest.json` (each file's name, size, BLAKE2b-256 and SHA-256; the case, filters,
//! time, signer and keyring epoch; the re-identification flags) and `manifest.sig`, the
//! reviewer's Ed25519 signature of the manifest's bytes (`crypto::export`).
//! [`verify_dir`] checks a folder offline against a keyring.
//!
//! This is the one place the reviewer library writes plaintext outside the encrypted
//! store, and only into the folder the caller names after the reviewer agreed (the command
//! line asks). The folder is written beside the target and renamed into place, so a
//! failure leaves no half export. Must never: write a reply key, receipt or attachment,
//! write into a folder that holds anything, or call a folder verified when any file in
//! it differs from, or is missing from, the signed manifest.

pub mod markdown;
pub mod records;
pub mod reident;
mod verify;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::crypto::export::{sign_manifest, ExportSignatureError};
use crate::crypto::identity::Identity;
use crate::domain::triage::CaseId;
use crate::domain::{Day, Epoch, KeyId};

use super::cases::{Case, CaseTip};
pub use reident::Flag;
pub use verify::verify_dir;

/// `format` of every manifest this version writes.
pub const MANIFEST_FORMAT: &str = "tipseal/export/v1";
/// The manifest's file name.
pub const MANIFEST: &str = "manifest.json";
/// The signature's file name.
pub const SIGNATURE: &str = "manifest.sig";

/// Why an export or its verification failed; each names the file and what to do.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The target folder holds something already.
    #[error("{0} exists and is not empty: give a new folder with --out (an export never mixes with other files)")]
    NotEmpty(PathBuf),
    /// Reading or writing failed.
    #[error("{0}: {1}")]
    Io(PathBuf, std::io::Error),
    /// Nothing to export.
    #[error("nothing to export: no tip matches (run `tipseal review list` with the same filters to check)")]
    Empty,
    /// The workspace could not give the tips or cases (a case id it does not know …).
    #[error(transparent)]
    Workspace(#[from] crate::reviewer::workspace::WorkspaceError),
    /// The keyring is not in the local store, so there is no epoch to sign under.
    #[error(
        "the keyring is not known on this machine yet: run `tipseal review sync` online first"
    )]
    NoKeyring,
    /// The manifest is missing or does not parse.
    #[error("manifest.json is missing or not a tipseal export manifest ({0}): this folder cannot be verified")]
    BadManifest(String),
    /// The signature is refused.
    #[error(transparent)]
    Signature(#[from] ExportSignatureError),
    /// A file differs from the manifest, is missing, or is not in it.
    #[error("{file}: {what}")]
    Mismatch {
        /// The file.
        file: String,
        /// What differs.
        what: String,
    },
}

/// The output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// `tips.json` (and `case.json` for a case).
    Json,
    /// `tips.csv`.
    Csv,
    /// `report-CASE.md` per worksite.
    Markdown,
}

/// One file in the manifest.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct FileEntry {
    /// The file's name in the folder.
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
    /// BLAKE2b-256, hex (`b2sum -l 256`).
    pub blake2b_256: String,
    /// SHA-256, hex (`sha256sum`).
    pub sha256: String,
}

/// `manifest.json`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// [`MANIFEST_FORMAT`].
    pub format: String,
    /// When, UTC seconds (the reviewer's clock).
    pub created_at: i64,
    /// The UTC day of `created_at` (what revocation is checked against).
    pub created_day: Day,
    /// The signer's key id.
    pub signer: KeyId,
    /// The signer's name on the keyring (for people; the key id is what is checked).
    pub signer_name: String,
    /// The keyring epoch the signer exported under.
    pub keyring_epoch: Epoch,
    /// The case exported, when one was.
    pub case: Option<CaseId>,
    /// The filters, as given.
    pub filters: Value,
    /// The output format.
    pub export_format: Format,
    /// Whether witness-identifying fields were left out.
    pub redacted: bool,
    /// The files.
    pub files: Vec<FileEntry>,
    /// The re-identification check's flags.
    pub reidentification: Vec<Flag>,
}

/// What will be written: the data files and the flags, before anything touches the disk.
pub struct Plan {
    /// File name and bytes.
    pub files: Vec<(String, Vec<u8>)>,
    /// Rare combinations found.
    pub flags: Vec<Flag>,
    /// The case, when one.
    pub case: Option<CaseId>,
    /// The filters.
    pub filters: Value,
    /// The format.
    pub format: Format,
    /// Redacted.
    pub redact: bool,
    /// Tips in the export.
    pub tips: usize,
}

/// Plans an export of `tips`: the `case` when one was asked for, else every case of
/// `cases` the tips fall in (the markdown reports group by them).
pub fn plan(
    tips: &[CaseTip],
    case: Option<&Case>,
    cases: &[Case],
    filters: Value,
    format: Format,
    redact: bool,
) -> Result<Plan, ExportError> {
    if tips.is_empty() {
        return Err(ExportError::Empty);
    }
    let refs: Vec<&CaseTip> = tips.iter().collect();
    let in_case = |t: &CaseTip| case.or_else(|| cases.iter().find(|c| c.tips.contains(&t.id)));
    let site = |t: &CaseTip| match in_case(t) {
        Some(c) => format!("case {} ({})", c.id, c.title),
        None => format!(
            "{} in {}",
            t.entities
                .worksite
                .name
                .as_deref()
                .unwrap_or("an unnamed site"),
            t.entities
                .worksite
                .city
                .as_deref()
                .unwrap_or("an unknown city")
        ),
    };
    let flags = reident::check(&refs, &site, redact);
    let records: Vec<_> = refs.iter().map(|t| records::record(t, redact)).collect();
    let mut files = Vec::new();
    match format {
        Format::Json => {
            files.push(("tips.json".into(), pretty(&records)));
            // Counts only, never a tip's words: the same with or without --redact.
            let figs = super::figures::figures(&refs, case.map_or(cases, std::slice::from_ref));
            files.push(("figures.json".into(), pretty(&figs)));
            if let Some(c) = case {
                files.push(("case.json".into(), pretty(&case_summary(c, redact))));
            }
        }
        Format::Csv => files.push(("tips.csv".into(), records::csv(&records, redact))),
        Format::Markdown => {
            let chosen: Vec<&Case> = match case {
                Some(c) => vec![c],
                None => cases
                    .iter()
                    .filter(|c| c.tips.iter().any(|id| tips.iter().any(|t| t.id == *id)))
                    .collect(),
            };
            let mut covered = BTreeSet::new();
            for c in chosen {
                let ts: Vec<&CaseTip> = refs
                    .iter()
                    .copied()
                    .filter(|t| c.tips.contains(&t.id))
                    .collect();
                covered.extend(ts.iter().map(|t| t.id));
                let fl: Vec<Flag> = flags
                    .iter()
                    .filter(|f| ts.iter().any(|t| f.tips.contains(&t.short())))
                    .cloned()
                    .collect();
                files.push((
                    format!("report-{}.md", c.id),
                    markdown::report(c, &ts, redact, &fl).into_bytes(),
                ));
            }
            let rest: Vec<&CaseTip> = refs
                .iter()
                .copied()
                .filter(|t| !covered.contains(&t.id))
                .collect();
            if !rest.is_empty() {
                let mut s = String::from("# Tips in no case\n\n");
                for t in rest {
                    let r = records::record(t, redact);
                    let line: Vec<String> = r
                        .iter()
                        .filter(|(_, v)| !v.is_null() && v != &&Value::from(""))
                        .map(|(k, v)| {
                            format!("{k}: {}", v.as_str().map_or(v.to_string(), str::to_owned))
                        })
                        .collect();
                    s.push_str(&format!("- {}\n", line.join("; ").replace('\n', " ")));
                }
                files.push(("tips-not-in-a-case.md".into(), s.into_bytes()));
            }
        }
    }
    Ok(Plan {
        files,
        flags,
        case: case.map(|c| c.id.clone()),
        filters,
        format,
        redact,
        tips: tips.len(),
    })
}

fn case_summary(c: &Case, redact: bool) -> Value {
    let mut v = serde_json::to_value(c).unwrap_or(Value::Null);
    if redact {
        if let Some(facts) = v.get_mut("facts").and_then(Value::as_array_mut) {
            facts.retain(|f| f["verdict"] != "as written");
        }
    }
    v
}

fn pretty<T: Serialize>(v: &T) -> Vec<u8> {
    let mut b = serde_json::to_vec_pretty(v).unwrap_or_default();
    b.push(b'\n');
    b
}

/// BLAKE2b-256 and SHA-256 of `bytes`, hex.
pub(crate) fn hashes(bytes: &[u8]) -> (String, String) {
    let b2 = crate::crypto::hash32(b"", &[bytes]);
    let sha = sodiumoxide::crypto::hash::sha256::hash(bytes);
    (hex::encode(b2), hex::encode(sha.0))
}

/// Writes `plan` into `dir` (absent or empty) with its signed manifest; returns the
/// manifest.
pub fn write(
    dir: &Path,
    plan: &Plan,
    me: &Identity,
    signer_name: &str,
    epoch: Epoch,
) -> Result<Manifest, ExportError> {
    let io = |p: &Path| {
        let p = p.to_path_buf();
        move |e| ExportError::Io(p, e)
    };
    if dir.exists() {
        let mut entries = std::fs::read_dir(dir).map_err(io(dir))?;
        if entries.next().is_some() {
            return Err(ExportError::NotEmpty(dir.to_path_buf()));
        }
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let manifest = Manifest {
        format: MANIFEST_FORMAT.into(),
        created_at: now,
        created_day: Day::from_days(now.div_euclid(86_400)),
        signer: me.key_id(),
        signer_name: signer_name.into(),
        keyring_epoch: epoch,
        case: plan.case.clone(),
        filters: plan.filters.clone(),
        export_format: plan.format,
        redacted: plan.redact,
        files: plan
            .files
            .iter()
            .map(|(name, bytes)| {
                let (blake2b_256, sha256) = hashes(bytes);
                FileEntry {
                    name: name.clone(),
                    size: bytes.len() as u64,
                    blake2b_256,
                    sha256,
                }
            })
            .collect(),
        reidentification: plan.flags.clone(),
    };
    let mbytes = pretty(&manifest);
    let sig = sign_manifest(me, &mbytes);
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "export".into());
    let tmp = dir.with_file_name(format!(
        ".{name}.partial-{}",
        hex::encode(crate::crypto::random_bytes::<4>())
    ));
    let result = (|| {
        create_private_dir(&tmp).map_err(io(&tmp))?;
        for (n, bytes) in &plan.files {
            write_private(&tmp.join(n), bytes).map_err(io(&tmp.join(n)))?;
        }
        write_private(&tmp.join(MANIFEST), &mbytes).map_err(io(&tmp.join(MANIFEST)))?;
        write_private(&tmp.join(SIGNATURE), format!("{sig}\n").as_bytes())
            .map_err(io(&tmp.join(SIGNATURE)))?;
        if dir.exists() {
            std::fs::remove_dir(dir).map_err(io(dir))?;
        }
        std::fs::rename(&tmp, dir).map_err(io(dir))
    })();
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    result.map(|()| manifest)
}

fn create_private_dir(p: &Path) -> std::io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(p)
}

fn write_private(p: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    let mut f = o.open(p)?;
    f.write_all(bytes)?;
    f.sync_all()
}
