//! Giving freed memory back to the system once a burst of requests is over.
//!
//! Three things keep a flood's memory after it ends. sled frees the tree nodes that
//! writes replaced only when later operations drain its reclamation queue, and after a
//! burst none come ([`crate::storage::Store::reclaim_replaced_nodes`] drains it; the
//! thread that opened the store first hands its own deferred frees over,
//! [`crate::storage::Store::hand_over_deferred_frees`]). The
//! bundle log keeps buffers for its next batches
//! ([`crate::storage::Store::drop_spare_buffers`] frees them). And the allocator keeps
//! freed pages for reuse, so the footprint would stay at its peak: the binary registers
//! a trimmer (glibc's `malloc_trim`, which needs `unsafe` and so cannot live in this
//! library). This module does all three, in that order, on a blocking thread
//! once the in-flight body budget (request bodies over 32 KiB, and upload copies) and
//! the intake budget (every submission being stored) have been empty for two polls in a
//! row after having been used. It must never run on every request, and never decide
//! anything from what a request carried.

use std::sync::OnceLock;
use std::time::Duration;

use actix_web::web as aweb;

use super::AppState;

/// How often the budget is looked at: a trim comes one to two polls after the load
/// drops, within the 3 s the "back to idle" allows.
const POLL: Duration = Duration::from_millis(750);

static TRIMMER: OnceLock<fn()> = OnceLock::new();

/// Registers the function that returns freed memory to the system (once, at start).
/// Without one, replaced nodes are still reclaimed, but nothing is trimmed.
pub fn set_trimmer(trim: fn()) {
    let _ = TRIMMER.set(trim);
}

/// Watches the budgets and reclaims after a burst, on the server's runtime until it stops.
pub(super) fn spawn(state: aweb::Data<AppState>) {
    actix_web::rt::spawn(async move {
        let mut tick = tokio::time::interval(POLL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut used_since_trim = false;
        let mut idle_polls = 0u32;
        loop {
            tick.tick().await;
            // Text tips' bodies are too small to be charged to the body budget; the
            // intake budget charges every submission being stored.
            let in_flight = state.body_budget.in_flight() + state.intake.reserved_bytes();
            if in_flight > 0 {
                used_since_trim = true;
                idle_polls = 0;
                continue;
            }
            idle_polls += 1;
            if used_since_trim && idle_polls >= 2 {
                used_since_trim = false;
                // This task runs on the thread that opened and set up the store: its
                // bag of deferred frees held the first log segment's I/O buffers (4
                // MiB, resident once a flood wrote them) until handed over here.
                state.store.hand_over_deferred_frees();
                let store = state.store.clone();
                let release = move || {
                    store.reclaim_replaced_nodes();
                    store.drop_spare_buffers();
                    if let Some(trim) = TRIMMER.get() {
                        trim();
                    }
                };
                if aweb::block(release).await.is_err() {
                    tracing::error!("the memory release task failed");
                }
            }
        }
    });
}
