//! The rate limiter: token buckets per endpoint class, with no client address anywhere
//! (behind Tor every client is the same address, and we must not record it anyway).
//!
//! Who pays for a request:
//! - a reviewer or admin with a live session: **their key's own bucket** (keyed by key
//!   id), which no anonymous request can spend;
//! - a witness with a live mailbox session: **their mailbox's own bucket** (keyed by tip
//!   id); what stores (a message, a tip) also spends the shared intake bucket;
//! - a successful login pays into the same per-key or per-mailbox bucket, charged by the
//!   login handler *after* the signature verifies — so challenges and login attempts are
//!   not budgeted at all: they store nothing (stateless challenges), and any shared budget
//!   on them would be one a flooder spends to lock the real user out;
//! - everything else is anonymous and pays a shared bucket of its class: `intake`
//!   (tips, uploads, mailbox messages, the no-JavaScript form), `publish` (keyring
//!   uploads, which verify signatures over up to 1 MiB) or `reads` (pages, assets,
//!   keyring, health);
//! - whatever stores a tip or a message pays the shared intake bucket too, whoever asks:
//!   a reviewer's session or a witness's is no way around it. The no-JavaScript mailbox
//!   page (`POST /{lang}/followup`) pays after proof like a login, and its handler charges
//!   intake only when it stores a follow-up (`action=add`): reading replies must not
//!   depend on a bucket that a junk-tip flood empties.
//!
//! Requests are classed on the path **the router matches** (percent-decoded except `%`,
//! `/` and `+`), never on the raw URI: `/api/v1/%74ips` reaches the tip handler, so it
//! must pay intake like `/api/v1/tips`.
//!
//! Over budget → 429 `rate_limited` with `Retry-After` (for pages: the localised "busy"
//! page, also 429 with `Retry-After`). Keyed buckets exist only for
//! identities that proved themselves (keys on the keyring, mailboxes that logged in), so
//! random ids cannot grow them; idle ones are dropped now and then.
//! Must never: read or log the client's address or any header but `Authorization`.

use std::num::NonZeroU32;
use std::str::FromStr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{web, Error, ResponseError};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota};

use super::{ApiError, AppState};
use crate::domain::{KeyId, TipId};

/// A token bucket's size: `per_second` tokens refill each second, up to `burst`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    /// Sustained requests per second (0: no limit).
    pub per_second: u32,
    /// Requests allowed at once from a full bucket.
    pub burst: u32,
}

impl Budget {
    /// `per_second` sustained, `burst` at once.
    pub const fn new(per_second: u32, burst: u32) -> Self {
        Self { per_second, burst }
    }

    /// No limit.
    pub const OFF: Budget = Budget::new(0, 0);

    fn quota(self) -> Option<Quota> {
        let rate = NonZeroU32::new(self.per_second)?;
        let burst = NonZeroU32::new(self.burst.max(1))?;
        Some(Quota::per_second(rate).allow_burst(burst))
    }
}

impl FromStr for Budget {
    type Err = String;
    /// `PER_SECOND:BURST` (e.g. `20:200`), or `off`.
    fn from_str(s: &str) -> Result<Self, String> {
        if s == "off" {
            return Ok(Budget::OFF);
        }
        let (rate, burst) = s.split_once(':').ok_or_else(|| {
            format!("a budget is PER_SECOND:BURST (like 20:200) or off, not {s:?}")
        })?;
        let parse = |v: &str| {
            v.parse::<u32>()
                .map_err(|_| format!("{v:?} is not a whole number"))
        };
        Ok(Budget::new(parse(rate)?, parse(burst)?))
    }
}

impl std::fmt::Display for Budget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.per_second == 0 {
            f.write_str("off")
        } else {
            write!(f, "{}:{}", self.per_second, self.burst)
        }
    }
}

/// The budgets of every class (`tipseal serve --rate-…`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateSettings {
    /// Anonymous submissions, shared by every witness.
    pub intake: Budget,
    /// Anonymous reads, shared by everyone.
    pub reads: Budget,
    /// Anonymous keyring uploads, shared.
    pub publish: Budget,
    /// Each reviewer's or admin's own budget, per key.
    pub staff: Budget,
    /// Each mailbox's own budget, per mailbox.
    pub mailbox: Budget,
}

/// Default anonymous intake: 50 submissions or upload chunks a second, 500 at once —
/// orders of magnitude above honest witness traffic (a big upload is a few hundred
/// chunks), small enough that a flood cannot keep the group commit and the disk busy
/// for everyone.
pub const DEFAULT_INTAKE: Budget = Budget::new(50, 500);
/// Default anonymous reads: a page load is ~10 requests.
pub const DEFAULT_READS: Budget = Budget::new(200, 2000);
/// Default keyring uploads: an admin publishes a few times a year.
pub const DEFAULT_PUBLISH: Budget = Budget::new(2, 20);
/// Default per reviewer/admin key: `review rewrap` fetches and re-wraps every tip.
pub const DEFAULT_STAFF: Budget = Budget::new(100, 1000);
/// Default per mailbox: a witness reads replies and sends a message or two.
pub const DEFAULT_MAILBOX: Budget = Budget::new(2, 30);

impl RateSettings {
    /// No limits at all (benchmarks of raw throughput, unit tests).
    pub const OFF: RateSettings = RateSettings {
        intake: Budget::OFF,
        reads: Budget::OFF,
        publish: Budget::OFF,
        staff: Budget::OFF,
        mailbox: Budget::OFF,
    };
}

impl Default for RateSettings {
    fn default() -> Self {
        Self {
            intake: DEFAULT_INTAKE,
            reads: DEFAULT_READS,
            publish: DEFAULT_PUBLISH,
            staff: DEFAULT_STAFF,
            mailbox: DEFAULT_MAILBOX,
        }
    }
}

/// A shared, anonymous class of requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    /// Tips, uploads, mailbox messages, the no-JavaScript form, and follow-ups the
    /// no-JavaScript mailbox page stores.
    Intake,
    /// Pages, assets, the keyring, health, anything not otherwise classed.
    Reads,
    /// Keyring uploads.
    Publish,
}

/// A keyed bucket set, pruned of idle keys every so often.
struct Keyed<K: std::hash::Hash + Eq + Clone> {
    limiter: DefaultKeyedRateLimiter<K>,
    checks: AtomicU32,
}

impl<K: std::hash::Hash + Eq + Clone> Keyed<K> {
    fn check(&self, key: &K) -> Result<(), ApiError> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % 4096 == 4095 {
            self.limiter.retain_recent();
        }
        self.limiter.check_key(key).map_err(|n| too_many(&n))
    }
}

/// The running server's buckets.
pub struct RateLimits {
    intake: Option<DefaultDirectRateLimiter>,
    reads: Option<DefaultDirectRateLimiter>,
    publish: Option<DefaultDirectRateLimiter>,
    staff: Option<Keyed<KeyId>>,
    mailbox: Option<Keyed<TipId>>,
}

fn too_many(n: &governor::NotUntil<<DefaultClock as Clock>::Instant>) -> ApiError {
    let wait = n.wait_time_from(DefaultClock::default().now());
    // Whole seconds, rounded up, at least one: what `Retry-After` can say.
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    ApiError::RateLimited {
        retry_after: Duration::from_secs(secs.max(1)),
    }
}

fn direct(b: Budget) -> Option<DefaultDirectRateLimiter> {
    b.quota().map(DefaultDirectRateLimiter::direct)
}

fn keyed<K: std::hash::Hash + Eq + Clone>(b: Budget) -> Option<Keyed<K>> {
    b.quota().map(|q| Keyed {
        limiter: DefaultKeyedRateLimiter::keyed(q),
        checks: AtomicU32::new(0),
    })
}

impl Default for RateLimits {
    fn default() -> Self {
        Self::new(&RateSettings::default())
    }
}

impl RateLimits {
    /// Buckets sized by `s`.
    pub fn new(s: &RateSettings) -> Self {
        Self {
            intake: direct(s.intake),
            reads: direct(s.reads),
            publish: direct(s.publish),
            staff: keyed(s.staff),
            mailbox: keyed(s.mailbox),
        }
    }

    /// No limits at all (unit tests).
    pub fn unlimited() -> Self {
        Self::new(&RateSettings::OFF)
    }

    /// Spends one token of a shared anonymous class.
    pub fn charge(&self, class: Class) -> Result<(), ApiError> {
        let l = match class {
            Class::Intake => &self.intake,
            Class::Reads => &self.reads,
            Class::Publish => &self.publish,
        };
        match l {
            Some(l) => l.check().map_err(|n| too_many(&n)),
            None => Ok(()),
        }
    }

    /// Spends one token of a reviewer's or admin's own budget.
    pub fn charge_staff(&self, key: KeyId) -> Result<(), ApiError> {
        self.staff.as_ref().map_or(Ok(()), |k| k.check(&key))
    }

    /// Spends one token of a mailbox's own budget.
    pub fn charge_mailbox(&self, tip: TipId) -> Result<(), ApiError> {
        self.mailbox.as_ref().map_or(Ok(()), |k| k.check(&tip))
    }
}

/// Who pays for a request.
#[derive(Debug, PartialEq, Eq)]
enum Payer {
    Staff(KeyId),
    Mailbox(TipId),
    Anonymous(Class),
    /// Login steps: paid by the login handler once the signature verified.
    AfterProof,
}

/// The anonymous class of `method path` (requests without a live session).
fn class_of(method: &Method, path: &str) -> Payer {
    let post = method == Method::POST;
    match path {
        "/api/v1/auth/challenge"
        | "/api/v1/auth/session"
        | "/api/v1/mailbox/challenge"
        | "/api/v1/mailbox/session" => Payer::AfterProof,
        "/api/v1/keyring" if post => Payer::Anonymous(Class::Publish),
        "/api/v1/tips" | "/api/v1/uploads" | "/api/v1/mailbox/messages" if post => {
            Payer::Anonymous(Class::Intake)
        }
        p if method == Method::PATCH && p.starts_with("/api/v1/uploads/") => {
            Payer::Anonymous(Class::Intake)
        }
        // The no-JavaScript form: `/{lang}/submit`.
        p if post && !p.starts_with("/api/") && p.ends_with("/submit") => {
            Payer::Anonymous(Class::Intake)
        }
        // The no-JavaScript mailbox page logs in with the words in its body; it pays the
        // mailbox bucket once they verify, and intake only if it stores (its handler).
        p if post && !p.starts_with("/api/") && p.ends_with("/followup") => Payer::AfterProof,
        _ => Payer::Anonymous(Class::Reads),
    }
}

/// The path the router will match: the middleware runs before routing, and the raw
/// `req.path()` still has the percent-encoding the router decodes.
fn routed_path(req: &ServiceRequest) -> &str {
    req.match_info().as_str()
}

fn payer(req: &ServiceRequest, state: &AppState) -> Payer {
    if let Some(hash) = super::routes::auth::bearer(req.request()) {
        if let Some(key) = state.sessions.peek(&hash) {
            return Payer::Staff(key);
        }
        if let Some(tip) = state.witnesses.peek(&hash) {
            return Payer::Mailbox(tip);
        }
    }
    class_of(req.method(), routed_path(req))
}

/// What a session's request pays besides its own bucket: intake, if it stores.
fn stores_too(rate: &RateLimits, req: &ServiceRequest) -> Result<(), ApiError> {
    match class_of(req.method(), routed_path(req)) {
        Payer::Anonymous(Class::Intake) => rate.charge(Class::Intake),
        _ => Ok(()),
    }
}

/// The middleware: charges the payer, or answers 429 without running the handler.
pub async fn limit(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let verdict = match req.app_data::<web::Data<AppState>>() {
        Some(state) => {
            let rate = &state.rate;
            match payer(&req, state) {
                // What is stored (a tip, an upload, a message) also pays the shared
                // intake: a session is no way around it.
                Payer::Staff(key) => rate.charge_staff(key).and_then(|()| stores_too(rate, &req)),
                Payer::Mailbox(tip) => rate
                    .charge_mailbox(tip)
                    .and_then(|()| stores_too(rate, &req)),
                Payer::Anonymous(class) => rate.charge(class),
                Payer::AfterProof => Ok(()),
            }
        }
        None => Ok(()),
    };
    match verdict {
        Ok(()) => Ok(next.call(req).await?.map_into_left_body()),
        Err(e) => {
            // Pages get a page (the no-JavaScript form must not show JSON); the API, JSON.
            let res = match &e {
                ApiError::RateLimited { retry_after }
                    if !routed_path(&req).starts_with("/api/") =>
                {
                    super::web::rate_limited_page(req.request(), retry_after.as_secs())
                }
                _ => e.error_response(),
            };
            Ok(req.into_response(res).map_into_right_body())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budgets_parse_from_the_command_line() {
        assert_eq!("20:200".parse(), Ok(Budget::new(20, 200)));
        assert_eq!("off".parse(), Ok(Budget::OFF));
        assert!("20".parse::<Budget>().is_err());
        assert!("a:b".parse::<Budget>().is_err());
        assert_eq!(DEFAULT_INTAKE.to_string().parse(), Ok(DEFAULT_INTAKE));
        assert_eq!(Budget::OFF.to_string(), "off");
    }

    #[test]
    fn requests_are_classed_by_what_they_cost() {
        let c = |m: Method, p: &str| class_of(&m, p);
        assert_eq!(
            c(Method::POST, "/api/v1/tips"),
            Payer::Anonymous(Class::Intake)
        );
        assert_eq!(
            c(Method::GET, "/api/v1/tips"),
            Payer::Anonymous(Class::Reads)
        );
        assert_eq!(
            c(Method::PATCH, "/api/v1/uploads/00"),
            Payer::Anonymous(Class::Intake)
        );
        assert_eq!(
            c(Method::POST, "/en/submit"),
            Payer::Anonymous(Class::Intake)
        );
        assert_eq!(c(Method::POST, "/ko/followup"), Payer::AfterProof);
        assert_eq!(
            c(Method::GET, "/ko/followup"),
            Payer::Anonymous(Class::Reads)
        );
        assert_eq!(
            c(Method::POST, "/api/v1/keyring"),
            Payer::Anonymous(Class::Publish)
        );
        assert_eq!(
            c(Method::GET, "/api/v1/keyring"),
            Payer::Anonymous(Class::Reads)
        );
        assert_eq!(c(Method::POST, "/api/v1/auth/challenge"), Payer::AfterProof);
        assert_eq!(
            c(Method::POST, "/api/v1/mailbox/session"),
            Payer::AfterProof
        );
    }

    #[test]
    fn percent_encoded_paths_are_classed_as_the_router_sees_them() {
        let c = |m: Method, uri: &str| {
            let req = actix_web::test::TestRequest::with_uri(uri)
                .method(m.clone())
                .to_srv_request();
            class_of(&m, routed_path(&req))
        };
        let intake = Payer::Anonymous(Class::Intake);
        assert_eq!(
            c(Method::POST, "/api/v1/%6beyring"),
            Payer::Anonymous(Class::Publish)
        );
        assert_eq!(c(Method::POST, "/api/v1/%74ips"), intake);
        assert_eq!(c(Method::POST, "/%61pi/v1/tips?x=%41"), intake);
        assert_eq!(c(Method::PATCH, "/api/v1/%75ploads/00"), intake);
        assert_eq!(c(Method::POST, "/api/v1/%6dailbox/messages"), intake);
        assert_eq!(c(Method::POST, "/en/%73ubmit"), intake);
        assert_eq!(c(Method::POST, "/en/%66ollowup"), Payer::AfterProof);
        // What the router keeps encoded matches no route: no class is skipped by it.
        assert_eq!(
            c(Method::POST, "/api/v1%2Ftips"),
            Payer::Anonymous(Class::Reads)
        );
    }

    #[test]
    fn one_keys_budget_is_not_anothers() {
        let r = RateLimits::new(&RateSettings {
            staff: Budget::new(1, 3),
            ..RateSettings::default()
        });
        let (a, b) = (KeyId::from_bytes([1; 16]), KeyId::from_bytes([2; 16]));
        for _ in 0..3 {
            r.charge_staff(a).unwrap();
        }
        match r.charge_staff(a) {
            Err(ApiError::RateLimited { retry_after }) => {
                assert!(retry_after >= Duration::from_secs(1));
            }
            other => panic!("expected 429, got {other:?}"),
        }
        assert!(r.charge_staff(b).is_ok());
        assert!(RateLimits::unlimited().charge(Class::Intake).is_ok());
    }
}
