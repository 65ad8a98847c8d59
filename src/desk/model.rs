//! The desk's wire types: what the UI sends and receives, and what a [`DeskBackend`]
//! returns. Plain serde structs with strings for statuses, labels and dates, so that the
//! desk does not depend on the reviewer layer's domain types; wave 2 maps those to these.
//!
//! Must never: carry anything the UI does not show, or hold logic (validation of a
//! transition, of a label, of a reviewer name is the backend's job, not these types').
//!
//! [`DeskBackend`]: super::DeskBackend

use serde::{Deserialize, Serialize};

/// Who is at the desk.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Me {
    /// The reviewer's name in the keyring.
    pub name: String,
    /// Their key id (hex).
    pub key_id: String,
}

/// What one sync brought in.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct SyncReport {
    /// Tips new to the local store.
    pub new_tips: u32,
    /// Witness messages new to the local store.
    pub new_messages: u32,
    /// Triage events (a colleague's changes) new to the local store.
    pub new_events: u32,
    /// Items that were refused (bad signature, cannot be opened), each with the reason.
    pub refused: Vec<String>,
    /// When the sync finished (RFC 3339, UTC).
    pub finished_at: String,
}

/// The inbox's search and filters; every field is optional and they combine with AND.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct InboxQuery {
    /// Free text, searched in the report, the narrative and the conversation.
    pub text: Option<String>,
    /// A triage status, e.g. `new`, `in_review`.
    pub status: Option<String>,
    /// A label the tip carries.
    pub label: Option<String>,
    /// A reviewer's name; the empty string means "unassigned".
    pub assignee: Option<String>,
    /// Only starred (true) or only not starred (false).
    pub starred: Option<bool>,
    /// The report's sector.
    pub sector: Option<String>,
    /// The report's country (ISO 3166-1 alpha-2).
    pub country: Option<String>,
    /// The report's city.
    pub city: Option<String>,
    /// Received on or after this date (YYYY-MM-DD).
    pub from: Option<String>,
    /// Received on or before this date (YYYY-MM-DD).
    pub to: Option<String>,
    /// Only tips with (true) or without (false) attachments.
    pub has_attachments: Option<bool>,
    /// Only unread (true) or only read (false) tips.
    pub unread: Option<bool>,
    /// Only tips whose reminder date has come.
    pub reminder_due: Option<bool>,
}

/// One line of the inbox.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct InboxRow {
    /// The tip id (32 hex characters).
    pub id: String,
    /// When the server received it (RFC 3339, UTC).
    pub received: String,
    /// A one-line summary (the start of the narrative, or the report's subject).
    pub summary: String,
    /// The triage status.
    pub status: String,
    /// The labels.
    pub labels: Vec<String>,
    /// The assigned reviewer, if any.
    pub assignee: Option<String>,
    /// Starred by this reviewer.
    pub starred: bool,
    /// Not yet opened by this reviewer, or with a message not yet seen.
    pub unread: bool,
    /// The report's sector, country and city, as received.
    pub sector: Option<String>,
    /// Country code.
    pub country: Option<String>,
    /// City.
    pub city: Option<String>,
    /// How many attachments.
    pub attachments: u32,
    /// The reminder date, if set (YYYY-MM-DD).
    pub reminder: Option<String>,
}

/// One structured field of the report, as received.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ReportField {
    /// The field's key in the tip document (e.g. `workers.count`): the UI translates it.
    pub key: String,
    /// The value as received, as text.
    pub value: String,
}

/// One attachment's description (its bytes come from [`super::DeskBackend::attachment`]).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct AttachmentInfo {
    /// Its position in the tip, from 0.
    pub index: u32,
    /// The file name the witness gave.
    pub name: String,
    /// The declared mime type (the desk decides what it dares to preview, not this).
    pub mime: String,
    /// Its size in bytes.
    pub size: u64,
}

/// One message of the conversation with the witness.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ConversationEntry {
    /// `witness`, or the replying reviewer's name.
    pub who: String,
    /// When (RFC 3339, UTC).
    pub when: String,
    /// The text.
    pub text: String,
}

/// A note left by a reviewer.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Note {
    /// The reviewer's name.
    pub who: String,
    /// When (RFC 3339, UTC).
    pub when: String,
    /// The note.
    pub text: String,
}

/// A tip's triage state as the team's events make it.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct TriageState {
    /// The status.
    pub status: String,
    /// The labels.
    pub labels: Vec<String>,
    /// The assigned reviewer.
    pub assignee: Option<String>,
    /// Starred by this reviewer.
    pub starred: bool,
    /// The reminder date (YYYY-MM-DD).
    pub reminder: Option<String>,
    /// The grade (source reliability A–F, information credibility 1–6), e.g. `B2`.
    pub grade: Option<String>,
    /// The notes, oldest first.
    pub notes: Vec<Note>,
}

/// One line of a tip's history: who changed what, when, and whether it was verified.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct HistoryRow {
    /// The reviewer who signed the change.
    pub who: String,
    /// When (RFC 3339, UTC).
    pub when: String,
    /// What changed, in words (e.g. `status: new → in_review`).
    pub what: String,
    /// The signature was checked against the keyring.
    pub verified: bool,
    /// Why the change was not applied (illegal transition, bad signature), if it was not.
    pub refusal: Option<String>,
}

/// Everything the tip view shows.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct TipView {
    /// The tip id.
    pub id: String,
    /// When the server received it.
    pub received: String,
    /// The report's language as the witness chose it (a BCP 47 tag).
    pub language: Option<String>,
    /// The structured report, field by field, in the document's order.
    pub report: Vec<ReportField>,
    /// The narrative, as written (any script; the UI sets `dir=auto`).
    pub narrative: String,
    /// Warnings about the tip (e.g. sealed by the server, not in the browser).
    pub warnings: Vec<String>,
    /// The attachments.
    pub attachments: Vec<AttachmentInfo>,
    /// The conversation, oldest first.
    pub conversation: Vec<ConversationEntry>,
    /// The triage state.
    pub triage: TriageState,
    /// The statuses the current one may legally move to (the UI offers only these).
    pub next_statuses: Vec<String>,
    /// The history, oldest first.
    pub history: Vec<HistoryRow>,
}

/// One triage change, applied to one or many tips. Absent fields change nothing.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct TriageRequest {
    /// A new status.
    pub status: Option<String>,
    /// Labels to add (a label new to the vocabulary is added to it by the backend).
    pub add_labels: Vec<String>,
    /// Labels to remove.
    pub remove_labels: Vec<String>,
    /// A reviewer to assign; the empty string unassigns.
    pub assign: Option<String>,
    /// A note to add.
    pub note: Option<String>,
    /// Star (true) or unstar (false).
    pub star: Option<bool>,
    /// A reminder date (YYYY-MM-DD); the empty string clears it.
    pub remind: Option<String>,
    /// A grade: a letter A–F and a digit 1–6, e.g. `B2`.
    pub grade: Option<String>,
}

impl TriageRequest {
    /// True when the request changes nothing.
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }
}

/// What became of a triage request on one tip.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct TriageOutcome {
    /// The tip id.
    pub id: String,
    /// Applied (true) or refused (false).
    pub ok: bool,
    /// Why it was refused: an illegal transition, a conflict that retries did not settle.
    pub refusal: Option<String>,
    /// What the reviewer should know about an applied change (a label added to the team's
    /// vocabulary; a change kept on this machine until the server can be reached).
    #[serde(default)]
    pub notices: Vec<String>,
}

/// A file attached to a reply, held in memory only.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ReplyFile {
    /// Its name.
    pub name: String,
    /// Its mime type.
    pub mime: String,
    /// Its bytes (base64 in JSON, see the API).
    #[serde(skip)]
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for ReplyFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the bytes: they are a reply's content.
        f.debug_struct("ReplyFile")
            .field("name", &self.name)
            .field("mime", &self.mime)
            .field("len", &self.bytes.len())
            .finish()
    }
}

/// An attachment's bytes as the backend returns them.
pub struct AttachmentBytes {
    /// The declared mime type.
    pub mime: String,
    /// The file name the witness gave.
    pub name: String,
    /// The bytes, in memory only.
    pub bytes: Vec<u8>,
}

/// The advocacy figures (`reviewer::figures`): plain counts, shown as charts. They are
/// data only (no domain type inside), so the desk takes them as the library writes them.
pub use crate::reviewer::figures::Figures;

/// One line of the Cases list.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct CaseRow {
    /// The case id (`case-` and 16 hex characters).
    pub id: String,
    /// `suggested` or `confirmed`.
    pub status: String,
    /// The team's name for it, once named.
    pub name: Option<String>,
    /// The worksite as the tips name it, and its city.
    pub title: String,
    /// How many tips.
    pub tips: usize,
    /// The languages the tips are written in.
    pub languages: Vec<String>,
    /// First and last day observed (YYYY-MM-DD), when the tips say.
    pub observed: Option<(String, String)>,
    /// First and last day received.
    pub received: (String, String),
    /// Why these tips are together, one line per link or decision.
    pub reasons: Vec<String>,
    /// Who confirmed it.
    pub confirmed_by: Option<String>,
}

/// A tip of a case, to link to its page.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct CaseTipRow {
    /// The tip id (32 hex characters).
    pub id: String,
    /// The short id the case's reasons use.
    pub short: String,
    /// Its language.
    pub language: Option<String>,
    /// The day it was received.
    pub received: String,
    /// The site as it names it.
    pub site: Option<String>,
    /// The city as it names it.
    pub city: Option<String>,
}

/// What a case's tips say about one condition.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct CaseFact {
    /// What (`hours per day` …).
    pub fact: String,
    /// `agree`, `disagree`, `partly`, `one tip` or `as written`.
    pub verdict: String,
    /// Each tip's value, by short id.
    pub values: Vec<(String, String)>,
    /// One line for a person.
    pub summary: String,
}

/// A minder as a case shows them.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct CaseMinder {
    /// The names as the tips write them.
    pub written: Vec<String>,
    /// The tips naming them (short ids).
    pub tips: Vec<String>,
    /// Other cases where a minder linked to them is seen, with the reason.
    pub also_at: Vec<String>,
}

/// Everything a case page shows.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct CaseView {
    /// The case as the list shows it.
    pub case: CaseRow,
    /// Its tips that are on this machine.
    pub tips: Vec<CaseTipRow>,
    /// What they agree and disagree on.
    pub facts: Vec<CaseFact>,
    /// The minders they name.
    pub minders: Vec<CaseMinder>,
    /// Tips that may come from one witness, with the reason.
    pub independence: Vec<String>,
    /// The figures over its tips.
    pub figures: Figures,
}

/// A reviewer's decision on a case: a signed, sealed team-log event.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum CaseAction {
    /// Confirm a suggested case, optionally naming it.
    Confirm {
        /// A name (1 to 80 characters).
        #[serde(default)]
        name: Option<String>,
    },
    /// Name a case (a suggested case is confirmed with the name).
    Name {
        /// The name.
        name: String,
    },
    /// Take these tips out of the case.
    Split {
        /// Tip ids (32 hex characters).
        tips: Vec<String>,
    },
    /// Merge this case with these.
    Merge {
        /// Case ids.
        with: Vec<String>,
    },
}

/// What became of a case decision.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct CaseOutcome {
    /// Recorded in the team log.
    pub ok: bool,
    /// Why not (a tip already in another case, a colleague's decision first …).
    pub refusal: Option<String>,
    /// The team log's event number, when recorded.
    pub seq: Option<u64>,
}

/// What an export of a case would write, before anything is written.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ExportPlanView {
    /// Tips in it.
    pub tips: usize,
    /// Whether the witnesses' relation and own words are left out.
    pub redacted: bool,
    /// The data files' names.
    pub files: Vec<String>,
    /// The re-identification check's warnings: rare combinations that could point at a
    /// witness, each with its reason.
    pub flags: Vec<String>,
}

/// `POST /api/cases/{id}/export`'s body.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ExportRequest {
    /// `json`, `csv` or `markdown`.
    pub format: String,
    /// Leave out the witnesses' relation and own words.
    #[serde(default)]
    pub redact: bool,
    /// The folder to write, an absolute path on this machine (absent or empty).
    pub out: String,
    /// The reviewer saw the plaintext warning and the flags and asked to write.
    pub plaintext_understood: bool,
}

/// A written export.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ExportDone {
    /// The folder.
    pub dir: String,
    /// The files written, the manifest and its signature included.
    pub files: Vec<String>,
    /// The signer's name.
    pub signer: String,
    /// The re-identification flags recorded in the manifest.
    pub flags: Vec<String>,
}
