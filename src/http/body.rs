//! Reading request bodies with a size cap and a deadline.
//!
//! actix-web has no timeout on a slow request body and `web::Payload` is unlimited, so
//! every handler that takes a body reads it through here: more than `limit` bytes → 413,
//! not complete before `deadline` → 408. A declared `Content-Length` above the limit is
//! refused before a byte is read.

use std::time::Duration;

use actix_web::{web, HttpRequest};
use futures_util::StreamExt;

use super::error::ApiError;

/// The body length the client declared, if it sent a well-formed `Content-Length`.
pub(crate) fn declared_length(req: &HttpRequest) -> Option<u64> {
    req.headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
}

/// Reads the whole body, or fails with 413/408/400.
pub async fn read_body(
    req: &HttpRequest,
    mut payload: web::Payload,
    limit: usize,
    timeout: Duration,
) -> Result<web::Bytes, ApiError> {
    let declared = declared_length(req);
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(ApiError::TooLarge);
    }
    let capacity = declared.map_or(0, |n| n as usize).min(limit);
    let read = async {
        let mut buf = web::BytesMut::with_capacity(capacity);
        while let Some(chunk) = payload.next().await {
            let chunk =
                chunk.map_err(|_| ApiError::BadRequest("the request body is incomplete"))?;
            if buf.len() + chunk.len() > limit {
                return Err(ApiError::TooLarge);
            }
            buf.extend_from_slice(&chunk);
        }
        Ok(buf.freeze())
    };
    tokio::time::timeout(timeout, read)
        .await
        .map_err(|_| ApiError::BodyTimeout)?
}
