//! The values a triage change carries: status, label, grade, note text. Each is parsed
//! once (serde goes through the same parsers) and valid by construction afterwards.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::domain::DomainError;

/// Where a tip stands in the team's work.
///
/// Transition table (enforced by [`Status::may_become`]):
///
/// | from                | to                                   |
/// |---------------------|--------------------------------------|
/// | `new`               | `in_review`, `dismissed`             |
/// | `in_review`         | `needs_information`, `dismissed`     |
/// | `needs_information` | `corroborated`, `dismissed`          |
/// | `corroborated`      | `referred`, `dismissed`              |
/// | `referred`          | `closed`, `dismissed`                |
/// | `closed`            | `in_review` (reopened)               |
/// | `dismissed`         | `in_review` (reopened)               |
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Arrived, nobody has looked yet.
    New,
    /// Someone is reading it.
    InReview,
    /// The team asked the witness (or others) for more.
    NeedsInformation,
    /// Confirmed by an independent source.
    Corroborated,
    /// Handed on (a journalist, a lawyer, an authority).
    Referred,
    /// Done.
    Closed,
    /// Not pursued (spam, off-topic, not credible).
    Dismissed,
}

impl Status {
    /// Whether the tip is still being worked on.
    pub const fn is_open(self) -> bool {
        !matches!(self, Status::Closed | Status::Dismissed)
    }

    /// Whether the table above allows `self → next`.
    pub fn may_become(self, next: Status) -> bool {
        use Status::*;
        match (self, next) {
            (New, InReview)
            | (InReview, NeedsInformation)
            | (NeedsInformation, Corroborated)
            | (Corroborated, Referred)
            | (Referred, Closed)
            | (Closed | Dismissed, InReview) => true,
            (from, Dismissed) => from.is_open(),
            _ => false,
        }
    }

    /// The wire name (`in_review` …).
    pub fn as_str(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::InReview => "in_review",
            Status::NeedsInformation => "needs_information",
            Status::Corroborated => "corroborated",
            Status::Referred => "referred",
            Status::Closed => "closed",
            Status::Dismissed => "dismissed",
        }
    }
}

/// Longest label, in characters: a word or two, short enough for a list column.
pub const MAX_LABEL_CHARS: usize = 48;

/// A label: trimmed, 1 to [`MAX_LABEL_CHARS`] characters, no control characters. Two
/// labels are the same label when they are equal ignoring case ("Water" = "water"); the
/// spelling first written is kept for display.
#[derive(Clone, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Label(String);

impl Label {
    /// Parses a label; the error says what is wrong without echoing it.
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let t = s.trim();
        let n = t.chars().count();
        if n == 0 || n > MAX_LABEL_CHARS {
            return Err(DomainError::Triage("a label is 1 to 48 characters"));
        }
        if t.chars().any(char::is_control) {
            return Err(DomainError::Triage(
                "a label may not hold control characters",
            ));
        }
        Ok(Label(t.to_owned()))
    }

    /// The label as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The identity of the label: its lowercase form.
    pub fn key(&self) -> String {
        self.0.to_lowercase()
    }
}

impl PartialEq for Label {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}
impl Eq for Label {}

impl std::hash::Hash for Label {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        self.key().hash(h);
    }
}

impl fmt::Debug for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Label({:?})", self.0)
    }
}

impl TryFrom<String> for Label {
    type Error = DomainError;
    fn try_from(s: String) -> Result<Self, DomainError> {
        Label::parse(&s)
    }
}

impl From<Label> for String {
    fn from(l: Label) -> String {
        l.0
    }
}

/// An intelligence grade ("Admiralty code"): source reliability A (reliable) to F
/// (cannot be judged) and information credibility 1 (confirmed) to 6 (cannot be
/// judged). Written "B2".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Grade {
    reliability: char,
    credibility: u8,
}

impl Grade {
    /// Parses "A1" … "F6" (the letter in either case).
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let bad = DomainError::Triage("a grade is a letter A-F then a digit 1-6, like B2");
        let mut it = s.trim().chars();
        let (Some(r), Some(c), None) = (it.next(), it.next(), it.next()) else {
            return Err(bad);
        };
        let r = r.to_ascii_uppercase();
        let c = c.to_digit(10).unwrap_or(0) as u8;
        if !('A'..='F').contains(&r) || !(1..=6).contains(&c) {
            return Err(bad);
        }
        Ok(Grade {
            reliability: r,
            credibility: c,
        })
    }

    /// Source reliability, 'A' to 'F'.
    pub fn reliability(self) -> char {
        self.reliability
    }

    /// Information credibility, 1 to 6.
    pub fn credibility(self) -> u8 {
        self.credibility
    }
}

impl fmt::Display for Grade {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.reliability, self.credibility)
    }
}

impl TryFrom<String> for Grade {
    type Error = DomainError;
    fn try_from(s: String) -> Result<Self, DomainError> {
        Grade::parse(&s)
    }
}

impl From<Grade> for String {
    fn from(g: Grade) -> String {
        g.to_string()
    }
}

/// Longest note or deletion reason, in bytes of UTF-8: a few paragraphs. With the
/// event's other fields it keeps every sealed event in the smallest envelope bucket.
pub const MAX_NOTE_BYTES: usize = 8 * 1024;

/// A reviewer's note (or a deletion's reason): 1 to [`MAX_NOTE_BYTES`] bytes, not blank.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct NoteText(String);

impl NoteText {
    /// Parses a note.
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        if s.trim().is_empty() || s.len() > MAX_NOTE_BYTES {
            return Err(DomainError::Triage("a note is 1 byte to 8 KiB of text"));
        }
        Ok(NoteText(s.to_owned()))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for NoteText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Notes are case content: never in a log line.
        write!(f, "NoteText(<{} bytes>)", self.0.len())
    }
}

impl TryFrom<String> for NoteText {
    type Error = DomainError;
    fn try_from(s: String) -> Result<Self, DomainError> {
        NoteText::parse(&s)
    }
}

impl From<NoteText> for String {
    fn from(n: NoteText) -> String {
        n.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Status::*;

    const ALL: [Status; 7] = [
        New,
        InReview,
        NeedsInformation,
        Corroborated,
        Referred,
        Closed,
        Dismissed,
    ];

    #[test]
    fn the_transition_table_allows_exactly_the_documented_moves() {
        let allowed = [
            (New, InReview),
            (InReview, NeedsInformation),
            (NeedsInformation, Corroborated),
            (Corroborated, Referred),
            (Referred, Closed),
            (New, Dismissed),
            (InReview, Dismissed),
            (NeedsInformation, Dismissed),
            (Corroborated, Dismissed),
            (Referred, Dismissed),
            (Closed, InReview),
            (Dismissed, InReview),
        ];
        for from in ALL {
            for to in ALL {
                assert_eq!(
                    from.may_become(to),
                    allowed.contains(&(from, to)),
                    "{from:?} -> {to:?}"
                );
            }
        }
    }

    #[test]
    fn labels_are_trimmed_bounded_and_compared_without_case() {
        assert_eq!(Label::parse("  Water ").unwrap().as_str(), "Water");
        assert_eq!(
            Label::parse("water").unwrap(),
            Label::parse("WATER").unwrap()
        );
        assert!(Label::parse("   ").is_err());
        assert!(Label::parse(&"x".repeat(49)).is_err());
        assert!(Label::parse(&"가".repeat(48)).is_ok());
        assert!(Label::parse("a\u{7}b").is_err());
    }

    #[test]
    fn grades_parse_letter_then_digit() {
        assert_eq!(Grade::parse("a2").unwrap().to_string(), "A2");
        for bad in ["", "A", "A0", "A7", "G1", "2A", "A22"] {
            assert!(Grade::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn notes_are_bounded() {
        assert!(NoteText::parse(&"n".repeat(MAX_NOTE_BYTES)).is_ok());
        assert!(NoteText::parse(&"n".repeat(MAX_NOTE_BYTES + 1)).is_err());
        assert!(NoteText::parse(" \n").is_err());
        assert_eq!(
            format!("{:?}", NoteText::parse("secret").unwrap()),
            "NoteText(<6 bytes>)"
        );
    }
}
