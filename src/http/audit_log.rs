//! The audit chain: every keyring change, login and rewrap, hash-chained.
//!
//! Each entry names the hash of the one before, so removing or editing an entry breaks
//! the chain that `verify_chain` (and `tipseal admin audit`) checks. Entries are about
//! reviewers' and admins' actions only; a witness's submission is never an audit event
//! (its time would identify it).

use serde::{Deserialize, Serialize};

use crate::crypto::hash32;
use crate::domain::KeyId;
use crate::storage::{StorageError, Store};

const DOMAIN: &[u8] = b"tipseal/audit/v1\0";

/// One audit entry as stored (canonical JSON bytes).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AuditEntry {
    /// Position in the chain, from 0.
    pub seq: u64,
    /// Hex hash of the previous entry's bytes (64 zeros for the first).
    pub prev: String,
    /// Unix time in seconds (admin and reviewer actions only).
    pub at: u64,
    /// What happened: `keyring_loaded`, `keyring_published`, `login`, `reply`, `rewrap`,
    /// `delete`, or `retention` (a sweep that deleted something; counts only).
    pub event: String,
    /// Who did it, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, pattern = "^[0-9a-f]{32}$")]
    pub actor: Option<KeyId>,
    /// Details (epoch numbers, tip ids) — never request data.
    pub detail: String,
}

/// Appends an entry in one storage transaction.
pub fn record(
    store: &Store,
    event: &str,
    actor: Option<KeyId>,
    detail: String,
) -> Result<u64, StorageError> {
    let at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    store.append_audit(|prev, seq| {
        let entry = AuditEntry {
            seq,
            prev: prev.map_or_else(|| "0".repeat(64), |p| hex::encode(hash32(DOMAIN, &[p]))),
            at,
            event: event.to_owned(),
            actor,
            detail: detail.clone(),
        };
        serde_json::to_vec(&entry).expect("audit entries serialize")
    })
}

/// Checks that `entries` (in order from seq 0) form an unbroken chain. Entries are hashed
/// in their canonical form (this struct serialized by serde_json, which is how they are
/// stored), so a client can verify what it received as JSON values.
pub fn verify_chain(entries: &[Vec<u8>]) -> Result<Vec<AuditEntry>, String> {
    let mut out: Vec<AuditEntry> = Vec::with_capacity(entries.len());
    let mut prev: Option<Vec<u8>> = None;
    for (i, raw) in entries.iter().enumerate() {
        let e: AuditEntry =
            serde_json::from_slice(raw).map_err(|_| format!("entry {i} is not valid JSON"))?;
        let want = prev
            .as_deref()
            .map_or_else(|| "0".repeat(64), |p| hex::encode(hash32(DOMAIN, &[p])));
        if e.seq != i as u64 || e.prev != want {
            return Err(format!("the chain is broken at entry {i}"));
        }
        prev = Some(serde_json::to_vec(&e).expect("audit entries serialize"));
        out.push(e);
    }
    Ok(out)
}
