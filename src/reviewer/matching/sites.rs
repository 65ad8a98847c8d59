//! Whether two tips may be about the same worksite, and why: the building block of the
//! cases that issue 10 suggests.
//!
//! Worksite names rarely survive translation ("항만 주거단지 3공구" and "Жилой комплекс у
//! порта"), so the evidence is what the tips share: the city (required), the sector, the
//! time observed, a minder linked by [`link_minders`], the employer or site name when they
//! are transliterations of each other, and the hours worked. Must never: link tips in
//! different cities, or link on city, sector and time alone — those fit every site in town.

use super::compare::{compare, Match};
use super::employer::{core_name, same_employer};
use super::entities::TipEntities;
use super::gazetteer::Gazetteer;
use super::keys::keys;
use super::link::link_minders;
use super::roles::Role;

/// The score from which two tips are suggested as one worksite.
pub const SITE_LINK: f32 = 0.5;

/// Weights of the evidence.
mod weight {
    /// Same city: required, and worth little on its own.
    pub const CITY: f32 = 0.2;
    /// Same sector.
    pub const SECTOR: f32 = 0.1;
    /// The periods observed overlap.
    pub const DATES: f32 = 0.1;
    /// A minder of one is linked to a minder of the other: the link's score times this.
    pub const MINDER: f32 = 0.45;
    /// The employers' names match.
    pub const EMPLOYER: f32 = 0.3;
    /// The worksites' names match.
    pub const NAME: f32 = 0.3;
    /// Hours per day within one hour of each other.
    pub const HOURS: f32 = 0.05;
    /// Different sectors named on both sides.
    pub const SECTOR_DIFFERS: f32 = -0.3;
}

/// A partial date (`2024`, `2024-03`, `2024-03-01`) as the first and last day it can mean,
/// in `YYYY-MM-DD` form (compared as text).
fn span(date: &str) -> Option<(String, String)> {
    let parts: Vec<&str> = date.trim().split('-').collect();
    let ok = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    match parts[..] {
        [y] if ok(y, 4) => Some((format!("{y}-01-01"), format!("{y}-12-31"))),
        [y, m] if ok(y, 4) && ok(m, 2) => Some((format!("{y}-{m}-01"), format!("{y}-{m}-31"))),
        [y, m, d] if ok(y, 4) && ok(m, 2) && ok(d, 2) => {
            Some((date.trim().into(), date.trim().into()))
        }
        _ => None,
    }
}

/// The period a tip covers: from its first day to its last (its first, when no last is given).
fn period(t: &TipEntities) -> Option<(String, String)> {
    let (from, from_end) = span(t.observed_from.as_deref()?)?;
    let to = t
        .observed_to
        .as_deref()
        .and_then(span)
        .map_or(from_end, |(_, end)| end);
    Some((from, to))
}

/// Keys under which to bucket tips before comparing pairs (cases over thousands of tips
/// cannot compare every pair). Two tips that [`link_sites`] links share at least one
/// bucket, except through a misspelt employer or site name (fuzzy spelling): every other
/// path to a link — a minder's surname and role, an employer's or site name's comparison
/// key — is a bucket here, always within the city, which a link requires.
pub fn blocking_keys(t: &TipEntities) -> Vec<String> {
    let Some(place) = t.worksite.place.as_deref() else {
        return Vec::new();
    };
    let mut out: Vec<String> = Vec::new();
    for m in &t.minders {
        let names: Vec<String> = match (m.surname, &m.name) {
            (Some(s), _) => vec![format!("surname/{s}")],
            (None, Some(name)) => keys(name)
                .into_iter()
                .map(|k| format!("name/{}", k.key))
                .collect(),
            // An unnamed minder links only at a site whose name matches: that bucket is below.
            (None, None) => Vec::new(),
        };
        // A minder link counts only when the roles agree or one side gives none (roles that
        // differ cost more than a shared city gives): so bucket by role too, and put a minder
        // without a role in every role's bucket.
        let roles: Vec<Role> = if m.roles.is_empty() {
            Role::ALL.to_vec()
        } else {
            m.roles.clone()
        };
        for n in &names {
            out.extend(roles.iter().map(|r| format!("{place}/{n}/{}", r.label())));
        }
    }
    let employer = t.worksite.employer.as_deref().map(core_name);
    if let Some(stem) = employer.as_deref().and_then(employer_stem) {
        // A contracted compound (Приморстрой ~ Primorsky Stroy) shares no key, only its
        // first letters.
        out.push(format!("{place}/employer/stem/{stem}"));
    }
    for (what, field) in [("employer", &employer), ("site", &t.worksite.name)] {
        if let Some(text) = field.as_deref().filter(|x| !x.is_empty()) {
            // Whole-field keys (a place, a shared key) and the surname table's path for names.
            out.extend(
                keys(text)
                    .into_iter()
                    .map(|k| format!("{place}/{what}/{}", k.key)),
            );
            if let Some(hit) = Gazetteer::builtin().lookup(text) {
                out.push(format!("{place}/{what}/place/{}", hit.place.id));
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The first [`STEM`] letters of an employer's first word's comparison key.
fn employer_stem(core: &str) -> Option<String> {
    let word = core.split_whitespace().next()?;
    let key = keys(word).into_iter().next()?.key;
    (key.chars().count() >= STEM).then(|| key.chars().take(STEM).collect())
}

/// Letters of an employer's key that block together: a contraction keeps at least the
/// first three letters of the first word (`employer::MIN_PIECE`); blocks stay in one city.
const STEM: usize = 3;

/// Whether tips `a` and `b` may describe one worksite, and why.
pub fn link_sites(a: &TipEntities, b: &TipEntities) -> Option<Match> {
    let place = a.worksite.place.as_deref()?;
    if b.worksite.place.as_deref() != Some(place) {
        return None;
    }
    let city = Gazetteer::builtin()
        .by_id(place)
        .map_or(place, |p| p.name());
    let mut score = weight::CITY;
    let mut reasons = vec![format!("same city ({city})")];
    let mut specific = false;
    match (a.worksite.sector, b.worksite.sector) {
        (Some(x), Some(y)) if x == y => {
            score += weight::SECTOR;
            reasons.push(format!(
                "same sector ({})",
                serde_json::to_value(x).ok()?.as_str()?
            ));
        }
        (Some(_), Some(_)) => {
            score += weight::SECTOR_DIFFERS;
            reasons.push("sectors differ".into());
        }
        _ => {}
    }
    if let (Some((af, at)), Some((bf, bt))) = (period(a), period(b)) {
        if af <= bt && bf <= at {
            score += weight::DATES;
            reasons.push(format!(
                "periods overlap ({}–{} and {}–{})",
                &af[..7],
                &at[..7],
                &bf[..7],
                &bt[..7]
            ));
        }
    }
    let best_minder = a
        .minders
        .iter()
        .flat_map(|x| {
            b.minders
                .iter()
                .filter_map(move |y| link_minders(a, x, b, y))
        })
        .max_by(|x, y| x.score.total_cmp(&y.score));
    if let Some(m) = best_minder.filter(|m| m.score >= 0.5) {
        score += weight::MINDER * m.score;
        // The city is already said once.
        let said = m.reason.replace(&format!("; same city ({city})"), "");
        reasons.push(format!("a minder in both: {said}"));
        specific = true;
    }
    let names_match = |x: &Option<String>, y: &Option<String>| match (x, y) {
        (Some(x), Some(y)) => compare(x, y).filter(|m| m.score >= 0.85),
        _ => None,
    };
    if let (Some(x), Some(y)) = (&a.worksite.employer, &b.worksite.employer) {
        if let Some(m) = same_employer(x, y) {
            score += weight::EMPLOYER;
            reasons.push(if x == y {
                format!("same employer '{x}'")
            } else {
                format!("same employer '{x}' ({y}: {})", m.reason)
            });
            specific = true;
        }
    }
    if let Some(m) = names_match(&a.worksite.name, &b.worksite.name) {
        score += weight::NAME;
        reasons.push(format!("same site name ({})", m.reason));
        specific = true;
    }
    if let (Some(x), Some(y)) = (a.conditions.hours_per_day, b.conditions.hours_per_day) {
        if (x - y).abs() <= 1.0 {
            score += weight::HOURS;
            reasons.push(format!("hours per day agree ({x} and {y})"));
        }
    }
    // City, sector and time fit every site in town: something specific must agree.
    if !specific {
        return None;
    }
    Some(Match {
        score: score.clamp(0.0, 1.0),
        reason: reasons.join("; "),
    })
}

#[cfg(test)]
mod tests;
