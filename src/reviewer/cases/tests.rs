use super::*;
use crate::domain::tip::received::ReceivedTip;

/// The fixture set of tests/cases: (file, worksite label).
pub(crate) const FIXTURES: [(&str, &str, &str); 8] = [
    (
        "harbour-ko",
        "harbour",
        include_str!("../../../tests/cases/harbour-ko.json"),
    ),
    (
        "harbour-ru",
        "harbour",
        include_str!("../../../tests/cases/harbour-ru.json"),
    ),
    (
        "harbour-zh",
        "harbour",
        include_str!("../../../tests/cases/harbour-zh.json"),
    ),
    (
        "harbour-en",
        "harbour",
        include_str!("../../../tests/cases/harbour-en.json"),
    ),
    (
        "island-ru",
        "island",
        include_str!("../../../tests/cases/island-ru.json"),
    ),
    (
        "island-ko",
        "island",
        include_str!("../../../tests/cases/island-ko.json"),
    ),
    (
        "logging-ru",
        "logging",
        include_str!("../../../tests/cases/logging-ru.json"),
    ),
    (
        "logging-en",
        "logging",
        include_str!("../../../tests/cases/logging-en.json"),
    ),
];

fn tips() -> Vec<CaseTip> {
    FIXTURES
        .iter()
        .enumerate()
        .map(|(i, (_, _, json))| {
            let mut id = [0u8; 16];
            id[0] = i as u8 + 1;
            CaseTip::from_received(
                TipId::from_bytes(id),
                "2024-07-01",
                &ReceivedTip::from_plaintext(json.as_bytes()),
            )
        })
        .collect()
}

#[test]
fn the_fixture_worksites_become_three_cases_and_nothing_else() {
    let tips = tips();
    let cases = build(&tips, &TeamCases::default(), &|k| k.to_string());
    for c in &cases {
        println!("{} {} {:?}", c.id, c.title, c.reasons);
    }
    let groups: Vec<Vec<&str>> = cases
        .iter()
        .map(|c| {
            let mut g: Vec<&str> = c
                .tips
                .iter()
                .map(|id| FIXTURES[id.as_bytes()[0] as usize - 1].0)
                .collect();
            g.sort();
            g
        })
        .collect();
    assert!(
        groups.contains(&vec![
            "harbour-en",
            "harbour-ko",
            "harbour-ru",
            "harbour-zh"
        ]),
        "{groups:?}"
    );
    assert!(
        groups.contains(&vec!["island-ko", "island-ru"]),
        "{groups:?}"
    );
    assert!(
        groups.contains(&vec!["logging-en", "logging-ru"]),
        "{groups:?}"
    );
    assert_eq!(groups.len(), 3, "{groups:?}");
}

#[test]
fn a_case_id_depends_on_its_tips_only() {
    let a = TipId::from_bytes([1; 16]);
    let b = TipId::from_bytes([2; 16]);
    assert_eq!(case_id_of(&[a, b]), case_id_of(&[b, a]));
    assert_ne!(case_id_of(&[a, b]), case_id_of(&[a]));
}
