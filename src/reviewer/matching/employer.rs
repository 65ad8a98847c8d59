//! Employers' names compared across scripts. Tips write one company as "ООО «Приморстрой»",
//! "Primorsky Stroy LLC" or "프리모르스키 스트로이": the legal form and the quotes are set
//! aside first, then [`compare`] decides (a shared key, the gazetteer), then the same with
//! the words that say the kind of business set aside (tips translate "건설" as
//! "Construction" and transcribe "동방" as "Dongbang"), and last a
//! contracted compound is read the Russian way (Приморстрой = Примор·ский + строй,
//! Дальспецстрой = Даль·невосточный + спец·иальный + строй).
//!
//! Must never: link two employers on a legal form or a generic word alone ("ООО", "LLC",
//! "Construction" with nothing else in common), or give a score without a reason.

use super::compare::{compare, Match};
use super::keys::keys;

/// The distinctive parts match once the kind-of-business words are set aside on both sides.
const KIND_SET_ASIDE: f32 = 0.85;

/// A contracted compound read as the other side's words.
const CONTRACTED: f32 = 0.85;

/// Each piece of a contracted compound is at least this many letters of its word (in the
/// comparison key): "Примор" of Приморский, "спец" of специальный; shorter pieces would
/// let almost any two names of a few words "contract" into each other.
const MIN_PIECE: usize = 3;

/// Legal forms and company words that say nothing about which company it is, in the page
/// languages (lower case; Hangul and Hanzi forms of two or more letters are cut from the
/// start or end of a word too; "주" is what is left of "(주)" once brackets are spaces).
const LEGAL_FORMS: &[&str] = &[
    "ооо",
    "оао",
    "зао",
    "пао",
    "ао",
    "ип",
    "тоо",
    "llc",
    "ltd",
    "co",
    "inc",
    "jsc",
    "corp",
    "plc",
    "gmbh",
    "bv",
    "nv",
    "sa",
    "wll",
    "spzoo",
    "sp",
    "zoo",
    "company",
    "limited",
    "jv",
    "주식회사",
    "주",
    "유한회사",
    "有限公司",
    "有限责任公司",
    "公司",
    "株式会社",
    "شركة",
    "ذمم",
];

/// The name without legal forms, quotes and brackets; empty when nothing else is left.
pub fn core_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if "«»\"“”„'’()[]{}.,;:·".contains(c) {
                ' '
            } else {
                c
            }
        })
        .collect();
    let mut words: Vec<String> = Vec::new();
    for w in cleaned.split_whitespace() {
        let lower = w.to_lowercase();
        if LEGAL_FORMS.contains(&lower.as_str()) {
            continue;
        }
        // A CJK legal form written onto the name ("동방건설주식회사", "滨海建筑有限公司").
        let mut w = w.to_string();
        for form in LEGAL_FORMS
            .iter()
            .filter(|f| !f.is_ascii() && f.chars().count() >= 2)
        {
            if w.chars().count() > form.chars().count() {
                if let Some(rest) = w.strip_suffix(form).or_else(|| w.strip_prefix(form)) {
                    w = rest.to_string();
                }
            }
        }
        words.push(w);
    }
    words.join(" ")
}

/// Words that say what kind of business a company is, not which one, each with its
/// meaning in English: tips translate them ("동방건설", "Dongbang Construction",
/// "Тонбан Консалтинг") while they transcribe the distinctive part. Lower case; Hangul and
/// Hanzi ones are also cut from the end of a word.
const KINDS: &[(&str, &str)] = &[
    ("construction", "construction"),
    ("building", "construction"),
    ("건설", "construction"),
    ("건축", "construction"),
    ("建设", "construction"),
    ("建筑", "construction"),
    ("строй", "construction"),
    ("стройка", "construction"),
    ("строительство", "construction"),
    ("trading", "trading"),
    ("trade", "trading"),
    ("무역", "trading"),
    ("贸易", "trading"),
    ("торг", "trading"),
    ("торговля", "trading"),
    ("consulting", "consulting"),
    ("консалтинг", "consulting"),
    ("컨설팅", "consulting"),
];

/// The name without its kind-of-business words, and the words taken out; `None` when
/// nothing was taken out or nothing else is left (a kind word alone says nothing).
fn without_kinds(core: &str) -> Option<(String, Vec<&'static str>)> {
    let mut kept = Vec::new();
    let mut taken = Vec::new();
    for w in core.split_whitespace() {
        let lower = w.to_lowercase();
        if let Some((kind, _)) = KINDS.iter().find(|(k, _)| *k == lower) {
            taken.push(*kind);
            continue;
        }
        let glued = KINDS.iter().find(|(k, _)| {
            !k.is_ascii() && w.chars().count() > k.chars().count() && w.ends_with(k)
        });
        match glued {
            Some((kind, _)) if !is_cyrillic_word(w) => {
                taken.push(*kind);
                kept.push(w[..w.len() - kind.len()].to_string());
            }
            _ => kept.push(w.to_string()),
        }
    }
    (!taken.is_empty() && !kept.is_empty()).then(|| (kept.join(" "), taken))
}

/// Cyrillic words keep a glued "строй" (Приморстрой is a contraction, read below).
fn is_cyrillic_word(w: &str) -> bool {
    w.chars().any(|c| ('\u{400}'..='\u{4FF}').contains(&c))
}

/// The first comparison key of each word.
fn word_keys(name: &str) -> Vec<String> {
    name.split_whitespace()
        .filter_map(|w| keys(w).into_iter().next().map(|k| k.key))
        .collect()
}

/// Whether `compact` is the words of `parts`, each cut to a prefix of at least
/// [`MIN_PIECE`] letters, in order; the cut points when it is.
fn contracts(compact: &str, parts: &[String]) -> Option<Vec<usize>> {
    fn go(c: &[char], parts: &[Vec<char>], at: usize, cuts: &mut Vec<usize>) -> bool {
        let Some((word, rest)) = parts.split_first() else {
            return at == c.len();
        };
        let longest = word.len().min(c.len() - at);
        for len in (MIN_PIECE.min(word.len())..=longest).rev() {
            if c[at..at + len] == word[..len] {
                cuts.push(len);
                if go(c, rest, at + len, cuts) {
                    return true;
                }
                cuts.pop();
            }
        }
        false
    }
    if parts.len() < 2 {
        return None;
    }
    let c: Vec<char> = compact.chars().collect();
    let parts: Vec<Vec<char>> = parts.iter().map(|p| p.chars().collect()).collect();
    let mut cuts = Vec::new();
    go(&c, &parts, 0, &mut cuts).then_some(cuts)
}

/// How many answers [`same_employer`] remembers per thread: a few employers recur across
/// thousands of tips. When full, the memory is emptied and refills.
const REMEMBERED: usize = 16_384;

thread_local! {
    static MEMO: std::cell::RefCell<std::collections::HashMap<(String, String), Option<Match>>> =
        std::cell::RefCell::new(std::collections::HashMap::new());
}

/// Whether employers `a` and `b` may be one company, and why (remembered per thread).
pub fn same_employer(a: &str, b: &str) -> Option<Match> {
    let key = (a.to_owned(), b.to_owned());
    if let Some(hit) = MEMO.with(|m| m.borrow().get(&key).cloned()) {
        return hit;
    }
    let answer = same_employer_uncached(a, b);
    MEMO.with(|m| {
        let mut m = m.borrow_mut();
        if m.len() >= REMEMBERED {
            m.clear();
        }
        m.insert(key, answer.clone());
    });
    answer
}

fn same_employer_uncached(a: &str, b: &str) -> Option<Match> {
    let (ca, cb) = (core_name(a), core_name(b));
    if ca.is_empty() || cb.is_empty() {
        return None;
    }
    if let Some(m) = compare(&ca, &cb).filter(|m| m.score >= 0.85) {
        return Some(m);
    }
    let (sa, sb) = (without_kinds(&ca), without_kinds(&cb));
    if sa.is_some() || sb.is_some() {
        let (ka, ta) = sa.unwrap_or_else(|| (ca.clone(), Vec::new()));
        let (kb, tb) = sb.unwrap_or_else(|| (cb.clone(), Vec::new()));
        if let Some(m) = compare(&ka, &kb).filter(|m| m.score >= 0.85) {
            let meaning = |t: &[&str]| {
                t.iter()
                    .map(|w| KINDS.iter().find(|(k, _)| k == w).map_or(*w, |(_, e)| *e))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            return Some(Match {
                score: KIND_SET_ASIDE,
                reason: format!(
                    "{ka} ~ {kb} once the kind of business is set aside ({}): {}",
                    [&ta, &tb]
                        .iter()
                        .filter(|t| !t.is_empty())
                        .map(|t| format!("{} = {}", t.join(" "), meaning(t)))
                        .collect::<Vec<_>>()
                        .join("; "),
                    m.reason
                ),
            });
        }
    }
    let (wa, wb) = (word_keys(&ca), word_keys(&cb));
    for (compact, whole, short_name, long_name) in [(&wa, &wb, &ca, &cb), (&wb, &wa, &cb, &ca)] {
        if compact.len() != 1 {
            continue;
        }
        if let Some(cuts) = contracts(&compact[0], whole) {
            let pieces: Vec<String> = long_name
                .split_whitespace()
                .zip(&cuts)
                .map(|(w, &n)| {
                    if n >= keys(w).first().map_or(0, |k| k.key.chars().count()) {
                        w.to_string()
                    } else {
                        format!("{}·…", w.chars().take(n).collect::<String>())
                    }
                })
                .collect();
            return Some(Match {
                score: CONTRACTED,
                reason: format!(
                    "{short_name} reads as a contraction of {long_name} ({})",
                    pieces.join(" + ")
                ),
            });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_russian_contracted_name_matches_its_spelt_out_latin_form() {
        let m = same_employer("ООО «Приморстрой»", "Primorsky Stroy LLC").expect("linked");
        assert!(m.score >= 0.85, "{m:?}");
        assert!(m.reason.contains("Приморстрой"), "{}", m.reason);
        assert!(m.reason.contains("Primorsky Stroy"), "{}", m.reason);
    }

    #[test]
    fn legal_forms_alone_do_not_make_two_companies_one() {
        assert!(same_employer("ООО «Восток»", "ООО «Заря»").is_none());
        assert!(same_employer("Dalstroy LLC", "Primorsky Stroy LLC").is_none());
        assert!(same_employer("LLC", "LLC").is_none());
        assert_eq!(core_name("동방건설주식회사"), "동방건설");
        assert_eq!(core_name("滨海建筑有限公司"), "滨海建筑");
    }

    #[test]
    fn one_name_in_two_scripts_still_matches_through_compare() {
        assert!(same_employer("Дальспецстрой", "Dalspetsstroy").is_some());
        assert!(same_employer("Primorsky Stroy", "Primorsky Stroy Ltd.").is_some());
    }

    #[test]
    fn a_translated_kind_of_business_is_set_aside_and_the_transcribed_name_compared() {
        let m = same_employer("동방건설", "Dongbang Construction JV").expect("linked");
        assert!(m.reason.contains("construction"), "{}", m.reason);
        assert!(same_employer("백두무역", "Пэкту Торг").is_some());
        assert!(same_employer("Paektu Trading", "Пэкту Торг").is_some());
        // Both sides must keep a distinctive part, and it must match.
        assert!(same_employer("Construction", "건설").is_none());
        assert!(same_employer("Dongbang Construction", "Moranbong Trading").is_none());
        // One side only named by kind: no link on the kind word.
        assert!(same_employer("Dongbang", "Moranbong Construction").is_none());
    }

    #[test]
    fn short_pieces_do_not_contract() {
        // "Pr" + "St" is no reading of "PrSt Group".
        assert!(contracts("prst", &["primorsky".into(), "stroy".into()]).is_none());
    }
}
