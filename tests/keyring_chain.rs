//! The keyring chain as admins, reviewers and the server use it: building epochs,
//! verifying them, and refusing every way a chain can be wrong.

use tipseal::crypto::identity::Identity;
use tipseal::crypto::keyring::{
    add_reviewer, check_extends, genesis, intake_secret_for, next_epoch, revoke_reviewer, rotate,
    verify_chain, VerifiedKeyring,
};
use tipseal::crypto::{b64_decode, b64_encode, init, CryptoError, KeyringProblem};
use tipseal::domain::keyring::{KeyringFile, PersonName, Role};
use tipseal::domain::Epoch;

const DAYS: u32 = 365;

fn person(name: &str) -> Identity {
    init().unwrap();
    Identity::generate(PersonName::parse(name).unwrap())
}

fn verified(file: &KeyringFile) -> VerifiedKeyring {
    verify_chain(file, None).unwrap()
}

fn epoch(n: u32) -> Epoch {
    Epoch::new(n).unwrap()
}

fn problem(r: Result<VerifiedKeyring, CryptoError>) -> KeyringProblem {
    match r {
        Err(CryptoError::Keyring(p)) => p,
        other => panic!("expected a keyring problem, got {other:?}"),
    }
}

/// Epoch 1: Ada; 2: + Rui; 3: + Sara; 4: Rui revoked.
struct Team {
    ada: Identity,
    rui: Identity,
    sara: Identity,
    chain: Vec<VerifiedKeyring>,
}

fn team() -> Team {
    let (ada, rui, sara) = (person("Ada"), person("Rui"), person("Sara"));
    let v1 = verified(&genesis(&ada, DAYS).unwrap());
    let v2 = verified(&add_reviewer(&v1, &ada, rui.public(), DAYS).unwrap());
    let v3 = verified(&add_reviewer(&v2, &ada, sara.public(), DAYS).unwrap());
    let v4 = verified(&revoke_reviewer(&v3, &ada, "Rui", DAYS).unwrap());
    Team {
        ada,
        rui,
        sara,
        chain: vec![v1, v2, v3, v4],
    }
}

fn flip_body_byte(file: &mut KeyringFile, i: usize) {
    let mut body = b64_decode(&file.manifests[i].body).unwrap();
    let at = body.len() / 2;
    body[at] ^= 0x01;
    file.manifests[i].body = b64_encode(&body);
}

#[test]
fn a_chain_of_four_epochs_verifies_and_survives_json() {
    let t = team();
    let v4 = &t.chain[3];
    assert_eq!(v4.epoch(), epoch(4));
    assert_eq!(v4.role_of(t.ada.key_id()), Some(Role::Admin));
    assert_eq!(v4.role_of(t.sara.key_id()), Some(Role::Reviewer));
    assert_eq!(v4.role_of(t.rui.key_id()), None);
    assert!(v4.has_reviewers());
    assert!(!t.chain[0].has_reviewers());
    assert_eq!(
        v4.public_keys(t.sara.key_id()).unwrap().id(),
        t.sara.key_id()
    );
    let again = KeyringFile::from_json(&v4.to_json()).unwrap();
    let again = verify_chain(&again, Some(&[t.ada.key_id()])).unwrap();
    assert_eq!(again.manifest_hash(epoch(4)), v4.manifest_hash(epoch(4)));
    check_extends(&t.chain[1], v4).unwrap();
}

#[test]
fn a_flipped_byte_in_a_body_or_signature_is_a_bad_signature() {
    let t = team();
    let mut file = t.chain[3].file().clone();
    flip_body_byte(&mut file, 2);
    assert_eq!(
        problem(verify_chain(&file, None)),
        KeyringProblem::BadSignature
    );

    let mut file = t.chain[3].file().clone();
    let sig = &mut file.manifests[0].signatures[0].signature;
    let mut raw = b64_decode(sig).unwrap();
    raw[10] ^= 0x80;
    *sig = b64_encode(&raw);
    assert_eq!(
        problem(verify_chain(&file, None)),
        KeyringProblem::BadSignature
    );

    let mut file = t.chain[3].file().clone();
    file.manifests[1].signatures.clear();
    assert_eq!(
        problem(verify_chain(&file, None)),
        KeyringProblem::BadSignature
    );
}

#[test]
fn a_manifest_signed_by_someone_who_is_not_an_admin_is_refused() {
    let t = team();
    // Mallory runs her own chain and splices her signed epoch 2 into the team's.
    let mallory = person("Mallory");
    let m1 = verified(&genesis(&mallory, DAYS).unwrap());
    let m2 = rotate(&m1, &mallory, DAYS).unwrap();
    let mut file = t.chain[0].file().clone();
    file.manifests.push(m2.manifests[1].clone());
    assert_eq!(
        problem(verify_chain(&file, None)),
        KeyringProblem::BadSignature
    );
    // And the builder refuses a non-admin up front.
    let refused = next_epoch(&t.chain[3], &t.sara, vec![], DAYS).map(|f| verified(&f));
    assert_eq!(problem(refused), KeyringProblem::BadSignature);
}

#[test]
fn a_missing_epoch_or_a_wrong_prev_hash_breaks_the_chain() {
    let t = team();
    let mut file = t.chain[3].file().clone();
    file.manifests.remove(2);
    assert_eq!(
        problem(verify_chain(&file, None)),
        KeyringProblem::BrokenChain
    );

    let mut file = t.chain[3].file().clone();
    file.manifests.remove(0);
    assert!(verify_chain(&file, None).is_err());

    // Same admin, same epoch number, but `prev` points at a sibling manifest.
    let sibling = verified(&rotate(&t.chain[0], &t.ada, DAYS).unwrap());
    let sibling3 = rotate(&sibling, &t.ada, DAYS).unwrap();
    let mut file = t.chain[1].file().clone();
    file.manifests.push(sibling3.manifests[2].clone());
    assert_eq!(
        problem(verify_chain(&file, None)),
        KeyringProblem::BrokenChain
    );
}

#[test]
fn an_older_chain_is_stale_and_a_sibling_chain_is_a_fork() {
    let t = team();
    let stale = check_extends(&t.chain[3], &t.chain[2]).unwrap_err();
    assert!(matches!(
        stale,
        CryptoError::Keyring(KeyringProblem::StaleEpoch)
    ));
    let same = check_extends(&t.chain[3], &t.chain[3]).unwrap_err();
    assert!(matches!(
        same,
        CryptoError::Keyring(KeyringProblem::StaleEpoch)
    ));

    let sibling = verified(&rotate(&t.chain[1], &t.ada, DAYS).unwrap());
    let sibling = verified(&rotate(&sibling, &t.ada, DAYS).unwrap());
    assert_eq!(sibling.epoch(), epoch(4));
    let fork = check_extends(&t.chain[2], &sibling).unwrap_err();
    assert!(matches!(fork, CryptoError::Keyring(KeyringProblem::Fork)));
}

#[test]
fn a_server_pinned_to_other_admins_refuses_the_chain() {
    let t = team();
    let file = t.chain[3].file();
    let mallory = person("Mallory");
    assert!(verify_chain(file, Some(&[t.ada.key_id()])).is_ok());
    let r = verify_chain(file, Some(&[mallory.key_id()]));
    assert_eq!(problem(r), KeyringProblem::UnpinnedAdmin);
    let r = verify_chain(file, Some(&[t.ada.key_id(), mallory.key_id()]));
    assert_eq!(problem(r), KeyringProblem::UnpinnedAdmin);
}

#[test]
fn a_revoked_reviewer_has_no_grant_in_the_new_epoch_but_keeps_the_old_one() {
    let t = team();
    let v4 = &t.chain[3];
    assert!(v4.current().grant_for(t.rui.key_id()).is_none());
    assert!(matches!(
        intake_secret_for(v4, epoch(4), &t.rui),
        Err(CryptoError::DecryptionFailed)
    ));
    let old = intake_secret_for(v4, epoch(3), &t.rui).unwrap();
    assert_eq!(Some(&old.public_key()), v4.intake_public_key_of(epoch(3)));
}

#[test]
fn a_current_reviewer_opens_the_grants_of_every_epoch_they_were_in() {
    let t = team();
    let v4 = &t.chain[3];
    for n in [3, 4] {
        let secret = intake_secret_for(v4, epoch(n), &t.sara).unwrap();
        let sealed = v4
            .intake_public_key_of(epoch(n))
            .unwrap()
            .seal(b"content key");
        assert_eq!(&secret.open(&sealed).unwrap()[..], b"content key");
    }
    assert!(intake_secret_for(v4, epoch(2), &t.sara).is_err());
    assert!(intake_secret_for(v4, epoch(9), &t.sara).is_err());
    assert_eq!(
        v4.intake_public_key(),
        v4.intake_public_key_of(epoch(4)).unwrap().clone()
    );
}

#[test]
fn nobody_holds_the_genesis_intake_secret_and_admins_get_no_grants() {
    let t = team();
    assert!(intake_secret_for(&t.chain[3], epoch(1), &t.ada).is_err());
    assert!(intake_secret_for(&t.chain[3], epoch(4), &t.ada).is_err());
}

#[test]
fn rotation_keeps_the_people_and_changes_the_intake_key() {
    let t = team();
    let v5 = verified(&rotate(&t.chain[3], &t.ada, DAYS).unwrap());
    assert_eq!(v5.current().reviewers, t.chain[3].current().reviewers);
    assert_ne!(v5.intake_public_key(), t.chain[3].intake_public_key());
    assert!(intake_secret_for(&v5, epoch(5), &t.sara).is_ok());
}

#[test]
fn adding_twice_or_revoking_a_stranger_is_refused() {
    let t = team();
    assert!(add_reviewer(&t.chain[3], &t.ada, t.sara.public(), DAYS).is_err());
    assert!(add_reviewer(&t.chain[3], &t.ada, t.ada.public(), DAYS).is_err());
    assert!(revoke_reviewer(&t.chain[3], &t.ada, "Rui", DAYS).is_err());
    let by_id = revoke_reviewer(&t.chain[3], &t.ada, &t.sara.key_id().to_string(), DAYS);
    assert!(!verified(&by_id.unwrap()).has_reviewers());
    assert!(rotate(&t.chain[3], &t.ada, 0).is_err());
}

#[test]
fn a_keyring_with_any_byte_changed_never_verifies_to_different_contents() {
    use proptest::test_runner::{Config, TestRunner};
    let t = team();
    let original = t.chain[3].to_json();
    let mut runner = TestRunner::new(Config {
        cases: 256,
        ..Config::default()
    });
    runner
        .run(&(0..original.len(), 1u8..=255), |(at, xor)| {
            let mut bytes = original.clone();
            bytes[at] ^= xor;
            let Ok(file) = KeyringFile::from_json(&bytes) else {
                return Ok(());
            };
            if let Ok(v) = verify_chain(&file, None) {
                proptest::prop_assert_eq!(v.manifests(), t.chain[3].manifests());
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn a_remembered_epoch_refuses_an_older_or_forked_chain_and_accepts_its_extensions() {
    use tipseal::crypto::keyring::KeyringMemory;
    let t = team();
    let seen = KeyringMemory::of(&t.chain[2]); // epoch 3
    assert!(seen.check(&t.chain[2]).is_ok());
    assert!(seen.check(&t.chain[3]).is_ok(), "a newer epoch extends it");
    let rolled_back = seen.check(&t.chain[1]).unwrap_err();
    assert!(matches!(
        rolled_back,
        CryptoError::Keyring(KeyringProblem::Rollback)
    ));
    let sibling = verified(&rotate(&t.chain[1], &t.ada, DAYS).unwrap());
    let sibling = verified(&rotate(&sibling, &t.ada, DAYS).unwrap());
    let fork = seen.check(&sibling).unwrap_err();
    assert!(matches!(fork, CryptoError::Keyring(KeyringProblem::Fork)));
    let back: KeyringMemory = serde_json::from_str(&serde_json::to_string(&seen).unwrap()).unwrap();
    assert_eq!(back, seen);
}

#[test]
fn an_expired_keyring_is_refused_from_the_day_after_its_expiry() {
    use tipseal::crypto::keyring::check_fresh;
    let t = team();
    let v = &t.chain[3];
    let last = v.current().expires;
    assert!(check_fresh(v, last).is_ok());
    assert!(matches!(
        check_fresh(v, last.plus_days(1)),
        Err(CryptoError::Keyring(KeyringProblem::Expired))
    ));
}
