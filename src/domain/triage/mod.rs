//! Triage events: the team's decisions about tips (status, labels, star, assignee,
//! notes, reminder, grade, deletion) and the team's label vocabulary, as an append-only
//! log per tip plus one team log. Pure types: no cryptography, no I/O.
//!
//! An event is `EventBody` JSON, signed by its author inside a sealed envelope (see
//! `crypto::triage` and `docs/architecture.md`, "Triage events"). The server stores the
//! sealed bytes and never reads them. A reader folds verified events into a
//! [`TriageState`]; a change the table of [`Status`] forbids is reported, never applied,
//! never a panic. A change kind this version does not know (written by a newer client)
//! is kept as [`Change::Unknown`] with its name, so the rest of the log stays readable.
//!
//! Must never: hold anything about a witness, or decide who may sign (that needs the
//! keyring: `crypto::triage::verify_log`).

mod cases;
mod state;
mod values;
mod wire;

use serde::{Deserialize, Serialize};

use super::{Day, DomainError, Epoch, KeyId, TipId};

pub use cases::{CaseId, CaseName, ConfirmedCase, TeamCases, MAX_CASE_NAME_CHARS, MAX_CASE_TIPS};
pub use state::{Refused, TeamVocabulary, TriageState};
pub use values::{Grade, Label, NoteText, Status, MAX_LABEL_CHARS, MAX_NOTE_BYTES};
pub use wire::{SignedEventBytes, EVENT_FORMAT, SIGNATURE_LEN};

/// The only event body version this code writes and reads.
pub const EVENT_VERSION: u8 = 1;

/// Which log an event belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogRef {
    /// The decisions about one tip.
    Tip(TipId),
    /// The team's shared vocabulary (labels).
    Team,
}

impl std::fmt::Display for LogRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LogRef::Tip(id) => write!(f, "tip {id}"),
            LogRef::Team => f.write_str("the team log"),
        }
    }
}

/// One decision. Serialized as `{"kind": "set_status", …}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    /// Moves the tip along the status table.
    SetStatus {
        /// The new status.
        status: Status,
    },
    /// Puts a label on the tip.
    AddLabel {
        /// The label.
        label: Label,
    },
    /// Takes a label off the tip.
    RemoveLabel {
        /// The label.
        label: Label,
    },
    /// Stars or unstars the tip.
    Star {
        /// Starred or not.
        on: bool,
    },
    /// Gives the tip to a reviewer (by key id), or to nobody.
    Assign {
        /// The reviewer, or none.
        to: Option<KeyId>,
    },
    /// Adds a note.
    Note {
        /// The note.
        text: NoteText,
    },
    /// Sets or clears a reminder day.
    Remind {
        /// The day, or none.
        on: Option<Day>,
    },
    /// Sets or clears the grade.
    Grade {
        /// The grade, or none.
        grade: Option<Grade>,
    },
    /// Records the decision to delete the tip's content (the log itself stays).
    DeleteTip {
        /// Why.
        reason: NoteText,
    },
    /// Adds a label to the team's vocabulary (team log only).
    DefineLabel {
        /// The label.
        label: Label,
    },
    /// Retires a label from the vocabulary (team log only).
    RetireLabel {
        /// The label.
        label: Label,
    },
    /// Confirms that these tips are one case (team log only; see `cases`).
    ConfirmCase {
        /// The case's id.
        case: CaseId,
        /// Its tips.
        tips: Vec<TipId>,
    },
    /// Names a confirmed case (team log only).
    NameCase {
        /// The case.
        case: CaseId,
        /// Its name.
        name: CaseName,
    },
    /// A confirmed case no longer stands (team log only; split and merge write one with
    /// the confirms that replace it).
    DissolveCase {
        /// The case.
        case: CaseId,
    },
    /// A change of a kind this version does not know, written by a newer client. Shown
    /// by its name; never applied.
    #[serde(skip)]
    Unknown {
        /// The `kind` it was written with.
        kind: String,
    },
}

/// The kinds this version reads; anything else becomes [`Change::Unknown`].
const KNOWN_KINDS: [&str; 14] = [
    "set_status",
    "add_label",
    "remove_label",
    "star",
    "assign",
    "note",
    "remind",
    "grade",
    "delete_tip",
    "define_label",
    "retire_label",
    "confirm_case",
    "name_case",
    "dissolve_case",
];

/// Mirror of [`Change`] without `Unknown`, for derived deserialization of known kinds.
#[derive(Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
enum KnownChange {
    SetStatus { status: Status },
    AddLabel { label: Label },
    RemoveLabel { label: Label },
    Star { on: bool },
    Assign { to: Option<KeyId> },
    Note { text: NoteText },
    Remind { on: Option<Day> },
    Grade { grade: Option<Grade> },
    DeleteTip { reason: NoteText },
    DefineLabel { label: Label },
    RetireLabel { label: Label },
    ConfirmCase { case: CaseId, tips: Vec<TipId> },
    NameCase { case: CaseId, name: CaseName },
    DissolveCase { case: CaseId },
}

impl From<KnownChange> for Change {
    fn from(k: KnownChange) -> Self {
        match k {
            KnownChange::SetStatus { status } => Change::SetStatus { status },
            KnownChange::AddLabel { label } => Change::AddLabel { label },
            KnownChange::RemoveLabel { label } => Change::RemoveLabel { label },
            KnownChange::Star { on } => Change::Star { on },
            KnownChange::Assign { to } => Change::Assign { to },
            KnownChange::Note { text } => Change::Note { text },
            KnownChange::Remind { on } => Change::Remind { on },
            KnownChange::Grade { grade } => Change::Grade { grade },
            KnownChange::DeleteTip { reason } => Change::DeleteTip { reason },
            KnownChange::DefineLabel { label } => Change::DefineLabel { label },
            KnownChange::RetireLabel { label } => Change::RetireLabel { label },
            KnownChange::ConfirmCase { case, tips } => Change::ConfirmCase { case, tips },
            KnownChange::NameCase { case, name } => Change::NameCase { case, name },
            KnownChange::DissolveCase { case } => Change::DissolveCase { case },
        }
    }
}

impl<'de> Deserialize<'de> for Change {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let v = serde_json::Value::deserialize(d)?;
        let kind = v
            .get("kind")
            .and_then(|k| k.as_str())
            .ok_or_else(|| D::Error::custom("a change has no \"kind\""))?;
        if !KNOWN_KINDS.contains(&kind) {
            // Bounded so a hostile name cannot blow up a listing.
            let kind: String = kind.chars().take(MAX_LABEL_CHARS).collect();
            return Ok(Change::Unknown { kind });
        }
        KnownChange::deserialize(v)
            .map(Change::from)
            .map_err(D::Error::custom)
    }
}

impl Change {
    /// Whether this change belongs in the team log (vocabulary or cases) rather than a
    /// tip's.
    pub fn is_vocabulary(&self) -> bool {
        matches!(
            self,
            Change::DefineLabel { .. } | Change::RetireLabel { .. }
        ) || self.is_case()
    }
}

/// Most changes in one event: a screenful of edits made at once.
pub const MAX_CHANGES: usize = 32;

/// What the author signs: one event of one log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventBody {
    /// Body version, [`EVENT_VERSION`].
    pub v: u8,
    /// The log it belongs to (signed, so it cannot be replayed into another log).
    pub log: LogRef,
    /// Its position in that log, from 0.
    pub seq: u32,
    /// `BLAKE2b-256` of the previous event's signed bytes, hex; zeros for seq 0.
    #[serde(with = "hex32")]
    pub prev: [u8; 32],
    /// The reviewer who wrote it.
    pub author: KeyId,
    /// The keyring epoch the author wrote it under (must have them as a reviewer).
    pub epoch: Epoch,
    /// When, in UTC seconds (the reviewer's clock: the team's own record, not a witness's).
    pub at: i64,
    /// What changed, applied in order.
    pub changes: Vec<Change>,
}

impl EventBody {
    /// The JSON bytes that are signed.
    pub fn to_json(&self) -> Vec<u8> {
        // Serializing plain data with string keys cannot fail.
        serde_json::to_vec(self).expect("an event body serializes")
    }

    /// Parses and checks the body: version, 1 to [`MAX_CHANGES`] changes, vocabulary
    /// changes only in the team log and tip changes only in a tip's.
    pub fn from_json(bytes: &[u8]) -> Result<Self, DomainError> {
        let body: EventBody = serde_json::from_slice(bytes)
            .map_err(|_| DomainError::Triage("the event body is not valid event JSON"))?;
        body.check()?;
        Ok(body)
    }

    /// Whether the event holds a `delete_tip` change: what its stored `deletes_tip` mark
    /// must say. A reader treats a mismatch as a false declaration by the appender.
    pub fn records_deletion(&self) -> bool {
        self.changes
            .iter()
            .any(|c| matches!(c, Change::DeleteTip { .. }))
    }

    /// The structural rules `from_json` enforces, also checked before signing.
    pub fn check(&self) -> Result<(), DomainError> {
        if self.v != EVENT_VERSION {
            return Err(DomainError::Triage("unknown event version"));
        }
        if self.changes.is_empty() || self.changes.len() > MAX_CHANGES {
            return Err(DomainError::Triage("an event holds 1 to 32 changes"));
        }
        let team = self.log == LogRef::Team;
        let misplaced = self
            .changes
            .iter()
            .any(|c| !matches!(c, Change::Unknown { .. }) && c.is_vocabulary() != team);
        if misplaced {
            return Err(DomainError::Triage(
                "label vocabulary changes belong in the team log, tip changes in a tip's log",
            ));
        }
        Ok(())
    }
}

mod hex32 {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(b: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(b))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
        let s = String::deserialize(d)?;
        let mut out = [0u8; 32];
        hex::decode_to_slice(&s, &mut out).map_err(serde::de::Error::custom)?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests;
