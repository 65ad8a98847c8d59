//! Login challenges and sessions: reviewers' and admins' ([`Sessions`]) and witnesses'
//! ([`WitnessSessions`]), in two separate tables so neither kind can crowd out the other.
//!
//! Challenges are stateless (`crypto::challenge`): issuing one stores nothing, so a flood
//! of challenge requests fills no table. Single use is checked only when a login
//! succeeds: the nonce is remembered until the challenge expires, so that table grows
//! only with real logins. Sessions are bounded per owner — a few per reviewer key, a few
//! per mailbox, the oldest evicted — so one key or one self-made mailbox logging in again
//! and again only churns its own sessions and never pushes anyone else's out.
//!
//! Everything lives in memory: a restart logs everyone out, the safe direction. Sessions
//! are keyed by the BLAKE2b hash of the token, so a memory dump yields no usable token.
//! Must never: keep a token, or refuse someone because of what others did.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::crypto::auth::{Challenge, TokenHash, RANDOM_LEN};
use crate::crypto::challenge::{Audience, ChallengeKey, Nonce};
use crate::domain::keyring::Role;
use crate::domain::{KeyId, TipId};

/// How long a challenge may be answered: the client unlocks its key before asking, so
/// one minute is plenty.
pub const CHALLENGE_TTL: Duration = Duration::from_secs(60);
/// Idle time after which a reviewer's or admin's session ends.
pub const SESSION_IDLE: Duration = Duration::from_secs(15 * 60);
/// Live sessions per reviewer or admin key: a laptop and a script or two. A new login
/// beyond this ends that key's oldest session.
pub const SESSIONS_PER_KEY: usize = 4;
/// How long a witness's mailbox session lives without use: short, because a witness may
/// be on a shared or seized device; reading replies and sending a message takes minutes.
pub const WITNESS_IDLE: Duration = Duration::from_secs(5 * 60);
/// Live sessions per mailbox: a witness with a phone and a laptop. A new login beyond
/// this ends the mailbox's oldest session (and nobody else's).
pub const SESSIONS_PER_MAILBOX: usize = 3;
/// How long the no-JavaScript mailbox page's session lives without use: long enough to
/// read the replies and write a message without JavaScript's help, short enough that a
/// page left in a shared phone's history opens nothing for long (`docs/web.md`).
pub const WITNESS_PAGE_IDLE: Duration = Duration::from_secs(30 * 60);
/// What a no-JavaScript mailbox session holds besides its tip: the receipt's entropy
/// masked with a pad only the session handle derives (`http::web::page_session`), so
/// this table alone opens nothing.
pub type MaskedReceipt = [u8; crate::domain::receipt::ENTROPY_LEN];

/// A coarse monotonic clock: whole seconds since the process started. Challenges carry
/// their expiry on it; it tells nothing about the wall time.
struct Clock(Instant);

impl Default for Clock {
    fn default() -> Self {
        Self(Instant::now())
    }
}

impl Clock {
    fn now(&self) -> u32 {
        u32::try_from(self.0.elapsed().as_secs()).unwrap_or(u32::MAX)
    }
}

/// A challenge that checked out (ours, for this audience, not expired), not yet spent.
#[derive(Clone, Copy, Debug)]
pub struct Ticket {
    nonce: Nonce,
    expiry: u32,
}

/// Stateless challenges of one audience kind, and the nonces of successful logins.
#[derive(Default)]
struct Challenges {
    key: ChallengeKey,
    clock: Clock,
    /// Nonce → expiry, only for challenges that logged someone in.
    spent: Mutex<HashMap<Nonce, u32>>,
}

impl Challenges {
    fn issue(&self, audience: Audience) -> Challenge {
        let ttl = u32::try_from(CHALLENGE_TTL.as_secs()).unwrap_or(u32::MAX);
        self.key
            .issue(audience, self.clock.now().saturating_add(ttl))
    }

    fn check(&self, challenge: &[u8; RANDOM_LEN], audience: Audience) -> Option<Ticket> {
        let (nonce, expiry) = self.key.check(challenge, audience, self.clock.now())?;
        Some(Ticket { nonce, expiry })
    }

    /// Marks a checked challenge spent; `false` if it already was (a replay).
    fn spend(&self, t: Ticket) -> bool {
        let mut spent = self.spent.lock().unwrap_or_else(|p| p.into_inner());
        let now = self.clock.now();
        // Sweep now and then: amortised O(1), and expired nonces can never be replayed.
        if spent.len() >= 1024 && spent.len().is_power_of_two() {
            spent.retain(|_, expiry| *expiry > now);
        }
        if spent.get(&t.nonce).is_some_and(|e| *e > now) {
            return false;
        }
        spent.insert(t.nonce, t.expiry);
        true
    }
}

struct Entry<O, V> {
    owner: O,
    value: V,
    last_seen: Instant,
}

struct TableInner<O, V> {
    by_token: HashMap<[u8; 32], Entry<O, V>>,
    /// Each owner's tokens, oldest first.
    by_owner: HashMap<O, VecDeque<[u8; 32]>>,
    next_sweep: usize,
}

/// Live sessions of one kind: token hash → owner, at most `per_owner` per owner.
struct Table<O, V> {
    idle: Duration,
    per_owner: usize,
    inner: Mutex<TableInner<O, V>>,
}

impl<O: Copy + Eq + Hash, V: Copy> Table<O, V> {
    fn new(idle: Duration, per_owner: usize) -> Self {
        Self {
            idle,
            per_owner: per_owner.max(1),
            inner: Mutex::new(TableInner {
                by_token: HashMap::new(),
                by_owner: HashMap::new(),
                next_sweep: 1024,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, TableInner<O, V>> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts a session, ending the owner's oldest if it has `per_owner` already.
    fn start(&self, token: TokenHash, owner: O, value: V) {
        let now = Instant::now();
        let mut t = self.lock();
        let t = &mut *t;
        if t.by_token.len() >= t.next_sweep {
            let idle = self.idle;
            t.by_token
                .retain(|_, e| now.duration_since(e.last_seen) < idle);
            let live = &t.by_token;
            t.by_owner.retain(|_, tokens| {
                tokens.retain(|k| live.contains_key(k));
                !tokens.is_empty()
            });
            t.next_sweep = (t.by_token.len() * 2).max(1024);
        }
        let tokens = t.by_owner.entry(owner).or_default();
        tokens.retain(|k| t.by_token.contains_key(k));
        while tokens.len() >= self.per_owner {
            if let Some(oldest) = tokens.pop_front() {
                t.by_token.remove(&oldest);
            }
        }
        tokens.push_back(*token.as_bytes());
        t.by_token.insert(
            *token.as_bytes(),
            Entry {
                owner,
                value,
                last_seen: now,
            },
        );
    }

    /// The owner and value of a live session; `refresh` restarts its idle timer.
    fn get(&self, token: &TokenHash, refresh: bool) -> Option<(O, V)> {
        let now = Instant::now();
        let mut t = self.lock();
        let e = t.by_token.get_mut(token.as_bytes())?;
        if now.duration_since(e.last_seen) >= self.idle {
            t.by_token.remove(token.as_bytes());
            return None;
        }
        if refresh {
            e.last_seen = now;
        }
        Some((e.owner, e.value))
    }

    fn end(&self, token: &TokenHash) {
        self.lock().by_token.remove(token.as_bytes());
    }

    fn retain_owners(&self, keep: impl Fn(O) -> bool) {
        let mut t = self.lock();
        t.by_token.retain(|_, e| keep(e.owner));
        t.by_owner.retain(|o, _| keep(*o));
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().by_token.len()
    }
}

/// An authenticated reviewer or admin.
#[derive(Clone, Copy, Debug)]
pub struct Session {
    /// Whose key.
    pub key_id: KeyId,
    /// Their role when they logged in (re-checked against the keyring on every request).
    pub role: Role,
}

/// Reviewers' and admins' challenges and sessions.
pub struct Sessions {
    challenges: Challenges,
    table: Table<KeyId, Role>,
}

impl Default for Sessions {
    fn default() -> Self {
        Self {
            challenges: Challenges::default(),
            table: Table::new(SESSION_IDLE, SESSIONS_PER_KEY),
        }
    }
}

impl Sessions {
    /// A challenge for `key_id` (known or not: the same answer, and nothing stored).
    pub fn issue_challenge(&self, key_id: KeyId) -> Challenge {
        self.challenges.issue(Audience::Staff(key_id))
    }

    /// Whether `challenge` is one we issued for `key_id` and still fresh. Cheap: checked
    /// before the signature, so a forged or stale challenge costs no verification.
    pub fn check_challenge(&self, challenge: &[u8; RANDOM_LEN], key_id: KeyId) -> Option<Ticket> {
        self.challenges.check(challenge, Audience::Staff(key_id))
    }

    /// Spends a checked challenge after the signature verified; `false` on a replay.
    pub fn spend(&self, t: Ticket) -> bool {
        self.challenges.spend(t)
    }

    /// Starts a session (ending this key's oldest beyond [`SESSIONS_PER_KEY`]).
    pub fn start(&self, token: TokenHash, key_id: KeyId, role: Role) {
        self.table.start(token, key_id, role);
    }

    /// Looks a token up and refreshes its idle timer.
    pub fn touch(&self, token: &TokenHash) -> Option<Session> {
        self.table
            .get(token, true)
            .map(|(key_id, role)| Session { key_id, role })
    }

    /// Looks a token up without refreshing it (the rate limiter's look).
    pub fn peek(&self, token: &TokenHash) -> Option<KeyId> {
        self.table.get(token, false).map(|(key_id, _)| key_id)
    }

    /// Ends a session.
    pub fn end(&self, token: &TokenHash) {
        self.table.end(token);
    }

    /// Ends every session of keys `keep` refuses (used when a keyring change removes them).
    pub fn end_all_for(&self, keep: impl Fn(KeyId) -> bool) {
        self.table.retain_owners(keep);
    }
}

/// Witnesses' mailbox challenges and sessions: a table apart from reviewers' sessions,
/// so a witness token can never be presented as a reviewer's (and the reverse). A
/// session is bound to one tip's mailbox. Tokens are kept only as hashes.
pub struct WitnessSessions {
    challenges: Challenges,
    table: Table<TipId, ()>,
    /// The no-JavaScript mailbox page's sessions: a table apart, so an API token is never
    /// a page handle (and the reverse).
    pages: Table<TipId, MaskedReceipt>,
}

impl Default for WitnessSessions {
    fn default() -> Self {
        Self {
            challenges: Challenges::default(),
            table: Table::new(WITNESS_IDLE, SESSIONS_PER_MAILBOX),
            pages: Table::new(WITNESS_PAGE_IDLE, SESSIONS_PER_MAILBOX),
        }
    }
}

impl WitnessSessions {
    /// A mailbox challenge (nothing stored).
    pub fn issue_challenge(&self) -> Challenge {
        self.challenges.issue(Audience::Mailbox)
    }

    /// Whether `challenge` is a fresh mailbox challenge of ours (single use not checked).
    pub fn check_challenge(&self, challenge: &[u8; RANDOM_LEN]) -> Option<Ticket> {
        self.challenges.check(challenge, Audience::Mailbox)
    }

    /// Spends a checked challenge after a successful login; `false` on a replay.
    pub fn spend(&self, t: Ticket) -> bool {
        self.challenges.spend(t)
    }

    /// Starts a session on a tip's mailbox (ending its oldest beyond
    /// [`SESSIONS_PER_MAILBOX`]).
    pub fn start(&self, token: TokenHash, tip: TipId) {
        self.table.start(token, tip, ());
    }

    /// The mailbox a token is logged in to, refreshing its idle timer.
    pub fn touch(&self, token: &TokenHash) -> Option<TipId> {
        self.table.get(token, true).map(|(tip, ())| tip)
    }

    /// The mailbox a token is logged in to, without refreshing it.
    pub fn peek(&self, token: &TokenHash) -> Option<TipId> {
        self.table.get(token, false).map(|(tip, ())| tip)
    }

    /// Ends a session.
    pub fn end(&self, token: &TokenHash) {
        self.table.end(token);
    }

    /// Starts a no-JavaScript page session on a tip's mailbox (ending its oldest beyond
    /// [`SESSIONS_PER_MAILBOX`]), idle for at most [`WITNESS_PAGE_IDLE`].
    pub fn start_page(&self, handle: TokenHash, tip: TipId, masked: MaskedReceipt) {
        self.pages.start(handle, tip, masked);
    }

    /// The tip and masked receipt of a live page session, refreshing its idle timer.
    pub fn touch_page(&self, handle: &TokenHash) -> Option<(TipId, MaskedReceipt)> {
        self.pages.get(handle, true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::auth::SessionToken;

    fn token() -> TokenHash {
        SessionToken::generate().1
    }

    #[test]
    fn logins_to_one_mailbox_evict_only_that_mailboxs_oldest_session() {
        crate::crypto::init().unwrap();
        let w = WitnessSessions::default();
        let other = token();
        w.start(other, TipId::from_bytes([2; 16]));
        let mine = TipId::from_bytes([1; 16]);
        let first = token();
        w.start(first, mine);
        for _ in 0..10_000 {
            w.start(token(), mine);
        }
        assert_eq!(w.table.len(), 1 + SESSIONS_PER_MAILBOX);
        assert_eq!(w.touch(&other), Some(TipId::from_bytes([2; 16])));
        assert_eq!(w.touch(&first), None, "the oldest was evicted");
    }

    #[test]
    fn a_reviewer_key_keeps_a_few_sessions_and_removed_keys_lose_theirs() {
        crate::crypto::init().unwrap();
        let s = Sessions::default();
        let (a, b) = (KeyId::from_bytes([1; 16]), KeyId::from_bytes([2; 16]));
        let tb = token();
        s.start(tb, b, Role::Admin);
        let ta: Vec<TokenHash> = (0..SESSIONS_PER_KEY + 2).map(|_| token()).collect();
        for t in &ta {
            s.start(*t, a, Role::Reviewer);
        }
        assert!(s.touch(&ta[0]).is_none());
        assert!(s.touch(&ta[SESSIONS_PER_KEY + 1]).is_some());
        assert_eq!(s.peek(&tb), Some(b));
        s.end_all_for(|k| k != b);
        assert!(s.touch(&tb).is_none());
        assert!(s.touch(&ta[SESSIONS_PER_KEY + 1]).is_some());
    }

    #[test]
    fn a_challenge_is_spent_once_and_only_for_its_key() {
        crate::crypto::init().unwrap();
        let s = Sessions::default();
        let k = KeyId::from_bytes([1; 16]);
        let c = s.issue_challenge(k);
        assert!(s
            .check_challenge(c.as_bytes(), KeyId::from_bytes([2; 16]))
            .is_none());
        let t = s.check_challenge(c.as_bytes(), k).unwrap();
        // Checking is free and repeatable; spending is once.
        assert!(s.check_challenge(c.as_bytes(), k).is_some());
        assert!(s.spend(t));
        assert!(!s.spend(t));
        let w = WitnessSessions::default();
        assert!(
            w.check_challenge(c.as_bytes()).is_none(),
            "another table's key"
        );
    }
}
