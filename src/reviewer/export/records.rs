//! One tip as an export writes it: a flat record of the structured fields, with the
//! witness-identifying ones (relation, narrative, wages and housing in the witness's
//! words, the address, minders' descriptions) left out when redacted.
//!
//! Must never: write a reply key, a receipt, an attachment or anything not listed here.

use serde_json::{json, Map, Value};

use crate::reviewer::cases::CaseTip;

/// The columns of a record, in order; the redacted ones are marked.
pub const COLUMNS: [(&str, bool); 22] = [
    ("id", false),
    ("received", false),
    ("language", false),
    ("site", false),
    ("employer", false),
    ("city", false),
    ("country", false),
    ("sector", false),
    ("observed_from", false),
    ("observed_to", false),
    ("workers", false),
    ("nationality", false),
    ("hours_per_day", false),
    ("rest_days_per_month", false),
    ("passports_held_by_others", false),
    ("movement_restricted", false),
    ("minders", false),
    ("minder_actions", false),
    ("wages", true),
    ("housing", true),
    ("relation", true),
    ("narrative", true),
];

/// The record of `t`; with `redact`, the marked columns are absent.
pub fn record(t: &CaseTip, redact: bool) -> Map<String, Value> {
    let e = &t.entities;
    let w = &e.worksite;
    let c = &e.conditions;
    let minders: Vec<String> = e
        .minders
        .iter()
        .map(|m| {
            let roles: Vec<&str> = m.roles.iter().map(|r| r.label()).collect();
            let name = m.written.clone().unwrap_or_else(|| "(no name)".into());
            if roles.is_empty() {
                name
            } else {
                format!("{name} ({})", roles.join(", "))
            }
        })
        .collect();
    let mut actions: Vec<&str> = e
        .minders
        .iter()
        .flat_map(|m| m.actions.iter().map(String::as_str))
        .collect();
    actions.sort();
    actions.dedup();
    let all = json!({
        "id": t.id.to_string(),
        "received": t.received,
        "language": e.language,
        "site": w.name,
        "employer": w.employer,
        "city": w.city,
        "country": w.country,
        "sector": w.sector.and_then(|s| serde_json::to_value(s).ok()).or_else(|| w.sector_written.clone().map(Value::from)),
        "observed_from": e.observed_from,
        "observed_to": e.observed_to,
        "workers": c.workers,
        "nationality": c.nationality,
        "hours_per_day": c.hours_per_day,
        "rest_days_per_month": c.rest_days_per_month,
        "passports_held_by_others": c.passports_held_by_others,
        "movement_restricted": c.movement_restricted,
        "minders": minders.join("; "),
        "minder_actions": actions.join("; "),
        "wages": c.wages,
        "housing": c.housing,
        "relation": t.relation,
        "narrative": t.narrative,
    });
    let mut out = Map::new();
    for (col, sensitive) in COLUMNS {
        if redact && sensitive {
            continue;
        }
        out.insert(col.into(), all[col].clone());
    }
    out
}

/// A CSV file (RFC 4180: quoted where needed, CRLF lines) of `records`.
pub fn csv(records: &[Map<String, Value>], redact: bool) -> Vec<u8> {
    let cols: Vec<&str> = COLUMNS
        .iter()
        .filter(|(_, s)| !(redact && *s))
        .map(|(c, _)| *c)
        .collect();
    let mut out = String::new();
    out.push_str(&cols.iter().map(|c| field(c)).collect::<Vec<_>>().join(","));
    out.push_str("\r\n");
    for r in records {
        let cells: Vec<String> = cols
            .iter()
            .map(|c| match r.get(*c) {
                None | Some(Value::Null) => String::new(),
                Some(Value::String(s)) => field(s),
                Some(v) => field(&v.to_string()),
            })
            .collect();
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    out.into_bytes()
}

fn field(s: &str) -> String {
    // A leading = + - @ would run as a formula in a spreadsheet: quote it with a '.
    let s = if s.starts_with(['=', '+', '-', '@']) && s.parse::<f64>().is_err() {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n', '\r']) || s.starts_with('\'') {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}
