//! Comparison keys: a name in any script folded to Latin letters, then to a skeleton that
//! merges what romanizations and transliterations confuse — g/k, b/p, d/t, j/ch/ts/zh,
//! r/l, s/sh, w/v, eo/ŏ/o, eu/ŭ/u, ae/e, ee/i, oo/u, aspiration marks (', h after a
//! consonant), hyphens, spaces and doubled letters.
//!
//! Hangul gives one key per romanization system (and Kontsevich through the Cyrillic
//! inverse), Hanzi one per pinyin reading, Cyrillic and Arabic one each. Must never: treat two keys as
//! proof of identity — a shared key is evidence for [`super::compare`], which says so in
//! its reason.

use super::arabic::{has_arabic, to_latin as arabic_to_latin};
use super::pinyin::{has_han, plain_readings};
use super::romanize::{has_hangul, romanize, System};

/// A comparison key and how it was made ("McCune–Reischauer", "pinyin", "Cyrillic" …).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Key {
    /// The skeleton.
    pub key: String,
    /// How the text was brought to Latin letters, for reasons.
    pub via: &'static str,
    /// The Latin form before folding ("P'yŏngyang"), for reasons.
    pub shown: String,
}

/// Lower-cases and strips marks: breves, Polish and other diacritics, apostrophes, hyphens,
/// spaces and dots. ASCII in, ASCII out; other letters are kept lower-cased.
pub fn fold_latin(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        let mapped = match c {
            'ŏ' | 'ó' | 'ò' | 'ô' | 'ö' | 'õ' => 'o',
            'ŭ' | 'ú' | 'ù' | 'û' | 'ü' => 'u',
            'á' | 'à' | 'â' | 'ä' | 'ą' | 'ā' | 'ǎ' => 'a',
            'é' | 'è' | 'ê' | 'ë' | 'ę' | 'ē' | 'ě' => 'e',
            'í' | 'ì' | 'î' | 'ï' | 'ī' | 'ǐ' => 'i',
            'ł' => 'l',
            'ń' | 'ñ' => 'n',
            'ś' | 'š' => 's',
            'ź' | 'ż' | 'ž' => 'z',
            'ć' | 'č' | 'ç' => 'c',
            'ō' | 'ǒ' => 'o',
            'ū' | 'ǔ' | 'ǖ' | 'ǘ' | 'ǚ' | 'ǜ' => 'u',
            '\'' | '’' | 'ʼ' | '‘' | '`' | '-' | '.' | ' ' | ',' | '\u{2010}' => continue,
            other => other,
        };
        out.push(mapped);
    }
    out
}

/// Cyrillic → Latin, read back through Kontsevich (чх → ch, кх → k, ы → u) and the common
/// Russian transliteration for the other letters.
#[rustfmt::skip]
pub fn cyrillic_to_latin(text: &str) -> String {
    let lower = text.to_lowercase();
    let lower = lower
        .replace("дж", "j")
        .replace("чх", "ch")
        .replace("кх", "k")
        .replace("тх", "t")
        .replace("пх", "p");
    let mut out = String::with_capacity(lower.len());
    for c in lower.chars() {
        out.push_str(match c {
            'а' => "a", 'б' => "b", 'в' => "v", 'г' => "g", 'д' => "d", 'е' => "e",
            'ё' => "yo", 'ж' => "zh", 'з' => "z", 'и' => "i", 'й' => "y", 'к' => "k",
            'л' => "l", 'м' => "m", 'н' => "n", 'о' => "o", 'п' => "p", 'р' => "r",
            'с' => "s", 'т' => "t", 'у' => "u", 'ф' => "f", 'х' => "h", 'ц' => "ts",
            'ч' => "ch", 'ш' => "sh", 'щ' => "shch", 'ъ' | 'ь' => "", 'ы' => "u",
            'э' => "e", 'ю' => "yu", 'я' => "ya",
            other => {
                out.push(other);
                continue;
            }
        });
    }
    out
}

fn is_cyrillic(text: &str) -> bool {
    text.chars().any(|c| ('\u{400}'..='\u{4FF}').contains(&c))
}

/// The skeleton of folded Latin text.
pub fn skeleton(folded: &str) -> String {
    let mut s = folded.to_string();
    for (from, to) in [
        ("tch", "c"),
        ("ch", "c"),
        ("ts", "c"),
        ("zh", "c"),
        ("sh", "s"),
        ("kh", "k"),
        ("th", "t"),
        ("ph", "p"),
        ("eo", "o"),
        ("eu", "u"),
        ("ae", "e"),
        ("ee", "i"),
        ("oo", "u"),
        ("j", "c"),
        ("z", "c"),
        ("x", "s"),
        ("q", "c"),
    ] {
        s = s.replace(from, to);
    }
    let mut out = String::with_capacity(s.len());
    let mut prev: Option<char> = None;
    for c in s.chars() {
        let c = match c {
            'g' => 'k',
            'b' => 'p',
            'd' => 't',
            'r' => 'l',
            'w' => 'v',
            other => other,
        };
        // Aspiration written as h after a consonant (Ch'oe → Choe, Phyŏngyang).
        if c == 'h' && prev.is_some_and(|p| !"aeiouy".contains(p)) {
            continue;
        }
        if Some(c) == prev {
            continue;
        }
        out.push(c);
        prev = Some(c);
    }
    out
}

/// Jaro–Winkler similarity of two skeletons from which a spelling counts as close…
pub const CLOSE_JARO_WINKLER: f64 = 0.9;
/// …when the normalised edit distance agrees (one edit in ten letters). Jaro–Winkler alone
/// rewards a shared beginning too much: Pyeonggang (평강, another town) scores 0.98
/// against Pyongyang. So a name under ten letters must share a key exactly.
pub const CLOSE_EDITS: f64 = 0.9;

/// The Jaro–Winkler similarity of two skeletons when they are close by both measures.
pub fn close(a: &str, b: &str) -> Option<f64> {
    // The edit distance is at least the difference in length: skip the measures when that
    // alone rules the pair out (most pairs, and exactly the ones the floor would refuse).
    let (la, lb) = (a.chars().count(), b.chars().count());
    let longest = la.max(lb).max(1) as f64;
    if 1.0 - la.abs_diff(lb) as f64 / longest < CLOSE_EDITS {
        return None;
    }
    let jw = strsim::jaro_winkler(a, b);
    (jw >= CLOSE_JARO_WINKLER && strsim::normalized_levenshtein(a, b) >= CLOSE_EDITS).then_some(jw)
}

/// How many texts' keys [`keys`] remembers per thread. One worksite's, employer's or
/// minder's name is compared with many others; romanizing it (five systems, every pinyin
/// reading) once instead of per pair is what makes cases over thousands of tips fast.
/// When full, the memory is emptied and refills.
const KEYS_REMEMBERED: usize = 65_536;

thread_local! {
    static KEYS: std::cell::RefCell<std::collections::HashMap<String, Vec<Key>>> =
        std::cell::RefCell::new(std::collections::HashMap::new());
}

/// Every comparison key of `text`, without duplicates (remembered per thread, see
/// [`KEYS_REMEMBERED`]).
pub fn keys(text: &str) -> Vec<Key> {
    if let Some(hit) = KEYS.with(|m| m.borrow().get(text).cloned()) {
        return hit;
    }
    let answer = keys_uncached(text);
    KEYS.with(|m| {
        let mut m = m.borrow_mut();
        if m.len() >= KEYS_REMEMBERED {
            m.clear();
        }
        m.insert(text.to_owned(), answer.clone());
    });
    answer
}

fn keys_uncached(text: &str) -> Vec<Key> {
    let mut out: Vec<Key> = Vec::new();
    let mut push = |shown: String, via: &'static str| {
        let key = skeleton(&fold_latin(&shown));
        if !key.is_empty() && !out.iter().any(|k| k.key == key) {
            out.push(Key { key, via, shown });
        }
    };
    if has_hangul(text) {
        for system in System::ALL {
            let r = romanize(text, system);
            if system == System::Kontsevich {
                push(cyrillic_to_latin(&r), system.name());
            } else {
                push(r, system.name());
            }
        }
    } else if has_han(text) {
        for r in plain_readings(text) {
            push(r, "pinyin");
        }
    } else if is_cyrillic(text) {
        push(cyrillic_to_latin(text), "Cyrillic");
    } else if has_arabic(text) {
        push(arabic_to_latin(text), "Arabic");
    } else {
        push(text.to_string(), "Latin");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first(text: &str) -> String {
        keys(text)[0].key.clone()
    }

    #[test]
    fn romanizations_of_one_name_share_a_key() {
        // 정 as South Korean passports, MR, RR, DPRK and Russian documents write it.
        for form in ["Chong", "Chŏng", "Jeong", "Jong", "Чон"] {
            let ks: Vec<String> = keys(form).into_iter().map(|k| k.key).collect();
            let hangul: Vec<String> = keys("정").into_iter().map(|k| k.key).collect();
            assert!(
                ks.iter().any(|k| hangul.contains(k)),
                "{form}: {ks:?} vs {hangul:?}"
            );
        }
        assert_eq!(first("P'yŏngyang"), first("Pyeongyang"));
        assert_eq!(first("Phyŏngyang"), first("Pyongyang"));
        assert_eq!(first("Kwon"), first("Квон"));
    }

    #[test]
    fn keys_are_stable_under_case_spacing_and_marks() {
        assert_eq!(first("KIM JONG-IL"), first("Kim Jong Il"));
        assert_eq!(first("kim jongil"), first("Kim Jŏng-il"));
        assert_eq!(first("Gdańsk"), first("GDANSK"));
    }

    #[test]
    fn hanzi_keys_cover_every_reading() {
        let ks: Vec<String> = keys("海参崴").into_iter().map(|k| k.key).collect();
        assert!(ks.contains(&skeleton("haishenwai")), "{ks:?}");
    }
}
