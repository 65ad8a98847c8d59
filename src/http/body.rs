//! Reading request bodies: the one reader every route that takes a body goes through
//! (tips, uploads, follow-ups, replies, the keyring, the no-JavaScript forms and every
//! JSON body, through [`Json`]).
//!
//! actix-web has no timeout on a slow body and `web::Payload` is unlimited, so here:
//! - a size cap: a declared `Content-Length` over it is refused before a byte is read,
//!   and a chunked body is cut off as soon as it passes it (413);
//! - a first body byte within the stall window, then at least `min_bytes_per_sec` ×
//!   the window in every window, and the whole body within the overall deadline (408);
//! - one global budget of body bytes held in memory ([`BodyBudget`]), charged with the
//!   bytes actually received (so holding it costs an attacker real bandwidth, not one
//!   header): a body that cannot grow within it gets 503 with Retry-After. The first
//!   [`SMALL_BODY_BYTES`] of every body are not charged, so a text-only tip, a login or a
//!   keyring never waits behind large bodies; what they can hold is bounded by the
//!   connection cap instead. A body charged more than [`CHUNK_CLASS_BYTES`] (anything
//!   bigger than an upload chunk) may only grow while a quarter of the budget stays
//!   free: a few slow big bodies cannot keep upload chunks out. A big body that cannot
//!   grow evicts the held big body with the slowest recent rate, if that one is slower
//!   (it gets 503): holding the share costs sending faster than the witnesses kept out.
//!   The reservation is released when the caller drops it, after the bytes are gone.
//!
//! It must never hold a scarce slot while bytes trickle in: callers take intake slots
//! only once the body is read.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::error::PayloadError;
use actix_web::web::{self, Bytes};
use actix_web::{dev, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use futures_util::task::AtomicWaker;
use futures_util::{Stream, StreamExt};
use tokio::time::{Instant, Sleep};

use super::error::ApiError;
use super::AppState;

/// Bytes of each body that the [`BodyBudget`] does not charge: a whole text-only tip (one
/// 16 KiB-bucket envelope is 16 552 bytes), any login or keyring body under it. At most
/// connections × this, i.e. 64 MiB for two workers of 1024 connections.
pub const SMALL_BODY_BYTES: usize = 32 * 1024;

/// Bodies charged at most this much (an upload chunk: 1 MiB) may use the whole
/// [`BodyBudget`]; a body charged more may only grow while the budget keeps a quarter
/// free for them. Without it, four trickling 32 MiB bodies fill a 128 MiB budget for the
/// 30-minute body deadline and every upload chunk gets 503.
pub const CHUNK_CLASS_BYTES: usize = 1024 * 1024;

/// The body length the client declared, if it sent a well-formed `Content-Length`.
pub(crate) fn declared_length(req: &HttpRequest) -> Option<u64> {
    req.headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
}

/// How fast a body must arrive (`docs/limits.md`).
#[derive(Clone, Copy, Debug)]
pub struct BodyRules {
    /// The whole body must be in before this.
    pub overall: Duration,
    /// The first body byte must come within this, and every later window this long must
    /// bring at least `min_bytes_per_sec` × its length.
    pub stall: Duration,
    /// The slowest accepted transfer rate, in bytes per second.
    pub min_bytes_per_sec: usize,
}

impl BodyRules {
    fn min_bytes_per_window(&self) -> usize {
        let per_ms = self.min_bytes_per_sec as u128 * self.stall.as_millis() / 1000;
        usize::try_from(per_ms).unwrap_or(usize::MAX)
    }
}

/// Bodies one growing body may evict before it gives up (503).
const MAX_EVICTIONS: usize = 4;

/// One body's share of the budget, where the budget can see it to evict the slowest.
#[derive(Debug)]
struct Share {
    /// Bytes charged. The only record: whoever swaps it to 0 gives them back.
    bytes: AtomicUsize,
    /// Bytes per second over the body's last full rate window; `usize::MAX` until one
    /// closed and once the body is complete (neither may be evicted).
    rate: AtomicUsize,
    /// Set when a faster body took this one's bytes: it must stop with 503.
    evicted: AtomicBool,
    /// Wakes the evicted body's reader so it stops (and frees its bytes) at once.
    waker: AtomicWaker,
}

/// The global budget of request-body bytes held in memory at once.
#[derive(Debug)]
pub struct BodyBudget {
    limit: usize,
    in_flight: AtomicUsize,
    /// Bodies charged over [`CHUNK_CLASS_BYTES`]: the candidates for eviction.
    big: Mutex<Vec<Weak<Share>>>,
}

impl BodyBudget {
    /// A budget of `limit` bytes.
    pub fn new(limit: usize) -> Arc<Self> {
        Arc::new(Self {
            limit,
            in_flight: AtomicUsize::new(0),
            big: Mutex::new(Vec::new()),
        })
    }

    fn big_bodies(&self) -> std::sync::MutexGuard<'_, Vec<Weak<Share>>> {
        self.big.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Evicts the big body with the slowest recent rate, if it is slower than `rate`
    /// (the grower's own average): its bytes go back to the budget now and its reader
    /// stops with 503. A slow sender can then hold the big-body share only against
    /// senders slower than itself. False when there is none to evict.
    fn evict_slower_than(&self, rate: usize, me: &Arc<Share>) -> bool {
        let mut big = self.big_bodies();
        big.retain(|w| w.strong_count() > 0);
        let victim = big
            .iter()
            .filter_map(Weak::upgrade)
            .filter(|s| !Arc::ptr_eq(s, me) && !s.evicted.load(Ordering::Acquire))
            .filter(|s| s.bytes.load(Ordering::Acquire) > CHUNK_CLASS_BYTES)
            .min_by_key(|s| s.rate.load(Ordering::Acquire))
            .filter(|s| s.rate.load(Ordering::Acquire) < rate);
        let Some(victim) = victim else {
            return false;
        };
        victim.evicted.store(true, Ordering::Release);
        let freed = victim.bytes.swap(0, Ordering::AcqRel);
        self.in_flight.fetch_sub(freed, Ordering::AcqRel);
        victim.waker.wake();
        true
    }

    /// Bytes reserved right now.
    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Relaxed)
    }

    /// What bodies charged more than [`CHUNK_CLASS_BYTES`] may fill: three quarters.
    fn large_limit(&self) -> usize {
        self.limit - self.limit / 4
    }

    /// Takes `n` more bytes for a reservation that will then hold `after` bytes.
    fn take(&self, n: usize, after: usize) -> bool {
        let limit = if after > CHUNK_CLASS_BYTES {
            self.large_limit()
        } else {
            self.limit
        };
        self.in_flight
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                used.checked_add(n).filter(|&total| total <= limit)
            })
            .is_ok()
    }

    /// Reserves `n` bytes from the whole budget (bytes read back from storage, which no
    /// slow client holds), or `None` when that would pass it.
    pub fn try_reserve(self: &Arc<Self>, n: usize) -> Option<Reservation> {
        self.take(n, 0).then(|| Reservation {
            budget: self.clone(),
            share: Arc::new(Share {
                bytes: AtomicUsize::new(n),
                rate: AtomicUsize::new(usize::MAX),
                evicted: AtomicBool::new(false),
                waker: AtomicWaker::new(),
            }),
        })
    }
}

/// Bytes reserved in the [`BodyBudget`]; given back on drop.
#[derive(Debug)]
pub struct Reservation {
    budget: Arc<BodyBudget>,
    share: Arc<Share>,
}

impl Reservation {
    /// Grows the reservation to at least `total` bytes; false when the budget is full
    /// (after evicting up to [`MAX_EVICTIONS`] big bodies slower than `rate`, this
    /// body's average in bytes per second) or this body was evicted.
    fn grow_to(&mut self, total: usize, rate: usize) -> bool {
        let share = &self.share;
        let held = share.bytes.load(Ordering::Acquire);
        if share.evicted.load(Ordering::Acquire) {
            return false;
        }
        if total <= held {
            return true;
        }
        let big = total > CHUNK_CLASS_BYTES;
        if big && held <= CHUNK_CLASS_BYTES {
            let mut list = self.budget.big_bodies();
            // Bodies gone since: without this the list would grow with every big body.
            list.retain(|w| w.strong_count() > 0);
            list.push(Arc::downgrade(share));
        }
        let more = total - held;
        for _ in 0..=MAX_EVICTIONS {
            if self.budget.take(more, total) {
                share.bytes.fetch_add(more, Ordering::AcqRel);
                // Evicted meanwhile: these bytes are given back on drop like the rest.
                return !share.evicted.load(Ordering::Acquire);
            }
            if !big || !self.budget.evict_slower_than(rate, share) {
                return false;
            }
        }
        false
    }

    /// Records the body's rate over its last window (bytes per second).
    #[cfg(test)]
    fn set_rate(&self, rate: usize) {
        self.share.rate.store(rate, Ordering::Release);
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        let bytes = self.share.bytes.swap(0, Ordering::AcqRel);
        self.budget.in_flight.fetch_sub(bytes, Ordering::AcqRel);
    }
}

/// Why a guarded body stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BodyFailure {
    /// Over the size cap.
    TooLarge,
    /// No first byte in time, too slow, or past the overall deadline.
    Timeout,
    /// The global body budget is full.
    Busy,
    /// The client broke off or sent a broken body.
    Incomplete,
}

impl From<BodyFailure> for ApiError {
    fn from(f: BodyFailure) -> Self {
        match f {
            BodyFailure::TooLarge => ApiError::TooLarge,
            BodyFailure::Timeout => ApiError::BodyTimeout,
            BodyFailure::Busy => ApiError::Busy,
            BodyFailure::Incomplete => ApiError::BadRequest("the request body is incomplete"),
        }
    }
}

/// What the caller keeps of a guarded body: why it failed, and its reservation.
#[derive(Default)]
struct Shared {
    failure: Cell<Option<BodyFailure>>,
    reservation: RefCell<Option<Reservation>>,
}

/// The caller's handle on a [`GuardedBody`] handed to a parser (multipart).
pub(crate) struct BodyHandle(Rc<Shared>);

impl BodyHandle {
    /// Why the body stopped early, if it did.
    pub(crate) fn failure(&self) -> Option<BodyFailure> {
        self.0.failure.get()
    }

    /// The body's reservation: keep it while the bytes read are in memory.
    pub(crate) fn reservation(&self) -> Option<Reservation> {
        self.0.reservation.borrow_mut().take()
    }
}

/// A request body that enforces the cap, the rate rules and the budget as it is read.
/// A failure ends the stream with an error item; [`BodyHandle::failure`] says which.
pub(crate) struct GuardedBody<S> {
    payload: S,
    shared: Rc<Shared>,
    /// This body's share of the budget (to notice eviction and record its rate).
    share: Arc<Share>,
    cap: usize,
    rules: BodyRules,
    started: Instant,
    received: usize,
    /// When the current rate window began; `None` until the first byte.
    window_start: Option<Instant>,
    window_bytes: usize,
    timer: Pin<Box<Sleep>>,
    done: bool,
}

impl<S> GuardedBody<S>
where
    S: Stream<Item = Result<Bytes, PayloadError>> + Unpin,
{
    /// Checks the declared length against `cap`; the budget is charged as bytes come.
    pub(crate) fn new(
        req: &HttpRequest,
        payload: S,
        state: &AppState,
        cap: usize,
    ) -> Result<(Self, BodyHandle), ApiError> {
        let declared = declared_length(req);
        if declared.is_some_and(|n| n > cap as u64) {
            return Err(ApiError::TooLarge);
        }
        let reservation = state.body_budget.try_reserve(0).ok_or(ApiError::Busy)?;
        let share = reservation.share.clone();
        let shared = Rc::new(Shared {
            failure: Cell::new(None),
            reservation: RefCell::new(Some(reservation)),
        });
        let rules = state.limits.body_rules;
        let started = Instant::now();
        let body = Self {
            payload,
            shared: shared.clone(),
            share,
            cap,
            rules,
            started,
            received: 0,
            window_start: None,
            window_bytes: 0,
            timer: Box::pin(tokio::time::sleep_until(
                started + rules.stall.min(rules.overall),
            )),
            done: false,
        };
        Ok((body, BodyHandle(shared)))
    }

    fn next_deadline(&self) -> Instant {
        let overall = self.started + self.rules.overall;
        let step = self.window_start.unwrap_or(self.started) + self.rules.stall;
        overall.min(step)
    }

    /// Applies the deadlines that have passed by `now`; opens a new window when the
    /// current one is over and brought enough bytes.
    fn check_time(&mut self, now: Instant) -> Result<(), BodyFailure> {
        if now >= self.started + self.rules.overall {
            return Err(BodyFailure::Timeout);
        }
        match self.window_start {
            None if now >= self.started + self.rules.stall => Err(BodyFailure::Timeout),
            Some(w) if now >= w + self.rules.stall => {
                if self.window_bytes < self.rules.min_bytes_per_window() {
                    return Err(BodyFailure::Timeout);
                }
                let ms = now.saturating_duration_since(w).as_millis().max(1);
                let rate = self.window_bytes as u128 * 1000 / ms;
                self.share.rate.store(
                    usize::try_from(rate).unwrap_or(usize::MAX),
                    Ordering::Release,
                );
                self.window_start = Some(now);
                self.window_bytes = 0;
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn fail(&mut self, f: BodyFailure) -> Poll<Option<Result<Bytes, PayloadError>>> {
        self.shared.failure.set(Some(f));
        self.done = true;
        Poll::Ready(Some(Err(PayloadError::Incomplete(None))))
    }

    fn accept(&mut self, chunk: &Bytes) -> Result<(), BodyFailure> {
        let now = Instant::now();
        self.received = self.received.saturating_add(chunk.len());
        if self.received > self.cap {
            return Err(BodyFailure::TooLarge);
        }
        let elapsed = now
            .saturating_duration_since(self.window_start.unwrap_or(now))
            .as_millis()
            .max(1000);
        let average = self.received as u128 * 1000 / elapsed;
        let average = usize::try_from(average).unwrap_or(usize::MAX);
        let grown = match self.shared.reservation.borrow_mut().as_mut() {
            Some(r) => r.grow_to(self.received.saturating_sub(SMALL_BODY_BYTES), average),
            None => false,
        };
        if !grown {
            return Err(BodyFailure::Busy);
        }
        if self.window_start.is_none() {
            self.window_start = Some(now);
        }
        self.window_bytes += chunk.len();
        self.check_time(now)?;
        let next = self.next_deadline();
        self.timer.as_mut().reset(next);
        Ok(())
    }
}

impl<S> Stream for GuardedBody<S>
where
    S: Stream<Item = Result<Bytes, PayloadError>> + Unpin,
{
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if this.done {
                return Poll::Ready(None);
            }
            if this.share.evicted.load(Ordering::Acquire) {
                return this.fail(BodyFailure::Busy);
            }
            match Pin::new(&mut this.payload).poll_next(cx) {
                Poll::Ready(Some(Ok(chunk))) => {
                    return match this.accept(&chunk) {
                        Ok(()) => Poll::Ready(Some(Ok(chunk))),
                        Err(f) => this.fail(f),
                    };
                }
                Poll::Ready(Some(Err(_))) => return this.fail(BodyFailure::Incomplete),
                Poll::Ready(None) => {
                    this.done = true;
                    // Complete: its bytes are being used, not held; never evicted.
                    this.share.rate.store(usize::MAX, Ordering::Release);
                    return Poll::Ready(None);
                }
                Poll::Pending => {
                    this.share.waker.register(cx.waker());
                    if this.share.evicted.load(Ordering::Acquire) {
                        return this.fail(BodyFailure::Busy);
                    }
                    if this.timer.as_mut().poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                    if let Err(f) = this.check_time(Instant::now()) {
                        return this.fail(f);
                    }
                    let next = this.next_deadline();
                    this.timer.as_mut().reset(next);
                    // Poll both again so the new deadline's waker is registered.
                }
            }
        }
    }
}

/// A body read whole, with its budget reservation: keep `held` while `bytes` is alive.
pub struct Body {
    /// The bytes.
    pub bytes: Bytes,
    /// The body's share of the [`BodyBudget`].
    pub held: Reservation,
}

/// Reads the whole body through the guards, or fails with 413/408/503/400.
pub async fn read_body<S>(
    req: &HttpRequest,
    payload: S,
    state: &AppState,
    cap: usize,
) -> Result<Body, ApiError>
where
    S: Stream<Item = Result<Bytes, PayloadError>> + Unpin,
{
    // Grown as bytes arrive (and are charged), never allocated up front from a header.
    let capacity = declared_length(req)
        .map_or(0, |n| n as usize)
        .min(cap)
        .min(SMALL_BODY_BYTES);
    let (mut body, handle) = GuardedBody::new(req, payload, state, cap)?;
    let mut parts = Collected::Empty;
    while let Some(chunk) = body.next().await {
        match chunk {
            Ok(chunk) => parts.push(chunk, capacity),
            Err(_) => return Err(handle.failure().unwrap_or(BodyFailure::Incomplete).into()),
        }
    }
    let held = handle
        .reservation()
        .ok_or(ApiError::Internal("body reservation missing"))?;
    Ok(Body {
        bytes: parts.into_bytes(),
        held,
    })
}

/// The chunks of a body read so far.
///
/// A body that arrives in one chunk (a text tip, whose head and ~16.5 KB body the
/// client sends at once) is kept as the chunk actix handed over, not copied: the copy
/// was one memcpy of the whole body per request (BENCHMARKS.md, "Allocator and copies").
/// The chunk shares actix's read buffer, which is freed when the body is dropped; a
/// second chunk starts the one copy, so at most one such buffer is held per body.
enum Collected {
    Empty,
    One(Bytes),
    Many(web::BytesMut),
}

impl Collected {
    /// Adds `chunk`; `capacity` is the buffer to start with when a copy is needed.
    fn push(&mut self, chunk: Bytes, capacity: usize) {
        *self = match std::mem::replace(self, Collected::Empty) {
            Collected::Empty => Collected::One(chunk),
            Collected::One(first) => {
                let mut buf = web::BytesMut::with_capacity(capacity.max(first.len() + chunk.len()));
                buf.extend_from_slice(&first);
                buf.extend_from_slice(&chunk);
                Collected::Many(buf)
            }
            Collected::Many(mut buf) => {
                buf.extend_from_slice(&chunk);
                Collected::Many(buf)
            }
        };
    }

    fn into_bytes(self) -> Bytes {
        match self {
            Collected::Empty => Bytes::new(),
            Collected::One(bytes) => bytes,
            Collected::Many(buf) => buf.freeze(),
        }
    }
}

/// A JSON body read through the same guards as every other body (cap: the server's JSON
/// limit), instead of actix's `web::Json`, which has a cap but no deadline or budget.
pub struct Json<T>(pub T);

impl<T> std::ops::Deref for Json<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: serde::de::DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut dev::Payload) -> Self::Future {
        let req = req.clone();
        let payload = payload.take();
        Box::pin(async move {
            let bad = ApiError::BadRequest("the JSON body is malformed or too large");
            let is_json = req
                .headers()
                .get(actix_web::http::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(';').next())
                .map(|v| v.trim().to_ascii_lowercase())
                .is_some_and(|v| v == "application/json" || v.ends_with("+json"));
            if !is_json {
                return Err(bad);
            }
            let state = req
                .app_data::<web::Data<AppState>>()
                .ok_or(ApiError::Internal("no application state"))?
                .clone();
            let body = match read_body(&req, payload, &state, state.limits.max_json_bytes).await {
                Ok(b) => b,
                Err(ApiError::TooLarge) => return Err(bad),
                Err(e) => return Err(e),
            };
            serde_json::from_slice(&body.bytes)
                .map(Json)
                .map_err(|_| bad)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_in_one_chunk_is_kept_without_a_copy() {
        let chunk = Bytes::from(vec![7u8; 16_563]);
        let at = chunk.as_ptr();
        let mut parts = Collected::Empty;
        parts.push(chunk, 16_563);
        let body = parts.into_bytes();
        assert_eq!(body.as_ptr(), at, "the chunk actix handed over, not a copy");
        assert_eq!(body.len(), 16_563);
    }

    #[test]
    fn a_body_in_several_chunks_is_joined_in_order() {
        let mut parts = Collected::Empty;
        for piece in [&b"sealed "[..], b"bundle ", b"bytes"] {
            parts.push(Bytes::copy_from_slice(piece), 0);
        }
        assert_eq!(&parts.into_bytes()[..], b"sealed bundle bytes");
        assert!(Collected::Empty.into_bytes().is_empty());
    }

    #[test]
    fn big_bodies_leave_a_quarter_of_the_budget_to_upload_chunks() {
        let budget = BodyBudget::new(16 * CHUNK_CLASS_BYTES);
        let mut big: Vec<Reservation> = (0..4).map(|_| budget.try_reserve(0).unwrap()).collect();
        let grown = big
            .iter_mut()
            .filter_map(|r| r.grow_to(4 * CHUNK_CLASS_BYTES, 0).then_some(()))
            .count();
        assert_eq!(grown, 3, "bodies over 1 MiB fill three quarters");
        let mut chunks: Vec<Reservation> = (0..4).map(|_| budget.try_reserve(0).unwrap()).collect();
        assert!(chunks.iter_mut().all(|r| r.grow_to(CHUNK_CLASS_BYTES, 0)));
        assert_eq!(budget.in_flight(), 16 * CHUNK_CLASS_BYTES);
        drop(chunks);
        drop(big);
        assert_eq!(budget.in_flight(), 0);
    }

    #[test]
    fn a_faster_big_body_evicts_the_slowest_held_one() {
        let budget = BodyBudget::new(16 * CHUNK_CLASS_BYTES);
        let mut held: Vec<Reservation> = (0..3).map(|_| budget.try_reserve(0).unwrap()).collect();
        for (r, rate) in held.iter_mut().zip([300, 100, 200]) {
            assert!(r.grow_to(4 * CHUNK_CLASS_BYTES, usize::MAX));
            r.set_rate(rate);
        }
        // The big-body share is full; a body slower than all of them evicts none.
        let mut slow = budget.try_reserve(0).unwrap();
        assert!(!slow.grow_to(2 * CHUNK_CLASS_BYTES, 50));
        drop(slow);
        // A faster one evicts the slowest (rate 100) and takes its place.
        let mut fast = budget.try_reserve(0).unwrap();
        assert!(fast.grow_to(2 * CHUNK_CLASS_BYTES, 1000));
        assert!(held[1].share.evicted.load(Ordering::Acquire));
        assert!(
            !held[1].grow_to(5 * CHUNK_CLASS_BYTES, 1000),
            "evicted stays out"
        );
        assert_eq!(budget.in_flight(), 10 * CHUNK_CLASS_BYTES);
        drop(held);
        drop(fast);
        assert_eq!(budget.in_flight(), 0);
        let mut next = budget.try_reserve(0).unwrap();
        assert!(next.grow_to(2 * CHUNK_CLASS_BYTES, 1));
        assert_eq!(
            budget.big_bodies().len(),
            1,
            "gone bodies are dropped from the list"
        );
    }
}
