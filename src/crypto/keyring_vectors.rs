//! The trust-anchor vectors shared with the page's JavaScript: keyring files with pins
//! and a day, and whether [`verify_chain`] + [`check_fresh`] accept them or why not.
//! Written by `cargo test --lib generate_keyring_vectors -- --ignored` into
//! `tests/vectors/keyring/trust-anchor.json`; checked by `tests/keyring_vectors.rs` and
//! `web/test/keyring.test.mjs`.

use serde_json::{json, Value};

use super::*;
use crate::domain::keyring::PersonName;

fn person(name: &str) -> Identity {
    crate::crypto::init().unwrap();
    Identity::generate(PersonName::parse(name).unwrap())
}

/// A genesis listing `admins`, signed by each of `signers`.
fn genesis_of(admins: &[&Identity], signers: &[&Identity], expires: Day) -> KeyringFile {
    let m = Manifest {
        epoch: Epoch::FIRST,
        prev: None,
        issued: Day::from_days(20_000),
        expires,
        admins: admins.iter().map(|a| a.public()).collect(),
        reviewers: Vec::new(),
        intake_pk: b64_encode(intake::generate().0.as_bytes()),
        grants: Vec::new(),
    };
    let mut signed = sign_manifest(signers[0], &m);
    for s in &signers[1..] {
        signed.signatures.extend(sign_manifest(s, &m).signatures);
    }
    KeyringFile::new(vec![signed])
}

/// `file` plus an epoch signed by `admin` adding `reviewer`, valid until `expires`.
fn plus_reviewer(
    file: &KeyringFile,
    admin: &Identity,
    reviewer: &Identity,
    expires: Day,
) -> KeyringFile {
    let v = verify_chain(file, None).unwrap();
    let mut reviewers = v.current().reviewers.clone();
    reviewers.push(reviewer.public());
    next_epoch_between(&v, admin, reviewers, Day::from_days(20_000), expires).unwrap()
}

fn pins(who: &[&Identity]) -> Value {
    who.iter()
        .map(|p| {
            let i = p.public();
            json!({ "key_id": i.id, "sign_pk": i.sign_pk })
        })
        .collect()
}

fn case(name: &str, file: &KeyringFile, pinned: Value, today: Day, expect: &str) -> Value {
    let keyring: Value = serde_json::from_slice(&file.to_json()).unwrap();
    json!({ "name": name, "keyring": keyring, "pins": pinned, "today": today.to_string(), "expect": expect })
}

/// Why a case is refused, as the code both implementations use, or `accept`.
pub(super) fn outcome(file: &KeyringFile, pinned: &[KeyId], today: Day) -> String {
    let r = verify_chain(file, Some(pinned)).and_then(|v| check_fresh(&v, today));
    match r {
        Ok(()) => "accept".into(),
        Err(CryptoError::Keyring(p)) => match p {
            KeyringProblem::BadSignature => "bad_signature",
            KeyringProblem::BrokenChain => "broken_chain",
            KeyringProblem::UnpinnedAdmin => "unpinned_admin",
            KeyringProblem::Expired => "expired",
            KeyringProblem::Malformed(_) => "malformed",
            other => panic!("not a verification outcome: {other:?}"),
        }
        .into(),
        Err(other) => panic!("unexpected error {other:?}"),
    }
}

#[test]
#[ignore]
fn generate_keyring_vectors() {
    let (ada, bo, mallory, rui) = (
        person("Ada"),
        person("Bo"),
        person("Mallory"),
        person("Rui"),
    );
    let expires = Day::from_days(20_090);
    let last_day = expires;
    let after = expires.plus_days(1);

    let genuine = plus_reviewer(&genesis_of(&[&ada], &[&ada], expires), &ada, &rui, expires);
    let forged = plus_reviewer(
        &genesis_of(&[&ada, &mallory], &[&mallory], expires),
        &mallory,
        &rui,
        expires,
    );
    let cosigned = plus_reviewer(
        &genesis_of(&[&ada, &bo], &[&ada, &bo], expires),
        &bo,
        &rui,
        expires,
    );
    let mut tampered = genuine.clone();
    let mut body = b64_decode(&tampered.manifests[1].body).unwrap();
    let at = body.len() / 2;
    body[at] ^= 0x01;
    tampered.manifests[1].body = b64_encode(&body);
    let three = plus_reviewer(&genuine, &ada, &bo, expires);
    let mut gap = three.clone();
    gap.manifests.remove(1);

    let cases = vec![
        case(
            "genuine chain, pinned to its admin",
            &genuine,
            pins(&[&ada]),
            last_day,
            "accept",
        ),
        case(
            "genuine chain, expired yesterday",
            &genuine,
            pins(&[&ada]),
            after,
            "expired",
        ),
        case(
            "genuine chain, pinned to another admin",
            &genuine,
            pins(&[&mallory]),
            last_day,
            "unpinned_admin",
        ),
        case(
            "genuine chain, pinned to its admin and another",
            &genuine,
            pins(&[&ada, &mallory]),
            last_day,
            "unpinned_admin",
        ),
        case(
            "no pins at all",
            &genuine,
            pins(&[]),
            last_day,
            "unpinned_admin",
        ),
        case(
            "forged genesis listing the pinned admin, signed by the attacker",
            &forged,
            pins(&[&ada]),
            last_day,
            "unpinned_admin",
        ),
        case(
            "forged genesis, both admins pinned, signed by the attacker only",
            &forged,
            pins(&[&ada, &mallory]),
            last_day,
            "unpinned_admin",
        ),
        case(
            "genesis co-signed by both pinned admins",
            &cosigned,
            pins(&[&ada, &bo]),
            last_day,
            "accept",
        ),
        case(
            "genesis with two admins, only one pinned",
            &cosigned,
            pins(&[&ada]),
            last_day,
            "unpinned_admin",
        ),
        case(
            "a tampered epoch-2 body",
            &tampered,
            pins(&[&ada]),
            last_day,
            "bad_signature",
        ),
        case(
            "epoch 2 cut out of the chain",
            &gap,
            pins(&[&ada]),
            last_day,
            "broken_chain",
        ),
    ];
    for c in &cases {
        let file = KeyringFile::from_json(&serde_json::to_vec(&c["keyring"]).unwrap()).unwrap();
        let pinned: Vec<KeyId> = c["pins"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| KeyId::parse(p["key_id"].as_str().unwrap()).unwrap())
            .collect();
        let today = Day::parse(c["today"].as_str().unwrap()).unwrap();
        assert_eq!(outcome(&file, &pinned, today), c["expect"], "{}", c["name"]);
    }
    let out = json!({ "format": "tipseal/keyring-vectors/v1", "cases": cases });
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/keyring");
    std::fs::create_dir_all(&dir).unwrap();
    let mut bytes = serde_json::to_vec_pretty(&out).unwrap();
    bytes.push(b'\n');
    std::fs::write(dir.join("trust-anchor.json"), bytes).unwrap();
}
