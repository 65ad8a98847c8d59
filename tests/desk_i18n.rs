//! The desk's UI text: English and Korean carry the same keys and the same `{placeholders}`,
//! every key the page and its scripts use exists, and the Korean keeps the project's
//! glossary (`web/i18n/glossary/ko.json`: 합쇼체, none of the forbidden variants).

use std::collections::BTreeSet;

use serde_json::{Map, Value};

const EN: &str = include_str!("../web/desk/i18n/en.json");
const KO: &str = include_str!("../web/desk/i18n/ko.json");
const GLOSSARY: &str = include_str!("../web/i18n/glossary/ko.json");
const SOURCES: &[(&str, &str)] = &[
    ("index.html", include_str!("../web/desk/index.html")),
    ("main.js", include_str!("../web/desk/js/main.js")),
    ("inbox.js", include_str!("../web/desk/js/inbox.js")),
    ("tip.js", include_str!("../web/desk/js/tip.js")),
    ("cases.js", include_str!("../web/desk/js/cases.js")),
    ("charts.js", include_str!("../web/desk/js/charts.js")),
];

fn strings(text: &str) -> Map<String, Value> {
    serde_json::from_str::<Value>(text)
        .expect("valid JSON")
        .as_object()
        .expect("an object")
        .clone()
}

fn placeholders(s: &str) -> BTreeSet<String> {
    s.split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name.to_string()))
        .collect()
}

/// The literal keys after each of `openers` in `source` (up to the closing quote).
fn keys_after(source: &str, openers: &[&str]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for opener in openers {
        let close = opener
            .chars()
            .last()
            .expect("an opener ends with its quote");
        for (at, _) in source.match_indices(opener) {
            // `t('` must be the function `t`, not the end of `get('` or `.closest('`.
            let before = source[..at].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.') {
                continue;
            }
            let piece = &source[at + opener.len()..];
            if let Some((key, _)) = piece.split_once(close) {
                // Template keys (`status_${s}`) are checked through their known values below.
                if !key.contains('$') {
                    out.insert(key.to_string());
                }
            }
        }
    }
    out
}

#[test]
fn english_and_korean_have_the_same_keys_and_placeholders() {
    let en = strings(EN);
    let ko = strings(KO);
    let en_keys: BTreeSet<_> = en.keys().collect();
    let ko_keys: BTreeSet<_> = ko.keys().collect();
    assert_eq!(en_keys, ko_keys, "en.json and ko.json differ in keys");
    for (k, v) in &en {
        let ko_v = ko[k].as_str().expect("strings only");
        assert_eq!(
            placeholders(v.as_str().expect("strings only")),
            placeholders(ko_v),
            "placeholders of {k}"
        );
        assert!(!ko_v.trim().is_empty(), "{k} is empty in Korean");
    }
}

#[test]
fn every_key_the_page_uses_is_translated() {
    let en = strings(EN);
    let mut used = BTreeSet::new();
    for (name, source) in SOURCES {
        let keys = keys_after(
            source,
            &[
                "data-i18n=\"",
                "data-i18n-placeholder=\"",
                "data-i18n-title=\"",
                "data-i18n-aria=\"",
                "t('",
                "i18n: '",
            ],
        );
        assert!(
            !keys.is_empty() || *name == "inbox.js",
            "{name} uses no keys?"
        );
        used.extend(keys);
    }
    for status in [
        "new",
        "in_review",
        "needs_information",
        "corroborated",
        "referred",
        "closed",
        "dismissed",
    ] {
        used.insert(format!("status_{status}"));
    }
    // cases.js: `case_${status}`, `verdict_${verdict}` and the list's column headers.
    for key in [
        "case_suggested",
        "case_confirmed",
        "verdict_agree",
        "verdict_disagree",
        "verdict_partly",
        "verdict_one_tip",
        "verdict_as_written",
        "case_name",
        "case_tips",
        "case_languages",
        "case_dates",
        "case_status",
        "case_reasons",
    ] {
        used.insert(key.to_string());
    }
    let missing: Vec<_> = used.iter().filter(|k| !en.contains_key(*k)).collect();
    assert!(
        missing.is_empty(),
        "keys used but not in en.json: {missing:?}"
    );
}

#[test]
fn the_korean_keeps_the_glossary() {
    let glossary: Value = serde_json::from_str(GLOSSARY).unwrap();
    let ko = strings(KO);
    for term in glossary["terms"].as_array().unwrap() {
        let word = term.get("match").and_then(Value::as_str) == Some("word");
        for bad in term["forbidden"].as_array().unwrap() {
            let bad = bad.as_str().unwrap();
            for (k, v) in &ko {
                let v = v.as_str().unwrap();
                let hit = if word {
                    v.split(|c: char| !c.is_alphanumeric()).any(|w| w == bad)
                } else {
                    v.contains(bad)
                };
                assert!(
                    !hit,
                    "ko.json {k}: {bad:?} is forbidden ({}); use {:?}",
                    term["concept"], term["preferred"]
                );
            }
        }
    }
}
