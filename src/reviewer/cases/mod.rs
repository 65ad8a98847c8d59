//! Cases: groups of tips about one worksite, employer or minder, on the reviewer's
//! machine. Suggested cases come from `matching` (pairwise site links joined by union,
//! each with its reasons); confirmed cases come from the team log (`confirm_case`,
//! `name_case`, `dissolve_case` events, signed and sealed like triage). Each case shows its
//! tips, languages, date range, the facts they agree or disagree on, its minders (and
//! whether one is seen at another case's site), and the independence check.
//!
//! Must never: print, prompt, or write a plaintext anywhere; send anything to the server
//! but sealed, signed team-log events; put a tip in two confirmed cases.

pub mod cluster;
pub mod facts;
pub mod independence;
mod select;
pub mod suggest;
mod team;
pub mod tip;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use serde::Serialize;

use crate::domain::triage::{CaseId, TeamCases};
use crate::domain::TipId;
use crate::reviewer::matching::gazetteer::Gazetteer;
use crate::reviewer::matching::link::link_minders;

pub use facts::Fact;
pub use select::Selection;
pub use tip::CaseTip;

/// Whether the team has confirmed a case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    /// Matching suggests it; nobody has confirmed it.
    Suggested,
    /// A reviewer confirmed it in the team log.
    Confirmed,
}

/// A minder as a case shows them.
#[derive(Clone, Debug, Serialize)]
pub struct CaseMinder {
    /// The names or aliases as the tips write them.
    pub written: Vec<String>,
    /// Tips naming them (short ids).
    pub tips: Vec<String>,
    /// Other cases where a minder linked to them is seen, with the reason.
    pub also_at: Vec<String>,
}

/// One case, ready to show.
#[derive(Clone, Debug, Serialize)]
pub struct Case {
    /// Its id.
    pub id: CaseId,
    /// Suggested or confirmed.
    pub status: CaseStatus,
    /// The team's name for it (confirmed and named only).
    pub name: Option<String>,
    /// The worksite as the tips name it, and its city.
    pub title: String,
    /// Its tips.
    pub tips: Vec<TipId>,
    /// Languages the tips were written in.
    pub languages: Vec<String>,
    /// First and last day observed (as written, partial dates widened).
    pub observed: Option<(String, String)>,
    /// First and last day received.
    pub received: (String, String),
    /// Why these tips are together, one line per link (or per decision).
    pub reasons: Vec<String>,
    /// What they say about conditions.
    pub facts: Vec<Fact>,
    /// The minders they name.
    pub minders: Vec<CaseMinder>,
    /// Tips that may come from one witness.
    pub independence: Vec<String>,
    /// Who confirmed it (their name on the keyring), when confirmed.
    pub confirmed_by: Option<String>,
}

/// A suggested case's id: BLAKE2b of its sorted tip ids, so the same group keeps its id.
pub fn case_id_of(tips: &[TipId]) -> CaseId {
    let mut sorted = tips.to_vec();
    sorted.sort();
    let parts: Vec<&[u8]> = sorted.iter().map(|t| t.as_bytes().as_slice()).collect();
    let h = crate::crypto::hash32(b"tipseal/case-id/v1\0", &parts);
    let mut b = [0u8; 8];
    b.copy_from_slice(&h[..8]);
    CaseId::from_bytes(b)
}

/// Builds every case over `tips`: the confirmed ones of `team` (their tips kept out of
/// suggestions), then the suggested ones, largest first. `name_of` gives a reviewer's
/// name from their key id.
pub fn build(
    tips: &[CaseTip],
    team: &TeamCases,
    name_of: &dyn Fn(crate::domain::KeyId) -> String,
) -> Vec<Case> {
    let index: HashMap<TipId, usize> = tips.iter().enumerate().map(|(i, t)| (t.id, i)).collect();
    let mut cases = Vec::new();
    let mut taken = BTreeSet::new();
    for c in team.cases.values() {
        let members: Vec<usize> = c
            .tips
            .iter()
            .filter_map(|t| index.get(t).copied())
            .collect();
        taken.extend(c.tips.iter().copied());
        let sub: Vec<CaseTip> = members.iter().map(|&i| tips[i].clone()).collect();
        let links = suggest::links(&sub);
        let mut reasons = vec![format!(
            "confirmed by {} ({} tips{})",
            name_of(c.confirmed_by),
            c.tips.len(),
            if members.len() < c.tips.len() {
                format!(", {} not on this machine", c.tips.len() - members.len())
            } else {
                String::new()
            }
        )];
        reasons.extend(links.iter().map(|l| link_line(&sub, l)));
        let mut case = make(&sub, (0..sub.len()).collect(), reasons);
        case.id = c.id.clone();
        case.tips = c.tips.clone();
        case.status = CaseStatus::Confirmed;
        case.name = c.name.as_ref().map(|n| n.as_str().to_owned());
        case.confirmed_by = Some(name_of(c.confirmed_by));
        cases.push(case);
    }
    let free: Vec<CaseTip> = tips
        .iter()
        .filter(|t| !taken.contains(&t.id))
        .cloned()
        .collect();
    for g in cluster::suggest(&free) {
        let reasons = g.links.iter().map(|l| link_line(&free, l)).collect();
        cases.push(make(&free, g.members, reasons));
    }
    let all: HashMap<TipId, &CaseTip> = tips.iter().map(|t| (t.id, t)).collect();
    minders_elsewhere(&mut cases, &all);
    cases
}

fn link_line(tips: &[CaseTip], l: &suggest::Link) -> String {
    format!(
        "{} ({}) ~ {} ({}), {:.2}: {}",
        tips[l.a].short(),
        tips[l.a].entities.language.as_deref().unwrap_or("?"),
        tips[l.b].short(),
        tips[l.b].entities.language.as_deref().unwrap_or("?"),
        l.score,
        l.reason
    )
}

fn make(tips: &[CaseTip], members: Vec<usize>, reasons: Vec<String>) -> Case {
    let ts: Vec<&CaseTip> = members.iter().map(|&i| &tips[i]).collect();
    let ids: Vec<TipId> = ts.iter().map(|t| t.id).collect();
    let mut languages: Vec<String> = ts
        .iter()
        .filter_map(|t| t.entities.language.clone())
        .collect();
    languages.sort();
    languages.dedup();
    let received = (
        ts.iter()
            .map(|t| t.received.clone())
            .min()
            .unwrap_or_default(),
        ts.iter()
            .map(|t| t.received.clone())
            .max()
            .unwrap_or_default(),
    );
    Case {
        id: case_id_of(&ids),
        status: CaseStatus::Suggested,
        name: None,
        title: title(&ts),
        tips: ids,
        languages,
        observed: observed(&ts),
        received,
        reasons,
        facts: facts::facts(&ts, true),
        minders: minders(&ts),
        independence: independence::check(&ts),
        confirmed_by: None,
    }
}

/// "Site name / other name — City": the names as written, the city in English.
fn title(ts: &[&CaseTip]) -> String {
    let mut names: Vec<&str> = ts
        .iter()
        .filter_map(|t| t.entities.worksite.name.as_deref())
        .collect();
    names.dedup();
    let names: Vec<&str> = names.into_iter().take(2).collect();
    let city = ts
        .iter()
        .find_map(|t| t.entities.worksite.place.as_deref())
        .map(|p| {
            Gazetteer::builtin()
                .by_id(p)
                .map_or(p.to_owned(), |x| x.name().to_owned())
        })
        .or_else(|| ts.iter().find_map(|t| t.entities.worksite.city.clone()))
        .unwrap_or_else(|| "city unknown".into());
    if names.is_empty() {
        city
    } else {
        format!("{} — {city}", names.join(" / "))
    }
}

/// A partial date's first or last day (`2024-03` → 2024-03-01 / 2024-03-31).
fn widen(d: &str, last: bool) -> Option<String> {
    let d = d.trim();
    let ok = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    match d.len() {
        4 if ok(d) => Some(format!("{d}-{}", if last { "12-31" } else { "01-01" })),
        7 if ok(&d[..4]) && ok(&d[5..]) => Some(format!("{d}-{}", if last { "31" } else { "01" })),
        10 => Some(d.to_owned()),
        _ => None,
    }
}

fn observed(ts: &[&CaseTip]) -> Option<(String, String)> {
    let from = ts
        .iter()
        .filter_map(|t| widen(t.entities.observed_from.as_deref()?, false))
        .min()?;
    let to = ts
        .iter()
        .filter_map(|t| {
            let e = &t.entities;
            widen(
                e.observed_to.as_deref().or(e.observed_from.as_deref())?,
                true,
            )
        })
        .max()?;
    Some((from, to))
}

/// The minders of a case, those linked across its tips shown as one.
fn minders(ts: &[&CaseTip]) -> Vec<CaseMinder> {
    let mut out: Vec<(Vec<(usize, usize)>, CaseMinder)> = Vec::new();
    for (ti, t) in ts.iter().enumerate() {
        for (mi, m) in t.entities.minders.iter().enumerate() {
            let written = m.written.clone().unwrap_or_else(|| "(no name)".into());
            let same = out.iter_mut().find(|(refs, _)| {
                refs.iter().any(|&(tj, mj)| {
                    tj != ti
                        && link_minders(
                            &ts[tj].entities,
                            &ts[tj].entities.minders[mj],
                            &t.entities,
                            m,
                        )
                        .is_some_and(|l| l.score >= 0.5)
                })
            });
            match same {
                Some((refs, cm)) => {
                    refs.push((ti, mi));
                    if !cm.written.contains(&written) {
                        cm.written.push(written);
                    }
                    if !cm.tips.contains(&t.short()) {
                        cm.tips.push(t.short());
                    }
                }
                None => out.push((
                    vec![(ti, mi)],
                    CaseMinder {
                        written: vec![written],
                        tips: vec![t.short()],
                        also_at: Vec::new(),
                    },
                )),
            }
        }
    }
    out.into_iter().map(|(_, m)| m).collect()
}

/// How many other cases one minder's "also at" lists by name; the rest are counted.
const ALSO_AT_SHOWN: usize = 8;

/// Marks minders linked (by name, at least 0.6) to a minder of another case: a minder seen
/// at several sites. Only named minders with a known surname are compared, in blocks of one
/// surname and one city (a surname alone reaches 0.6 only with the same city) or one
/// surname with given names on both sides (a full name may travel), and one pair of cases
/// at a time: the first linked pair of minders speaks for the two cases.
fn minders_elsewhere(cases: &mut [Case], tips: &HashMap<TipId, &CaseTip>) {
    type Entry<'a> = (&'a CaseTip, usize);
    // block → case index → minders of that case in the block.
    let mut blocks: HashMap<(&str, String), BTreeMap<usize, Vec<Entry<'_>>>> = HashMap::new();
    for (ci, c) in cases.iter().enumerate() {
        for id in &c.tips {
            let Some(t) = tips.get(id) else { continue };
            for (mi, m) in t.entities.minders.iter().enumerate() {
                let (Some(s), Some(name)) = (m.surname, &m.name) else {
                    continue;
                };
                let site = &t.entities.worksite;
                let place = site.place.clone().unwrap_or_default();
                let mut keys = vec![(s, format!("city/{place}"))];
                // Beyond the city, what lifts a surname to 0.6: a given name, or the same
                // employer or site name in another city.
                if has_given_name(name) {
                    keys.push((s, "full name".to_string()));
                }
                for (what, field) in [("employer", &site.employer), ("site", &site.name)] {
                    if let Some(k) = field.as_deref().and_then(first_key) {
                        keys.push((s, format!("{what}/{k}")));
                    }
                }
                for k in keys {
                    blocks
                        .entry(k)
                        .or_default()
                        .entry(ci)
                        .or_default()
                        .push((*t, mi));
                }
            }
        }
    }
    let mut done: HashSet<(usize, usize, &str)> = HashSet::new();
    // (case, minder as written) → notes, and how many more were not written out.
    let mut notes: BTreeMap<(usize, String), (Vec<String>, usize)> = BTreeMap::new();
    let mut blocks: Vec<_> = blocks.into_iter().collect();
    blocks.sort_by(|x, y| x.0.cmp(&y.0));
    for ((surname, _), by_case) in &blocks {
        let by_case: Vec<(&usize, &Vec<Entry<'_>>)> = by_case.iter().collect();
        for (n, &(&ca, ea)) in by_case.iter().enumerate() {
            for &(&cb, eb) in &by_case[n + 1..] {
                if !done.insert((ca, cb, *surname)) {
                    continue;
                }
                let found = ea.iter().find_map(|&(ta, ma)| {
                    eb.iter().find_map(|&(tb, mb)| {
                        let (xa, xb) = (&ta.entities.minders[ma], &tb.entities.minders[mb]);
                        link_minders(&ta.entities, xa, &tb.entities, xb)
                            .filter(|l| l.score >= 0.6)
                            .map(|l| (xa, xb, l))
                    })
                });
                let Some((xa, xb, l)) = found else { continue };
                let wa = xa.written.clone().unwrap_or_default();
                let wb = xb.written.clone().unwrap_or_default();
                for (here, there, mine, theirs) in [(ca, cb, &wa, &wb), (cb, ca, &wb, &wa)] {
                    let entry = notes.entry((here, mine.clone())).or_default();
                    if entry.0.len() < ALSO_AT_SHOWN {
                        entry.0.push(format!(
                            "{theirs} in case {} ({}), {:.2}: {}",
                            cases[there].id, cases[there].title, l.score, l.reason
                        ));
                    } else {
                        entry.1 += 1;
                    }
                }
            }
        }
    }
    for ((ci, written), (mut list, more)) in notes {
        if more > 0 {
            list.push(format!("… and {more} more cases"));
        }
        if let Some(m) = cases[ci]
            .minders
            .iter_mut()
            .find(|m| m.written.contains(&written))
        {
            for note in list {
                if !m.also_at.contains(&note) {
                    m.also_at.push(note);
                }
            }
        }
    }
}

/// Whether a minder's name has more than a surname: two words, or a Hangul or Hanzi name
/// of two syllables or more ("김정철").
fn has_given_name(name: &str) -> bool {
    use crate::reviewer::matching::{pinyin::has_han, romanize::has_hangul};
    let words = name.split_whitespace().count();
    words > 1 || ((has_hangul(name) || has_han(name)) && name.chars().count() >= 2)
}

/// The first comparison key of a name, for blocks.
fn first_key(text: &str) -> Option<String> {
    crate::reviewer::matching::keys::keys(text)
        .into_iter()
        .next()
        .map(|k| k.key)
}

#[cfg(test)]
pub(crate) mod tests;
