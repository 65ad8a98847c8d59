//! The sound changes between syllables that every romanization here writes down.
//!
//! Implemented (Standard Korean Pronunciation rules as RR, MR and Kontsevich reflect them):
//! - **neutralisation** of finals before a consonant or at the end of a word
//!   (ㄱㄲㅋ → k, ㄷㅅㅆㅈㅊㅌㅎ → t, ㅂㅍ → p; one of two final consonants is kept);
//! - **liaison** (연음): a final moves to a following silent ㅇ (한국어 → 한구거), the second
//!   of two finals (읽어 → 일거), ㅎ is dropped (좋아 → 조아), ㅇ stays;
//! - **palatalisation**: ㄷ/ㅌ moved before 이 become ㅈ/ㅊ (같이 → 가치);
//! - **nasalisation**: k/t/p before ㄴ/ㅁ become ng/n/m (국물 → 궁물);
//! - **ㄹ rules**: ㄴ+ㄹ and ㄹ+ㄴ → ㄹㄹ (신라 → 실라, 설날 → 설랄); ㅁ/ㅇ+ㄹ → ㅁ/ㅇ+ㄴ
//!   (종로 → 종노); k/t/p+ㄹ → ng/n/m+ㄴ (백로 → 뱅노);
//! - **ㅎ aspiration** after a final ㅎ (좋고 → 조코); ㅎ before ㄴ becomes ㄴ.
//!
//! Not implemented: tensing (RR and MR do not write it), aspiration of k/t/p before an
//! initial ㅎ (RR keeps it apart in nouns, as names and places are: 북한 Bukhan), the
//! ㄴ-insertion of compounds, and exceptions that depend on the word (밟다, 의견란).
//! The DPRK system writes fewer ㄹ changes ([`Rules::dprk`]). Must never: panic on any
//! sequence of syllables.

use super::jamo::{Syllable, C, V};

/// A final as pronounced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Coda {
    K,
    N,
    T,
    L,
    M,
    P,
    Ng,
}

/// One syllable as pronounced: `initial` is `None` when silent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sound {
    /// The initial consonant, after the changes; `None` when silent.
    pub initial: Option<C>,
    /// The vowel.
    pub vowel: V,
    /// The final as pronounced.
    pub coda: Option<Coda>,
}

/// Which ㄹ changes a system writes.
#[derive(Clone, Copy, Debug)]
pub struct Rules {
    /// ㄴ+ㄹ and ㄹ+ㄴ written ll.
    pub lateral: bool,
    /// An initial ㄹ after a consonant other than ㄹ written n.
    pub r_to_n: bool,
}

impl Rules {
    /// RR, MR and Kontsevich.
    pub const STANDARD: Rules = Rules {
        lateral: true,
        r_to_n: true,
    };

    /// The DPRK's 1992 system: ㄴㄹ is ll only "by longstanding usage" and 압록강 is
    /// Amrokgang, so neither change is written.
    pub fn dprk() -> Rules {
        Rules {
            lateral: false,
            r_to_n: false,
        }
    }
}

/// The final as pronounced before a consonant or at the end of a word.
fn neutral(finals: &[C]) -> Option<Coda> {
    // Of two finals, the one pronounced: ㄺ ㄻ ㄿ keep the second, the rest the first.
    let c = match finals {
        [] => return None,
        [C::R, second @ (C::G | C::M | C::P)] => *second,
        [first, ..] => *first,
    };
    Some(match c {
        C::G | C::Kk | C::K => Coda::K,
        C::N => Coda::N,
        C::R => Coda::L,
        C::M => Coda::M,
        C::B | C::P => Coda::P,
        C::Ng => Coda::Ng,
        C::D | C::S | C::Ss | C::J | C::Ch | C::T | C::H | C::Tt | C::Jj | C::Pp => Coda::T,
    })
}

fn aspirated(c: C) -> C {
    match c {
        C::G => C::K,
        C::D => C::T,
        C::J => C::Ch,
        C::B => C::P,
        other => other,
    }
}

/// Applies the sound changes to one word (a run of syllables with no space).
pub fn pronounce(word: &[Syllable], rules: Rules) -> Vec<Sound> {
    let mut finals: Vec<Vec<C>> = word.iter().map(|s| s.finals.clone()).collect();
    let mut out: Vec<Sound> = word
        .iter()
        .map(|s| Sound {
            initial: (s.initial != C::Ng).then_some(s.initial),
            vowel: s.vowel,
            coda: None,
        })
        .collect();
    for i in 0..word.len() {
        let next = out.get(i + 1).copied();
        let f = &mut finals[i];
        let Some(next) = next else {
            out[i].coda = neutral(f);
            break;
        };
        match next.initial {
            None if !f.is_empty() => {
                let last = *f.last().unwrap_or(&C::Ng);
                if last == C::H {
                    f.pop();
                    out[i].coda = neutral(f);
                } else if last == C::Ng {
                    out[i].coda = Some(Coda::Ng);
                } else {
                    f.pop();
                    let moved = match (last, next.vowel) {
                        (C::D, V::I) => C::J,
                        (C::T, V::I) => C::Ch,
                        (other, _) => other,
                    };
                    out[i + 1].initial = Some(moved);
                    // What stays behind (the ㄹ of ㄺ) is pronounced as a final.
                    out[i].coda = neutral(f);
                }
            }
            None => {}
            Some(init) => {
                if f.last() == Some(&C::H) && matches!(init, C::G | C::D | C::J | C::B) {
                    f.pop();
                    out[i + 1].initial = Some(aspirated(init));
                } else if f.last() == Some(&C::H) && init == C::N {
                    f.pop();
                    if f.is_empty() {
                        f.push(C::N);
                    }
                }
                let (coda, init) =
                    assimilate(neutral(f), out[i + 1].initial.unwrap_or(init), rules);
                out[i].coda = coda;
                out[i + 1].initial = Some(init);
            }
        }
    }
    out
}

/// Nasalisation and the ㄹ rules at one boundary.
fn assimilate(coda: Option<Coda>, init: C, rules: Rules) -> (Option<Coda>, C) {
    let Some(coda) = coda else {
        return (None, init);
    };
    let nasal = |c: Coda| match c {
        Coda::K => Coda::Ng,
        Coda::T => Coda::N,
        Coda::P => Coda::M,
        other => other,
    };
    let r_after = if rules.r_to_n { C::N } else { C::R };
    match (coda, init) {
        (Coda::K | Coda::T | Coda::P, C::N | C::M) => (Some(nasal(coda)), init),
        (Coda::K | Coda::T | Coda::P, C::R) => (Some(nasal(coda)), r_after),
        (Coda::M | Coda::Ng, C::R) => (Some(coda), r_after),
        (Coda::N, C::R) if rules.lateral => (Some(Coda::L), C::R),
        (Coda::L, C::N) if rules.lateral => (Some(Coda::L), C::R),
        _ => (Some(coda), init),
    }
}
