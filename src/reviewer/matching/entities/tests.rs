use super::*;

fn sample(name: &str) -> TipEntities {
    let text = match name {
        "ko" => include_str!("../../../../tests/samples/ko-construction-vladivostok.json"),
        "ru" => include_str!("../../../../tests/samples/ru-logging-khabarovsk.json"),
        "zh" => include_str!("../../../../tests/samples/zh-restaurant-dandong.json"),
        "en" => include_str!("../../../../tests/samples/en-construction-qatar.json"),
        "pl" => include_str!("../../../../tests/samples/pl-shipyard-gdansk.json"),
        "nl" => include_str!("../../../../tests/samples/nl-shipbuilding-order.json"),
        "ar" => include_str!("../../../../tests/samples/ar-construction-kuwait.json"),
        other => panic!("no sample {other}"),
    };
    TipEntities::from_received(&ReceivedTip::from_plaintext(text.as_bytes()))
}

fn minder(e: &TipEntities, i: usize) -> (Option<&str>, Option<&str>, Vec<Role>) {
    let m = &e.minders[i];
    (m.name.as_deref(), m.surname, m.roles.clone())
}

#[test]
fn the_korean_sample_gives_kim_the_team_leader_in_vladivostok() {
    let e = sample("ko");
    assert_eq!(e.language.as_deref(), Some("ko"));
    assert_eq!(e.worksite.place.as_deref(), Some("vladivostok"));
    assert_eq!(e.worksite.country.as_deref(), Some("RU"));
    assert_eq!(e.worksite.sector, Some(Sector::Construction));
    assert_eq!(e.worksite.employer.as_deref(), Some("동방건설 합작회사"));
    assert_eq!(
        minder(&e, 0),
        (
            Some("김"),
            Some("김"),
            vec![Role::TeamLeader, Role::SecurityOfficer]
        )
    );
    assert_eq!(
        e.minders[0].actions,
        ["confiscates_passports", "collects_wages", "escorts_workers"]
    );
    assert_eq!(
        (e.observed_from.as_deref(), e.observed_to.as_deref()),
        (Some("2024-03-01"), Some("2024-06-15"))
    );
    assert_eq!(e.conditions.hours_per_day, Some(16.0));
    assert_eq!(e.conditions.passports_held_by_others, Some(true));
    assert_eq!(e.conditions.workers, Some(40));
    assert!(e.narrative_people.is_empty(), "{:?}", e.narrative_people);
}

#[test]
fn the_russian_sample_gives_pak_and_an_unnamed_guard_in_khabarovsk_krai() {
    let e = sample("ru");
    assert_eq!(e.worksite.place.as_deref(), Some("khabarovsk-krai"));
    assert_eq!(e.worksite.sector, Some(Sector::Logging));
    assert_eq!(
        minder(&e, 0),
        (Some("Пак"), Some("박"), vec![Role::TeamLeader])
    );
    assert_eq!(minder(&e, 1), (None, None, vec![Role::SecurityOfficer]));
    assert_eq!(e.conditions.rest_days_per_month, Some(2.0));
}

#[test]
fn the_other_samples_give_their_sites_and_minders() {
    let zh = sample("zh");
    assert_eq!(zh.worksite.place.as_deref(), Some("dandong"));
    assert_eq!(zh.worksite.sector, Some(Sector::Restaurant));
    assert_eq!(
        minder(&zh, 0),
        (
            Some("李"),
            Some("이"),
            vec![Role::PartySecretary, Role::Manager]
        )
    );
    let en = sample("en");
    assert_eq!(en.worksite.place.as_deref(), Some("lusail"));
    assert_eq!(
        minder(&en, 0),
        (Some("Ri"), Some("이"), vec![Role::Interpreter])
    );
    assert!(
        en.narrative_people.is_empty(),
        "'I supervised' names no one: {:?}",
        en.narrative_people
    );
    let pl = sample("pl");
    assert_eq!(pl.worksite.place.as_deref(), Some("gdansk"));
    assert_eq!(
        minder(&pl, 0),
        (None, None, vec![Role::TeamLeader, Role::SecurityOfficer])
    );
    let nl = sample("nl");
    assert_eq!(nl.worksite.place.as_deref(), Some("szczecin"));
    assert_eq!(nl.worksite.sector, Some(Sector::Shipbuilding));
    assert!(nl.minders.is_empty());
    let ar = sample("ar");
    assert_eq!(ar.worksite.place.as_deref(), Some("kuwait-city"));
    assert_eq!(ar.worksite.country.as_deref(), Some("KW"));
    assert_eq!(
        minder(&ar, 0),
        (
            Some("تشوي"),
            Some("최"),
            vec![Role::Minder, Role::SecurityOfficer]
        )
    );
}

#[test]
fn narratives_give_surnames_beside_role_words_and_gazetteer_places() {
    let people = |t: &str| {
        people_in_text(t)
            .into_iter()
            .map(|p| (p.surname, p.role))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        people("Мы работали с бригадиром Кимом во Владивостоке."),
        [("김", Role::TeamLeader)]
    );
    assert_eq!(
        people("Kim, the team leader, took our passports."),
        [("김", Role::TeamLeader)]
    );
    assert_eq!(
        people("김반장이 여권을 가져갔다."),
        [("김", Role::TeamLeader)]
    );
    assert_eq!(people("박 지도원은 매일 왔다"), [("박", Role::Minder)]);
    assert_eq!(people("李经理负责看管所有服务员"), [("이", Role::Manager)]);
    assert!(
        people("We met Kim. The team leader was absent.").is_empty(),
        "not across sentences"
    );
    assert!(people("The team leader was absent.").is_empty());
    let mut e = TipEntities::default();
    e.read_narrative("Работал во Владивостоке, потом в Находке. 작년에 심양에서");
    let places: Vec<&str> = e
        .narrative_places
        .iter()
        .map(|p| p.place.as_str())
        .collect();
    assert_eq!(places, ["vladivostok", "nakhodka", "shenyang"]);
}

#[test]
fn a_tip_that_is_not_json_or_breaks_the_schema_still_gives_what_it_has() {
    let t = ReceivedTip::from_plaintext("бригадир Пак забрал паспорта в Уссурийске".as_bytes());
    let e = TipEntities::from_received(&t);
    assert_eq!(e.narrative_people[0].surname, "박");
    assert_eq!(e.narrative_places[0].place, "ussuriysk");
    let odd = serde_json::json!({"worksite": {"city": 7, "sector": "стройка"}, "workers": {"hours_per_day": "12", "passports_held_by_others": "yes"}, "minders": [{"name_or_alias": null, "role": "astronaut"}]});
    let e = TipEntities::from_document(&odd);
    assert_eq!(e.worksite.sector, Some(Sector::Construction));
    assert_eq!(e.conditions.hours_per_day, Some(12.0));
    assert_eq!(e.conditions.passports_held_by_others, Some(true));
    assert_eq!(e.minders[0], Minder::default());
}
