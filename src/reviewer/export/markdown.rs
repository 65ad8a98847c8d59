//! The markdown report of one worksite (one case): what it is, its tips, date range,
//! conditions, figures (`reviewer::figures`), minders, corroboration, agreements and disagreements, the independence
//! check — written to be read by a person who has not seen the tips.
//!
//! Must never: include the witness's own words or relation when redacted.

use std::fmt::Write as _;

use crate::reviewer::cases::{facts::facts, Case, CaseTip};
use crate::reviewer::figures;

use super::reident::Flag;

/// The report of `case` over its `tips`.
pub fn report(case: &Case, tips: &[&CaseTip], redact: bool, flags: &[Flag]) -> String {
    let mut s = String::new();
    let title = case.name.clone().unwrap_or_else(|| case.title.clone());
    let _ = writeln!(s, "# {title}\n");
    let status = match case.status {
        crate::reviewer::cases::CaseStatus::Confirmed => format!(
            "confirmed by {}",
            case.confirmed_by.as_deref().unwrap_or("a reviewer")
        ),
        crate::reviewer::cases::CaseStatus::Suggested => {
            "suggested by matching, not yet confirmed by a reviewer".into()
        }
    };
    let _ = writeln!(s, "Case `{}` — {status}.\n", case.id);
    let _ = writeln!(s, "- Worksite: {}", case.title);
    let _ = writeln!(
        s,
        "- Tips: {} in {} ({})",
        tips.len(),
        plural(case.languages.len(), "language"),
        case.languages.join(", ")
    );
    if let Some((from, to)) = &case.observed {
        let _ = writeln!(s, "- Observed: {from} to {to}");
    }
    let _ = writeln!(
        s,
        "- Received: {} to {}\n",
        case.received.0, case.received.1
    );

    let _ = writeln!(s, "## Conditions\n");
    let fs = facts(tips, !redact);
    if fs.is_empty() {
        let _ = writeln!(s, "The tips say nothing structured about conditions.\n");
    }
    for f in &fs {
        let _ = writeln!(s, "- {} — **{}**", f.summary, f.verdict);
        if f.verdict == "as written" {
            for (tip, v) in &f.values {
                let _ = writeln!(s, "  - {tip}: {}", v.replace('\n', " "));
            }
        }
    }
    let agree: Vec<&str> = fs
        .iter()
        .filter(|f| f.verdict == "agree")
        .map(|f| f.fact.as_str())
        .collect();
    let disagree: Vec<&str> = fs
        .iter()
        .filter(|f| f.verdict == "disagree")
        .map(|f| f.fact.as_str())
        .collect();
    let _ = writeln!(s, "\nThe tips agree on: {}.", list(&agree));
    let _ = writeln!(s, "They disagree on: {}.\n", list(&disagree));

    let _ = writeln!(s, "## Figures\n");
    let _ = write!(
        s,
        "{}",
        figures::markdown(&figures::figures(tips, std::slice::from_ref(case)))
    );
    let _ = writeln!(s);

    let _ = writeln!(s, "## Minders\n");
    if case.minders.is_empty() {
        let _ = writeln!(s, "No minder is named.\n");
    }
    for m in &case.minders {
        let _ = writeln!(
            s,
            "- {} — named in {}",
            m.written.join(" / "),
            plural(m.tips.len(), "tip")
        );
        for a in &m.also_at {
            let _ = writeln!(s, "  - also seen at another site: {a}");
        }
    }

    let _ = writeln!(s, "\n## Corroboration\n");
    let _ = writeln!(
        s,
        "Why these tips are read as one worksite (score 0–1 and the evidence):\n"
    );
    for r in &case.reasons {
        let _ = writeln!(s, "- {r}");
    }

    let _ = writeln!(s, "\n## Independence\n");
    if case.independence.is_empty() {
        let _ = writeln!(s, "No two tips look like one witness (no shared mailbox, no near-identical text, no same-day same-relation pair).");
    }
    for f in &case.independence {
        let _ = writeln!(s, "- {f}");
    }

    let _ = writeln!(s, "\n## Tips\n");
    for t in tips {
        let e = &t.entities;
        let _ = writeln!(
            s,
            "- `{}` received {}, in {}: {}{}",
            t.short(),
            t.received,
            e.language.as_deref().unwrap_or("?"),
            e.worksite.name.as_deref().unwrap_or("(site not named)"),
            e.worksite
                .city
                .as_deref()
                .map(|c| format!(", {c}"))
                .unwrap_or_default()
        );
        if !redact {
            if let Some(r) = &t.relation {
                let _ = writeln!(s, "  - witness: {r}");
            }
            if let Some(n) = &t.narrative {
                let _ = writeln!(s, "  - in their words: {}", n.replace('\n', " "));
            }
        }
    }
    if !flags.is_empty() {
        let _ = writeln!(s, "\n## Re-identification warnings\n");
        for f in flags {
            let _ = writeln!(s, "- {}", f.reason);
        }
    }
    if redact {
        let _ = writeln!(
            s,
            "\n_Redacted: the witnesses' relation and their own words are left out._"
        );
    }
    s
}

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

fn list(xs: &[&str]) -> String {
    if xs.is_empty() {
        "nothing compared".into()
    } else {
        xs.join(", ")
    }
}
