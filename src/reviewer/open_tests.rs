use proptest::prelude::*;

use super::*;
use crate::crypto::envelope::seal;
use crate::crypto::intake;
use crate::domain::envelope::Flags;

/// Seals `plaintext` as a tip (and `files` as its attachments) and opens the bundle.
fn seal_and_open(plaintext: &[u8], files: &[&[u8]]) -> Result<OpenedTip, Error> {
    let (pk, sk) = intake::generate();
    let epoch = Epoch::new(1).unwrap();
    let mut parts = vec![seal(plaintext, Kind::Tip, Flags::NONE, epoch, &pk).unwrap()];
    for f in files {
        parts.push(seal(f, Kind::Attachment, Flags::NONE, epoch, &pk).unwrap());
    }
    let refs: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
    let id = TipId::from_bytes([7; 16]);
    open_bundle_with(id, &bundle::encode(&refs), |_| {
        Ok(IntakeSecretKey::from_bytes(&sk.to_bytes()[..]).unwrap())
    })
}

#[test]
fn a_tip_with_null_attachments_and_a_stray_field_opens_with_its_file_list_checked() {
    crate::crypto::init().unwrap();
    let doc = br#"{"format":"tipseal/sealed-tip/v1","tip":{"schema":"tipseal/tip/v1","narrative":"x","mood":"calm"},"attachments":null}"#;
    let t = seal_and_open(doc, &[]).unwrap();
    assert_eq!(t.received.warnings.len(), 2);
    // The list cannot vouch for a part it does not name: only that stays an error.
    assert!(seal_and_open(doc, &[b"a photo"]).is_err());
}

#[test]
fn a_follow_up_that_does_not_follow_its_format_is_shown_as_text() {
    let e = followup_as_received(b"{\"format\":\"tipseal/followup/v2\",\"message\":\"hi\\u0007\"}");
    assert!(e.message.as_str().starts_with("[Warning:"));
    assert!(e.message.as_str().contains("followup/v2"));
    let e = followup_as_received(&[0xFF, 0x07, b'x']);
    assert!(e.message.as_str().ends_with("\u{FFFD}\u{FFFD}x"));
    let long = vec![b'a'; 200_000];
    assert!(followup_as_received(&long).message.as_str().chars().count() <= LongText::MAX_CHARS);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_byte_string_sealed_as_a_tip_opens(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        crate::crypto::init().unwrap();
        let t = seal_and_open(&bytes, &[]);
        prop_assert!(t.is_ok(), "{:?}", t.err());
    }

    #[test]
    fn any_json_object_sealed_as_a_tip_opens(
        obj in proptest::collection::btree_map(
            prop_oneof![Just("tip".to_owned()), Just("format".to_owned()), Just("reply_to".to_owned()), ".{0,8}"],
            prop_oneof![Just(serde_json::Value::Null), any::<bool>().prop_map(serde_json::Value::from),
                        any::<i32>().prop_map(serde_json::Value::from), ".{0,30}".prop_map(serde_json::Value::from),
                        Just(serde_json::json!({"schema": "tipseal/tip/v1", "x": [1, "2"]}))],
            0..8),
    ) {
        crate::crypto::init().unwrap();
        let bytes = serde_json::to_vec(&obj).unwrap();
        let t = seal_and_open(&bytes, &[]);
        prop_assert!(t.is_ok(), "{:?}", t.err());
    }
}
