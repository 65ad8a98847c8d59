//! Arabic → Latin for names: a simple rule-based transliteration (كيم → kim, محمد → mhmd,
//! تشوي → tshui), and the vowel-less key that compares it with other scripts. Arabic
//! writes long vowels and leaves short ones out, so "Mohammed" and محمد agree only on
//! their consonants: [`consonant_key`] keeps those, and [`super::compare`] uses it only
//! when one side is Arabic (between two Latin names it would merge Kim and Kum).
//!
//! Must never: panic on any input, or drop an Arabic letter without a trace (every letter
//! gives some Latin, property-tested).

use super::keys::{fold_latin, skeleton};

/// Whether `text` has any Arabic letter (Arabic, Arabic Supplement, presentation forms).
pub fn has_arabic(text: &str) -> bool {
    text.chars().any(is_arabic)
}

/// Whether `c` is in one of the Arabic blocks.
pub fn is_arabic(c: char) -> bool {
    matches!(c, '\u{0600}'..='\u{06FF}' | '\u{0750}'..='\u{077F}' | '\u{FB50}'..='\u{FDFF}' | '\u{FE70}'..='\u{FEFF}')
}

/// A consonant's Latin form; `None` for the letters that may be vowels (ا و ي ى ة and
/// hamza carriers), the marks, and anything else.
#[rustfmt::skip]
fn consonant(c: char) -> Option<&'static str> {
    Some(match c {
        'ء' | 'ع' => "'",
        'ب' => "b", 'ت' => "t", 'ث' => "th", 'ج' => "j", 'ح' => "h", 'خ' => "kh",
        'د' => "d", 'ذ' => "dh", 'ر' => "r", 'ز' => "z", 'س' => "s", 'ش' => "sh",
        'ص' => "s", 'ض' => "d", 'ط' => "t", 'ظ' => "z", 'غ' => "gh", 'ف' => "f",
        'ق' => "q", 'ك' | 'ک' | 'ػ' | 'ؼ' => "k", 'ل' => "l", 'م' => "m", 'ن' => "n",
        'ه' | 'ھ' | 'ە' => "h", 'پ' => "p", 'چ' => "ch", 'ژ' => "zh", 'ڤ' | 'ۋ' => "v",
        'گ' | 'ڭ' => "g",
        _ => return None,
    })
}

/// The Latin form of one Arabic word (no spaces inside). Long vowels and the glides:
/// ا آ أ إ ى ة → a/i, و → w at the start of a word or beside a vowel and u between
/// consonants, ي likewise y / i; the short-vowel marks, when written, give a, u, i; shadda
/// doubles; other marks are dropped.
fn word(w: &str) -> String {
    let chars: Vec<char> = w.chars().collect();
    let mut out = String::new();
    let vowel_letter = |c: char| matches!(c, 'ا' | 'آ' | 'أ' | 'إ' | 'ى' | 'ة' | 'و' | 'ي' | 'ی');
    let last_is_vowel = |s: &str| {
        s.chars()
            .last()
            .is_none_or(|c| "aeiou".contains(c) || c == ' ')
    };
    for (i, &c) in chars.iter().enumerate() {
        let next = chars.get(i + 1).copied();
        let glide = |as_consonant: &'static str, as_vowel: &'static str, out: &str| {
            let at_start = out.is_empty();
            let before_vowel = next.is_some_and(vowel_letter);
            if at_start || last_is_vowel(out) || before_vowel {
                as_consonant
            } else {
                as_vowel
            }
        };
        let piece: String = match c {
            'ا' | 'آ' | 'أ' | 'ٱ' | 'ى' | 'ة' | 'ۀ' | '\u{0670}' => "a".into(),
            'إ' => "i".into(),
            'ؤ' => "u".into(),
            'ئ' => "i".into(),
            'و' => glide("w", "u", &out).into(),
            'ي' | 'ی' | 'ې' => glide("y", "i", &out).into(),
            '\u{064E}' => "a".into(),
            '\u{064F}' => "u".into(),
            '\u{0650}' => "i".into(),
            // Shadda: the consonant is doubled.
            '\u{0651}' => out
                .chars()
                .last()
                .filter(|c| c.is_ascii_alphabetic())
                .map(String::from)
                .unwrap_or_default(),
            '٠'..='٩' => char::from_digit(c as u32 - '٠' as u32, 10)
                .map(String::from)
                .unwrap_or_default(),
            '۰'..='۹' => char::from_digit(c as u32 - '۰' as u32, 10)
                .map(String::from)
                .unwrap_or_default(),
            _ => match consonant(c) {
                Some(l) => l.into(),
                // Tatweel, tanwin, sukun and other marks carry no sound of their own.
                None if is_arabic(c) && !c.is_alphabetic() => String::new(),
                None if is_arabic(c) => fallback(c).into(),
                None => c.to_string(),
            },
        };
        out.push_str(&piece);
    }
    out
}

/// A letter outside the table (a rarer Persian, Urdu or presentation form): its base
/// letter when Unicode gives one is beyond a small rule set, so it is shown as a glottal
/// mark, which folding drops: the letter leaves a trace in the reason, not in the key.
fn fallback(_c: char) -> &'static str {
    "'"
}

/// Arabic text in Latin letters, word by word; other characters are kept as they are.
pub fn to_latin(text: &str) -> String {
    text.split(' ').map(word).collect::<Vec<_>>().join(" ")
}

/// The vowel-less comparison key of a Latin form (from any script): folded, vowels and the
/// glides w and y taken out, then the skeleton (so "Mohammed" and محمد → mhmd both give
/// "mt", "Kim" and كيم give "km"). Weak evidence: used only against Arabic.
pub fn consonant_key(latin: &str) -> String {
    let folded: String = fold_latin(latin)
        .chars()
        .filter(|c| !"aeiouyw".contains(*c))
        .collect();
    skeleton(&folded)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn korean_surnames_written_in_arabic_read_as_their_latin_forms() {
        assert_eq!(to_latin("كيم"), "kim");
        assert_eq!(to_latin("بارك"), "bark");
        assert_eq!(to_latin("لي"), "li");
        assert_eq!(consonant_key(&to_latin("كيم")), consonant_key("Kim"));
        assert_eq!(consonant_key(&to_latin("تشوي")), consonant_key("Choi"));
    }

    #[test]
    fn arabic_names_match_their_usual_latin_spellings_on_consonants() {
        for (ar, latin) in [
            ("محمد", "Mohammed"),
            ("محمد", "Muhammad"),
            ("أحمد", "Ahmed"),
            ("يوسف", "Yousef"),
            ("خالد", "Khaled"),
            ("عبد الله", "Abdullah"),
        ] {
            assert_eq!(
                consonant_key(&to_latin(ar)),
                consonant_key(latin),
                "{ar} ({}) ~ {latin}",
                to_latin(ar)
            );
        }
        assert_ne!(consonant_key(&to_latin("خالد")), consonant_key("Ahmed"));
    }

    #[test]
    fn glides_are_consonants_at_the_start_and_vowels_between_consonants() {
        assert_eq!(to_latin("يوسف"), "yusf");
        assert_eq!(to_latin("وليد"), "wlid");
    }

    proptest! {
        #[test]
        fn every_arabic_letter_transliterates(c in prop::char::range('\u{0620}', '\u{06FF}')) {
            // Letters only: the vowel marks and Quranic signs are marks, not letters.
            let mark = matches!(c, '\u{064B}'..='\u{065F}' | '\u{0670}' | '\u{06D6}'..='\u{06ED}');
            if c.is_alphabetic() && !mark {
                let latin = to_latin(&c.to_string());
                prop_assert!(!latin.is_empty(), "{c} U+{:04X}", c as u32);
                prop_assert!(latin.is_ascii(), "{c} U+{:04X} → {latin}", c as u32);
            }
        }

        #[test]
        fn no_input_makes_it_panic(text in "\\PC{0,40}") {
            let latin = to_latin(&text);
            let _ = consonant_key(&latin);
        }

        #[test]
        fn arabic_words_give_ascii(text in "[\u{0621}-\u{064A}\u{064B}-\u{0652} ]{1,20}") {
            prop_assert!(to_latin(&text).is_ascii());
        }
    }
}
