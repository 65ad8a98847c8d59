//! The trust-anchor vectors shared with the page's JavaScript: keyring files with pins
//! and a day, and whether [`verify_chain`] + [`check_fresh`] accept them or why not.
//! Written by `cargo test --lib generate_keyring_vectors -- --ignored` into
//! `tests/vectors/keyring/trust-anchor.json` (and `cargo test --lib generate_quorum_vectors
//! -- --ignored` into `quorum.json`: k-of-m admin signatures); checked by `tests/keyring_vectors.rs` and
//! `web/test/keyring.test.mjs`.

use serde_json::{json, Value};

use super::*;
use crate::domain::keyring::{PersonName, Threshold};

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
        threshold: None,
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
            KeyringProblem::QuorumNotMet { .. } => "quorum_not_met",
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

/// `file` plus a next epoch listing `admins` with threshold `k`, signed by `signers`.
fn plus_admins(
    file: &KeyringFile,
    admins: &[&Identity],
    k: u32,
    signers: &[&Identity],
) -> KeyringFile {
    let v = verify_chain(file, None).unwrap();
    let people = NextPeople {
        admins: admins.iter().map(|a| a.public()).collect(),
        threshold: (k > 1).then(|| Threshold::new(k).unwrap()),
        reviewers: v.current().reviewers.clone(),
    };
    let expires = Day::from_days(20_090);
    let m = unsigned_next(&v, people, Day::from_days(20_000), expires).unwrap();
    with_signatures(file, &m, signers)
}

/// `file` plus manifest `m` signed by each of `signers`, with no checks.
fn with_signatures(file: &KeyringFile, m: &Manifest, signers: &[&Identity]) -> KeyringFile {
    let mut signed = sign_manifest(signers[0], m);
    for s in &signers[1..] {
        signed.signatures.extend(sign_manifest(s, m).signatures);
    }
    let mut out = file.clone();
    out.manifests.push(signed);
    out
}

#[test]
#[ignore]
fn generate_quorum_vectors() {
    let (ada, bo, cy, dan, eve) = (
        person("Ada"),
        person("Bo"),
        person("Cy"),
        person("Dan"),
        person("Eve"),
    );
    let expires = Day::from_days(20_090);
    let g = genesis_of(&[&ada], &[&ada], expires);
    // Epoch 2 (Ada alone may sign): Ada, Bo and Cy, 2 of 3.
    let two_of_three = plus_admins(&g, &[&ada, &bo, &cy], 2, &[&ada]);
    let same = [&ada, &bo, &cy];
    let two_sigs = plus_admins(&two_of_three, &same, 2, &[&ada, &cy]);
    let one_sig = plus_admins(&two_of_three, &same, 2, &[&bo]);
    let mut twice = one_sig.clone();
    let dup = twice.manifests[2].signatures[0].clone();
    twice.manifests[2].signatures.push(dup);
    // Epoch 3 removes Cy; epoch 4 is signed by Ada and the removed Cy.
    let without_cy = plus_admins(&two_of_three, &[&ada, &bo], 2, &[&ada, &bo]);
    let removed_counts = plus_admins(&without_cy, &[&ada, &bo], 2, &[&ada, &cy]);
    let removed_ok = plus_admins(&without_cy, &[&ada, &bo], 2, &[&bo, &ada]);
    let takeover = plus_admins(&two_of_three, &[&dan, &eve], 2, &[&dan, &eve]);
    let handover = plus_admins(&two_of_three, &[&dan, &eve], 2, &[&bo, &cy]);
    let mut replayed = plus_admins(&two_of_three, &[&ada], 1, &[&ada]);
    replayed.manifests[2]
        .signatures
        .push(two_sigs.manifests[2].signatures[1].clone());
    let v2 = verify_chain(&two_of_three, None).unwrap();
    let mut too_high = unsigned_next(
        &v2,
        NextPeople {
            admins: vec![ada.public(), bo.public()],
            threshold: None,
            reviewers: Vec::new(),
        },
        Day::from_days(20_000),
        expires,
    )
    .unwrap();
    too_high.threshold = Some(Threshold::new(3).unwrap());
    let too_high = with_signatures(&two_of_three, &too_high, &[&ada, &bo]);

    let day = expires;
    let pinned = || pins(&[&ada]);
    let cases = vec![
        case(
            "quorum set up by the single admin (2 of 3 from epoch 2)",
            &two_of_three,
            pinned(),
            day,
            "accept",
        ),
        case(
            "2 of 3: two admins signed",
            &two_sigs,
            pinned(),
            day,
            "accept",
        ),
        case(
            "2 of 3: one admin signed",
            &one_sig,
            pinned(),
            day,
            "quorum_not_met",
        ),
        case(
            "2 of 3: one admin's signature twice",
            &twice,
            pinned(),
            day,
            "quorum_not_met",
        ),
        case(
            "a removed admin's signature does not count",
            &removed_counts,
            pinned(),
            day,
            "quorum_not_met",
        ),
        case(
            "after a removal, the remaining two sign",
            &removed_ok,
            pinned(),
            day,
            "accept",
        ),
        case(
            "new admin set signed only by the new admins",
            &takeover,
            pinned(),
            day,
            "bad_signature",
        ),
        case(
            "new admin set signed by the old quorum",
            &handover,
            pinned(),
            day,
            "accept",
        ),
        case(
            "a signature replayed from another manifest",
            &replayed,
            pinned(),
            day,
            "quorum_not_met",
        ),
        case(
            "threshold above the number of admins",
            &too_high,
            pinned(),
            day,
            "malformed",
        ),
    ];
    write_vectors(&cases, "quorum.json");
}

/// Checks each case against the Rust rule and writes them for both implementations.
fn write_vectors(cases: &[Value], name: &str) {
    for c in cases {
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
    std::fs::write(dir.join(name), bytes).unwrap();
}
