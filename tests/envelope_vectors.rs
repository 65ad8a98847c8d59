//! The fixed Envelope v1 and bundle vectors under `tests/vectors/`: good ones open to
//! their expected plaintext; malformed ones are refused — structurally by
//! `domain::envelope::parse` / `domain::bundle::parse` with the named reason, or by
//! `crypto::envelope::open` with the one opaque `DecryptionFailed`.

use std::path::PathBuf;

use tipseal::crypto::envelope::open;
use tipseal::crypto::intake::IntakeSecretKey;
use tipseal::crypto::CryptoError;
use tipseal::domain::envelope::{self, Flags, Kind, CHUNK_LEN, CHUNK_OVERHEAD, PREFIX_LEN};
use tipseal::domain::{bundle, DomainError};

fn read(name: &str) -> Vec<u8> {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "tests", "vectors", name]
        .iter()
        .collect();
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn test_only_key() -> IntakeSecretKey {
    tipseal::crypto::init().unwrap();
    let hex_text = String::from_utf8(read("TEST-ONLY-intake-secret.hex")).unwrap();
    IntakeSecretKey::from_bytes(&hex::decode(hex_text.trim()).unwrap()).unwrap()
}

fn assert_decryption_fails(bytes: &[u8], name: &str) {
    assert!(
        envelope::parse(bytes).is_ok(),
        "{name} should be well-formed"
    );
    assert!(
        matches!(
            open(bytes, &test_only_key()),
            Err(CryptoError::DecryptionFailed)
        ),
        "{name} should fail to decrypt"
    );
}

#[test]
fn the_good_envelopes_open_to_their_expected_plaintext() {
    let key = test_only_key();
    for (name, kind) in [
        ("good-tip", Kind::Tip),
        ("good-attachment-small", Kind::Attachment),
        ("good-attachment-multichunk", Kind::Attachment),
    ] {
        let bytes = read(&format!("{name}.tsev"));
        let parsed = envelope::parse(&bytes).unwrap();
        assert_eq!(parsed.header.kind, kind, "{name}");
        let opened = open(&bytes, &key).unwrap();
        assert_eq!(opened.kind, kind);
        assert_eq!(opened.flags, Flags::NONE);
        assert_eq!(opened.epoch.get(), 1);
        assert_eq!(
            &opened.plaintext[..],
            &read(&format!("{name}.plaintext"))[..],
            "{name}"
        );
    }
}

#[test]
fn the_good_bundle_parses_and_every_part_opens() {
    let key = test_only_key();
    let bytes = read("good-bundle.tsbn");
    let b = bundle::parse(&bytes).unwrap();
    assert_eq!(b.parts().len(), 2);
    assert_eq!(b.epoch().get(), 1);
    assert_eq!(b.part_bytes(0).unwrap(), &read("good-tip.tsev")[..]);
    let tip = open(b.tip().bytes, &key).unwrap();
    assert_eq!(&tip.plaintext[..], &read("good-tip.plaintext")[..]);
    let att = open(b.attachments()[0].bytes, &key).unwrap();
    assert_eq!(
        &att.plaintext[..],
        &read("good-attachment-small.plaintext")[..]
    );
}

#[test]
fn structurally_malformed_envelopes_are_refused_with_the_named_reason() {
    let key = test_only_key();
    for (name, reason) in [
        ("bad-magic", "wrong magic bytes"),
        ("unsupported-version", "unsupported version"),
        ("unknown-kind", "unknown kind"),
        ("unknown-flag-bits", "unknown flag bits are set"),
        ("reserved-nonzero", "the reserved byte is not zero"),
        ("bad-bucket", "the size bucket is not an allowed size"),
        ("epoch-zero", "the key epoch is zero"),
        (
            "truncated",
            "length does not match the bucket (truncated or trailing bytes)",
        ),
        (
            "trailing-bytes",
            "length does not match the bucket (truncated or trailing bytes)",
        ),
    ] {
        let bytes = read(&format!("{name}.tsev"));
        assert_eq!(
            envelope::parse(&bytes),
            Err(DomainError::Envelope(reason)),
            "{name}"
        );
        assert!(
            matches!(
                open(&bytes, &key),
                Err(CryptoError::Domain(DomainError::Envelope(r))) if r == reason
            ),
            "{name}"
        );
    }
}

#[test]
fn well_formed_but_forged_envelopes_fail_to_decrypt_without_saying_why() {
    for name in [
        "bad-commitment",
        "swapped-wrap",
        "flipped-body-bit",
        "no-final",
        "last-chunk-push",
        "bad-padding",
    ] {
        assert_decryption_fails(&read(&format!("{name}.tsev")), name);
    }
}

#[test]
fn a_multichunk_envelope_with_swapped_or_missing_chunks_is_refused() {
    let good = read("good-attachment-multichunk.tsev");
    let chunk = CHUNK_LEN + CHUNK_OVERHEAD;

    let mut swapped = good.clone();
    let (a, b) = (PREFIX_LEN, PREFIX_LEN + chunk);
    swapped[a..b + chunk].rotate_left(chunk);
    assert_decryption_fails(&swapped, "chunks 0 and 1 swapped");

    let missing_last = &good[..good.len() - chunk];
    assert_eq!(
        envelope::parse(missing_last),
        Err(DomainError::Envelope(
            "length does not match the bucket (truncated or trailing bytes)"
        ))
    );
}

#[test]
fn malformed_bundles_are_refused_with_the_named_reason() {
    for (name, err) in [
        (
            "bundle-attachment-first",
            DomainError::Bundle("the first part must be a tip"),
        ),
        (
            "bundle-mixed-epochs",
            DomainError::Bundle("the parts carry different key epochs"),
        ),
        (
            "bundle-trailing-bytes",
            DomainError::Bundle("trailing bytes after the last part"),
        ),
        ("bundle-bad-magic", DomainError::Bundle("wrong magic bytes")),
    ] {
        assert_eq!(
            bundle::parse(&read(&format!("{name}.tsbn"))),
            Err(err),
            "{name}"
        );
    }
}
