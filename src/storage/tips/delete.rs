//! Deleting a tip's content once the team decided so (a `DeleteTip` triage event): the
//! record, the sealed parts and wraps, any idempotency entry that names it, its
//! conversation and its mailbox link. The triage event log stays: it is the team's
//! record that and why the tip was deleted.
//!
//! Order makes a crash harmless: everything that hangs off the tip goes first while its
//! record still exists (a retried delete finishes the job), then the record, with the
//! `pending` mark set so that the next open removes chunks a crash left behind.

use crate::domain::TipId;

use super::super::layout::tip_key;
use super::super::{StorageError, Store};

impl Store {
    /// Deletes the tip's content; `false` when no such tip is stored. Await
    /// [`Store::durable`] before acknowledging.
    pub fn delete_tip(&self, id: TipId) -> Result<bool, StorageError> {
        let _gate = self.write_gate();
        let inner = &self.inner;
        if !inner.tips.contains_key(tip_key(id))? {
            return Ok(false);
        }
        self.delete_conversation(id)?;
        for kv in inner.idempotency.iter() {
            let (k, v) = kv?;
            if v.get(..16) == Some(&id.as_bytes()[..]) {
                inner.idempotency.remove(k)?;
            }
        }
        for k in inner.wraps.scan_prefix(id.as_bytes()).keys() {
            inner.wraps.remove(k?)?;
        }
        inner.pending.insert(id.as_bytes(), &[][..])?;
        inner.tips.remove(tip_key(id))?;
        for k in inner.blobs.scan_prefix(id.as_bytes()).keys() {
            inner.blobs.remove(k?)?;
        }
        inner.pending.remove(id.as_bytes())?;
        Ok(true)
    }
}
