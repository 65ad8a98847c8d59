//! Stateless login challenges: the server keeps nothing for a challenge it hands out.
//!
//! A challenge is 32 bytes, the size clients already sign:
//! `nonce(12) ‖ expiry(4, big-endian seconds on the server's coarse clock) ‖ tag(16)`,
//! where `tag = keyed BLAKE2b(per-process key, "tipseal/challenge/v1" ‖ audience ‖ nonce
//! ‖ expiry)` truncated to 16 bytes, and the audience is either a reviewer/admin key id
//! or "a witness mailbox". So a flood of challenge requests fills no table: a challenge
//! proves itself when it comes back. Single use is enforced by the caller, who remembers
//! the nonces of *successful* logins until they expire.
//!
//! Must never: accept a challenge made for another audience, one past its expiry, or one
//! whose tag does not verify (compared in constant time); keep or print the key.

use zeroize::Zeroizing;

use super::auth::{Challenge, RANDOM_LEN};
use super::{ct_eq, keyed_hash32, random_bytes};
use crate::domain::KeyId;

/// Bytes of random nonce in a challenge: 96 bits, so two challenges never share one.
pub const NONCE_LEN: usize = 12;
const EXPIRY_LEN: usize = 4;
const TAG_LEN: usize = RANDOM_LEN - NONCE_LEN - EXPIRY_LEN;

/// The random part of a challenge: what single use is checked against.
pub type Nonce = [u8; NONCE_LEN];

/// Who a challenge is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Audience {
    /// A reviewer or admin logging in with this key id.
    Staff(KeyId),
    /// A witness logging in to a mailbox (which one is not known yet).
    Mailbox,
    /// A no-JavaScript page's single-use form token (`http::form_tokens`), of this form
    /// kind: a token for one form never passes for another's.
    Form(u8),
}

impl Audience {
    fn bytes(self) -> [u8; 1 + KeyId::LEN] {
        let mut out = [0u8; 1 + KeyId::LEN];
        match self {
            Audience::Staff(id) => {
                out[0] = 1;
                out[1..].copy_from_slice(id.as_bytes());
            }
            Audience::Form(kind) => {
                out[0] = 2;
                out[1] = kind;
            }
            Audience::Mailbox => {}
        }
        out
    }
}

/// The per-process key that makes challenges unforgeable. A restart forgets it, which
/// invalidates outstanding challenges (they live a minute anyway). Wiped on drop.
pub struct ChallengeKey(Zeroizing<[u8; 32]>);

impl Default for ChallengeKey {
    fn default() -> Self {
        Self(Zeroizing::new(random_bytes()))
    }
}

impl std::fmt::Debug for ChallengeKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ChallengeKey(..)")
    }
}

impl ChallengeKey {
    fn tag(&self, audience: Audience, nonce: &Nonce, expiry: u32) -> [u8; TAG_LEN] {
        let mut msg = [0u8; 1 + KeyId::LEN + NONCE_LEN + EXPIRY_LEN];
        msg[..1 + KeyId::LEN].copy_from_slice(&audience.bytes());
        msg[1 + KeyId::LEN..1 + KeyId::LEN + NONCE_LEN].copy_from_slice(nonce);
        msg[1 + KeyId::LEN + NONCE_LEN..].copy_from_slice(&expiry.to_be_bytes());
        let full = keyed_hash32(&self.0, b"tipseal/challenge/v1", &msg);
        let mut tag = [0u8; TAG_LEN];
        tag.copy_from_slice(&full[..TAG_LEN]);
        tag
    }

    /// A fresh challenge for `audience`, valid until `expiry` (seconds on the caller's
    /// coarse clock).
    pub fn issue(&self, audience: Audience, expiry: u32) -> Challenge {
        let nonce: Nonce = random_bytes();
        let mut out = [0u8; RANDOM_LEN];
        out[..NONCE_LEN].copy_from_slice(&nonce);
        out[NONCE_LEN..NONCE_LEN + EXPIRY_LEN].copy_from_slice(&expiry.to_be_bytes());
        out[NONCE_LEN + EXPIRY_LEN..].copy_from_slice(&self.tag(audience, &nonce, expiry));
        Challenge::from_bytes(out)
    }

    /// The challenge's nonce and expiry if we issued it for `audience` and it has not
    /// expired at `now`; `None` otherwise. Does not check single use.
    pub fn check(
        &self,
        challenge: &[u8; RANDOM_LEN],
        audience: Audience,
        now: u32,
    ) -> Option<(Nonce, u32)> {
        let mut nonce: Nonce = [0; NONCE_LEN];
        nonce.copy_from_slice(&challenge[..NONCE_LEN]);
        let mut exp = [0u8; EXPIRY_LEN];
        exp.copy_from_slice(&challenge[NONCE_LEN..NONCE_LEN + EXPIRY_LEN]);
        let expiry = u32::from_be_bytes(exp);
        let tag_ok = ct_eq(
            &self.tag(audience, &nonce, expiry),
            &challenge[NONCE_LEN + EXPIRY_LEN..],
        );
        (tag_ok & (expiry > now)).then_some((nonce, expiry))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> ChallengeKey {
        super::super::init().unwrap();
        ChallengeKey::default()
    }

    #[test]
    fn a_challenge_checks_for_its_audience_until_it_expires() {
        let k = key();
        let rui = Audience::Staff(KeyId::from_bytes([1; 16]));
        let c = k.issue(rui, 100);
        assert!(k.check(c.as_bytes(), rui, 99).is_some());
        assert!(k.check(c.as_bytes(), rui, 100).is_none(), "expired");
        let other = Audience::Staff(KeyId::from_bytes([2; 16]));
        assert!(k.check(c.as_bytes(), other, 0).is_none(), "another key id");
        assert!(k.check(c.as_bytes(), Audience::Mailbox, 0).is_none());
        assert!(
            ChallengeKey::default()
                .check(c.as_bytes(), rui, 0)
                .is_none(),
            "another process"
        );
        let m = k.issue(Audience::Mailbox, 100);
        assert!(k.check(m.as_bytes(), Audience::Mailbox, 0).is_some());
        let f = k.issue(Audience::Form(1), 100);
        assert!(k.check(f.as_bytes(), Audience::Form(1), 0).is_some());
        assert!(k.check(f.as_bytes(), Audience::Form(2), 0).is_none());
        assert!(k.check(f.as_bytes(), Audience::Mailbox, 0).is_none());
    }

    #[test]
    fn a_tampered_challenge_is_refused() {
        let k = key();
        let c = *k.issue(Audience::Mailbox, 100).as_bytes();
        for i in 0..RANDOM_LEN {
            let mut t = c;
            t[i] ^= 1;
            assert!(k.check(&t, Audience::Mailbox, 0).is_none(), "byte {i}");
        }
        // Pushing the expiry later breaks the tag.
        let mut later = c;
        later[NONCE_LEN..NONCE_LEN + EXPIRY_LEN].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(k.check(&later, Audience::Mailbox, 200).is_none());
        assert_eq!(format!("{k:?}"), "ChallengeKey(..)");
    }

    #[test]
    fn two_challenges_differ() {
        let k = key();
        let a = k.issue(Audience::Mailbox, 100);
        let b = k.issue(Audience::Mailbox, 100);
        assert_ne!(a, b);
    }
}
