//! The retention sweep on the server's timer: applies the server's part of the policy
//! ([`crate::storage::Store::sweep_retention`]) at start-up and then every
//! `schedule_minutes`, never from a request (so its work and its log lines say nothing
//! about when witnesses came). Logs counts only, and puts each sweep that destroyed
//! something on the audit chain (counts, no ids: a deletion by policy is nobody's act,
//! but the team must be able to see that it happened).

use std::time::Duration;

use actix_web::web as aweb;

use crate::domain::retention::RetentionPolicy;
use crate::domain::Day;
use crate::storage::RetentionReport;

use super::audit_log;
use super::periodic::{spawn_periodic, Periodic};
use super::state::AppState;

/// The audit event of a sweep that deleted something.
pub const AUDIT_EVENT: &str = "retention";

/// Starts the sweep on the server's runtime; nothing when the schedule is 0.
pub(super) fn spawn(state: aweb::Data<AppState>, policy: RetentionPolicy) {
    if policy.schedule_minutes == 0 {
        return;
    }
    let periodic = Periodic {
        what: "the retention sweep",
        every: Duration::from_secs(u64::from(policy.schedule_minutes) * 60),
        changed: RetentionReport::deleted_anything,
        report: |r: &RetentionReport| {
            tracing::info!(
                tips = r.tips,
                replies = r.replies,
                uploads = r.uploads,
                "retention: deleted what the policy no longer keeps; run `tipseal admin \
                 compact` in the next maintenance window to rewrite the database without it"
            )
        },
    };
    spawn_periodic(state, periodic, move |store| {
        let report = store.sweep_retention(&policy, Day::today())?;
        if report.deleted_anything() {
            // Written before the flush the loop awaits, so it is as durable as the sweep.
            audit_log::record(
                store,
                AUDIT_EVENT,
                None,
                format!(
                    "{} tips, {} replies, {} unfinished uploads past the retention policy",
                    report.tips, report.replies, report.uploads
                ),
            )?;
            // Give the deleted tips' bundle-log space back now. It waits for the group
            // commit on this blocking thread (two batches per rewritten segment): rare,
            // and the files must not be unlinked before the swapped index is durable.
            let compacted = store.compact_bundle_log()?;
            tracing::info!(
                segments = compacted.segments_removed,
                bytes = compacted.bytes_freed,
                "retention: bundle log compacted"
            );
        }
        Ok::<_, crate::storage::StorageError>(report)
    });
}
