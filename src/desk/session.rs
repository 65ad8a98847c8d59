//! The desk's door key: a one-time token printed once on standard output, traded on first
//! use for a session cookie held only in memory.
//!
//! Must never: accept the token twice, keep a session on disk, or compare a secret with
//! anything but a constant-time compare.

use std::sync::Mutex;

use crate::crypto::{b64_encode, ct_eq, random_bytes};

/// The session cookie's name.
pub const COOKIE: &str = "tipseal_desk";

/// The one-time token and the sessions it opened.
pub struct Door {
    state: Mutex<State>,
}

struct State {
    /// The token until it is spent; `None` after.
    token: Option<String>,
    /// Live session ids (one per browser that came in; normally one).
    sessions: Vec<String>,
}

impl Door {
    /// A door with a fresh random token (32 bytes, base64url).
    pub fn new() -> Self {
        Self {
            state: Mutex::new(State {
                token: Some(b64_encode(&random_bytes::<32>())),
                sessions: Vec::new(),
            }),
        }
    }

    /// The token, for the printed URL (only before it is spent).
    pub fn token(&self) -> Option<String> {
        self.lock().token.clone()
    }

    /// Trades `offered` for a new session id if it is the unspent token; spends it.
    pub fn exchange(&self, offered: &str) -> Option<String> {
        let mut st = self.lock();
        let token = st.token.as_deref()?;
        if !ct_eq(token.as_bytes(), offered.as_bytes()) {
            return None;
        }
        st.token = None;
        let session = b64_encode(&random_bytes::<32>());
        st.sessions.push(session.clone());
        Some(session)
    }

    /// True if `cookie` is a live session id.
    pub fn admits(&self, cookie: &str) -> bool {
        let st = self.lock();
        // Every session is compared, so the time taken says nothing about which matched.
        st.sessions
            .iter()
            .fold(false, |hit, s| ct_eq(s.as_bytes(), cookie.as_bytes()) | hit)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A poisoned lock means a panic mid-update of two small fields; the state is still
        // coherent (each update is a single assignment), so carry on.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Default for Door {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_opens_once() {
        crate::crypto::init().unwrap();
        let door = Door::new();
        let token = door.token().unwrap();
        assert!(door.exchange("wrong").is_none());
        let session = door.exchange(&token).unwrap();
        assert!(door.admits(&session));
        assert!(!door.admits("nope"));
        assert!(
            door.exchange(&token).is_none(),
            "a spent token opens nothing"
        );
        assert!(door.token().is_none());
    }
}
