//! The server's periodic sweeps (unfinished uploads, idempotency keys, retention): one
//! loop that runs a storage job on a blocking thread at start-up and then on a fixed
//! timer, awaits the group commit only when the job changed something, and logs.
//!
//! Must never: run a sweep from a request (its work and its log lines would then say
//! when witnesses came), or hold a blocking thread while it waits for the flush.

use std::fmt::Display;
use std::time::Duration;

use actix_web::web as aweb;

use crate::storage::Store;

use super::state::AppState;

/// One periodic sweep: what it is called in the log, how often it runs, and what to
/// do with its result.
pub(super) struct Periodic<R> {
    /// Its name in log lines ("the upload sweep").
    pub what: &'static str,
    /// Time between runs; the first runs at once.
    pub every: Duration,
    /// Whether the result changed the store (then it is flushed, then `report`ed).
    pub changed: fn(&R) -> bool,
    /// Logs what a run that changed something did, once it is durable.
    pub report: fn(&R),
}

/// Runs `job` on the store as `periodic` says, on the server's runtime, until it stops.
pub(super) fn spawn_periodic<R, E, F>(state: aweb::Data<AppState>, periodic: Periodic<R>, job: F)
where
    R: Send + 'static,
    E: Display + Send + 'static,
    F: Fn(&Store) -> Result<R, E> + Clone + Send + 'static,
{
    actix_web::rt::spawn(async move {
        let Periodic {
            what,
            every,
            changed,
            report,
        } = periodic;
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let store = state.store.clone();
            let job = job.clone();
            // The flush is awaited here, not inside the blocking job, and only when the
            // job changed something: no pool thread waits for the group commit, and an
            // empty run costs no flush.
            match aweb::block(move || job(&store)).await {
                Ok(Ok(r)) if changed(&r) => match state.store.durable().await {
                    Ok(()) => report(&r),
                    Err(e) => tracing::error!(error = %e, "flushing {what} failed"),
                },
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::error!(error = %e, "{what} failed"),
                Err(e) => tracing::error!(error = %e, "{what} did not run"),
            }
        }
    });
}
