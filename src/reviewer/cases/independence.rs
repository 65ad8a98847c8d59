//! The independence check: pairs of tips in a case that may come from one witness, so that
//! two tips are not counted as two accounts. Flags: the same reply mailbox key,
//! near-identical narratives, the same day and the same relation.
//!
//! Must never: drop or merge a tip — it flags, with the reason, for a person to judge.

use strsim::normalized_levenshtein;

use super::tip::CaseTip;

/// Narratives at least this similar (normalised Levenshtein) are "near-identical": a
/// resend or a copy, not a second account in the same words.
pub const NEAR_IDENTICAL: f64 = 0.9;

/// Characters of a narrative compared: enough to tell a copy, bounded so a case of long
/// narratives stays quick (Levenshtein is quadratic).
const COMPARED_CHARS: usize = 600;

/// Flags for the pairs of `tips`, one line each.
pub fn check(tips: &[&CaseTip]) -> Vec<String> {
    let mut out = Vec::new();
    for (i, a) in tips.iter().enumerate() {
        for b in &tips[i + 1..] {
            let (x, y) = (a.short(), b.short());
            if a.reply_key.is_some() && a.reply_key == b.reply_key {
                out.push(format!(
                    "tips {x} and {y} share one reply mailbox: probably one witness"
                ));
            }
            if let (Some(na), Some(nb)) = (&a.narrative, &b.narrative) {
                let na: String = na.chars().take(COMPARED_CHARS).collect();
                let nb: String = nb.chars().take(COMPARED_CHARS).collect();
                let sim = normalized_levenshtein(&na, &nb);
                if sim >= NEAR_IDENTICAL {
                    out.push(format!(
                        "tips {x} and {y} have near-identical narratives ({:.0}% alike): may be one witness sending twice",
                        sim * 100.0
                    ));
                }
            }
            if a.received == b.received && a.relation.is_some() && a.relation == b.relation {
                out.push(format!(
                    "tips {x} and {y} arrived the same day ({}) from the same relation ({}): may be one witness",
                    a.received,
                    a.relation.as_deref().unwrap_or_default()
                ));
            }
        }
    }
    out
}
