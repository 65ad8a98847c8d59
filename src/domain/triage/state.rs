//! Folding verified events into what a reviewer sees: a tip's [`TriageState`] and the
//! team's [`TeamVocabulary`]. Each change is applied on its own; one the rules refuse is
//! reported as a [`Refused`] and changes nothing.

use super::{Change, EventBody, Grade, KeyId, Label, NoteText, Status};
use crate::domain::Day;

/// A change that was not applied, and why (in words).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refused {
    /// The event's seq.
    pub seq: u32,
    /// Index of the change in the event.
    pub index: usize,
    /// Why it was not applied.
    pub reason: String,
}

/// One note as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    /// Who wrote it.
    pub author: KeyId,
    /// When (author's clock, UTC seconds).
    pub at: i64,
    /// The text.
    pub text: NoteText,
}

/// Where a tip stands after its log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TriageState {
    /// Current status.
    pub status: Status,
    /// When the current status was set (the event's `at`, UTC seconds; `None` while the
    /// tip is new): what the reviewers' retention counts from.
    pub status_since: Option<i64>,
    /// Labels, in the order first added.
    pub labels: Vec<Label>,
    /// Starred.
    pub star: bool,
    /// Who has it.
    pub assignee: Option<KeyId>,
    /// Every note, oldest first.
    pub notes: Vec<Note>,
    /// Reminder day.
    pub reminder: Option<Day>,
    /// Grade.
    pub grade: Option<Grade>,
    /// The reason given when deletion was decided.
    pub deleted: Option<NoteText>,
    /// Change kinds from newer clients that this version could not apply.
    pub unknown: Vec<String>,
}

impl Default for TriageState {
    fn default() -> Self {
        Self {
            status: Status::New,
            status_since: None,
            labels: Vec::new(),
            star: false,
            assignee: None,
            notes: Vec::new(),
            reminder: None,
            grade: None,
            deleted: None,
            unknown: Vec::new(),
        }
    }
}

impl TriageState {
    /// Applies every change of `event` that the rules allow; returns those refused.
    pub fn apply(&mut self, event: &EventBody) -> Vec<Refused> {
        let mut refused = Vec::new();
        for (index, change) in event.changes.iter().enumerate() {
            if let Err(reason) = self.apply_one(event, change) {
                refused.push(Refused {
                    seq: event.seq,
                    index,
                    reason,
                });
            }
        }
        refused
    }

    fn apply_one(&mut self, event: &EventBody, change: &Change) -> Result<(), String> {
        match change {
            Change::SetStatus { status } => {
                if !self.status.may_become(*status) {
                    return Err(format!(
                        "the status cannot go from {} to {}",
                        self.status.as_str(),
                        status.as_str()
                    ));
                }
                self.status = *status;
                self.status_since = Some(event.at);
            }
            Change::AddLabel { label } => {
                if !self.labels.contains(label) {
                    self.labels.push(label.clone());
                }
            }
            Change::RemoveLabel { label } => self.labels.retain(|l| l != label),
            Change::Star { on } => self.star = *on,
            Change::Assign { to } => self.assignee = *to,
            Change::Note { text } => self.notes.push(Note {
                author: event.author,
                at: event.at,
                text: text.clone(),
            }),
            Change::Remind { on } => self.reminder = *on,
            Change::Grade { grade } => self.grade = *grade,
            Change::DeleteTip { reason } => self.deleted = Some(reason.clone()),
            Change::DefineLabel { .. } | Change::RetireLabel { .. } => {
                return Err("label vocabulary changes belong in the team log".into())
            }
            Change::ConfirmCase { .. } | Change::NameCase { .. } | Change::DissolveCase { .. } => {
                return Err("case changes belong in the team log".into())
            }
            Change::Unknown { kind } => {
                self.unknown.push(kind.clone());
                return Err(format!(
                    "a change of kind {kind:?} comes from a newer version; update tipseal to apply it"
                ));
            }
        }
        Ok(())
    }
}

/// The team's label vocabulary after the team log.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TeamVocabulary {
    /// Labels in use, in the order defined.
    pub labels: Vec<Label>,
    /// Labels retired (kept so old tips still show them).
    pub retired: Vec<Label>,
}

impl TeamVocabulary {
    /// Applies the vocabulary changes of `event`; returns those refused.
    pub fn apply(&mut self, event: &EventBody) -> Vec<Refused> {
        let mut refused = Vec::new();
        for (index, change) in event.changes.iter().enumerate() {
            let outcome = match change {
                Change::DefineLabel { label } => {
                    self.retired.retain(|l| l != label);
                    if !self.labels.contains(label) {
                        self.labels.push(label.clone());
                    }
                    Ok(())
                }
                Change::RetireLabel { label } if self.labels.contains(label) => {
                    self.labels.retain(|l| l != label);
                    self.retired.push(label.clone());
                    Ok(())
                }
                Change::RetireLabel { .. } => Err("that label is not in the vocabulary".into()),
                // Cases share the team log; `TeamCases` folds them.
                c if c.is_case() => Ok(()),
                Change::Unknown { kind } => Err(format!(
                    "a change of kind {kind:?} comes from a newer version; update tipseal to apply it"
                )),
                _ => Err("tip changes belong in a tip's log, not the team log".into()),
            };
            if let Err(reason) = outcome {
                refused.push(Refused {
                    seq: event.seq,
                    index,
                    reason,
                });
            }
        }
        refused
    }
}
