//! Cases benchmark (prints; not a criterion harness):
//! 1. precision and recall of suggested links on the labelled fixture set
//!    (`tests/cases/*.json` and the shared samples in `tests/samples/`), pair by pair;
//! 2. the time to build every case over 10,000 synthetic tips (4 tips per worksite in four
//!    of Korean, Russian, Chinese, English and Arabic; sites spread over six cities with
//!    decoys: same city, same minder surname, same employer, same months) — target ≤ 5 s —
//!    with precision and recall of the suggested links against the generator's truth.
//!
//! `TIPSEAL_BENCH_QUICK=1` runs 1,000 tips (for CI). Run: `cargo bench --bench cases`.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::time::Instant;

use serde_json::json;
use tipseal::domain::tip::received::ReceivedTip;
use tipseal::domain::triage::TeamCases;
use tipseal::domain::TipId;
use tipseal::reviewer::cases::{build, Case, CaseTip};

fn tip(n: usize, doc: &serde_json::Value) -> CaseTip {
    let mut id = [0u8; 16];
    id[..8].copy_from_slice(&(n as u64 + 1).to_be_bytes());
    let bytes = serde_json::to_vec(doc).expect("json");
    CaseTip::from_received(
        TipId::from_bytes(id),
        "2024-07-01",
        &ReceivedTip::from_plaintext(&bytes),
    )
}

/// Precision and recall of "same case" over every pair of tips, for the cases built over them.
fn score(tips: &[CaseTip], labels: &[String], cases: &[Case]) -> (f64, f64, usize, usize, usize) {
    let index: HashMap<TipId, usize> = tips.iter().enumerate().map(|(i, t)| (t.id, i)).collect();
    let mut predicted = BTreeSet::new();
    for c in cases {
        let ix: Vec<usize> = c.tips.iter().map(|t| index[t]).collect();
        for (n, a) in ix.iter().enumerate() {
            for b in &ix[n + 1..] {
                predicted.insert((*a.min(b), *a.max(b)));
            }
        }
    }
    let mut by_label: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, l) in labels.iter().enumerate() {
        by_label.entry(l).or_default().push(i);
    }
    let mut truth = BTreeSet::new();
    for ix in by_label.values() {
        for (n, a) in ix.iter().enumerate() {
            for b in &ix[n + 1..] {
                truth.insert((*a.min(b), *a.max(b)));
            }
        }
    }
    let tp = predicted.intersection(&truth).count();
    let p = if predicted.is_empty() {
        1.0
    } else {
        tp as f64 / predicted.len() as f64
    };
    let r = if truth.is_empty() {
        1.0
    } else {
        tp as f64 / truth.len() as f64
    };
    (p, r, tp, predicted.len(), truth.len())
}

fn fixtures() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    // (file, worksite label): the truth, written by hand.
    let set = [
        ("tests/cases/harbour-ko.json", "harbour"),
        ("tests/cases/harbour-ru.json", "harbour"),
        ("tests/cases/harbour-zh.json", "harbour"),
        ("tests/cases/harbour-en.json", "harbour"),
        ("tests/cases/island-ru.json", "island"),
        ("tests/cases/island-ko.json", "island"),
        ("tests/cases/logging-ru.json", "logging"),
        ("tests/cases/logging-en.json", "logging"),
        // The shared samples: the Korean one is the harbour site; the Russian logging one
        // is plot 7 near Khabarovsk (another minder, Pak); the rest are sites of their own.
        ("tests/samples/ko-construction-vladivostok.json", "harbour"),
        ("tests/samples/ru-logging-khabarovsk.json", "logging"),
        ("tests/samples/ar-construction-kuwait.json", "kuwait"),
        ("tests/samples/en-construction-qatar.json", "qatar"),
        ("tests/samples/nl-shipbuilding-order.json", "nl-ship"),
        ("tests/samples/pl-shipyard-gdansk.json", "gdansk"),
        ("tests/samples/zh-restaurant-dandong.json", "dandong"),
    ];
    let mut tips = Vec::new();
    let mut labels = Vec::new();
    for (n, (file, label)) in set.iter().enumerate() {
        let bytes = std::fs::read(root.join(file)).expect("fixture");
        let v: serde_json::Value = serde_json::from_slice(&bytes).expect("json");
        tips.push(tip(n, &v));
        labels.push(label.to_string());
    }
    let cases = build(&tips, &TeamCases::default(), &|k| k.to_string());
    let (p, r, tp, pred, truth) = score(&tips, &labels, &cases);
    println!(
        "fixture set ({} tips, {} same-site pairs): precision {p:.2}, recall {r:.2} ({tp} of {pred} suggested pairs right, {tp} of {truth} found)",
        tips.len(),
        truth
    );
}

/// Page languages of the synthetic tips; each site is told in four of them.
const LANGS: [&str; 5] = ["ko", "ru", "zh", "en", "ar"];
/// City spellings by language (all in the gazetteer), two of them in the Gulf.
const CITIES: [[&str; 5]; 6] = [
    [
        "블라디보스토크",
        "Владивосток",
        "海参崴",
        "Vladivostok",
        "فلاديفوستوك",
    ],
    [
        "하바롭스크",
        "Хабаровск",
        "哈巴罗夫斯克",
        "Khabarovsk",
        "خاباروفسك",
    ],
    ["나홋카", "Находка", "纳霍德卡", "Nakhodka", "ناخودكا"],
    ["선양", "Шэньян", "沈阳", "Shenyang", "شنيانغ"],
    ["도하", "Доха", "多哈", "Doha", "الدوحة"],
    ["두바이", "Дубай", "迪拜", "Dubai", "دبي"],
];
/// Surnames by language: 김, 박, 리, 최, 정, 한, 강, 윤.
const SURNAMES: [[&str; 5]; 8] = [
    ["김", "Ким", "金", "Kim", "كيم"],
    ["박", "Пак", "朴", "Pak", "بارك"],
    ["리", "Ли", "李", "Ri", "لي"],
    ["최", "Цой", "崔", "Choe", "تشوي"],
    ["정", "Чон", "郑", "Jong", "جونغ"],
    ["한", "Хан", "韩", "Han", "هان"],
    ["강", "Кан", "姜", "Kang", "كانغ"],
    ["윤", "Юн", "尹", "Yun", "يون"],
];
/// "Team leader {surname}" by language.
const LEADER: [&str; 5] = [
    "{} 반장",
    "бригадир {}",
    "{}班长",
    "{}, the team leader",
    "رئيس الفريق {}",
];
/// "The interpreter" by language (a second minder some tips name instead of the leader).
const INTERPRETER: [&str; 5] = ["통역원", "переводчик", "翻译", "the interpreter", "المترجم"];
/// Employers by language: each runs several sites in a city (the "same employer, another
/// site" decoy). Chinese and Arabic forms are translations or loose spellings: no match.
const EMPLOYERS: [[&str; 5]; 6] = [
    [
        "프리모르스키 스트로이",
        "ООО «Приморстрой»",
        "滨海建筑",
        "Primorsky Stroy LLC",
        "بريمورسكي ستروي",
    ],
    [
        "동방건설",
        "Тонбан Консалтинг",
        "东方建设",
        "Dongbang Construction",
        "دونغبانغ",
    ],
    [
        "달스페츠스트로이",
        "Дальспецстрой",
        "远东特建",
        "Dalspetsstroy",
        "دالسبيتسستروي",
    ],
    [
        "백두무역",
        "Пэкту Торг",
        "白头贸易",
        "Paektu Trading",
        "بايكتو",
    ],
    [
        "걸프빌드",
        "Галф Билд",
        "海湾建造",
        "Gulf Build WLL",
        "الخليج للبناء",
    ],
    [
        "모란봉",
        "Моранбон",
        "牡丹峰",
        "Moranbong Co.",
        "موران بونغ",
    ],
];
/// Site names by language: a word and a plot number ("plot 3" and "plot 7" are two sites).
const SITE: [&str; 5] = [
    "{w} {n}공구",
    "Стройка «{w}», участок {n}",
    "{n}号工地",
    "{w} site, plot {n}",
    "موقع {n}",
];
const SITE_WORDS: [[&str; 4]; 4] = [
    ["항만", "Порт", "Harbour", "harbour"],
    ["주거단지", "Жилой комплекс", "Housing", "housing"],
    ["물류창고", "Склад", "Warehouse", "warehouse"],
    ["호텔", "Гостиница", "Hotel", "hotel"],
];
const SECTORS: [&str; 4] = ["construction", "logging", "restaurant", "shipbuilding"];

/// A deterministic stream (an LCG), so the set is the same on every run.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, m: u64) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % m) as usize
    }
}

/// `n_tips` synthetic tips, four per worksite, each in one of four of the five languages,
/// with the truth (the site of each tip). Decoys come with the numbers: many sites share a
/// city, a minder's surname (a different Kim at a different site), an employer (one
/// company, several sites) and months; a quarter of the tips name the interpreter instead
/// of the team leader, so their only link to the site's other tips is the employer.
fn synthetic(n_tips: usize) -> (Vec<CaseTip>, Vec<String>) {
    let sites = n_tips / 4;
    let mut rng = Lcg(0x5EED_CA5E);
    let mut tips = Vec::with_capacity(n_tips);
    let mut labels = Vec::with_capacity(n_tips);
    for s in 0..sites {
        let city = rng.next(CITIES.len() as u64);
        let surname = &SURNAMES[rng.next(SURNAMES.len() as u64)];
        let employer = &EMPLOYERS[rng.next(EMPLOYERS.len() as u64)];
        let word = &SITE_WORDS[rng.next(SITE_WORDS.len() as u64)];
        let sector = SECTORS[rng.next(SECTORS.len() as u64)];
        let month = 1 + rng.next(12);
        let hours = 12 + rng.next(5);
        // Plot numbers are unique per site: the same words with another number are another site.
        let plot = s + 1;
        let skip = rng.next(5);
        for l in (0..5).filter(|&l| l != skip) {
            let w = match l {
                0 => word[0],
                1 => word[1],
                3 => word[2],
                _ => word[3],
            };
            let name = SITE[l].replace("{w}", w).replace("{n}", &plot.to_string());
            let minder = if rng.next(4) == 0 {
                json!({"name_or_alias": INTERPRETER[l], "role": "interpreter"})
            } else {
                json!({"name_or_alias": LEADER[l].replace("{}", surname[l]), "role": "team_leader"})
            };
            let doc = json!({
                "schema": "tipseal/tip/v1",
                "language": LANGS[l],
                "worksite": {"name": name, "employer": employer[l], "sector": sector,
                             "city": CITIES[city][l], "observed_from": format!("2024-{month:02}")},
                "workers": {"hours_per_day": hours},
                "minders": [minder],
            });
            tips.push(tip(tips.len(), &doc));
            labels.push(format!("site-{s}"));
        }
    }
    (tips, labels)
}

fn main() {
    tipseal::crypto::init().expect("sodium");
    fixtures();
    let quick = std::env::var_os("TIPSEAL_BENCH_QUICK").is_some();
    let n = if quick { 1_000 } else { 10_000 };
    let t = Instant::now();
    let (tips, labels) = synthetic(n);
    let extracted = t.elapsed();
    let t = Instant::now();
    let cases = build(&tips, &TeamCases::default(), &|k| k.to_string());
    let took = t.elapsed();
    println!(
        "cases over {n} tips: {} cases in {:.2} s, after reading the tips' entities in {:.2} s (target ≤ 5 s for both{})",
        cases.len(),
        took.as_secs_f64(),
        extracted.as_secs_f64(),
        if quick { "; quick mode" } else { "" }
    );
    let (p, r, tp, pred, truth) = score(&tips, &labels, &cases);
    println!(
        "synthetic set ({n} tips, 4 per site in 4 of ko/ru/zh/en/ar, decoys: same city, same surname, same employer): precision {p:.3}, recall {r:.3} ({tp} of {pred} suggested pairs right, {truth} true pairs)"
    );
    let seen_elsewhere = cases
        .iter()
        .flat_map(|c| &c.minders)
        .filter(|m| !m.also_at.is_empty())
        .count();
    println!("minders shown as seen at other sites: {seen_elsewhere}");
}
