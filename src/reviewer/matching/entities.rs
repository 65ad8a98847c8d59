//! Entities from one tip: the worksite (name, employer, city, country, sector), the minders
//! (name or alias, surname, roles, description, actions), the dates, the conditions (hours,
//! rest days, passports, wages, housing, movement), and — only where they are reliable —
//! places and people in the narrative: gazetteer hits, and a surname next to a role word
//! ("김 반장", "бригадир Ким", "Kim, the team leader", "李经理").
//!
//! Reads the document as received ([`ReceivedTip`]), so a tip that does not follow the
//! schema still gives what it has. Must never: fail on any document, invent a value that
//! is not in the tip, or take a free-text word for a name without a role word beside it.

use serde_json::Value;

use super::gazetteer::Gazetteer;
use super::names::{is_han, surname, surname_in_sentence};
use super::roles::{find_roles, split_name, Role};
use super::sectors::normalise_sector;
use crate::domain::tip::received::{ReceivedTip, Shown};
use crate::domain::tip::{MinderRole, Sector};

/// Words that say a minder's name is not known; such a name is no name.
#[rustfmt::skip]
const UNKNOWN: &[&str] = &[
    "unknown",
    "n/a",
    "모름",
    "모른다",
    "이름 모름",
    "неизвестен",
    "неизвестно",
    "неизвестный",
    "不知道",
    "不详",
    "未知",
    "nieznany",
    "nieznana",
    "onbekend",
    "غير معروف",
    "مجهول",
];

/// The worksite as the tip describes it.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct Worksite {
    /// Its name as written.
    pub name: Option<String>,
    /// The employer as written.
    pub employer: Option<String>,
    /// The recruiting or labour agency as written.
    pub agency: Option<String>,
    /// The city (or region) as written.
    pub city: Option<String>,
    /// The gazetteer's id for the city, when it knows it ("vladivostok").
    pub place: Option<String>,
    /// The country code as written (ISO 3166), or the gazetteer's for the city.
    pub country: Option<String>,
    /// The sector as written.
    pub sector_written: Option<String>,
    /// The sector, normalised.
    pub sector: Option<Sector>,
    /// The address as written.
    pub address: Option<String>,
}

/// A minder as the tip describes them.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct Minder {
    /// The name or alias as written ("김 반장").
    pub written: Option<String>,
    /// The name with role words and honorifics taken out ("김"); `None` when unknown.
    pub name: Option<String>,
    /// The surname's Hangul form, when the name starts with a known surname.
    pub surname: Option<&'static str>,
    /// Roles: from the form's field and from role words in the name.
    pub roles: Vec<Role>,
    /// The description as written.
    pub description: Option<String>,
    /// The actions, in the form's vocabulary.
    pub actions: Vec<String>,
}

/// What the tip says about conditions.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct Conditions {
    /// How many workers.
    pub workers: Option<u64>,
    /// Their nationality (ISO 3166).
    pub nationality: Option<String>,
    /// Hours worked per day.
    pub hours_per_day: Option<f64>,
    /// Rest days per month.
    pub rest_days_per_month: Option<f64>,
    /// Whether others hold the workers' passports.
    pub passports_held_by_others: Option<bool>,
    /// What happens to wages, as written.
    pub wages: Option<String>,
    /// Housing, as written.
    pub housing: Option<String>,
    /// Whether the workers' movement is restricted.
    pub movement_restricted: Option<bool>,
}

/// A place named in the narrative.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct PlaceMention {
    /// The gazetteer id.
    pub place: String,
    /// As written.
    pub written: String,
}

/// A person named in the narrative by a surname beside a role word.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct PersonMention {
    /// The surname as written ("Кимом" is read as Ким).
    pub written: String,
    /// The surname's Hangul form.
    pub surname: &'static str,
    /// The role the word beside it names.
    pub role: Role,
}

/// Everything matching needs from one tip.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct TipEntities {
    /// The page language the tip was written in.
    pub language: Option<String>,
    /// The worksite.
    pub worksite: Worksite,
    /// The minders.
    pub minders: Vec<Minder>,
    /// First day observed, as written (a partial date: 2024, 2024-03, 2024-03-01).
    pub observed_from: Option<String>,
    /// Last day observed, as written.
    pub observed_to: Option<String>,
    /// Conditions.
    pub conditions: Conditions,
    /// Places in the narrative.
    pub narrative_places: Vec<PlaceMention>,
    /// People in the narrative.
    pub narrative_people: Vec<PersonMention>,
}

fn text(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn number(v: &Value, key: &str) -> Option<f64> {
    match v.get(key)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn flag(v: &Value, key: &str) -> Option<bool> {
    match v.get(key)? {
        Value::Bool(b) => Some(*b),
        Value::String(s) => match s.trim().to_lowercase().as_str() {
            "true" | "yes" => Some(true),
            "false" | "no" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

impl TipEntities {
    /// From a tip as received: the document, or the text when it was not JSON.
    pub fn from_received(tip: &ReceivedTip) -> Self {
        match &tip.shown {
            Shown::Document(doc) => Self::from_document(doc),
            Shown::Text(t) => {
                let mut e = Self::default();
                e.read_narrative(t);
                e
            }
        }
    }

    /// From a tip document (bare, or wrapped as `{"format": …, "tip": {…}}`).
    pub fn from_document(doc: &Value) -> Self {
        let doc = doc.get("tip").filter(|t| t.is_object()).unwrap_or(doc);
        let empty = Value::Null;
        let site = doc.get("worksite").unwrap_or(&empty);
        let workers = doc.get("workers").unwrap_or(&empty);
        let g = Gazetteer::builtin();
        let city = text(site, "city");
        let hit = city.as_deref().and_then(|c| g.lookup(c));
        let sector_written = text(site, "sector");
        let mut e = Self {
            language: text(doc, "language"),
            worksite: Worksite {
                name: text(site, "name"),
                employer: text(site, "employer"),
                agency: text(site, "agency"),
                place: hit.as_ref().map(|h| h.place.id.clone()),
                country: text(site, "country")
                    .map(|c| c.to_uppercase())
                    .or_else(|| hit.as_ref().map(|h| h.place.country.clone())),
                city,
                sector: sector_written.as_deref().and_then(normalise_sector),
                sector_written,
                address: text(site, "address"),
            },
            minders: doc
                .get("minders")
                .and_then(Value::as_array)
                .map(|ms| ms.iter().map(read_minder).collect())
                .unwrap_or_default(),
            observed_from: text(site, "observed_from"),
            observed_to: text(site, "observed_to"),
            conditions: Conditions {
                workers: number(workers, "count")
                    .filter(|n| *n >= 0.0)
                    .map(|n| n as u64),
                nationality: text(workers, "nationality"),
                hours_per_day: number(workers, "hours_per_day"),
                rest_days_per_month: number(workers, "rest_days_per_month"),
                passports_held_by_others: flag(workers, "passports_held_by_others"),
                wages: text(workers, "wages"),
                housing: text(workers, "housing"),
                movement_restricted: flag(workers, "movement_restricted"),
            },
            ..Self::default()
        };
        if let Some(n) = text(doc, "narrative") {
            e.read_narrative(&n);
        }
        e
    }

    fn read_narrative(&mut self, narrative: &str) {
        self.narrative_places = Gazetteer::builtin()
            .find_in_text(narrative)
            .into_iter()
            .map(|h| PlaceMention {
                place: h.place.id.clone(),
                written: h.written,
            })
            .collect();
        self.narrative_people = people_in_text(narrative);
    }
}

fn read_minder(m: &Value) -> Minder {
    let written = text(m, "name_or_alias");
    let (name, mut roles) = written.as_deref().map(split_name).unwrap_or_default();
    let unknown = UNKNOWN.iter().any(|u| name.to_lowercase() == *u);
    let name = (!name.is_empty() && !unknown).then_some(name);
    let surname = name.as_deref().and_then(|n| {
        let first = n.split_whitespace().next()?;
        surname(first).or_else(|| {
            // Unspaced Hangul or Hanzi: the first syllable (김정철, 李).
            let head: String = first.chars().take(1).collect();
            let cjk = head
                .chars()
                .all(|c| is_han(c) || super::romanize::jamo::is_syllable(c));
            cjk.then(|| surname(&head)).flatten()
        })
    });
    if let Some(r) = m
        .get("role")
        .cloned()
        .and_then(|r| serde_json::from_value::<MinderRole>(r).ok())
        .and_then(Role::from_schema)
    {
        roles.push(r);
    }
    roles.sort();
    roles.dedup();
    Minder {
        written,
        name,
        surname: surname.map(|s| s.hangul_name()),
        roles,
        description: text(m, "description"),
        actions: m
            .get("actions")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default(),
    }
}

/// Words skipped between a surname and its role ("Kim, **the** team leader").
const FILLERS: &[&str] = &["the", "our", "a", "their", "—", "-"];

/// Surnames beside role words, in running text.
pub fn people_in_text(text: &str) -> Vec<PersonMention> {
    // Role offsets are in the lower-cased text; use them only where lower-casing kept every
    // byte offset (true of Hangul, Hanzi, Cyrillic, Arabic and ASCII).
    if text.to_lowercase().len() != text.len() {
        return Vec::new();
    }
    let mut out = Vec::new();
    for hit in find_roles(text) {
        // Only within the sentence: "… Kim. Team leaders …" is not Kim the team leader.
        let stops = ['.', '!', '?', '。', '！', '？', '\n', ';'];
        // Equal lengths make these offsets boundaries in practice; `get` keeps a freak text
        // (one letter longer and one shorter when lower-cased) from panicking.
        let (Some(before), Some(after)) = (text.get(..hit.start), text.get(hit.end..)) else {
            continue;
        };
        let before = before.rsplit(stops).next().unwrap_or("");
        let after = after.split(stops).next().unwrap_or("");
        // Glued: 김반장, 李经理.
        let glued = before
            .chars()
            .next_back()
            .filter(|c| is_han(*c) || super::romanize::jamo::is_syllable(*c));
        let candidate = if let Some(c) = glued {
            surname(&c.to_string()).map(|s| (s, c.to_string()))
        } else {
            let prev = before
                .split(|c: char| !c.is_alphanumeric() && c != '\'')
                .rev()
                .filter(|w| !w.is_empty())
                .find(|w| !FILLERS.contains(&w.to_lowercase().as_str()));
            let next = after
                .trim_start_matches(|c: char| {
                    c.is_alphabetic() && ('\u{400}'..='\u{4FF}').contains(&c)
                })
                .split(|c: char| !c.is_alphanumeric() && c != '\'')
                .find(|w| !w.is_empty());
            // A Hangul surname with a particle (김이) is not read; a bare one before the role is.
            prev.and_then(surname_in_sentence)
                .or_else(|| next.and_then(surname_in_sentence))
        };
        if let Some((s, written)) = candidate {
            out.push(PersonMention {
                written,
                surname: s.hangul_name(),
                role: hit.role,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests;
