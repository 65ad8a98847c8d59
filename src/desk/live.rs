//! The desk on the real data: [`DeskBackend`] over the reviewer's `Workspace` (the same
//! library the command line uses). Only mapping lives here: every decision (filters,
//! legal transitions, names on the keyring, merging on conflict) is the workspace's.
//!
//! Must never: hold a decision the command line would also need, or keep a plaintext
//! anywhere but in memory on its way to the browser.

use std::sync::Mutex;

use super::error::DeskError;
use super::live_cases;
use super::model::{
    AttachmentBytes, AttachmentInfo, CaseAction, CaseOutcome, CaseRow, CaseView, ConversationEntry,
    ExportDone, ExportPlanView, ExportRequest, Figures, HistoryRow, InboxQuery, InboxRow, Me, Note,
    ReplyFile, ReportField, SyncReport, TipView, TriageOutcome, TriageRequest, TriageState,
};
use super::DeskBackend;
use crate::domain::tip::received::ReceivedTip;
use crate::domain::triage::Status;
use crate::domain::{Day, TipId};
use crate::reviewer::search::{Assignee, Filter};
use crate::reviewer::triage::{parse_status, ChangeRequest, Outcome};
use crate::reviewer::workspace::{Workspace, WorkspaceError};

/// The workspace behind the desk (one request at a time: the store has one writer).
pub struct LiveDesk {
    ws: Mutex<Workspace>,
}

impl LiveDesk {
    /// The desk over `ws`.
    pub fn new(ws: Workspace) -> Self {
        Self { ws: Mutex::new(ws) }
    }

    fn ws(&self) -> Result<std::sync::MutexGuard<'_, Workspace>, DeskError> {
        self.ws
            .lock()
            .map_err(|_| DeskError::Internal("the workspace is unusable after a crash".into()))
    }
}

pub(super) fn err(e: WorkspaceError) -> DeskError {
    match e {
        WorkspaceError::UnknownTip(id) => DeskError::NotFound(format!("tip {id}")),
        WorkspaceError::Refused(s) => DeskError::Invalid(s),
        e if e.is_unreachable() => DeskError::Unavailable(e.to_string()),
        e => DeskError::Internal(e.to_string()),
    }
}

fn when(at: i64) -> String {
    crate::reviewer::triage::utc_minute(at)
}

/// Every scalar of the report but the narrative, as `path: value`.
fn report_fields(v: &serde_json::Value, path: &str, out: &mut Vec<ReportField>) {
    match v {
        serde_json::Value::Object(o) => {
            for (k, x) in o {
                if path.is_empty() && k == "narrative" {
                    continue;
                }
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                report_fields(x, &p, out);
            }
        }
        serde_json::Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                report_fields(x, &format!("{path}[{i}]"), out);
            }
        }
        serde_json::Value::Null => {}
        serde_json::Value::String(s) => out.push(ReportField {
            key: path.to_owned(),
            value: s.clone(),
        }),
        other => out.push(ReportField {
            key: path.to_owned(),
            value: other.to_string(),
        }),
    }
}

/// The workspace's filter for the inbox's query (names, statuses and days checked here).
fn filter_of(ws: &Workspace, q: &InboxQuery) -> Result<Filter, DeskError> {
    let day = |s: &Option<String>| -> Result<Option<Day>, DeskError> {
        s.as_deref()
            .filter(|s| !s.is_empty())
            .map(|d| Day::parse(d).map_err(|_| DeskError::Invalid(format!("not a day: {d:?}"))))
            .transpose()
    };
    let assignee = match q.assignee.as_deref() {
        None => None,
        Some("") => Some(Assignee::Nobody),
        Some(n) => Some(Assignee::Person(
            ws.reviewer_named(n)
                .map_err(DeskError::Invalid)?
                .to_string(),
        )),
    };
    Ok(Filter {
        status: q
            .status
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(|s| parse_status(s).map(|s| s.as_str().to_owned()))
            .transpose()
            .map_err(DeskError::Invalid)?,
        label: q
            .label
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(|l| l.trim().to_lowercase()),
        assignee,
        starred: q.starred,
        sector: q.sector.clone().filter(|s| !s.is_empty()),
        country: q.country.clone().filter(|s| !s.is_empty()),
        city: q.city.clone().filter(|s| !s.is_empty()),
        received_from: day(&q.from)?,
        received_to: day(&q.to)?,
        has_attachments: q.has_attachments,
        unread: q.unread,
        reminder_due: q.reminder_due.filter(|d| *d).map(|_| Day::today()),
    })
}

const ALL_STATUSES: [Status; 7] = [
    Status::New,
    Status::InReview,
    Status::NeedsInformation,
    Status::Corroborated,
    Status::Referred,
    Status::Closed,
    Status::Dismissed,
];

impl DeskBackend for LiveDesk {
    fn me(&self) -> Result<Me, DeskError> {
        let ws = self.ws()?;
        Ok(Me {
            name: ws.me().name().as_str().to_owned(),
            key_id: ws.me().key_id().to_string(),
        })
    }

    fn sync(&self) -> Result<SyncReport, DeskError> {
        let mut ws = self.ws()?;
        let r = ws.sync(&mut |_| {}).map_err(err)?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        Ok(SyncReport {
            new_tips: r.tips_new as u32,
            new_messages: r.entries_new as u32,
            new_events: r.events_new as u32,
            refused: r.outbox_refused,
            finished_at: when(now),
        })
    }

    fn inbox(&self, q: &InboxQuery) -> Result<Vec<InboxRow>, DeskError> {
        let ws = self.ws()?;
        let filter = filter_of(&ws, q)?;
        Ok(ws
            .list(&filter, q.text.as_deref())
            .into_iter()
            .map(|r| InboxRow {
                id: r.id.to_string(),
                received: r.received,
                summary: r.title,
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
        let mut ws = self.ws()?;
        let record = ws
            .tip_record(id)
            .cloned()
            .ok_or_else(|| DeskError::NotFound(format!("tip {id}")))?;
        if let Some(why) = &record.unreadable {
            return Err(DeskError::Invalid(format!(
                "tip {id} cannot be opened with your key: {why}"
            )));
        }
        let plaintext = record.plaintext();
        let received = ReceivedTip::from_plaintext(&plaintext);
        let doc: serde_json::Value = serde_json::from_slice(&plaintext).unwrap_or_default();
        let tip = doc.get("tip").cloned().unwrap_or_default();
        let mut report = Vec::new();
        report_fields(&tip, "", &mut report);
        let narrative = tip
            .get("narrative")
            .and_then(|n| n.as_str())
            .map(str::to_owned)
            .unwrap_or_else(|| String::from_utf8_lossy(&plaintext).into_owned());
        let conversation = ws
            .conversation(id)
            .map_err(err)?
            .into_iter()
            .map(|e| ConversationEntry {
                who: e.signer.map(|s| s.name).unwrap_or_else(|| "witness".into()),
                when: e.received,
                text: e.message,
            })
            .collect();
        let st = ws.state(id);
        let history = ws
            .history(id)
            .map_err(err)?
            .into_iter()
            .map(|h| HistoryRow {
                who: h.who,
                when: when(h.at),
                what: h.what.join("; "),
                verified: h.verified,
                refusal: h.refusal,
            })
            .collect();
        let view = TipView {
            id: id.to_string(),
            received: record.received.clone(),
            language: tip
                .get("language")
                .and_then(|l| l.as_str())
                .map(str::to_owned),
            report,
            narrative,
            warnings: received
                .warnings
                .iter()
                .map(|w| match w.field.as_str() {
                    "" => w.problem.clone(),
                    f => format!("{f}: {}", w.problem),
                })
                .chain(record.sealed_by_server.then(|| {
                    "sealed by the server (sent without JavaScript): the server saw this \
                     tip's text as it arrived"
                        .to_owned()
                }))
                .collect(),
            attachments: received
                .attachments
                .iter()
                .enumerate()
                .map(|(i, a)| AttachmentInfo {
                    index: i as u32,
                    name: a.name.to_string(),
                    mime: a.media_type.to_string(),
                    size: a.size,
                })
                .collect(),
            conversation,
            triage: TriageState {
                status: st.status.as_str().into(),
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
                        when: when(n.at),
                        text: n.text.as_str().to_owned(),
                    })
                    .collect(),
            },
            next_statuses: ALL_STATUSES
                .iter()
                .filter(|s| st.status.may_become(**s))
                .map(|s| s.as_str().to_owned())
                .collect(),
            history,
        };
        ws.mark_read(id).map_err(err)?;
        Ok(view)
    }

    fn attachment(&self, id: TipId, index: u32) -> Result<AttachmentBytes, DeskError> {
        let ws = self.ws()?;
        let record = ws
            .tip_record(id)
            .ok_or_else(|| DeskError::NotFound(format!("tip {id}")))?;
        let received = ReceivedTip::from_plaintext(&record.plaintext());
        let meta = received
            .attachments
            .get(index as usize)
            .ok_or_else(|| DeskError::NotFound(format!("attachment {index} of tip {id}")))?;
        let bytes = ws
            .attachment(id, index)
            .map_err(err)?
            .ok_or_else(|| DeskError::NotFound(format!("attachment {index} of tip {id}")))?;
        Ok(AttachmentBytes {
            mime: meta.media_type.to_string(),
            name: meta.name.to_string(),
            bytes: bytes.to_vec(),
        })
    }

    fn triage(&self, ids: &[TipId], r: &TriageRequest) -> Result<Vec<TriageOutcome>, DeskError> {
        let mut ws = self.ws()?;
        let request = ChangeRequest {
            status: r.status.clone(),
            add_labels: r.add_labels.clone(),
            remove_labels: r.remove_labels.clone(),
            assign: r.assign.clone(),
            note: r.note.clone(),
            star: r.star,
            remind: r.remind.clone(),
            grade: r.grade.clone(),
        };
        let changes = ws.changes(&request).map_err(DeskError::Invalid)?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let (ok, refusal, notices) = match ws.triage(*id, changes.clone()) {
                // A label new to the team's vocabulary says so.
                Ok(Outcome::Applied { notices, .. }) => (true, None, notices),
                // Kept in the store's outbox; the next sync sends it (and re-checks it).
                Ok(Outcome::Queued { .. }) => (
                    true,
                    None,
                    vec![
                        "the server cannot be reached: the change is kept on this machine \
                         and sent by the next Sync"
                            .into(),
                    ],
                ),
                Ok(Outcome::Refused { reason }) => (false, Some(reason), Vec::new()),
                Err(e) => (false, Some(e.to_string()), Vec::new()),
            };
            out.push(TriageOutcome {
                id: id.to_string(),
                ok,
                refusal,
                notices,
            });
        }
        Ok(out)
    }

    fn reply(&self, id: TipId, text: &str, files: Vec<ReplyFile>) -> Result<(), DeskError> {
        let mut ws = self.ws()?;
        let files: Vec<(String, String, Vec<u8>)> = files
            .into_iter()
            .map(|f| (f.name, f.mime, f.bytes))
            .collect();
        ws.reply(id, text, &files).map_err(err)?;
        ws.sync(&mut |_| {}).map_err(err)?;
        Ok(())
    }

    fn history(&self, id: TipId) -> Result<Vec<HistoryRow>, DeskError> {
        let ws = self.ws()?;
        Ok(ws
            .history(id)
            .map_err(err)?
            .into_iter()
            .map(|h| HistoryRow {
                who: h.who,
                when: when(h.at),
                what: h.what.join("; "),
                verified: h.verified,
                refusal: h.refusal,
            })
            .collect())
    }

    fn vocabulary(&self) -> Result<Vec<String>, DeskError> {
        let ws = self.ws()?;
        Ok(ws
            .vocabulary()
            .labels
            .iter()
            .map(|l| l.as_str().to_owned())
            .collect())
    }

    fn reviewers(&self) -> Result<Vec<String>, DeskError> {
        Ok(self.ws()?.reviewers())
    }

    fn cases(&self) -> Result<Vec<CaseRow>, DeskError> {
        live_cases::cases(&*self.ws()?)
    }

    fn case(&self, id: &str) -> Result<CaseView, DeskError> {
        live_cases::case(&*self.ws()?, id)
    }

    fn case_action(&self, id: &str, action: &CaseAction) -> Result<CaseOutcome, DeskError> {
        live_cases::act(&mut *self.ws()?, id, action)
    }

    fn export_plan(
        &self,
        id: &str,
        format: &str,
        redact: bool,
    ) -> Result<ExportPlanView, DeskError> {
        live_cases::export_plan(&*self.ws()?, id, format, redact)
    }

    fn export(&self, id: &str, request: &ExportRequest) -> Result<ExportDone, DeskError> {
        live_cases::export(&*self.ws()?, id, request)
    }

    fn figures(&self, q: &InboxQuery) -> Result<Figures, DeskError> {
        let ws = self.ws()?;
        let filter = filter_of(&ws, q)?;
        let ids: Vec<TipId> = ws
            .list(&filter, q.text.as_deref())
            .iter()
            .map(|r| r.id)
            .collect();
        ws.figures(None, Some(&ids)).map_err(err)
    }
}
