use super::*;
use proptest::prelude::*;

fn samples() -> Vec<(String, Vec<u8>)> {
    let mut dirs = vec![std::path::PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/samples"
    ))];
    dirs.push(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/samples").into());
    let mut out = Vec::new();
    for dir in dirs {
        if let Ok(rd) = std::fs::read_dir(&dir) {
            for e in rd.flatten() {
                let p = e.path();
                if p.extension().is_some_and(|x| x == "json") {
                    out.push((p.display().to_string(), std::fs::read(&p).unwrap()));
                }
            }
        }
    }
    out
}

#[test]
fn every_sample_is_accepted_as_it_is_and_round_trips() {
    let all = samples();
    assert!(all.len() >= 7, "expected the seven shared samples");
    for (name, bytes) in all {
        let doc = TipDocument::from_json(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(doc.has_content(), "{name}");
        let back = serde_json::to_value(&doc).unwrap();
        let orig: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(back, orig, "{name} changed in a round trip");
    }
}

#[test]
fn a_document_with_only_the_schema_tag_is_empty() {
    let doc = TipDocument::from_json(br#"{"schema":"tipseal/tip/v1"}"#).unwrap();
    assert!(!doc.has_content());
    assert!(SealedTip::new(doc, vec![]).is_err());
}

#[test]
fn the_wrong_schema_and_unknown_fields_are_refused() {
    assert!(TipDocument::from_json(br#"{"schema":"other","narrative":"x"}"#).is_err());
    assert!(TipDocument::from_json(br#"{"schema":"tipseal/tip/v1","nartive":"x"}"#).is_err());
}

#[test]
fn bounded_fields_refuse_nonsense() {
    let bad = [
        r#"{"schema":"tipseal/tip/v1","workers":{"hours_per_day":25}}"#,
        r#"{"schema":"tipseal/tip/v1","worksite":{"country":"Russia"}}"#,
        r#"{"schema":"tipseal/tip/v1","worksite":{"observed_from":"2024-13"}}"#,
        r#"{"schema":"tipseal/tip/v1","worksite":{"sector":"spaceflight"}}"#,
        r#"{"schema":"tipseal/tip/v1","worksite":{"coordinates":{"lat":91,"lon":0}}}"#,
        r#"{"schema":"tipseal/tip/v1","narrative":"bell\u0007"}"#,
    ];
    for b in bad {
        assert!(TipDocument::from_json(b.as_bytes()).is_err(), "{b}");
    }
}

#[test]
fn file_names_cannot_escape_a_directory() {
    for bad in ["../x", "a/b", "..", "", "a\\b"] {
        assert!(FileName::parse(bad.to_owned()).is_err(), "{bad}");
    }
    let p = std::path::Path::new("/home/w/IMG 2024.jpg");
    assert_eq!(FileName::from_path_lossy(p).as_str(), "IMG 2024.jpg");
}

#[test]
fn debug_output_does_not_print_a_witness_s_words() {
    let t = LongText::parse("the minder took our passports".into()).unwrap();
    assert!(!format!("{t:?}").contains("passports"));
}

#[test]
fn attachments_must_be_numbered_in_order_with_a_hash() {
    let doc = TipDocument::from_json(br#"{"schema":"tipseal/tip/v1","narrative":"x"}"#).unwrap();
    let meta = |part| AttachmentMeta {
        part,
        name: FileName::parse("a.jpg".into()).unwrap(),
        media_type: MediaType::parse("image/jpeg".into()).unwrap(),
        size: 1,
        blake2b: "ab".repeat(32),
    };
    assert!(SealedTip::new(doc.clone(), vec![meta(1), meta(2)]).is_ok());
    assert!(SealedTip::new(doc, vec![meta(2)]).is_err());
}

proptest! {
    #[test]
    fn parsing_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = TipDocument::from_json(&bytes);
        let _ = SealedTip::from_json(&bytes);
    }

    #[test]
    fn any_narrative_without_control_characters_round_trips(text in "[^\\p{Cc}]{1,200}") {
        let json = serde_json::json!({"schema": TIP_SCHEMA, "narrative": text});
        let doc = TipDocument::from_json(json.to_string().as_bytes()).unwrap();
        prop_assert_eq!(serde_json::to_value(&doc).unwrap(), json);
    }
}
