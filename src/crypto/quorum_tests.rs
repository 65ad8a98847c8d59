//! Unit tests of the quorum rule, beside the verification code.

use proptest::prelude::*;

use super::*;
use crate::crypto::keyring::{genesis, unsigned_next, validity_from_today, NextPeople};
use crate::domain::keyring::{PersonName, PublicIdentity, Threshold};

fn person(name: &str) -> Identity {
    crate::crypto::init().unwrap();
    Identity::generate(PersonName::parse(name).unwrap())
}

fn problem<T: std::fmt::Debug>(r: Result<T, CryptoError>) -> KeyringProblem {
    match r {
        Err(CryptoError::Keyring(p)) => p,
        other => panic!("expected a keyring problem, got {other:?}"),
    }
}

/// The next manifest after `base` with these admins and threshold, same reviewers.
fn next(base: &VerifiedKeyring, admins: &[&Identity], k: u32) -> Manifest {
    let (issued, expires) = validity_from_today(30).unwrap();
    let people = NextPeople {
        admins: admins
            .iter()
            .map(|a| a.public())
            .collect::<Vec<PublicIdentity>>(),
        threshold: Some(Threshold::new(k).unwrap()),
        reviewers: base.current().reviewers.clone(),
    };
    unsigned_next(base, people, issued, expires).unwrap()
}

fn signed_by(base: &VerifiedKeyring, m: &Manifest, who: &[&Identity]) -> KeyringFile {
    who.iter().fold(propose(base, m), |f, a| {
        sign(&f, a).unwrap_or_else(|e| panic!("{e}"))
    })
}

/// Epoch 1: Ada alone; epoch 2 (signed by Ada): Ada, Bo, Cy with threshold 2.
fn two_of_three() -> (VerifiedKeyring, [Identity; 4]) {
    let (ada, bo, cy, eve) = (person("Ada"), person("Bo"), person("Cy"), person("Eve"));
    let v1 = verify_chain(&genesis(&ada, 30).unwrap(), None).unwrap();
    let m2 = next(&v1, &[&ada, &bo, &cy], 2);
    let v2 = verify_chain(&signed_by(&v1, &m2, &[&ada]), None).unwrap();
    (v2, [ada, bo, cy, eve])
}

#[test]
fn one_signature_of_two_needed_is_refused_and_two_are_accepted() {
    let (v2, [ada, bo, cy, _]) = two_of_three();
    let m3 = next(&v2, &[&ada, &bo, &cy], 2);
    let one = signed_by(&v2, &m3, &[&ada]);
    assert_eq!(
        problem(verify_chain(&one, None)),
        KeyringProblem::QuorumNotMet {
            present: 1,
            needed: 2
        }
    );
    let p = status(&one).unwrap();
    assert_eq!(
        (p.signed_by.len(), p.needed, p.is_complete()),
        (1, 2, false)
    );
    let two = sign(&one, &cy).unwrap();
    assert!(status(&two).unwrap().is_complete());
    assert_eq!(verify_chain(&two, None).unwrap().epoch().get(), 3);
}

#[test]
fn one_admin_signing_twice_counts_once() {
    let (v2, [ada, bo, cy, _]) = two_of_three();
    let m3 = next(&v2, &[&ada, &bo, &cy], 2);
    let mut file = signed_by(&v2, &m3, &[&ada]);
    let again = file.manifests[2].signatures[0].clone();
    file.manifests[2].signatures.push(again.clone());
    file.manifests[2].signatures.push(again);
    assert!(matches!(
        problem(verify_chain(&file, None)),
        KeyringProblem::QuorumNotMet { present: 1, .. }
    ));
    // `sign` by the same admin replaces rather than adds.
    let resigned = sign(&signed_by(&v2, &m3, &[&ada]), &ada).unwrap();
    assert_eq!(resigned.manifests[2].signatures.len(), 1);
}

#[test]
fn a_removed_admins_signature_no_longer_counts() {
    let (v2, [ada, bo, cy, _]) = two_of_three();
    // Epoch 3 removes Cy (signed by Ada and Bo: the quorum of epoch 2).
    let m3 = next(&v2, &[&ada, &bo], 2);
    let v3 = verify_chain(&signed_by(&v2, &m3, &[&ada, &bo]), None).unwrap();
    let m4 = next(&v3, &[&ada, &bo], 2);
    assert_eq!(
        problem(sign(&propose(&v3, &m4), &cy)),
        KeyringProblem::NotAnAdmin
    );
    // Cy's signature forged into the file by hand is ignored.
    let mut file = signed_by(&v3, &m4, &[&ada]);
    let body = b64_decode(&file.manifests[3].body).unwrap();
    file.manifests[3].signatures.push(ManifestSignature {
        key_id: cy.key_id(),
        signature: b64_encode(&cy.sign(SignatureDomain::Keyring, &body)),
    });
    assert_eq!(
        problem(verify_chain(&file, None)),
        KeyringProblem::QuorumNotMet {
            present: 1,
            needed: 2
        }
    );
}

#[test]
fn a_new_admin_set_signed_only_by_the_new_admins_is_refused() {
    let (v2, [ada, _bo, cy, eve]) = two_of_three();
    let dan = person("Dan");
    let m3 = next(&v2, &[&dan, &eve], 1);
    let mut file = propose(&v2, &m3);
    let body = b64_decode(&file.manifests[2].body).unwrap();
    for a in [&dan, &eve] {
        file.manifests[2].signatures.push(ManifestSignature {
            key_id: a.key_id(),
            signature: b64_encode(&a.sign(SignatureDomain::Keyring, &body)),
        });
    }
    assert_eq!(
        problem(verify_chain(&file, None)),
        KeyringProblem::BadSignature
    );
    // One old admin plus the new ones is still short of the old quorum.
    let with_ada = sign(&file, &ada).unwrap();
    assert!(matches!(
        problem(verify_chain(&with_ada, None)),
        KeyringProblem::QuorumNotMet {
            present: 1,
            needed: 2
        }
    ));
    assert!(verify_chain(&sign(&with_ada, &cy).unwrap(), None).is_ok());
}

#[test]
fn a_signature_cannot_be_replayed_onto_another_manifest() {
    let (v2, [ada, bo, cy, _]) = two_of_three();
    let honest = signed_by(&v2, &next(&v2, &[&ada, &bo, &cy], 2), &[&ada, &bo]);
    let other = next(&v2, &[&ada], 1);
    let mut forged = signed_by(&v2, &other, &[&ada]);
    forged.manifests[2]
        .signatures
        .push(honest.manifests[2].signatures[1].clone());
    assert!(matches!(
        problem(verify_chain(&forged, None)),
        KeyringProblem::QuorumNotMet { present: 1, .. }
    ));
}

#[test]
fn a_proposal_must_extend_its_chain_at_the_next_epoch() {
    let (v2, [ada, bo, cy, _]) = two_of_three();
    let m3 = next(&v2, &[&ada, &bo, &cy], 2);
    let mut file = propose(&v2, &m3);
    file.manifests.swap(1, 2);
    assert!(status(&file).is_err());
    let only_genesis = KeyringFile::new(vec![v2.file().manifests[0].clone()]);
    assert!(matches!(
        problem(status(&only_genesis)),
        KeyringProblem::Malformed(_)
    ));
}

#[test]
fn the_threshold_rule_counts_present_against_needed() {
    assert_eq!(problem(require(0, 1)), KeyringProblem::BadSignature);
    assert_eq!(problem(require(0, 3)), KeyringProblem::BadSignature);
    assert!(require(1, 1).is_ok());
    assert!(require(3, 2).is_ok());
    assert_eq!(
        problem(require(2, 3)),
        KeyringProblem::QuorumNotMet {
            present: 2,
            needed: 3
        }
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Whatever mix of admins, outsiders and repeats signs, the chain verifies exactly
    /// when at least k distinct admins of the previous epoch signed.
    #[test]
    fn verification_never_accepts_fewer_than_k_distinct_current_admins(
        m in 1usize..=4,
        k_seed in 0usize..4,
        picks in proptest::collection::vec(0usize..6, 0..10),
    ) {
        let k = k_seed % m + 1;
        let people: Vec<Identity> = (0..6).map(|i| person(&format!("P{i}"))).collect();
        let v1 = verify_chain(&genesis(&people[0], 30).unwrap(), None).unwrap();
        let admins: Vec<&Identity> = people[..m].iter().collect();
        let m2 = next(&v1, &admins, k as u32);
        let v2 = verify_chain(&signed_by(&v1, &m2, &[&people[0]]), None).unwrap();
        let m3 = next(&v2, &admins, k as u32);
        let mut file = propose(&v2, &m3);
        let body = b64_decode(&file.manifests[2].body).unwrap();
        for &i in picks.iter().take(MAX_SIGNATURES) {
            file.manifests[2].signatures.push(ManifestSignature {
                key_id: people[i].key_id(),
                signature: b64_encode(&people[i].sign(SignatureDomain::Keyring, &body)),
            });
        }
        let distinct_admins = picks
            .iter()
            .take(MAX_SIGNATURES)
            .filter(|&&i| i < m)
            .collect::<HashSet<_>>()
            .len();
        let accepted = verify_chain(&file, None).is_ok();
        prop_assert_eq!(accepted, distinct_admins >= k);
        prop_assert_eq!(status(&file).unwrap().signed_by.len(), distinct_admins);
    }
}
