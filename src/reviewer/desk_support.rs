//! What the desk needs from a workspace beyond what `workspace`, `listing`, `sync` and
//! `triage` give the command line: changes and filters read from words (the desk's JSON
//! carries strings, as the CLI's flags do), a synced tip read back whole from the store
//! (report, files, conversation), a reply sent from the store's copy of the tip, and the
//! statuses a tip may move to.
//!
//! Kept apart from the files the `sync-cli` branch owns so the two can merge; the
//! word-reading here mirrors `cli::casework` and is meant to replace it there.
//!
//! Must never: print, prompt or serve HTTP; write a plaintext anywhere but into the
//! encrypted store; send a plaintext to the server.

use zeroize::Zeroizing;

use crate::crypto::bundle_seal::Attachment;
use crate::domain::envelope::Flags;
use crate::domain::tip::received::ReceivedTip;
use crate::domain::tip::{FileName, LongText, MediaType};
use crate::domain::triage::{Change, Grade, Label, NoteText, Status};
use crate::domain::{Day, TipId};

use super::local::{LocalEntry, LocalTip, FILE_BASE};
use super::open::OpenedTip;
use super::reply::{reply_address, seal_reply};
use super::search::{Assignee, Filter};
use super::store::{table, Table};
use super::workspace::{Workspace, WorkspaceError};

/// A triage change in words, as a face receives it (absent or empty: no change).
#[derive(Clone, Debug, Default)]
pub struct ChangeWords {
    /// A new status (`in_review` …).
    pub status: Option<String>,
    /// Labels to add.
    pub add_labels: Vec<String>,
    /// Labels to remove.
    pub remove_labels: Vec<String>,
    /// A reviewer's name on the keyring; `""` unassigns.
    pub assign: Option<String>,
    /// A note.
    pub note: Option<String>,
    /// Star or unstar.
    pub star: Option<bool>,
    /// A reminder day `YYYY-MM-DD`; `""` clears it.
    pub remind: Option<String>,
    /// A grade such as `B2`; `""` clears it.
    pub grade: Option<String>,
}

/// Inbox filters in words (absent: any).
#[derive(Clone, Debug, Default)]
pub struct FilterWords {
    /// A status.
    pub status: Option<String>,
    /// A label.
    pub label: Option<String>,
    /// A reviewer's name; `""` means nobody.
    pub assignee: Option<String>,
    /// Starred or not.
    pub starred: Option<bool>,
    /// Sector.
    pub sector: Option<String>,
    /// Country code.
    pub country: Option<String>,
    /// City.
    pub city: Option<String>,
    /// Received on or after (`YYYY-MM-DD`).
    pub from: Option<String>,
    /// Received on or before (`YYYY-MM-DD`).
    pub to: Option<String>,
    /// With or without attachments.
    pub has_attachments: Option<bool>,
    /// Unread or read.
    pub unread: Option<bool>,
    /// Only tips whose reminder day has come.
    pub reminder_due: bool,
}

/// A synced tip read back from the store.
pub struct StoredTip {
    /// The row as synced.
    pub record: LocalTip,
    /// Its plaintext, read leniently.
    pub received: ReceivedTip,
    /// Its attachments' bytes, in order (memory only).
    pub files: Vec<Zeroizing<Vec<u8>>>,
    /// Its conversation, oldest first.
    pub conversation: Vec<LocalEntry>,
}

/// Reads a status's wire name (`in_review`); refused with the names there are.
pub fn parse_status(s: &str) -> Result<Status, WorkspaceError> {
    serde_json::from_value(serde_json::Value::String(s.trim().to_lowercase())).map_err(|_| {
        WorkspaceError::Refused(format!(
            "no status {s:?}: use new, in_review, needs_information, corroborated, referred, \
             closed or dismissed"
        ))
    })
}

/// The statuses `from` may legally become, in the order of the workflow.
pub fn next_statuses(from: Status) -> Vec<Status> {
    use Status::*;
    [
        New,
        InReview,
        NeedsInformation,
        Corroborated,
        Referred,
        Closed,
        Dismissed,
    ]
    .into_iter()
    .filter(|s| from.may_become(*s))
    .collect()
}

fn label(s: &str) -> Result<Label, WorkspaceError> {
    Label::parse(s).map_err(|e| WorkspaceError::Refused(format!("the label {s:?} is refused: {e}")))
}

fn day(s: &str, what: &str) -> Result<Day, WorkspaceError> {
    Day::parse(s.trim()).map_err(|_| {
        WorkspaceError::Refused(format!("{what} takes a day as YYYY-MM-DD, not {s:?}"))
    })
}

/// `at` (UTC seconds) as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn utc(at: i64) -> String {
    let s = at.rem_euclid(86_400);
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        Day::from_days(at.div_euclid(86_400)),
        s / 3600,
        s % 3600 / 60,
        s % 60
    )
}

impl Workspace {
    /// The changes `w` asks for, each checked (names against the keyring, days, grades);
    /// the first bad one refused with what to give instead.
    pub fn changes_from_words(&self, w: &ChangeWords) -> Result<Vec<Change>, WorkspaceError> {
        let mut out = Vec::new();
        if let Some(s) = w.status.as_deref().filter(|s| !s.trim().is_empty()) {
            out.push(Change::SetStatus {
                status: parse_status(s)?,
            });
        }
        for l in w.add_labels.iter().filter(|l| !l.trim().is_empty()) {
            out.push(Change::AddLabel { label: label(l)? });
        }
        for l in w.remove_labels.iter().filter(|l| !l.trim().is_empty()) {
            out.push(Change::RemoveLabel { label: label(l)? });
        }
        if let Some(name) = &w.assign {
            let to = match name.trim() {
                "" => None,
                n => Some(self.reviewer_named(n).map_err(WorkspaceError::Refused)?),
            };
            out.push(Change::Assign { to });
        }
        if let Some(n) = w.note.as_deref().filter(|n| !n.trim().is_empty()) {
            let text =
                NoteText::parse(n).map_err(|e| WorkspaceError::Refused(format!("note: {e}")))?;
            out.push(Change::Note { text });
        }
        if let Some(on) = w.star {
            out.push(Change::Star { on });
        }
        if let Some(d) = &w.remind {
            let on = match d.trim() {
                "" => None,
                d => Some(day(d, "a reminder")?),
            };
            out.push(Change::Remind { on });
        }
        if let Some(g) = &w.grade {
            let grade = match g.trim() {
                "" => None,
                g => Some(
                    Grade::parse(g).map_err(|e| WorkspaceError::Refused(format!("grade: {e}")))?,
                ),
            };
            out.push(Change::Grade { grade });
        }
        Ok(out)
    }

    /// The filter `w` asks for (a reviewer's name becomes their key id).
    pub fn filter_from_words(&self, w: &FilterWords) -> Result<Filter, WorkspaceError> {
        let nonempty = |s: &Option<String>| s.clone().filter(|s| !s.trim().is_empty());
        let assignee = match w.assignee.as_deref() {
            None => None,
            Some("") => Some(Assignee::Nobody),
            Some(name) => Some(Assignee::Person(
                self.reviewer_named(name)
                    .map_err(WorkspaceError::Refused)?
                    .to_string(),
            )),
        };
        Ok(Filter {
            status: nonempty(&w.status)
                .map(|s| parse_status(&s).map(|s| s.as_str().to_owned()))
                .transpose()?,
            label: nonempty(&w.label)
                .map(|l| label(&l).map(|l| l.key()))
                .transpose()?,
            assignee,
            starred: w.starred,
            sector: nonempty(&w.sector),
            country: nonempty(&w.country),
            city: nonempty(&w.city),
            received_from: nonempty(&w.from).map(|d| day(&d, "from")).transpose()?,
            received_to: nonempty(&w.to).map(|d| day(&d, "to")).transpose()?,
            has_attachments: w.has_attachments,
            unread: w.unread,
            reminder_due: w.reminder_due.then(Day::today),
        })
    }

    /// Tip `id` as synced: its plaintext read leniently, its files and its conversation.
    pub fn stored_tip(&self, id: TipId) -> Result<StoredTip, WorkspaceError> {
        let record = self
            .tips
            .get(&id)
            .cloned()
            .ok_or(WorkspaceError::UnknownTip(id))?;
        let received = ReceivedTip::from_plaintext(&record.plaintext());
        let mut files = Vec::new();
        let mut conversation = Vec::new();
        for (k, v) in self.store.scan_prefix(Table::Entries, &table::tip(&id))? {
            match table::seq_of(&k) {
                Some(s) if s >= FILE_BASE => files.push(v),
                Some(_) => {
                    conversation.push(serde_json::from_slice(&v).map_err(|_| self.bad_row(&k))?)
                }
                None => return Err(self.bad_row(&k)),
            }
        }
        Ok(StoredTip {
            record,
            received,
            files,
            conversation,
        })
    }

    /// The names of the current epoch's reviewers.
    pub fn reviewer_names(&self) -> Vec<String> {
        self.keyring()
            .map(|k| {
                k.current()
                    .reviewers
                    .iter()
                    .map(|p| p.name.as_str().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Signs, seals and sends a reply to tip `id`'s witness with `files` (name, media
    /// type, bytes), then syncs so the conversation in the store shows it. Online only.
    /// Returns the reply's position in the conversation.
    pub fn reply(
        &mut self,
        id: TipId,
        text: &str,
        files: &[(String, String, Vec<u8>)],
    ) -> Result<u32, WorkspaceError> {
        let stored = self.stored_tip(id)?;
        let message = LongText::parse(text.to_owned())
            .map_err(|e| WorkspaceError::Refused(format!("the reply: {e}")))?;
        let attachments = files
            .iter()
            .map(|(name, mime, bytes)| {
                Ok(Attachment {
                    name: FileName::parse(name.clone()).map_err(|e| {
                        WorkspaceError::Refused(format!("the file name {name:?}: {e}"))
                    })?,
                    media_type: MediaType::parse(mime.clone()).map_err(|e| {
                        WorkspaceError::Refused(format!("the type of {name:?}: {e}"))
                    })?,
                    bytes: bytes.as_slice(),
                })
            })
            .collect::<Result<Vec<_>, WorkspaceError>>()?;
        // Only the reply address is read from it; the files are not needed.
        let tip = OpenedTip {
            id,
            flags: Flags::NONE,
            received: stored.received,
            files: Vec::new(),
            plaintext: Zeroizing::new(Vec::new()),
        };
        let to = reply_address(&tip)?;
        let seq = {
            let c = self.online()?;
            let bundle = seal_reply(&self.me, &c.keyring, &to, message, &attachments)?;
            c.client.post_reply(&c.session, id, &bundle)?
        };
        self.sync(&mut |_| {})?;
        Ok(seq)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_statuses_follow_the_table() {
        assert_eq!(
            next_statuses(Status::New),
            vec![Status::InReview, Status::Dismissed]
        );
        assert_eq!(next_statuses(Status::Closed), vec![Status::InReview]);
        assert_eq!(
            next_statuses(Status::Referred),
            vec![Status::Closed, Status::Dismissed]
        );
    }

    #[test]
    fn utc_formats_seconds() {
        assert_eq!(utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc(86_400 + 3_661), "1970-01-02T01:01:01Z");
    }

    #[test]
    fn status_words_are_checked() {
        assert_eq!(parse_status(" In_Review ").unwrap(), Status::InReview);
        let e = parse_status("open").unwrap_err().to_string();
        assert!(e.contains("no status \"open\""), "{e}");
    }
}
