//! Receipts: 128 random bits a witness keeps as twelve words, and the keys derived from
//! them (`docs/followup.md`):
//!
//! ```text
//! master      = BLAKE2b-256("tipseal/receipt/v1\0" || entropy)
//! reply_seed  = crypto_kdf_derive_from_key(32, 1, "tsreply1", master)
//! mbox_seed   = crypto_kdf_derive_from_key(32, 2, "tsmailb1", master)
//! reply keys  = crypto_box_seed_keypair(reply_seed)        (X25519)
//! mailbox keys= crypto_sign_seed_keypair(mbox_seed)        (Ed25519)
//! ```
//!
//! The checksum is BIP39's: the first 4 bits of SHA-256(entropy). Mailbox login signs
//! `"tipseal/mailbox-auth/v1\0" || challenge(32)`.
//!
//! Must never: print the entropy, the words or a derived secret (no `Debug`, no
//! `Serialize`), keep them in memory that is not wiped on drop, or say *which* word is
//! wrong beyond its position.

use std::fmt;

use sodiumoxide::crypto::hash::sha256;
use sodiumoxide::crypto::kdf::blake2b as kdf;
use sodiumoxide::crypto::{box_, sign};
use zeroize::Zeroizing;

use super::intake::{IntakePublicKey, IntakeSecretKey};
use super::{b64_decode, b64_encode, hash32, keyed_hash32, random_bytes};
use crate::domain::receipt::{self, WordList, WordsError, ENTROPY_LEN, WORDS};

/// Domain of the master key hash.
const MASTER_DOMAIN: &[u8] = b"tipseal/receipt/v1\0";
/// Domain of the mailbox login signature.
const MAILBOX_AUTH_DOMAIN: &[u8] = b"tipseal/mailbox-auth/v1\0";
/// Domain of the server's peppered hash of a mailbox key.
const MAILBOX_HASH_DOMAIN: &[u8] = b"tipseal/mailbox/v1\0";

/// Why typed words are not a receipt. The messages name a position, never a word.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReceiptError {
    /// Wrong number of words, or an unknown word.
    #[error(transparent)]
    Words(#[from] WordsError),
    /// Every word is known but the checksum fails: a word was swapped for another.
    #[error("the receipt's checksum does not match: one of the 12 words is wrong (a typo that happens to be another list word, or two words swapped)")]
    Checksum,
}

/// A witness's receipt: 16 bytes of entropy. Wiped on drop; never printed.
pub struct Receipt {
    entropy: Zeroizing<[u8; ENTROPY_LEN]>,
}

impl fmt::Debug for Receipt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Receipt(..)")
    }
}

impl Receipt {
    /// A fresh receipt from libsodium's CSPRNG.
    pub fn generate() -> Self {
        Self {
            entropy: Zeroizing::new(random_bytes()),
        }
    }

    /// Rebuilds a receipt from [`Receipt::danger_entropy`]'s bytes (the no-JavaScript
    /// mailbox page's session, `http::web::page_session`).
    pub(crate) fn danger_from_entropy(entropy: Zeroizing<[u8; ENTROPY_LEN]>) -> Self {
        Self { entropy }
    }

    /// The receipt's secret bytes, as secret as its words: only to be masked into a
    /// no-JavaScript page session, never stored or shown as they are.
    pub(crate) fn danger_entropy(&self) -> &[u8; ENTROPY_LEN] {
        &self.entropy
    }

    /// Reads typed words from any supported list (the first list under which all
    /// twelve words are known and the checksum holds).
    pub fn from_words(text: &str) -> Result<Self, ReceiptError> {
        let candidates = receipt::candidates(text)?;
        for (_, indices) in candidates {
            let (entropy, checksum) = receipt::unpack(&indices);
            let entropy = Zeroizing::new(entropy);
            if checksum_nibble(&entropy) == checksum {
                return Ok(Self { entropy });
            }
        }
        Err(ReceiptError::Checksum)
    }

    /// The twelve words in `list`, separated by single spaces (ideographic spaces for
    /// Japanese, as BIP39 recommends).
    pub fn to_words(&self, list: WordList) -> Zeroizing<String> {
        let indices = Zeroizing::new(receipt::pack(&self.entropy, checksum_nibble(&self.entropy)));
        let sep = if list == WordList::Japanese {
            "\u{3000}"
        } else {
            " "
        };
        let mut out = Zeroizing::new(String::new());
        for (i, ix) in indices.iter().enumerate() {
            if i > 0 {
                out.push_str(sep);
            }
            out.push_str(list.word(*ix));
        }
        debug_assert_eq!(indices.len(), WORDS);
        out
    }

    /// The keys derived from this receipt.
    pub fn keys(&self) -> ReceiptKeys {
        let master = kdf::Key(hash32(MASTER_DOMAIN, &[&self.entropy[..]]));
        let mut reply_seed = box_::Seed([0; box_::SEEDBYTES]);
        let mut mbox_seed = sign::Seed([0; sign::SEEDBYTES]);
        kdf::derive_from_key(&mut reply_seed.0, 1, *b"tsreply1", &master)
            .expect("32 bytes is a valid subkey length");
        kdf::derive_from_key(&mut mbox_seed.0, 2, *b"tsmailb1", &master)
            .expect("32 bytes is a valid subkey length");
        let (reply_pk, reply_sk) = box_::keypair_from_seed(&reply_seed);
        let (mailbox_pk, mailbox_sk) = sign::keypair_from_seed(&mbox_seed);
        // `master`, the seeds and the secret keys are sodiumoxide types that wipe
        // themselves on drop.
        ReceiptKeys {
            reply_pk,
            reply_sk,
            mailbox_pk,
            mailbox_sk,
        }
    }

    /// The entropy as hex, for tests that check it is stored nowhere. Zeroized on drop.
    pub fn danger_entropy_hex(&self) -> Zeroizing<String> {
        Zeroizing::new(hex::encode(&self.entropy[..]))
    }
}

/// The first 4 bits of SHA-256(entropy), in the high nibble.
fn checksum_nibble(entropy: &[u8; ENTROPY_LEN]) -> u8 {
    sha256::hash(entropy).0[0] & 0xF0
}

/// The reply and mailbox keypairs of a receipt. Secrets wipe themselves; never printed.
pub struct ReceiptKeys {
    reply_pk: box_::PublicKey,
    reply_sk: box_::SecretKey,
    mailbox_pk: sign::PublicKey,
    mailbox_sk: sign::SecretKey,
}

impl fmt::Debug for ReceiptKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ReceiptKeys(..)")
    }
}

impl ReceiptKeys {
    /// The reply public key, base64url: what the sealed tip's `reply_to.box_pk` holds.
    pub fn reply_pk_b64(&self) -> String {
        b64_encode(&self.reply_pk.0)
    }

    /// The reply secret key as an envelope-opening key (replies are envelopes whose
    /// content key is sealed to the reply public key instead of an epoch intake key).
    pub fn reply_secret(&self) -> IntakeSecretKey {
        IntakeSecretKey::from_bytes(&self.reply_sk.0).expect("an X25519 secret is 32 bytes")
    }

    /// The mailbox public key, base64url: the `Tipseal-Mailbox` header and login field.
    pub fn mailbox_pk_b64(&self) -> String {
        b64_encode(&self.mailbox_pk.0)
    }

    /// Signs a mailbox login challenge; the signature as base64url.
    pub fn sign_mailbox_login(&self, challenge: &[u8; 32]) -> String {
        let msg = mailbox_login_message(challenge);
        b64_encode(&sign::sign_detached(&msg, &self.mailbox_sk).to_bytes())
    }
}

/// A reply public key from a sealed tip's `reply_to.box_pk`, as an envelope sealing key.
pub fn reply_public_key(box_pk_b64: &str) -> Option<IntakePublicKey> {
    IntakePublicKey::from_bytes(&b64_decode(box_pk_b64)?).ok()
}

fn mailbox_login_message(challenge: &[u8; 32]) -> [u8; 32 + MAILBOX_AUTH_DOMAIN.len()] {
    let mut m = [0u8; 32 + MAILBOX_AUTH_DOMAIN.len()];
    m[..MAILBOX_AUTH_DOMAIN.len()].copy_from_slice(MAILBOX_AUTH_DOMAIN);
    m[MAILBOX_AUTH_DOMAIN.len()..].copy_from_slice(challenge);
    m
}

/// A mailbox public key as presented by a client: 32 bytes (not checked to be a valid
/// curve point here, so that parsing costs the same for every input).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct MailboxPublicKey([u8; 32]);

impl fmt::Debug for MailboxPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A mailbox key links requests to one witness's mailbox: keep it out of logs.
        f.write_str("MailboxPublicKey(..)")
    }
}

impl MailboxPublicKey {
    /// Parses base64url of 32 bytes.
    pub fn from_b64(s: &str) -> Option<Self> {
        b64_decode(s)?.try_into().ok().map(Self)
    }

    /// `BLAKE2b-256(key = pepper, "tipseal/mailbox/v1\0" || pk)`: all the server keeps.
    pub fn peppered_hash(&self, pepper: &[u8; 32]) -> [u8; 32] {
        keyed_hash32(pepper, MAILBOX_HASH_DOMAIN, &self.0)
    }

    /// Whether `sig_b64` is this key's signature over the login `challenge`. Always
    /// runs a full Ed25519 verification (with an all-zero signature when the given one
    /// does not decode), so every call costs the same whatever the input.
    pub fn verify_login(&self, challenge: &[u8; 32], sig_b64: &str) -> bool {
        let decoded = b64_decode(sig_b64).and_then(|s| sign::Signature::from_bytes(&s).ok());
        let well_formed = decoded.is_some();
        let sig = decoded.unwrap_or_else(|| {
            sign::Signature::from_bytes(&[0; 64]).expect("64 zero bytes parse as a signature")
        });
        let pk = sign::PublicKey(self.0);
        let ok = sign::verify_detached(&sig, &mailbox_login_message(challenge), &pk);
        ok & well_formed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn init() {
        super::super::init().unwrap();
    }

    #[test]
    fn words_in_any_list_give_back_the_same_receipt_and_keys() {
        init();
        let r = Receipt::generate();
        let keys = r.keys();
        for list in WordList::ALL {
            let words = r.to_words(list);
            let back = Receipt::from_words(&words).unwrap();
            assert_eq!(
                back.keys().mailbox_pk_b64(),
                keys.mailbox_pk_b64(),
                "{list:?}"
            );
            assert_eq!(back.keys().reply_pk_b64(), keys.reply_pk_b64(), "{list:?}");
        }
    }

    #[test]
    fn one_wrong_word_is_caught() {
        init();
        let r = Receipt::generate();
        let words = r.to_words(WordList::English);
        let mut v: Vec<&str> = words.split(' ').collect();
        // Replace word 3 with other list words until one is not accepted: with a
        // 4-bit checksum, 15 of 16 substitutions fail.
        let mut caught = 0;
        for other in ["zoo", "abandon", "ability", "able", "about"] {
            if v[2] == other {
                continue;
            }
            let orig = v[2];
            v[2] = other;
            if matches!(
                Receipt::from_words(&v.join(" ")),
                Err(ReceiptError::Checksum)
            ) {
                caught += 1;
            }
            v[2] = orig;
        }
        assert!(caught >= 3, "a 4-bit checksum catches most substitutions");
        v[2] = "notaword";
        assert!(matches!(
            Receipt::from_words(&v.join(" ")),
            Err(ReceiptError::Words(WordsError::UnknownWord {
                position: 3,
                ..
            }))
        ));
    }

    #[test]
    fn the_derivation_matches_the_documented_vector() {
        init();
        // All-zero entropy: "abandon" × 11 + "about".
        let r = Receipt::from_words(&format!("{} about", "abandon ".repeat(11))).unwrap();
        assert_eq!(&*r.danger_entropy_hex(), &"00".repeat(16));
        let k = r.keys();
        assert_eq!(k.reply_pk_b64(), VECTOR_REPLY_PK);
        assert_eq!(k.mailbox_pk_b64(), VECTOR_MAILBOX_PK);
    }

    const VECTOR_REPLY_PK: &str = "TQBYJpym7BoMlD6R4OWS1VWVsPa7oyWfmgg5XYhF6Vc";
    const VECTOR_MAILBOX_PK: &str = "gmvL9khuiLt1fc_ji1G037eZR-q-JR_NPOYeRPttEXs";

    #[test]
    fn a_login_signature_verifies_only_for_its_challenge_and_key() {
        init();
        let k = Receipt::generate().keys();
        let pk = MailboxPublicKey::from_b64(&k.mailbox_pk_b64()).unwrap();
        let c = [9u8; 32];
        let sig = k.sign_mailbox_login(&c);
        assert!(pk.verify_login(&c, &sig));
        assert!(!pk.verify_login(&[8; 32], &sig));
        assert!(!pk.verify_login(&c, "garbage"));
        let other =
            MailboxPublicKey::from_b64(&Receipt::generate().keys().mailbox_pk_b64()).unwrap();
        assert!(!other.verify_login(&c, &sig));
        assert_ne!(pk.peppered_hash(&[1; 32]), pk.peppered_hash(&[2; 32]));
        assert_eq!(format!("{:?}", Receipt::generate()), "Receipt(..)");
    }
}
