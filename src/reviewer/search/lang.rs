//! Per-language word forms: stemmers and normalisers for the languages tips come in.
//!
//! Russian, Dutch and English use the Snowball stemmers of `rust-stemmers` (stable,
//! published algorithms). Polish has no Snowball stemmer there, so a light suffix
//! stripper lives here; Arabic gets orthographic normalisation and light prefix
//! stripping; Korean queries lose their particles and endings. Every function takes a
//! word already NFKC-normalised and lowercased.
//!
//! Must never: panic on any input (the proptest in `search::tests` feeds them arbitrary
//! strings), or strip a word down to nothing.

use std::sync::OnceLock;

use rust_stemmers::{Algorithm, Stemmer};

fn snowball(alg: Algorithm, cell: &'static OnceLock<Stemmer>) -> &'static Stemmer {
    cell.get_or_init(|| Stemmer::create(alg))
}

/// Russian Snowball stem, after folding ё into е as most writers do.
pub fn russian(word: &str) -> String {
    static S: OnceLock<Stemmer> = OnceLock::new();
    let folded = word.replace('ё', "е");
    snowball(Algorithm::Russian, &S).stem(&folded).into_owned()
}

/// Dutch Snowball stem.
pub fn dutch(word: &str) -> String {
    static S: OnceLock<Stemmer> = OnceLock::new();
    snowball(Algorithm::Dutch, &S).stem(word).into_owned()
}

/// English Snowball (Porter 2) stem.
pub fn english(word: &str) -> String {
    static S: OnceLock<Stemmer> = OnceLock::new();
    snowball(Algorithm::English, &S).stem(word).into_owned()
}

/// Polish inflectional endings, longest first so the longest match wins. The `i…`
/// forms keep soft stems together (stocznia, stoczni, stoczniach → stoczn).
const POLISH_ENDINGS: &[&str] = &[
    "ościami", "ościach", "owania", "owanie", "iach", "iami", "iego", "iemu", "ością", "ości",
    "ach", "ami", "ego", "emu", "ych", "ich", "ymi", "imi", "iom", "iów", "owi", "om", "ów", "ej",
    "ym", "im", "ie", "ia", "iu", "ią", "ię", "a", "ą", "ę", "e", "i", "y", "u", "o",
];

/// A light Polish stem: one inflectional ending removed, keeping at least four letters.
pub fn polish(word: &str) -> String {
    let len = word.chars().count();
    for end in POLISH_ENDINGS {
        if word.ends_with(end) && len - end.chars().count() >= 4 {
            return word[..word.len() - end.len()].to_string();
        }
    }
    word.to_string()
}

/// Latin letters with their diacritics removed (ń → n, ł → l), so that a query typed
/// without them still finds the word.
pub fn fold_latin(word: &str) -> String {
    use unicode_normalization::{char::is_combining_mark, UnicodeNormalization};
    word.nfd()
        .filter(|c| !is_combining_mark(*c))
        .map(|c| match c {
            'ł' => 'l',
            'ø' => 'o',
            'đ' => 'd',
            'ß' => 's',
            other => other,
        })
        .collect()
}

/// Arabic orthographic normalisation: no diacritics or tatweel, one alef, dotless yeh as
/// yeh, teh marbuta as heh.
pub fn arabic_normalize(word: &str) -> String {
    word.chars()
        .filter(|c| !is_arabic_diacritic(*c) && *c != '\u{0640}')
        .map(|c| match c {
            'أ' | 'إ' | 'آ' | 'ٱ' => 'ا',
            'ى' => 'ي',
            'ة' => 'ه',
            other => other,
        })
        .collect()
}

/// Harakat, tanween, shadda, sukun, the superscript alef and Quranic marks.
pub fn is_arabic_diacritic(c: char) -> bool {
    matches!(c, '\u{0610}'..='\u{061A}' | '\u{064B}'..='\u{065F}' | '\u{0670}' | '\u{06D6}'..='\u{06ED}')
}

/// Conjunction and article prefixes, longest first.
const ARABIC_PREFIXES: &[&str] = &["وال", "بال", "كال", "فال", "لل", "ال", "و"];

/// A normalised Arabic word without its article/conjunction prefix, keeping at least
/// two letters; `None` when there is no prefix to strip.
pub fn arabic_strip_prefix(norm: &str) -> Option<String> {
    let len = norm.chars().count();
    ARABIC_PREFIXES.iter().find_map(|p| {
        let rest = norm.strip_prefix(p)?;
        (len - p.chars().count() >= 2).then(|| rest.to_string())
    })
}

/// Korean particles and endings a query word may carry, longest first. Two-syllable
/// ones are stripped whenever a syllable remains; one-syllable ones only from words of
/// three or more syllables, since 이, 가, 도, 만 … also end ordinary two-syllable words.
const KOREAN_LONG: &[&str] = &[
    "에서부터",
    "으로부터",
    "에게서",
    "한테서",
    "께서는",
    "이라고",
    "에서는",
    "에게는",
    "으로는",
    "까지",
    "부터",
    "에서",
    "에게",
    "한테",
    "께서",
    "으로",
    "이나",
    "라고",
    "처럼",
    "보다",
    "마다",
    "이랑",
    "하고",
    "이다",
    "입니다",
    "였다",
    "이었다",
    "님이",
    "님은",
    "님을",
    "님의",
    "님께",
    "님",
];
const KOREAN_SHORT: &[&str] = &[
    "은", "는", "이", "가", "을", "를", "에", "의", "와", "과", "도", "로", "만", "께", "랑", "나",
];

/// A Korean query word without its trailing particles and endings (at most two layers:
/// 반장님께서 → 반장님 → 반장).
pub fn korean_strip(word: &str) -> String {
    let mut w = word.to_string();
    for _ in 0..2 {
        let len = w.chars().count();
        let long = KOREAN_LONG
            .iter()
            .find(|e| w.ends_with(**e) && len > e.chars().count());
        let short = || KOREAN_SHORT.iter().find(|e| w.ends_with(**e) && len >= 3);
        match long.or_else(short) {
            Some(e) => {
                let cut = w.len() - e.len();
                w.truncate(cut);
            }
            None => break,
        }
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polish_forms_share_a_stem() {
        for (a, b) in [
            ("spawacze", "spawaczami"),
            ("spawaczy", "spawacz"),
            ("kadłubach", "kadłub"),
            ("stoczni", "stoczniach"),
            ("północnej", "północna"),
        ] {
            assert_eq!(polish(a), polish(b), "{a} / {b}");
        }
        assert_eq!(polish("nie"), "nie");
    }

    #[test]
    fn russian_forms_share_a_stem() {
        assert_eq!(russian("паспорта"), russian("паспортов"));
        assert_eq!(russian("лесовоза"), russian("лесовоз"));
        assert_eq!(russian("больницу"), russian("больнице"));
    }

    #[test]
    fn korean_particles_are_stripped_but_short_words_kept() {
        assert_eq!(korean_strip("김반장이"), "김반장");
        assert_eq!(korean_strip("반장님께서"), "반장");
        assert_eq!(korean_strip("반장은"), "반장");
        assert_eq!(korean_strip("숙소에서"), "숙소");
        // Two-syllable words ending in a particle-like syllable stay whole.
        assert_eq!(korean_strip("아이"), "아이");
        assert_eq!(korean_strip("에서"), "에서");
    }

    #[test]
    fn arabic_is_normalised_and_loses_its_article() {
        assert_eq!(arabic_normalize("الرَّوَاتِب"), "الرواتب");
        assert_eq!(arabic_normalize("إدارة"), "اداره");
        assert_eq!(arabic_strip_prefix("الرواتب").as_deref(), Some("رواتب"));
        assert_eq!(arabic_strip_prefix("والعمال").as_deref(), Some("عمال"));
        assert_eq!(arabic_strip_prefix("ال"), None);
    }

    #[test]
    fn latin_folding_drops_diacritics() {
        assert_eq!(fold_latin("gdańsk"), "gdansk");
        assert_eq!(fold_latin("kadłub"), "kadlub");
    }
}
