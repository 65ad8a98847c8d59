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

fn doc_tip(n: u8, mut doc: serde_json::Value) -> CaseTip {
    doc["schema"] = "tipseal/tip/v1".into();
    let mut id = [0u8; 16];
    id[0] = n;
    CaseTip::from_received(
        TipId::from_bytes(id),
        "2024-07-01",
        &ReceivedTip::from_plaintext(&serde_json::to_vec(&doc).expect("json")),
    )
}

#[test]
fn the_fast_grouping_finds_the_same_groups_as_comparing_every_blocked_pair() {
    let tips = tips();
    let (links, apart) = suggest::links_and_apart(&tips);
    let old: Vec<Vec<usize>> = suggest::groups(tips.len(), links, &apart)
        .into_iter()
        .map(|g| g.members)
        .collect();
    let new: Vec<Vec<usize>> = cluster::suggest(&tips)
        .into_iter()
        .map(|g| g.members)
        .collect();
    assert_eq!(old, new);
}

#[test]
fn tips_sharing_only_an_employer_in_one_city_are_suggested_together_with_the_reason() {
    let tips = vec![
        doc_tip(
            1,
            serde_json::json!({"language": "en", "worksite": {"name": "Harbour housing, plot 3", "employer": "Primorsky Stroy LLC", "sector": "construction", "city": "Vladivostok"},
                "minders": [{"name_or_alias": "Kim, the team leader", "role": "team_leader"}]}),
        ),
        doc_tip(
            2,
            serde_json::json!({"language": "ru", "worksite": {"name": "Жилой комплекс у порта", "employer": "ООО «Приморстрой»", "sector": "construction", "city": "Владивосток"},
                "minders": [{"name_or_alias": "переводчик Пак", "role": "interpreter"}]}),
        ),
        // The same company's name in Doha: another country, never this case.
        doc_tip(
            3,
            serde_json::json!({"language": "en", "worksite": {"name": "Lusail tower", "employer": "Primorsky Stroy LLC", "sector": "construction", "city": "Doha"},
                "minders": [{"name_or_alias": "Kim, the team leader", "role": "team_leader"}]}),
        ),
    ];
    let cases = build(&tips, &TeamCases::default(), &|k| k.to_string());
    assert_eq!(cases.len(), 1, "{cases:?}");
    let c = &cases[0];
    assert_eq!(c.tips, vec![tips[0].id, tips[1].id]);
    assert!(
        c.reasons.iter().any(|r| r
            .contains("same employer 'Primorsky Stroy LLC' (ООО «Приморстрой»")
            && r.contains("same city (Vladivostok)")),
        "{:?}",
        c.reasons
    );
}

#[test]
fn a_minder_seen_at_two_sites_of_one_city_is_shown_in_both_cases() {
    let site = |n: u8, lang: &str, name: &str, minder: &str| {
        doc_tip(
            n,
            serde_json::json!({"language": lang, "worksite": {"name": name, "sector": "construction", "city": "Vladivostok"},
                "minders": [{"name_or_alias": minder, "role": "team_leader"}]}),
        )
    };
    let tips = vec![
        site(
            1,
            "en",
            "Harbour housing, plot 3",
            "Kim Jong Chol, the team leader",
        ),
        site(2, "en", "Harbour housing plot 3", "Kim Jong Chol"),
        site(3, "en", "Island bridge", "team leader Kim Jong Chol"),
        site(4, "en", "Island bridge works", "Kim Jong Chol"),
    ];
    let cases = build(&tips, &TeamCases::default(), &|k| k.to_string());
    assert_eq!(cases.len(), 2, "{cases:?}");
    for c in &cases {
        let other = cases.iter().find(|o| o.id != c.id).expect("two cases");
        assert!(
            c.minders
                .iter()
                .any(|m| m.also_at.iter().any(|a| a.contains(&other.id.to_string()))),
            "{:?}",
            c.minders
        );
    }
}

#[test]
fn plot_numbers_keep_one_employers_two_sites_apart_across_scripts() {
    // One employer, one city, one sector, one team leader's surname: plot 3 told in
    // Russian, plot 7 in English. Without the numbers they link (employer + city + sector).
    let ru = |n: u8, plot: &str| {
        doc_tip(
            n,
            serde_json::json!({"language": "ru", "worksite": {"name": format!("Стройка «Порт», участок {plot}"), "employer": "ООО «Приморстрой»", "sector": "construction", "city": "Владивосток"},
                "minders": [{"name_or_alias": "бригадир Ким", "role": "team_leader"}]}),
        )
    };
    let en = |n: u8, plot: &str| {
        doc_tip(
            n,
            serde_json::json!({"language": "en", "worksite": {"name": format!("Harbour site, plot {plot}"), "employer": "Primorsky Stroy LLC", "sector": "construction", "city": "Vladivostok"},
                "minders": [{"name_or_alias": "Kim, the team leader", "role": "team_leader"}]}),
        )
    };
    let zh = doc_tip(
        5,
        serde_json::json!({"language": "zh", "worksite": {"name": "３号工地", "sector": "construction", "city": "海参崴"},
            "minders": [{"name_or_alias": "金班长", "role": "team_leader"}]}),
    );
    let tips = vec![ru(1, "3"), en(2, "7"), en(3, "3"), ru(4, "7"), zh];
    let cases = build(&tips, &TeamCases::default(), &|k| k.to_string());
    let mut groups: Vec<Vec<TipId>> = cases
        .iter()
        .map(|c| {
            let mut g = c.tips.clone();
            g.sort();
            g
        })
        .collect();
    groups.sort();
    assert_eq!(
        groups,
        vec![
            vec![tips[0].id, tips[2].id, tips[4].id],
            vec![tips[1].id, tips[3].id]
        ],
        "{cases:?}"
    );
}

#[test]
fn site_numbers_are_read_in_every_script_and_a_name_without_one_is_never_apart_by_number() {
    let sig = |lang: &str, name: &str| {
        let t = doc_tip(
            1,
            serde_json::json!({"language": lang, "worksite": {"name": name, "city": "Vladivostok"}}),
        );
        suggest::site_signature(&t).expect("a site name")
    };
    let plot3 = sig("en", "Harbour housing estate, plot 3");
    assert!(!plot3.apart(&sig("ko", "항만 주거단지 3공구")));
    assert!(!plot3.apart(&sig("ru", "Лесозаготовительный участок №03")));
    assert!(!plot3.apart(&sig("ar", "موقع ٣")));
    assert!(!plot3.apart(&sig("zh", "港口住宅工地")));
    assert!(!plot3.apart(&sig("en", "Harbour housing, building 12, plot 3")));
    assert!(plot3.apart(&sig("ru", "Стройка «Порт», участок 7")));
    assert!(plot3.apart(&sig("zh", "7号工地")));
    // In one language, no word in common is still a cannot-link; across languages it is not.
    assert!(plot3.apart(&sig("en", "Island bridge")));
    assert!(!plot3.apart(&sig("ru", "Жилой комплекс у порта")));
}
