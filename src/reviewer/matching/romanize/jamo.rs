//! Hangul syllables split into their letters (jamo) by the Unicode arithmetic.
//!
//! A precomposed syllable is `0xAC00 + (initial × 21 + medial) × 28 + final`
//! (Unicode §3.12). Must never: guess at anything that is not a precomposed syllable.

/// The first precomposed Hangul syllable, 가.
const BASE: u32 = 0xAC00;
/// The last precomposed Hangul syllable, 힣.
const LAST: u32 = 0xD7A3;
/// Medial vowels per initial.
const MEDIALS: u32 = 21;
/// Finals per medial, counting "no final".
const FINALS: u32 = 28;

/// A consonant letter, in the order of the 19 initials.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum C {
    G,
    Kk,
    N,
    D,
    Tt,
    R,
    M,
    B,
    Pp,
    S,
    Ss,
    Ng,
    J,
    Jj,
    Ch,
    K,
    T,
    P,
    H,
}

/// The 19 initials in Unicode order (ㅇ as an initial is silent: [`C::Ng`]).
#[rustfmt::skip]
const INITIALS: [C; 19] = [
    C::G, C::Kk, C::N, C::D, C::Tt, C::R, C::M, C::B, C::Pp, C::S, C::Ss, C::Ng, C::J,
    C::Jj, C::Ch, C::K, C::T, C::P, C::H,
];

/// The 27 finals in Unicode order, each as one or two consonants.
#[rustfmt::skip]
const FINAL_LETTERS: [&[C]; 27] = [
    &[C::G], &[C::Kk], &[C::G, C::S], &[C::N], &[C::N, C::J], &[C::N, C::H], &[C::D],
    &[C::R], &[C::R, C::G], &[C::R, C::M], &[C::R, C::B], &[C::R, C::S], &[C::R, C::T],
    &[C::R, C::P], &[C::R, C::H], &[C::M], &[C::B], &[C::B, C::S], &[C::S], &[C::Ss],
    &[C::Ng], &[C::J], &[C::Ch], &[C::K], &[C::T], &[C::P], &[C::H],
];

/// The 21 medial vowels, in Unicode order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
#[rustfmt::skip]
pub enum V {
    A, Ae, Ya, Yae, Eo, E, Yeo, Ye, O, Wa, Wae, Oe, Yo, U, Wo, We, Wi, Yu, Eu, Ui, I,
}

#[rustfmt::skip]
const VOWELS: [V; 21] = [
    V::A, V::Ae, V::Ya, V::Yae, V::Eo, V::E, V::Yeo, V::Ye, V::O, V::Wa, V::Wae, V::Oe,
    V::Yo, V::U, V::Wo, V::We, V::Wi, V::Yu, V::Eu, V::Ui, V::I,
];

/// One syllable as spelled: initial, vowel and the final's consonants (none, one or two).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Syllable {
    /// The initial consonant; [`C::Ng`] is the silent ㅇ.
    pub initial: C,
    /// The vowel.
    pub vowel: V,
    /// The final consonants as spelled (ㄺ is `[R, G]`).
    pub finals: Vec<C>,
}

/// Whether `c` is a precomposed Hangul syllable.
pub fn is_syllable(c: char) -> bool {
    (BASE..=LAST).contains(&(c as u32))
}

/// Splits a precomposed syllable; `None` for anything else.
pub fn decompose(c: char) -> Option<Syllable> {
    if !is_syllable(c) {
        return None;
    }
    let i = c as u32 - BASE;
    let (initial, rest) = (i / (MEDIALS * FINALS), i % (MEDIALS * FINALS));
    let (medial, fin) = (rest / FINALS, rest % FINALS);
    Some(Syllable {
        initial: INITIALS[initial as usize],
        vowel: VOWELS[medial as usize],
        finals: match fin {
            0 => Vec::new(),
            f => FINAL_LETTERS[f as usize - 1].to_vec(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syllables_split_into_their_letters() {
        let kim = decompose('김').unwrap();
        assert_eq!(
            (kim.initial, kim.vowel, kim.finals),
            (C::G, V::I, vec![C::M])
        );
        let dalk = decompose('닭').unwrap();
        assert_eq!(dalk.finals, vec![C::R, C::G]);
        assert!(decompose('a').is_none());
        assert!(decompose('ㄱ').is_none());
    }
}
