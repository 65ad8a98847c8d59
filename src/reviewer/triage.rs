//! The team's casework on this machine: triage event logs kept verified in the local
//! store, folded into each tip's state and the team vocabulary, and new decisions
//! appended to the server at the expected sequence.
//!
//! An append that meets a newer event (409) fetches it, verifies it, folds it, and checks
//! again that the change is still legal before retrying; when it is not (a colleague
//! closed the tip first), the caller is told why — never silently lost, never silently
//! applied. A change made while the server cannot be reached is queued in the store's
//! outbox and sent, with the same checks, by the next sync.
//!
//! Must never: store an event that did not verify except as a refusal with its reason,
//! fold a refused event, or send a change the fold refuses.

use serde::{Deserialize, Serialize};

use crate::crypto::triage::{chain_hash, seal_signed, sign_event, verify_opened, OpenedEvent};
use crate::domain::triage::{
    Change, EventBody, LogRef, SignedEventBytes, TeamVocabulary, TriageState, EVENT_VERSION,
};
use crate::domain::{Epoch, KeyId, TipId};

use super::local::{self, FEED_CURSOR};
use super::store::{table, Table};
use super::sync::{Progress, SyncReport};
use super::workspace::{AppendResult, Workspace, WorkspaceError};

/// How many times a change meets a newer event and is merged before giving up.
const MAX_ATTEMPTS: usize = 8;

/// One stored event: its signed bytes (so the chain and signatures can be checked again
/// whenever the log grows) and the verdict.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LocalEvent {
    /// Position in its log.
    pub seq: u32,
    /// Signature and body, base64.
    pub signed: String,
    /// Epoch its wrap was sealed to.
    pub wrap_epoch: u32,
    /// Why verification refused it; `None` when it verified.
    pub refused: Option<String>,
}

/// What became of a triage request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// Appended as event `seq` of the tip's log.
    Applied {
        /// Its seq.
        seq: u32,
        /// Things the reviewer should know (a label added to the vocabulary …).
        notices: Vec<String>,
    },
    /// The server could not be reached: kept in the outbox for the next sync.
    Queued {
        /// Things the reviewer should know.
        notices: Vec<String>,
    },
    /// Not applied, and why (e.g. a colleague moved the status first).
    Refused {
        /// Why, in words.
        reason: String,
    },
}

/// One line of a tip's history.
#[derive(Clone, Debug, Serialize)]
pub struct HistoryRow {
    /// Position in the log.
    pub seq: u32,
    /// The author's name on the keyring (their key id when not on it).
    pub who: String,
    /// When, UTC seconds (the author's clock).
    pub at: i64,
    /// What changed, in words.
    pub what: Vec<String>,
    /// Whether the event verified.
    pub verified: bool,
    /// Why it was refused (verification, or a change the rules did not apply).
    pub refusal: Option<String>,
}

/// A triage request as a face receives it (strings, as typed): every field optional;
/// [`Workspace::changes`] checks and turns it into changes.
#[derive(Clone, Debug, Default)]
pub struct ChangeRequest {
    /// A new status (`in_review` …).
    pub status: Option<String>,
    /// Labels to add.
    pub add_labels: Vec<String>,
    /// Labels to remove.
    pub remove_labels: Vec<String>,
    /// A reviewer's name (or key id) on the keyring; `""` unassigns.
    pub assign: Option<String>,
    /// A note.
    pub note: Option<String>,
    /// Star or unstar.
    pub star: Option<bool>,
    /// A reminder day `YYYY-MM-DD`; `""` clears it.
    pub remind: Option<String>,
    /// A grade (`A2`); `""` clears it.
    pub grade: Option<String>,
}

/// Parses a status name, or says which there are.
pub fn parse_status(s: &str) -> Result<crate::domain::triage::Status, String> {
    serde_json::from_value(serde_json::Value::String(s.trim().to_lowercase())).map_err(|_| {
        format!(
            "no status {s:?}: use new, in_review, needs_information, corroborated, referred, \
             closed or dismissed"
        )
    })
}

/// UTC seconds as `YYYY-MM-DD HH:MM UTC` (how faces show an event's time).
pub fn utc_minute(at: i64) -> String {
    let secs = at.rem_euclid(86_400);
    format!(
        "{} {:02}:{:02} UTC",
        crate::domain::Day::from_days(at.div_euclid(86_400)),
        secs / 3600,
        secs % 3600 / 60
    )
}

/// A change queued offline.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Queued {
    tip: TipId,
    changes: Vec<Change>,
}

/// The name of a log in the store's keys (a tip id is no secret; "team" is fixed).
pub(super) fn log_name(log: LogRef) -> String {
    match log {
        LogRef::Tip(id) => id.to_string(),
        LogRef::Team => "team".into(),
    }
}

impl Workspace {
    /// A tip's folded state (the default for a tip nobody triaged).
    pub fn state(&self, id: TipId) -> TriageState {
        self.states.get(&id).cloned().unwrap_or_default()
    }

    /// The team vocabulary.
    pub fn vocabulary(&self) -> &TeamVocabulary {
        &self.vocabulary
    }

    /// The stored events of `log`, in order.
    pub(super) fn stored_events(&self, log: LogRef) -> Result<Vec<LocalEvent>, WorkspaceError> {
        let rows = self
            .store
            .scan_prefix(Table::Events, &table::event_log(&log_name(log)))?;
        rows.into_iter()
            .map(|(k, v)| serde_json::from_slice(&v).map_err(|_| self.bad_row(&k)))
            .collect()
    }

    /// Folds `log` from the store into memory.
    pub(super) fn fold(&mut self, log: LogRef) -> Result<(), WorkspaceError> {
        let events = self.stored_events(log)?;
        self.fold_events(log, &events);
        Ok(())
    }

    fn fold_events(&mut self, log: LogRef, events: &[LocalEvent]) {
        if events.iter().any(|e| e.signed.is_empty()) {
            self.unopened_logs.insert(log);
        } else {
            self.unopened_logs.remove(&log);
        }
        let bodies = events
            .iter()
            .filter(|e| e.refused.is_none())
            .filter_map(|e| signed_of(e).and_then(|s| s.body().ok()));
        match log {
            LogRef::Tip(id) => {
                let mut st = TriageState::default();
                for b in bodies {
                    st.apply(&b);
                }
                self.states.insert(id, st);
            }
            LogRef::Team => {
                let mut v = TeamVocabulary::default();
                for b in bodies {
                    v.apply(&b);
                }
                self.vocabulary = v;
            }
        }
    }

    /// Fetches the events of `log` after the stored ones, verifies them with the stored
    /// ones before them, and stores each (one batch per event). Returns how many.
    pub(super) fn pull_log(
        &mut self,
        log: LogRef,
        report: &mut SyncReport,
    ) -> Result<usize, WorkspaceError> {
        let mut stored = self.stored_events(log)?;
        // Events this key could not open (no grant for their epoch then) are fetched
        // again: a re-wrap may have moved them to an epoch it holds.
        if let Some(first) = stored.iter().position(|e| e.signed.is_empty()) {
            stored.truncate(first);
        }
        let from = stored.len() as u32;
        let blobs = {
            let c = self.online()?;
            c.events(log, from)?
        };
        if blobs.is_empty() {
            return Ok(0);
        }
        let (keyring, me) = (&self.online()?.keyring, &self.me);
        let mut opened: Vec<Option<OpenedEvent>> = stored.iter().map(opened_of).collect();
        for b in &blobs {
            opened.push(crate::crypto::triage::open_event(b, keyring, me).ok());
        }
        let verdicts = verify_opened(log, &opened, keyring);
        let name = log_name(log);
        for (i, verdict) in verdicts.into_iter().enumerate().skip(stored.len()) {
            let row = LocalEvent {
                seq: i as u32,
                signed: opened[i]
                    .as_ref()
                    .map(|o| local::b64(&o.signed.to_bytes()))
                    .unwrap_or_default(),
                wrap_epoch: opened[i].as_ref().map_or(0, |o| o.wrap_epoch.get()),
                refused: verdict.err().map(|r| format!("event {i} {r}")),
            };
            if row.refused.is_some() {
                report.events_refused += 1;
            }
            self.store.put(
                Table::Events,
                &table::event(&name, u64::from(row.seq)),
                &local::to_json(&row),
            )?;
            report.events_new += 1;
        }
        self.fold(log)?;
        Ok(blobs.len())
    }

    /// Follows the server's event feed from the stored cursor: pulls each log it names,
    /// then moves the cursor (after the events, so a crash re-pulls, never skips).
    pub(super) fn sync_events(
        &mut self,
        report: &mut SyncReport,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<(), WorkspaceError> {
        loop {
            let after = self
                .store
                .get(Table::Meta, FEED_CURSOR)?
                .and_then(|v| <[u8; 8]>::try_from(&v[..]).ok())
                .map_or(0, u64::from_be_bytes);
            let (logs, next) = self.online()?.feed(after)?;
            if logs.is_empty() {
                return self.retry_unopened(report);
            }
            let mut seen = Vec::new();
            for log in logs {
                if !seen.contains(&log) {
                    seen.push(log);
                    self.pull_log(log, report)?;
                }
            }
            self.store
                .put(Table::Meta, FEED_CURSOR, &next.to_be_bytes())?;
            progress(Progress::Events {
                stored: report.events_new,
            });
        }
    }

    /// Pulls again the logs holding events this key could not open (a re-wrap does not
    /// show in the feed).
    fn retry_unopened(&mut self, report: &mut SyncReport) -> Result<(), WorkspaceError> {
        let logs: Vec<LogRef> = self.unopened_logs.iter().copied().collect();
        for log in logs {
            self.pull_log(log, report)?;
        }
        Ok(())
    }

    /// Applies `changes` to tip `id` as one event (see the module doc). Labels new to
    /// the team vocabulary are added to it first, with a notice.
    pub fn triage(&mut self, id: TipId, changes: Vec<Change>) -> Result<Outcome, WorkspaceError> {
        if !self.tips.contains_key(&id) {
            return Err(WorkspaceError::UnknownTip(id));
        }
        if changes.is_empty() {
            return Err(WorkspaceError::Refused(
                "nothing to change: give at least one of --status, --label, --unlabel, \
                 --assign, --note, --star, --unstar, --remind, --grade"
                    .into(),
            ));
        }
        if self.online.is_none() {
            return self.queue(id, changes);
        }
        match self.append_checked(id, changes.clone()) {
            Err(e) if e.is_unreachable() => self.queue(id, changes),
            other => other,
        }
    }

    fn queue(&mut self, id: TipId, changes: Vec<Change>) -> Result<Outcome, WorkspaceError> {
        // Checked against what this machine knows now; checked again when sent.
        let mut st = self.state(id);
        let probe = body(LogRef::Tip(id), 0, [0; 32], Epoch::FIRST, changes.clone());
        if let Some(r) = st.apply(&probe).into_iter().next() {
            return Err(WorkspaceError::Refused(r.reason));
        }
        let next = self
            .store
            .scan_prefix(Table::Outbox, b"")?
            .last()
            .and_then(|(k, _)| table::seq_of(k))
            .map_or(0, |s| s + 1);
        let q = Queued { tip: id, changes };
        self.store
            .put(Table::Outbox, &next.to_be_bytes(), &local::to_json(&q))?;
        Ok(Outcome::Queued {
            notices: vec!["queued; run `tipseal review sync` when online".into()],
        })
    }

    /// Sends the outbox in order; each sent or refused change leaves it in the same
    /// batch as nothing else (a crash before the delete resends it, at the log's next
    /// seq after re-checking it against the fold).
    pub(super) fn send_outbox(&mut self, report: &mut SyncReport) -> Result<(), WorkspaceError> {
        for (k, v) in self.store.scan_prefix(Table::Outbox, b"")? {
            let q: Queued = serde_json::from_slice(&v).map_err(|_| self.bad_row(&k))?;
            let outcome = match self.append_checked(q.tip, q.changes) {
                Err(e) if e.is_unreachable() => return Ok(()),
                other => other?,
            };
            match outcome {
                Outcome::Applied { .. } => report.outbox_sent += 1,
                Outcome::Refused { reason } => report
                    .outbox_refused
                    .push(format!("tip {}: {reason}", q.tip)),
                Outcome::Queued { .. } => return Ok(()),
            }
            self.store.delete(Table::Outbox, &k)?;
        }
        Ok(())
    }

    /// Changes queued offline, oldest first.
    pub fn outbox_len(&self) -> Result<usize, WorkspaceError> {
        Ok(self.store.scan_prefix(Table::Outbox, b"")?.len())
    }

    fn append_checked(
        &mut self,
        id: TipId,
        changes: Vec<Change>,
    ) -> Result<Outcome, WorkspaceError> {
        let mut notices = Vec::new();
        let mut scratch = SyncReport::default();
        // Labels the team has not defined yet go into the vocabulary first.
        self.pull_log(LogRef::Team, &mut scratch)?;
        let new_labels: Vec<Change> = changes
            .iter()
            .filter_map(|c| match c {
                Change::AddLabel { label } if !self.vocabulary.labels.contains(label) => {
                    Some(Change::DefineLabel {
                        label: label.clone(),
                    })
                }
                _ => None,
            })
            .collect();
        if !new_labels.is_empty() {
            for c in &new_labels {
                if let Change::DefineLabel { label } = c {
                    notices.push(format!(
                        "\"{}\" is new to the team's labels: added to the vocabulary",
                        label.as_str()
                    ));
                }
            }
            if let Outcome::Refused { reason } = self.append_log(LogRef::Team, new_labels)? {
                return Ok(Outcome::Refused { reason });
            }
        }
        Ok(match self.append_log(LogRef::Tip(id), changes)? {
            Outcome::Applied { seq, .. } => Outcome::Applied { seq, notices },
            other => other,
        })
    }

    /// Appends one event with `changes` to `log`: pull, fold, check, seal, append at the
    /// next seq; on a conflict, again.
    pub(super) fn append_log(
        &mut self,
        log: LogRef,
        changes: Vec<Change>,
    ) -> Result<Outcome, WorkspaceError> {
        let mut scratch = SyncReport::default();
        for _ in 0..MAX_ATTEMPTS {
            self.pull_log(log, &mut scratch)?;
            let stored = self.stored_events(log)?;
            let seq = stored.len() as u32;
            let prev = stored
                .last()
                .and_then(signed_of)
                .map_or([0u8; 32], |s| chain_hash(&s));
            let epoch = self.online()?.keyring.epoch();
            let ev = body(log, seq, prev, epoch, changes.clone());
            let refused = match log {
                LogRef::Tip(id) => self.state(id).apply(&ev),
                LogRef::Team => self.vocabulary.clone().apply(&ev),
            };
            if let Some(r) = refused.into_iter().next() {
                return Ok(Outcome::Refused {
                    reason: format!("not applied: {}", r.reason),
                });
            }
            let signed = sign_event(&self.me, ev)?;
            let c = self.online()?;
            let sealed = seal_signed(&signed, epoch, &c.keyring.intake_public_key())?;
            let deletes = changes
                .iter()
                .any(|c| matches!(c, Change::DeleteTip { .. }));
            match c.append(log, seq, deletes, &sealed)? {
                AppendResult::Appended => {
                    let row = LocalEvent {
                        seq,
                        signed: local::b64(&signed.to_bytes()),
                        wrap_epoch: epoch.get(),
                        refused: None,
                    };
                    self.store.put(
                        Table::Events,
                        &table::event(&log_name(log), u64::from(seq)),
                        &local::to_json(&row),
                    )?;
                    self.fold(log)?;
                    return Ok(Outcome::Applied {
                        seq,
                        notices: Vec::new(),
                    });
                }
                AppendResult::Conflict => continue,
            }
        }
        Ok(Outcome::Refused {
            reason: format!(
                "others kept changing this tip at the same time ({MAX_ATTEMPTS} tries): \
                 run the command again"
            ),
        })
    }

    /// Records the decision to delete tip `id` (a DeleteTip event), then asks the server
    /// to delete its content; the sealed log stays. Online only: a deletion is not queued.
    pub fn delete_tip(
        &mut self,
        id: TipId,
        reason: crate::domain::triage::NoteText,
    ) -> Result<Outcome, WorkspaceError> {
        if !self.tips.contains_key(&id) {
            return Err(WorkspaceError::UnknownTip(id));
        }
        let outcome = self.append_log(LogRef::Tip(id), vec![Change::DeleteTip { reason }])?;
        if let Outcome::Applied { .. } = outcome {
            self.online()?.delete_tip(id)?;
            self.forget_tip(id)?;
        }
        Ok(outcome)
    }

    /// The changes `r` asks for, each checked (a name on the keyring, a day, a grade …);
    /// the first problem is returned in words.
    pub fn changes(&self, r: &ChangeRequest) -> Result<Vec<Change>, String> {
        use crate::domain::triage::{Grade, Label, NoteText};
        use crate::domain::Day;
        let mut out = Vec::new();
        if let Some(s) = &r.status {
            out.push(Change::SetStatus {
                status: parse_status(s)?,
            });
        }
        let label =
            |s: &str| Label::parse(s).map_err(|e| format!("the label {s:?} is refused: {e}"));
        for l in &r.add_labels {
            out.push(Change::AddLabel { label: label(l)? });
        }
        for l in &r.remove_labels {
            out.push(Change::RemoveLabel { label: label(l)? });
        }
        if let Some(name) = &r.assign {
            let to = match name.trim() {
                "" => None,
                name => Some(self.reviewer_named(name)?),
            };
            out.push(Change::Assign { to });
        }
        if let Some(n) = &r.note {
            let text = NoteText::parse(n).map_err(|e| format!("the note is refused: {e}"))?;
            out.push(Change::Note { text });
        }
        if let Some(on) = r.star {
            out.push(Change::Star { on });
        }
        if let Some(d) = &r.remind {
            let on = match d.trim() {
                "" => None,
                d => Some(
                    Day::parse(d)
                        .map_err(|_| format!("a reminder is a day as YYYY-MM-DD, not {d:?}"))?,
                ),
            };
            out.push(Change::Remind { on });
        }
        if let Some(g) = &r.grade {
            let grade = match g.trim() {
                "" => None,
                g => Some(Grade::parse(g).map_err(|e| format!("the grade is refused: {e}"))?),
            };
            out.push(Change::Grade { grade });
        }
        Ok(out)
    }

    /// Tip `id`'s history, oldest first.
    pub fn history(&self, id: TipId) -> Result<Vec<HistoryRow>, WorkspaceError> {
        let mut st = TriageState::default();
        let mut out = Vec::new();
        for e in self.stored_events(LogRef::Tip(id))? {
            let body = signed_of(&e).and_then(|s| s.body().ok());
            let (who, at, what) = match &body {
                Some(b) => (
                    self.reviewer_name(b.author),
                    b.at,
                    b.changes.iter().map(|c| self.describe(c)).collect(),
                ),
                None => ("?".into(), 0, Vec::new()),
            };
            let refusal = match (&e.refused, &body) {
                (Some(r), _) => Some(r.clone()),
                (None, Some(b)) => {
                    let r = st.apply(b);
                    (!r.is_empty()).then(|| {
                        r.iter()
                            .map(|r| r.reason.clone())
                            .collect::<Vec<_>>()
                            .join("; ")
                    })
                }
                (None, None) => Some("unreadable".into()),
            };
            out.push(HistoryRow {
                seq: e.seq,
                who,
                at,
                what,
                verified: e.refused.is_none(),
                refusal,
            });
        }
        Ok(out)
    }

    /// A reviewer's name on the keyring, or their key id.
    pub fn reviewer_name(&self, id: KeyId) -> String {
        self.keyring()
            .and_then(|k| {
                k.manifests()
                    .iter()
                    .rev()
                    .find_map(|m| m.reviewer(id).map(|p| p.name.as_str().to_owned()))
            })
            .unwrap_or_else(|| id.to_string())
    }

    /// A change in words.
    pub fn describe(&self, c: &Change) -> String {
        match c {
            Change::SetStatus { status } => format!("status → {}", status.as_str()),
            Change::AddLabel { label } => format!("label + {}", label.as_str()),
            Change::RemoveLabel { label } => format!("label − {}", label.as_str()),
            Change::Star { on: true } => "starred".into(),
            Change::Star { on: false } => "unstarred".into(),
            Change::Assign { to: Some(k) } => format!("assigned to {}", self.reviewer_name(*k)),
            Change::Assign { to: None } => "unassigned".into(),
            Change::Note { text } => format!("note: {}", text.as_str()),
            Change::Remind { on: Some(d) } => format!("reminder {d}"),
            Change::Remind { on: None } => "reminder cleared".into(),
            Change::Grade { grade: Some(g) } => format!("grade {g}"),
            Change::Grade { grade: None } => "grade cleared".into(),
            Change::DeleteTip { reason } => format!("deleted: {}", reason.as_str()),
            Change::DefineLabel { label } => format!("vocabulary + {}", label.as_str()),
            Change::RetireLabel { label } => format!("vocabulary − {}", label.as_str()),
            Change::ConfirmCase { case, tips } => {
                format!("case {case} confirmed ({} tips)", tips.len())
            }
            Change::NameCase { case, name } => format!("case {case} named {:?}", name.as_str()),
            Change::DissolveCase { case } => format!("case {case} dissolved"),
            Change::Unknown { kind } => format!("({kind}: from a newer tipseal)"),
        }
    }

    /// Folds every stored log (at open).
    pub(super) fn fold_all(&mut self) -> Result<(), WorkspaceError> {
        // One pass over the whole table (not one scan per tip): rows of a log are
        // adjacent, keyed length ‖ name ‖ seq.
        let mut logs: Vec<(LogRef, Vec<LocalEvent>)> = Vec::new();
        for (k, v) in self.store.scan_prefix(Table::Events, b"")? {
            let log = log_of_key(&k).ok_or_else(|| self.bad_row(&k))?;
            let e: LocalEvent = serde_json::from_slice(&v).map_err(|_| self.bad_row(&k))?;
            match logs.last_mut() {
                Some((l, events)) if *l == log => events.push(e),
                _ => logs.push((log, vec![e])),
            }
        }
        for (log, events) in logs {
            self.fold_events(log, &events);
        }
        Ok(())
    }
}

/// The log an [`table::event`] key belongs to.
fn log_of_key(k: &[u8]) -> Option<LogRef> {
    let len = u32::from_be_bytes(k.get(..4)?.try_into().ok()?) as usize;
    let name = std::str::from_utf8(k.get(4..4 + len)?).ok()?;
    match name {
        "team" => Some(LogRef::Team),
        id => TipId::parse(id).ok().map(LogRef::Tip),
    }
}

fn body(log: LogRef, seq: u32, prev: [u8; 32], epoch: Epoch, changes: Vec<Change>) -> EventBody {
    EventBody {
        v: EVENT_VERSION,
        log,
        seq,
        prev,
        // Set by `sign_event`.
        author: KeyId::from_bytes([0; 16]),
        epoch,
        at: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64),
        changes,
    }
}

pub(super) fn signed_of(e: &LocalEvent) -> Option<SignedEventBytes> {
    SignedEventBytes::parse(&local::unb64(&e.signed)?).ok()
}

fn opened_of(e: &LocalEvent) -> Option<OpenedEvent> {
    Some(OpenedEvent {
        signed: signed_of(e)?,
        wrap_epoch: Epoch::new(e.wrap_epoch).ok()?,
    })
}
