//! Wire compatibility of Envelope v1 with a second, pure-Rust implementation of the same
//! libsodium primitives (dryoc's `classic` API). Written from `docs/envelope.md` alone:
//! if these pass, a client built on any libsodium-compatible library can read and write
//! tipseal envelopes, and swapping sodiumoxide out is a drop-in change.

use dryoc::classic::crypto_box::{crypto_box_seal, crypto_box_seal_open};
use dryoc::classic::crypto_core::crypto_scalarmult_base;
use dryoc::classic::crypto_generichash::crypto_generichash;
use dryoc::classic::crypto_secretstream_xchacha20poly1305 as ss;
use dryoc::constants::{
    CRYPTO_SECRETSTREAM_XCHACHA20POLY1305_TAG_FINAL as TAG_FINAL,
    CRYPTO_SECRETSTREAM_XCHACHA20POLY1305_TAG_MESSAGE as TAG_MESSAGE,
};
use dryoc::rng::copy_randombytes;

use tipseal::crypto::envelope::{open, seal};
use tipseal::crypto::intake::{self, IntakePublicKey, IntakeSecretKey};
use tipseal::crypto::CryptoError;
use tipseal::domain::envelope::{Flags, Kind};
use tipseal::domain::Epoch;

const COMMITMENT_MESSAGE: &[u8] = b"tipseal/envelope/v1 key commitment";
const BUCKETS: [usize; 10] = [
    16_384, 65_536, 262_144, 1_048_576, 2_097_152, 4_194_304, 8_388_608, 16_777_216, 33_554_432,
    67_108_864,
];
const CHUNK: usize = 65_536;
const ABYTES: usize = 17;

fn keys() -> (IntakePublicKey, IntakeSecretKey) {
    tipseal::crypto::init().unwrap();
    intake::generate()
}

fn blake2b_256(input: &[u8], key: Option<&[u8]>) -> [u8; 32] {
    let mut out = [0u8; 32];
    crypto_generichash(&mut out, input, key).unwrap();
    out
}

fn be_u32(b: &[u8]) -> u32 {
    u32::from_be_bytes(b.try_into().unwrap())
}

/// An independent reader: every step from the spec, with dryoc primitives.
fn dryoc_open(env: &[u8], intake_secret: &[u8; 32]) -> Option<(u8, u8, u32, Vec<u8>)> {
    let header = &env[..68];
    if &header[..4] != b"TSEV" || header[4] != 1 || header[7] != 0 {
        return None;
    }
    let bucket = be_u32(&header[8..12]) as usize;
    if !BUCKETS.contains(&bucket) {
        return None;
    }
    let chunks = bucket.div_ceil(CHUNK);
    if env.len() != 152 + bucket + ABYTES * chunks {
        return None;
    }
    let epoch = be_u32(&env[68..72]);

    let mut intake_pk = [0u8; 32];
    crypto_scalarmult_base(&mut intake_pk, intake_secret);
    let mut content_key = [0u8; 32];
    crypto_box_seal_open(&mut content_key, &env[72..152], &intake_pk, intake_secret).ok()?;
    if blake2b_256(COMMITMENT_MESSAGE, Some(&content_key)) != header[12..44] {
        return None;
    }

    let ad = blake2b_256(header, None);
    let mut state = ss::State::new();
    let stream_header: ss::Header = header[44..68].try_into().unwrap();
    ss::crypto_secretstream_xchacha20poly1305_init_pull(&mut state, &stream_header, &content_key);
    let mut padded = Vec::with_capacity(bucket);
    for (i, c) in env[152..].chunks(CHUNK + ABYTES).enumerate() {
        let mut m = vec![0u8; c.len() - ABYTES];
        let mut tag = 0u8;
        ss::crypto_secretstream_xchacha20poly1305_pull(&mut state, &mut m, &mut tag, c, Some(&ad))
            .ok()?;
        let want = if i + 1 == chunks {
            TAG_FINAL
        } else {
            TAG_MESSAGE
        };
        if tag != want {
            return None;
        }
        padded.extend_from_slice(&m);
    }
    // ISO/IEC 7816-4: strip trailing zeros, then exactly one 0x80.
    let end = padded.iter().rposition(|&b| b != 0)?;
    if padded[end] != 0x80 {
        return None;
    }
    padded.truncate(end);
    Some((header[5], header[6], epoch, padded))
}

/// An independent writer. `tag_for(i, n)` picks each chunk's tag.
fn dryoc_seal(
    plaintext: &[u8],
    kind: u8,
    flags: u8,
    epoch: u32,
    intake_pk: &[u8; 32],
    tag_for: fn(usize, usize) -> u8,
) -> Vec<u8> {
    let bucket = *BUCKETS.iter().find(|&&b| plaintext.len() < b).unwrap();
    let mut padded = plaintext.to_vec();
    padded.push(0x80);
    padded.resize(bucket, 0);

    let mut content_key = [0u8; 32];
    copy_randombytes(&mut content_key);
    let mut state = ss::State::new();
    let mut stream_header = [0u8; 24];
    ss::crypto_secretstream_xchacha20poly1305_init_push(
        &mut state,
        &mut stream_header,
        &content_key,
    );

    let mut env = Vec::new();
    env.extend_from_slice(b"TSEV");
    env.extend_from_slice(&[1, kind, flags, 0]);
    env.extend_from_slice(&(bucket as u32).to_be_bytes());
    env.extend_from_slice(&blake2b_256(COMMITMENT_MESSAGE, Some(&content_key)));
    env.extend_from_slice(&stream_header);
    let ad = blake2b_256(&env[..68], None);

    env.extend_from_slice(&epoch.to_be_bytes());
    let mut sealed = [0u8; 80];
    crypto_box_seal(&mut sealed, &content_key, intake_pk).unwrap();
    env.extend_from_slice(&sealed);

    let n = bucket.div_ceil(CHUNK);
    for (i, m) in padded.chunks(CHUNK).enumerate() {
        let mut c = vec![0u8; m.len() + ABYTES];
        ss::crypto_secretstream_xchacha20poly1305_push(
            &mut state,
            &mut c,
            m,
            Some(&ad),
            tag_for(i, n),
        )
        .unwrap();
        env.extend_from_slice(&c);
    }
    env
}

fn standard_tags(i: usize, n: usize) -> u8 {
    if i + 1 == n {
        TAG_FINAL
    } else {
        TAG_MESSAGE
    }
}

#[test]
fn dryoc_opens_what_tipseal_seals() {
    let (pk, sk) = keys();
    for len in [0, 1, 16_383, 16_384, 200 * 1024] {
        let plain: Vec<u8> = (0..len).map(|i| (i % 241) as u8).collect();
        let epoch = Epoch::new(4).unwrap();
        let env = seal(
            &plain,
            Kind::Attachment,
            Flags::SEALED_BY_SERVER,
            epoch,
            &pk,
        )
        .unwrap();
        let (kind, flags, e, opened) = dryoc_open(&env, &sk.to_bytes()).expect("dryoc opens it");
        assert_eq!((kind, flags, e), (0x02, 0x01, 4), "len {len}");
        assert_eq!(opened, plain, "len {len}");
    }
}

#[test]
fn tipseal_opens_what_dryoc_seals() {
    let (pk, sk) = keys();
    for len in [0, 100, 65_535, 65_536, 150_000] {
        let plain: Vec<u8> = (0..len).map(|i| (i % 239) as u8).collect();
        let env = dryoc_seal(&plain, 0x01, 0x00, 2, pk.as_bytes(), standard_tags);
        let opened = open(&env, &sk).expect("tipseal opens it");
        assert_eq!(opened.kind, Kind::Tip);
        assert_eq!(opened.flags, Flags::NONE);
        assert_eq!(opened.epoch.get(), 2);
        assert_eq!(&opened.plaintext[..], &plain[..], "len {len}");
    }
}

#[test]
fn the_test_vector_opens_with_dryoc() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/");
    let env = std::fs::read(format!("{dir}good-tip.tsev")).unwrap();
    let hex_text = std::fs::read_to_string(format!("{dir}TEST-ONLY-intake-secret.hex")).unwrap();
    let sk: [u8; 32] = hex::decode(hex_text.trim()).unwrap().try_into().unwrap();
    let (_, _, _, plain) = dryoc_open(&env, &sk).unwrap();
    assert_eq!(
        plain,
        std::fs::read(format!("{dir}good-tip.plaintext")).unwrap()
    );
}

#[test]
fn an_early_or_missing_final_tag_is_refused() {
    let (pk, sk) = keys();
    let plain = vec![7u8; 100_000]; // bucket 262144: four chunks
    let early_final: fn(usize, usize) -> u8 = |i, _| if i == 1 { TAG_FINAL } else { TAG_MESSAGE };
    let never_final: fn(usize, usize) -> u8 = |_, _| TAG_MESSAGE;
    let all_final: fn(usize, usize) -> u8 = |_, _| TAG_FINAL;
    for tags in [early_final, never_final, all_final] {
        let env = dryoc_seal(&plain, 0x02, 0, 1, pk.as_bytes(), tags);
        assert!(matches!(
            open(&env, &sk),
            Err(CryptoError::DecryptionFailed)
        ));
    }
    let good = dryoc_seal(&plain, 0x02, 0, 1, pk.as_bytes(), standard_tags);
    assert_eq!(&open(&good, &sk).unwrap().plaintext[..], &plain[..]);
}
