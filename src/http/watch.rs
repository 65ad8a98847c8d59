//! Operator notices written on a timer that starts with the server: the keyring's expiry
//! (ERROR once expired, WARN in the last [`WARN_DAYS`] days), an unreadable free-space
//! statistic, and the refusal summary (`refusal_log`).
//!
//! Why a timer: a line written from inside a request is timestamped by the supervisor
//! (journald) and so times that request — a witness's submission. Every line here is
//! written at `start + k × interval`, whatever witnesses do; it says what is true of
//! the server, never anything about a request.
//!
//! Must never: be called from a request handler, or log anything about a request.

use std::time::Duration;

use actix_web::web::Data;

use super::refusal_log;
use super::state::AppState;
use crate::domain::Day;

/// Default interval between ticks (`tipseal serve --notice-interval-secs`).
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(60);
/// Days before expiry from which the keyring is warned about.
pub const WARN_DAYS: i64 = 14;
/// The "expires soon" warning is repeated this often (an ERROR once expired is repeated
/// every tick: tips are being refused).
const SOON_EVERY: Duration = Duration::from_secs(3600);

/// Writes the start-up notices now (before the server listens), then starts the ticker
/// on the server's runtime: ticks at start + k × `every`, fixed here, so no request can
/// move them.
pub fn spawn(state: Data<AppState>, every: Duration) {
    let soon_every_ticks = (SOON_EVERY.as_secs() / every.as_secs().max(1)).max(1);
    keyring_notice(&state, true);
    state.disk.probe();
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    // Ticks stay on the start-up grid even after a stall.
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    actix_web::rt::spawn(async move {
        let mut n: u64 = 1;
        loop {
            tick.tick().await;
            keyring_notice(&state, n.is_multiple_of(soon_every_ticks));
            state.disk.probe();
            refusal_log::flush(every);
            n += 1;
        }
    });
}

fn keyring_notice(state: &AppState, warn_soon: bool) {
    let Some(keyring) = state.keyring() else {
        return;
    };
    let expires = keyring.current().expires;
    let days_left = expires.days() - Day::today().days();
    if days_left < 0 {
        tracing::error!(
            epoch = keyring.epoch().get(),
            expired_after = %expires,
            "KEYRING EXPIRED: tips are being refused; renew it with `tipseal admin renew` and `tipseal admin publish`"
        );
    } else if days_left <= WARN_DAYS && warn_soon {
        tracing::warn!(
            epoch = keyring.epoch().get(),
            days_left,
            "the keyring expires soon: renew it with `tipseal admin renew` and publish it"
        );
    }
}
