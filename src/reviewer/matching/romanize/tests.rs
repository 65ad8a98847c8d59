use proptest::prelude::*;

use super::*;

fn all(text: &str) -> [String; 5] {
    System::ALL.map(|s| romanize(text, s))
}

#[test]
fn surnames_take_their_known_forms() {
    assert_eq!(all("김"), ["Kim", "Kim", "Gim", "Kim", "Ким"]);
    assert_eq!(all("박"), ["Pak", "Pak", "Bak", "Pak", "Пак"]);
    assert_eq!(romanize("최", System::McCuneReischauer), "Ch'oe");
    assert_eq!(romanize("최", System::Kontsevich), "Чхве");
    assert_eq!(romanize("정", System::Kontsevich), "Чон");
    assert_eq!(romanize("정", System::McCuneReischauer), "Chŏng");
    assert_eq!(romanize("윤", System::Kontsevich), "Юн");
    assert_eq!(romanize("권", System::Kontsevich), "Квон");
    assert_eq!(romanize("황", System::Kontsevich), "Хван");
}

#[test]
fn pyongyang_in_every_system() {
    assert_eq!(
        all("평양"),
        [
            "P'yŏngyang",
            "Pyongyang",
            "Pyeongyang",
            "Phyŏngyang",
            "Пхёнъян"
        ]
    );
}

#[test]
fn sound_changes_are_written() {
    use System::*;
    // Liaison and voicing.
    assert_eq!(romanize("한국어", RevisedRomanization), "Hangugeo");
    assert_eq!(romanize("한국어", McCuneReischauer), "Han'gugŏ");
    // Nasalisation.
    assert_eq!(romanize("국물", RevisedRomanization), "Gungmul");
    assert_eq!(romanize("백마산", Dprk), "Paengmasan");
    // ㄹ rules.
    assert_eq!(romanize("신라", RevisedRomanization), "Silla");
    assert_eq!(romanize("종로", RevisedRomanization), "Jongno");
    assert_eq!(romanize("독립", McCuneReischauer), "Tongnip");
    // The DPRK writes 압록강 Amrokgang: 강 "river" as its own element, which needs a
    // dictionary of compounds; the sound rules alone give Amrok.
    assert_eq!(romanize("압록", Dprk), "Amrok");
    assert_eq!(romanize("천리마", McCuneReischauer), "Ch'ŏllima");
    // Palatalisation, ㅎ.
    assert_eq!(romanize("같이", RevisedRomanization), "Gachi");
    assert_eq!(romanize("좋고", RevisedRomanization), "Joko");
    // Double finals.
    assert_eq!(romanize("닭섬", Dprk), "Taksŏm");
    assert_eq!(romanize("붉은바위", Dprk), "Pulgŭnbawi");
    // MR ㅅ before i, DPRK ㅈ.
    assert_eq!(romanize("신의주", McCuneReischauer), "Shinŭiju");
    assert_eq!(romanize("김정은", Dprk), "Kimjŏngŭn");
}

#[test]
fn places_in_cyrillic() {
    assert_eq!(romanize("서울", System::Kontsevich), "Соуль");
    assert_eq!(
        romanize("블라디보스토크", System::RevisedRomanization),
        "Beulladiboseuteokeu".replace("teo", "to")
    );
}

#[test]
fn other_text_passes_through_and_each_word_is_capitalised() {
    assert_eq!(
        romanize("김 반장 (Ким)", System::RevisedRomanization),
        "Gim Banjang (Ким)"
    );
}

proptest! {
    #[test]
    fn every_syllable_romanizes_in_every_system(code in 0xAC00u32..=0xD7A3) {
        let c = char::from_u32(code).unwrap();
        for system in System::ALL {
            let out = romanize(&c.to_string(), system);
            prop_assert!(!out.is_empty());
            let script_ok = match system {
                System::Kontsevich => out.chars().all(|c| ('\u{400}'..='\u{4FF}').contains(&c)),
                System::McCuneReischauerPlain | System::RevisedRomanization =>
                    out.chars().all(|c| c.is_ascii_alphabetic()),
                _ => out.chars().all(|c| c.is_ascii_alphabetic() || "ŏŭŎŬ'".contains(c)),
            };
            prop_assert!(script_ok, "{c} → {out} in {system:?}");
        }
    }

    #[test]
    fn two_syllable_words_never_lose_a_syllable(a in 0xAC00u32..=0xD7A3, b in 0xAC00u32..=0xD7A3) {
        let word: String = [char::from_u32(a).unwrap(), char::from_u32(b).unwrap()].iter().collect();
        for system in System::ALL {
            let out = romanize(&word, system);
            prop_assert!(out.chars().count() >= 2, "{word} → {out}");
        }
    }
}
