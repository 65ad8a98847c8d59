//! The retention policy: how long each kind of stored thing is kept before it is
//! destroyed (crypto-shredding: its wraps and blobs deleted, then the database compacted
//! so the ciphertext does not linger in old segments).
//!
//! It is a plain value read from the server's configuration (`[retention]` in the TOML
//! file, or `serve --retention-*` flags). The server enforces what it can see on its own
//! schedule; what it cannot see (a tip's triage status is sealed for reviewers) is
//! enforced by the reviewers' clients, which read the same numbers. This module must
//! never do I/O or know the clock: callers pass "now" in.
//!
//! Every number uses 0 for "never": TOML has no null, and a missing key takes the default.

use serde::Deserialize;

/// How long tipseal keeps things, in the units an operator thinks in.
///
/// Unknown keys are refused (`deny_unknown_fields`), so a misspelt option is an error at
/// start, naming the option, instead of a policy silently not applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetentionPolicy {
    /// Days after a reviewer closes or dismisses a tip before it is deleted. Default 90.
    ///
    /// The server cannot see triage status (it is sealed for the team), so the reviewers'
    /// client enforces this one: `tipseal review retention` lists the tips the team's log
    /// shows closed or dismissed at least this long ago and deletes them on the server
    /// (`DELETE /api/v1/tips/{id}`). 90 days leaves a quarter to reopen a case by mistake
    /// closed; keeping a closed tip longer only keeps a witness's words at risk.
    pub closed_tip_days: u32,
    /// Days a reply may wait in a witness's mailbox before the server deletes the
    /// witness's copy (the team's copy stays). Default 90: witnesses keep their receipt
    /// and may come back weeks later, but a reply (sealed to the witness) should not wait
    /// for ever for whoever seizes the server. The server cannot tell read from unread
    /// when replies are kept after reading (`--reply-retention keep`), so this counts
    /// from the day the reply was sent; with `delete-after-read` read ones are gone already.
    pub unread_reply_days: u32,
    /// Hours an unfinished upload (started, never completed into a tip) is kept before
    /// its chunks are deleted. Default 24: a witness on a slow Tor circuit can resume for
    /// a day; after that the bytes are only a liability and a drain on the disk.
    pub unfinished_upload_hours: u32,
    /// Days after receipt before the server deletes any tip, whatever its status.
    /// Default 0 (never): deleting open cases by age alone would lose evidence, so an
    /// organisation turns this on only when its own rules demand an absolute limit.
    pub max_tip_age_days: u32,
    /// Minutes between two runs of the server's retention sweep (and the compaction that
    /// follows a sweep that deleted something). Default 60: tips carry a UTC day, not a
    /// time, so sweeping more often gains nothing; 0 turns the server's sweep off.
    pub schedule_minutes: u32,
}

impl Default for RetentionPolicy {
    fn default() -> Self {
        RetentionPolicy {
            closed_tip_days: 90,
            unread_reply_days: 90,
            unfinished_upload_hours: 24,
            max_tip_age_days: 0,
            schedule_minutes: 60,
        }
    }
}

impl RetentionPolicy {
    /// A policy that keeps everything forever and never sweeps.
    pub const fn keep_everything() -> Self {
        RetentionPolicy {
            closed_tip_days: 0,
            unread_reply_days: 0,
            unfinished_upload_hours: 0,
            max_tip_age_days: 0,
            schedule_minutes: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_fields_take_their_defaults() {
        let p: RetentionPolicy = serde_json::from_str(r#"{"unread_reply_days": 7}"#).unwrap();
        assert_eq!(p.unread_reply_days, 7);
        assert_eq!(p.closed_tip_days, 90);
        assert_eq!(p.schedule_minutes, 60);
    }

    #[test]
    fn an_unknown_field_is_refused_by_name() {
        let e = serde_json::from_str::<RetentionPolicy>(r#"{"closed_tips_days": 7}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("closed_tips_days"), "{e}");
    }
}
