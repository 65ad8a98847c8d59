//! The trust-anchor vectors (`tests/vectors/keyring/trust-anchor.json`, made by
//! `cargo test --lib generate_keyring_vectors -- --ignored`): the Rust rule used by the
//! server and both command-line clients must give each case its expected outcome. The
//! page's JavaScript checks the same file in `web/test/keyring.test.mjs`. The k-of-m
//! admin quorum vectors (`quorum.json`, `generate_quorum_vectors`) are checked alike.

use tipseal::crypto::keyring::{check_fresh, verify_chain};
use tipseal::crypto::{init, CryptoError, KeyringProblem};
use tipseal::domain::keyring::KeyringFile;
use tipseal::domain::{Day, KeyId};

fn outcome(file: &KeyringFile, pins: &[KeyId], today: Day) -> &'static str {
    match verify_chain(file, Some(pins)).and_then(|v| check_fresh(&v, today)) {
        Ok(()) => "accept",
        Err(CryptoError::Keyring(KeyringProblem::BadSignature)) => "bad_signature",
        Err(CryptoError::Keyring(KeyringProblem::BrokenChain)) => "broken_chain",
        Err(CryptoError::Keyring(KeyringProblem::UnpinnedAdmin)) => "unpinned_admin",
        Err(CryptoError::Keyring(KeyringProblem::Expired)) => "expired",
        Err(CryptoError::Keyring(KeyringProblem::Malformed(_))) => "malformed",
        Err(CryptoError::Keyring(KeyringProblem::QuorumNotMet { .. })) => "quorum_not_met",
        Err(other) => panic!("not a verification outcome: {other:?}"),
    }
}

fn check_vectors(name: &str, at_least: usize) {
    init().unwrap();
    let path = format!(
        "{}/tests/vectors/keyring/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    assert_eq!(v["format"], "tipseal/keyring-vectors/v1");
    let cases = v["cases"].as_array().unwrap();
    assert!(cases.len() >= at_least, "the vectors cover every outcome");
    for c in cases {
        let file = KeyringFile::from_json(&serde_json::to_vec(&c["keyring"]).unwrap()).unwrap();
        let pins: Vec<KeyId> = c["pins"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| KeyId::parse(p["key_id"].as_str().unwrap()).unwrap())
            .collect();
        let today = Day::parse(c["today"].as_str().unwrap()).unwrap();
        assert_eq!(outcome(&file, &pins, today), c["expect"], "{}", c["name"]);
    }
}

#[test]
fn the_rust_trust_rule_gives_every_shared_vector_its_expected_outcome() {
    check_vectors("trust-anchor.json", 10);
}

#[test]
fn the_rust_quorum_rule_gives_every_shared_vector_its_expected_outcome() {
    check_vectors("quorum.json", 10);
}
