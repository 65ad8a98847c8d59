//! The triage-event routes as the workspace uses them: a log's events from a seq (all
//! pages), an append at an expected seq (a conflict is an answer, not an error), the
//! feed, a tip's deletion.
//!
//! Must never: retry by itself (the workspace re-checks a change before retrying).

use crate::domain::triage::LogRef;
use crate::domain::TipId;

use super::workspace::{Online, WorkspaceError};

/// Most feed items asked for at once (the server's cap).
const FEED_PAGE: usize = 1000;

/// What the server said to an append.
pub enum AppendResult {
    /// Stored at the expected seq.
    Appended,
    /// Someone appended first: fetch, merge, retry.
    Conflict,
}

impl Online {
    /// The sealed events of `log` from seq `from` on, in order.
    pub fn events(&self, log: LogRef, from: u32) -> Result<Vec<Vec<u8>>, WorkspaceError> {
        let mut out = Vec::new();
        let mut at = from;
        loop {
            let page = self.client.events(&self.session, log, at)?;
            if page.events.is_empty() {
                return Ok(out);
            }
            for e in page.events {
                if e.seq != at {
                    // The verifier would refuse it as reordered; stop here instead of
                    // storing a gap.
                    return Ok(out);
                }
                let blob = crate::crypto::b64_decode(&e.event).ok_or_else(|| {
                    WorkspaceError::Refused(format!(
                        "the server sent event {} of {log} in a form that does not decode",
                        e.seq
                    ))
                })?;
                out.push(blob);
                at += 1;
            }
            if at >= page.next {
                return Ok(out);
            }
        }
    }

    /// Appends a sealed event at `seq`; `deletes_tip` declares it as a tip's deletion
    /// (the server allows the DELETE only after one).
    pub fn append(
        &self,
        log: LogRef,
        seq: u32,
        deletes_tip: bool,
        blob: &[u8],
    ) -> Result<AppendResult, WorkspaceError> {
        Ok(
            match self
                .client
                .append_event(&self.session, log, seq, deletes_tip, blob)?
            {
                Ok(_) => AppendResult::Appended,
                Err(_) => AppendResult::Conflict,
            },
        )
    }

    /// The logs with events after `after` (in feed order, repeats possible), and the
    /// cursor to ask from next.
    pub fn feed(&self, after: u64) -> Result<(Vec<LogRef>, u64), WorkspaceError> {
        let page = self.client.event_feed(&self.session, after, FEED_PAGE)?;
        Ok((page.items.into_iter().map(|i| i.log).collect(), page.next))
    }

    /// Deletes tip `id`'s content on the server (its DeleteTip event must be stored).
    pub fn delete_tip(&self, id: TipId) -> Result<(), WorkspaceError> {
        Ok(self.client.delete_tip(&self.session, id)?)
    }
}
