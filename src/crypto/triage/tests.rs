use super::*;
use crate::crypto::keyring::{add_reviewer, genesis, revoke_reviewer, rotate, verify_chain};
use crate::domain::keyring::PersonName;
use crate::domain::triage::{Change, Status, EVENT_VERSION};
use crate::domain::{KeyId, TipId};

fn person(name: &str) -> Identity {
    Identity::generate(PersonName::parse(name).unwrap())
}

fn verified(file: &crate::domain::keyring::KeyringFile) -> VerifiedKeyring {
    verify_chain(file, None).unwrap()
}

/// Admin, alice and bob on a keyring (epoch 3).
fn team() -> (Identity, Identity, Identity, VerifiedKeyring) {
    crate::crypto::init().unwrap();
    let admin = person("admin");
    let alice = person("alice");
    let bob = person("bob");
    let k = verified(&genesis(&admin, 30).unwrap());
    let k = verified(&add_reviewer(&k, &admin, alice.public(), 30).unwrap());
    let k = verified(&add_reviewer(&k, &admin, bob.public(), 30).unwrap());
    (admin, alice, bob, k)
}

const TIP: LogRef = LogRef::Tip(TipId::from_bytes([5; 16]));

fn body(log: LogRef, seq: u32, prev: [u8; 32], change: Change) -> EventBody {
    EventBody {
        v: EVENT_VERSION,
        log,
        seq,
        prev,
        author: KeyId::from_bytes([0; 16]),
        epoch: Epoch::FIRST,
        at: 1_790_000_000,
        changes: vec![change],
    }
}

fn in_review() -> Change {
    Change::SetStatus {
        status: Status::InReview,
    }
}

/// Signs as `who` under the keyring's epoch, returns (sealed blob, its chain hash).
fn event(who: &Identity, k: &VerifiedKeyring, b: EventBody) -> (Vec<u8>, [u8; 32]) {
    let mut b = b;
    b.epoch = k.epoch();
    let signed = sign_event(who, b).unwrap();
    let blob = seal_signed(&signed, k.epoch(), &k.intake_public_key()).unwrap();
    (blob, chain_hash(&signed))
}

fn refusals(
    log: LogRef,
    blobs: &[Vec<u8>],
    k: &VerifiedKeyring,
    me: &Identity,
) -> Vec<Option<EventRefusal>> {
    let refs: Vec<&[u8]> = blobs.iter().map(Vec::as_slice).collect();
    verify_log(log, &refs, k, me)
        .into_iter()
        .map(|r| r.err())
        .collect()
}

#[test]
fn an_honest_chain_by_two_reviewers_verifies_and_every_event_is_the_same_size() {
    let (_, alice, bob, k) = team();
    let (e0, h0) = event(&alice, &k, body(TIP, 0, [0; 32], in_review()));
    let note = Change::Note {
        text: crate::domain::triage::NoteText::parse(&"n".repeat(8 * 1024)).unwrap(),
    };
    let (e1, _) = event(&bob, &k, body(TIP, 1, h0, note));
    assert_eq!(
        e0.len(),
        e1.len(),
        "a long note does not change the sealed size"
    );
    assert_eq!(refusals(TIP, &[e0, e1], &k, &bob), vec![None, None]);
}

#[test]
fn a_forged_signature_or_a_wrong_signer_is_refused() {
    let (_, alice, bob, k) = team();
    // Alice's signature over a body that is then changed.
    let mut b = body(TIP, 0, [0; 32], in_review());
    b.epoch = k.epoch();
    let signed = sign_event(&alice, b).unwrap();
    let mut json = signed.body_json().to_vec();
    let at = json.windows(9).position(|w| w == b"in_review").unwrap();
    json[at..at + 9].copy_from_slice(b"dismissed");
    let forged = SignedEventBytes::new(*signed.signature(), json);
    let blob = seal_signed(&forged, k.epoch(), &k.intake_public_key()).unwrap();
    assert_eq!(
        refusals(TIP, &[blob], &k, &bob),
        vec![Some(EventRefusal::BadSignature)]
    );

    // Bob signs, but the body names Alice as the author.
    let mut b = body(TIP, 0, [0; 32], in_review());
    b.epoch = k.epoch();
    b.author = alice.key_id();
    let json = b.to_json();
    let sig = bob.sign(SignatureDomain::TriageEvent, &json);
    let blob = seal_signed(
        &SignedEventBytes::new(sig, json),
        k.epoch(),
        &k.intake_public_key(),
    )
    .unwrap();
    assert_eq!(
        refusals(TIP, &[blob], &k, &bob),
        vec![Some(EventRefusal::BadSignature)]
    );
}

#[test]
fn a_reply_signature_cannot_pass_as_an_event_signature() {
    let (_, alice, bob, k) = team();
    let mut b = body(TIP, 0, [0; 32], in_review());
    b.epoch = k.epoch();
    b.author = alice.key_id();
    let json = b.to_json();
    let sig = alice.sign(SignatureDomain::Reply, &json);
    let blob = seal_signed(
        &SignedEventBytes::new(sig, json),
        k.epoch(),
        &k.intake_public_key(),
    )
    .unwrap();
    assert_eq!(
        refusals(TIP, &[blob], &k, &bob),
        vec![Some(EventRefusal::BadSignature)]
    );
}

#[test]
fn a_revoked_reviewer_can_neither_sign_now_nor_backdate() {
    let (admin, alice, bob, k3) = team();
    let (e0, h0) = event(&alice, &k3, body(TIP, 0, [0; 32], in_review()));
    let k4 = verified(&revoke_reviewer(&k3, &admin, "alice", 30).unwrap());
    // Bob writes under epoch 4; alice, revoked, tries epoch 4 and then epoch 3.
    let (e1, h1) = event(&bob, &k4, body(TIP, 1, h0, Change::Star { on: true }));
    let mut now = body(TIP, 2, h1, Change::Star { on: false });
    now.epoch = k4.epoch();
    let signed = sign_event(&alice, now).unwrap();
    let revoked_now = seal_signed(&signed, k4.epoch(), &k4.intake_public_key()).unwrap();
    let (backdated, _) = event(&alice, &k3, body(TIP, 2, h1, Change::Star { on: false }));
    let got = refusals(TIP, &[e0.clone(), e1.clone(), revoked_now], &k4, &bob);
    assert_eq!(
        got,
        vec![None, None, Some(EventRefusal::NotAMember(k4.epoch()))]
    );
    let got = refusals(TIP, &[e0, e1, backdated], &k4, &bob);
    assert_eq!(
        got[2],
        Some(EventRefusal::Backdated {
            epoch: k3.epoch(),
            previous: k4.epoch()
        })
    );
}

#[test]
fn reordered_replayed_and_unchained_events_are_refused() {
    let (_, alice, bob, k) = team();
    let (e0, h0) = event(&alice, &k, body(TIP, 0, [0; 32], in_review()));
    let (e1, _) = event(&alice, &k, body(TIP, 1, h0, Change::Star { on: true }));
    let got = refusals(TIP, &[e1.clone(), e0.clone()], &k, &bob);
    assert_eq!(
        got[0],
        Some(EventRefusal::WrongPosition {
            claimed: 1,
            position: 0
        })
    );
    let other = LogRef::Tip(TipId::from_bytes([6; 16]));
    assert!(matches!(
        refusals(other, std::slice::from_ref(&e0), &k, &bob)[0],
        Some(EventRefusal::WrongLog { .. })
    ));
    let (unchained, _) = event(&alice, &k, body(TIP, 1, [9; 32], Change::Star { on: true }));
    assert_eq!(
        refusals(TIP, &[e0, unchained], &k, &bob),
        vec![None, Some(EventRefusal::BrokenChain)]
    );
}

#[test]
fn a_rotation_rewrap_keeps_an_event_valid() {
    let (admin, alice, bob, k3) = team();
    let (e0, _) = event(&alice, &k3, body(TIP, 0, [0; 32], in_review()));
    let k4 = verified(&rotate(&k3, &admin, 30).unwrap());
    let old = intake_secret_for(&k4, k3.epoch(), &bob).unwrap();
    let wrap =
        super::super::envelope::rewrap(&e0, &old, k4.epoch(), &k4.intake_public_key()).unwrap();
    let mut moved = e0.clone();
    moved[envelope::HEADER_LEN..envelope::PREFIX_LEN].copy_from_slice(&wrap.encode());
    assert_eq!(refusals(TIP, &[moved], &k4, &bob), vec![None]);
}

#[test]
fn an_event_over_16_kib_is_refused_before_sealing() {
    let (_, alice, _, _) = team();
    let text = crate::domain::triage::NoteText::parse(&"n".repeat(8 * 1024)).unwrap();
    let mut b = body(TIP, 0, [0; 32], Change::Note { text: text.clone() });
    b.changes.push(Change::Note { text });
    assert!(sign_event(&alice, b).is_err());
}
