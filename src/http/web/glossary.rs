//! The per-language glossaries (`web/i18n/glossary/{lang}.json`, described in the
//! `README.md` there), checked against every string of the language and its country
//! names: each concept in one term, one register, none of the forbidden variants.
//!
//! Test only: the glossaries shape what translators write, never what the server sends.

use serde::Deserialize;
use serde_json::{Map, Value};

use super::i18n::LANGUAGES;

/// How a term is looked for in a string.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum Match {
    /// Anywhere, ignoring case.
    #[default]
    Text,
    /// As a whole word, ignoring case.
    Word,
    /// As a whole word, case as written.
    WordCase,
}

#[derive(Debug, Deserialize)]
struct Term {
    concept: String,
    preferred: String,
    keys: Vec<String>,
    forbidden: Vec<String>,
    #[serde(default, rename = "match")]
    how: Match,
}

#[derive(Debug, Deserialize)]
struct Glossary {
    register: String,
    terms: Vec<Term>,
}

macro_rules! glossary {
    ($code:literal) => {
        (
            $code,
            include_str!(concat!("../../../web/i18n/glossary/", $code, ".json")),
            include_str!(concat!("../../../web/i18n/", $code, ".json")),
            include_str!(concat!("../../../web/i18n/countries/", $code, ".json")),
        )
    };
}

/// (language, glossary, strings, country names) for every page language.
const FILES: [(&str, &str, &str, &str); 7] = [
    glossary!("ko"),
    glossary!("ru"),
    glossary!("zh"),
    glossary!("en"),
    glossary!("pl"),
    glossary!("nl"),
    glossary!("ar"),
];

/// Text as compared: Arabic vowel marks and tatweel dropped (so `يُشفَّر` is `يشفر`),
/// lower-cased unless the match is case-sensitive.
fn fold(s: &str, how: Match) -> String {
    let bare: String = s
        .chars()
        .filter(|c| !matches!(c, '\u{064B}'..='\u{065F}' | '\u{0670}' | '\u{0640}'))
        .collect();
    if how == Match::WordCase {
        bare
    } else {
        bare.to_lowercase()
    }
}

/// Whether `hay` holds `needle` as `how` says.
fn holds(hay: &str, needle: &str, how: Match) -> bool {
    let (hay, needle) = (fold(hay, how), fold(needle, how));
    if needle.is_empty() {
        return true;
    }
    if how == Match::Text {
        return hay.contains(&needle);
    }
    let is_word = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
    hay.match_indices(&needle).any(|(at, _)| {
        !is_word(hay[..at].chars().next_back()) && !is_word(hay[at + needle.len()..].chars().next())
    })
}

/// Every way the language's strings and country names break its glossary.
fn violations(
    lang: &str,
    glossary: &Glossary,
    strings: &Map<String, Value>,
    countries: &str,
) -> Vec<String> {
    let mut out = Vec::new();
    let country_names: Vec<String> = serde_json::from_str::<Vec<Map<String, Value>>>(countries)
        .unwrap_or_default()
        .iter()
        .filter_map(|c| c.get("name").and_then(Value::as_str).map(str::to_owned))
        .collect();
    let texts = strings
        .iter()
        .filter_map(|(k, v)| v.as_str().map(|v| (k.as_str(), v)))
        .chain(country_names.iter().map(|n| ("(country list)", n.as_str())));
    for (key, text) in texts {
        for term in &glossary.terms {
            for bad in &term.forbidden {
                if holds(text, bad, term.how) {
                    out.push(format!(
                        "{lang}.{key}: uses «{bad}»; the glossary's term for {} is «{}»",
                        term.concept, term.preferred
                    ));
                }
            }
        }
    }
    for term in &glossary.terms {
        for key in &term.keys {
            match strings.get(key).and_then(Value::as_str) {
                Some(text) if holds(text, &term.preferred, term.how) => {}
                Some(_) => out.push(format!(
                    "{lang}.{key}: says {} without the glossary's «{}»",
                    term.concept, term.preferred
                )),
                None => out.push(format!("{lang}.{key}: named by the glossary but missing")),
            }
        }
        if term.keys.is_empty() && !term.preferred.is_empty() {
            let used = strings
                .values()
                .filter_map(Value::as_str)
                .chain(country_names.iter().map(String::as_str))
                .any(|t| holds(t, &term.preferred, term.how));
            if !used {
                out.push(format!(
                    "{lang}: «{}» ({}) is used nowhere",
                    term.preferred, term.concept
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(lang: &str, glossary: &str, strings: &str) -> (Glossary, Map<String, Value>) {
        let g: Glossary = serde_json::from_str(glossary)
            .unwrap_or_else(|e| panic!("web/i18n/glossary/{lang}.json: {e}"));
        assert!(
            !g.register.trim().is_empty(),
            "{lang}: the glossary names its register"
        );
        let s =
            serde_json::from_str(strings).unwrap_or_else(|e| panic!("web/i18n/{lang}.json: {e}"));
        (g, s)
    }

    #[test]
    fn every_language_has_a_glossary_and_every_string_follows_it() {
        assert_eq!(FILES.len(), LANGUAGES.len());
        let mut all = Vec::new();
        for (lang, glossary, strings, countries) in FILES {
            assert!(LANGUAGES.iter().any(|l| l.code == lang));
            let (g, s) = parse(lang, glossary, strings);
            assert!(
                g.terms.len() >= 5,
                "{lang}: a glossary of at least five concepts"
            );
            all.extend(violations(lang, &g, &s, countries));
        }
        assert!(all.is_empty(), "glossary violations:\n{}", all.join("\n"));
    }

    #[test]
    fn every_language_file_has_every_english_key() {
        let en: Map<String, Value> = serde_json::from_str(FILES[3].2).unwrap();
        for (lang, _, strings, _) in FILES {
            let s: Map<String, Value> = serde_json::from_str(strings).unwrap();
            let missing: Vec<&String> = en.keys().filter(|k| !s.contains_key(*k)).collect();
            assert!(missing.is_empty(), "web/i18n/{lang}.json lacks {missing:?}");
            let extra: Vec<&String> = s.keys().filter(|k| !en.contains_key(*k)).collect();
            assert!(
                extra.is_empty(),
                "web/i18n/{lang}.json has keys English lacks: {extra:?}"
            );
        }
    }

    #[test]
    fn the_check_catches_a_forbidden_variant_and_a_missing_preferred_term() {
        let g: Glossary = serde_json::from_str(
            r#"{"register": "test", "terms": [
                {"concept": "encrypt", "preferred": "lock", "keys": ["submit"], "forbidden": ["encrypt"]},
                {"concept": "you", "preferred": "je", "keys": [], "forbidden": ["u"], "match": "word"}
            ]}"#,
        )
        .unwrap();
        let good: Map<String, Value> =
            serde_json::from_str(r#"{"submit": "Lock and send", "x": "je bus, uur"}"#).unwrap();
        assert!(violations("xx", &g, &good, "[]").is_empty());
        let bad: Map<String, Value> =
            serde_json::from_str(r#"{"submit": "Encrypt and send", "x": "u"}"#).unwrap();
        let v = violations("xx", &g, &bad, "[]");
        assert_eq!(v.len(), 4, "{v:?}");
    }

    #[test]
    fn arabic_vowel_marks_do_not_hide_a_word() {
        assert!(holds("يُشفَّر بلاغك", "يشفر", Match::Word));
        assert!(!holds("مكتب", "اكتب", Match::Word));
        assert!(holds("Twój", "Twój", Match::WordCase));
        assert!(!holds("Twój", "twój", Match::WordCase));
    }
}
