//! The retention sweep on the server's timer: applies the server's part of the policy
//! ([`crate::storage::Store::sweep_retention`]) at start-up and then every
//! `schedule_minutes`, never from a request (so its work and its log lines say nothing
//! about when witnesses came). Logs counts only.

use std::time::Duration;

use actix_web::web as aweb;

use crate::domain::retention::RetentionPolicy;
use crate::domain::Day;

use super::state::AppState;

/// Starts the sweep on the server's runtime; nothing when the schedule is 0.
pub(super) fn spawn(state: aweb::Data<AppState>, policy: RetentionPolicy) {
    if policy.schedule_minutes == 0 {
        return;
    }
    let every = Duration::from_secs(u64::from(policy.schedule_minutes) * 60);
    actix_web::rt::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let store = state.store.clone();
            // The flush is awaited here, not inside the blocking job, and only when
            // something was deleted: a sweep holds no pool thread while it waits for the
            // group commit, and an empty sweep costs no flush.
            match aweb::block(move || store.sweep_retention(&policy, Day::today())).await {
                Ok(Ok(r)) if r.deleted_anything() => {
                    if let Err(e) = state.store.durable().await {
                        tracing::error!(error = %e, "flushing the retention sweep failed");
                        continue;
                    }
                    tracing::info!(
                        tips = r.tips,
                        replies = r.replies,
                        uploads = r.uploads,
                        "retention: deleted what the policy no longer keeps; run `tipseal \
                         admin compact` in the next maintenance window to rewrite the database \
                         without it"
                    )
                }
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::error!(error = %e, "the retention sweep failed"),
                Err(e) => tracing::error!(error = %e, "the retention sweep did not run"),
            }
        }
    });
}
