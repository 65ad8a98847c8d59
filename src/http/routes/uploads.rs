//! Resumable uploads (`docs/web.md`): large attachment envelopes sent in chunks before
//! the tip that names them in `Tipseal-Uploads`.
//!
//! Anyone may create an upload; its id (128 random bits) is the only capability to add
//! to it, read its offset or use it. Unknown, expired and used ids all get the same 404.
//! The server checks only that the declared length is a real envelope length; the bytes
//! are checked as an envelope when a tip names the upload.

use actix_web::http::header::HeaderValue;
use actix_web::http::StatusCode;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::super::body::{read_body, Json};
use super::super::{ApiError, AppState};
use crate::crypto::random_bytes;
use crate::domain::envelope::{Bucket, BUCKETS};
use crate::domain::limits::MAX_UPLOAD_BYTES;
use crate::domain::{Day, UploadId};
use crate::storage::UploadError;

/// Largest chunk a `PATCH` may carry: 1 MiB takes seconds over Tor, so a dropped
/// connection loses little, and a 32 MiB envelope needs only 32 requests.
pub const CHUNK_SIZE: usize = 1024 * 1024;
/// The header carrying an upload's offset, as in the tus protocol.
const OFFSET_HEADER: &str = "upload-offset";

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateRequest {
    /// The exact length of the envelope to upload: one of the envelope lengths.
    #[schema(schema_with = crate::http::openapi::envelope_lengths)]
    length: u64,
}

/// `POST /api/v1/uploads` with `{"length": N}`.
#[utoipa::path(
    post,
    path = "/api/v1/uploads",
    operation_id = "create_upload",
    tag = "witness",
    request_body = CreateRequest,
    responses(
        (status = 201, description = "Created: send the bytes with `PATCH`.", body = crate::http::openapi::UploadCreated),
        (status = 400, description = "The length is not an envelope length within the limit, or the body is malformed.", body = crate::http::openapi::ErrorBody),
        (status = 503, description = "Busy, or not accepting (no keyring in force): try again later.", body = crate::http::openapi::ErrorBody, headers(("Retry-After" = u32, description = "Seconds to wait before trying again."))),
        (status = 507, description = "The server is low on disk space: nothing was stored.", body = crate::http::openapi::ErrorBody),
    ),
)]
pub async fn create(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    refuse_unless_accepting(&state)?;
    state.disk.check()?;
    // Read only now: a refused upload costs no bandwidth.
    let body = Json::<CreateRequest>::from_request(&req, &mut payload.into_inner()).await?;
    let length = body.length;
    let is_envelope_len = BUCKETS
        .iter()
        .filter_map(|&b| Bucket::from_u32(b).ok())
        .any(|b| b.envelope_len() as u64 == length);
    let cap = (MAX_UPLOAD_BYTES as u64).min(state.limits.max_tip_bytes as u64);
    if !is_envelope_len || length > cap {
        return Err(ApiError::BadRequest(
            "the length must be the exact length of an envelope, within the size limit",
        ));
    }
    let id = UploadId::from_bytes(random_bytes());
    let today = Day::today();
    let store = state.store.clone();
    let budget = state.limits.upload_budget_bytes;
    super::blocking(move || {
        store
            .create_upload(id, length, today, budget)
            .map_err(|e| match e {
                UploadError::TooMany => ApiError::UploadsFull,
                UploadError::NoSpace => ApiError::InsufficientStorage,
                other => ApiError::Internal(storage_failure(other)),
            })
    })
    .await?;
    state.store.durable().await?;
    Ok(HttpResponse::Created().json(serde_json::json!({ "id": id, "chunk_size": CHUNK_SIZE })))
}

/// `PATCH /api/v1/uploads/{id}` with `Upload-Offset: K` and up to [`CHUNK_SIZE`] bytes.
#[utoipa::path(
    patch,
    path = "/api/v1/uploads/{id}",
    operation_id = "append_upload",
    tag = "witness",
    params(
        ("id" = String, Path, description = "The upload id (32 hex characters).", pattern = "^[0-9a-fA-F]{32}$"),
        ("Upload-Offset" = u64, Header, description = "Bytes already received: where this chunk goes.", format = "uint64"),
    ),
    request_body(content = Option<crate::http::openapi::SealedBundle>, content_type = "application/octet-stream", description = "Up to 1 MiB of the envelope; empty: nothing is stored, the answer gives the offset."),
    responses(
        (status = 204, description = "Stored and flushed.", headers(("Upload-Offset" = u64, description = "Bytes received so far."))),
        (status = 400, description = "A missing or malformed Upload-Offset, or bytes past the declared length.", body = crate::http::openapi::ErrorBody),
        (status = 404, description = "No such upload (unknown, expired or used).", body = crate::http::openapi::ErrorBody),
        (status = 408, description = "The body did not arrive in time.", body = crate::http::openapi::ErrorBody),
        (status = 409, description = "The offset is not where the upload stands: resume from `offset`.", body = crate::http::openapi::OffsetMismatch),
        (status = 413, description = "The body is larger than allowed.", body = crate::http::openapi::ErrorBody),
        (status = 503, description = "Busy, or not accepting (no keyring in force): try again later.", body = crate::http::openapi::ErrorBody, headers(("Retry-After" = u32, description = "Seconds to wait before trying again."))),
        (status = 507, description = "The server is low on disk space: nothing was stored.", body = crate::http::openapi::ErrorBody),
    ),
)]
pub async fn append(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let Ok(id) = UploadId::parse(&path) else {
        return Ok(not_found());
    };
    let offset = req
        .headers()
        .get(OFFSET_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .ok_or(ApiError::BadRequest(
            "the Upload-Offset header must be a number of bytes",
        ))?;
    refuse_unless_accepting(&state)?;
    state.disk.check()?;
    let body = read_body(&req, payload, &state, CHUNK_SIZE).await?;
    // The slot only once the bytes are here: a slow body holds none.
    let _slot = state
        .intake_slots
        .try_acquire()
        .map_err(|_| ApiError::Busy)?;
    let store = state.store.clone();
    let bytes = body.bytes;
    let _held = body.held;
    let result = super::blocking(move || Ok(store.append_upload(id, offset, &bytes))).await?;
    match result {
        Ok(new_offset) => {
            // Nothing written (an empty PATCH): nothing to flush, so a no-op costs no fsync.
            if new_offset != offset {
                state.store.durable().await?;
            }
            let mut res = HttpResponse::NoContent().finish();
            res.headers_mut().insert(
                actix_web::http::header::HeaderName::from_static(OFFSET_HEADER),
                HeaderValue::from(new_offset),
            );
            Ok(res)
        }
        Err(UploadError::OffsetMismatch { current }) => Ok(HttpResponse::build(
            StatusCode::CONFLICT,
        )
        .json(serde_json::json!({
            "offset": current,
            "error": "the offset does not match the bytes received so far; resume from `offset`",
            "code": "offset_mismatch",
        }))),
        Err(UploadError::NotFound) => Ok(not_found()),
        Err(UploadError::PastEnd) => Err(ApiError::BadRequest(
            "the bytes go past the declared length of the upload",
        )),
        // Nothing of this request counts: the client resumes from the same offset later.
        Err(UploadError::NoSpace) => Err(ApiError::InsufficientStorage),
        Err(other) => Err(ApiError::Internal(storage_failure(other))),
    }
}

/// `GET /api/v1/uploads/{id}`: the resume point.
#[utoipa::path(
    get,
    path = "/api/v1/uploads/{id}",
    operation_id = "upload_status",
    tag = "witness",
    params(("id" = String, Path, description = "The upload id (32 hex characters).", pattern = "^[0-9a-fA-F]{32}$")),
    responses(
        (status = 200, description = "Where the upload stands.", body = crate::http::openapi::UploadStatus),
        (status = 404, description = "No such upload (unknown, expired or used).", body = crate::http::openapi::ErrorBody),
    ),
)]
pub async fn status(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let Ok(id) = UploadId::parse(&path) else {
        return Ok(not_found());
    };
    let store = state.store.clone();
    let status = super::blocking(move || {
        store
            .upload_status(id)
            .map_err(|e| ApiError::Internal(storage_failure(e)))
    })
    .await?;
    Ok(match status {
        Some(s) => HttpResponse::Ok().json(serde_json::json!({
            "offset": s.received,
            "length": s.length,
        })),
        None => not_found(),
    })
}

/// The refusals a tip would meet (no keyring or no reviewers, an expired keyring), before
/// any body byte is read: bytes for a tip that cannot be stored are not taken.
fn refuse_unless_accepting(state: &AppState) -> Result<(), ApiError> {
    let keyring = state.keyring().ok_or(ApiError::NotAccepting)?;
    if !keyring.has_reviewers() {
        return Err(ApiError::NotAccepting);
    }
    super::super::intake::refuse_if_expired(&keyring)
}

/// One answer for unknown, expired and used uploads.
fn not_found() -> HttpResponse {
    HttpResponse::NotFound().json(serde_json::json!({
        "error": "there is no such upload (it may have expired or been used)",
        "code": "not_found",
    }))
}

/// Logs a storage failure's cause (no request data) and names it for the 500.
fn storage_failure(e: UploadError) -> &'static str {
    tracing::error!(cause = ?e, "upload storage failed");
    "upload storage failed"
}
