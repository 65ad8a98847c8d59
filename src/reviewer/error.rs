//! `reviewer::Error`: why opening, replying or re-wrapping failed. The words are the ones
//! the command line has always shown; it prints them as they are.

/// Why a reviewer operation failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The transport failed (the server refused, could not be reached, the keyring was
    /// refused).
    #[error(transparent)]
    Client(#[from] crate::client::Error),
    /// Something the reviewer asked for cannot be done, with a sentence saying why and
    /// what to do (no grant for an epoch, altered attachments, no reply address …).
    #[error("{0}")]
    Refused(String),
    /// Cryptography refused something (a part that does not open, a bad signature …).
    #[error(transparent)]
    Crypto(#[from] crate::crypto::CryptoError),
    /// A sealed document did not parse.
    #[error(transparent)]
    Domain(#[from] crate::domain::DomainError),
}
