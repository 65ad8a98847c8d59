//! `compare(a, b)`: whether two names in any scripts may stand for the same person or
//! place, with a score and a reason a reviewer can check ("김 → Kim (McCune–Reischauer),
//! Ким (Kontsevich); both 'team leader'").
//!
//! Evidence, strongest first: the gazetteer (one place); the surname table (one surname,
//! and the given names agree or one side has none); a shared comparison key; similar
//! spelling after folding. Must never: link two different places, two different surnames
//! or two different given names, however alike they look; or give a score without a reason.

use super::arabic::{consonant_key, has_arabic};
use super::gazetteer::Gazetteer;
use super::keys::{close, keys};
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

/// How many comparisons [`compare`] remembers per thread. Names repeat across tips (one
/// minder, one city, told many times), so a case over thousands of tips asks the same
/// question again and again; 65,536 answers of a few hundred bytes stay under ~30 MB. When
/// full, the memory is emptied and refills.
const MEMO_ENTRIES: usize = 65_536;

thread_local! {
    static MEMO: std::cell::RefCell<std::collections::HashMap<(String, String), Option<Match>>> =
        std::cell::RefCell::new(std::collections::HashMap::new());
}

/// Compares two names (of people, with or without roles and honorifics, or of places).
/// A pure function: answers are remembered per thread ([`MEMO_ENTRIES`]).
pub fn compare(a: &str, b: &str) -> Option<Match> {
    let key = (a.to_string(), b.to_string());
    if let Some(hit) = MEMO.with(|m| m.borrow().get(&key).cloned()) {
        return hit;
    }
    let answer = compare_uncached(a, b);
    MEMO.with(|m| {
        let mut m = m.borrow_mut();
        if m.len() >= MEMO_ENTRIES {
            m.clear();
        }
        m.insert(key, answer.clone());
    });
    answer
}

fn compare_uncached(a: &str, b: &str) -> Option<Match> {
    let (name_a, roles_a) = split_name(a);
    let (name_b, roles_b) = split_name(b);
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
            format!("roles differ ({} vs {})", show(&roles_a), show(&roles_b)),
        ))
    } else {
        None
    };
    let (mut score, mut reason) = if name_a.is_empty() || name_b.is_empty() {
        if common.is_empty() {
            return None;
        }
        (
            score::ROLE_ONLY - score::ROLE_AGREES,
            "no name on one side".to_string(),
        )
    } else {
        compare_names(&name_a, &name_b)?
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
    let ka = keys(a);
    let kb = keys(b);
    for x in &ka {
        if let Some(y) = kb.iter().find(|y| y.key == x.key) {
            let side = |text: &str, k: &super::keys::Key| {
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
fn share_consonants(a: &str, b: &str) -> Option<String> {
    let vowelless = |text: &str| -> Vec<(String, String)> {
        keys(text)
            .into_iter()
            .map(|k| (consonant_key(&k.shown), k.shown))
            .filter(|(c, _)| c.chars().count() >= MIN_CONSONANTS)
            .collect()
    };
    let kb = vowelless(b);
    vowelless(a).into_iter().find_map(|(ca, sa)| {
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

fn compare_names(a: &str, b: &str) -> Option<(f32, String)> {
    let g = Gazetteer::builtin();
    match (g.lookup(a), g.lookup(b)) {
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
                    how(&pa),
                    how(&pb)
                ),
            ));
        }
        (Some(_), Some(_)) => return None,
        _ => {}
    }
    if let (Some((sa, fa, ga)), Some((sb, fb, gb))) = (person(a), person(b)) {
        if !std::ptr::eq(sa, sb) {
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
        let (_, given) = share_key(&ga, &gb)?;
        return Some((
            score::FULL_NAME,
            format!("{surname_reason}; given name {given}"),
        ));
    }
    if let Some((_, why)) = share_key(a, b) {
        return Some((score::SHARED_KEY, why));
    }
    if has_arabic(a) != has_arabic(b) {
        if let Some(why) = share_consonants(a, b) {
            return Some((score::CONSONANTS, why));
        }
    }
    let mut best = 0.0f64;
    for x in keys(a) {
        for y in keys(b) {
            best = best.max(close(&x.key, &y.key).unwrap_or(0.0));
        }
    }
    (best > 0.0 && !(has_hangul(a) && has_hangul(b))).then(|| {
        (
            best as f32 * score::FUZZY_SCALE,
            format!("{a} ≈ {b}: spelt alike once folded (Jaro–Winkler {best:.2})"),
        )
    })
}

#[cfg(test)]
mod tests;
