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
    /// The tip with its uploads is over the whole-tip cap (`docs/limits.md`).
    #[error("the tip with its attachments is larger than this server accepts; send fewer or smaller files")]
    TipTooLarge,
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
    /// A triage event built on an old view of its log: someone appended first.
    #[error("someone else changed this tip: fetch the new events, merge your change onto them, and retry at event {current}")]
    SeqConflict {
        /// The log's next seq now.
        current: u32,
    },
    /// The triage log holds the most events the server keeps for one log.
    #[error("this log holds the most triage events this server keeps for one log (docs/limits.md); nothing was added")]
    EventLogFull,
    /// A tip deletion without a recorded decision.
    #[error("record the decision first: append a delete_tip triage event to this tip's log, then delete it")]
    NoDeleteEvent,
    /// A reply to a tip whose witness registered no mailbox: it could never reach them.
    #[error("the witness registered no mailbox with this tip, so a reply could never reach them; nothing was stored")]
    NoMailbox,
    /// The tip's conversation is at its size or entry limit (`docs/limits.md`).
    #[error("this tip's conversation has reached the most this server stores for one tip; nothing was added: put anything further in a new tip")]
    ConversationFull,
    /// The server is not set up to accept tips yet (no reviewers in the keyring).
    #[error("this server is not accepting tips yet: its keyring has no reviewers")]
    NotAccepting,
    /// The current keyring manifest has expired: no tip may be sealed to it.
    #[error("this server's keyring has expired, so it cannot take tips until an admin renews it; try again later")]
    KeyringExpired,
    /// Too many requests in flight; try again later.
    #[error("the server is busy; try again in a few seconds")]
    Busy,
    /// The unfinished uploads already reserve the whole upload budget.
    #[error("too many unfinished uploads are open on the server; try again in a few minutes")]
    UploadsFull,
    /// This kind of request is over its budget (`http::rate`); try again after the wait.
    #[error("too many requests of this kind right now; try again after the number of seconds in the Retry-After header")]
    RateLimited {
        /// How long until the budget has a token again.
        retry_after: std::time::Duration,
    },
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
            ApiError::TipTooLarge => "tip_too_large",
            ApiError::BadInput(DomainError::Envelope(_)) => "malformed_envelope",
            ApiError::BadInput(DomainError::Bundle(_)) => "malformed_bundle",
            ApiError::BadInput(DomainError::Keyring(_)) => "malformed_keyring",
            ApiError::BadInput(DomainError::InvalidIdempotencyKey) => "bad_idempotency_key",
            ApiError::BadInput(_) | ApiError::BadRequest(_) => "bad_request",
            ApiError::WrongEpoch { .. } => "wrong_epoch",
            ApiError::IdempotencyConflict => "idempotency_conflict",
            ApiError::Keyring(p) => match p {
                KeyringProblem::BadSignature | KeyringProblem::NotAnAdmin => "bad_signature",
                KeyringProblem::QuorumNotMet { .. } => "quorum_not_met",
                KeyringProblem::BrokenChain => "broken_chain",
                KeyringProblem::StaleEpoch => "stale_epoch",
                KeyringProblem::Fork => "fork",
                KeyringProblem::UnpinnedAdmin => "unpinned_admin",
                KeyringProblem::Expired => "keyring_expired",
                KeyringProblem::Rollback => "rollback",
                KeyringProblem::Malformed(_) => "malformed_keyring",
            },
            ApiError::Unauthorized => "unauthorized",
            ApiError::Forbidden => "forbidden",
            ApiError::NotFound | ApiError::NoSuchPath => "not_found",
            ApiError::MethodNotAllowed => "method_not_allowed",
            ApiError::Conflict => "conflict",
            ApiError::SeqConflict { .. } => "seq_conflict",
            ApiError::EventLogFull => "event_log_full",
            ApiError::NoDeleteEvent => "no_delete_event",
            ApiError::ConversationFull => "conversation_full",
            ApiError::NoMailbox => "no_mailbox",
            ApiError::NotAccepting => "not_accepting",
            ApiError::KeyringExpired => "keyring_expired",
            ApiError::Busy => "busy",
            ApiError::UploadsFull => "uploads_full",
            ApiError::RateLimited { .. } => "rate_limited",
            ApiError::InsufficientStorage => "insufficient_storage",
            ApiError::Storage(_) | ApiError::Internal(_) => "internal",
        }
    }
}

impl ApiError {
    /// Whether this is a fault (logged at ERROR): storage failed or something
    /// unexpected happened. Refusals by design (busy, disk floor, bad input) are not.
    pub fn is_fault(&self) -> bool {
        matches!(self, ApiError::Storage(_) | ApiError::Internal(_))
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BodyTimeout => StatusCode::REQUEST_TIMEOUT,
            ApiError::TooLarge | ApiError::TipTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::BadInput(_) | ApiError::BadRequest(_) | ApiError::WrongEpoch { .. } => {
                StatusCode::BAD_REQUEST
            }
            ApiError::Keyring(
                KeyringProblem::StaleEpoch | KeyringProblem::Fork | KeyringProblem::Rollback,
            ) => StatusCode::CONFLICT,
            ApiError::Keyring(_) => StatusCode::BAD_REQUEST,
            ApiError::IdempotencyConflict
            | ApiError::Conflict
            | ApiError::SeqConflict { .. }
            | ApiError::EventLogFull
            | ApiError::NoDeleteEvent
            | ApiError::ConversationFull
            | ApiError::NoMailbox => StatusCode::CONFLICT,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden => StatusCode::FORBIDDEN,
            ApiError::NotFound | ApiError::NoSuchPath => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::NotAccepting
            | ApiError::Busy
            | ApiError::KeyringExpired
            | ApiError::UploadsFull => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::InsufficientStorage => StatusCode::INSUFFICIENT_STORAGE,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Storage(_) | ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        if self.is_fault() {
            // The cause goes to the log; the request itself never does.
            tracing::error!(code = self.code(), cause = ?self, "request failed");
        } else if status.is_server_error() {
            // 503/507 by design: counted and summarised at WARN, never an ERROR.
            super::refusal_log::note(self.code());
        }
        let mut res = HttpResponse::build(status);
        if matches!(self, ApiError::Busy | ApiError::NotAccepting) {
            res.insert_header((header::RETRY_AFTER, "5"));
        }
        if matches!(self, ApiError::KeyringExpired) {
            // Renewal needs an admin: ask clients to come back in an hour, not in seconds.
            res.insert_header((header::RETRY_AFTER, "3600"));
        }
        if matches!(self, ApiError::UploadsFull) {
            res.insert_header((header::RETRY_AFTER, "60"));
        }
        if let ApiError::RateLimited { retry_after } = self {
            res.insert_header((header::RETRY_AFTER, retry_after.as_secs().to_string()));
        }
        if matches!(self, ApiError::Unauthorized) {
            res.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        // Dropping an unread body would keep the connection reading it: close instead.
        if matches!(
            self,
            ApiError::BodyTimeout | ApiError::TooLarge | ApiError::TipTooLarge
        ) {
            res.insert_header((header::CONNECTION, "close"));
        }
        if let ApiError::SeqConflict { current } = self {
            return res.json(serde_json::json!({
                "error": self.to_string(), "code": self.code(), "current": current,
            }));
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
            (ApiError::TipTooLarge, 413),
            (
                ApiError::BadInput(DomainError::Envelope("wrong magic bytes")),
                400,
            ),
            (ApiError::WrongEpoch { got: 1, current: 2 }, 400),
            (ApiError::Keyring(KeyringProblem::StaleEpoch), 409),
            (ApiError::Keyring(KeyringProblem::BadSignature), 400),
            (ApiError::Unauthorized, 401),
            (ApiError::UploadsFull, 503),
            (ApiError::ConversationFull, 409),
            (ApiError::InsufficientStorage, 507),
            (ApiError::KeyringExpired, 503),
            (
                ApiError::RateLimited {
                    retry_after: std::time::Duration::from_secs(1),
                },
                429,
            ),
            (ApiError::MethodNotAllowed, 405),
            (ApiError::Internal("x"), 500),
        ];
        for (e, status) in cases {
            assert_eq!(e.status_code().as_u16(), status, "{e:?}");
            assert!(!e.to_string().is_empty());
        }
    }

    /// What `error_response` and a refusal summary write to the log, at any level.
    fn logged_by(errors: &[ApiError]) -> String {
        #[derive(Clone, Default)]
        struct Buf(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
        impl std::io::Write for Buf {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let buf = Buf::default();
        let writer = buf.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .without_time()
            .with_ansi(false)
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            for e in errors {
                let _ = e.error_response();
            }
            super::super::refusal_log::flush(std::time::Duration::from_secs(60));
        });
        let text = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
        text
    }

    #[test]
    fn a_flood_of_refusals_is_one_warning_and_a_storage_fault_is_an_error() {
        let flood: Vec<ApiError> = (0..1000)
            .map(|i| match i % 3 {
                0 => ApiError::Busy,
                1 => ApiError::NotAccepting,
                _ => ApiError::InsufficientStorage,
            })
            .chain((0..50).map(|_| ApiError::BadRequest("x")))
            .collect();
        let log = logged_by(&flood);
        assert!(!log.contains("ERROR"), "{log}");
        let warnings: Vec<&str> = log.lines().filter(|l| l.contains("WARN")).collect();
        assert_eq!(warnings.len(), 3, "one line per code: {log}");
        assert!(
            log.contains("refused=334") && log.contains("code=\"busy\""),
            "{log}"
        );

        let fault = ApiError::Storage(StorageError::Corrupt("tip record"));
        let log = logged_by(&[fault, ApiError::Internal("sealing task failed")]);
        assert_eq!(
            log.lines().filter(|l| l.contains("ERROR")).count(),
            2,
            "{log}"
        );
        assert!(!log.contains("WARN"), "{log}");
    }
}
