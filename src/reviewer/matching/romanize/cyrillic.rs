//! Pronounced syllables written in Cyrillic by Kontsevich's system (the Russian standard
//! for Korean names, as in Russian documents: 김 Ким, 최 Чхве, 평양 Пхёнъян).
//!
//! Source: L. R. Kontsevich's tables as summarised in the Russian Wikipedia article
//! «Система Концевича». Must never: decide a sound change (that is [`super::sound`]'s job).

use super::jamo::{C, V};
use super::sound::{Coda, Sound};

fn vowel(v: V, after_consonant: bool) -> &'static str {
    match v {
        V::A => "а",
        V::Ae => "э",
        V::Ya => "я",
        V::Yae => "йя",
        V::Eo | V::O => "о",
        V::E if after_consonant => "е",
        V::E => "э",
        V::Yeo | V::Yo => "ё",
        V::Ye if after_consonant => "е",
        V::Ye => "йе",
        V::Wa => "ва",
        V::Wae => "вэ",
        V::Oe | V::We => "ве",
        V::U => "у",
        V::Wo => "во",
        V::Wi => "ви",
        V::Yu => "ю",
        V::Eu => "ы",
        V::Ui => "ый",
        V::I => "и",
    }
}

fn initial(c: C, prev: Option<&Sound>) -> &'static str {
    let voiced = matches!(prev, Some(p) if !matches!(p.coda, Some(Coda::K | Coda::T | Coda::P)));
    let after_l = matches!(prev, Some(p) if p.coda == Some(Coda::L));
    let pick =
        |plain: &'static str, voiced_form: &'static str| if voiced { voiced_form } else { plain };
    match c {
        C::G => pick("к", "г"),
        C::Kk => "кк",
        C::N => "н",
        C::D => pick("т", "д"),
        C::Tt => "тт",
        C::R if after_l => "л",
        C::R => "р",
        C::M => "м",
        C::B => pick("п", "б"),
        C::Pp => "пп",
        C::S => "с",
        C::Ss => "сс",
        C::Ng => "н",
        C::J => pick("ч", "дж"),
        C::Jj => "чч",
        C::Ch => "чх",
        C::K => "кх",
        C::T => "тх",
        C::P => "пх",
        C::H => "х",
    }
}

/// Spells one pronounced word.
pub fn spell(word: &[Sound]) -> String {
    let mut out = String::new();
    for (i, s) in word.iter().enumerate() {
        let prev = i.checked_sub(1).and_then(|p| word.get(p));
        if let Some(c) = s.initial {
            out.push_str(initial(c, prev));
        }
        out.push_str(vowel(s.vowel, s.initial.is_some()));
        let next = word.get(i + 1);
        match s.coda {
            None => {}
            Some(Coda::K) => out.push('к'),
            Some(Coda::N) => out.push('н'),
            Some(Coda::T) => out.push('т'),
            Some(Coda::M) => out.push('м'),
            Some(Coda::P) => out.push('п'),
            // ㄹ before ㄹ is the first л of лл; elsewhere ль.
            Some(Coda::L) if next.and_then(|n| n.initial) == Some(C::R) => out.push('л'),
            Some(Coda::L) => out.push_str("ль"),
            // ㅇ before a vowel: нъ, so that 평양 is Пхёнъян, not Пхёнян.
            Some(Coda::Ng) if next.is_some_and(|n| n.initial.is_none()) => out.push_str("нъ"),
            Some(Coda::Ng) => out.push('н'),
        }
    }
    out
}
