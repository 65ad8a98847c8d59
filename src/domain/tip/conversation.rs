//! The plaintexts of a conversation after a tip: a witness's follow-up (kind 0x03) and a
//! reviewer's reply (kind 0x04). Like the tip document, they exist only inside sealed
//! envelopes; the server never sees them. Signing and verifying a reply's signature is
//! `crypto::reply`; this module only defines the bytes that are signed.

use serde::{Deserialize, Serialize};

use super::{is_b64url, AttachmentMeta, LongText, MAX_ATTACHMENTS};
use crate::domain::{DomainError, KeyId};

/// The format tag of a follow-up.
pub const FOLLOWUP_FORMAT: &str = "tipseal/followup/v1";
/// The format tag of a reply.
pub const REPLY_FORMAT: &str = "tipseal/reply/v1";
/// Most attachments on a reply: a reply bundle carries two copies of every part, and a
/// bundle holds at most 33 parts.
pub const MAX_REPLY_ATTACHMENTS: usize = 15;

/// What a witness adds to their tip after sending it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Followup {
    /// Must be [`FOLLOWUP_FORMAT`].
    pub format: String,
    /// The witness's words (may be empty when files are attached).
    pub message: LongText,
    /// Attachments, in bundle order (part 1, 2, …).
    #[serde(default)]
    pub attachments: Vec<AttachmentMeta>,
}

impl Followup {
    /// A follow-up, refused when it says nothing at all.
    pub fn new(message: LongText, attachments: Vec<AttachmentMeta>) -> Result<Self, DomainError> {
        let f = Self {
            format: FOLLOWUP_FORMAT.to_owned(),
            message,
            attachments,
        };
        f.check()?;
        Ok(f)
    }

    /// Parses the plaintext of a follow-up envelope.
    pub fn from_json(bytes: &[u8]) -> Result<Self, DomainError> {
        let f: Self = serde_json::from_slice(bytes).map_err(|e| DomainError::Tip(e.to_string()))?;
        f.check()?;
        Ok(f)
    }

    /// The JSON bytes to seal.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a follow-up always serializes")
    }

    fn check(&self) -> Result<(), DomainError> {
        if self.format != FOLLOWUP_FORMAT {
            return Err(DomainError::Tip("unknown follow-up format".into()));
        }
        if self.message.as_str().trim().is_empty() && self.attachments.is_empty() {
            return Err(DomainError::Tip(
                "the message is empty: write something or attach a file".into(),
            ));
        }
        check_attachments(&self.attachments, MAX_ATTACHMENTS)
    }
}

/// A reviewer's reply, as sealed to the witness (and, the same bytes, to the reviewers).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reply {
    /// Must be [`REPLY_FORMAT`].
    pub format: String,
    /// The reviewer's words.
    pub message: LongText,
    /// The key id of the reviewer who wrote and signed it.
    pub reviewer: KeyId,
    /// Base64url of the witness's reply public key this reply is for: binds the
    /// signature to one witness, so a signed reply cannot be passed to another.
    pub to: String,
    /// Attachments, in the witness bundle's order (part 1, 2, …).
    #[serde(default)]
    pub attachments: Vec<AttachmentMeta>,
    /// Base64url Ed25519 signature by the reviewer over [`Reply::signed_bytes`].
    pub signature: String,
}

/// The signed part of a reply: every field but the signature, in this order.
#[derive(Serialize)]
struct ReplyBody<'a> {
    format: &'a str,
    message: &'a LongText,
    reviewer: &'a KeyId,
    to: &'a str,
    attachments: &'a [AttachmentMeta],
}

impl Reply {
    /// An unsigned reply (the signature is filled in by `crypto::reply::sign`).
    pub fn unsigned(
        message: LongText,
        reviewer: KeyId,
        to: String,
        attachments: Vec<AttachmentMeta>,
    ) -> Result<Self, DomainError> {
        let r = Self {
            format: REPLY_FORMAT.to_owned(),
            message,
            reviewer,
            to,
            attachments,
            signature: String::new(),
        };
        r.check_fields()?;
        Ok(r)
    }

    /// The canonical bytes the reviewer signs: compact JSON of `format, message,
    /// reviewer, to, attachments` in that order (serde_json's escaping; the same as
    /// `JSON.stringify` of an object built in that order).
    pub fn signed_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(&ReplyBody {
            format: &self.format,
            message: &self.message,
            reviewer: &self.reviewer,
            to: &self.to,
            attachments: &self.attachments,
        })
        .expect("a reply always serializes")
    }

    /// Parses the plaintext of a reply envelope (the signature is checked by the caller).
    pub fn from_json(bytes: &[u8]) -> Result<Self, DomainError> {
        let r: Self = serde_json::from_slice(bytes).map_err(|e| DomainError::Tip(e.to_string()))?;
        r.check_fields()?;
        Ok(r)
    }

    /// The JSON bytes to seal.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a reply always serializes")
    }

    fn check_fields(&self) -> Result<(), DomainError> {
        if self.format != REPLY_FORMAT {
            return Err(DomainError::Tip("unknown reply format".into()));
        }
        if self.to.len() != 43 || !self.to.bytes().all(is_b64url) {
            return Err(DomainError::Tip(
                "a reply's `to` is not 32 bytes of base64url".into(),
            ));
        }
        if self.message.as_str().trim().is_empty() && self.attachments.is_empty() {
            return Err(DomainError::Tip(
                "the reply is empty: write something or attach a file".into(),
            ));
        }
        check_attachments(&self.attachments, MAX_REPLY_ATTACHMENTS)
    }
}

fn check_attachments(a: &[AttachmentMeta], max: usize) -> Result<(), DomainError> {
    if a.len() > max {
        return Err(DomainError::Tip(format!(
            "too many attachments (at most {max})"
        )));
    }
    for (i, m) in a.iter().enumerate() {
        if usize::from(m.part) != i + 1 {
            return Err(DomainError::Tip(
                "attachment parts must be numbered 1, 2, 3 … in order".into(),
            ));
        }
        if m.blake2b.len() != 64 || !m.blake2b.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(DomainError::Tip(
                "an attachment hash is not 64 hexadecimal characters".into(),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> LongText {
        LongText::parse(s.to_owned()).unwrap()
    }

    #[test]
    fn the_signed_bytes_leave_out_the_signature_and_keep_field_order() {
        let mut r = Reply::unsigned(
            text("Which gate?"),
            KeyId::from_bytes([1; 16]),
            "A".repeat(43),
            vec![],
        )
        .unwrap();
        let before = r.signed_bytes();
        r.signature = "sig".into();
        assert_eq!(r.signed_bytes(), before);
        let s = String::from_utf8(before).unwrap();
        assert!(s.starts_with(
            "{\"format\":\"tipseal/reply/v1\",\"message\":\"Which gate?\",\"reviewer\":\""
        ));
        assert!(s.ends_with("\"attachments\":[]}"));
        let back = Reply::from_json(&r.to_json()).unwrap();
        assert_eq!(back, r);
    }

    #[test]
    fn an_empty_follow_up_is_refused() {
        assert!(Followup::new(text("  "), vec![]).is_err());
        let f = Followup::new(text("The north gate."), vec![]).unwrap();
        assert_eq!(Followup::from_json(&f.to_json()).unwrap(), f);
    }
}
