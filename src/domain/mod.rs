//! The domain: pure types and parsers with no I/O and no cryptography.
//!
//! Everything that crosses a trust boundary becomes one of these types through a parser
//! (`parse`/`TryFrom`), so the rest of the crate only handles valid values. This module
//! must never import another module of the crate, touch the network or the disk, or
//! depend on libsodium: the server and every client share it.

pub mod bundle;
pub mod envelope;
pub mod ids;
pub mod keyring;
pub mod limits;
pub mod metadata;
pub mod receipt;
pub mod retention;
pub mod thread_batch;
pub mod tip;
pub mod triage;

pub use ids::{Day, Epoch, IdempotencyKey, KeyId, TipId, UploadId};

/// Why a value from outside was refused. Messages never echo the input back.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum DomainError {
    /// An id was not 32 hex characters.
    #[error("the {0} is not 32 hexadecimal characters")]
    InvalidId(&'static str),
    /// Epoch 0, or an overflow.
    #[error("the key epoch is not valid")]
    InvalidEpoch,
    /// An idempotency key of the wrong length or alphabet.
    #[error(
        "the Idempotency-Key header must be 16 to 128 characters of A-Z, a-z, 0-9, '-' or '_'"
    )]
    InvalidIdempotencyKey,
    /// A date that is not `YYYY-MM-DD`.
    #[error("the date is not a valid YYYY-MM-DD day")]
    InvalidDay,
    /// An envelope whose structure is wrong; the text says which part.
    #[error("malformed envelope: {0}")]
    Envelope(&'static str),
    /// A bundle whose framing is wrong; the text says which part.
    #[error("malformed bundle: {0}")]
    Bundle(&'static str),
    /// A batch of conversation entries whose framing is wrong; the text says which part.
    #[error("malformed batch of conversation entries: {0}")]
    Batch(&'static str),
    /// A keyring file or manifest that does not parse or is inconsistent.
    #[error("malformed keyring: {0}")]
    Keyring(String),
    /// A tip document that does not follow the schema.
    #[error("the tip document is not valid: {0}")]
    Tip(String),
    /// A witness-page form field that does not parse; never carries the value.
    #[error("the form is not valid: {}", .0.sentence())]
    Form(tip::FormProblem),
    /// A JPEG or PNG whose structure does not parse whole, so its metadata cannot be
    /// removed; the text says what is wrong.
    #[error("the image's hidden metadata cannot be removed: {0}")]
    Metadata(&'static str),
    /// A triage event or one of its values that does not parse; the text says what.
    #[error("the triage event is not valid: {0}")]
    Triage(&'static str),
}
