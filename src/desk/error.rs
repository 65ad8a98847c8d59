//! The desk's one error enum, and the one place it becomes an HTTP answer:
//! a status and `{"error": "...", "code": "..."}`.
//!
//! Must never: put a tip's content, a token or a cookie in a message.

use std::net::SocketAddr;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};

/// What went wrong at the desk.
#[derive(Debug, thiserror::Error)]
pub enum DeskError {
    /// `--listen` named an address other than 127.0.0.1.
    #[error(
        "the desk listens on 127.0.0.1 only, not {0}: leave out --listen, or give 127.0.0.1:PORT"
    )]
    NotLoopback(SocketAddr),
    /// The port could not be bound.
    #[error("cannot listen on {addr}: {source}; choose another port with --listen 127.0.0.1:PORT")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// libsodium could not start (no randomness for the token).
    #[error("libsodium did not initialise: the desk cannot make its one-time token")]
    Crypto,
    /// The thing asked for does not exist.
    #[error("{0} was not found: sync, then reload the inbox")]
    NotFound(String),
    /// The request is malformed; the message names the field.
    #[error("{0}")]
    Invalid(String),
    /// The backend cannot answer now (the server is unreachable, the store is busy).
    #[error("{0}: try again in a moment")]
    Unavailable(String),
    /// A bug or a broken store; the message says which.
    #[error("internal error: {0}")]
    Internal(String),
}

impl DeskError {
    /// The stable code the UI keys its translations on.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotLoopback(_) => "not_loopback",
            Self::Bind { .. } => "bind",
            Self::Crypto => "crypto",
            Self::NotFound(_) => "not_found",
            Self::Invalid(_) => "invalid",
            Self::Unavailable(_) => "unavailable",
            Self::Internal(_) => "internal",
        }
    }
}

impl ResponseError for DeskError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Invalid(_) => StatusCode::BAD_REQUEST,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::NotLoopback(_) | Self::Bind { .. } | Self::Crypto | Self::Internal(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status_code()).json(serde_json::json!({
            "error": self.to_string(),
            "code": self.code(),
        }))
    }
}
