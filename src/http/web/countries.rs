//! Country names for the form's country and nationality lists
//! (`web/i18n/countries/{lang}.json`, embedded; provenance in `PROVENANCE.md` there).
//!
//! The witness chooses a name in their own language; the form sends the ISO 3166-1
//! alpha-2 code the tip schema expects. Must never: change a code's meaning, or offer a
//! code the tip schema would refuse.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use super::i18n::{self, Language};

/// One country: its two-letter code and its name in one language.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub(super) struct Country {
    /// ISO 3166-1 alpha-2, upper case.
    pub code: String,
    /// Its name in the page's language.
    pub name: String,
}

macro_rules! countries {
    ($($code:literal),*) => {
        [$(($code, include_str!(concat!("../../../web/i18n/countries/", $code, ".json")))),*]
    };
}

const SOURCES: [(&str, &str); 7] = countries!("ko", "ru", "zh", "en", "pl", "nl", "ar");

/// The countries in `lang`, sorted as that language sorts; English if its file is
/// missing or broken (logged), so the form always has a list.
pub(super) fn for_language(lang: &Language) -> &'static [Country] {
    static ALL: OnceLock<HashMap<&'static str, Vec<Country>>> = OnceLock::new();
    let all = ALL.get_or_init(|| {
        SOURCES
            .iter()
            .map(|(code, json)| {
                let list = serde_json::from_str(json).unwrap_or_else(|_| {
                    tracing::error!(lang = code, "a country list is not valid JSON");
                    Vec::new()
                });
                (*code, list)
            })
            .collect()
    });
    match all.get(lang.code) {
        Some(list) if !list.is_empty() => list,
        _ => all
            .get(i18n::english().code)
            .map(Vec::as_slice)
            .unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::tip::CountryCode;

    #[test]
    fn every_language_names_the_same_codes_and_the_schema_accepts_each() {
        let en: Vec<&str> = for_language(i18n::english())
            .iter()
            .map(|c| c.code.as_str())
            .collect();
        assert!(en.len() >= 249, "ISO 3166-1 has 249 codes");
        for code in &en {
            CountryCode::parse(code.to_string()).expect(code);
        }
        for (lang, _) in SOURCES {
            let l = i18n::find(lang).unwrap();
            let mut codes: Vec<&str> = for_language(l).iter().map(|c| c.code.as_str()).collect();
            let mut want = en.clone();
            codes.sort_unstable();
            want.sort_unstable();
            assert_eq!(codes, want, "{lang}");
            assert!(for_language(l).iter().all(|c| !c.name.trim().is_empty()));
        }
    }

    #[test]
    fn korean_names_north_korea_as_its_workers_do() {
        let ko = for_language(i18n::find("ko").unwrap());
        let kp = ko.iter().find(|c| c.code == "KP").unwrap();
        assert!(kp.name.starts_with("조선"), "{}", kp.name);
        assert!(ko.iter().all(|c| !c.name.contains("북한")));
    }
}
