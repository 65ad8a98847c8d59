//! Suggested groups: tips linked pairwise as one worksite by `matching::sites` (a score of
//! at least [`SITE_LINK`]), joined into groups by union; each group keeps the links that
//! made it, with their scores and reasons.
//!
//! Only tips in one city are compared (`link_sites` never links two cities), and within a
//! city only tips whose minders share a surname, or where one side names no surname — so
//! the work grows with the tips per city and surname, not with the square of all tips.
//! (Two tips with different minders' surnames linked only by their employer's name are
//! missed: a known gap.) Two tips whose site names carry numbers, none shared ("plot 3",
//! "3공구", "участок 3", "3号工地" against "plot 7"), in any languages, and two tips in the
//! same language that name their sites with no word in common, are never joined, even
//! through others (a cannot-link), which keeps chains of "same city, same team leader Kim"
//! or "same employer" from swallowing every site in town.
//!
//! Must never: join two tips without a link that says why.

use std::collections::{BTreeSet, HashMap};

use crate::reviewer::matching::sites::{link_sites, SITE_LINK};

use super::tip::CaseTip;

/// One pairwise link that joined two tips.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Link {
    /// Index of one tip in the input.
    #[serde(skip)]
    pub a: usize,
    /// Index of the other.
    #[serde(skip)]
    pub b: usize,
    /// How strong, 0 to 1.
    pub score: f32,
    /// Why, in words.
    pub reason: String,
}

/// A group of linked tips (indices into the input) and the links inside it.
#[derive(Clone, Debug)]
pub struct Group {
    /// Indices, ascending.
    pub members: Vec<usize>,
    /// The links between members.
    pub links: Vec<Link>,
}

/// The minders' surnames of a tip (Hangul forms); empty when none is known.
fn surnames(t: &CaseTip) -> Vec<&'static str> {
    let mut s: Vec<&'static str> = t
        .entities
        .minders
        .iter()
        .filter_map(|m| m.surname)
        .collect();
    s.sort();
    s.dedup();
    s
}

/// What the cannot-link looks at in one tip: its language and its site name's words and
/// numbers. Computed once per tip.
#[derive(Clone, Debug)]
pub struct SiteSignature {
    language: Option<String>,
    words: BTreeSet<String>,
    numbers: BTreeSet<u64>,
}

impl SiteSignature {
    /// Whether two tips are about different sites: their site names carry numbers and none
    /// is shared ("plot 3" / "3공구" / "участок 3" / "3号工地" against "plot 7"), in any
    /// languages — digits are digits in every script the tips use; or, in one language,
    /// the names have no word in common. Then they are never joined.
    pub fn apart(&self, other: &SiteSignature) -> bool {
        let numbers_differ = !self.numbers.is_empty()
            && !other.numbers.is_empty()
            && self.numbers.is_disjoint(&other.numbers);
        if numbers_differ {
            return true;
        }
        match (&self.language, &other.language) {
            (Some(x), Some(y)) if x == y => self.words.is_disjoint(&other.words),
            _ => false,
        }
    }
}

/// The numbers written in a site's name, in any digits (ASCII, Arabic-Indic, full-width:
/// "٣", "３" are 3), leading zeros dropped; numbers of more than nine digits are not plot
/// numbers and are left out.
fn site_numbers(name: &str) -> BTreeSet<u64> {
    let mut out = BTreeSet::new();
    let mut digits = String::new();
    for c in name.chars().chain(std::iter::once(' ')) {
        match c.to_digit(10).or_else(|| other_digit(c)) {
            Some(d) => digits.push(char::from_digit(d, 10).unwrap_or('0')),
            None if !digits.is_empty() => {
                if digits.len() <= 9 {
                    if let Ok(n) = digits.parse() {
                        out.insert(n);
                    }
                }
                digits.clear();
            }
            None => {}
        }
    }
    out
}

/// A digit of another script: Arabic-Indic (٠–٩), Eastern Arabic-Indic (۰–۹), full-width (０–９).
fn other_digit(c: char) -> Option<u32> {
    ['\u{660}', '\u{6F0}', '\u{FF10}'].iter().find_map(|&zero| {
        let d = (c as u32).checked_sub(zero as u32)?;
        (d < 10).then_some(d)
    })
}

/// A tip's [`SiteSignature`]; `None` without a site name.
pub fn site_signature(t: &CaseTip) -> Option<SiteSignature> {
    let e = &t.entities;
    let name = e.worksite.name.as_ref()?;
    let words = name
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 2 && !w.chars().all(|c| c.is_numeric()))
        .map(str::to_owned)
        .collect();
    Some(SiteSignature {
        language: e.language.clone(),
        words,
        numbers: site_numbers(name),
    })
}

/// Whether two tips are about different sites (see [`SiteSignature::apart`]).
fn different_sites(a: &CaseTip, b: &CaseTip) -> bool {
    match (site_signature(a), site_signature(b)) {
        (Some(x), Some(y)) => x.apart(&y),
        _ => false,
    }
}

/// The links of at least [`SITE_LINK`] between tips of the same city (see the module
/// doc for which pairs are compared), and the cannot-links.
pub fn links_and_apart(tips: &[CaseTip]) -> (Vec<Link>, BTreeSet<(usize, usize)>) {
    // Blocks: (place, surname), and (place, "") for tips naming no surname, which are
    // compared with every tip of their place.
    let mut blocks: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
    let mut unnamed: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut all: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, t) in tips.iter().enumerate() {
        let Some(p) = t.entities.worksite.place.as_deref() else {
            continue;
        };
        all.entry(p).or_default().push(i);
        let s = surnames(t);
        if s.is_empty() {
            unnamed.entry(p).or_default().push(i);
        }
        for name in s {
            blocks.entry((p, name)).or_default().push(i);
        }
    }
    let mut pairs = BTreeSet::new();
    for idx in blocks.values() {
        for (n, &a) in idx.iter().enumerate() {
            for &b in &idx[n + 1..] {
                pairs.insert((a.min(b), a.max(b)));
            }
        }
    }
    for (p, idx) in &unnamed {
        for &a in idx {
            for &b in &all[p] {
                if a != b {
                    pairs.insert((a.min(b), a.max(b)));
                }
            }
        }
    }
    let mut out = Vec::new();
    let mut apart = BTreeSet::new();
    for (a, b) in pairs {
        if different_sites(&tips[a], &tips[b]) {
            apart.insert((a, b));
            continue;
        }
        if let Some(m) = link_sites(&tips[a].entities, &tips[b].entities) {
            if m.score >= SITE_LINK {
                out.push(Link {
                    a,
                    b,
                    score: m.score,
                    reason: m.reason,
                });
            }
        }
    }
    (out, apart)
}

/// The links only (see [`links_and_apart`]).
pub fn links(tips: &[CaseTip]) -> Vec<Link> {
    links_and_apart(tips).0
}

/// Groups of two or more tips joined by `links` (strongest first), never joining two
/// groups across a pair in `apart`; largest first. Compares every blocked pair: kept only
/// as the reference `cluster`'s fast grouping is checked against, never on the real path.
#[cfg(test)]
pub fn groups(n: usize, mut links: Vec<Link>, apart: &BTreeSet<(usize, usize)>) -> Vec<Group> {
    links.sort_by(|x, y| {
        y.score
            .total_cmp(&x.score)
            .then((x.a, x.b).cmp(&(y.a, y.b)))
    });
    let mut members: Vec<Vec<usize>> = (0..n).map(|i| vec![i]).collect();
    let mut parent: Vec<usize> = (0..n).collect();
    fn root(p: &mut [usize], mut i: usize) -> usize {
        while p[i] != i {
            p[i] = p[p[i]];
            i = p[i];
        }
        i
    }
    let mut kept = Vec::new();
    for l in links {
        let (ra, rb) = (root(&mut parent, l.a), root(&mut parent, l.b));
        if ra == rb {
            kept.push(l);
            continue;
        }
        let blocked = !apart.is_empty()
            && members[ra].iter().any(|&x| {
                members[rb]
                    .iter()
                    .any(|&y| apart.contains(&(x.min(y), x.max(y))))
            });
        if blocked {
            continue;
        }
        let (lo, hi) = (ra.min(rb), ra.max(rb));
        parent[hi] = lo;
        let moved = std::mem::take(&mut members[hi]);
        members[lo].extend(moved);
        kept.push(l);
    }
    let links = kept;
    let mut by_root: HashMap<usize, Group> = HashMap::new();
    for i in 0..n {
        let r = root(&mut parent, i);
        by_root
            .entry(r)
            .or_insert_with(|| Group {
                members: Vec::new(),
                links: Vec::new(),
            })
            .members
            .push(i);
    }
    for l in links {
        let r = root(&mut parent, l.a);
        if let Some(g) = by_root.get_mut(&r) {
            g.links.push(l);
        }
    }
    let mut out: Vec<Group> = by_root
        .into_values()
        .filter(|g| g.members.len() >= 2)
        .collect();
    out.sort_by(|x, y| {
        y.members
            .len()
            .cmp(&x.members.len())
            .then(x.members.cmp(&y.members))
    });
    out
}
