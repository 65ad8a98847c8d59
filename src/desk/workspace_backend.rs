//! The desk over the reviewer's real data: [`DeskBackend`] for a
//! [`Workspace`] (the local encrypted store, sync and the team's triage events), behind
//! a mutex (the workspace is one store and one connection; the desk's workers take turns).
//!
//! It only translates: the desk's strings into the workspace's words
//! (`reviewer::desk_support`), the workspace's rows, states and history into the desk's
//! model. Every decision (what a change means, whether it is legal, what a filter
//! matches) is the reviewer layer's.
//!
//! Must never: write a tip's plaintext or an attachment anywhere but the encrypted store,
//! or decide anything the command line would decide differently.

use std::sync::{Mutex, MutexGuard};

use serde_json::Value;

use super::backend::DeskBackend;
use super::error::DeskError;
use super::model::{
    AttachmentBytes, AttachmentInfo, ConversationEntry, HistoryRow, InboxQuery, InboxRow, Me, Note,
    ReplyFile, ReportField, SyncReport, TipView, TriageOutcome, TriageRequest, TriageState,
};
use crate::domain::tip::received::Shown;
use crate::domain::TipId;
use crate::reviewer::desk_support::{next_statuses, utc, ChangeWords, FilterWords};
use crate::reviewer::triage::Outcome;
use crate::reviewer::workspace::{Workspace, WorkspaceError};

/// See the module doc.
pub struct WorkspaceDesk {
    ws: Mutex<Workspace>,
}

impl WorkspaceDesk {
    /// The desk's door to `ws` (opened, and usually synced, by the caller).
    pub fn new(ws: Workspace) -> Self {
        Self { ws: Mutex::new(ws) }
    }

    fn lock(&self) -> Result<MutexGuard<'_, Workspace>, DeskError> {
        // A panic while holding it left the workspace half-changed in memory only: the
        // store is written in whole batches, so a restart of the desk is safe.
        self.ws.lock().map_err(|_| {
            DeskError::Internal(
                "an earlier request failed half-way: stop the desk (Ctrl-C) and start it again"
                    .into(),
            )
        })
    }
}

impl From<WorkspaceError> for DeskError {
    fn from(e: WorkspaceError) -> Self {
        if e.is_unreachable() {
            return DeskError::Unavailable(format!("the server cannot be reached ({e})"));
        }
        match e {
            WorkspaceError::UnknownTip(id) => DeskError::NotFound(format!("tip {id}")),
            WorkspaceError::Refused(why) => DeskError::Invalid(why),
            WorkspaceError::Reviewer(crate::reviewer::Error::Refused(why)) => {
                DeskError::Invalid(why)
            }
            other => DeskError::Internal(other.to_string()),
        }
    }
}

impl DeskBackend for WorkspaceDesk {
    fn me(&self) -> Result<Me, DeskError> {
        let ws = self.lock()?;
        Ok(Me {
            name: ws.me().name().as_str().to_owned(),
            key_id: ws.me().key_id().to_string(),
        })
    }

    fn sync(&self) -> Result<SyncReport, DeskError> {
        let mut ws = self.lock()?;
        let r = ws.sync(&mut |_| {})?;
        let mut refused = r.outbox_refused.clone();
        if r.events_refused > 0 {
            refused.push(format!(
                "{} triage events did not verify and were not applied (see each tip's history)",
                r.events_refused
            ));
        }
        Ok(SyncReport {
            new_tips: r.tips_new as u32,
            new_messages: r.entries_new as u32,
            new_events: r.events_new as u32,
            refused,
            finished_at: utc(now()),
        })
    }

    fn inbox(&self, q: &InboxQuery) -> Result<Vec<InboxRow>, DeskError> {
        let ws = self.lock()?;
        let filter = ws.filter_from_words(&FilterWords {
            status: q.status.clone(),
            label: q.label.clone(),
            assignee: q.assignee.clone(),
            starred: q.starred,
            sector: q.sector.clone(),
            country: q.country.clone(),
            city: q.city.clone(),
            from: q.from.clone(),
            to: q.to.clone(),
            has_attachments: q.has_attachments,
            unread: q.unread,
            reminder_due: q.reminder_due == Some(true),
        })?;
        Ok(ws
            .list(&filter, q.text.as_deref())
            .into_iter()
            .map(|r| InboxRow {
                id: r.id.to_string(),
                received: r.received,
                summary: match &r.unreadable {
                    Some(why) => format!("(not opened on this machine: {why})"),
                    None => r.title,
                },
                status: r.status,
                labels: r.labels,
                assignee: r.assignee,
                starred: r.star,
                unread: r.unread,
                sector: r.sector,
                country: r.country,
                city: r.city,
                attachments: u32::from(r.attachments),
                reminder: r.reminder,
            })
            .collect())
    }

    fn tip(&self, id: TipId) -> Result<TipView, DeskError> {
        let mut ws = self.lock()?;
        ws.mark_read(id)?;
        let t = ws.stored_tip(id)?;
        let st = ws.state(id);
        let (language, report, narrative) = match &t.received.shown {
            _ if t.record.unreadable.is_some() => (None, Vec::new(), String::new()),
            Shown::Document(doc) => {
                let mut report = Vec::new();
                flatten("", doc, &mut report);
                report.retain(|f| f.key != "narrative" && f.key != "schema");
                (
                    doc.get("language")
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                    report,
                    doc.get("narrative")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned(),
                )
            }
            Shown::Text(text) => (None, Vec::new(), text.clone()),
        };
        let mut warnings: Vec<String> = t
            .received
            .warnings
            .iter()
            // An unopened tip has no plaintext to warn about.
            .filter(|_| t.record.unreadable.is_none())
            .map(|w| match w.field.as_str() {
                "" => w.problem.clone(),
                f => format!("{f}: {}", w.problem),
            })
            .collect();
        if let Some(why) = &t.record.unreadable {
            warnings.insert(
                0,
                format!("your key could not open this tip here ({why}); each sync tries again"),
            );
        }
        if t.record.sealed_by_server {
            warnings.push(
                "sealed by the server (sent without JavaScript): the server saw this tip's \
                 text as it arrived"
                    .into(),
            );
        }
        let conversation = t
            .conversation
            .iter()
            .map(|e| ConversationEntry {
                who: match (&e.signer, e.kind.as_str()) {
                    (Some(s), _) => s.name.clone(),
                    (None, "reply") => "reviewer (signature not verified)".into(),
                    (None, _) => "witness".into(),
                },
                when: e.received.clone(),
                text: if e.attachments.is_empty() {
                    e.message.clone()
                } else {
                    format!("{}\n[{}]", e.message, e.attachments.join(", "))
                },
            })
            .collect();
        let history = history_rows(&ws, id)?;
        Ok(TipView {
            id: id.to_string(),
            received: t.record.received.clone(),
            language,
            report,
            narrative,
            warnings,
            attachments: t
                .received
                .attachments
                .iter()
                .enumerate()
                .map(|(i, a)| AttachmentInfo {
                    index: i as u32,
                    name: a.name.as_str().to_owned(),
                    mime: a.media_type.as_str().to_owned(),
                    size: a.size,
                })
                .collect(),
            conversation,
            triage: TriageState {
                status: st.status.as_str().to_owned(),
                labels: st.labels.iter().map(|l| l.as_str().to_owned()).collect(),
                assignee: st.assignee.map(|k| ws.reviewer_name(k)),
                starred: st.star,
                reminder: st.reminder.map(|d| d.to_string()),
                grade: st.grade.map(|g| g.to_string()),
                notes: st
                    .notes
                    .iter()
                    .map(|n| Note {
                        who: ws.reviewer_name(n.author),
                        when: utc(n.at),
                        text: n.text.as_str().to_owned(),
                    })
                    .collect(),
            },
            next_statuses: next_statuses(st.status)
                .into_iter()
                .map(|s| s.as_str().to_owned())
                .collect(),
            history,
        })
    }

    fn attachment(&self, id: TipId, index: u32) -> Result<AttachmentBytes, DeskError> {
        let ws = self.lock()?;
        let mut t = ws.stored_tip(id)?;
        let i = index as usize;
        let (Some(meta), true) = (t.received.attachments.get(i), i < t.files.len()) else {
            return Err(DeskError::NotFound(format!(
                "attachment {index} of tip {id}"
            )));
        };
        Ok(AttachmentBytes {
            mime: meta.media_type.as_str().to_owned(),
            name: meta.name.as_str().to_owned(),
            bytes: std::mem::take(&mut *t.files.swap_remove(i)),
        })
    }

    fn triage(&self, ids: &[TipId], req: &TriageRequest) -> Result<Vec<TriageOutcome>, DeskError> {
        let mut ws = self.lock()?;
        let changes = ws.changes_from_words(&ChangeWords {
            status: req.status.clone(),
            add_labels: req.add_labels.clone(),
            remove_labels: req.remove_labels.clone(),
            assign: req.assign.clone(),
            note: req.note.clone(),
            star: req.star,
            remind: req.remind.clone(),
            grade: req.grade.clone(),
        })?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let (refusal, notices) = match ws.triage(*id, changes.clone()) {
                Ok(Outcome::Applied { notices, .. }) => (None, notices),
                // Kept in the store's outbox; the next sync sends it (and re-checks it).
                Ok(Outcome::Queued { .. }) => (
                    None,
                    vec![
                        "the server cannot be reached: the change is kept on this machine \
                         and sent by the next Sync"
                            .into(),
                    ],
                ),
                Ok(Outcome::Refused { reason }) => (Some(reason), Vec::new()),
                Err(e) => (Some(DeskError::from(e).to_string()), Vec::new()),
            };
            out.push(TriageOutcome {
                id: id.to_string(),
                ok: refusal.is_none(),
                refusal,
                notices,
            });
        }
        Ok(out)
    }

    fn reply(&self, id: TipId, text: &str, files: Vec<ReplyFile>) -> Result<(), DeskError> {
        let mut ws = self.lock()?;
        let files: Vec<(String, String, Vec<u8>)> = files
            .into_iter()
            .map(|f| (f.name, f.mime, f.bytes))
            .collect();
        ws.reply(id, text, &files)?;
        Ok(())
    }

    fn history(&self, id: TipId) -> Result<Vec<HistoryRow>, DeskError> {
        let ws = self.lock()?;
        history_rows(&ws, id)
    }

    fn vocabulary(&self) -> Result<Vec<String>, DeskError> {
        let ws = self.lock()?;
        Ok(ws
            .vocabulary()
            .labels
            .iter()
            .map(|l| l.as_str().to_owned())
            .collect())
    }

    fn reviewers(&self) -> Result<Vec<String>, DeskError> {
        Ok(self.lock()?.reviewer_names())
    }
}

fn history_rows(ws: &Workspace, id: TipId) -> Result<Vec<HistoryRow>, DeskError> {
    Ok(ws
        .history(id)?
        .into_iter()
        .map(|h| HistoryRow {
            who: h.who,
            when: utc(h.at),
            what: h.what.join("; "),
            verified: h.verified,
            refusal: h.refusal,
        })
        .collect())
}

/// The report's fields as `a.b[0].c` = value, by path (serde_json keeps objects sorted;
/// the tip document's sections then come in a stable order).
fn flatten(prefix: &str, v: &Value, out: &mut Vec<ReportField>) {
    let join = |k: &str| {
        if prefix.is_empty() {
            k.to_owned()
        } else {
            format!("{prefix}.{k}")
        }
    };
    match v {
        Value::Object(map) => {
            for (k, x) in map {
                flatten(&join(k), x, out);
            }
        }
        Value::Array(items) if items.iter().all(|x| !x.is_object() && !x.is_array()) => {
            let words: Vec<String> = items.iter().map(scalar).collect();
            out.push(ReportField {
                key: prefix.to_owned(),
                value: words.join(", "),
            });
        }
        Value::Array(items) => {
            for (i, x) in items.iter().enumerate() {
                flatten(&format!("{prefix}[{i}]"), x, out);
            }
        }
        other => out.push(ReportField {
            key: prefix.to_owned(),
            value: scalar(other),
        }),
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_fields_keep_paths_sorted() {
        let doc = serde_json::json!({
            "worksite": {"sector": "construction", "country": "RU"},
            "workers": {"count": 40, "movement_restricted": true},
            "minders": [{"name_or_alias": "김 반장", "actions": ["collects_wages", "escorts_workers"]}]
        });
        let mut out = Vec::new();
        flatten("", &doc, &mut out);
        let pairs: Vec<(&str, &str)> = out
            .iter()
            .map(|f| (f.key.as_str(), f.value.as_str()))
            .collect();
        assert_eq!(
            pairs,
            vec![
                ("minders[0].actions", "collects_wages, escorts_workers"),
                ("minders[0].name_or_alias", "김 반장"),
                ("workers.count", "40"),
                ("workers.movement_restricted", "true"),
                ("worksite.country", "RU"),
                ("worksite.sector", "construction"),
            ]
        );
    }
}
