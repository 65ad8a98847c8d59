use serde_json::{json, Value};

use super::*;

fn tip(doc: Value) -> TipEntities {
    TipEntities::from_document(&doc)
}

/// One harbour housing site in Vladivostok, told in four scripts.
fn harbour() -> Vec<TipEntities> {
    vec![
        tip(
            json!({"language": "ko", "worksite": {"name": "항만 주거단지 3공구", "employer": "동방건설", "sector": "construction", "city": "블라디보스토크", "observed_from": "2024-03-01", "observed_to": "2024-06-15"},
            "workers": {"hours_per_day": 16}, "minders": [{"name_or_alias": "김 반장", "role": "security_agent"}]}),
        ),
        tip(
            json!({"language": "ru", "worksite": {"name": "Жилой комплекс у порта", "employer": "Тонбан Консалтинг", "sector": "construction", "city": "Владивосток", "observed_from": "2024-05"},
            "workers": {"hours_per_day": 15}, "minders": [{"name_or_alias": "бригадир Ким", "role": "team_leader"}]}),
        ),
        tip(
            json!({"language": "zh", "worksite": {"name": "港口住宅工地", "sector": "建筑", "city": "海参崴", "observed_from": "2024-04-10", "observed_to": "2024-04-20"},
            "minders": [{"name_or_alias": "金班长", "role": "team_leader"}]}),
        ),
        tip(
            json!({"language": "en", "worksite": {"name": "Harbour housing estate, plot 3", "employer": "Dongbang Construction JV", "sector": "construction", "city": "Vladivostok", "observed_from": "2024"},
            "workers": {"hours_per_day": 16}, "minders": [{"name_or_alias": "Kim, the team leader", "role": "other"}]}),
        ),
    ]
}

#[test]
fn one_worksite_told_in_four_scripts_is_linked_pairwise() {
    let tips = harbour();
    for (i, a) in tips.iter().enumerate() {
        for b in &tips[i + 1..] {
            let m =
                link_sites(a, b).unwrap_or_else(|| panic!("{:?} ~ {:?}", a.language, b.language));
            assert!(
                m.score >= SITE_LINK,
                "{:?} ~ {:?}: {m:?}",
                a.language,
                b.language
            );
            assert!(m.reason.contains("same city (Vladivostok)"), "{}", m.reason);
            assert!(m.reason.contains("a minder in both"), "{}", m.reason);
        }
    }
    let ko_ru = link_sites(&tips[0], &tips[1]).unwrap();
    println!("{:.2} {}", ko_ru.score, ko_ru.reason);
    assert!(
        ko_ru.reason.contains("김 → Ким (Kontsevich)"),
        "{}",
        ko_ru.reason
    );
}

#[test]
fn another_site_in_the_same_city_is_not_linked() {
    let tips = harbour();
    // Same city, same sector, same months, a different minder.
    let decoy = tip(
        json!({"language": "ru", "worksite": {"name": "Стройка на Русском острове", "sector": "construction", "city": "Владивосток", "observed_from": "2024-04"},
        "workers": {"hours_per_day": 16}, "minders": [{"name_or_alias": "Пак", "role": "team_leader"}]}),
    );
    // A restaurant in town with a Kim who is its manager.
    let restaurant = tip(
        json!({"language": "ko", "worksite": {"name": "평양관", "sector": "restaurant", "city": "블라디보스토크", "observed_from": "2024-05"},
        "minders": [{"name_or_alias": "김 지배인", "role": "party_secretary"}]}),
    );
    for t in &tips {
        assert!(
            link_sites(t, &decoy).is_none(),
            "{:?}",
            link_sites(t, &decoy)
        );
        let r = link_sites(t, &restaurant);
        assert!(
            r.as_ref().is_none_or(|m| m.score < SITE_LINK),
            "{:?}: {r:?}",
            t.language
        );
    }
}

#[test]
fn tips_in_different_cities_are_never_linked() {
    let tips = harbour();
    let mut elsewhere = tips[0].clone();
    elsewhere.worksite.place = Some("khabarovsk".into());
    assert!(link_sites(&tips[0], &elsewhere).is_none());
}

#[test]
fn partial_dates_are_read_as_spans() {
    assert_eq!(
        span("2024"),
        Some(("2024-01-01".into(), "2024-12-31".into()))
    );
    assert_eq!(
        span("2024-05"),
        Some(("2024-05-01".into(), "2024-05-31".into()))
    );
    assert_eq!(span("spring"), None);
}

#[test]
fn blocking_never_separates_two_tips_that_link() {
    let mut tips = harbour();
    tips.push(tip(json!({"worksite": {"name": "Стройка на Русском острове", "sector": "construction", "city": "Владивосток"}, "minders": [{"name_or_alias": "Пак"}]})));
    tips.push(tip(json!({"worksite": {"name": "Harbour housing estate, plot 3", "city": "Vladivostok"}, "minders": [{"name_or_alias": "nadzorca"}]})));
    for (i, a) in tips.iter().enumerate() {
        for b in &tips[i + 1..] {
            if link_sites(a, b).is_some() {
                let ka = blocking_keys(a);
                assert!(
                    blocking_keys(b).iter().any(|k| ka.contains(k)),
                    "{a:?} / {b:?}"
                );
            }
        }
    }
    assert!(blocking_keys(&tips[0]).contains(&"vladivostok/surname/김/team leader".to_string()));
}
