//! Link quality of the cross-script matching library on a labelled set of pairs
//! (`tests/matching/pairs.tsv`): precision and recall of `compare` at the link threshold,
//! printed, and held above floors; and the time one comparison takes.

use std::time::Instant;

use tipseal::reviewer::matching::compare;

/// The score from which a comparison counts as a suggested link (a surname alone, 0.75,
/// is one; a role alone, 0.3, is not).
const LINK: f32 = 0.5;

#[test]
fn suggested_links_have_high_precision_and_recall_on_the_labelled_pairs() {
    let pairs: Vec<(String, String, bool)> = include_str!("matching/pairs.tsv")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            assert_eq!(cols.len(), 3, "pairs.tsv: {l:?}");
            (cols[0].to_string(), cols[1].to_string(), cols[2] == "1")
        })
        .collect();
    let (mut tp, mut fp, mut fn_) = (0usize, 0usize, 0usize);
    let mut first = std::time::Duration::ZERO;
    for (a, b, same) in &pairs {
        let t = Instant::now();
        let m = compare(a, b);
        first += t.elapsed();
        let linked = m.as_ref().is_some_and(|m| m.score >= LINK);
        match (linked, *same) {
            (true, true) => tp += 1,
            (true, false) => {
                fp += 1;
                println!("false link: {a} ~ {b}: {:?}", m);
            }
            (false, true) => {
                fn_ += 1;
                println!("missed: {a} ~ {b}: {:?}", m);
            }
            (false, false) => {}
        }
    }
    let precision = tp as f64 / (tp + fp).max(1) as f64;
    let recall = tp as f64 / (tp + fn_).max(1) as f64;
    println!(
        "{} pairs ({} same): precision {precision:.3}, recall {recall:.3}",
        pairs.len(),
        pairs.iter().filter(|p| p.2).count()
    );
    assert!(precision >= 0.95, "precision {precision:.3}");
    assert!(recall >= 0.95, "recall {recall:.3}");

    let start = Instant::now();
    let rounds = 20;
    for _ in 0..rounds {
        for (a, b, _) in &pairs {
            std::hint::black_box(compare(a, b));
        }
    }
    let per = start.elapsed() / (rounds * pairs.len()) as u32;
    println!(
        "one comparison: {:?} the first time, {per:?} when remembered (debug build)",
        first / pairs.len() as u32
    );
}

/// Worksite linking over many tips, bucketed by `blocking_keys`: how long it takes. The
/// number of tips is `TIPSEAL_MATCHING_TIPS` (2,000 by default, to keep the debug test
/// short); the figure for 10,000 is in docs/matching.md.
#[test]
fn linking_thousands_of_tips_by_bucket_is_fast() {
    use std::collections::HashMap;

    use tipseal::reviewer::matching::entities::TipEntities;
    use tipseal::reviewer::matching::sites::{blocking_keys, link_sites, SITE_LINK};

    let n: usize = std::env::var("TIPSEAL_MATCHING_TIPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let cities = [
        "Vladivostok",
        "Владивосток",
        "블라디보스토크",
        "海参崴",
        "Khabarovsk",
        "Хабаровск",
        "Nakhodka",
        "Находка",
        "Shenyang",
        "심양",
        "沈阳",
        "Dandong",
        "丹东",
        "단동",
        "Gdańsk",
        "Gdansk",
        "Doha",
        "الدوحة",
        "Dubai",
        "Ulaanbaatar",
        "Yakutsk",
        "Tynda",
        "Moscow",
        "Москва",
    ];
    let surnames = [
        "김", "Kim", "Ким", "박", "Pak", "Пак", "Lee", "리", "Ли", "최", "Choi", "Цой", "정",
        "Чон", "강", "Kang", "윤", "Юн", "한", "Han",
    ];
    let roles = ["반장", "бригадир", "team leader", "지도원", "interpreter"];
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = |m: usize| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) as usize % m
    };
    let start = Instant::now();
    let tips: Vec<TipEntities> = (0..n)
        .map(|_| {
            let doc = serde_json::json!({
                "worksite": {"name": format!("Site {}", next(n / 5 + 1)), "city": cities[next(cities.len())], "sector": "construction",
                             "observed_from": format!("2024-0{}", 1 + next(9))},
                "minders": [{"name_or_alias": format!("{} {}", surnames[next(surnames.len())], roles[next(roles.len())])}],
                "narrative": "Workers were watched day and night near the port.",
            });
            TipEntities::from_document(&doc)
        })
        .collect();
    let extracted = start.elapsed();
    let start = Instant::now();
    let mut buckets: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, t) in tips.iter().enumerate() {
        for k in blocking_keys(t) {
            buckets.entry(k).or_default().push(i);
        }
    }
    let mut seen = std::collections::HashSet::new();
    let (mut compared, mut linked) = (0usize, 0usize);
    for members in buckets.values() {
        for (x, &i) in members.iter().enumerate() {
            for &j in &members[x + 1..] {
                if !seen.insert((i.min(j), i.max(j))) {
                    continue;
                }
                compared += 1;
                if link_sites(&tips[i], &tips[j]).is_some_and(|m| m.score >= SITE_LINK) {
                    linked += 1;
                }
            }
        }
    }
    let linking = start.elapsed();
    println!(
        "{n} tips: entities in {extracted:?}; {} buckets, {compared} pairs compared of {} possible, {linked} linked, in {linking:?} (debug build)",
        buckets.len(),
        n * (n - 1) / 2
    );
    assert!(linked > 0);
}

#[test]
fn gulf_places_in_arabic_match_their_latin_hangul_cyrillic_and_chinese_names() {
    let places: [&[&str]; 5] = [
        &["الدوحة", "Doha", "도하", "Доха", "多哈"],
        &["دبي", "Dubai", "두바이", "Дубай", "迪拜"],
        &["الكويت", "Kuwait City", "Эль-Кувейт"],
        &[
            "أبو ظبي",
            "أبوظبي",
            "Abu Dhabi",
            "아부다비",
            "Абу-Даби",
            "阿布扎比",
        ],
        &["لوسيل", "Lusail", "루사일", "Лусаил"],
    ];
    for names in places {
        for a in names {
            for b in names {
                let m = compare(a, b).unwrap_or_else(|| panic!("{a} ~ {b}"));
                assert!(m.score >= 0.9, "{a} ~ {b}: {m:?}");
            }
        }
    }
    assert!(compare("الدوحة", "Dubai").is_none());
    assert!(compare("لوسيل", "Doha").is_none());
}

#[test]
fn arabic_names_are_transliterated_and_compared_on_their_consonants() {
    let kim = compare("كيم", "Kim").expect("كيم ~ Kim");
    assert!(kim.score >= 0.7, "{kim:?}");
    assert!(compare("كيم", "Ким").is_some());
    assert!(compare("كيم", "김").is_some());
    // Names outside the Korean surname table go through the rule-based transliteration.
    let m = compare("محمد", "Mohammed").expect("محمد ~ Mohammed");
    assert!(m.reason.contains("same consonants"), "{}", m.reason);
    assert!(compare("خالد", "Khaled").is_some());
    assert!(compare("خالد", "Ahmed").is_none());
    // Vowel-less keys are for Arabic only: two Latin names are not merged on consonants.
    assert!(compare("Kim", "Kum").is_none());
}
