//! Receipt words: the BIP39 word lists, typing-tolerant word matching, and packing
//! 128 bits of entropy plus a 4-bit checksum into twelve 11-bit word indices.
//!
//! This module does no cryptography (the checksum is computed in `crypto::receipt`) and
//! never echoes a word back in an error: a receipt is a secret, errors name positions.
//! The lists are the official BIP39 ones, embedded from `data/wordlists/` (provenance in
//! `data/wordlists/PROVENANCE.md`).

use std::collections::HashMap;
use std::sync::OnceLock;

/// Words in a receipt.
pub const WORDS: usize = 12;
/// Bytes of entropy a receipt carries (128 bits).
pub const ENTROPY_LEN: usize = 16;
/// Words in every BIP39 list.
pub const LIST_LEN: usize = 2048;

/// One of the BIP39 word lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WordList {
    /// English (also the fallback every witness can type).
    English,
    /// Korean (Hangul).
    Korean,
    /// Chinese, simplified characters.
    ChineseSimplified,
    /// Chinese, traditional characters.
    ChineseTraditional,
    /// Japanese (kana).
    Japanese,
    /// Spanish.
    Spanish,
    /// French.
    French,
    /// Italian.
    Italian,
    /// Czech.
    Czech,
    /// Portuguese.
    Portuguese,
}

impl WordList {
    /// Every list, in the order a receipt is tried against them.
    pub const ALL: [WordList; 10] = [
        WordList::English,
        WordList::Korean,
        WordList::ChineseSimplified,
        WordList::ChineseTraditional,
        WordList::Japanese,
        WordList::Spanish,
        WordList::French,
        WordList::Italian,
        WordList::Czech,
        WordList::Portuguese,
    ];

    /// The list's file name stem in `data/wordlists/`, e.g. `korean`.
    pub const fn name(self) -> &'static str {
        match self {
            WordList::English => "english",
            WordList::Korean => "korean",
            WordList::ChineseSimplified => "chinese_simplified",
            WordList::ChineseTraditional => "chinese_traditional",
            WordList::Japanese => "japanese",
            WordList::Spanish => "spanish",
            WordList::French => "french",
            WordList::Italian => "italian",
            WordList::Czech => "czech",
            WordList::Portuguese => "portuguese",
        }
    }

    /// Parses a list name (`korean`, `chinese_simplified` …).
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.name() == name)
    }

    /// The list to show a witness whose language tag is `tag` (`ko`, `zh-Hant` …):
    /// their own script where BIP39 has a list, English otherwise.
    pub fn for_language(tag: &str) -> Self {
        let tag = tag.to_ascii_lowercase();
        let primary = tag.split(['-', '_']).next().unwrap_or("");
        match primary {
            "ko" => WordList::Korean,
            "zh" if tag.contains("hant") || tag.ends_with("-tw") || tag.ends_with("-hk") => {
                WordList::ChineseTraditional
            }
            "zh" => WordList::ChineseSimplified,
            "ja" => WordList::Japanese,
            "es" => WordList::Spanish,
            "fr" => WordList::French,
            "it" => WordList::Italian,
            "cs" => WordList::Czech,
            "pt" => WordList::Portuguese,
            _ => WordList::English,
        }
    }

    fn source(self) -> &'static str {
        match self {
            WordList::English => include_str!("../../data/wordlists/english.txt"),
            WordList::Korean => include_str!("../../data/wordlists/korean.txt"),
            WordList::ChineseSimplified => {
                include_str!("../../data/wordlists/chinese_simplified.txt")
            }
            WordList::ChineseTraditional => {
                include_str!("../../data/wordlists/chinese_traditional.txt")
            }
            WordList::Japanese => include_str!("../../data/wordlists/japanese.txt"),
            WordList::Spanish => include_str!("../../data/wordlists/spanish.txt"),
            WordList::French => include_str!("../../data/wordlists/french.txt"),
            WordList::Italian => include_str!("../../data/wordlists/italian.txt"),
            WordList::Czech => include_str!("../../data/wordlists/czech.txt"),
            WordList::Portuguese => include_str!("../../data/wordlists/portuguese.txt"),
        }
    }

    fn tables(self) -> &'static Tables {
        static TABLES: OnceLock<Vec<Tables>> = OnceLock::new();
        let all = TABLES.get_or_init(|| WordList::ALL.iter().map(|l| Tables::build(*l)).collect());
        let i = WordList::ALL
            .iter()
            .position(|l| *l == self)
            .expect("every list is in ALL");
        &all[i]
    }

    /// Word `index` (0..2048) as it should be shown: precomposed Hangul and kana, so it
    /// looks right in every terminal and font.
    pub fn word(self, index: u16) -> &'static str {
        &self.tables().display[usize::from(index) % LIST_LEN]
    }

    /// The index of a typed word, tolerant of case, surrounding spaces, accents on Latin
    /// letters, and composed or decomposed Hangul and kana.
    pub fn index_of(self, typed: &str) -> Option<u16> {
        self.tables().index.get(&fold(typed)).copied()
    }
}

struct Tables {
    display: Vec<String>,
    index: HashMap<String, u16>,
}

impl Tables {
    fn build(list: WordList) -> Self {
        let words: Vec<&str> = list.source().lines().collect();
        assert_eq!(words.len(), LIST_LEN, "{} has 2048 words", list.name());
        let display = words.iter().map(|w| compose(w)).collect();
        let index = words
            .iter()
            .enumerate()
            .map(|(i, w)| (fold(w), i as u16))
            .collect();
        Tables { display, index }
    }
}

/// Why typed words are not a receipt. Positions are 1-based; words are never repeated.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WordsError {
    /// Not twelve words.
    #[error("a receipt is 12 words; this one has {0}")]
    WordCount(usize),
    /// A word is in no list that holds the others.
    #[error("word {position} is not a receipt word (compared with the {list} word list): check its spelling")]
    UnknownWord {
        /// 1-based position of the first unknown word.
        position: usize,
        /// The list most of the words came from.
        list: &'static str,
    },
}

/// Every reading of `text` as twelve words of one list: `(list, indices)`, in the order
/// of [`WordList::ALL`]. Words may be separated by any whitespace (or none, for twelve
/// Chinese characters). The checksum is not checked here.
pub fn candidates(text: &str) -> Result<Vec<(WordList, [u16; WORDS])>, WordsError> {
    let mut tokens: Vec<String> = text.split_whitespace().map(str::to_owned).collect();
    if tokens.len() == 1 && tokens[0].chars().count() == WORDS {
        tokens = tokens[0].chars().map(String::from).collect();
    }
    if tokens.len() != WORDS {
        return Err(WordsError::WordCount(tokens.len()));
    }
    let mut found = Vec::new();
    let mut best: Option<(usize, WordList, usize)> = None;
    for list in WordList::ALL {
        let mut indices = [0u16; WORDS];
        let mut first_unknown = None;
        let mut known = 0;
        for (i, t) in tokens.iter().enumerate() {
            match list.index_of(t) {
                Some(ix) => {
                    indices[i] = ix;
                    known += 1;
                }
                None => {
                    first_unknown.get_or_insert(i);
                }
            }
        }
        match first_unknown {
            None => found.push((list, indices)),
            Some(pos) if best.is_none_or(|(k, _, _)| known > k) => {
                best = Some((known, list, pos));
            }
            Some(_) => {}
        }
    }
    if found.is_empty() {
        let (_, list, pos) = best.expect("at least one list was tried");
        return Err(WordsError::UnknownWord {
            position: pos + 1,
            list: list.name(),
        });
    }
    Ok(found)
}

/// Twelve 11-bit indices from 128 bits of entropy followed by a 4-bit checksum (the
/// high nibble of `checksum`), as BIP39 does.
pub fn pack(entropy: &[u8; ENTROPY_LEN], checksum: u8) -> [u16; WORDS] {
    let mut bits = [0u8; ENTROPY_LEN + 1];
    bits[..ENTROPY_LEN].copy_from_slice(entropy);
    bits[ENTROPY_LEN] = checksum & 0xF0;
    let mut out = [0u16; WORDS];
    for (w, slot) in out.iter_mut().enumerate() {
        let mut v = 0u16;
        for b in 0..11 {
            let bit = w * 11 + b;
            let set = (bits[bit / 8] >> (7 - bit % 8)) & 1;
            v = (v << 1) | u16::from(set);
        }
        *slot = v;
    }
    bits.iter_mut().for_each(|b| *b = 0);
    out
}

/// The inverse of [`pack`]: the entropy and the checksum nibble (in the high 4 bits).
pub fn unpack(indices: &[u16; WORDS]) -> ([u8; ENTROPY_LEN], u8) {
    let mut bits = [0u8; ENTROPY_LEN + 1];
    for (w, &ix) in indices.iter().enumerate() {
        for b in 0..11 {
            if (ix >> (10 - b)) & 1 == 1 {
                let bit = w * 11 + b;
                bits[bit / 8] |= 1 << (7 - bit % 8);
            }
        }
    }
    let mut entropy = [0u8; ENTROPY_LEN];
    entropy.copy_from_slice(&bits[..ENTROPY_LEN]);
    let checksum = bits[ENTROPY_LEN];
    bits.iter_mut().for_each(|b| *b = 0);
    (entropy, checksum)
}

/// Folds a word for matching: trimmed, lowercased, Latin accents removed, Hangul and
/// kana composed (the BIP39 files are NFKD; people type NFC). Not a full Unicode
/// normaliser, but exact for every word of every embedded list (see the tests).
pub fn fold(word: &str) -> String {
    let composed = compose(word.trim());
    let mut out = String::with_capacity(composed.len());
    for c in composed.chars().flat_map(char::to_lowercase) {
        if ('\u{0300}'..='\u{036F}').contains(&c) {
            continue;
        }
        out.push(strip_latin_accent(c));
    }
    out
}

/// Composes Hangul jamo into syllables and kana + (semi-)voiced marks into one letter.
fn compose(s: &str) -> String {
    const S_BASE: u32 = 0xAC00;
    const L_BASE: u32 = 0x1100;
    const V_BASE: u32 = 0x1161;
    const T_BASE: u32 = 0x11A7;
    const V_COUNT: u32 = 21;
    const T_COUNT: u32 = 28;
    let mut out: Vec<char> = Vec::with_capacity(s.len());
    for c in s.chars() {
        let cp = c as u32;
        if let Some(&last) = out.last() {
            let l = last as u32;
            // L + V → LV syllable.
            if (L_BASE..L_BASE + 19).contains(&l) && (V_BASE..V_BASE + V_COUNT).contains(&cp) {
                let syl = S_BASE + ((l - L_BASE) * V_COUNT + (cp - V_BASE)) * T_COUNT;
                *out.last_mut().expect("non-empty") = char::from_u32(syl).unwrap_or(last);
                continue;
            }
            // LV + T → LVT syllable.
            if (S_BASE..S_BASE + 11172).contains(&l)
                && (l - S_BASE).is_multiple_of(T_COUNT)
                && (T_BASE + 1..T_BASE + T_COUNT).contains(&cp)
            {
                *out.last_mut().expect("non-empty") =
                    char::from_u32(l + (cp - T_BASE)).unwrap_or(last);
                continue;
            }
            // Kana + combining (semi-)voiced sound mark: the precomposed letter follows
            // its base at +1 (voiced) and +2 (semi-voiced) in the Unicode kana blocks.
            if (cp == 0x3099 || cp == 0x309A) && is_kana(l) {
                let composed = l + if cp == 0x3099 { 1 } else { 2 };
                if let Some(ch) = char::from_u32(composed) {
                    *out.last_mut().expect("non-empty") = ch;
                    continue;
                }
            }
        }
        out.push(c);
    }
    out.into_iter().collect()
}

fn is_kana(cp: u32) -> bool {
    (0x3041..=0x3096).contains(&cp) || (0x30A1..=0x30FA).contains(&cp)
}

fn strip_latin_accent(c: char) -> char {
    match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => 'a',
        'ç' | 'č' => 'c',
        'ď' => 'd',
        'è' | 'é' | 'ê' | 'ë' | 'ě' => 'e',
        'ì' | 'í' | 'î' | 'ï' => 'i',
        'ñ' | 'ň' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' => 'o',
        'ř' => 'r',
        'š' => 's',
        'ť' => 't',
        'ù' | 'ú' | 'û' | 'ü' | 'ů' => 'u',
        'ý' | 'ÿ' => 'y',
        'ž' => 'z',
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_list_has_2048_words_that_stay_distinct_after_folding() {
        for list in WordList::ALL {
            let t = list.tables();
            assert_eq!(
                t.index.len(),
                LIST_LEN,
                "{} folds two words together",
                list.name()
            );
            for i in 0..LIST_LEN as u16 {
                assert_eq!(
                    list.index_of(list.word(i)),
                    Some(i),
                    "{} word {i}",
                    list.name()
                );
            }
        }
    }

    #[test]
    fn the_english_list_is_the_official_one() {
        assert_eq!(WordList::English.word(0), "abandon");
        assert_eq!(WordList::English.word(2047), "zoo");
        assert_eq!(WordList::English.index_of("  Zoo "), Some(2047));
    }

    #[test]
    fn hangul_and_kana_match_composed_or_decomposed() {
        let ko = WordList::Korean.word(0);
        assert_eq!(ko, "가격");
        let decomposed = WordList::Korean.source().lines().next().unwrap();
        assert_ne!(ko, decomposed);
        assert_eq!(WordList::Korean.index_of(decomposed), Some(0));
        assert_eq!(WordList::Korean.index_of("가격"), Some(0));
        let ja = WordList::Japanese.word(5);
        assert!(WordList::Japanese.index_of(ja).is_some());
    }

    #[test]
    fn latin_accents_are_optional() {
        let i = WordList::French.index_of("élève").unwrap();
        assert_eq!(WordList::French.index_of("ELEVE"), Some(i));
        assert_eq!(WordList::Spanish.index_of("ÁBACO"), Some(0));
    }

    #[test]
    fn pack_and_unpack_are_inverse() {
        let e: [u8; 16] = core::array::from_fn(|i| (i as u8).wrapping_mul(37) ^ 0xA5);
        let w = pack(&e, 0xB0);
        assert!(w.iter().all(|&x| x < 2048));
        assert_eq!(unpack(&w), (e, 0xB0));
        // BIP39 test vector: all-zero entropy → "abandon" × 11 + "about" (checksum 0x3).
        let zero = pack(&[0; 16], 0x30);
        assert_eq!(zero[..11], [0; 11]);
        assert_eq!(WordList::English.word(zero[11]), "about");
    }

    #[test]
    fn errors_name_the_position_never_the_word() {
        let mut words = vec!["abandon"; 11];
        words.push("zzzzsecret");
        let e = candidates(&words.join(" ")).unwrap_err();
        assert_eq!(
            e,
            WordsError::UnknownWord {
                position: 12,
                list: "english"
            }
        );
        assert!(!e.to_string().contains("zzzzsecret"));
        assert_eq!(
            candidates("abandon about").unwrap_err(),
            WordsError::WordCount(2)
        );
    }

    #[test]
    fn language_tags_choose_the_witness_script() {
        assert_eq!(WordList::for_language("ko-KR"), WordList::Korean);
        assert_eq!(WordList::for_language("zh"), WordList::ChineseSimplified);
        assert_eq!(
            WordList::for_language("zh-Hant"),
            WordList::ChineseTraditional
        );
        assert_eq!(WordList::for_language("sw"), WordList::English);
    }
}
