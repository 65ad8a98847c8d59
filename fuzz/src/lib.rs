//! The bodies of the tipseal fuzz targets, as plain functions.
//!
//! Each `fuzz_targets/<name>.rs` is one line that hands libFuzzer's input to the function
//! of the same name here, so the exact same code also runs on stable Rust through
//! `cargo run --example replay` (over `tests/vectors/`, `tests/samples/` or any files).
//!
//! Every function must return normally for *any* input. A panic is a bug: either a
//! parser of untrusted bytes panicked, or one of the round-trip properties asserted
//! below does not hold.
#![forbid(unsafe_code)]

use std::sync::OnceLock;

use tipseal::crypto::envelope::{open, rewrap};
use tipseal::crypto::intake::IntakeSecretKey;
use tipseal::crypto::keyring::verify_chain;
use tipseal::domain::keyring::{KeyringFile, PublicKeyFile};
use tipseal::domain::tip::{SealedTip, TipDocument};
use tipseal::domain::{bundle, envelope, thread_batch, Epoch};

/// The TEST-ONLY intake secret of `tests/vectors/` (published on purpose; see
/// `tests/vectors/README.md`). Envelopes in the seed corpus are sealed to it, so the
/// fuzzer starts from inputs that get past the sealed-key step.
pub const TEST_ONLY_INTAKE_SECRET_HEX: &str =
    "27daff41f60b8d9563ce95f4f06f05e0768c732ca729d7f863c5b36826cb26f6";

/// A target body: `true` when the input was accepted (parsed, verified or opened), so
/// `replay` can show that the deep paths ran.
pub type Target = fn(&[u8]) -> bool;

/// Names of all targets, in the order `replay` runs them.
pub const TARGETS: &[(&str, Target)] = &[
    ("envelope_parse", envelope_parse),
    ("bundle_parse", bundle_parse),
    ("keyring_parse", keyring_parse),
    ("tip_parse", tip_parse),
    ("envelope_open", envelope_open),
    ("public_key_parse", public_key_parse),
    ("thread_batch_parse", thread_batch_parse),
];

fn test_intake_key() -> &'static IntakeSecretKey {
    static KEY: OnceLock<IntakeSecretKey> = OnceLock::new();
    KEY.get_or_init(|| {
        tipseal::crypto::init().expect("libsodium initialises");
        let hex = TEST_ONLY_INTAKE_SECRET_HEX.as_bytes();
        let bytes: Vec<u8> = hex
            .chunks(2)
            .map(|p| u8::from_str_radix(std::str::from_utf8(p).expect("ascii"), 16))
            .collect::<Result<_, _>>()
            .expect("valid hex");
        IntakeSecretKey::from_bytes(&bytes).expect("a 32-byte X25519 secret")
    })
}

/// `domain::envelope::parse`: never panics; what parses re-encodes to the same bytes.
pub fn envelope_parse(data: &[u8]) -> bool {
    let Ok(env) = envelope::parse(data) else {
        return false;
    };
    assert_eq!(env.bytes, data, "the envelope is the whole input");
    assert_eq!(env.bytes.len(), env.header.bucket.envelope_len());
    assert_eq!(
        &env.header.encode()[..],
        env.header_bytes,
        "header re-encodes"
    );
    assert_eq!(
        envelope::assemble(env.header_bytes, &env.wrap, env.body),
        data,
        "header ‖ wrap ‖ body rebuilds the input"
    );
    assert_eq!(env.chunks().count(), env.header.bucket.chunk_count());
    true
}

/// `domain::bundle::parse`: never panics; what parses re-encodes to the same bytes.
pub fn bundle_parse(data: &[u8]) -> bool {
    let Ok(b) = bundle::parse(data) else {
        return false;
    };
    let parts: Vec<&[u8]> = b.parts().iter().map(|p| p.bytes).collect();
    assert!(!parts.is_empty() && parts.len() <= bundle::MAX_PARTS);
    assert_eq!(bundle::encoded_len(&parts), data.len());
    assert_eq!(
        bundle::encode(&parts),
        data,
        "the bundle re-encodes exactly"
    );
    for p in b.parts() {
        assert_eq!(p.wrap.epoch, b.epoch(), "one epoch across all parts");
    }
    true
}

/// `domain::thread_batch::parse` (a server's batch of conversation entries): never
/// panics; the frames cover the whole input and re-frame to it byte for byte, in
/// increasing seq order.
pub fn thread_batch_parse(data: &[u8]) -> bool {
    let Ok(frames) = thread_batch::parse(data) else {
        return false;
    };
    let mut again = Vec::with_capacity(data.len());
    for f in &frames {
        again.extend_from_slice(&thread_batch::frame_header(f.seq, f.bytes.len() as u64));
        again.extend_from_slice(f.bytes);
    }
    assert_eq!(again, data, "the frames are the whole input");
    assert!(frames.windows(2).all(|w| w[0].seq < w[1].seq));
    true
}

/// `KeyringFile::from_json` then `verify_chain(&f, None)`: never panics; a verified
/// chain survives a JSON round trip.
pub fn keyring_parse(data: &[u8]) -> bool {
    let _ = tipseal::crypto::init();
    let Ok(file) = KeyringFile::from_json(data) else {
        return false;
    };
    let Ok(verified) = verify_chain(&file, None) else {
        return false;
    };
    let again = KeyringFile::from_json(&verified.to_json()).expect("a verified keyring reparses");
    verify_chain(&again, None).expect("a verified keyring re-verifies after a round trip");
    true
}

/// `TipDocument::from_json` and `SealedTip::from_json`: never panic; an accepted sealed
/// tip serializes to JSON that is accepted again.
pub fn tip_parse(data: &[u8]) -> bool {
    let doc = TipDocument::from_json(data).is_ok();
    let Ok(sealed) = SealedTip::from_json(data) else {
        return doc;
    };
    SealedTip::from_json(&sealed.to_json()).expect("an accepted sealed tip reparses");
    true
}

/// `crypto::envelope::open` with the fixed TEST-ONLY intake key: never panics. When it
/// opens, what it reports matches the header; a rewrap to the same key opens to the same
/// plaintext.
pub fn envelope_open(data: &[u8]) -> bool {
    let sk = test_intake_key();
    let opened = open(data, sk);
    let Ok(env) = envelope::parse(data) else {
        assert!(opened.is_err(), "what does not parse does not open");
        return false;
    };
    let rewrapped = rewrap(data, sk, Epoch::FIRST, &sk.public_key());
    let Ok(opened) = opened else {
        return false;
    };
    assert_eq!(opened.kind, env.header.kind);
    assert_eq!(opened.flags, env.header.flags);
    assert_eq!(opened.epoch, env.wrap.epoch);
    assert!(opened.plaintext.len() < env.header.bucket.len());
    let wrap = rewrapped.expect("an envelope that opens can be rewrapped");
    let again = open(&env.with_wrap(&wrap), sk).expect("the rewrapped envelope opens");
    assert_eq!(
        &again.plaintext[..],
        &opened.plaintext[..],
        "rewrap keeps the plaintext"
    );
    true
}

/// `PublicKeyFile::from_json`: never panics; what parses writes back to a file that
/// parses to the same identity, and decoding its keys never panics.
pub fn public_key_parse(data: &[u8]) -> bool {
    let Ok(p) = PublicKeyFile::from_json(data) else {
        return false;
    };
    let _ = tipseal::crypto::identity::PublicKeys::from_identity(&p);
    let again = PublicKeyFile::from_json(&PublicKeyFile::to_json(&p)).expect("round trip");
    assert_eq!(again, p);
    true
}
