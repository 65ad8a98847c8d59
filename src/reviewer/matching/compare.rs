//! `compare(a, b)`: whether two names in any scripts may stand for the same person or
//! place, with a score and a reason a reviewer can check ("김 → Kim (McCune–Reischauer),
//! Ким (Kontsevich); both 'team leader'").
//!
//! Evidence, strongest first: the gazetteer (one place); the surname table (one surname,
//! and the given names agree or one side has none); a shared comparison key; similar
//! spelling after folding. Must never: link two different places, two different surnames
//! or two different given names, however alike they look; or give a score without a reason.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use super::arabic::{consonant_key, has_arabic};
use super::gazetteer::{Gazetteer, PlaceHit};
use super::keys::{close, keys, Key};
use super::names::{is_han, surname, Surname};
use super::roles::{split_name, Role};
use super::romanize::has_hangul;

/// Scores. A reviewer sees them beside the reason; they rank suggestions, they prove nothing.
mod score {
    /// Both names are listed for one place.
    pub const SAME_PLACE: f32 = 0.95;
    /// Same surname and same given name.
    pub const FULL_NAME: f32 = 0.95;
    /// Same surname; at least one side gives no given name.
    pub const SURNAME_ONLY: f32 = 0.75;
    /// A shared comparison key (romanization or transliteration).
    pub const SHARED_KEY: f32 = 0.85;
    /// Arabic on one side, and the consonants agree (Arabic leaves short vowels out).
    pub const CONSONANTS: f32 = 0.7;
    /// Similar spelling: the similarity is scaled by this.
    pub const FUZZY_SCALE: f32 = 0.6;
    /// No name on one side, the same role on both.
    pub const ROLE_ONLY: f32 = 0.3;
    /// Added when both sides name the same role.
    pub const ROLE_AGREES: f32 = 0.05;
    /// Taken off when both sides name roles and none agrees.
    pub const ROLE_DIFFERS: f32 = 0.15;
}

/// A suggested link and why.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Match {
    /// 0 to 1: how strong the evidence is.
    pub score: f32,
    /// The evidence in words.
    pub reason: String,
}

/// How many texts' [`Profile`]s, and how many answers, [`compare`] remembers per thread.
/// Names repeat across tips (one minder, one city, told many times) and each worksite name
/// is compared with hundreds of others, so a case over thousands of tips asks the same
/// questions again and again: what a text is (its roles, its gazetteer place — a scan of
/// every alias when it is none —, its surname, its keys) is worked out once per text, and
/// an answer once per pair. When full, a memory is emptied and refills.
const REMEMBERED: usize = 65_536;

/// What [`compare`] needs of one text, worked out once.
struct Profile {
    /// Its number in this thread's memory, for the memory of answers.
    id: u32,
    /// The name with its role words taken out.
    name: String,
    /// The roles it names.
    roles: Vec<Role>,
    /// The place the name stands for, if the gazetteer knows it.
    place: Option<PlaceHit<'static>>,
    /// Surname, the surname as written, and the given name, when it opens with a surname.
    person: Option<(&'static Surname, String, String)>,
    /// Its comparison keys.
    keys: Vec<Key>,
    /// Whether it is written in Arabic letters; in Hangul.
    arabic: bool,
    hangul: bool,
}

impl Profile {
    fn of(id: u32, text: &str) -> Self {
        let (name, roles) = split_name(text);
        let (place, person, keys) = if name.is_empty() {
            (None, None, Vec::new())
        } else {
            (
                Gazetteer::builtin().lookup(&name),
                person(&name),
                keys(&name),
            )
        };
        Profile {
            id,
            arabic: has_arabic(&name),
            hangul: has_hangul(&name),
            name,
            roles,
            place,
            person,
            keys,
        }
    }
}

/// A thread's memory: profiles by text, answers by pair of profiles.
#[derive(Default)]
struct Memory {
    profiles: HashMap<String, Rc<Profile>>,
    answers: HashMap<(u32, u32), Option<Match>>,
    next: u32,
}

thread_local! {
    static MEMORY: RefCell<Memory> = RefCell::new(Memory::default());
}

fn profile(m: &mut Memory, text: &str) -> Rc<Profile> {
    if let Some(p) = m.profiles.get(text) {
        return Rc::clone(p);
    }
    if m.profiles.len() >= REMEMBERED {
        // Ids keep counting up, so an answer about a forgotten profile is never taken for
        // a new one's; forget those answers too, to bound the memory.
        m.profiles.clear();
        m.answers.clear();
    }
    let p = Rc::new(Profile::of(m.next, text));
    m.next = m.next.wrapping_add(1);
    m.profiles.insert(text.to_owned(), Rc::clone(&p));
    p
}

/// Compares two names (of people, with or without roles and honorifics, or of places).
/// A pure function: profiles and answers are remembered per thread ([`REMEMBERED`]).
pub fn compare(a: &str, b: &str) -> Option<Match> {
    MEMORY.with(|m| {
        let mut m = m.borrow_mut();
        let pa = profile(&mut m, a);
        let pb = profile(&mut m, b);
        if let Some(hit) = m.answers.get(&(pa.id, pb.id)) {
            return hit.clone();
        }
        let answer = compare_profiles(&pa, &pb);
        if m.answers.len() >= REMEMBERED {
            m.answers.clear();
        }
        m.answers.insert((pa.id, pb.id), answer.clone());
        answer
    })
}

fn compare_profiles(a: &Profile, b: &Profile) -> Option<Match> {
    let (roles_a, roles_b) = (&a.roles, &b.roles);
    let common: Vec<Role> = roles_a
        .iter()
        .filter(|r| roles_b.contains(r))
        .copied()
        .collect();
    let role_note = if !common.is_empty() {
        let labels: Vec<String> = common.iter().map(|r| format!("'{}'", r.label())).collect();
        Some((score::ROLE_AGREES, format!("both {}", labels.join(", "))))
    } else if !roles_a.is_empty() && !roles_b.is_empty() {
        let show = |rs: &[Role]| rs.iter().map(|r| r.label()).collect::<Vec<_>>().join("/");
        Some((
            -score::ROLE_DIFFERS,
            format!("roles differ ({} vs {})", show(roles_a), show(roles_b)),
        ))
    } else {
        None
    };
    let (mut score, mut reason) = if a.name.is_empty() || b.name.is_empty() {
        if common.is_empty() {
            return None;
        }
        (
            score::ROLE_ONLY - score::ROLE_AGREES,
            "no name on one side".to_string(),
        )
    } else {
        compare_names(a, b)?
    };
    if let Some((delta, note)) = role_note {
        score += delta;
        reason = format!("{reason}; {note}");
    }
    Some(Match {
        score: score.clamp(0.0, 1.0),
        reason,
    })
}

/// A person's name split into surname and given name ("김정철" → 김 + 정철, "Kim Jong Chol"
/// → Kim + Jong Chol); `None` when the first part is not a known surname.
fn person(name: &str) -> Option<(&'static Surname, String, String)> {
    let first_word = name.split_whitespace().next()?;
    let unspaced_cjk = first_word
        .chars()
        .all(|c| super::romanize::jamo::is_syllable(c) || is_han(c));
    if unspaced_cjk && first_word.chars().count() > 1 && surname(first_word).is_none() {
        let mut chars = name.chars();
        let head = chars.next()?.to_string();
        let s = surname(&head)?;
        return Some((s, head, chars.as_str().trim().to_string()));
    }
    let s = surname(first_word)?;
    Some((
        s,
        first_word.to_string(),
        name[first_word.len()..].trim().to_string(),
    ))
}

fn share_key(a: &str, b: &str) -> Option<(String, String)> {
    share_keys(a, &keys(a), b, &keys(b))
}

/// The first key `ka` (of `a`) and `kb` (of `b`) share, and how each side reached it.
fn share_keys(a: &str, ka: &[Key], b: &str, kb: &[Key]) -> Option<(String, String)> {
    for x in ka {
        if let Some(y) = kb.iter().find(|y| y.key == x.key) {
            let side = |text: &str, k: &Key| {
                if k.shown == text || k.via == "Latin" {
                    text.to_string()
                } else {
                    format!("{text} → {} ({})", k.shown, k.via)
                }
            };
            return Some((x.key.clone(), format!("{} ~ {}", side(a, x), side(b, y))));
        }
    }
    None
}

/// Fewest consonants a vowel-less key must have to count: one letter ("c" of Choi) is
/// shared by too many names.
const MIN_CONSONANTS: usize = 2;

/// Whether the vowel-less keys of `a` and `b` agree (one side Arabic), and how.
fn share_consonants(a: &str, ka: &[Key], b: &str, kb: &[Key]) -> Option<String> {
    let vowelless = |keys: &[Key]| -> Vec<(String, String)> {
        keys.iter()
            .map(|k| (consonant_key(&k.shown), k.shown.clone()))
            .filter(|(c, _)| c.chars().count() >= MIN_CONSONANTS)
            .collect()
    };
    let kb = vowelless(kb);
    vowelless(ka).into_iter().find_map(|(ca, sa)| {
        kb.iter().find(|(cb, _)| *cb == ca).map(|(_, sb)| {
            let side = |text: &str, shown: &str| {
                if text == shown {
                    text.to_string()
                } else {
                    format!("{text} → {shown}")
                }
            };
            format!(
                "{} ~ {}: same consonants ({ca}; Arabic writes no short vowels)",
                side(a, &sa),
                side(b, sb)
            )
        })
    })
}

fn compare_names(pa: &Profile, pb: &Profile) -> Option<(f32, String)> {
    let (a, b) = (pa.name.as_str(), pb.name.as_str());
    match (&pa.place, &pb.place) {
        (Some(pa), Some(pb)) if pa.place.id == pb.place.id => {
            let how = |h: &super::gazetteer::PlaceHit<'_>| {
                if h.how == "gazetteer" {
                    String::new()
                } else {
                    format!(", {}", h.how)
                }
            };
            return Some((
                score::SAME_PLACE,
                format!(
                    "{a} and {b} are both {} (gazetteer{}{})",
                    pa.place.name(),
                    how(pa),
                    how(pb)
                ),
            ));
        }
        (Some(_), Some(_)) => return None,
        _ => {}
    }
    if let (Some((sa, fa, ga)), Some((sb, fb, gb))) = (&pa.person, &pb.person) {
        if !std::ptr::eq(*sa, *sb) {
            return None;
        }
        let forms: Vec<String> = [fa.as_str(), fb.as_str()]
            .iter()
            .filter(|f| **f != sa.hangul_name())
            .map(|f| {
                sa.explain(f)
                    .trim_start_matches(&format!("{} → ", sa.hangul_name()))
                    .to_string()
            })
            .collect();
        let surname_reason = if forms.is_empty() {
            format!("both {}", sa.hangul_name())
        } else {
            format!("{} → {}", sa.hangul_name(), forms.join(", "))
        };
        if ga.is_empty() || gb.is_empty() {
            return Some((
                score::SURNAME_ONLY,
                format!("{surname_reason}; surname only"),
            ));
        }
        let (_, given) = share_key(ga, gb)?;
        return Some((
            score::FULL_NAME,
            format!("{surname_reason}; given name {given}"),
        ));
    }
    if let Some((_, why)) = share_keys(a, &pa.keys, b, &pb.keys) {
        return Some((score::SHARED_KEY, why));
    }
    if pa.arabic != pb.arabic {
        if let Some(why) = share_consonants(a, &pa.keys, b, &pb.keys) {
            return Some((score::CONSONANTS, why));
        }
    }
    let mut best = 0.0f64;
    for x in &pa.keys {
        for y in &pb.keys {
            best = best.max(close(&x.key, &y.key).unwrap_or(0.0));
        }
    }
    (best > 0.0 && !(pa.hangul && pb.hangul)).then(|| {
        (
            best as f32 * score::FUZZY_SCALE,
            format!("{a} ≈ {b}: spelt alike once folded (Jaro–Winkler {best:.2})"),
        )
    })
}

#[cfg(test)]
mod tests;
