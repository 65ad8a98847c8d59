//! Hanzi → pinyin with every reading of each character (heteronyms), through the `pinyin`
//! crate: 海参崴 (Vladivostok's Chinese name) is hǎi **shēn** wǎi, while the default
//! reading of 参 is cān.
//!
//! Must never: return more than [`MAX_READINGS`] combinations (a long Chinese text would
//! otherwise explode combinatorially); characters without a reading pass through.

use pinyin::ToPinyinMulti;

/// The most combinations of readings returned for one text. Names and places have two to
/// five characters with at most a few readings each; 64 covers them, and bounds the work
/// for anything longer.
pub const MAX_READINGS: usize = 64;

/// Every reading of `text` with tone marks, syllables separated by spaces ("hǎi shēn wǎi"),
/// the default reading first.
pub fn toned_readings(text: &str) -> Vec<String> {
    readings(text, |p| p.with_tone(), " ")
}

/// Every reading of `text` without tones, syllables run together ("haishenwai"), the
/// default reading first.
pub fn plain_readings(text: &str) -> Vec<String> {
    readings(text, |p| p.plain(), "")
}

fn readings(text: &str, spell: fn(pinyin::Pinyin) -> &'static str, sep: &str) -> Vec<String> {
    let mut out: Vec<String> = vec![String::new()];
    for (c, multi) in text.chars().zip(text.to_pinyin_multi()) {
        let options: Vec<String> = match multi {
            Some(m) => m.into_iter().map(|p| spell(p).to_string()).collect(),
            None => vec![c.to_string()],
        };
        let mut next = Vec::with_capacity(out.len() * options.len());
        for prefix in &out {
            for o in &options {
                if next.len() == MAX_READINGS {
                    break;
                }
                let glue = if prefix.is_empty() || multi.is_none() {
                    ""
                } else {
                    sep
                };
                next.push(format!("{prefix}{glue}{o}"));
            }
        }
        out = next;
    }
    out.dedup();
    out
}

/// Whether `text` holds a Chinese character.
pub fn has_han(text: &str) -> bool {
    text.chars().any(super::names::is_han)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn haishenwai_is_among_the_readings_of_vladivostoks_chinese_name() {
        let toned = toned_readings("海参崴");
        assert_eq!(toned[0], "hǎi cān wǎi", "the default reading comes first");
        assert!(toned.iter().any(|r| r == "hǎi shēn wǎi"), "{toned:?}");
        assert!(plain_readings("海参崴").contains(&"haishenwai".to_string()));
    }

    #[test]
    fn long_texts_are_bounded() {
        let text = "参".repeat(40);
        assert!(plain_readings(&text).len() <= MAX_READINGS);
        assert_eq!(plain_readings("沈阳")[0], "shenyang");
    }
}
