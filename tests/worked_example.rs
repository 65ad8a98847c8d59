//! `docs/worked-example.md`, regenerated: a tip sealed from fixed inputs (content key,
//! stream header, ephemeral key of the sealed box — every input printed in the doc,
//! the plaintext too) with a second implementation of the primitives (dryoc), compared
//! value by value with the doc, then opened by tipseal's own reader and read as a tip
//! that follows the schema. An independent client can reproduce it byte for byte.

use dryoc::classic::crypto_box::crypto_box_easy;
use dryoc::classic::crypto_core::crypto_scalarmult_base;
use dryoc::classic::crypto_generichash::crypto_generichash;
use dryoc::classic::crypto_secretstream_xchacha20poly1305 as ss;
use dryoc::constants::CRYPTO_SECRETSTREAM_XCHACHA20POLY1305_TAG_FINAL as TAG_FINAL;

use tipseal::crypto::envelope::open;
use tipseal::crypto::intake::IntakeSecretKey;
use tipseal::domain::envelope::Kind;
use tipseal::domain::tip::received::ReceivedTip;

const DOC: &str = "docs/worked-example.md";

fn hash(input: &[u8], key: Option<&[u8]>, len: usize) -> Vec<u8> {
    let mut out = vec![0u8; len];
    crypto_generichash(&mut out, input, key).unwrap();
    out
}

fn unhex(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}

/// The text of the doc's fenced block that starts with `tag`.
fn raw_block<'a>(doc: &'a str, tag: &str) -> &'a str {
    let start = doc
        .find(&format!("```{tag}\n"))
        .unwrap_or_else(|| panic!("no ```{tag} block"));
    let body = &doc[start + tag.len() + 4..];
    &body[..body.find("```").unwrap()]
}

/// The `name  value` lines of the doc's fenced block that starts with `tag`.
fn block(doc: &str, tag: &str) -> Vec<(String, String)> {
    raw_block(doc, tag)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let (k, v) = l.split_once(char::is_whitespace).unwrap();
            (k.to_owned(), v.trim().to_owned())
        })
        .collect()
}

fn get<'a>(lines: &'a [(String, String)], key: &str) -> &'a str {
    &lines
        .iter()
        .find(|(k, _)| k == key)
        .unwrap_or_else(|| panic!("{DOC}: no `{key}` line"))
        .1
}

#[test]
fn the_worked_example_in_the_docs_is_reproduced_byte_for_byte() {
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/worked-example.md"
    ))
    .unwrap();
    let input = block(&doc, "inputs");
    // The plaintext is the block's one line, without its line feed.
    let plaintext = raw_block(&doc, "plaintext")
        .trim_end_matches('\n')
        .as_bytes();
    assert!(!plaintext.contains(&b'\n'), "the plaintext is one line");

    let intake_sk: [u8; 32] = unhex(get(&input, "intake_secret")).try_into().unwrap();
    let content_key: [u8; 32] = unhex(get(&input, "content_key")).try_into().unwrap();
    let stream_header: [u8; 24] = unhex(get(&input, "stream_header")).try_into().unwrap();
    let eph_sk: [u8; 32] = unhex(get(&input, "ephemeral_secret")).try_into().unwrap();
    let epoch: u32 = get(&input, "epoch").parse().unwrap();

    let mut intake_pk = [0u8; 32];
    crypto_scalarmult_base(&mut intake_pk, &intake_sk);
    let mut eph_pk = [0u8; 32];
    crypto_scalarmult_base(&mut eph_pk, &eph_sk);

    // Padding to the 16384 bucket (the plaintext is shorter than 16383 bytes).
    let bucket = 16_384usize;
    assert!(plaintext.len() < bucket);
    let mut padded = plaintext.to_vec();
    padded.push(0x80);
    padded.resize(bucket, 0);

    let mut header = Vec::new();
    header.extend_from_slice(b"TSEV");
    header.extend_from_slice(&[0x01, 0x01, 0x00, 0x00]);
    header.extend_from_slice(&(bucket as u32).to_be_bytes());
    header.extend(hash(
        b"tipseal/envelope/v1 key commitment",
        Some(&content_key),
        32,
    ));
    header.extend_from_slice(&stream_header);
    let ad = hash(&header, None, 32);

    // crypto_box_seal with a fixed ephemeral key: nonce = BLAKE2b-192(epk ‖ pk),
    // output = epk ‖ crypto_box_easy(content key).
    let nonce: [u8; 24] = hash(&[eph_pk, intake_pk].concat(), None, 24)
        .try_into()
        .unwrap();
    let mut boxed = [0u8; 48];
    crypto_box_easy(&mut boxed, &content_key, &nonce, &intake_pk, &eph_sk).unwrap();
    let mut wrap = epoch.to_be_bytes().to_vec();
    wrap.extend_from_slice(&eph_pk);
    wrap.extend_from_slice(&boxed);

    // A push stream whose header is given: init_pull derives the same state as init_push.
    let mut state = ss::State::new();
    ss::crypto_secretstream_xchacha20poly1305_init_pull(&mut state, &stream_header, &content_key);
    let mut chunk = vec![0u8; bucket + 17];
    ss::crypto_secretstream_xchacha20poly1305_push(
        &mut state,
        &mut chunk,
        &padded,
        Some(&ad),
        TAG_FINAL,
    )
    .unwrap();

    let envelope = [header.clone(), wrap.clone(), chunk.clone()].concat();
    let mut bundle = b"TSBN\x01\x01".to_vec();
    bundle.extend_from_slice(&(envelope.len() as u32).to_be_bytes());
    bundle.extend_from_slice(&envelope);

    let computed = [
        ("intake_public", hex::encode(intake_pk)),
        ("plaintext_length", plaintext.len().to_string()),
        ("plaintext_blake2b", hex::encode(hash(plaintext, None, 32))),
        ("header", hex::encode(&header)),
        ("ad", hex::encode(&ad)),
        ("ephemeral_public", hex::encode(eph_pk)),
        ("box_nonce", hex::encode(nonce)),
        ("wrap", hex::encode(&wrap)),
        ("chunk0_first32", hex::encode(&chunk[..32])),
        ("chunk0_last17", hex::encode(&chunk[chunk.len() - 17..])),
        ("envelope_length", envelope.len().to_string()),
        ("envelope_blake2b", hex::encode(hash(&envelope, None, 32))),
        ("bundle_first10", hex::encode(&bundle[..10])),
        ("bundle_length", bundle.len().to_string()),
        ("bundle_blake2b", hex::encode(hash(&bundle, None, 32))),
    ];
    let expected = block(&doc, "outputs");
    let printed: String = computed
        .iter()
        .map(|(k, v)| format!("{k:<18} {v}\n"))
        .collect();
    for (k, v) in &computed {
        let in_doc = expected.iter().find(|(name, _)| name == k).map(|x| &x.1);
        assert_eq!(
            in_doc,
            Some(v),
            "{DOC}: `{k}` differs; the computed block is:\n{printed}"
        );
    }
    assert_eq!(expected.len(), computed.len(), "{printed}");

    // tipseal's own reader opens it, and the plaintext is a tip that follows the schema.
    tipseal::crypto::init().unwrap();
    let sk = IntakeSecretKey::from_bytes(&intake_sk).unwrap();
    let opened = open(&envelope, &sk).unwrap();
    assert_eq!(opened.kind, Kind::Tip);
    assert_eq!(&opened.plaintext[..], plaintext);
    let tip = ReceivedTip::from_plaintext(&opened.plaintext);
    assert!(tip.follows_schema(), "{:?}", tip.warnings);
    assert!(tip.reply_to.is_some());
}
