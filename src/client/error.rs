//! `client::Error`: why a request, a keyring check or a trust-memory file failed. Each
//! message names what is concerned and what to do; the command line prints it as it is.
//!
//! Must never: carry a secret, a plaintext or a token in its text.

use std::path::PathBuf;

/// Why the transport layer failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A refused operation or a bad address, with a sentence for the user.
    #[error("{0}")]
    Refused(String),
    /// A trust-memory file could not be read or written.
    #[error("{0}: {1}")]
    File(PathBuf, std::io::Error),
    /// Cryptography refused something (a keyring that does not verify, …).
    #[error(transparent)]
    Crypto(#[from] crate::crypto::CryptoError),
    /// Input did not parse.
    #[error(transparent)]
    Domain(#[from] crate::domain::DomainError),
    /// The server answered with an error.
    #[error("the server refused ({status}, {code}): {message}")]
    Server {
        /// HTTP status.
        status: u16,
        /// The error code from the JSON body.
        code: String,
        /// The error sentence from the JSON body.
        message: String,
    },
    /// The server could not be reached, or answered something unreadable.
    #[error("cannot reach the server: {0}")]
    Network(String),
}
