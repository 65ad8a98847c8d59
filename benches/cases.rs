//! Cases benchmark (prints; not a criterion harness):
//! 1. precision and recall of suggested links on the labelled fixture set
//!    (`tests/cases/*.json` and the shared samples in `tests/samples/`), pair by pair;
//! 2. the time to build every case over 10,000 synthetic tips (4 tips per worksite in
//!    Korean, Russian, Chinese and English, sites spread over the gazetteer's cities,
//!    minders with common surnames) — target ≤ 5 s — with precision and recall there too.
//!
//! `TIPSEAL_BENCH_QUICK=1` runs 1,000 tips (for CI). Run: `cargo bench --bench cases`.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::time::Instant;

use serde_json::json;
use tipseal::domain::tip::received::ReceivedTip;
use tipseal::domain::triage::TeamCases;
use tipseal::domain::TipId;
use tipseal::reviewer::cases::{build, CaseTip};

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

/// Precision and recall of "same case" over every pair of tips.
fn score(tips: &[CaseTip], labels: &[String]) -> (f64, f64, usize, usize, usize) {
    let cases = build(tips, &TeamCases::default(), &|k| k.to_string());
    let index: HashMap<TipId, usize> = tips.iter().enumerate().map(|(i, t)| (t.id, i)).collect();
    let mut predicted = BTreeSet::new();
    for c in &cases {
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
    let (p, r, tp, pred, truth) = score(&tips, &labels);
    println!(
        "fixture set ({} tips, {} same-site pairs): precision {p:.2}, recall {r:.2} ({tp} of {pred} suggested pairs right, {tp} of {truth} found)",
        tips.len(),
        truth
    );
}

/// City spellings by language (all in the gazetteer).
const CITIES: [[&str; 4]; 6] = [
    ["블라디보스토크", "Владивосток", "海参崴", "Vladivostok"],
    ["하바롭스크", "Хабаровск", "哈巴罗夫斯克", "Khabarovsk"],
    ["단둥", "Даньдун", "丹东", "Dandong"],
    ["선양", "Шэньян", "沈阳", "Shenyang"],
    ["그단스크", "Гданьск", "格但斯克", "Gdansk"],
    ["도하", "Доха", "多哈", "Doha"],
];
/// Surnames by language: 김, 박, 리, 최, 정, 한.
const SURNAMES: [[&str; 4]; 6] = [
    ["김", "Ким", "金", "Kim"],
    ["박", "Пак", "朴", "Pak"],
    ["리", "Ли", "李", "Ri"],
    ["최", "Цой", "崔", "Choe"],
    ["정", "Чон", "郑", "Jong"],
    ["한", "Хан", "韩", "Han"],
];
const ROLE: [&str; 4] = ["{} 반장", "бригадир {}", "{}班长", "{}, the team leader"];
const LANGS: [&str; 4] = ["ko", "ru", "zh", "en"];
const SECTORS: [&str; 4] = ["construction", "logging", "restaurant", "shipbuilding"];

fn synthetic(n_tips: usize) -> (Vec<CaseTip>, Vec<String>) {
    let sites = n_tips / 4;
    let mut tips = Vec::with_capacity(n_tips);
    let mut labels = Vec::with_capacity(n_tips);
    for s in 0..sites {
        // Simple LCG so the set is the same on every run.
        let h = (s as u64)
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407)
            >> 33;
        let city = &CITIES[(h % 6) as usize];
        let surname = &SURNAMES[((h / 7) % 6) as usize];
        let sector = SECTORS[((h / 43) % 4) as usize];
        let month = 1 + (h / 173) % 12;
        for l in 0..4 {
            let doc = json!({
                "schema": "tipseal/tip/v1",
                "language": LANGS[l],
                "worksite": {"name": format!("site {s}"), "sector": sector, "city": city[l], "observed_from": format!("2024-{month:02}")},
                "workers": {"hours_per_day": 12 + (h % 5)},
                "minders": [{"name_or_alias": ROLE[l].replace("{}", surname[l]), "role": "team_leader"}],
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
    let (tips, labels) = synthetic(n);
    let t = Instant::now();
    let cases = build(&tips, &TeamCases::default(), &|k| k.to_string());
    let took = t.elapsed();
    println!(
        "cases over {n} tips: {} cases in {:.2} s (target ≤ 5 s{})",
        cases.len(),
        took.as_secs_f64(),
        if quick { "; quick mode" } else { "" }
    );
    let (p, r, _, pred, truth) = score(&tips, &labels);
    println!(
        "synthetic set: precision {p:.2}, recall {r:.2} ({pred} suggested pairs, {truth} true)"
    );
}
