//! The published JSON Schema of the tip document (`docs/schema/`): it is the one the
//! Rust types generate, an independent validator (the `jsonschema` crate) accepts every
//! sample with it, refuses the documents the server once answered 201 to and the
//! reviewer's client then could not open, and agrees with the strict parser.

use std::path::Path;

use serde_json::{json, Value};
use tipseal::domain::tip::schema::{
    page_module, sealed_tip_schema, tip_schema, to_file, PAGE_SCHEMA_FILE, SEALED_TIP_SCHEMA_FILE,
    TIP_SCHEMA_FILE,
};
use tipseal::domain::tip::{SealedTip, TipDocument};

fn repo(path: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn samples() -> Vec<(String, Value)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/samples");
    let mut out: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| {
            let v = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
            (p.display().to_string(), v)
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    assert!(
        out.len() >= 7,
        "the seven shared samples are in tests/samples"
    );
    out
}

fn validator(schema: &Value) -> jsonschema::Validator {
    jsonschema::validator_for(schema).expect("the schema compiles")
}

#[test]
fn the_committed_schema_files_are_the_ones_the_types_generate() {
    let regen = "regenerate with `cargo run -q -- schema > docs/schema/tip-v1.json`, \
                 `… schema --sealed > docs/schema/sealed-tip-v1.json`, \
                 `… schema --page > web/static/tipschema.js`";
    assert_eq!(repo(TIP_SCHEMA_FILE), to_file(&tip_schema()), "{regen}");
    assert_eq!(
        repo(SEALED_TIP_SCHEMA_FILE),
        to_file(&sealed_tip_schema()),
        "{regen}"
    );
    assert_eq!(repo(PAGE_SCHEMA_FILE), page_module(), "{regen}");
}

#[test]
fn the_schemas_are_valid_draft_2020_12_schemas() {
    for s in [tip_schema(), sealed_tip_schema()] {
        assert!(jsonschema::meta::is_valid(&s));
        assert_eq!(
            s["$schema"],
            json!("https://json-schema.org/draft/2020-12/schema")
        );
    }
}

#[test]
fn every_sample_follows_the_published_schema() {
    let tip = validator(&serde_json::from_str(&repo(TIP_SCHEMA_FILE)).unwrap());
    let sealed = validator(&serde_json::from_str(&repo(SEALED_TIP_SCHEMA_FILE)).unwrap());
    for (name, doc) in samples() {
        let errors: Vec<String> = tip.iter_errors(&doc).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{name}: {errors:?}");
        let wrapped = json!({"format": "tipseal/sealed-tip/v1", "tip": doc, "attachments": [
            {"part": 1, "name": "site.jpg", "media_type": "image/jpeg", "size": 3,
             "blake2b": "ab".repeat(32)}], "reply_to": {"box_pk": "A".repeat(43)}});
        assert!(sealed.is_valid(&wrapped), "{name}");
    }
}

#[test]
fn the_five_documents_the_server_once_accepted_fail_the_schema() {
    let tip = validator(&tip_schema());
    let sealed = validator(&sealed_tip_schema());
    let ok = json!({"schema": "tipseal/tip/v1", "narrative": "x"});
    assert!(tip.is_valid(&ok));
    let bad = [
        json!({"schema": "tipseal/tip/v1", "narrative": "x", "mood": "calm"}),
        json!({"schema": "tipseal/tip/v1", "worksite": {"sector": "spaceflight"}}),
        json!({"schema": "tipseal/tip/v1", "workers": {"passports_held_by_others": "yes"}}),
    ];
    for doc in &bad {
        assert!(!tip.is_valid(doc), "{doc}");
        assert!(TipDocument::from_json(doc.to_string().as_bytes()).is_err());
    }
    let null_list = json!({"format": "tipseal/sealed-tip/v1", "tip": ok, "attachments": null});
    assert!(!sealed.is_valid(&null_list));
    assert!(SealedTip::from_json(null_list.to_string().as_bytes()).is_err());
    // A byte-order mark is not JSON (RFC 8259 §8.1): a strict parser refuses the bytes
    // before any schema is consulted, and so does tipseal's.
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend(ok.to_string().as_bytes());
    assert!(serde_json::from_slice::<Value>(&bom).is_err());
    assert!(TipDocument::from_json(&bom).is_err());
}

/// Every field of every sample set to values of every kind: the schema accepts exactly
/// what the strict parser accepts.
#[test]
fn the_schema_and_the_strict_parser_agree() {
    let tip = validator(&tip_schema());
    let values = field_values();
    let mut checked = 0;
    for (name, doc) in samples() {
        let mut paths = Vec::new();
        leaf_paths(&doc, String::new(), &mut paths);
        for path in &paths {
            for v in &values {
                let mut d = doc.clone();
                *d.pointer_mut(path).unwrap() = v.clone();
                let strict = TipDocument::from_json(d.to_string().as_bytes()).is_ok();
                assert_eq!(tip.is_valid(&d), strict, "{name}: {path} = {v}");
                checked += 1;
            }
        }
    }
    assert!(checked > 1000);
}

/// Values of every kind, set in turn on every field of every sample.
fn field_values() -> Vec<Value> {
    vec![
        json!(null),
        json!(true),
        json!("yes"),
        json!(0),
        json!(24),
        json!(25),
        json!(31),
        json!(1_000_001),
        json!(-1),
        json!(1.5),
        json!("KP"),
        json!("kp"),
        json!("2024"),
        json!("2024-02-29"),
        json!("2023-02-29"),
        json!("ko"),
        json!("zh-Hans"),
        json!("other"),
        json!("co_worker"),
        json!("line\nbreak"),
        json!("bell\u{7}"),
        json!("c1\u{85}"),
        json!("x".repeat(2001)),
        json!([]),
        json!(["other"]),
        json!(["boss"]),
        json!({}),
        json!({"lat": 1, "lon": 2}),
        json!({"lat": 91, "lon": 2}),
    ]
}

/// The sealed-tip wrappers of every sample with one field changed, and whether the strict
/// parser accepts each.
fn mutated_sealed_tips() -> Vec<(Value, bool)> {
    let mut out = Vec::new();
    for (_, doc) in samples() {
        let mut paths = Vec::new();
        leaf_paths(&doc, String::new(), &mut paths);
        for path in &paths {
            for v in field_values() {
                let mut d = doc.clone();
                *d.pointer_mut(path).unwrap() = v;
                let sealed = json!({"format": "tipseal/sealed-tip/v1", "tip": d});
                let ok = SealedTip::from_json(sealed.to_string().as_bytes()).is_ok();
                out.push((sealed, ok));
            }
        }
    }
    let file = json!({"part": 1, "name": "a.jpg", "media_type": "image/jpeg", "size": 1,
                      "blake2b": "ab".repeat(32)});
    let base = json!({"schema": "tipseal/tip/v1", "narrative": "x"});
    for extra in [
        json!({"attachments": [file.clone()]}),
        json!({"attachments": [file.clone(), {"part": 3}]}),
        json!({"attachments": [{"part": 1, "name": "..", "media_type": "image/jpeg", "size": 1, "blake2b": "ab".repeat(32)}]}),
        json!({"attachments": [{"part": 1, "name": "a.jpg", "media_type": "image", "size": 1, "blake2b": "ab".repeat(32)}]}),
        json!({"attachments": [{"part": 1, "name": "a.jpg", "media_type": "image/jpeg", "size": 1, "blake2b": "abc"}]}),
        json!({"attachments": null}),
        json!({"reply_to": {"box_pk": "A".repeat(43)}}),
        json!({"reply_to": {"box_pk": "A".repeat(44)}}),
        json!({"reply_to": null}),
        json!({"signed": true}),
    ] {
        let mut sealed = json!({"format": "tipseal/sealed-tip/v1", "tip": base.clone()});
        for (k, v) in extra.as_object().unwrap() {
            sealed[k] = v.clone();
        }
        let ok = SealedTip::from_json(sealed.to_string().as_bytes()).is_ok();
        out.push((sealed, ok));
    }
    out
}

/// The page's check (`web/static/tipcheck.js`, run by node) accepts exactly what the
/// strict parser accepts, on every mutated sample: one source of truth, two languages.
#[test]
fn the_page_s_check_and_the_strict_parser_agree() {
    let cases = mutated_sealed_tips();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("cases.json");
    let docs: Vec<&Value> = cases.iter().map(|(d, _)| d).collect();
    std::fs::write(&input, serde_json::to_vec(&docs).unwrap()).unwrap();
    let script = "import { readFileSync } from 'node:fs';\n\
                  import { checkSealedTip } from './web/static/tipcheck.js';\n\
                  const cases = JSON.parse(readFileSync(process.argv[1], 'utf8'));\n\
                  console.log(JSON.stringify(cases.map((c) => checkSealedTip(c).length === 0)));";
    let out = std::process::Command::new("node")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["--input-type=module", "-e", script])
        .arg(&input)
        .output()
        .expect("node runs (Node.js 20 or later, as for tests/js_interop.rs)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let page: Vec<bool> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(page.len(), cases.len());
    let differ: Vec<String> = cases
        .iter()
        .zip(&page)
        .filter(|((_, rust), js)| rust != *js)
        .map(|((doc, rust), _)| format!("rust {rust}: {doc}"))
        .collect();
    assert!(
        differ.is_empty(),
        "{} differ, e.g. {:?}",
        differ.len(),
        &differ[..differ.len().min(3)]
    );
    assert!(cases.iter().filter(|(_, ok)| *ok).count() > 100);
    assert!(cases.iter().filter(|(_, ok)| !*ok).count() > 100);
}

fn leaf_paths(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => m
            .iter()
            .for_each(|(k, x)| leaf_paths(x, format!("{at}/{k}"), out)),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .for_each(|(i, x)| leaf_paths(x, format!("{at}/{i}"), out)),
        _ => out.push(at),
    }
}

#[test]
fn the_date_pattern_is_the_parser_s_rule_for_every_day_of_every_month() {
    let tip = validator(&tip_schema());
    let mut dates = Vec::new();
    for y in [
        1899, 1900, 1904, 1999, 2000, 2023, 2024, 2100, 2104, 2199, 2200, 2201,
    ] {
        dates.push(format!("{y}"));
        for m in 0..=13 {
            dates.push(format!("{y}-{m:02}"));
            for d in 0..=32 {
                dates.push(format!("{y}-{m:02}-{d:02}"));
            }
        }
    }
    dates.extend(["24", "2024-1", "2024-01-1", "２０２４", "2024/01/01"].map(String::from));
    for date in dates {
        let doc = json!({"schema": "tipseal/tip/v1", "worksite": {"observed_from": date}});
        let strict = TipDocument::from_json(doc.to_string().as_bytes()).is_ok();
        assert_eq!(tip.is_valid(&doc), strict, "{date}");
    }
}

/// `web/static/tipcheck.js` knows a handful of keywords: a schema change that needs
/// another must teach the page's check too, not be silently ignored by it.
#[test]
fn the_schema_uses_only_keywords_the_page_s_check_knows() {
    const CHECKED: [&str; 16] = [
        "$ref",
        "anyOf",
        "not",
        "type",
        "const",
        "enum",
        "maxLength",
        "minLength",
        "pattern",
        "minimum",
        "maximum",
        "maxItems",
        "items",
        "required",
        "properties",
        "additionalProperties",
    ];
    const ANNOTATIONS: [&str; 7] = [
        "$schema",
        "$id",
        "$defs",
        "title",
        "description",
        "format",
        "default",
    ];
    fn walk(s: &Value, out: &mut Vec<String>) {
        let Value::Object(map) = s else { return };
        for (k, v) in map {
            if !CHECKED.contains(&k.as_str()) && !ANNOTATIONS.contains(&k.as_str()) {
                out.push(k.clone());
            }
            match (k.as_str(), v) {
                ("properties" | "$defs", Value::Object(named)) => {
                    named.values().for_each(|x| walk(x, out))
                }
                ("anyOf", Value::Array(xs)) => xs.iter().for_each(|x| walk(x, out)),
                ("items" | "not", x) => walk(x, out),
                _ => {}
            }
        }
    }
    let mut unknown = Vec::new();
    walk(&sealed_tip_schema(), &mut unknown);
    assert!(
        unknown.is_empty(),
        "keywords tipcheck.js does not check: {unknown:?}"
    );
    let page = repo("web/static/tipcheck.js");
    for k in CHECKED {
        assert!(
            page.contains(k.trim_start_matches('$')),
            "tipcheck.js handles {k}"
        );
    }
}
