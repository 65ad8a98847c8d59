//! Reviewers' signatures on replies to witnesses: Ed25519 by the reviewer's identity over
//! `"tipseal/reply/v1\0" || Reply::signed_bytes()`, placed inside the seal so only the
//! witness (and the reviewers) see it, and the witness knows a reviewer on the keyring
//! wrote it. A reply signature can never pass as a login or keyring signature.

use super::identity::{Identity, PublicKeys, SignatureDomain};
use super::{b64_decode, b64_encode};
use crate::domain::tip::conversation::Reply;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::keyring::PersonName;
    use crate::domain::tip::LongText;

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
