//! Login challenges and sessions for reviewers and admins (never for witnesses).
//!
//! Both live only in memory: a restart logs everyone out, which is the safe direction.
//! Sessions are keyed by the BLAKE2b hash of the token, so a memory dump does not yield a
//! usable token. Both maps are bounded so a flood of challenge requests cannot grow them.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::crypto::auth::{Challenge, TokenHash};
use crate::domain::keyring::Role;
use crate::domain::KeyId;

/// How long a challenge may be answered: long enough for a passphrase prompt on a slow
/// laptop is not needed (the client unlocks its key first), so one minute.
pub const CHALLENGE_TTL: Duration = Duration::from_secs(60);
/// Idle time after which a session ends.
pub const SESSION_IDLE: Duration = Duration::from_secs(15 * 60);
/// Most outstanding challenges: far above honest use by a team of reviewers.
pub const MAX_CHALLENGES: usize = 10_000;
/// Most live sessions.
pub const MAX_SESSIONS: usize = 1_000;

/// An authenticated caller.
#[derive(Clone, Copy, Debug)]
pub struct Session {
    /// Whose key.
    pub key_id: KeyId,
    /// Their role when they logged in (re-checked against the keyring on every request).
    pub role: Role,
    last_seen: Instant,
}

/// Outstanding challenges and live sessions.
#[derive(Default)]
pub struct Sessions {
    challenges: Mutex<HashMap<[u8; 32], (KeyId, Instant)>>,
    sessions: Mutex<HashMap<[u8; 32], Session>>,
}

impl Sessions {
    /// Issues a challenge for `key_id`, or `None` when the table is full.
    pub fn issue_challenge(&self, key_id: KeyId) -> Option<Challenge> {
        let mut map = self.challenges.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        map.retain(|_, (_, expires)| *expires > now);
        if map.len() >= MAX_CHALLENGES {
            return None;
        }
        let challenge = Challenge::generate();
        map.insert(*challenge.as_bytes(), (key_id, now + CHALLENGE_TTL));
        Some(challenge)
    }

    /// Consumes a challenge: true only once, only before it expires, only for its key.
    pub fn take_challenge(&self, challenge: &[u8; 32], key_id: KeyId) -> bool {
        let mut map = self.challenges.lock().unwrap_or_else(|p| p.into_inner());
        match map.remove(challenge) {
            Some((owner, expires)) => owner == key_id && expires > Instant::now(),
            None => false,
        }
    }

    /// Starts a session; `false` when the table is full.
    pub fn start(&self, token: TokenHash, key_id: KeyId, role: Role) -> bool {
        let mut map = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        map.retain(|_, s| now.duration_since(s.last_seen) < SESSION_IDLE);
        if map.len() >= MAX_SESSIONS {
            return false;
        }
        map.insert(
            *token.as_bytes(),
            Session {
                key_id,
                role,
                last_seen: now,
            },
        );
        true
    }

    /// Looks a token up and refreshes its idle timer.
    pub fn touch(&self, token: &TokenHash) -> Option<Session> {
        let mut map = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        let s = map.get_mut(token.as_bytes())?;
        if now.duration_since(s.last_seen) >= SESSION_IDLE {
            map.remove(token.as_bytes());
            return None;
        }
        s.last_seen = now;
        Some(*s)
    }

    /// Ends a session.
    pub fn end(&self, token: &TokenHash) {
        let mut map = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(token.as_bytes());
    }

    /// Ends every session of a key (used when a keyring change removes it).
    pub fn end_all_for(&self, keep: impl Fn(KeyId) -> bool) {
        let mut map = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        map.retain(|_, s| keep(s.key_id));
    }
}

/// How long a witness's mailbox session lives without use: short, because a witness may
/// be on a shared or seized device; reading replies and sending a message takes minutes.
pub const WITNESS_IDLE: Duration = Duration::from_secs(5 * 60);
/// Most live witness sessions and outstanding witness challenges.
pub const MAX_WITNESS_SESSIONS: usize = 10_000;

/// Mailbox challenges and sessions of witnesses: a table apart from reviewers' sessions,
/// so a witness token can never be presented as a reviewer's (and the reverse). A
/// session is bound to one tip's mailbox. Tokens are kept only as hashes.
#[derive(Default)]
pub struct WitnessSessions {
    challenges: Mutex<HashMap<[u8; 32], Instant>>,
    sessions: Mutex<HashMap<[u8; 32], (crate::domain::TipId, Instant)>>,
}

impl WitnessSessions {
    /// Issues a mailbox challenge, or `None` when the table is full.
    pub fn issue_challenge(&self) -> Option<Challenge> {
        let mut map = self.challenges.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        map.retain(|_, expires| *expires > now);
        if map.len() >= MAX_WITNESS_SESSIONS {
            return None;
        }
        let challenge = Challenge::generate();
        map.insert(*challenge.as_bytes(), now + CHALLENGE_TTL);
        Some(challenge)
    }

    /// Consumes a challenge: true only once and only before it expires.
    pub fn take_challenge(&self, challenge: &[u8; 32]) -> bool {
        let mut map = self.challenges.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(challenge)
            .is_some_and(|expires| expires > Instant::now())
    }

    /// Starts a session on a tip's mailbox; `false` when the table is full.
    pub fn start(&self, token: TokenHash, tip: crate::domain::TipId) -> bool {
        let mut map = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        map.retain(|_, (_, seen)| now.duration_since(*seen) < WITNESS_IDLE);
        if map.len() >= MAX_WITNESS_SESSIONS {
            return false;
        }
        map.insert(*token.as_bytes(), (tip, now));
        true
    }

    /// The mailbox a token is logged in to, refreshing its idle timer.
    pub fn touch(&self, token: &TokenHash) -> Option<crate::domain::TipId> {
        let mut map = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        let (tip, seen) = map.get_mut(token.as_bytes())?;
        if now.duration_since(*seen) >= WITNESS_IDLE {
            map.remove(token.as_bytes());
            return None;
        }
        *seen = now;
        Some(*tip)
    }

    /// Ends a session.
    pub fn end(&self, token: &TokenHash) {
        let mut map = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(token.as_bytes());
    }
}
