//! The page's languages and their strings (`web/i18n/{lang}.json`, embedded).
//!
//! Each language's strings are merged over English, so a key a translator has not done
//! yet shows in English rather than as a blank.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde_json::{Map, Value};

/// One language of the page.
pub(super) struct Language {
    /// The URL segment and `lang` attribute.
    pub code: &'static str,
    /// Its own name, if its strings do not give one (`lang_name`).
    native: &'static str,
    /// Written right to left.
    pub rtl: bool,
    json: &'static str,
}

impl Language {
    /// `ltr` or `rtl`, for the `dir` attribute.
    pub fn dir(&self) -> &'static str {
        if self.rtl {
            "rtl"
        } else {
            "ltr"
        }
    }

    /// The name shown in the language switch.
    pub fn name(&self) -> String {
        strings(self)
            .get("lang_name")
            .and_then(Value::as_str)
            .unwrap_or(self.native)
            .to_owned()
    }
}

macro_rules! language {
    ($code:literal, $native:literal, $rtl:literal) => {
        Language {
            code: $code,
            native: $native,
            rtl: $rtl,
            json: include_str!(concat!("../../../web/i18n/", $code, ".json")),
        }
    };
}

/// The languages, in the order of the switch.
pub(super) const LANGUAGES: [Language; 7] = [
    language!("ko", "조선어", false),
    language!("ru", "Русский", false),
    language!("zh", "中文", false),
    language!("en", "English", false),
    language!("pl", "Polski", false),
    language!("nl", "Nederlands", false),
    language!("ar", "العربية", true),
];

/// The language served at `/`.
pub(super) const DEFAULT: &str = "en";

/// The key and English fallback of the message for a photo whose metadata cannot be
/// removed (it does not parse whole), on the tip form and the follow-up page.
pub(super) const METADATA_UNPARSED: (&str, &str) = (
    "err_metadata_unparsed",
    "A photo looks damaged or cut short, so we could not remove its hidden information \
     (such as where it was taken). Nothing was sent. Remove that photo, or save it again \
     from your gallery and attach it again.",
);

/// The language with this URL code.
pub(super) fn find(code: &str) -> Option<&'static Language> {
    LANGUAGES.iter().find(|l| l.code == code)
}

/// English, which always exists.
pub(super) fn english() -> &'static Language {
    find(DEFAULT).unwrap_or(&LANGUAGES[3])
}

/// The language's strings merged over English.
pub(super) fn strings(lang: &Language) -> &'static Map<String, Value> {
    static ALL: OnceLock<HashMap<&'static str, Map<String, Value>>> = OnceLock::new();
    static EMPTY: OnceLock<Map<String, Value>> = OnceLock::new();
    let all = ALL.get_or_init(|| {
        let en = parse(english());
        LANGUAGES
            .iter()
            .map(|l| {
                let mut merged = en.clone();
                merged.extend(parse(l));
                (l.code, merged)
            })
            .collect()
    });
    all.get(lang.code)
        .unwrap_or_else(|| EMPTY.get_or_init(Map::new))
}

/// A language file's string values; a broken file counts as empty (logged), so the
/// page falls back to English instead of failing.
fn parse(lang: &Language) -> Map<String, Value> {
    match serde_json::from_str::<Map<String, Value>>(lang.json) {
        Ok(map) => map.into_iter().filter(|(_, v)| v.is_string()).collect(),
        Err(_) => {
            tracing::error!(lang = lang.code, "a language file is not a JSON object");
            Map::new()
        }
    }
}

/// One string, or `fallback` when the language files lack it.
pub(super) fn text(lang: &Language, key: &str, fallback: &'static str) -> String {
    strings(lang)
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or(fallback)
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_file_is_a_flat_object_of_strings() {
        for l in &LANGUAGES {
            let map: Map<String, Value> = serde_json::from_str(l.json)
                .unwrap_or_else(|e| panic!("web/i18n/{}.json: {e}", l.code));
            assert!(map.values().all(Value::is_string), "{}", l.code);
        }
    }

    #[test]
    fn a_missing_key_falls_back_to_english() {
        let ko = find("ko").unwrap();
        let en = strings(english());
        for key in en.keys() {
            assert!(strings(ko).contains_key(key), "{key}");
        }
        assert_eq!(find("ar").unwrap().dir(), "rtl");
        assert!(find("xx").is_none());
    }
}
