//! The key file, keyring and login formats, read by a second implementation (`dryoc`)
//! working only from `docs/architecture.md` and the key file layout documented in
//! `crypto::keyfile`: proof that a client could be written without sodiumoxide, and that
//! swapping the library later is a drop-in.

use std::path::Path;

use dryoc::classic::crypto_box::crypto_box_seal_open;
use dryoc::classic::crypto_core::crypto_scalarmult_base;
use dryoc::classic::crypto_generichash::crypto_generichash;
use dryoc::classic::crypto_pwhash::{crypto_pwhash, PasswordHashAlgorithm};
use dryoc::classic::crypto_secretbox::crypto_secretbox_open_easy;
use dryoc::classic::crypto_sign::{crypto_sign_seed_keypair, crypto_sign_verify_detached};
use serde_json::Value;
use tipseal::crypto::auth::{sign_login, Challenge};
use tipseal::crypto::identity::Identity;
use tipseal::crypto::keyfile::{public_path, write_identity, KdfStrength, Passphrase};
use tipseal::crypto::keyring::{add_reviewer, genesis, verify_chain};
use tipseal::crypto::{b64_decode, init};
use tipseal::domain::keyring::PersonName;

const PASS: &str = "a passphrase for the compatibility test";

fn b64(v: &Value) -> Vec<u8> {
    b64_decode(v.as_str().unwrap()).unwrap()
}

fn json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// What an independent client recovers from a key file.
struct Recovered {
    sign_pk: [u8; 32],
    box_pk: [u8; 32],
    box_sk: [u8; 32],
}

/// Opens a tipseal secret key file with dryoc alone.
fn open_with_dryoc(path: &Path) -> Recovered {
    let f = json(path);
    assert_eq!(f["kdf"], "argon2id13");
    let mut key = [0u8; 32];
    crypto_pwhash(
        &mut key,
        PASS.as_bytes(),
        &b64(&f["salt"]),
        f["opslimit"].as_u64().unwrap(),
        f["memlimit"].as_u64().unwrap() as usize,
        PasswordHashAlgorithm::Argon2id13,
    )
    .unwrap();
    let ct = b64(&f["ciphertext"]);
    let nonce: [u8; 24] = b64(&f["nonce"]).try_into().unwrap();
    let mut plain = vec![0u8; ct.len() - 16];
    crypto_secretbox_open_easy(&mut plain, &ct, &nonce, &key).unwrap();
    // seed(32) || box secret(32) || key id(16) || name
    let seed: [u8; 32] = plain[..32].try_into().unwrap();
    let box_sk: [u8; 32] = plain[32..64].try_into().unwrap();
    assert_eq!(hex::encode(&plain[64..80]), f["id"].as_str().unwrap());
    assert_eq!(&plain[80..], f["name"].as_str().unwrap().as_bytes());
    let (sign_pk, _) = crypto_sign_seed_keypair(&seed);
    let mut box_pk = [0u8; 32];
    crypto_scalarmult_base(&mut box_pk, &box_sk);
    Recovered {
        sign_pk,
        box_pk,
        box_sk,
    }
}

fn key_id_with_dryoc(sign_pk: &[u8], box_pk: &[u8]) -> String {
    let mut h = [0u8; 32];
    let input = [b"tipseal/key-id/v1".as_slice(), sign_pk, box_pk].concat();
    crypto_generichash(&mut h, &input, None).unwrap();
    hex::encode(&h[..16])
}

#[test]
fn an_independent_client_reads_key_files_keyrings_and_grants() {
    init().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let pass = Passphrase::new(PASS.into());
    let ada = Identity::generate(PersonName::parse("Ada").unwrap());
    let rui = Identity::generate(PersonName::parse("Rui").unwrap());
    let (ada_path, rui_path) = (dir.path().join("ada"), dir.path().join("rui"));
    write_identity(&ada_path, &ada, &pass, KdfStrength::Interactive).unwrap();
    write_identity(&rui_path, &rui, &pass, KdfStrength::Interactive).unwrap();

    // Key files: the secrets come back and the key id is what the .pub says.
    let ada_keys = open_with_dryoc(&ada_path);
    let rui_keys = open_with_dryoc(&rui_path);
    let ada_pub = json(&public_path(&ada_path));
    assert_eq!(ada_keys.sign_pk.to_vec(), b64(&ada_pub["sign_pk"]));
    assert_eq!(ada_keys.box_pk.to_vec(), b64(&ada_pub["box_pk"]));
    assert_eq!(
        key_id_with_dryoc(&ada_keys.sign_pk, &ada_keys.box_pk),
        ada_pub["id"]
    );

    // Keyring: each manifest signature verifies; the grant opens to the intake key.
    let v1 = verify_chain(&genesis(&ada, 30).unwrap(), None).unwrap();
    let file = add_reviewer(&v1, &ada, rui.public(), 30).unwrap();
    let mut prev_hash: Option<String> = None;
    for m in &file.manifests {
        let body = b64_decode(&m.body).unwrap();
        let msg = [b"tipseal/keyring/v1\0".as_slice(), &body].concat();
        let sig: [u8; 64] = b64_decode(&m.signatures[0].signature)
            .unwrap()
            .try_into()
            .unwrap();
        crypto_sign_verify_detached(&sig, &msg, &ada_keys.sign_pk).unwrap();
        let manifest: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(manifest["prev"].as_str().map(str::to_owned), prev_hash);
        let mut h = [0u8; 32];
        let input = [b"tipseal/manifest-hash/v1\0".as_slice(), &body].concat();
        crypto_generichash(&mut h, &input, None).unwrap();
        prev_hash = Some(hex::encode(h));
    }
    let last: Value =
        serde_json::from_slice(&b64_decode(&file.manifests[1].body).unwrap()).unwrap();
    assert_eq!(last["grants"][0]["reviewer"], rui.key_id().to_string());
    let sealed = b64(&last["grants"][0]["sealed_secret"]);
    let mut intake_sk = [0u8; 32];
    crypto_box_seal_open(&mut intake_sk, &sealed, &rui_keys.box_pk, &rui_keys.box_sk).unwrap();
    let mut intake_pk = [0u8; 32];
    crypto_scalarmult_base(&mut intake_pk, &intake_sk);
    assert_eq!(intake_pk.to_vec(), b64(&last["intake_pk"]));

    // Login: the signature is over "tipseal/auth/v1\0" || challenge || raw key id.
    let challenge = Challenge::generate();
    let sig: [u8; 64] = b64_decode(&sign_login(&rui, challenge.as_bytes()))
        .unwrap()
        .try_into()
        .unwrap();
    let msg = [
        b"tipseal/auth/v1\0".as_slice(),
        challenge.as_bytes(),
        rui.key_id().as_bytes(),
    ]
    .concat();
    crypto_sign_verify_detached(&sig, &msg, &rui_keys.sign_pk).unwrap();
}
