//! Resumable uploads (`docs/web.md`): large attachment envelopes sent in chunks before
//! the tip that names them in `Tipseal-Uploads`.
//!
//! Anyone may create an upload; its id (128 random bits) is the only capability to add
//! to it, read its offset or use it. Unknown, expired and used ids all get the same 404.
//! The server checks only that the declared length is a real envelope length; the bytes
//! are checked as an envelope when a tip names the upload.

use actix_web::http::header::HeaderValue;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateRequest {
    length: u64,
}

/// `POST /api/v1/uploads` with `{"length": N}`.
pub async fn create(
    state: web::Data<AppState>,
    body: Json<CreateRequest>,
) -> Result<HttpResponse, ApiError> {
    state.disk.check()?;
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
                other => ApiError::Internal(storage_failure(other)),
            })
    })
    .await?;
    state.store.durable().await?;
    Ok(HttpResponse::Created().json(serde_json::json!({ "id": id, "chunk_size": CHUNK_SIZE })))
}

/// `PATCH /api/v1/uploads/{id}` with `Upload-Offset: K` and up to [`CHUNK_SIZE`] bytes.
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
            state.store.durable().await?;
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
        Err(other) => Err(ApiError::Internal(storage_failure(other))),
    }
}

/// `GET /api/v1/uploads/{id}`: the resume point.
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
