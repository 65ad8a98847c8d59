//! Text → index terms, for documents and for queries.
//!
//! Text is NFKC-normalised and lowercased, then cut into words at anything that is not
//! a letter, digit or combining mark, and at every change of script. Each word becomes
//! terms by its script:
//! - Latin: the diacritic-folded word, and its English, Dutch and Polish stems;
//! - Cyrillic: the word and its Russian stem;
//! - Arabic: the normalised word and, if it has one, the word without its prefix;
//! - Hangul, Han, Kana: every syllable/character (unigrams) and every adjacent pair
//!   (bigrams) of the run, since these scripts do not put spaces between all words;
//! - anything else (digits, Greek, Thai …): the word as it is.
//!
//! Terms carry a short tag per kind (`"pl:"`, `"k2:"` …) so a Dutch stem never meets a
//! Polish one by accident. A query word becomes a [`QueryWord`]: the terms it may match
//! and how many of them a document must hold.
//!
//! Must never: panic on any string, or produce an empty term.

use std::collections::HashMap;

use unicode_normalization::UnicodeNormalization;

use super::lang;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Script {
    Latin,
    Cyrillic,
    Arabic,
    Hangul,
    Han,
    Kana,
    Digit,
    Other,
}

fn script(c: char) -> Script {
    match c {
        '0'..='9' => Script::Digit,
        'a'..='z' | '\u{00C0}'..='\u{024F}' | '\u{1E00}'..='\u{1EFF}' => Script::Latin,
        '\u{0400}'..='\u{052F}' => Script::Cyrillic,
        '\u{0600}'..='\u{06FF}' | '\u{0750}'..='\u{077F}' | '\u{08A0}'..='\u{08FF}' => {
            Script::Arabic
        }
        '\u{AC00}'..='\u{D7A3}' | '\u{1100}'..='\u{11FF}' | '\u{3130}'..='\u{318F}' => {
            Script::Hangul
        }
        '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '\u{F900}'..='\u{FAFF}' => Script::Han,
        '\u{20000}'..='\u{2FA1F}' => Script::Han,
        '\u{3040}'..='\u{30FF}' | '\u{31F0}'..='\u{31FF}' => Script::Kana,
        _ => Script::Other,
    }
}

/// Combining marks join the word they follow (Arabic harakat, Latin accents left over).
fn is_mark(c: char) -> bool {
    unicode_normalization::char::is_combining_mark(c) || c == '\u{0640}'
}

/// The words of `text`, each with its script.
fn words(text: &str) -> Vec<(Script, String)> {
    let norm: String = text.nfkc().flat_map(char::to_lowercase).collect();
    let mut out: Vec<(Script, String)> = Vec::new();
    let mut cur: Option<(Script, String)> = None;
    for c in norm.chars() {
        if is_mark(c) {
            if let Some((_, w)) = cur.as_mut() {
                w.push(c);
            }
            continue;
        }
        if !c.is_alphanumeric() {
            out.extend(cur.take());
            continue;
        }
        let s = script(c);
        match cur.as_mut() {
            Some((cs, w)) if *cs == s => w.push(c),
            _ => {
                out.extend(cur.take());
                cur = Some((s, c.to_string()));
            }
        }
    }
    out.extend(cur);
    out
}

/// Every index term of `text` (with repeats: the count is the term frequency).
pub fn doc_terms(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for_each_doc_term(text, &mut WordCache::new(), |t| out.push(t.to_string()));
    out
}

/// The terms of words already seen in the same document: stemming a word three ways
/// costs more than looking it up. Lives for one document only, so it never keeps the
/// words of a tip taken out of the index.
pub(super) type WordCache = HashMap<String, Vec<String>>;

/// Calls `f` with every index term of `text`, repeats included.
pub(super) fn for_each_doc_term(text: &str, cache: &mut WordCache, mut f: impl FnMut(&str)) {
    for (s, w) in words(text) {
        match s {
            Script::Hangul | Script::Han | Script::Kana => {
                let chars: Vec<char> = w.chars().collect();
                let tag = cjk_tag(s);
                for c in &chars {
                    f(&format!("{tag}1:{c}"));
                }
                for pair in chars.windows(2) {
                    f(&format!("{tag}2:{}{}", pair[0], pair[1]));
                }
            }
            _ => {
                if !cache.contains_key(&w) {
                    let v = word_variants(s, &w);
                    cache.insert(w.clone(), v);
                }
                cache[&w].iter().for_each(|t| f(t));
            }
        }
    }
}

/// One word of a query: it matches a document that holds at least `need` of `terms`.
#[derive(Clone, Debug, PartialEq)]
pub struct QueryWord {
    /// The terms it may match.
    pub terms: Vec<String>,
    /// How many of them must be present.
    pub need: usize,
}

/// The words of a query. Every one must match (AND).
pub fn query_words(query: &str) -> Vec<QueryWord> {
    let mut out = Vec::new();
    for (s, w) in words(query) {
        let qw = match s {
            Script::Hangul => {
                // Particles and endings off, then enough of the bigrams to match:
                // half of them, so "김반장" finds a tip that wrote "김 반장" or "반장".
                let stem = lang::korean_strip(&w);
                let grams = grams(Script::Hangul, &stem);
                let need = if grams.len() <= 1 {
                    1
                } else {
                    grams.len().div_ceil(2)
                };
                QueryWord { terms: grams, need }
            }
            Script::Han | Script::Kana => {
                // No particles to strip in Chinese: every bigram must be there.
                let grams = grams(s, &w);
                let need = grams.len();
                QueryWord { terms: grams, need }
            }
            _ => QueryWord {
                terms: word_variants(s, &w),
                need: 1,
            },
        };
        if !qw.terms.is_empty() {
            out.push(qw);
        }
    }
    out
}

fn cjk_tag(s: Script) -> &'static str {
    match s {
        Script::Hangul => "k",
        _ => "h",
    }
}

/// Bigrams of a run, or its one character as a unigram.
fn grams(s: Script, run: &str) -> Vec<String> {
    let tag = cjk_tag(s);
    let chars: Vec<char> = run.chars().collect();
    match chars.len() {
        0 => Vec::new(),
        1 => vec![format!("{tag}1:{}", chars[0])],
        _ => chars
            .windows(2)
            .map(|p| format!("{tag}2:{}{}", p[0], p[1]))
            .collect(),
    }
}

/// The terms one non-CJK word stands for, deduplicated.
fn word_variants(s: Script, w: &str) -> Vec<String> {
    let mut v = match s {
        Script::Latin => {
            let bare: String = w.chars().filter(|c| !is_mark(*c)).collect();
            vec![
                format!("l:{}", lang::fold_latin(&bare)),
                format!("en:{}", lang::english(&bare)),
                format!("nl:{}", lang::dutch(&bare)),
                format!("pl:{}", lang::polish(&bare)),
            ]
        }
        Script::Cyrillic => vec![format!("c:{w}"), format!("ru:{}", lang::russian(w))],
        Script::Arabic => {
            let norm = lang::arabic_normalize(w);
            let mut v = vec![format!("ar:{norm}")];
            v.extend(lang::arabic_strip_prefix(&norm).map(|p| format!("ar:{p}")));
            v
        }
        _ => vec![format!("o:{w}")],
    };
    // A stemmer may return "" for odd input; a bare tag is not a term.
    v.retain(|t| !t.ends_with(':'));
    v.dedup();
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_at_scripts_and_punctuation() {
        let w: Vec<_> = words("3공구, Gdańsk-ŁÓDŹ «Таёжный» 丹东餐厅")
            .into_iter()
            .map(|(_, w)| w)
            .collect();
        assert_eq!(w, ["3", "공구", "gdańsk", "łódź", "таёжный", "丹东餐厅"]);
    }

    #[test]
    fn full_width_and_compatibility_forms_are_normalised() {
        assert_eq!(doc_terms("ＰＡＳＳＰＯＲＴ"), doc_terms("passport"));
    }

    #[test]
    fn korean_query_needs_half_its_bigrams() {
        let q = query_words("김반장이");
        assert_eq!(q.len(), 1);
        assert_eq!(q[0].terms, ["k2:김반", "k2:반장"]);
        assert_eq!(q[0].need, 1);
    }

    #[test]
    fn han_query_needs_every_bigram_and_one_character_is_a_unigram() {
        let q = query_words("经理 李");
        assert_eq!(q[0].terms, ["h2:经理"]);
        assert_eq!(q[1].terms, ["h1:李"]);
    }
}
