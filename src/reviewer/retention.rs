//! The reviewers' side of the retention policy: which tips the team closed or dismissed
//! long enough ago to delete ([`crate::domain::retention::RetentionPolicy::closed_tip_days`]).
//! The server cannot see triage status, so this is where that rule is applied; deleting
//! goes through the recorded `DeleteTip` path ([`Workspace::delete_tip`]).

use crate::domain::triage::Status;
use crate::domain::TipId;

use super::workspace::Workspace;

impl Workspace {
    /// Tips whose status is closed or dismissed and was set at least `days` days before
    /// `now` (UTC seconds), by the folded triage logs on this machine.
    pub fn closed_for_days(&self, days: u32, now: i64) -> Vec<TipId> {
        let cutoff = now - i64::from(days) * 86_400;
        let mut due: Vec<TipId> = self
            .states
            .iter()
            .filter(|(_, s)| matches!(s.status, Status::Closed | Status::Dismissed))
            .filter(|(_, s)| s.deleted.is_none())
            .filter(|(_, s)| s.status_since.is_some_and(|at| at <= cutoff))
            .map(|(id, _)| *id)
            .collect();
        due.sort();
        due
    }
}
