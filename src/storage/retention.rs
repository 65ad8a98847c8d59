//! The server's side of the retention policy ([`RetentionPolicy`]): what storage can see
//! by itself and destroy without reading anything — tips past an absolute age, replies
//! waiting in witnesses' mailboxes past their days, unfinished uploads past their hours.
//!
//! Deleting removes the records, the wraps and the blob chunks (the same path as a
//! reviewer's deletion); the bytes leave the disk's files only when the database is
//! rewritten (`tipseal admin compact`). Closed or dismissed tips are not here: their
//! status is sealed for the team, so reviewers' clients delete those. Must never: read
//! a sealed byte, or keep any time finer than the UTC day storage already has.

use crate::domain::retention::RetentionPolicy;
use crate::domain::{Day, TipId};

use super::{Reader, StorageError, Store, ThreadKind, UploadError};

/// What one sweep destroyed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RetentionReport {
    /// Tips deleted for their age.
    pub tips: usize,
    /// Replies whose witness copy was deleted from a mailbox.
    pub replies: usize,
    /// Unfinished uploads removed.
    pub uploads: usize,
}

impl RetentionReport {
    /// Whether anything was destroyed (and a compaction would free bytes).
    pub fn deleted_anything(&self) -> bool {
        self.tips + self.replies + self.uploads > 0
    }
}

/// Tips deleted together by a retention sweep: one walk of the idempotency tree each.
const DELETE_BATCH: usize = 4096;

impl Store {
    /// Applies the server's part of `policy` as of `today`. Does not flush: await
    /// [`Store::durable`] (or call [`Store::durable_blocking`]) after.
    pub fn sweep_retention(
        &self,
        policy: &RetentionPolicy,
        today: Day,
    ) -> Result<RetentionReport, StorageError> {
        let mut report = RetentionReport::default();
        if policy.max_tip_age_days > 0 {
            let age = i64::from(policy.max_tip_age_days);
            let mut due: Vec<TipId> = Vec::new();
            let mut after = None;
            loop {
                let page = self.list_tips_page(after, 1024)?;
                let Some(last) = page.last() else { break };
                after = Some(last.id);
                due.extend(
                    page.iter()
                        .filter(|t| t.received.plus_days(age) <= today)
                        .map(|t| t.id),
                );
            }
            for batch in due.chunks(DELETE_BATCH) {
                report.tips += self.delete_tips(batch)?;
            }
        }
        if policy.unread_reply_days > 0 {
            let age = i64::from(policy.unread_reply_days);
            for tip in self.tips_with_threads()? {
                let seqs: Vec<u32> = self
                    .thread_index(tip, Reader::Witness)?
                    .into_iter()
                    .filter(|e| e.kind == ThreadKind::Reply && e.received.plus_days(age) <= today)
                    .map(|e| e.seq)
                    .collect();
                if !seqs.is_empty() {
                    self.delete_witness_copies(tip, &seqs)?;
                    report.replies += seqs.len();
                }
            }
        }
        if policy.unfinished_upload_hours > 0 {
            // Only the creation day is stored: an upload goes once whole days covering
            // the hours have passed since that day.
            let days = i64::from(policy.unfinished_upload_hours.div_ceil(24));
            report.uploads = match self.expire_uploads(today.plus_days(-days)) {
                Ok(n) => n,
                Err(UploadError::Storage(e)) => return Err(e),
                Err(_) => 0,
            };
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::temp_store;
    use super::super::{NewPart, NewTip, HEADER_LEN, WRAP_LEN};
    use super::*;

    fn insert(store: &Store, seed: u8, day: Day) -> TipId {
        let id = TipId::from_bytes([seed; 16]);
        let (header, wrap, body) = ([seed; HEADER_LEN], [seed; WRAP_LEN], vec![seed; 100]);
        store
            .insert_tip(NewTip {
                id,
                received: day,
                epoch: crate::domain::Epoch::new(1).unwrap(),
                flags: 0,
                parts: vec![NewPart {
                    header: &header,
                    wrap: &wrap,
                    body: &body,
                }],
                idempotency: None,
            })
            .unwrap();
        id
    }

    #[test]
    fn tips_past_the_absolute_age_are_deleted_and_younger_ones_kept() {
        let (_dir, store) = temp_store();
        let today = Day::from_days(20_000);
        let old = insert(&store, 1, today.plus_days(-30));
        let young = insert(&store, 2, today.plus_days(-29));
        let policy = RetentionPolicy {
            max_tip_age_days: 30,
            ..RetentionPolicy::keep_everything()
        };
        let report = store.sweep_retention(&policy, today).unwrap();
        assert_eq!(report.tips, 1);
        assert!(store.load_tip(old).unwrap().is_none());
        assert!(store.load_tip(young).unwrap().is_some());
        // Off by default: nothing is deleted by age.
        let report = store
            .sweep_retention(&RetentionPolicy::default(), today.plus_days(9999))
            .unwrap();
        assert_eq!(report.tips, 0);
    }

    #[test]
    fn old_replies_leave_the_witness_mailbox_but_the_teams_copy_and_follow_ups_stay() {
        let (_dir, store) = temp_store();
        let today = Day::from_days(20_000);
        let tip = insert(&store, 3, today.plus_days(-100));
        let w = [9u8; 200];
        let r = [8u8; 200];
        store
            .append_thread(
                tip,
                ThreadKind::Reply,
                today.plus_days(-31),
                Some(&w[..]),
                &r,
            )
            .unwrap();
        store
            .append_thread(
                tip,
                ThreadKind::Followup,
                today.plus_days(-31),
                Some(&w[..]),
                &r,
            )
            .unwrap();
        store
            .append_thread(
                tip,
                ThreadKind::Reply,
                today.plus_days(-2),
                Some(&w[..]),
                &r,
            )
            .unwrap();
        let policy = RetentionPolicy {
            unread_reply_days: 30,
            ..RetentionPolicy::keep_everything()
        };
        assert_eq!(store.sweep_retention(&policy, today).unwrap().replies, 1);
        let witness: Vec<u32> = store
            .thread_index(tip, Reader::Witness)
            .unwrap()
            .iter()
            .map(|e| e.seq)
            .collect();
        assert_eq!(witness, vec![1, 2]);
        assert_eq!(store.thread_index(tip, Reader::Reviewers).unwrap().len(), 3);
        assert_eq!(store.sweep_retention(&policy, today).unwrap().replies, 0);
    }
}
