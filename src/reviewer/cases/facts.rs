//! What the tips of a case say about conditions, side by side: where they agree, where
//! they differ, and what only some of them say. Read from the structured fields only.
//!
//! Must never: judge free text (wages, housing) across languages — it is listed as
//! written, by tip, for a person to read.

use std::collections::BTreeMap;

use serde::Serialize;

use super::tip::CaseTip;

/// One fact across the tips of a case.
#[derive(Clone, Debug, Serialize)]
pub struct Fact {
    /// What (`hours per day`, `passports held by others` …).
    pub fact: String,
    /// `agree`, `disagree`, or `as written` (free text, not compared).
    pub verdict: &'static str,
    /// Each tip's value, by short id.
    pub values: Vec<(String, String)>,
    /// One line for a person.
    pub summary: String,
}

fn numbers(
    tips: &[&CaseTip],
    fact: &str,
    get: impl Fn(&CaseTip) -> Option<f64>,
    slack: f64,
) -> Option<Fact> {
    let vals: Vec<(String, f64)> = tips
        .iter()
        .filter_map(|t| Some((t.short(), get(t)?)))
        .collect();
    if vals.is_empty() {
        return None;
    }
    let lo = vals.iter().map(|v| v.1).fold(f64::INFINITY, f64::min);
    let hi = vals.iter().map(|v| v.1).fold(f64::NEG_INFINITY, f64::max);
    let agree = hi - lo <= slack;
    let range = if lo == hi {
        format!("{lo}")
    } else {
        format!("{lo}–{hi}")
    };
    Some(Fact {
        fact: fact.into(),
        verdict: if vals.len() < 2 {
            "one tip"
        } else if agree {
            "agree"
        } else {
            "disagree"
        },
        summary: format!(
            "{fact}: {range} ({} of {} tips say)",
            vals.len(),
            tips.len()
        ),
        values: vals.into_iter().map(|(k, v)| (k, v.to_string())).collect(),
    })
}

fn flags(tips: &[&CaseTip], fact: &str, get: impl Fn(&CaseTip) -> Option<bool>) -> Option<Fact> {
    let vals: Vec<(String, bool)> = tips
        .iter()
        .filter_map(|t| Some((t.short(), get(t)?)))
        .collect();
    if vals.is_empty() {
        return None;
    }
    let yes = vals.iter().filter(|v| v.1).count();
    let agree = yes == 0 || yes == vals.len();
    Some(Fact {
        fact: fact.into(),
        verdict: if vals.len() < 2 {
            "one tip"
        } else if agree {
            "agree"
        } else {
            "disagree"
        },
        summary: format!(
            "{fact}: yes in {yes}, no in {} ({} of {} tips say)",
            vals.len() - yes,
            vals.len(),
            tips.len()
        ),
        values: vals
            .into_iter()
            .map(|(k, v)| (k, if v { "yes" } else { "no" }.to_string()))
            .collect(),
    })
}

fn written(
    tips: &[&CaseTip],
    fact: &str,
    get: impl Fn(&CaseTip) -> Option<String>,
) -> Option<Fact> {
    let vals: Vec<(String, String)> = tips
        .iter()
        .filter_map(|t| Some((t.short(), get(t)?)))
        .collect();
    if vals.is_empty() {
        return None;
    }
    Some(Fact {
        fact: fact.into(),
        verdict: "as written",
        summary: format!(
            "{fact}: described in {} of {} tips (free text, compare by reading)",
            vals.len(),
            tips.len()
        ),
        values: vals,
    })
}

/// The facts of `tips`, in a fixed order. With `free_text` false, wages and housing (the
/// witness's own words) are left out.
pub fn facts(tips: &[&CaseTip], free_text: bool) -> Vec<Fact> {
    let c = |t: &CaseTip| t.entities.conditions.clone();
    let mut out: Vec<Fact> = [
        numbers(tips, "hours per day", |t| c(t).hours_per_day, 1.0),
        numbers(
            tips,
            "rest days per month",
            |t| c(t).rest_days_per_month,
            1.0,
        ),
        numbers(
            tips,
            "workers",
            |t| c(t).workers.map(|n| n as f64),
            f64::INFINITY,
        ),
        flags(tips, "passports held by others", |t| {
            c(t).passports_held_by_others
        }),
        flags(tips, "movement restricted", |t| c(t).movement_restricted),
    ]
    .into_iter()
    .flatten()
    .collect();
    if free_text {
        out.extend(written(tips, "wages", |t| c(t).wages));
        out.extend(written(tips, "housing", |t| c(t).housing));
    }
    if let Some(f) = actions(tips) {
        out.push(f);
    }
    out
}

/// Minders' actions (the form's vocabulary): how many tips name each.
fn actions(tips: &[&CaseTip]) -> Option<Fact> {
    let mut count: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for t in tips {
        let mut seen: Vec<&str> = t
            .entities
            .minders
            .iter()
            .flat_map(|m| m.actions.iter().map(String::as_str))
            .collect();
        seen.sort();
        seen.dedup();
        for a in seen {
            count.entry(a).or_default().push(t.short());
        }
    }
    if count.is_empty() {
        return None;
    }
    let parts: Vec<String> = count
        .iter()
        .map(|(a, ts)| format!("{a} ({} of {})", ts.len(), tips.len()))
        .collect();
    Some(Fact {
        fact: "minders' actions".into(),
        verdict: if count.values().all(|ts| ts.len() == tips.len()) {
            "agree"
        } else {
            "partly"
        },
        summary: format!("minders' actions: {}", parts.join(", ")),
        values: count
            .into_iter()
            .map(|(a, ts)| (a.to_string(), ts.join(" ")))
            .collect(),
    })
}
