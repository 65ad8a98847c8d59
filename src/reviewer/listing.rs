//! The inbox: rows of the synced tips with their triage state, filtered and searched
//! in memory, and the reviewer's own read marks.
//!
//! Must never: go to the server (a listing is what this machine holds), or keep the
//! search index anywhere but in memory.

use serde::Serialize;

use crate::domain::{Day, TipId};

use super::local;
use super::search::{Facets, Filter};
use super::store::{table, Table};
use super::workspace::{Workspace, WorkspaceError};

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
    /// Stored bytes on the server.
    pub size: u64,
    /// Envelopes in the bundle (the tip and its attachments).
    pub parts: u16,
    /// Why this key could not open it (it is listed without content).
    pub unreadable: Option<String>,
}

impl Workspace {
    /// The rows `filter` selects, newest day first; with `search`, only tips holding
    /// every word of it (any of the seven languages: `search::tokenize`), best first.
    pub fn list(&self, filter: &Filter, search: Option<&str>) -> Vec<Row> {
        let passes = |id: &TipId| filter.matches(&self.facets_of(*id));
        match search.map(str::trim).filter(|s| !s.is_empty()) {
            Some(q) => self
                .index
                .search(q)
                .into_iter()
                .filter(|(id, _)| self.tips.contains_key(id) && passes(id))
                .map(|(id, _)| self.row(id))
                .collect(),
            None => {
                let mut rows: Vec<Row> = self
                    .tips
                    .keys()
                    .filter(|id| passes(id))
                    .map(|id| self.row(*id))
                    .collect();
                rows.sort_by(|a, b| b.received.cmp(&a.received).then(a.id.cmp(&b.id)));
                rows
            }
        }
    }

    /// What the filters look at for tip `id`.
    pub fn facets_of(&self, id: TipId) -> Facets {
        let t = self.tips.get(&id);
        let facts = self.facets.get(&id);
        let st = self.state(id);
        Facets {
            status: st.status.as_str().into(),
            labels: st.labels.iter().map(|l| l.key()).collect(),
            assignee: st.assignee.map(|k| k.to_string()),
            starred: st.star,
            sector: facts.and_then(|f| f.sector.clone()),
            country: facts.and_then(|f| f.country.clone()),
            city: facts.and_then(|f| f.city.clone()),
            received: t.and_then(|t| Day::parse(&t.received).ok()),
            attachments: t.map_or(0, |t| u32::from(t.files)),
            unread: t.is_some_and(|t| t.unread),
            reminder: st.reminder,
        }
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
            size: t.map_or(0, |t| t.size),
            parts: t.map_or(0, |t| t.parts),
            unreadable: t.and_then(|t| t.unreadable.clone()),
        }
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
        self.index.remove(&id);
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
