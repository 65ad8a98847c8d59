//! Single-use form tokens for the no-JavaScript pages (the tip form, the mailbox login,
//! the mailbox message): a browser's Back then Forward, or a reload, posts a form again;
//! the second post of a token is answered "already received", never with a second tip,
//! a second receipt or a second message.
//!
//! A token is a stateless MAC'd challenge (`crypto::challenge`, audience
//! [`Audience::Form`]) that expires [`FORM_TOKEN_TTL`] after the page was made: issuing
//! stores nothing. A post [`FormTokens::claim`]s it: the tag and expiry are checked, the
//! post takes the token's turn (`http::in_flight`, so two concurrent posts of one token
//! run one after the other), and a spent token is refused. Only [`Claim::spend`], called
//! once the post succeeded, marks it used, so a failed post can be retried.
//!
//! The used set holds a keyed hash (the database pepper) of each spent token's nonce and
//! the day (on the process's clock) in which the token expires; on the first use of the
//! set each new day, every entry whose day has passed is dropped — the token's tag
//! refuses it anyway. So an entry lives at most until the end of the day after the form
//! was loaded (under 48 hours), and says nothing finer about when. Memory only: a restart
//! changes the key, so every older token is refused as expired (the page then asks to
//! send again).
//! Must never: store a token, a time finer than a day bucket, or anything about a sender.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::in_flight::{self, Turn};
use crate::crypto::auth::Challenge;
use crate::crypto::challenge::{Audience, ChallengeKey, Nonce};
use crate::crypto::keyed_hash32;

/// How long a page's form token stays valid: a witness may take hours over the form; a
/// page older than this asks to send again (with what was typed, not the files).
pub const FORM_TOKEN_TTL: Duration = Duration::from_secs(24 * 60 * 60);

/// Spent tokens remembered at once. Each is a successful post, which already paid the
/// intake or mailbox rate budget, so this is far above a day's real traffic; past it a
/// post is answered busy rather than forgetting a token early.
pub const MAX_SPENT: usize = 200_000;

/// Seconds in a day bucket.
const DAY: u32 = 86_400;

/// Which form a token is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormKind {
    /// The tip form (`POST /{lang}/submit`).
    Tip,
    /// The mailbox login (`POST /{lang}/followup`, `action=open`).
    MailboxOpen,
    /// A message added from the mailbox page (`action=add`).
    MailboxAdd,
}

impl FormKind {
    fn audience(self) -> Audience {
        Audience::Form(match self {
            FormKind::Tip => 1,
            FormKind::MailboxOpen => 2,
            FormKind::MailboxAdd => 3,
        })
    }
}

/// Why a token was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FormTokenError {
    /// Missing, not ours, for another form, or past its expiry (or from before a restart).
    #[error("the form token is missing, expired or not for this form: load the page again")]
    Invalid,
    /// This token's post already succeeded.
    #[error("this form was already sent once")]
    Used,
    /// Another post of this token is still running, or the used set is full.
    #[error("busy: try again in a moment")]
    Busy,
}

/// The process's form-token key, coarse clock and used set.
pub struct FormTokens {
    key: ChallengeKey,
    started: Instant,
    spent: Mutex<Spent>,
}

/// The used set.
#[derive(Default)]
struct Spent {
    /// Keyed hash of a spent token's nonce → the day its token expires in.
    by_hash: HashMap<[u8; 32], u32>,
    /// The day of the last sweep.
    swept: u32,
}

impl Spent {
    /// Drops the entries of tokens expired before `today`, once a day.
    fn sweep(&mut self, today: u32) {
        if today != self.swept {
            self.by_hash.retain(|_, day| *day >= today);
            self.swept = today;
        }
    }
}

impl Default for FormTokens {
    fn default() -> Self {
        Self {
            key: ChallengeKey::default(),
            started: Instant::now(),
            spent: Mutex::new(Spent::default()),
        }
    }
}

impl FormTokens {
    /// A fresh token for a page's `kind` form, as the text of its hidden field.
    pub fn issue(&self, kind: FormKind) -> String {
        let ttl = u32::try_from(FORM_TOKEN_TTL.as_secs()).unwrap_or(u32::MAX);
        // Page loads are frequent: they keep the used set swept when nobody posts.
        self.lock().sweep(self.today());
        self.key
            .issue(kind.audience(), self.now().saturating_add(ttl))
            .to_b64()
    }

    /// Checks a posted token and takes its turn; refuses one already spent. `pepper`
    /// keys the used set's hashes (the database's).
    pub async fn claim(
        &self,
        pepper: &[u8; 32],
        text: Option<&str>,
        kind: FormKind,
    ) -> Result<Claim<'_>, FormTokenError> {
        let challenge = text
            .and_then(Challenge::from_b64)
            .ok_or(FormTokenError::Invalid)?;
        let (nonce, expiry) = self
            .key
            .check(challenge.as_bytes(), kind.audience(), self.now())
            .ok_or(FormTokenError::Invalid)?;
        let hash = spent_hash(pepper, &nonce);
        let turn = in_flight::turn(hash)
            .await
            .map_err(|_| FormTokenError::Busy)?;
        if self.lock().by_hash.contains_key(&hash) {
            return Err(FormTokenError::Used);
        }
        Ok(Claim {
            tokens: self,
            hash,
            expiry_day: expiry / DAY,
            _turn: turn,
        })
    }

    fn now(&self) -> u32 {
        u32::try_from(self.started.elapsed().as_secs()).unwrap_or(u32::MAX)
    }

    fn today(&self) -> u32 {
        self.now() / DAY
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Spent> {
        // The map stays consistent through a panic elsewhere: keep going.
        self.spent.lock().unwrap_or_else(|p| p.into_inner())
    }

    #[cfg(test)]
    fn spent_len(&self) -> usize {
        self.lock().by_hash.len()
    }
}

/// A token checked and held for one post; [`Claim::spend`] once the post succeeded.
/// Dropping it unspent leaves the token usable (the post failed and may be retried).
pub struct Claim<'a> {
    tokens: &'a FormTokens,
    hash: [u8; 32],
    expiry_day: u32,
    /// Held until the token is spent or given back: a concurrent post of it waits.
    _turn: Turn,
}

impl Claim<'_> {
    /// Whether a spent token could still be recorded (the used set has room). Check it
    /// before doing the post's work, so a full set refuses before anything is stored.
    pub fn has_room(&self) -> bool {
        let mut spent = self.tokens.lock();
        spent.sweep(self.tokens.today());
        spent.by_hash.len() < MAX_SPENT
    }

    /// Marks the token used (its post succeeded): every later post of it is `Used`.
    pub fn spend(self) {
        let mut spent = self.tokens.lock();
        spent.sweep(self.tokens.today());
        spent.by_hash.insert(self.hash, self.expiry_day);
    }
}

fn spent_hash(pepper: &[u8; 32], nonce: &Nonce) -> [u8; 32] {
    keyed_hash32(pepper, b"tipseal/form-token/v1", nonce)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PEPPER: [u8; 32] = [7; 32];

    fn tokens() -> FormTokens {
        crate::crypto::init().unwrap();
        FormTokens::default()
    }

    #[tokio::test]
    async fn a_token_is_spent_once_and_only_on_success() {
        let t = tokens();
        let tok = t.issue(FormKind::Tip);
        // A failed post gives the token back.
        drop(t.claim(&PEPPER, Some(&tok), FormKind::Tip).await.unwrap());
        let claim = t.claim(&PEPPER, Some(&tok), FormKind::Tip).await.unwrap();
        assert!(claim.has_room());
        claim.spend();
        assert_eq!(
            t.claim(&PEPPER, Some(&tok), FormKind::Tip).await.err(),
            Some(FormTokenError::Used)
        );
        assert_eq!(t.spent_len(), 1);
    }

    #[tokio::test]
    async fn a_token_passes_for_no_other_form_and_garbage_is_invalid() {
        let t = tokens();
        let tok = t.issue(FormKind::MailboxOpen);
        for (text, kind) in [
            (Some(tok.as_str()), FormKind::MailboxAdd),
            (Some(tok.as_str()), FormKind::Tip),
            (None, FormKind::MailboxOpen),
            (Some("not a token"), FormKind::MailboxOpen),
        ] {
            assert_eq!(
                t.claim(&PEPPER, text, kind).await.err(),
                Some(FormTokenError::Invalid)
            );
        }
        let other_process = tokens();
        assert_eq!(
            other_process
                .claim(&PEPPER, Some(&tok), FormKind::MailboxOpen)
                .await
                .err(),
            Some(FormTokenError::Invalid),
            "a restart forgets the key"
        );
    }

    #[test]
    fn a_days_sweep_drops_only_tokens_expired_before_it() {
        let mut s = Spent::default();
        s.by_hash.insert([1; 32], 0);
        s.by_hash.insert([2; 32], 1);
        s.sweep(0);
        assert_eq!(s.by_hash.len(), 2, "day 0: nothing has expired yet");
        s.sweep(1);
        assert_eq!(
            s.by_hash.len(),
            1,
            "day 1: the token that expired on day 0 goes"
        );
        assert!(s.by_hash.contains_key(&[2; 32]));
        s.sweep(2);
        assert!(s.by_hash.is_empty());
    }

    #[tokio::test]
    async fn a_concurrent_post_of_the_same_token_waits_then_finds_it_used() {
        let t = std::sync::Arc::new(tokens());
        let tok = t.issue(FormKind::Tip);
        let first = t.claim(&PEPPER, Some(&tok), FormKind::Tip).await.unwrap();
        let (t2, tok2) = (t.clone(), tok.clone());
        let second = tokio::spawn(async move {
            t2.claim(&PEPPER, Some(&tok2), FormKind::Tip)
                .await
                .map(|_| ())
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!second.is_finished(), "the second post waits for the first");
        first.spend();
        assert_eq!(second.await.unwrap(), Err(FormTokenError::Used));
    }
}
