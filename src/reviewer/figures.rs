//! Figures for advocacy over a set of decrypted tips (all of them, a filter's, or one
//! case's): how many per country, sector and site; the hours per day (median, range and a
//! histogram); the share of tips reporting passports taken and wages withheld, with the
//! numerator, the denominator and the tips that say nothing kept apart from a "no". Both
//! faces use it: the markdown report and the JSON export, `tipseal review figures`, and
//! the desk's charts.
//!
//! Read from the structured fields only (the form's yes/no answers and its vocabulary of
//! minders' actions), never from free text, so a figure means the same in every language.
//! Must never: count a tip that says nothing as a "no", or name a tip (figures are counts
//! and may leave the team; a count under 3 is still a count, the re-identification check
//! is the export's job).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::cases::{Case, CaseTip};

/// What a count is keyed by when a tip does not say.
pub const UNKNOWN: &str = "unknown";

/// One bar: a key and how many tips fall under it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Count {
    /// The country code, sector or site; [`UNKNOWN`] when the tip does not say.
    pub key: String,
    /// Tips.
    pub tips: usize,
}

/// One histogram bucket of hours per day: `from` ≤ hours < `to` (`to` absent: no bound).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Bucket {
    /// "<8", "8–10" … "16+".
    pub label: String,
    /// Lower bound, inclusive.
    pub from: f64,
    /// Upper bound, exclusive (none for the last bucket).
    pub to: Option<f64>,
    /// Tips.
    pub tips: usize,
}

/// The hours per day the tips report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Distribution {
    /// Tips that give a number.
    pub reported: usize,
    /// Tips that do not.
    pub unknown: usize,
    /// The median of the numbers given (the mean of the two middle ones for an even count).
    pub median: Option<f64>,
    /// The smallest.
    pub min: Option<f64>,
    /// The largest.
    pub max: Option<f64>,
    /// The histogram, every bucket present (zero included) so charts line up.
    pub buckets: Vec<Bucket>,
}

/// How many tips report something: `yes` of `total`; `no` when the form can say no.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Share {
    /// Tips that report it (the numerator).
    pub yes: usize,
    /// Tips that say it did not happen; `None` when the form has no way to say so (then
    /// every tip that does not report it is unknown).
    pub no: Option<usize>,
    /// Tips that say nothing about it.
    pub unknown: usize,
    /// Every tip counted (the denominator): yes + no + unknown.
    pub total: usize,
    /// yes / total, 0–1; `None` for no tips.
    pub share: Option<f64>,
    /// yes / (yes + no), among the tips that answer; `None` when no tip can or does say no.
    pub share_of_answers: Option<f64>,
    /// How it is read from a tip, for a person.
    pub rule: String,
}

/// Every figure over one set of tips.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    /// Tips counted.
    pub tips: usize,
    /// Tips per country (ISO 3166 code as written, upper-cased), most first.
    pub by_country: Vec<Count>,
    /// Tips per sector (normalised, else as written), most first.
    pub by_sector: Vec<Count>,
    /// Tips per site: the case they are in (its name, else its title), else the site's
    /// name and city as written; most first.
    pub by_site: Vec<Count>,
    /// Hours worked per day.
    pub hours_per_day: Distribution,
    /// Passports taken: held by others, or a minder who confiscates them.
    pub passports_taken: Share,
    /// Wages withheld: a minder who collects the wages.
    pub wages_withheld: Share,
}

/// The hours buckets' bounds: <8, 8–10, 10–12, 12–14, 14–16, 16+.
const HOUR_BOUNDS: [f64; 5] = [8.0, 10.0, 12.0, 14.0, 16.0];

/// The figures of `tips`; `cases` names the sites (a tip in a case counts under the case).
pub fn figures(tips: &[&CaseTip], cases: &[Case]) -> Figures {
    figures_by(tips, &|t| {
        cases
            .iter()
            .find(|c| c.tips.contains(&t.id))
            .map(|c| c.name.clone().unwrap_or_else(|| c.title.clone()))
    })
}

/// The figures of `tips`, `case_site` naming the site of a tip that is in a case (`None`:
/// the site's name and city as the tip writes them).
pub fn figures_by(tips: &[&CaseTip], case_site: &dyn Fn(&CaseTip) -> Option<String>) -> Figures {
    let site_of = |t: &CaseTip| -> String {
        if let Some(c) = case_site(t) {
            return c;
        }
        let w = &t.entities.worksite;
        match (&w.name, &w.city) {
            (Some(n), Some(c)) => format!("{n} — {c}"),
            (Some(n), None) => n.clone(),
            (None, Some(c)) => format!("a site in {c}"),
            (None, None) => UNKNOWN.into(),
        }
    };
    Figures {
        tips: tips.len(),
        by_country: counts(tips.iter().map(|t| {
            t.entities
                .worksite
                .country
                .as_deref()
                .map(|c| c.trim().to_uppercase())
                .filter(|c| !c.is_empty())
                .unwrap_or_else(|| UNKNOWN.into())
        })),
        by_sector: counts(tips.iter().map(|t| {
            let w = &t.entities.worksite;
            w.sector
                .and_then(|s| serde_json::to_value(s).ok())
                .and_then(|v| v.as_str().map(str::to_owned))
                .or_else(|| w.sector_written.clone())
                .unwrap_or_else(|| UNKNOWN.into())
        })),
        by_site: counts(tips.iter().map(|&t| site_of(t))),
        hours_per_day: hours(tips),
        passports_taken: share(
            tips,
            |t| {
                let acted = has_action(t, "confiscates_passports");
                match t.entities.conditions.passports_held_by_others {
                    Some(true) => Some(true),
                    _ if acted => Some(true),
                    Some(false) => Some(false),
                    None => None,
                }
            },
            true,
            "yes: passports held by others, or a minder who confiscates passports; no: \
             passports not held by others (and no such minder); unknown: the tip does not say",
        ),
        wages_withheld: share(
            tips,
            |t| has_action(t, "collects_wages").then_some(true),
            false,
            "yes: a minder who collects the wages; the form has no \"wages paid\" answer, so \
             every other tip is unknown (wages as written are free text, not compared)",
        ),
    }
}

fn has_action(t: &CaseTip, action: &str) -> bool {
    t.entities
        .minders
        .iter()
        .any(|m| m.actions.iter().any(|a| a == action))
}

/// Counts per key, most first, then by key.
fn counts(keys: impl Iterator<Item = String>) -> Vec<Count> {
    let mut m: BTreeMap<String, usize> = BTreeMap::new();
    for k in keys {
        *m.entry(k).or_default() += 1;
    }
    let mut v: Vec<Count> = m
        .into_iter()
        .map(|(key, tips)| Count { key, tips })
        .collect();
    v.sort_by(|a, b| b.tips.cmp(&a.tips).then_with(|| a.key.cmp(&b.key)));
    v
}

fn hours(tips: &[&CaseTip]) -> Distribution {
    let mut xs: Vec<f64> = tips
        .iter()
        .filter_map(|t| t.entities.conditions.hours_per_day)
        // A day has 24 hours: anything else is a typing error, not a figure.
        .filter(|h| h.is_finite() && (0.0..=24.0).contains(h))
        .collect();
    xs.sort_by(f64::total_cmp);
    let median = match xs.len() {
        0 => None,
        n if n % 2 == 1 => Some(xs[n / 2]),
        n => Some((xs[n / 2 - 1] + xs[n / 2]) / 2.0),
    };
    let mut buckets = Vec::with_capacity(HOUR_BOUNDS.len() + 1);
    let mut from = 0.0;
    for (i, &to) in HOUR_BOUNDS.iter().enumerate() {
        let label = if i == 0 {
            format!("<{to}")
        } else {
            format!("{from}–{to}")
        };
        buckets.push(Bucket {
            label,
            from,
            to: Some(to),
            tips: xs.iter().filter(|&&h| h >= from && h < to).count(),
        });
        from = to;
    }
    buckets.push(Bucket {
        label: format!("{from}+"),
        from,
        to: None,
        tips: xs.iter().filter(|&&h| h >= from).count(),
    });
    Distribution {
        reported: xs.len(),
        unknown: tips.len() - xs.len(),
        median,
        min: xs.first().copied(),
        max: xs.last().copied(),
        buckets,
    }
}

fn share(
    tips: &[&CaseTip],
    read: impl Fn(&CaseTip) -> Option<bool>,
    can_say_no: bool,
    rule: &str,
) -> Share {
    let answers: Vec<Option<bool>> = tips.iter().map(|&t| read(t)).collect();
    let yes = answers.iter().filter(|a| **a == Some(true)).count();
    let no = answers.iter().filter(|a| **a == Some(false)).count();
    let unknown = answers.iter().filter(|a| a.is_none()).count();
    let total = tips.len();
    let ratio = |n: usize, d: usize| (d > 0).then(|| n as f64 / d as f64);
    Share {
        yes,
        no: can_say_no.then_some(no),
        unknown,
        total,
        share: ratio(yes, total),
        share_of_answers: if can_say_no {
            ratio(yes, yes + no)
        } else {
            None
        },
        rule: rule.into(),
    }
}

/// The figures as markdown lines (for the report's "Figures" section), no heading.
pub fn markdown(f: &Figures) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let list = |xs: &[Count]| {
        xs.iter()
            .map(|c| format!("{} {}", c.key, c.tips))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let _ = writeln!(
        s,
        "Over {} tip{}.\n",
        f.tips,
        if f.tips == 1 { "" } else { "s" }
    );
    let _ = writeln!(s, "- By country: {}", list(&f.by_country));
    let _ = writeln!(s, "- By sector: {}", list(&f.by_sector));
    let _ = writeln!(s, "- By site: {}", list(&f.by_site));
    let h = &f.hours_per_day;
    match (h.median, h.min, h.max) {
        (Some(med), Some(lo), Some(hi)) => {
            let _ = writeln!(
                s,
                "- Hours per day: median {med}, from {lo} to {hi} ({} tips say, {} do not); {}",
                h.reported,
                h.unknown,
                h.buckets
                    .iter()
                    .map(|b| format!("{}: {}", b.label, b.tips))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        _ => {
            let _ = writeln!(s, "- Hours per day: no tip says");
        }
    }
    for (what, sh) in [
        ("Passports taken", &f.passports_taken),
        ("Wages withheld", &f.wages_withheld),
    ] {
        let _ = writeln!(s, "- {what}: {}", share_line(sh));
    }
    s
}

/// "3 of 5 tips (60 %); no 1, unknown 1".
pub fn share_line(sh: &Share) -> String {
    let pct = sh
        .share
        .map(|x| format!(" ({:.0} %)", x * 100.0))
        .unwrap_or_default();
    match sh.no {
        Some(no) => format!(
            "{} of {} tips{pct}; no {no}, unknown {}",
            sh.yes, sh.total, sh.unknown
        ),
        None => format!(
            "{} of {} tips{pct}; the others do not say ({})",
            sh.yes, sh.total, sh.unknown
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::TipId;
    use crate::reviewer::matching::entities::{Conditions, Minder, TipEntities, Worksite};

    fn tip(n: u8, country: Option<&str>, hours: Option<f64>, passports: Option<bool>) -> CaseTip {
        CaseTip {
            id: TipId::from_bytes([n; 16]),
            received: "2026-11-01".into(),
            entities: TipEntities {
                worksite: Worksite {
                    name: Some(format!("site {n}")),
                    city: Some("Vladivostok".into()),
                    country: country.map(str::to_owned),
                    sector_written: Some("construction".into()),
                    ..Worksite::default()
                },
                conditions: Conditions {
                    hours_per_day: hours,
                    passports_held_by_others: passports,
                    ..Conditions::default()
                },
                ..TipEntities::default()
            },
            relation: None,
            reply_key: None,
            narrative: None,
        }
    }

    fn with_action(mut t: CaseTip, a: &str) -> CaseTip {
        t.entities.minders.push(Minder {
            actions: vec![a.into()],
            ..Minder::default()
        });
        t
    }

    #[test]
    fn counts_per_country_most_first_and_unknown_kept() {
        let ts = [
            tip(1, Some("ru"), None, None),
            tip(2, Some("RU"), None, None),
            tip(3, Some("CN"), None, None),
            tip(4, None, None, None),
        ];
        let refs: Vec<&CaseTip> = ts.iter().collect();
        let f = figures(&refs, &[]);
        assert_eq!(f.tips, 4);
        let got: Vec<(&str, usize)> = f
            .by_country
            .iter()
            .map(|c| (c.key.as_str(), c.tips))
            .collect();
        assert_eq!(got, [("RU", 2), ("CN", 1), ("unknown", 1)]);
        assert_eq!(
            f.by_sector,
            [Count {
                key: "construction".into(),
                tips: 4
            }]
        );
        assert_eq!(f.by_site.len(), 4, "{:?}", f.by_site);
        assert_eq!(f.by_site[0].key, "site 1 — Vladivostok");
    }

    #[test]
    fn hours_median_range_and_buckets() {
        let ts = [
            tip(1, None, Some(12.0), None),
            tip(2, None, Some(14.0), None),
            tip(3, None, Some(16.0), None),
            tip(4, None, Some(10.0), None),
            tip(5, None, None, None),
            tip(6, None, Some(99.0), None),
        ];
        let refs: Vec<&CaseTip> = ts.iter().collect();
        let h = figures(&refs, &[]).hours_per_day;
        assert_eq!(h.reported, 4);
        assert_eq!(h.unknown, 2, "no number, and 99 hours a day, are unknown");
        assert_eq!(h.median, Some(13.0));
        assert_eq!((h.min, h.max), (Some(10.0), Some(16.0)));
        let b: Vec<(&str, usize)> = h
            .buckets
            .iter()
            .map(|b| (b.label.as_str(), b.tips))
            .collect();
        assert_eq!(
            b,
            [
                ("<8", 0),
                ("8–10", 0),
                ("10–12", 1),
                ("12–14", 1),
                ("14–16", 1),
                ("16+", 1)
            ]
        );
        assert_eq!(h.buckets.iter().map(|b| b.tips).sum::<usize>(), h.reported);
        let odd = [tip(1, None, Some(11.0), None)];
        let refs: Vec<&CaseTip> = odd.iter().collect();
        assert_eq!(figures(&refs, &[]).hours_per_day.median, Some(11.0));
    }

    #[test]
    fn passports_keep_unknown_apart_from_no() {
        let ts = [
            tip(1, None, None, Some(true)),
            tip(2, None, None, Some(false)),
            tip(3, None, None, None),
            with_action(tip(4, None, None, None), "confiscates_passports"),
            // "Not held" but a minder confiscates them: the action is a report of it.
            with_action(tip(5, None, None, Some(false)), "confiscates_passports"),
        ];
        let refs: Vec<&CaseTip> = ts.iter().collect();
        let p = figures(&refs, &[]).passports_taken;
        assert_eq!((p.yes, p.no, p.unknown, p.total), (3, Some(1), 1, 5));
        assert_eq!(p.share, Some(0.6));
        assert_eq!(p.share_of_answers, Some(0.75));
        assert_eq!(share_line(&p), "3 of 5 tips (60 %); no 1, unknown 1");
    }

    #[test]
    fn wages_withheld_has_no_no() {
        let ts = [
            with_action(tip(1, None, None, None), "collects_wages"),
            with_action(tip(2, None, None, None), "escorts_workers"),
            tip(3, None, None, None),
        ];
        let refs: Vec<&CaseTip> = ts.iter().collect();
        let w = figures(&refs, &[]).wages_withheld;
        assert_eq!((w.yes, w.no, w.unknown, w.total), (1, None, 2, 3));
        assert_eq!(w.share_of_answers, None);
        assert!(share_line(&w).contains("1 of 3 tips (33 %)"));
    }

    #[test]
    fn a_tip_in_a_case_counts_under_the_case_and_the_report_lists_it() {
        let ts = [
            tip(1, Some("RU"), Some(16.0), Some(true)),
            tip(2, Some("RU"), Some(15.0), None),
            tip(3, Some("RU"), None, None),
        ];
        let case = Case {
            id: crate::domain::triage::CaseId::parse("case-0123456789abcdef").unwrap(),
            status: crate::reviewer::cases::CaseStatus::Confirmed,
            name: Some("Harbour works".into()),
            title: "site 1 / site 2 — Vladivostok".into(),
            tips: vec![ts[0].id, ts[1].id],
            languages: Vec::new(),
            observed: None,
            received: (String::new(), String::new()),
            reasons: Vec::new(),
            facts: Vec::new(),
            minders: Vec::new(),
            independence: Vec::new(),
            confirmed_by: None,
        };
        let refs: Vec<&CaseTip> = ts.iter().collect();
        let f = figures(&refs, std::slice::from_ref(&case));
        let sites: Vec<(&str, usize)> =
            f.by_site.iter().map(|c| (c.key.as_str(), c.tips)).collect();
        assert_eq!(sites, [("Harbour works", 2), ("site 3 — Vladivostok", 1)]);
        let md = markdown(&f);
        assert!(
            md.contains("- By site: Harbour works 2, site 3 — Vladivostok 1"),
            "{md}"
        );
        assert!(
            md.contains("median 15.5, from 15 to 16 (2 tips say, 1 do not)"),
            "{md}"
        );
        assert!(
            md.contains("- Passports taken: 1 of 3 tips (33 %); no 0, unknown 2"),
            "{md}"
        );
    }

    #[test]
    fn no_tips_no_division() {
        let f = figures(&[], &[]);
        assert_eq!(f.tips, 0);
        assert_eq!(f.passports_taken.share, None);
        assert_eq!(f.hours_per_day.median, None);
        assert!(markdown(&f).contains("Hours per day: no tip says"));
    }
}
