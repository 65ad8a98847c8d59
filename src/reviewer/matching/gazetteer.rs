//! The places this work concerns, with their names in the seven page languages and the
//! variants that occur (North Koreans write 심양 where South Koreans write 선양; Chinese
//! documents call Vladivostok 海参崴). The data is `places.tsv`, embedded at build time.
//!
//! Must never: resolve a name to a place by a guess a reviewer cannot see — fuzzy hits say
//! so ([`PlaceHit::how`]).

use std::collections::HashMap;
use std::sync::OnceLock;

use super::keys::{close, fold_latin, keys};
use super::MatchingError;

/// The embedded gazetteer.
const PLACES: &str = include_str!("places.tsv");

/// Korean particles and Russian and Polish case endings a place name takes in a sentence,
/// longest first.
#[rustfmt::skip]
const ENDINGS: &[&str] = &[
    "에서는", "에서", "으로", "까지", "부터", "에는", "로", "에", "의", "은", "는", "이", "가", "을", "를", "와", "과", "도",
    "ом", "ой", "ем", "ию", "ии", "е", "у", "а", "ы", "и",
    "iem", "ie", "u", "a", "y", "em",
];

/// Names shorter than this (in letters) are never looked up fuzzily (see [`close`]).
const FUZZY_MIN_LETTERS: usize = 5;

/// What a place is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A city or town.
    City,
    /// A province, krai, oblast or wider region.
    Region,
    /// A country.
    Country,
}

/// One place and all its names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Place {
    /// A stable id ("vladivostok").
    pub id: String,
    /// City, region or country.
    pub kind: Kind,
    /// ISO 3166 alpha-2 code of its country.
    pub country: String,
    /// Its names, English first.
    pub names: Vec<String>,
}

impl Place {
    /// The English name, shown in reasons.
    pub fn name(&self) -> &str {
        &self.names[0]
    }
}

/// How a name was found to be a place.
#[derive(Clone, Debug, PartialEq)]
pub struct PlaceHit<'g> {
    /// The place.
    pub place: &'g Place,
    /// The name as written in the text.
    pub written: String,
    /// "gazetteer" for a listed name, or the fuzzy evidence.
    pub how: String,
}

/// Places and the index of their folded names.
#[derive(Debug)]
pub struct Gazetteer {
    places: Vec<Place>,
    by_name: HashMap<String, usize>,
    /// Skeleton keys of the Latin and Cyrillic names, for fuzzy lookups: (key, place, name).
    fuzzy: Vec<(String, usize, String)>,
}

/// Whether a name is written in Latin (with diacritics) or Cyrillic letters: the names a
/// misspelling can be measured against.
fn spellable(name: &str) -> bool {
    name.chars().all(|c| {
        c.is_ascii()
            || ('\u{400}'..='\u{4FF}').contains(&c)
            || !c.is_alphabetic()
            || "ńśźżąęłóćŏŭ".contains(c)
    })
}

fn fold(name: &str) -> String {
    fold_latin(name)
}

impl Gazetteer {
    /// Reads a gazetteer in the format of `places.tsv`.
    pub fn parse(text: &str) -> Result<Self, MatchingError> {
        let mut places = Vec::new();
        let mut by_name = HashMap::new();
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let bad = |why: &str| MatchingError::Gazetteer {
                line: n + 1,
                problem: why.to_string(),
            };
            let cols: Vec<&str> = line.split('\t').collect();
            let [id, kind, country, names] = cols[..] else {
                return Err(bad(
                    "expected 4 tab-separated columns: id, kind, country, names",
                ));
            };
            let kind = match kind {
                "city" => Kind::City,
                "region" => Kind::Region,
                "country" => Kind::Country,
                _ => return Err(bad("kind must be city, region or country")),
            };
            let names: Vec<String> = names
                .split(';')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect();
            if names.is_empty() {
                return Err(bad("a place needs at least one name"));
            }
            for name in &names {
                // A name listed twice for one place is harmless; for two places it is ambiguous.
                if let Some(&other) = by_name.get(&fold(name)) {
                    if other != places.len() {
                        return Err(bad(&format!(
                            "the name {name:?} is already another place's"
                        )));
                    }
                }
                by_name.insert(fold(name), places.len());
            }
            places.push(Place {
                id: id.to_string(),
                kind,
                country: country.to_string(),
                names,
            });
        }
        let fuzzy = places
            .iter()
            .enumerate()
            .flat_map(|(i, p)| p.names.iter().filter(|n| spellable(n)).map(move |n| (i, n)))
            .flat_map(|(i, n)| keys(n).into_iter().map(move |k| (k.key, i, n.clone())))
            .collect();
        Ok(Self {
            places,
            by_name,
            fuzzy,
        })
    }

    /// The gazetteer built into tipseal.
    pub fn builtin() -> &'static Gazetteer {
        static BUILTIN: OnceLock<Gazetteer> = OnceLock::new();
        // The embedded file is checked by a test; a broken one cannot ship.
        BUILTIN.get_or_init(|| Gazetteer::parse(PLACES).expect("places.tsv parses (tested)"))
    }

    /// Every place.
    pub fn places(&self) -> &[Place] {
        &self.places
    }

    /// The country with this ISO 3166 code ("RU" → Russia), as a place with all its names.
    pub fn country(&self, code: &str) -> Option<&Place> {
        self.places
            .iter()
            .find(|p| p.kind == Kind::Country && p.country.eq_ignore_ascii_case(code.trim()))
    }

    /// The place with this id.
    pub fn by_id(&self, id: &str) -> Option<&Place> {
        self.places.iter().find(|p| p.id == id)
    }

    /// The place a name (a whole field, such as a tip's city) stands for: a listed name, or a
    /// Latin/Cyrillic spelling close to one.
    pub fn lookup(&self, name: &str) -> Option<PlaceHit<'_>> {
        let name = name.trim();
        if let Some(&i) = self.by_name.get(&fold(name)) {
            return Some(PlaceHit {
                place: &self.places[i],
                written: name.to_string(),
                how: "gazetteer".into(),
            });
        }
        if let Some(hit) = self.lookup_inflected(name) {
            return Some(hit);
        }
        if !spellable(name)
            || name.chars().filter(|c| c.is_alphabetic()).count() < FUZZY_MIN_LETTERS
        {
            return None;
        }
        let mine = keys(name);
        let mut best: Option<(f64, usize, &str)> = None;
        for (key, i, alias) in &self.fuzzy {
            for m in &mine {
                let Some(jw) = close(&m.key, key) else {
                    continue;
                };
                if best.is_none_or(|b| jw > b.0) {
                    best = Some((jw, *i, alias));
                }
            }
        }
        best.map(|(jw, i, alias)| PlaceHit {
            place: &self.places[i],
            written: name.to_string(),
            how: format!("spelt like {alias} (similarity {jw:.2})"),
        })
    }

    /// A listed name with a Korean particle (블라디보스토크에서) or a Russian or Polish case
    /// ending (Владивостоке, Gdańsku, Находке) after it.
    fn lookup_inflected(&self, name: &str) -> Option<PlaceHit<'_>> {
        let folded = fold(name);
        for ending in ENDINGS {
            let Some(stem) = folded.strip_suffix(ending) else {
                continue;
            };
            // Two Hangul syllables are a name (심양의); two letters are not.
            let min = if super::romanize::has_hangul(stem) {
                2
            } else {
                3
            };
            if stem.chars().count() < min {
                continue;
            }
            // The ending may replace a final vowel (Находка → Находке, Moskwa → Moskwie).
            let restored = ["", "а", "я", "a"].iter().map(|v| format!("{stem}{v}"));
            for candidate in restored {
                if let Some(&i) = self.by_name.get(&candidate) {
                    return Some(PlaceHit {
                        place: &self.places[i],
                        written: name.to_string(),
                        how: format!(
                            "{} with the ending -{ending}",
                            self.places[i]
                                .names
                                .iter()
                                .find(|n| fold(n) == candidate)
                                .map_or("", |n| n.as_str())
                        ),
                    });
                }
            }
        }
        None
    }

    /// The places named in running text: listed names only (no fuzzy hits in narrative), not
    /// inside a longer word on the left; Hangul, Hanzi and Cyrillic names may carry an ending
    /// (블라디보스토크에서, Владивостоке).
    pub fn find_in_text(&self, text: &str) -> Vec<PlaceHit<'_>> {
        let lower = text.to_lowercase();
        let mut found: Vec<(usize, usize, usize)> = Vec::new();
        for (i, place) in self.places.iter().enumerate() {
            for alias in &place.names {
                let a = alias.to_lowercase();
                if a.chars().count() < 2 {
                    continue;
                }
                let latin = a.chars().any(|c| c.is_ascii_alphabetic());
                // Russian declines place names: Находка → в Находке, Москва → из Москвы.
                let mut forms = vec![a.clone()];
                if let Some(stem) = a.strip_suffix(['а', 'я', 'ь', 'й']) {
                    if stem.chars().count() >= 4 {
                        forms.push(stem.to_string());
                    }
                }
                for (start, m) in forms.iter().flat_map(|f| lower.match_indices(f.as_str())) {
                    let end = start + m.len();
                    let before = lower[..start].chars().next_back();
                    let after = lower[end..].chars().next();
                    let alnum = |c: Option<char>| {
                        c.is_some_and(|c| c.is_alphanumeric() && !super::names::is_han(c))
                    };
                    if alnum(before) && !super::names::is_han(a.chars().next().unwrap_or(' ')) {
                        continue;
                    }
                    if latin && after.is_some_and(|c| c.is_ascii_alphanumeric()) {
                        continue;
                    }
                    found.push((start, end, i));
                }
            }
        }
        found.sort_by_key(|&(s, e, _)| (s, std::cmp::Reverse(e)));
        let mut out: Vec<PlaceHit<'_>> = Vec::new();
        let mut last_end = 0;
        for (s, e, i) in found {
            if s < last_end {
                continue;
            }
            last_end = e;
            out.push(PlaceHit {
                place: &self.places[i],
                written: lower[s..e].to_string(),
                how: "gazetteer".into(),
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(name: &str) -> String {
        Gazetteer::builtin()
            .lookup(name)
            .map(|h| h.place.id.clone())
            .unwrap_or_default()
    }

    #[test]
    fn the_builtin_gazetteer_parses() {
        assert!(Gazetteer::parse(PLACES).unwrap().places().len() >= 53);
    }

    #[test]
    fn every_place_has_a_name_in_every_script_of_the_page_languages() {
        let script = |n: &str, f: fn(char) -> bool| n.chars().any(f);
        for p in Gazetteer::builtin().places() {
            let has = |f: fn(char) -> bool| p.names.iter().any(|n| script(n, f));
            assert!(
                has(|c| c.is_ascii_alphabetic()),
                "{} has no Latin name",
                p.id
            );
            assert!(
                has(|c| ('\u{400}'..='\u{4FF}').contains(&c)),
                "{} has no Cyrillic name",
                p.id
            );
            assert!(
                has(crate::reviewer::matching::romanize::jamo::is_syllable),
                "{} has no Hangul name",
                p.id
            );
            assert!(
                has(crate::reviewer::matching::names::is_han),
                "{} has no Chinese name",
                p.id
            );
            assert!(
                has(|c| ('\u{600}'..='\u{6FF}').contains(&c)),
                "{} has no Arabic name",
                p.id
            );
        }
        let g = Gazetteer::builtin();
        assert_eq!(g.country("ru").map(Place::name), Some("Russia"));
        assert_eq!(g.country("KP").map(|p| p.id.as_str()), Some("north-korea"));
    }

    #[test]
    fn vladivostok_under_all_its_names() {
        for name in [
            "블라디보스토크",
            "블라디보스톡",
            "Владивосток",
            "符拉迪沃斯托克",
            "海参崴",
            "Władywostok",
            "فلاديفوستوك",
            "VLADIVOSTOK",
            "Vladivostock",
        ] {
            assert_eq!(id(name), "vladivostok", "{name}");
        }
    }

    #[test]
    fn north_and_south_spellings_meet() {
        for name in ["심양", "선양", "沈阳", "Shenyang", "Шэньян"] {
            assert_eq!(id(name), "shenyang", "{name}");
        }
        for name in ["단동", "단둥", "丹东", "Даньдун"] {
            assert_eq!(id(name), "dandong", "{name}");
        }
        assert_eq!(id("Gdansk"), "gdansk");
        assert_eq!(id("Гданьск"), "gdansk");
        assert_eq!(id("Хабаровский край"), "khabarovsk-krai");
        assert_eq!(id("Tumen"), "tumen");
        assert_eq!(id("Tynda"), "tynda");
        assert_eq!(id("Springfield"), "");
        assert_eq!(id("Pyeonggang"), "", "평강 is a different town from 평양");
        assert_eq!(id("블라디보스토크에서"), "vladivostok");
        assert_eq!(id("Находке"), "nakhodka");
        assert_eq!(id("Gdańsku"), "gdansk");
        assert_eq!(id("심양의"), "shenyang");
    }

    #[test]
    fn places_are_found_in_running_text_with_their_endings() {
        let g = Gazetteer::builtin();
        let ids = |t: &str| {
            g.find_in_text(t)
                .into_iter()
                .map(|h| h.place.id.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(ids("작년에 블라디보스토크에서 일했다"), ["vladivostok"]);
        assert_eq!(
            ids("Работал во Владивостоке и в Находке"),
            ["vladivostok", "nakhodka"]
        );
        assert_eq!(ids("他们从丹东去了沈阳"), ["dandong", "shenyang"]);
        assert_eq!(ids("the tombs of Gdansk"), ["gdansk"]);
        assert!(ids("Amsterdamned").is_empty());
    }

    #[test]
    fn a_malformed_gazetteer_is_refused_with_its_line() {
        let e = Gazetteer::parse("# c\nx\tcity\tRU")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 2"), "{e}");
        let e = Gazetteer::parse("a\tcity\tRU\tX\nb\tcity\tRU\tx")
            .unwrap_err()
            .to_string();
        assert!(e.contains("already another place"), "{e}");
    }
}
