//! The re-identification check: before an export leaves, find tips whose combination of
//! site, month received, the witness's relation and their nationality or language is
//! shared by fewer than [`K`] tips of the export — a reader who knows the site could point
//! at the witness ("the only local employee who reported this site in May").
//!
//! With redaction the relation is not written, so the check runs on what is written.
//! Must never: change the export — it flags, with the reason, and the caller decides.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::reviewer::cases::CaseTip;

/// The smallest crowd a witness should hide in.
pub const K: usize = 3;

/// One rare combination.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Flag {
    /// The tips (short ids) that share it.
    pub tips: Vec<String>,
    /// How many share it.
    pub k: usize,
    /// Why, in words.
    pub reason: String,
}

/// Flags for `tips`, where `site` names each tip's worksite (the case, or the site as
/// written). `redacted`: the relation is not in the export.
pub fn check(tips: &[&CaseTip], site: &dyn Fn(&CaseTip) -> String, redacted: bool) -> Vec<Flag> {
    let mut groups: BTreeMap<(String, String, String, String), Vec<String>> = BTreeMap::new();
    for t in tips {
        let relation = if redacted {
            "-".to_owned()
        } else {
            t.relation.clone().unwrap_or_else(|| "not given".into())
        };
        let origin = t
            .entities
            .conditions
            .nationality
            .clone()
            .map(|n| format!("nationality {n}"))
            .or_else(|| t.entities.language.clone().map(|l| format!("language {l}")))
            .unwrap_or_else(|| "origin not given".into());
        groups
            .entry((site(t), t.received_month().to_owned(), relation, origin))
            .or_default()
            .push(t.short());
    }
    groups
        .into_iter()
        .filter(|(_, ts)| ts.len() < K)
        .map(|((site, month, relation, origin), ts)| {
            let who = if redacted {
                format!("tip{} from {origin}", if ts.len() == 1 { "" } else { "s" })
            } else {
                format!("'{relation}' witness{} ({origin})", if ts.len() == 1 { "" } else { "es" })
            };
            let only = if ts.len() == 1 { "the only".to_owned() } else { format!("one of only {}", ts.len()) };
            Flag {
                reason: format!(
                    "{} is {only} {who} about {site} received in {month} (k = {} < {K}): someone who knows the site could tell who sent it{}",
                    ts.join(", "),
                    ts.len(),
                    if redacted { "" } else { "; consider --redact" }
                ),
                k: ts.len(),
                tips: ts,
            }
        })
        .collect()
}
