//! Cases in the team log: the reviewers' decisions that some tips are about one worksite,
//! employer or minder (`confirm_case`), what the case is called (`name_case`), and that a
//! confirmed case no longer stands (`dissolve_case`). Split and merge are written as one
//! event holding a dissolve and the confirms that replace it, so a reader never sees half
//! of either. Pure types and the fold: no cryptography, no I/O.
//!
//! Must never: hold anything a tip says (only tip ids and the reviewers' own name for a
//! case), or let a tip belong to two confirmed cases at once.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::{Change, EventBody, Refused};
use crate::domain::{DomainError, KeyId, TipId};

/// Most tips in one case: a case is read by a person, and its confirm event must fit one
/// 16 KiB sealed event (each tip id takes 35 bytes of JSON: 300 take about 10.5 KiB).
pub const MAX_CASE_TIPS: usize = 300;

/// Longest case name, in characters: a line in a list.
pub const MAX_CASE_NAME_CHARS: usize = 80;

/// A case's id: `case-` and 16 lowercase hex characters. Suggested cases take theirs from
/// their sorted tip ids (so the same group keeps its id); a confirmed case keeps the id its
/// confirm event gave it.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CaseId(String);

impl CaseId {
    /// From 8 raw bytes (a hash's first bytes).
    pub fn from_bytes(b: [u8; 8]) -> Self {
        CaseId(format!("case-{}", hex::encode(b)))
    }

    /// Parses `case-` and 16 hex characters.
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let t = s.trim().to_ascii_lowercase();
        let ok = t
            .strip_prefix("case-")
            .is_some_and(|h| h.len() == 16 && h.bytes().all(|b| b.is_ascii_hexdigit()));
        if !ok {
            return Err(DomainError::InvalidId(
                "case id (case- and 16 hex characters)",
            ));
        }
        Ok(CaseId(t))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for CaseId {
    type Error = DomainError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<CaseId> for String {
    fn from(c: CaseId) -> Self {
        c.0
    }
}

impl fmt::Display for CaseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for CaseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CaseId({})", self.0)
    }
}

/// The reviewers' name for a case: trimmed, 1 to [`MAX_CASE_NAME_CHARS`] characters, no
/// control characters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CaseName(String);

impl CaseName {
    /// Parses a name; the error says what is wrong without echoing it.
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let t = s.trim();
        let n = t.chars().count();
        if n == 0 || n > MAX_CASE_NAME_CHARS {
            return Err(DomainError::Triage("a case name is 1 to 80 characters"));
        }
        if t.chars().any(char::is_control) {
            return Err(DomainError::Triage(
                "a case name may not hold control characters",
            ));
        }
        Ok(CaseName(t.to_owned()))
    }

    /// The name as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for CaseName {
    type Error = DomainError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<CaseName> for String {
    fn from(c: CaseName) -> Self {
        c.0
    }
}

/// A confirmed case after the team log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfirmedCase {
    /// Its id.
    pub id: CaseId,
    /// Its tips, sorted.
    pub tips: Vec<TipId>,
    /// Its name, once named.
    pub name: Option<CaseName>,
    /// Who confirmed it.
    pub confirmed_by: KeyId,
    /// When (the author's clock, UTC seconds).
    pub confirmed_at: i64,
}

/// The team's confirmed cases after the team log.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TeamCases {
    /// Standing cases by id.
    pub cases: BTreeMap<CaseId, ConfirmedCase>,
}

impl TeamCases {
    /// The standing case holding `tip`, if any.
    pub fn case_of(&self, tip: TipId) -> Option<&ConfirmedCase> {
        self.cases.values().find(|c| c.tips.contains(&tip))
    }

    /// Applies the case changes of `event` in order, all or nothing: a split or merge is
    /// one event, and half of it would leave tips in no case or in two. Returns the first
    /// refusal.
    pub fn apply(&mut self, event: &EventBody) -> Option<Refused> {
        let mut next = self.clone();
        for (index, change) in event.changes.iter().enumerate() {
            if let Err(reason) = next.apply_one(event, change) {
                return Some(Refused {
                    seq: event.seq,
                    index,
                    reason,
                });
            }
        }
        *self = next;
        None
    }

    fn apply_one(&mut self, event: &EventBody, change: &Change) -> Result<(), String> {
        match change {
            Change::ConfirmCase { case, tips } => {
                if tips.len() < 2 || tips.len() > MAX_CASE_TIPS {
                    return Err(format!("a case holds 2 to {MAX_CASE_TIPS} tips"));
                }
                if self.cases.contains_key(case) {
                    return Err(format!("case {case} is already confirmed"));
                }
                if let Some(other) = tips.iter().find_map(|t| self.case_of(*t)) {
                    return Err(format!(
                        "a tip of it is already in confirmed case {}: split or dissolve that first",
                        other.id
                    ));
                }
                let mut tips = tips.clone();
                tips.sort();
                tips.dedup();
                self.cases.insert(
                    case.clone(),
                    ConfirmedCase {
                        id: case.clone(),
                        tips,
                        name: None,
                        confirmed_by: event.author,
                        confirmed_at: event.at,
                    },
                );
            }
            Change::NameCase { case, name } => match self.cases.get_mut(case) {
                Some(c) => c.name = Some(name.clone()),
                None => return Err(format!("no confirmed case {case} to name")),
            },
            Change::DissolveCase { case } => {
                if self.cases.remove(case).is_none() {
                    return Err(format!("no confirmed case {case} to dissolve"));
                }
            }
            // Labels share the team log; they are the vocabulary's to fold.
            Change::DefineLabel { .. } | Change::RetireLabel { .. } | Change::Unknown { .. } => {}
            _ => return Err("tip changes belong in a tip's log, not the team log".into()),
        }
        Ok(())
    }
}

impl Change {
    /// Whether this change is about cases (team log only).
    pub fn is_case(&self) -> bool {
        matches!(
            self,
            Change::ConfirmCase { .. } | Change::NameCase { .. } | Change::DissolveCase { .. }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::triage::{LogRef, EVENT_VERSION};
    use crate::domain::Epoch;

    fn event(changes: Vec<Change>) -> EventBody {
        EventBody {
            v: EVENT_VERSION,
            log: LogRef::Team,
            seq: 0,
            prev: [0; 32],
            author: KeyId::from_bytes([7; 16]),
            epoch: Epoch::FIRST,
            at: 0,
            changes,
        }
    }

    fn id(n: u8) -> CaseId {
        CaseId::from_bytes([n; 8])
    }

    fn tips(ns: &[u8]) -> Vec<TipId> {
        ns.iter().map(|n| TipId::from_bytes([*n; 16])).collect()
    }

    #[test]
    fn case_changes_round_trip_and_an_older_reader_sees_unknown_kinds() {
        let c = Change::ConfirmCase {
            case: id(1),
            tips: tips(&[1, 2]),
        };
        let json = serde_json::to_string(&c).unwrap();
        assert!(json.contains("\"kind\":\"confirm_case\""), "{json}");
        assert_eq!(serde_json::from_str::<Change>(&json).unwrap(), c);
        let e = event(vec![c]);
        assert!(e.check().is_ok(), "case changes belong in the team log");
        let mut tip_log = e.clone();
        tip_log.log = LogRef::Tip(TipId::from_bytes([1; 16]));
        assert!(tip_log.check().is_err(), "and nowhere else");
        assert!(CaseId::parse("case-0123").is_err());
        assert!(CaseName::parse(&"x".repeat(81)).is_err());
    }

    #[test]
    fn a_split_is_all_or_nothing_and_a_tip_is_in_one_confirmed_case() {
        let mut cases = TeamCases::default();
        assert!(cases
            .apply(&event(vec![Change::ConfirmCase {
                case: id(1),
                tips: tips(&[1, 2, 3])
            }]))
            .is_none());
        // A second case holding tip 3: refused.
        let r = cases.apply(&event(vec![Change::ConfirmCase {
            case: id(2),
            tips: tips(&[3, 4]),
        }]));
        assert!(r.unwrap().reason.contains("already in confirmed case"));
        // A split whose second half fails leaves the first case standing.
        let bad = event(vec![
            Change::DissolveCase { case: id(1) },
            Change::ConfirmCase {
                case: id(3),
                tips: tips(&[1, 2]),
            },
            Change::NameCase {
                case: id(9),
                name: CaseName::parse("x").unwrap(),
            },
        ]);
        assert!(cases.apply(&bad).is_some());
        assert!(cases.cases.contains_key(&id(1)) && !cases.cases.contains_key(&id(3)));
        let good = event(vec![
            Change::DissolveCase { case: id(1) },
            Change::ConfirmCase {
                case: id(3),
                tips: tips(&[1, 2]),
            },
        ]);
        assert!(cases.apply(&good).is_none());
        assert_eq!(cases.case_of(TipId::from_bytes([1; 16])).unwrap().id, id(3));
        assert!(cases.case_of(TipId::from_bytes([3; 16])).is_none());
    }
}
