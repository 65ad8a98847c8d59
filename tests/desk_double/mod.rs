//! A test double of `DeskBackend`: fixed, generated tips held in memory, with triage that
//! really changes them (so a test can see that a change made in the UI reached the
//! backend). It is NOT the reviewer's data: the desk's own tests use it to check the desk
//! (its HTTP security, its UI), and `examples/desk_demo.rs` serves it for the browser test.
//! Wave 2 implements `DeskBackend` over the real store; nothing here is shipped.

#![allow(dead_code)]

use std::sync::Mutex;

use tipseal::desk::model::{
    AttachmentBytes, AttachmentInfo, ConversationEntry, HistoryRow, InboxQuery, InboxRow, Me, Note,
    ReplyFile, ReportField, SyncReport, TipView, TriageOutcome, TriageRequest, TriageState,
};
use tipseal::desk::{DeskBackend, DeskError};
use tipseal::domain::TipId;

/// A 1×1 PNG (a red pixel).
pub const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x00, 0x00, 0x00, 0x90, 0x77, 0x53,
    0xde, 0x00, 0x00, 0x00, 0x0c, 0x49, 0x44, 0x41, 0x54, 0x08, 0xd7, 0x63, 0xf8, 0xcf, 0xc0, 0x00,
    0x00, 0x03, 0x01, 0x01, 0x00, 0x18, 0xdd, 0x8d, 0xb0, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e,
    0x44, 0xae, 0x42, 0x60, 0x82,
];

/// An SVG that would run script if it were shown as a page.
pub const SVG: &[u8] = b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>";

/// The legal next statuses: the domain's table (`domain::triage::Status::may_become`),
/// copied as strings so that the double stays a double.
pub fn next_statuses(status: &str) -> &'static [&'static str] {
    match status {
        "new" => &["in_review", "dismissed"],
        "in_review" => &["needs_information", "dismissed"],
        "needs_information" => &["corroborated", "dismissed"],
        "corroborated" => &["referred", "dismissed"],
        "referred" => &["closed", "dismissed"],
        "closed" | "dismissed" => &["in_review"],
        _ => &[],
    }
}

struct Tip {
    id: TipId,
    received: String,
    language: String,
    sector: String,
    country: String,
    city: String,
    narrative: String,
    attachments: Vec<(String, String, Vec<u8>)>,
    conversation: Vec<ConversationEntry>,
    triage: TriageState,
    unread: bool,
    history: Vec<HistoryRow>,
}

struct State {
    tips: Vec<Tip>,
    vocabulary: Vec<String>,
    replies: Vec<(String, String, usize)>,
}

/// The double. `log` receives one line per change (the demo prints them).
pub struct FixedDesk {
    state: Mutex<State>,
    log: Box<dyn Fn(&str) + Send + Sync>,
}

const SECTORS: &[&str] = &[
    "construction",
    "fishing",
    "agriculture",
    "factory",
    "domestic",
];
const PLACES: &[(&str, &str)] = &[
    ("RU", "Vladivostok"),
    ("CN", "Dandong"),
    ("AE", "Dubai"),
    ("PL", "Gdańsk"),
    ("MN", "Ulaanbaatar"),
];

impl FixedDesk {
    /// `n` generated tips (n ≥ 3: the first three are a Korean, an Arabic and an English
    /// tip with attachments and a conversation).
    pub fn new(n: usize, log: Box<dyn Fn(&str) + Send + Sync>) -> Self {
        let mut tips = Vec::with_capacity(n);
        for i in 0..n {
            let mut id = [0u8; 16];
            id[8..].copy_from_slice(&(i as u64 + 1).to_be_bytes());
            let (country, city) = PLACES[i % PLACES.len()];
            let (language, narrative) = match i {
                0 => ("ko", "건설장에서 하루 16시간 일하며 려권을 빼앗겼습니다. 로임은 석달째 받지 못했습니다.".to_string()),
                1 => ("ar", "نعمل في الميناء بدون أجر منذ شهرين وجوازات سفرنا محتجزة.".to_string()),
                _ => ("en", format!("Report {i}: workers at site {i} are not paid; passports held by the agent.")),
            };
            let attachments = if i == 0 {
                vec![
                    (
                        "site.png".to_string(),
                        "image/png".to_string(),
                        PNG.to_vec(),
                    ),
                    (
                        "plan.svg".to_string(),
                        "image/svg+xml".to_string(),
                        SVG.to_vec(),
                    ),
                ]
            } else if i % 7 == 0 {
                vec![(
                    "photo.png".to_string(),
                    "image/png".to_string(),
                    PNG.to_vec(),
                )]
            } else {
                Vec::new()
            };
            let status = ["new", "in_review", "needs_information", "corroborated"][(i / 3) % 4];
            tips.push(Tip {
                id: TipId::from_bytes(id),
                received: format!(
                    "2026-11-{:02}T{:02}:{:02}:00Z",
                    28 - (i / 500) % 28,
                    (i / 60) % 24,
                    i % 60
                ),
                language: language.to_string(),
                sector: SECTORS[i % SECTORS.len()].to_string(),
                country: country.to_string(),
                city: city.to_string(),
                narrative,
                attachments,
                conversation: if i < 3 {
                    vec![ConversationEntry {
                        who: "witness".into(),
                        when: "2026-11-28T10:00:00Z".into(),
                        text: "Are you there?".into(),
                    }]
                } else {
                    Vec::new()
                },
                triage: TriageState {
                    status: status.to_string(),
                    labels: if i % 5 == 0 {
                        vec!["wages".to_string()]
                    } else {
                        Vec::new()
                    },
                    assignee: if i % 4 == 1 {
                        Some("min-ji".to_string())
                    } else {
                        None
                    },
                    starred: i % 11 == 0,
                    reminder: None,
                    grade: None,
                    notes: Vec::new(),
                },
                unread: i % 3 != 2,
                history: Vec::new(),
            });
        }
        Self {
            state: Mutex::new(State {
                tips,
                vocabulary: vec!["wages".into(), "passports".into(), "urgent".into()],
                replies: Vec::new(),
            }),
            log,
        }
    }

    /// The replies sent so far: (tip id, text, number of files).
    pub fn replies(&self) -> Vec<(String, String, usize)> {
        self.lock().replies.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn find(tips: &mut [Tip], id: TipId) -> Result<&mut Tip, DeskError> {
    tips.iter_mut()
        .find(|t| t.id == id)
        .ok_or_else(|| DeskError::NotFound(format!("tip {id}")))
}

fn row(t: &Tip) -> InboxRow {
    InboxRow {
        id: t.id.to_string(),
        received: t.received.clone(),
        summary: t.narrative.chars().take(80).collect(),
        status: t.triage.status.clone(),
        labels: t.triage.labels.clone(),
        assignee: t.triage.assignee.clone(),
        starred: t.triage.starred,
        unread: t.unread,
        sector: Some(t.sector.clone()),
        country: Some(t.country.clone()),
        city: Some(t.city.clone()),
        attachments: t.attachments.len() as u32,
        reminder: t.triage.reminder.clone(),
    }
}

fn matches(t: &Tip, q: &InboxQuery) -> bool {
    let eq = |want: &Option<String>, have: &str| {
        want.as_deref().is_none_or(|w| w.is_empty() || w == have)
    };
    q.text.as_deref().is_none_or(|s| {
        s.is_empty() || t.narrative.to_lowercase().contains(&s.to_lowercase())
    }) && eq(&q.status, &t.triage.status)
        && q.label.as_deref().is_none_or(|l| l.is_empty() || t.triage.labels.iter().any(|x| x == l))
        // The empty string asks for the unassigned tips.
        && q.assignee.as_deref().is_none_or(|a| a == t.triage.assignee.as_deref().unwrap_or(""))
        && q.starred.is_none_or(|s| s == t.triage.starred)
        && eq(&q.sector, &t.sector)
        && eq(&q.country, &t.country)
        && eq(&q.city, &t.city)
        && q.from.as_deref().is_none_or(|d| t.received.as_str() >= d)
        && q.to.as_deref().is_none_or(|d| t.received[..10] <= *d)
        && q.has_attachments.is_none_or(|a| a != t.attachments.is_empty())
        && q.unread.is_none_or(|u| u == t.unread)
        && q.reminder_due.is_none_or(|r| !r || t.triage.reminder.as_deref().is_some_and(|d| d <= "2026-11-29"))
}

impl DeskBackend for FixedDesk {
    fn me(&self) -> Result<Me, DeskError> {
        Ok(Me {
            name: "reviewer".into(),
            key_id: "00".repeat(16),
        })
    }

    fn sync(&self) -> Result<SyncReport, DeskError> {
        Ok(SyncReport {
            finished_at: "2026-11-29T12:00:00Z".into(),
            ..SyncReport::default()
        })
    }

    fn inbox(&self, query: &InboxQuery) -> Result<Vec<InboxRow>, DeskError> {
        Ok(self
            .lock()
            .tips
            .iter()
            .filter(|t| matches(t, query))
            .map(row)
            .collect())
    }

    fn tip(&self, id: TipId) -> Result<TipView, DeskError> {
        let mut st = self.lock();
        let t = find(&mut st.tips, id)?;
        t.unread = false;
        Ok(TipView {
            id: t.id.to_string(),
            received: t.received.clone(),
            language: Some(t.language.clone()),
            report: vec![
                ReportField {
                    key: "worksite.sector".into(),
                    value: t.sector.clone(),
                },
                ReportField {
                    key: "worksite.country".into(),
                    value: t.country.clone(),
                },
                ReportField {
                    key: "worksite.city".into(),
                    value: t.city.clone(),
                },
                ReportField {
                    key: "workers.count".into(),
                    value: "40".into(),
                },
            ],
            narrative: t.narrative.clone(),
            warnings: Vec::new(),
            attachments: t
                .attachments
                .iter()
                .enumerate()
                .map(|(i, (name, mime, bytes))| AttachmentInfo {
                    index: i as u32,
                    name: name.clone(),
                    mime: mime.clone(),
                    size: bytes.len() as u64,
                })
                .collect(),
            conversation: t.conversation.clone(),
            triage: t.triage.clone(),
            next_statuses: next_statuses(&t.triage.status)
                .iter()
                .map(|s| s.to_string())
                .collect(),
            history: t.history.clone(),
        })
    }

    fn attachment(&self, id: TipId, index: u32) -> Result<AttachmentBytes, DeskError> {
        let mut st = self.lock();
        let t = find(&mut st.tips, id)?;
        let (name, mime, bytes) = t
            .attachments
            .get(index as usize)
            .ok_or_else(|| DeskError::NotFound(format!("attachment {index} of tip {id}")))?;
        Ok(AttachmentBytes {
            mime: mime.clone(),
            name: name.clone(),
            bytes: bytes.clone(),
        })
    }

    fn triage(&self, ids: &[TipId], r: &TriageRequest) -> Result<Vec<TriageOutcome>, DeskError> {
        let mut st = self.lock();
        let mut out = Vec::new();
        for id in ids {
            let t = match find(&mut st.tips, *id) {
                Ok(t) => t,
                Err(e) => {
                    out.push(TriageOutcome {
                        id: id.to_string(),
                        ok: false,
                        refusal: Some(e.to_string()),
                        notices: Vec::new(),
                    });
                    continue;
                }
            };
            if let Some(s) = &r.status {
                if !next_statuses(&t.triage.status).contains(&s.as_str()) {
                    out.push(TriageOutcome {
                        id: id.to_string(),
                        ok: false,
                        notices: Vec::new(),
                        refusal: Some(format!(
                            "{} → {s} is not a legal transition",
                            t.triage.status
                        )),
                    });
                    continue;
                }
                t.history.push(HistoryRow {
                    who: "reviewer".into(),
                    when: "2026-11-29T12:00:00Z".into(),
                    what: format!("status: {} → {s}", t.triage.status),
                    verified: true,
                    refusal: None,
                });
                t.triage.status = s.clone();
            }
            for l in &r.add_labels {
                if !t.triage.labels.contains(l) {
                    t.triage.labels.push(l.clone());
                }
            }
            t.triage.labels.retain(|l| !r.remove_labels.contains(l));
            if let Some(a) = &r.assign {
                t.triage.assignee = (!a.is_empty()).then(|| a.clone());
            }
            if let Some(n) = &r.note {
                t.triage.notes.push(Note {
                    who: "reviewer".into(),
                    when: "2026-11-29T12:00:00Z".into(),
                    text: n.clone(),
                });
            }
            if let Some(s) = r.star {
                t.triage.starred = s;
            }
            if let Some(d) = &r.remind {
                t.triage.reminder = (!d.is_empty()).then(|| d.clone());
            }
            if let Some(g) = &r.grade {
                t.triage.grade = Some(g.clone());
            }
            (self.log)(&format!(
                "triage {id} {}",
                serde_json::to_string(r).unwrap_or_default()
            ));
            out.push(TriageOutcome {
                id: id.to_string(),
                ok: true,
                refusal: None,
                notices: Vec::new(),
            });
        }
        for l in &r.add_labels {
            if !st.vocabulary.contains(l) {
                st.vocabulary.push(l.clone());
            }
        }
        Ok(out)
    }

    fn reply(&self, id: TipId, text: &str, files: Vec<ReplyFile>) -> Result<(), DeskError> {
        let mut st = self.lock();
        let t = find(&mut st.tips, id)?;
        t.conversation.push(ConversationEntry {
            who: "reviewer".into(),
            when: "2026-11-29T12:00:00Z".into(),
            text: text.to_string(),
        });
        st.replies
            .push((id.to_string(), text.to_string(), files.len()));
        (self.log)(&format!("reply {id} {} file(s)", files.len()));
        Ok(())
    }

    fn history(&self, id: TipId) -> Result<Vec<HistoryRow>, DeskError> {
        let mut st = self.lock();
        Ok(find(&mut st.tips, id)?.history.clone())
    }

    fn vocabulary(&self) -> Result<Vec<String>, DeskError> {
        Ok(self.lock().vocabulary.clone())
    }

    fn reviewers(&self) -> Result<Vec<String>, DeskError> {
        Ok(vec!["reviewer".into(), "min-ji".into(), "omar".into()])
    }
}
