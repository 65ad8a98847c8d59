//! `ApiError`: the one place where failures become HTTP statuses and JSON bodies.
//!
//! Bodies are fixed sentences (`{"error": "...", "code": "..."}`) that never echo input;
//! causes go to the log (without request data), never to the client. Anything unexpected
//! is a 500, never a default 400.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};

use crate::crypto::{CryptoError, KeyringProblem};
use crate::domain::DomainError;
use crate::storage::StorageError;

/// Every way a request can fail.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The body did not arrive in time.
    #[error("the request body was not received in time")]
    BodyTimeout,
    /// The body is larger than allowed.
    #[error("the request body is too large")]
    TooLarge,
    /// A structurally invalid upload (bundle, envelope, id, header).
    #[error(transparent)]
    BadInput(#[from] DomainError),
    /// A request field that is missing or malformed (JSON bodies).
    #[error("{0}")]
    BadRequest(&'static str),
    /// An upload sealed to an epoch that is not the current one.
    #[error("the tip is sealed to key epoch {got}, but the current epoch is {current}: fetch the keyring again and re-seal")]
    WrongEpoch {
        /// The epoch in the upload.
        got: u32,
        /// The server's current epoch.
        current: u32,
    },
    /// The same idempotency key was used for a different body.
    #[error("this Idempotency-Key was already used for a different submission")]
    IdempotencyConflict,
    /// A keyring refused, with the reason.
    #[error("{0}")]
    Keyring(KeyringProblem),
    /// Missing, unknown, expired or revoked credentials — one answer for all.
    #[error("authentication required")]
    Unauthorized,
    /// Authenticated, but this role may not do this.
    #[error("this key is not allowed to do that")]
    Forbidden,
    /// Unknown tip (for authenticated reviewers only).
    #[error("no such tip")]
    NotFound,
    /// No API route has this path.
    #[error("there is no such API path: /api/v1/openapi.json lists them")]
    NoSuchPath,
    /// The path exists, but not with this method (the response's `Allow` lists those).
    #[error("this method is not allowed on this path: the Allow header lists those that are")]
    MethodNotAllowed,
    /// A concurrent change won (e.g. two rewraps of the same tip).
    #[error("the tip was changed concurrently; fetch it again")]
    Conflict,
    /// The server is not set up to accept tips yet (no reviewers in the keyring).
    #[error("this server is not accepting tips yet: its keyring has no reviewers")]
    NotAccepting,
    /// Too many requests in flight; try again later.
    #[error("the server is busy; try again in a few seconds")]
    Busy,
    /// Free disk space is below the floor: no new submissions.
    #[error(
        "the server is short of disk space and cannot accept new submissions now; try again later"
    )]
    InsufficientStorage,
    /// Storage failed.
    #[error("internal error")]
    Storage(#[from] StorageError),
    /// Any other unexpected failure.
    #[error("internal error")]
    Internal(&'static str),
}

impl From<CryptoError> for ApiError {
    fn from(e: CryptoError) -> Self {
        match e {
            CryptoError::Keyring(p) => ApiError::Keyring(p),
            CryptoError::Domain(d) => ApiError::BadInput(d),
            CryptoError::BadSignature | CryptoError::DecryptionFailed => ApiError::Unauthorized,
            _ => ApiError::Internal("cryptographic failure"),
        }
    }
}

impl ApiError {
    /// The stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BodyTimeout => "body_timeout",
            ApiError::TooLarge => "too_large",
            ApiError::BadInput(DomainError::Envelope(_)) => "malformed_envelope",
            ApiError::BadInput(DomainError::Bundle(_)) => "malformed_bundle",
            ApiError::BadInput(DomainError::Keyring(_)) => "malformed_keyring",
            ApiError::BadInput(DomainError::InvalidIdempotencyKey) => "bad_idempotency_key",
            ApiError::BadInput(_) | ApiError::BadRequest(_) => "bad_request",
            ApiError::WrongEpoch { .. } => "wrong_epoch",
            ApiError::IdempotencyConflict => "idempotency_conflict",
            ApiError::Keyring(p) => match p {
                KeyringProblem::BadSignature => "bad_signature",
                KeyringProblem::BrokenChain => "broken_chain",
                KeyringProblem::StaleEpoch => "stale_epoch",
                KeyringProblem::Fork => "fork",
                KeyringProblem::UnpinnedAdmin => "unpinned_admin",
                KeyringProblem::Malformed(_) => "malformed_keyring",
            },
            ApiError::Unauthorized => "unauthorized",
            ApiError::Forbidden => "forbidden",
            ApiError::NotFound | ApiError::NoSuchPath => "not_found",
            ApiError::MethodNotAllowed => "method_not_allowed",
            ApiError::Conflict => "conflict",
            ApiError::NotAccepting => "not_accepting",
            ApiError::Busy => "busy",
            ApiError::InsufficientStorage => "insufficient_storage",
            ApiError::Storage(_) | ApiError::Internal(_) => "internal",
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BodyTimeout => StatusCode::REQUEST_TIMEOUT,
            ApiError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::BadInput(_) | ApiError::BadRequest(_) | ApiError::WrongEpoch { .. } => {
                StatusCode::BAD_REQUEST
            }
            ApiError::Keyring(KeyringProblem::StaleEpoch | KeyringProblem::Fork) => {
                StatusCode::CONFLICT
            }
            ApiError::Keyring(_) => StatusCode::BAD_REQUEST,
            ApiError::IdempotencyConflict | ApiError::Conflict => StatusCode::CONFLICT,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden => StatusCode::FORBIDDEN,
            ApiError::NotFound | ApiError::NoSuchPath => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::NotAccepting | ApiError::Busy => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::InsufficientStorage => StatusCode::INSUFFICIENT_STORAGE,
            ApiError::Storage(_) | ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        if status.is_server_error() {
            // The cause goes to the log; the request itself never does.
            tracing::error!(code = self.code(), cause = ?self, "request failed");
        }
        let mut res = HttpResponse::build(status);
        if matches!(self, ApiError::Busy | ApiError::NotAccepting) {
            res.insert_header((header::RETRY_AFTER, "5"));
        }
        if matches!(self, ApiError::Unauthorized) {
            res.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        // Dropping an unread body would keep the connection reading it: close instead.
        if matches!(self, ApiError::BodyTimeout | ApiError::TooLarge) {
            res.insert_header((header::CONNECTION, "close"));
        }
        res.json(serde_json::json!({ "error": self.to_string(), "code": self.code() }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_has_a_sentence_and_the_right_status() {
        let cases = [
            (ApiError::BodyTimeout, 408),
            (ApiError::TooLarge, 413),
            (
                ApiError::BadInput(DomainError::Envelope("wrong magic bytes")),
                400,
            ),
            (ApiError::WrongEpoch { got: 1, current: 2 }, 400),
            (ApiError::Keyring(KeyringProblem::StaleEpoch), 409),
            (ApiError::Keyring(KeyringProblem::BadSignature), 400),
            (ApiError::Unauthorized, 401),
            (ApiError::InsufficientStorage, 507),
            (ApiError::MethodNotAllowed, 405),
            (ApiError::Internal("x"), 500),
        ];
        for (e, status) in cases {
            assert_eq!(e.status_code().as_u16(), status, "{e:?}");
            assert!(!e.to_string().is_empty());
        }
    }
}
