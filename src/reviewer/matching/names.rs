//! Korean surnames and the forms they take in tips: Hangul (South and North spellings),
//! Hanja/Hanzi, the Latin spellings people actually use, Cyrillic and Arabic.
//!
//! The table is the authority for surnames: 박 is "Park" in passports and "Pak" in MR, and no
//! rule derives one from the other. Romanizers only explain a form in a reason. Must never:
//! claim two different surnames are one because their romanizations look alike (see
//! [`super::keys`] for that weaker kind of evidence).

use std::collections::HashMap;
use std::sync::OnceLock;

use super::keys::fold_latin;
use super::romanize::{romanize, System};

/// One surname and its forms.
#[derive(Debug)]
pub struct Surname {
    /// Hangul spellings; the first is the South Korean one (이), others are the North's (리).
    pub hangul: &'static [&'static str],
    /// Hanja / simplified Hanzi.
    pub hanzi: &'static [&'static str],
    /// Latin spellings in use (passports, MR, RR, DPRK).
    pub latin: &'static [&'static str],
    /// Cyrillic (Kontsevich and the forms in use among Koryo-saram).
    pub cyrillic: &'static [&'static str],
    /// Arabic, as Gulf documents write them.
    pub arabic: &'static [&'static str],
}

macro_rules! s {
    ($h:expr, $z:expr, $l:expr, $c:expr, $a:expr) => {
        Surname {
            hangul: &$h,
            hanzi: &$z,
            latin: &$l,
            cyrillic: &$c,
            arabic: &$a,
        }
    };
}

/// The most common surnames (together well over 80 % of Koreans), most common first.
#[rustfmt::skip]
pub static SURNAMES: &[Surname] = &[
    s!(["김"], ["金"], ["Kim", "Gim"], ["Ким"], ["كيم"]),
    s!(["이", "리"], ["李"], ["Lee", "Yi", "Ri", "Rhee", "I", "Li", "Rie"], ["Ли", "Ри", "И"], ["لي", "ري"]),
    s!(["박"], ["朴"], ["Park", "Pak", "Bak", "Bahk"], ["Пак"], ["بارك", "باك"]),
    s!(["최"], ["崔"], ["Choi", "Choe", "Ch'oe", "Chwe"], ["Цой", "Чхве", "Чой"], ["تشوي", "شوي"]),
    s!(["정"], ["鄭", "郑", "丁"], ["Jung", "Jeong", "Chung", "Chong", "Chŏng", "Jong", "Jŏng", "Joung"], ["Чон", "Чонг", "Тён", "Дён"], ["جونغ", "جونج", "تشونغ"]),
    s!(["강"], ["姜", "康"], ["Kang", "Gang"], ["Кан", "Канг"], ["كانغ", "كانج"]),
    s!(["조"], ["趙", "赵", "曺", "曹"], ["Cho", "Jo", "Joe", "Ch'o"], ["Чо", "Тё", "Дё"], ["تشو", "جو"]),
    s!(["윤"], ["尹"], ["Yoon", "Yun"], ["Юн"], ["يون"]),
    s!(["장"], ["張", "张", "蔣", "蒋"], ["Jang", "Chang"], ["Чан", "Тян", "Дян"], ["جانغ", "تشانغ"]),
    s!(["임", "림"], ["林", "任"], ["Lim", "Im", "Rim", "Yim", "Leem"], ["Лим", "Им", "Рим"], ["ليم", "ريم"]),
    s!(["한"], ["韓", "韩"], ["Han"], ["Хан"], ["هان"]),
    s!(["오"], ["吳", "吴"], ["Oh", "O"], ["О"], ["أوه", "أو"]),
    s!(["서"], ["徐"], ["Seo", "So", "Sŏ", "Suh"], ["Со", "Сё"], ["سو", "سيو"]),
    s!(["신"], ["申", "辛", "愼"], ["Shin", "Sin"], ["Син", "Шин"], ["شين", "سين"]),
    s!(["권"], ["權", "权"], ["Kwon", "Gwon", "Kwŏn"], ["Квон"], ["كوون", "كوان"]),
    s!(["황"], ["黃", "黄"], ["Hwang"], ["Хван"], ["هوانغ", "هوانج"]),
    s!(["안"], ["安"], ["Ahn", "An"], ["Ан"], ["آن", "أن"]),
    s!(["송"], ["宋"], ["Song"], ["Сон", "Сонг"], ["سونغ"]),
    s!(["류", "유"], ["柳", "劉", "刘", "兪", "俞"], ["Ryu", "Yoo", "Yu", "Ryoo", "Rew", "You"], ["Рю", "Ю"], ["ريو", "يو"]),
    s!(["전"], ["全", "田", "錢"], ["Jeon", "Jun", "Chun", "Chŏn", "Chon", "Jon"], ["Чон", "Тён", "Джон"], ["جيون", "تشون"]),
    s!(["홍"], ["洪"], ["Hong"], ["Хон", "Хонг"], ["هونغ"]),
    s!(["고"], ["高"], ["Ko", "Go", "Koh"], ["Ко", "Го"], ["كو"]),
    s!(["문"], ["文"], ["Moon", "Mun"], ["Мун"], ["مون"]),
    s!(["양", "량"], ["梁", "楊", "杨"], ["Yang", "Ryang"], ["Ян", "Рян"], ["يانغ"]),
    s!(["손"], ["孫", "孙"], ["Son", "Sohn"], ["Сон"], ["سون"]),
    s!(["배"], ["裵", "裴"], ["Bae", "Pae"], ["Пэ", "Бэ"], ["باي", "بي"]),
    s!(["백"], ["白"], ["Baek", "Paek", "Paik", "Baik"], ["Пэк", "Бэк"], ["بايك"]),
    s!(["허"], ["許", "许"], ["Heo", "Hŏ", "Ho", "Hur", "Huh"], ["Хо", "Хё"], ["هو"]),
    s!(["남"], ["南"], ["Nam"], ["Нам"], ["نام"]),
    s!(["노", "로"], ["盧", "卢", "魯"], ["Noh", "No", "Roh", "Ro"], ["Но", "Ро"], ["نوه", "روه"]),
    s!(["하"], ["河"], ["Ha"], ["Ха"], ["ها"]),
    s!(["곽"], ["郭"], ["Kwak", "Gwak"], ["Квак"], ["كواك"]),
    s!(["성"], ["成"], ["Sung", "Seong", "Sŏng"], ["Сон", "Сонг"], ["سونغ"]),
    s!(["차"], ["車", "车"], ["Cha", "Ch'a"], ["Ча", "Чха"], ["تشا"]),
    s!(["주"], ["朱", "周"], ["Joo", "Ju", "Chu"], ["Чу", "Чжу"], ["جو"]),
    s!(["우"], ["禹"], ["Woo", "U"], ["У"], ["وو"]),
    s!(["민"], ["閔", "闵"], ["Min"], ["Мин"], ["مين"]),
    s!(["진"], ["陳", "陈", "秦"], ["Jin", "Chin"], ["Чин", "Дзин"], ["جين"]),
    s!(["나", "라"], ["羅", "罗"], ["Na", "Ra", "La"], ["На", "Ра"], ["نا", "را"]),
    s!(["지"], ["池"], ["Ji", "Chi"], ["Чи", "Джи"], ["جي"]),
];

impl Surname {
    /// The surname's main Hangul spelling (김, 이, 박 …): its name in reasons.
    pub fn hangul_name(&self) -> &'static str {
        self.hangul[0]
    }

    /// Every form, in every script.
    pub fn forms(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.hangul
            .iter()
            .chain(self.hanzi)
            .chain(self.latin)
            .chain(self.cyrillic)
            .chain(self.arabic)
            .copied()
    }

    /// Says how `form` is this surname, for a reason: the romanization systems that give it,
    /// or where else it comes from.
    pub fn explain(&self, form: &str) -> String {
        let folded = fold_latin(form);
        if self.hangul.contains(&form) {
            return form.to_string();
        }
        let mut systems: Vec<&str> = Vec::new();
        for h in self.hangul {
            for system in System::ALL {
                let r = romanize(h, system);
                let same = r == form
                    || (system != System::Kontsevich
                        && fold_latin(&r) == folded
                        && r.is_ascii() == form.is_ascii());
                // "Kim" is MR with or without marks: say McCune–Reischauer once.
                let said = systems.contains(&system.name())
                    || (system == System::McCuneReischauerPlain
                        && systems.contains(&System::McCuneReischauer.name()));
                if same && !said {
                    systems.push(system.name());
                }
            }
        }
        let how = if !systems.is_empty() {
            systems.join(", ")
        } else if self.hanzi.contains(&form) {
            "Chinese character".to_string()
        } else if self.arabic.contains(&form) {
            "Arabic spelling".to_string()
        } else {
            "spelling in use".to_string()
        };
        format!("{} → {form} ({how})", self.hangul_name())
    }
}

/// The surname `word` is a form of, if any. Latin forms match without regard to case, breves
/// or apostrophes ("CH'OE", "Choe"); one-letter Latin forms ("I", "O", "U") only as
/// written, capitalised, since they are also ordinary words.
pub fn surname(word: &str) -> Option<&'static Surname> {
    let word = word.trim();
    if word.is_empty() {
        return None;
    }
    let SurnameIndex { exact, folded } = index();
    // The first surname in table order that has the form wins (Сон is 송 before 손).
    let by_exact = exact.get(word).copied();
    let by_folded = folded.get(&fold_latin(word)).copied();
    let i = match (by_exact, by_folded) {
        (Some(a), Some(b)) => a.min(b),
        (a, b) => a.or(b)?,
    };
    SURNAMES.get(i)
}

/// Every form → the first surname that has it; and every Latin form of two letters or more,
/// folded (no case, breves or apostrophes) → the first surname that has it.
struct SurnameIndex {
    exact: HashMap<&'static str, usize>,
    folded: HashMap<String, usize>,
}

fn index() -> &'static SurnameIndex {
    static INDEX: OnceLock<SurnameIndex> = OnceLock::new();
    INDEX.get_or_init(|| {
        let (mut exact, mut folded) = (HashMap::new(), HashMap::new());
        for (i, s) in SURNAMES.iter().enumerate() {
            for f in s.forms() {
                exact.entry(f).or_insert(i);
                let is_latin = f
                    .chars()
                    .all(|c| c.is_alphabetic() && (c.is_ascii() || "ŏŭ".contains(c)) || c == '\'');
                if is_latin && f.chars().count() > 1 {
                    folded.entry(fold_latin(f)).or_insert(i);
                }
            }
        }
        SurnameIndex { exact, folded }
    })
}

/// The Russian case endings a surname takes in a sentence (Кима, Киму, Кимом, Киме); a word
/// is read as a surname in another case only when what is left is a known surname.
const RUSSIAN_ENDINGS: &[&str] = &["ом", "ем", "ой", "а", "у", "е", "ы", "я", "ю"];

/// Like [`surname`] for a word in running text: also reads Russian case forms ("бригадиром
/// Кимом" → Ким), and never takes a one-letter Latin or Cyrillic word ("I", "О", "и") for
/// a surname.
pub fn surname_in_sentence(word: &str) -> Option<(&'static Surname, String)> {
    let one_letter = word.chars().count() == 1 && !super::romanize::has_hangul(word);
    if one_letter && word.chars().all(|c| c.is_alphabetic() && !is_han(c)) {
        return None;
    }
    if let Some(s) = surname(word) {
        return Some((s, word.to_string()));
    }
    let is_cyrillic = word.chars().all(|c| ('\u{400}'..='\u{4FF}').contains(&c));
    if !is_cyrillic {
        return None;
    }
    RUSSIAN_ENDINGS.iter().find_map(|end| {
        let stem = word.strip_suffix(end)?;
        (stem.chars().count() >= 2).then_some(())?;
        surname(stem).map(|s| (s, stem.to_string()))
    })
}

/// Whether `c` is a CJK ideograph (Hanzi/Hanja).
pub fn is_han(c: char) -> bool {
    matches!(c as u32, 0x4E00..=0x9FFF | 0x3400..=0x4DBF | 0xF900..=0xFAFF | 0x20000..=0x2A6DF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_finds_its_surname() {
        for (form, hangul) in [
            ("Kim", "김"),
            ("Ким", "김"),
            ("金", "김"),
            ("Park", "박"),
            ("Пак", "박"),
            ("Bak", "박"),
            ("Rhee", "이"),
            ("리", "이"),
            ("Ли", "이"),
            ("Цой", "최"),
            ("Чхве", "최"),
            ("Ch'oe", "최"),
            ("CHOE", "최"),
            ("Chŏng", "정"),
            ("Чон", "정"),
            ("Yoon", "윤"),
            ("Юн", "윤"),
            ("림", "임"),
            ("Rim", "임"),
            ("Ryu", "류"),
            ("Yoo", "류"),
            ("Ю", "류"),
            ("تشوي", "최"),
            ("李", "이"),
        ] {
            let s = surname(form).unwrap_or_else(|| panic!("{form} not found"));
            assert_eq!(s.hangul_name(), hangul, "{form}");
        }
        assert!(surname("Vladivostok").is_none());
        assert!(
            surname("i").is_none(),
            "a lower-case one-letter word is not 이"
        );
    }

    #[test]
    fn russian_case_forms_are_read_back_to_the_surname() {
        let (s, stem) = surname_in_sentence("Кимом").unwrap();
        assert_eq!((s.hangul_name(), stem.as_str()), ("김", "Ким"));
        assert_eq!(surname_in_sentence("Пака").unwrap().0.hangul_name(), "박");
        assert!(surname_in_sentence("Москва").is_none());
        assert!(
            surname_in_sentence("I").is_none(),
            "the English pronoun is not 이"
        );
        assert_eq!(
            surname("I").unwrap().hangul_name(),
            "이",
            "in a name field it is"
        );
    }

    #[test]
    fn reasons_name_the_system_that_gives_a_form() {
        let kim = surname("김").unwrap();
        assert_eq!(
            kim.explain("Kim"),
            "김 → Kim (McCune–Reischauer, DPRK 1992)"
        );
        assert_eq!(kim.explain("Ким"), "김 → Ким (Kontsevich)");
        assert_eq!(kim.explain("Gim"), "김 → Gim (Revised Romanization)");
        assert_eq!(
            surname("박").unwrap().explain("Park"),
            "박 → Park (spelling in use)"
        );
    }
}
