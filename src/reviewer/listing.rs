//! The inbox: rows of the synced tips with their triage state, filtered and searched
//! in memory, and the reviewer's own read marks.
//!
//! Must never: go to the server (a listing is what this machine holds), or keep the
//! search index anywhere but in memory.

use serde::Serialize;

use crate::domain::triage::Status;
use crate::domain::TipId;

use super::local;
use super::store::{table, Table};
use super::workspace::{Workspace, WorkspaceError};

/// What to list: each criterion given narrows the rows (all must hold).
#[derive(Clone, Debug, Default)]
pub struct ListQuery {
    /// This status.
    pub status: Option<Status>,
    /// Carrying this label (case-insensitive).
    pub label: Option<String>,
    /// Assigned to this reviewer (name on the keyring, or key id); `""`: to nobody.
    pub assignee: Option<String>,
    /// Starred.
    pub starred: bool,
    /// This sector (as the tip names it).
    pub sector: Option<String>,
    /// This country code.
    pub country: Option<String>,
    /// This city (case-insensitive).
    pub city: Option<String>,
    /// Received on or after this day (`YYYY-MM-DD`).
    pub since: Option<String>,
    /// Received on or before this day.
    pub until: Option<String>,
    /// Having attachments.
    pub attachments: bool,
    /// Unread on this machine.
    pub unread: bool,
    /// With a reminder on or before this day (`YYYY-MM-DD`, usually today).
    pub reminder_due: Option<String>,
    /// Words that must all occur in the tip.
    pub search: Option<String>,
}

/// One inbox row.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    /// The tip's id.
    pub id: TipId,
    /// The UTC day it arrived.
    pub received: String,
    /// The key epoch it was sealed to when synced.
    pub epoch: u32,
    /// Sealed by the server (the no-JavaScript form).
    pub sealed_by_server: bool,
    /// A short line: the worksite or the narrative's start.
    pub title: String,
    /// Triage status.
    pub status: String,
    /// Labels.
    pub labels: Vec<String>,
    /// Assigned reviewer's name.
    pub assignee: Option<String>,
    /// Starred.
    pub star: bool,
    /// Reminder day.
    pub reminder: Option<String>,
    /// Grade (`A2` …).
    pub grade: Option<String>,
    /// Unread on this machine.
    pub unread: bool,
    /// Sector.
    pub sector: Option<String>,
    /// Country code.
    pub country: Option<String>,
    /// City.
    pub city: Option<String>,
    /// Attachments.
    pub attachments: u16,
    /// Conversation entries.
    pub entries: u32,
}

impl Workspace {
    /// The rows `q` selects, newest day first.
    pub fn list(&self, q: &ListQuery) -> Vec<Row> {
        let words: Vec<String> = q
            .search
            .as_deref()
            .map(|s| s.split_whitespace().map(str::to_lowercase).collect())
            .unwrap_or_default();
        let mut rows: Vec<Row> = self
            .tips
            .values()
            .map(|t| self.row(t.id))
            .filter(|r| self.matches(r, q))
            .filter(|r| words.is_empty() || self.finds(r.id, &words))
            .collect();
        rows.sort_by(|a, b| b.received.cmp(&a.received).then(a.id.cmp(&b.id)));
        rows
    }

    /// One tip's row (a tip not in the store gives an empty row).
    pub fn row(&self, id: TipId) -> Row {
        let t = self.tips.get(&id);
        let facts = self.facets.get(&id).cloned().unwrap_or_default();
        let st = self.state(id);
        Row {
            id,
            received: t.map(|t| t.received.clone()).unwrap_or_default(),
            epoch: t.map_or(0, |t| t.epoch),
            sealed_by_server: t.is_some_and(|t| t.sealed_by_server),
            title: facts.title,
            status: st.status.as_str().into(),
            labels: st.labels.iter().map(|l| l.as_str().to_owned()).collect(),
            assignee: st.assignee.map(|k| self.reviewer_name(k)),
            star: st.star,
            reminder: st.reminder.map(|d| d.to_string()),
            grade: st.grade.map(|g| g.to_string()),
            unread: t.is_some_and(|t| t.unread),
            sector: facts.sector,
            country: facts.country,
            city: facts.city,
            attachments: t.map_or(0, |t| t.files),
            entries: t.map_or(0, |t| t.entries),
        }
    }

    fn matches(&self, r: &Row, q: &ListQuery) -> bool {
        let eq = |a: &Option<String>, b: &Option<String>| {
            b.as_ref().is_none_or(|b| {
                a.as_ref()
                    .is_some_and(|a| a.to_lowercase() == b.to_lowercase())
            })
        };
        q.status.is_none_or(|s| r.status == s.as_str())
            && q.label.as_ref().is_none_or(|l| {
                r.labels
                    .iter()
                    .any(|x| x.to_lowercase() == l.trim().to_lowercase())
            })
            && q.assignee.as_ref().is_none_or(|a| match a.as_str() {
                "" => r.assignee.is_none(),
                a => r.assignee.as_deref() == Some(a),
            })
            && (!q.starred || r.star)
            && eq(&r.sector, &q.sector)
            && eq(&r.country, &q.country)
            && eq(&r.city, &q.city)
            && q.since.as_ref().is_none_or(|d| r.received >= *d)
            && q.until.as_ref().is_none_or(|d| r.received <= *d)
            && (!q.attachments || r.attachments > 0)
            && (!q.unread || r.unread)
            && q.reminder_due
                .as_ref()
                .is_none_or(|d| r.reminder.as_ref().is_some_and(|x| x <= d))
    }

    fn finds(&self, id: TipId, words: &[String]) -> bool {
        let Some(f) = self.facets.get(&id) else {
            return false;
        };
        let hay: Vec<String> = f.text.iter().map(|t| t.to_lowercase()).collect();
        words.iter().all(|w| hay.iter().any(|h| h.contains(w)))
    }

    /// Drops tip `id`'s content from the store and memory (after its deletion on the
    /// server); its triage log stays.
    pub(super) fn forget_tip(&mut self, id: TipId) -> Result<(), WorkspaceError> {
        let rows = self.store.scan_prefix(Table::Entries, &table::tip(&id))?;
        self.store.batch(|b| {
            b.delete(Table::Tips, &table::tip(&id))?;
            for (k, _) in &rows {
                b.delete(Table::Entries, k)?;
            }
            Ok::<_, WorkspaceError>(())
        })?;
        self.tips.remove(&id);
        self.facets.remove(&id);
        Ok(())
    }

    /// Marks tip `id` read on this machine.
    pub fn mark_read(&mut self, id: TipId) -> Result<(), WorkspaceError> {
        let mut t = self
            .tips
            .get(&id)
            .cloned()
            .ok_or(WorkspaceError::UnknownTip(id))?;
        if !t.unread {
            return Ok(());
        }
        t.unread = false;
        self.store
            .put(Table::Tips, &table::tip(&id), &local::to_json(&t))?;
        self.tips.insert(id, t);
        Ok(())
    }
}
