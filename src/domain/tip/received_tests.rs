use proptest::prelude::*;
use serde_json::{json, Value};

use super::*;
use crate::domain::tip::fields::Shape;
use crate::domain::tip::schema::tip_schema;
use crate::domain::tip::TIP_SCHEMA;

fn samples() -> Vec<(String, Vec<u8>)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/samples");
    let mut out: Vec<_> = std::fs::read_dir(dir)
        .expect("tests/samples")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| (p.display().to_string(), std::fs::read(&p).unwrap()))
        .collect();
    out.sort();
    out
}

fn wrap(doc: Value) -> Vec<u8> {
    serde_json::to_vec(&json!({"format": SEALED_TIP_FORMAT, "tip": doc})).unwrap()
}

fn fields(r: &ReceivedTip) -> Vec<&str> {
    r.warnings.iter().map(|w| w.field.as_str()).collect()
}

#[test]
fn every_sample_opens_as_following_the_schema() {
    for (name, bytes) in samples() {
        let doc: Value = serde_json::from_slice(&bytes).unwrap();
        let r = ReceivedTip::from_plaintext(&wrap(doc.clone()));
        assert!(r.follows_schema(), "{name}: {:?}", r.warnings);
        assert_eq!(r.shown, Shown::Document(doc), "{name}");
        assert!(document_problems(&bytes).is_empty(), "{name}");
    }
}

#[test]
fn the_five_documents_the_server_accepted_open_with_a_warning_naming_the_field() {
    let base = || json!({"schema": TIP_SCHEMA, "narrative": "The minder took our passports."});
    // 1. An unknown field (a newer client's): kept and shown.
    let mut doc = base();
    doc["worksite"] = json!({"name": "Site 7", "floor": 12});
    let r = ReceivedTip::from_plaintext(&wrap(doc.clone()));
    assert_eq!(fields(&r), ["tip.worksite.floor"]);
    assert_eq!(r.shown, Shown::Document(doc));
    // 2. A value outside a closed list: shown as it is.
    let mut doc = base();
    doc["worksite"] = json!({"sector": "spaceflight"});
    let r = ReceivedTip::from_plaintext(&wrap(doc.clone()));
    assert_eq!(fields(&r), ["tip.worksite.sector"]);
    assert!(r.warnings[0].problem.contains("spaceflight"));
    assert_eq!(r.shown, Shown::Document(doc));
    // 3. "yes" for a boolean.
    let mut doc = base();
    doc["workers"] = json!({"passports_held_by_others": "yes", "count": 12});
    let r = ReceivedTip::from_plaintext(&wrap(doc.clone()));
    assert_eq!(fields(&r), ["tip.workers.passports_held_by_others"]);
    assert_eq!(r.shown, Shown::Document(doc));
    // 4. A byte-order mark before the JSON.
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend(wrap(base()));
    let r = ReceivedTip::from_plaintext(&bytes);
    assert_eq!(fields(&r), [""]);
    assert!(r.warnings[0].problem.contains("byte-order mark"));
    assert_eq!(r.shown, Shown::Document(base()));
    // 5. "attachments": null.
    let bytes = serde_json::to_vec(
        &json!({"format": SEALED_TIP_FORMAT, "tip": base(), "attachments": null}),
    )
    .unwrap();
    let r = ReceivedTip::from_plaintext(&bytes);
    assert_eq!(fields(&r), ["attachments"]);
    assert!(r.attachments.is_empty());
    // Each is one the strict parser refuses, so a sealing client refuses it too.
    assert!(SealedTip::from_json(&bytes).is_err());
}

#[test]
fn text_that_is_not_json_is_shown_as_text() {
    let r = ReceivedTip::from_plaintext(b"Site 7, north gate. The minder is called Kim.");
    assert_eq!(
        r.shown,
        Shown::Text("Site 7, north gate. The minder is called Kim.".into())
    );
    assert!(r.warnings[0].problem.contains("not JSON"));
    let r = ReceivedTip::from_plaintext(b"\xFF\xFEnot utf-8");
    assert!(matches!(r.shown, Shown::Text(ref t) if t.contains("not utf-8")));
    assert_eq!(r.warnings.len(), 2);
}

#[test]
fn a_bare_document_and_unknown_wrapper_fields_are_kept() {
    let doc = json!({"schema": TIP_SCHEMA, "narrative": "x"});
    let r = ReceivedTip::from_plaintext(&serde_json::to_vec(&doc).unwrap());
    assert_eq!(r.shown, Shown::Document(doc.clone()));
    assert_eq!(fields(&r), [""]);
    let bytes = serde_json::to_vec(
        &json!({"format": SEALED_TIP_FORMAT, "tip": doc, "signed_by_witness": {"sig": "abc"}}),
    )
    .unwrap();
    let r = ReceivedTip::from_plaintext(&bytes);
    assert_eq!(fields(&r), ["signed_by_witness"]);
    assert_eq!(r.other_fields["signed_by_witness"], json!({"sig": "abc"}));
}

#[test]
fn a_bad_attachment_name_is_replaced_but_its_hash_is_kept_for_the_check() {
    let bytes = serde_json::to_vec(&json!({
        "format": SEALED_TIP_FORMAT,
        "tip": {"schema": TIP_SCHEMA},
        "attachments": [{"part": 1, "name": "../../etc/passwd", "media_type": "image/jpeg",
                         "size": 3, "blake2b": "ab".repeat(32)}],
    }))
    .unwrap();
    let r = ReceivedTip::from_plaintext(&bytes);
    assert_eq!(fields(&r), ["attachments[0]"]);
    assert_eq!(r.attachments.len(), 1);
    assert_eq!(r.attachments[0].name.as_str(), "part-1");
    assert_eq!(r.attachments[0].blake2b, "ab".repeat(32));
}

#[test]
fn submit_names_every_field_it_refuses() {
    let bad = br#"{"schema":"tipseal/tip/v1","workers":{"count":"many"},"minders":[{"role":"boss"}],"x":1}"#;
    let names: Vec<String> = document_problems(bad)
        .into_iter()
        .map(|w| w.field)
        .collect();
    assert_eq!(names, ["workers.count", "minders[0].role", "x"]);
    assert!(document_problems(br#"{"narrative":"x"}"#)[0].field == "schema");
}

/// Every object of the document, in the published schema and in the field table.
#[test]
fn the_field_table_matches_the_schema() {
    let schema = tip_schema();
    let defs = &schema["$defs"];
    let resolve = |s: &Value| -> Value {
        let s = s
            .get("anyOf")
            .and_then(|a| a.as_array())
            .and_then(|a| a.iter().find(|x| x.get("$ref").is_some()))
            .unwrap_or(s);
        match s.get("$ref").and_then(Value::as_str) {
            Some(r) => defs[r.trim_start_matches("#/$defs/")].clone(),
            None => s.clone(),
        }
    };
    fn walk(schema: &Value, table: &[(&str, Shape)], resolve: &dyn Fn(&Value) -> Value) {
        let props = schema["properties"].as_object().expect("an object schema");
        let mut in_schema: Vec<&str> = props.keys().map(String::as_str).collect();
        let mut in_table: Vec<&str> = table.iter().map(|(n, _)| *n).collect();
        in_schema.sort();
        in_table.sort();
        assert_eq!(in_schema, in_table);
        for (name, shape) in table {
            let sub = resolve(&props[*name]);
            match shape {
                Shape::Object(t) => walk(&sub, t, resolve),
                Shape::List(Shape::Object(t)) => walk(&resolve(&sub["items"]), t, resolve),
                _ => {}
            }
        }
    }
    walk(&schema, DOCUMENT, &resolve);
}

/// Documents built from the samples with one field changed: the field table warns
/// exactly when the strict parser refuses.
#[test]
fn the_table_warns_exactly_when_the_strict_parser_refuses() {
    let changes = [
        json!(null),
        json!(true),
        json!("yes"),
        json!(25),
        json!(-1),
        json!(1.5),
        json!("KP"),
        json!("2024-02-30"),
        json!("other"),
        json!([]),
        json!(["other"]),
        json!({}),
        json!({"lat": 1, "lon": 2}),
    ];
    for (name, bytes) in samples() {
        let doc: Value = serde_json::from_slice(&bytes).unwrap();
        let mut paths = Vec::new();
        leaf_paths(&doc, &mut vec![], &mut paths);
        for path in paths {
            for change in &changes {
                let mut d = doc.clone();
                *pointer(&mut d, &path) = change.clone();
                let b = serde_json::to_vec(&d).unwrap();
                assert_eq!(
                    document_problems(&b).is_empty(),
                    TipDocument::from_json(&b).is_ok(),
                    "{name}: {path:?} = {change}"
                );
            }
        }
    }
}

fn leaf_paths(v: &Value, at: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    match v {
        Value::Object(m) => m.iter().for_each(|(k, x)| {
            at.push(k.clone());
            leaf_paths(x, at, out);
            at.pop();
        }),
        Value::Array(a) => a.iter().enumerate().for_each(|(i, x)| {
            at.push(i.to_string());
            leaf_paths(x, at, out);
            at.pop();
        }),
        _ => out.push(at.clone()),
    }
}

fn pointer<'a>(v: &'a mut Value, path: &[String]) -> &'a mut Value {
    let p: String = path.iter().map(|s| format!("/{s}")).collect();
    v.pointer_mut(&p).unwrap()
}

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        ".{0,20}".prop_map(Value::from),
        Just(json!(TIP_SCHEMA)),
    ];
    let key = prop_oneof![
        Just("schema".to_owned()),
        Just("tip".to_owned()),
        Just("format".to_owned()),
        Just("attachments".to_owned()),
        Just("reply_to".to_owned()),
        Just("worksite".to_owned()),
        Just("workers".to_owned()),
        Just("minders".to_owned()),
        Just("narrative".to_owned()),
        ".{0,8}",
    ];
    leaf.prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            proptest::collection::btree_map(key.clone(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn any_json_object_is_read_and_its_report_shown_unchanged(
        doc in proptest::collection::btree_map(".{0,8}", any_json(), 0..8),
        extra in proptest::collection::btree_map("[a-z]{1,6}", any_json(), 0..3),
    ) {
        let doc = Value::Object(doc.into_iter().collect());
        let mut wrapper = json!({"format": SEALED_TIP_FORMAT, "tip": doc.clone()});
        for (k, v) in extra {
            if !matches!(k.as_str(), "format" | "tip" | "attachments" | "reply_to") {
                wrapper[k] = v;
            }
        }
        let r = ReceivedTip::from_plaintext(&serde_json::to_vec(&wrapper).unwrap());
        prop_assert_eq!(&r.shown, &Shown::Document(doc));
        prop_assert_eq!(r.follows_schema(), SealedTip::from_json(&serde_json::to_vec(&wrapper).unwrap()).is_ok());
    }

    #[test]
    fn any_bytes_are_read_without_panicking(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let r = ReceivedTip::from_plaintext(&bytes);
        prop_assert!(!r.follows_schema() || SealedTip::from_json(&bytes).is_ok());
    }
}
