//! The plaintext inside a sealed event: `format u8 (1) ‖ Ed25519 signature (64) ‖ body
//! JSON`. The signature covers `"tipseal/triage-event/v1\0" ‖ body JSON` exactly as
//! written, so a reader never re-serializes before verifying. Parsing is total: any
//! byte string gives a value or an error, never a panic.

use super::{DomainError, EventBody};

/// The first plaintext byte.
pub const EVENT_FORMAT: u8 = 1;
/// Length of the Ed25519 signature.
pub const SIGNATURE_LEN: usize = 64;

/// A signed event as opened, before its signature is checked.
#[derive(Clone, PartialEq, Eq)]
pub struct SignedEventBytes {
    signature: [u8; SIGNATURE_LEN],
    body_json: Vec<u8>,
}

impl SignedEventBytes {
    /// Puts a signature and the exact body bytes it covers together.
    pub fn new(signature: [u8; SIGNATURE_LEN], body_json: Vec<u8>) -> Self {
        Self {
            signature,
            body_json,
        }
    }

    /// Splits a plaintext into signature and body bytes (the body is not parsed yet).
    pub fn parse(bytes: &[u8]) -> Result<Self, DomainError> {
        let (&format, rest) = bytes
            .split_first()
            .ok_or(DomainError::Triage("an event is empty"))?;
        if format != EVENT_FORMAT {
            return Err(DomainError::Triage("unknown event format"));
        }
        if rest.len() <= SIGNATURE_LEN {
            return Err(DomainError::Triage(
                "an event is too short for its signature",
            ));
        }
        let (sig, body) = rest.split_at(SIGNATURE_LEN);
        let mut signature = [0u8; SIGNATURE_LEN];
        signature.copy_from_slice(sig);
        Ok(Self::new(signature, body.to_vec()))
    }

    /// The plaintext: format ‖ signature ‖ body.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(1 + SIGNATURE_LEN + self.body_json.len());
        out.push(EVENT_FORMAT);
        out.extend_from_slice(&self.signature);
        out.extend_from_slice(&self.body_json);
        out
    }

    /// The signature.
    pub fn signature(&self) -> &[u8; SIGNATURE_LEN] {
        &self.signature
    }

    /// The signed body bytes.
    pub fn body_json(&self) -> &[u8] {
        &self.body_json
    }

    /// Parses the body (not yet known to be authentic).
    pub fn body(&self) -> Result<EventBody, DomainError> {
        EventBody::from_json(&self.body_json)
    }
}

impl std::fmt::Debug for SignedEventBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SignedEventBytes(<{} body bytes>)", self.body_json.len())
    }
}
