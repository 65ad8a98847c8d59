//! Deleting a tip's content once the team decided so (a `DeleteTip` triage event): the
//! record, the sealed parts and wraps, any idempotency entry that names it, its
//! conversation and its mailbox link. The triage event log stays: it is the team's
//! record that and why the tip was deleted.
//!
//! Order makes a crash harmless: everything that hangs off the tip goes first while its
//! record still exists (a retried delete finishes the job), then the record, with the
//! `pending` mark set so that the next open removes chunks a crash left behind.

use std::collections::HashSet;

use crate::domain::TipId;

use super::super::layout::tip_key;
use super::super::{StorageError, Store};

impl Store {
    /// Deletes the tip's content; `false` when no such tip is stored. Await
    /// [`Store::durable`] before acknowledging.
    pub fn delete_tip(&self, id: TipId) -> Result<bool, StorageError> {
        Ok(self.delete_tips(&[id])? == 1)
    }

    /// Deletes the content of every tip of `ids` that is stored; returns how many were.
    /// The `idempotency` tree (a week of keys, not indexed by tip) is walked once for
    /// the whole batch: per tip, a retention sweep of many tips walked it once each.
    /// Await [`Store::durable`] before acknowledging.
    pub fn delete_tips(&self, ids: &[TipId]) -> Result<usize, StorageError> {
        let _gate = self.write_gate();
        let inner = &self.inner;
        let mut named = HashSet::with_capacity(ids.len());
        let mut stored = Vec::with_capacity(ids.len());
        for &id in ids {
            if !named.contains(id.as_bytes()) && inner.tips.contains_key(tip_key(id))? {
                named.insert(*id.as_bytes());
                stored.push(id);
            }
        }
        if stored.is_empty() {
            return Ok(0);
        }
        for &id in &stored {
            self.delete_conversation(id)?;
        }
        for kv in inner.idempotency.iter() {
            let (k, v) = kv?;
            if v.get(..16).is_some_and(|id| named.contains(id)) {
                inner.idempotency.remove(k)?;
            }
        }
        for &id in &stored {
            for k in inner.wraps.scan_prefix(id.as_bytes()).keys() {
                inner.wraps.remove(k?)?;
            }
            inner.pending.insert(id.as_bytes(), &[][..])?;
            inner.tips.remove(tip_key(id))?;
            for k in inner.blobs.scan_prefix(id.as_bytes()).keys() {
                inner.blobs.remove(k?)?;
            }
            inner.pending.remove(id.as_bytes())?;
        }
        Ok(stored.len())
    }
}
