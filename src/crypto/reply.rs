//! Reviewers' signatures on replies to witnesses: Ed25519 by the reviewer's identity over
//! `"tipseal/reply/v1\0" || Reply::signed_bytes()`, placed inside the seal so only the
//! witness (and the reviewers) see it, and the witness knows a reviewer on the keyring
//! wrote it. A reply signature can never pass as a login or keyring signature.
//!
//! Also the witness's side of their own messages: the copy of a follow-up they sealed to
//! their own reply key (`docs/followup.md`, "The witness's own messages") is opened here,
//! once, for the command line and the no-JavaScript page alike.

use super::envelope::open;
use super::identity::{Identity, PublicKeys, SignatureDomain};
use super::receipt::ReceiptKeys;
use super::{b64_decode, b64_encode, CryptoError};
use crate::domain::bundle;
use crate::domain::envelope::Kind;
use crate::domain::tip::conversation::{Followup, Reply};

/// Fills in `reply.reviewer` with `me`'s key id and `reply.signature` with my signature.
pub fn sign(me: &Identity, reply: &mut Reply) {
    reply.reviewer = me.key_id();
    let sig = me.sign(SignatureDomain::Reply, &reply.signed_bytes());
    reply.signature = b64_encode(&sig);
}

/// Whether `reply` carries `signer`'s valid signature (and names `signer` as its author).
pub fn verify(signer: &PublicKeys, reply: &Reply) -> bool {
    let Some(sig) = b64_decode(&reply.signature) else {
        return false;
    };
    reply.reviewer == signer.id()
        && signer.verify(SignatureDomain::Reply, &reply.signed_bytes(), &sig)
}

/// Opens the witness's copy of their own follow-up — a bundle of exactly one follow-up
/// envelope sealed to the receipt's reply key — and parses it. Its files were never
/// copied: the follow-up lists them (names, sizes, hashes) without their bytes.
pub fn open_own_followup(keys: &ReceiptKeys, bundle_bytes: &[u8]) -> Result<Followup, CryptoError> {
    let parsed = bundle::parse_with_kinds(bundle_bytes, |_| Kind::Followup)?;
    let [part] = parsed.parts() else {
        return Err(CryptoError::DecryptionFailed);
    };
    let opened = open(part.bytes, &keys.reply_secret())?;
    Ok(Followup::from_json(&opened.plaintext)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::keyring::PersonName;
    use crate::domain::tip::LongText;

    #[test]
    fn only_the_witnesss_own_receipt_opens_their_copy_of_a_follow_up() {
        use crate::crypto::envelope::seal;
        use crate::crypto::receipt::{reply_public_key, Receipt};
        use crate::domain::envelope::Flags;
        use crate::domain::Epoch;
        super::super::init().unwrap();
        let mine = Receipt::generate().keys();
        let f = Followup::new(LongText::parse("The north gate.".into()).unwrap(), vec![]).unwrap();
        let to = reply_public_key(&mine.reply_pk_b64()).unwrap();
        let env = seal(&f.to_json(), Kind::Followup, Flags::NONE, Epoch::FIRST, &to).unwrap();
        let copy = bundle::encode(&[&env]);
        assert_eq!(open_own_followup(&mine, &copy).unwrap(), f);
        assert!(open_own_followup(&Receipt::generate().keys(), &copy).is_err());
        // One part exactly: a copy never carries files.
        assert!(open_own_followup(&mine, &bundle::encode(&[&env, &env])).is_err());
    }

    #[test]
    fn a_signed_reply_verifies_and_any_change_breaks_it() {
        super::super::init().unwrap();
        let alice = Identity::generate(PersonName::parse("alice").unwrap());
        let bob = Identity::generate(PersonName::parse("bob").unwrap());
        let mut r = Reply::unsigned(
            LongText::parse("Which gate?".into()).unwrap(),
            bob.key_id(),
            "A".repeat(43),
            vec![],
        )
        .unwrap();
        sign(&alice, &mut r);
        assert!(verify(&alice.public_keys(), &r));
        assert!(!verify(&bob.public_keys(), &r));
        let mut changed = r.clone();
        changed.to = "B".repeat(43);
        assert!(!verify(&alice.public_keys(), &changed));
    }
}
