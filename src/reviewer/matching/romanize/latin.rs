//! Pronounced syllables written in the Latin alphabet: Revised Romanization, McCune–Reischauer
//! and the DPRK's 1992 system.
//!
//! Must never: decide a sound change (that is [`super::sound`]'s job); this only spells.

use super::jamo::{C, V};
use super::sound::{Coda, Sound};

/// The Latin systems.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Latin {
    /// South Korea's Revised Romanization (2000).
    Rr,
    /// McCune–Reischauer (1939) with breves and apostrophes.
    Mr,
    /// The DPRK's system (1992, rev. 2002).
    Dprk,
}

/// Whether a syllable's initial follows a voiced sound inside the word (MR and DPRK write
/// ㄱ ㄷ ㅂ ㅈ voiced there).
fn voiced_context(prev: Option<&Sound>) -> bool {
    matches!(prev, Some(p) if !matches!(p.coda, Some(Coda::K | Coda::T | Coda::P)))
}

fn vowel(v: V, system: Latin) -> &'static str {
    let rr = system == Latin::Rr;
    match v {
        V::A => "a",
        V::Ae => "ae",
        V::Ya => "ya",
        V::Yae => "yae",
        V::Eo if rr => "eo",
        V::Eo => "ŏ",
        V::E => "e",
        V::Yeo if rr => "yeo",
        V::Yeo => "yŏ",
        V::Ye => "ye",
        V::O => "o",
        V::Wa => "wa",
        V::Wae => "wae",
        V::Oe => "oe",
        V::Yo => "yo",
        V::U => "u",
        V::Wo if rr => "wo",
        V::Wo => "wŏ",
        V::We => "we",
        V::Wi => "wi",
        V::Yu => "yu",
        V::Eu if rr => "eu",
        V::Eu => "ŭ",
        V::Ui if rr => "ui",
        V::Ui => "ŭi",
        V::I => "i",
    }
}

fn initial(c: C, s: &Sound, prev: Option<&Sound>, system: Latin) -> &'static str {
    let voiced = voiced_context(prev);
    let after_l = matches!(prev, Some(p) if p.coda == Some(Coda::L));
    let pick = |plain: &'static str, voiced_form: &'static str| {
        if voiced {
            voiced_form
        } else {
            plain
        }
    };
    match (system, c) {
        (_, C::N) => "n",
        (_, C::M) => "m",
        (_, C::H) => "h",
        (_, C::Kk) => "kk",
        (_, C::Tt) => "tt",
        (_, C::Pp) => "pp",
        (_, C::Ss) => "ss",
        (_, C::Ng) => "ng",
        (Latin::Dprk, C::R) => "r",
        (_, C::R) if after_l => "l",
        (_, C::R) => "r",
        (Latin::Rr, C::G) => "g",
        (Latin::Rr, C::D) => "d",
        (Latin::Rr, C::B) => "b",
        (Latin::Rr, C::J) => "j",
        (Latin::Rr, C::Jj) => "jj",
        (Latin::Rr, C::Ch) => "ch",
        (Latin::Rr, C::K) => "k",
        (Latin::Rr, C::T) => "t",
        (Latin::Rr, C::P) => "p",
        (Latin::Rr, C::S) => "s",
        (_, C::G) => pick("k", "g"),
        (_, C::D) => pick("t", "d"),
        (_, C::B) => pick("p", "b"),
        (Latin::Mr, C::S) if matches!(s.vowel, V::I | V::Wi) => "sh",
        (_, C::S) => "s",
        (Latin::Mr, C::J) => pick("ch", "j"),
        (Latin::Mr, C::Jj) => "tch",
        (Latin::Mr, C::Ch) => "ch'",
        (Latin::Mr, C::K) => "k'",
        (Latin::Mr, C::T) => "t'",
        (Latin::Mr, C::P) => "p'",
        (_, C::J) => "j",
        (_, C::Jj) => "jj",
        (_, C::Ch) => "ch",
        (_, C::K) => "kh",
        (_, C::T) => "th",
        (_, C::P) => "ph",
    }
}

fn coda(c: Coda) -> &'static str {
    match c {
        Coda::K => "k",
        Coda::N => "n",
        Coda::T => "t",
        Coda::L => "l",
        Coda::M => "m",
        Coda::P => "p",
        Coda::Ng => "ng",
    }
}

/// Spells one pronounced word.
pub fn spell(word: &[Sound], system: Latin) -> String {
    let mut out = String::new();
    for (i, s) in word.iter().enumerate() {
        let prev = i.checked_sub(1).and_then(|p| word.get(p));
        if let Some(c) = s.initial {
            let letters = initial(c, s, prev, system);
            // MR marks n + g apart from ng: 한글 Han'gŭl.
            if system == Latin::Mr && letters == "g" && prev.and_then(|p| p.coda) == Some(Coda::N) {
                out.push('\'');
            }
            out.push_str(letters);
        }
        out.push_str(vowel(s.vowel, system));
        if let Some(c) = s.coda {
            out.push_str(coda(c));
        }
    }
    out
}
