//! Unit and property tests of sealing and opening, and the test vector generator.

use proptest::prelude::*;

use super::*;
use crate::crypto::intake;
use crate::domain::envelope::{
    self as structure, Bucket, CHUNK_LEN, CHUNK_OVERHEAD, HEADER_LEN, PREFIX_LEN,
};
use crate::domain::DomainError;

fn epoch(n: u32) -> Epoch {
    Epoch::new(n).unwrap()
}

fn keys() -> (IntakePublicKey, IntakeSecretKey) {
    crate::crypto::init().unwrap();
    intake::generate()
}

fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 31 % 251) as u8).collect()
}

/// Where the wrap's epoch label sits.
const EPOCH_BYTES: std::ops::Range<usize> = HEADER_LEN..HEADER_LEN + 4;

fn refused(result: Result<Opened, CryptoError>) -> bool {
    matches!(
        result,
        Err(CryptoError::DecryptionFailed) | Err(CryptoError::Domain(_))
    )
}

#[test]
fn every_kind_and_flag_round_trips() {
    let (pk, sk) = keys();
    for kind in [Kind::Tip, Kind::Attachment] {
        for flags in [Flags::NONE, Flags::SEALED_BY_SERVER] {
            let env = seal(b"{\"hello\":1}", kind, flags, epoch(3), &pk).unwrap();
            let opened = open(&env, &sk).unwrap();
            assert_eq!(opened.kind, kind);
            assert_eq!(opened.flags, flags);
            assert_eq!(opened.epoch, epoch(3));
            assert_eq!(&opened.plaintext[..], b"{\"hello\":1}");
        }
    }
}

#[test]
fn sizes_at_the_bucket_boundaries_round_trip_with_the_right_length() {
    let (pk, sk) = keys();
    for (n, bucket) in [
        (0, 16_384),
        (16_383, 16_384),
        (16_384, 65_536),
        (65_535, 65_536),
        (65_536, 262_144),
        (200 * 1024, 262_144),
    ] {
        let plain = pattern(n);
        let env = seal(&plain, Kind::Attachment, Flags::NONE, epoch(1), &pk).unwrap();
        let b = Bucket::from_u32(bucket).unwrap();
        assert_eq!(env.len(), b.envelope_len(), "plaintext of {n} bytes");
        assert_eq!(structure::parse(&env).unwrap().header.bucket, b);
        assert_eq!(&open(&env, &sk).unwrap().plaintext[..], &plain[..]);
    }
}

#[test]
fn a_plaintext_above_64_mib_is_too_large() {
    let (pk, _) = keys();
    let big = vec![0u8; structure::MAX_PLAINTEXT + 1];
    assert!(matches!(
        seal(&big, Kind::Attachment, Flags::NONE, epoch(1), &pk),
        Err(CryptoError::TooLarge)
    ));
}

#[test]
fn flipping_any_header_or_sealed_key_byte_is_refused() {
    let (pk, sk) = keys();
    let env = seal(b"tip", Kind::Tip, Flags::NONE, epoch(1), &pk).unwrap();
    for i in (0..HEADER_LEN).chain(EPOCH_BYTES.end..PREFIX_LEN) {
        let mut bad = env.clone();
        bad[i] ^= 0x01;
        assert!(refused(open(&bad, &sk)), "byte {i}");
    }
}

#[test]
fn the_epoch_label_is_an_unauthenticated_hint_that_reveals_nothing() {
    // The epoch only tells the reader which intake key to try; it sits outside the
    // associated data so a rewrap can replace the wrap. Relabelling a wrap does not let
    // anyone open it: the sealed key still needs the secret it was sealed to.
    let (pk, sk) = keys();
    let env = seal(b"tip", Kind::Tip, Flags::NONE, epoch(1), &pk).unwrap();
    let mut relabelled = env.clone();
    relabelled[EPOCH_BYTES].copy_from_slice(&9u32.to_be_bytes());
    assert_eq!(open(&relabelled, &sk).unwrap().epoch, epoch(9));
    let (_, epoch9_sk) = keys();
    assert!(matches!(
        open(&relabelled, &epoch9_sk),
        Err(CryptoError::DecryptionFailed)
    ));
}

#[test]
fn tampering_with_the_body_is_refused() {
    let (pk, sk) = keys();
    let env = seal(
        &pattern(200 * 1024),
        Kind::Attachment,
        Flags::NONE,
        epoch(1),
        &pk,
    )
    .unwrap();
    let chunk = CHUNK_LEN + CHUNK_OVERHEAD;

    let mut flipped = env.clone();
    flipped[PREFIX_LEN + chunk + 10] ^= 0x80;
    assert!(matches!(
        open(&flipped, &sk),
        Err(CryptoError::DecryptionFailed)
    ));

    let mut swapped = env.clone();
    let (a, b) = (PREFIX_LEN, PREFIX_LEN + chunk);
    let first = env[a..b].to_vec();
    swapped.copy_within(b..b + chunk, a);
    swapped[b..b + chunk].copy_from_slice(&first);
    assert!(matches!(
        open(&swapped, &sk),
        Err(CryptoError::DecryptionFailed)
    ));

    let dropped_last = &env[..env.len() - chunk];
    assert!(matches!(
        open(dropped_last, &sk),
        Err(CryptoError::Domain(_))
    ));

    let mut appended = env.clone();
    appended.extend_from_slice(&[0; 17]);
    assert!(matches!(open(&appended, &sk), Err(CryptoError::Domain(_))));
}

#[test]
fn the_wrong_intake_key_cannot_open() {
    let (pk, _) = keys();
    let (_, other) = keys();
    let env = seal(b"tip", Kind::Tip, Flags::NONE, epoch(1), &pk).unwrap();
    assert!(matches!(
        open(&env, &other),
        Err(CryptoError::DecryptionFailed)
    ));
}

#[test]
fn a_wrap_swapped_in_from_another_envelope_fails_the_key_commitment() {
    let (pk, sk) = keys();
    let a = seal(b"tip a", Kind::Tip, Flags::NONE, epoch(1), &pk).unwrap();
    let b = seal(b"tip b", Kind::Tip, Flags::NONE, epoch(1), &pk).unwrap();
    let mut mixed = a.clone();
    mixed[HEADER_LEN..PREFIX_LEN].copy_from_slice(&b[HEADER_LEN..PREFIX_LEN]);

    // The wrap itself opens (it is a valid sealed box to this key) …
    let env = structure::parse(&mixed).unwrap();
    assert!(sk.open(&env.wrap.sealed_key).is_ok());
    // … but the key inside is not the one the header commits to.
    assert!(ContentKey::unwrap_from(&env.header, &env.wrap, &sk).is_err());
    assert!(matches!(
        open(&mixed, &sk),
        Err(CryptoError::DecryptionFailed)
    ));
    assert!(rewrap(&mixed, &sk, epoch(2), &pk).is_err());
}

#[test]
fn a_rewrapped_envelope_opens_with_the_new_key_and_not_the_old() {
    let (old_pk, old_sk) = keys();
    let (new_pk, new_sk) = keys();
    let env = seal(b"old tip", Kind::Tip, Flags::NONE, epoch(1), &old_pk).unwrap();

    let wrap = rewrap(&env[..PREFIX_LEN], &old_sk, epoch(2), &new_pk).unwrap();
    let rewrapped = structure::parse(&env).unwrap().with_wrap(&wrap);

    let opened = open(&rewrapped, &new_sk).unwrap();
    assert_eq!(opened.epoch, epoch(2));
    assert_eq!(&opened.plaintext[..], b"old tip");
    assert!(matches!(
        open(&rewrapped, &old_sk),
        Err(CryptoError::DecryptionFailed)
    ));
    // The header and body are unchanged: only the wrap moved.
    assert_eq!(rewrapped[..HEADER_LEN], env[..HEADER_LEN]);
    assert_eq!(rewrapped[PREFIX_LEN..], env[PREFIX_LEN..]);
}

#[test]
fn rewrap_refuses_a_short_prefix_and_the_wrong_old_key() {
    let (pk, sk) = keys();
    let (_, other) = keys();
    let env = seal(b"x", Kind::Tip, Flags::NONE, epoch(1), &pk).unwrap();
    assert!(matches!(
        rewrap(&env[..PREFIX_LEN - 1], &sk, epoch(2), &pk),
        Err(CryptoError::Domain(DomainError::Envelope(_)))
    ));
    assert!(matches!(
        rewrap(&env, &other, epoch(2), &pk),
        Err(CryptoError::DecryptionFailed)
    ));
}

#[test]
fn a_stream_without_a_final_chunk_or_with_an_early_one_is_refused() {
    let (pk, sk) = keys();
    let key = ContentKey::generate();
    let wrap = WrapSection {
        epoch: epoch(1),
        sealed_key: key.seal_to(&pk),
    };
    let bucket = Bucket::from_u32(262_144).unwrap();
    let mut padded = pattern(bucket.len());
    padded[1000] = 0x80;
    padded[1001..].fill(0);
    let good = seal::encrypt_padded(
        &padded,
        bucket,
        Kind::Attachment,
        Flags::NONE,
        &key,
        &wrap,
        seal::standard_tag,
    )
    .unwrap();
    assert_eq!(open(&good, &sk).unwrap().plaintext.len(), 1000);

    let never_final: fn(usize, usize) -> stream::Tag = |_, _| stream::Tag::Message;
    let push_last: fn(usize, usize) -> stream::Tag = |i, n| {
        if i + 1 == n {
            stream::Tag::Push
        } else {
            stream::Tag::Message
        }
    };
    for tags in [never_final, push_last] {
        let bad = seal::encrypt_padded(
            &padded,
            bucket,
            Kind::Attachment,
            Flags::NONE,
            &key,
            &wrap,
            tags,
        )
        .unwrap();
        assert!(matches!(
            open(&bad, &sk),
            Err(CryptoError::DecryptionFailed)
        ));
    }
    // libsodium's pusher refuses to go on after a FINAL, so an early FINAL cannot be made
    // here; `tests/interop.rs` crafts one with dryoc and checks that `open` refuses it.
    let early_final: fn(usize, usize) -> stream::Tag = |i, _| {
        if i == 0 {
            stream::Tag::Final
        } else {
            stream::Tag::Message
        }
    };
    assert!(seal::encrypt_padded(
        &padded,
        bucket,
        Kind::Attachment,
        Flags::NONE,
        &key,
        &wrap,
        early_final
    )
    .is_err());
}

#[test]
fn bad_padding_is_refused_as_decryption_failed() {
    let (pk, sk) = keys();
    let key = ContentKey::generate();
    let wrap = WrapSection {
        epoch: epoch(1),
        sealed_key: key.seal_to(&pk),
    };
    let bucket = Bucket::from_u32(16_384).unwrap();
    for padded in [vec![0u8; bucket.len()], vec![0x55; bucket.len()]] {
        let env = seal::encrypt_padded(
            &padded,
            bucket,
            Kind::Tip,
            Flags::NONE,
            &key,
            &wrap,
            seal::standard_tag,
        )
        .unwrap();
        assert!(matches!(
            open(&env, &sk),
            Err(CryptoError::DecryptionFailed)
        ));
    }
}

#[test]
fn debug_output_never_shows_the_plaintext() {
    let (pk, sk) = keys();
    let env = seal(
        b"SECRET-WITNESS-NAME",
        Kind::Tip,
        Flags::NONE,
        epoch(1),
        &pk,
    )
    .unwrap();
    let opened = open(&env, &sk).unwrap();
    let shown = format!("{opened:?} {sk:?}");
    assert!(!shown.contains("SECRET"), "{shown}");
    assert!(shown.contains("<19 bytes>"), "{shown}");
    assert!(!shown.contains(&format!("{:?}", &sk.to_bytes()[..4])));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(6))]

    #[test]
    fn any_plaintext_round_trips(plain in proptest::collection::vec(any::<u8>(), 0..300 * 1024)) {
        let (pk, sk) = keys();
        let env = seal(&plain, Kind::Attachment, Flags::NONE, epoch(1), &pk).unwrap();
        prop_assert_eq!(&open(&env, &sk).unwrap().plaintext[..], &plain[..]);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_single_bit_flip_outside_the_epoch_label_fails_to_open(
        bit in 0usize..(16_384 + 152 + 17) * 8
    ) {
        prop_assume!(!EPOCH_BYTES.contains(&(bit / 8)));
        let (pk, sk) = keys();
        let mut env = seal(b"short tip", Kind::Tip, Flags::SEALED_BY_SERVER, epoch(7), &pk).unwrap();
        env[bit / 8] ^= 1 << (bit % 8);
        prop_assert!(refused(open(&env, &sk)));
    }
}

/// Writes the files under `tests/vectors/` (see its README). Run by hand when the format
/// changes: `cargo test --lib generate_test_vectors -- --ignored`. The intake key it
/// makes is a throwaway TEST-ONLY key; nothing real is ever sealed to it.
#[test]
#[ignore]
fn generate_test_vectors() {
    use std::fs;

    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors");
    fs::create_dir_all(&dir).unwrap();
    let write = |name: &str, bytes: &[u8]| fs::write(dir.join(name), bytes).unwrap();

    let (pk, sk) = keys();
    write(
        "TEST-ONLY-intake-secret.hex",
        format!("{}\n", hex::encode(&sk.to_bytes()[..])).as_bytes(),
    );

    let note = b"TEST VECTOR - an attachment";
    let tip_json = format!(
        concat!(
            r#"{{"format":"tipseal/sealed-tip/v1","tip":{{"free_text":"TEST VECTOR - not a real tip"}},"#,
            r#""attachments":[{{"part":1,"name":"note.txt","media_type":"text/plain","size":{},"blake2b":"{}"}}]}}"#
        ),
        note.len(),
        hex::encode(crate::crypto::hash32(note, &[])),
    );
    let tip_json = tip_json.as_bytes();
    let big = pattern(70_000);
    let e1 = epoch(1);

    let tip = seal(tip_json, Kind::Tip, Flags::NONE, e1, &pk).unwrap();
    let small = seal(note, Kind::Attachment, Flags::NONE, e1, &pk).unwrap();
    let multi = seal(&big, Kind::Attachment, Flags::NONE, e1, &pk).unwrap();
    write("good-tip.tsev", &tip);
    write("good-tip.plaintext", tip_json);
    write("good-attachment-small.tsev", &small);
    write("good-attachment-small.plaintext", note);
    write("good-attachment-multichunk.tsev", &multi);
    write("good-attachment-multichunk.plaintext", &big);
    write(
        "good-bundle.tsbn",
        &crate::domain::bundle::encode(&[&tip, &small]),
    );

    // Structural defects, each a one-field change of the good tip.
    let patched = |name: &str, at: usize, bytes: &[u8]| {
        let mut b = tip.clone();
        b[at..at + bytes.len()].copy_from_slice(bytes);
        write(name, &b);
    };
    patched("bad-magic.tsev", 0, b"TSEW");
    patched("unsupported-version.tsev", 4, &[0x02]);
    patched("unknown-kind.tsev", 5, &[0xFF]);
    patched("unknown-flag-bits.tsev", 6, &[0x02]);
    patched("reserved-nonzero.tsev", 7, &[0x01]);
    patched("bad-bucket.tsev", 8, &16_385u32.to_be_bytes());
    patched("epoch-zero.tsev", 68, &[0, 0, 0, 0]);
    write("truncated.tsev", &tip[..tip.len() - 1]);
    write("trailing-bytes.tsev", &[&tip[..], &[0u8]].concat());

    // Well-formed structure, refused by `open` as DecryptionFailed.
    let mut bad_commitment = tip.clone();
    bad_commitment[12] ^= 0x01;
    write("bad-commitment.tsev", &bad_commitment);

    let other = seal(tip_json, Kind::Tip, Flags::NONE, e1, &pk).unwrap();
    let mut swapped_wrap = tip.clone();
    swapped_wrap[HEADER_LEN..PREFIX_LEN].copy_from_slice(&other[HEADER_LEN..PREFIX_LEN]);
    write("swapped-wrap.tsev", &swapped_wrap);

    let mut flipped = tip.clone();
    flipped[PREFIX_LEN + 100] ^= 0x01;
    write("flipped-body-bit.tsev", &flipped);

    let key = ContentKey::generate();
    let wrap = WrapSection {
        epoch: e1,
        sealed_key: key.seal_to(&pk),
    };
    let bucket = Bucket::from_u32(16_384).unwrap();
    let mut padded = vec![0u8; bucket.len()];
    padded[..tip_json.len()].copy_from_slice(tip_json);
    padded[tip_json.len()] = 0x80;
    let craft = |padded: &[u8], tags: fn(usize, usize) -> stream::Tag| {
        seal::encrypt_padded(padded, bucket, Kind::Tip, Flags::NONE, &key, &wrap, tags).unwrap()
    };
    write(
        "no-final.tsev",
        &craft(&padded, |_, _| stream::Tag::Message),
    );
    write(
        "last-chunk-push.tsev",
        &craft(&padded, |_, _| stream::Tag::Push),
    );
    let mut unpadded = padded.clone();
    unpadded[tip_json.len()] = 0x00;
    write("bad-padding.tsev", &craft(&unpadded, seal::standard_tag));

    // Bundles.
    let b = |parts: &[&[u8]]| crate::domain::bundle::encode(parts);
    write("bundle-attachment-first.tsbn", &b(&[&small, &tip]));
    let mut relabelled = small.clone();
    relabelled[EPOCH_BYTES].copy_from_slice(&2u32.to_be_bytes());
    write("bundle-mixed-epochs.tsbn", &b(&[&tip, &relabelled]));
    write(
        "bundle-trailing-bytes.tsbn",
        &[&b(&[&tip])[..], &[0u8]].concat(),
    );
    let mut bad_magic = b(&[&tip]);
    bad_magic[3] = b'X';
    write("bundle-bad-magic.tsbn", &bad_magic);
}
