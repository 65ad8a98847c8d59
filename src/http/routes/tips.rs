//! Tips: anyone may submit a sealed bundle; only reviewers may list, fetch and rewrap.
//!
//! The server checks a bundle's structure, exact length and key epoch, stores it, waits
//! for the group commit's flush and only then answers 201. It cannot open anything, and
//! it records nothing about the sender: no address, no header, no time finer than a day.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::super::body::{read_body, Json};
use super::super::intake::{self, Sealer, Submission};
use super::super::{audit_log, ApiError, AppState};
use super::auth::Reviewer;
use crate::domain::envelope::{WrapSection, WRAP_LEN};
use crate::domain::{Epoch, IdempotencyKey, TipId};
use crate::storage::SwapError;

/// `POST /api/v1/tips`.
#[utoipa::path(
    post,
    path = "/api/v1/tips",
    operation_id = "submit_tip",
    tag = "witness",
    params(
        ("Idempotency-Key" = Option<String>, Header, nullable = false, description = "16 to 128 characters of `[A-Za-z0-9_-]`: a retry with the same key and body gets the first answer.", pattern = "^[A-Za-z0-9_-]{16,128}$"),
        ("Tipseal-Uploads" = Option<String>, Header, nullable = false, description = "Completed upload ids to append as attachments, comma-separated.", pattern = "^[0-9a-fA-F]{32}(,[0-9a-fA-F]{32}){0,30}$"),
        ("Tipseal-Mailbox" = Option<String>, Header, nullable = false, description = "The receipt's mailbox public key (32 bytes, base64url without padding), to register a mailbox with the tip.", pattern = "^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$"),
    ),
    request_body(content = crate::http::openapi::SealedBundle, content_type = "application/octet-stream", description = "A bundle of envelopes sealed to the current epoch (`docs/envelope.md`)."),
    responses(
        (status = 201, description = "Stored and flushed to disk.", body = crate::http::openapi::TipReceived),
        (status = 200, description = "A retry: the tip was stored before under this Idempotency-Key.", body = crate::http::openapi::TipReceived),
        (status = 400, description = "Not a well-formed bundle, a wrong epoch, or a malformed header.", body = crate::http::openapi::ErrorBody),
        (status = 408, description = "The body did not arrive in time.", body = crate::http::openapi::ErrorBody),
        (status = 409, description = "The Idempotency-Key was used for another body, or the mailbox key is taken.", body = crate::http::openapi::ErrorBody),
        (status = 413, description = "The body is larger than allowed.", body = crate::http::openapi::ErrorBody),
        (status = 503, description = "Busy, or not accepting (no keyring in force): try again later.", body = crate::http::openapi::ErrorBody, headers(("Retry-After" = u32, description = "Seconds to wait before trying again."))),
        (status = 507, description = "The server is low on disk space: nothing was stored.", body = crate::http::openapi::ErrorBody),
    ),
)]
pub async fn submit(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let keyring = state.keyring().ok_or(ApiError::NotAccepting)?;
    if !keyring.has_reviewers() {
        return Err(ApiError::NotAccepting);
    }
    let idem = req
        .headers()
        .get("idempotency-key")
        .map(|v| {
            v.to_str()
                .map_err(|_| crate::domain::DomainError::InvalidIdempotencyKey)
                .and_then(IdempotencyKey::parse)
        })
        .transpose()?;
    // Before reading the body: a refused tip costs no bandwidth. A try with a key may be
    // the retry of a stored tip: `store_bundle` answers it first, then checks the floor.
    if idem.is_none() {
        state.disk.check()?;
    }
    let uploads = intake::uploads_named_in(&req)?;
    let mailbox = super::mailbox::mailbox_header(&req)?;
    let limits = &state.limits;
    // The body may hold only what the named uploads leave of the whole-tip cap.
    let room = limits
        .max_tip_bytes
        .checked_sub(intake::uploads_size(&state, &uploads).await?)
        .ok_or(ApiError::TipTooLarge)?;
    let body = read_body(&req, payload, &state, limits.max_body_bytes.min(room))
        .await
        .map_err(|e| match e {
            ApiError::TooLarge if room < limits.max_body_bytes => ApiError::TipTooLarge,
            other => other,
        })?;
    // Only now, with the bytes in: a slow body never holds intake memory. Charged in
    // bytes, so 200 witnesses with text tips all get in where 64 slots refused most.
    let _admitted = state
        .intake
        .admit(body.bytes.len())
        .map_err(|_| ApiError::Busy)?;
    let _held = body.held;
    let submission = Submission {
        body: body.bytes,
        uploads,
        idempotency: idem,
        sealer: Sealer::Witness,
        mailbox,
    };
    let stored = intake::store_bundle(&state, submission).await?;
    let status = if stored.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(HttpResponse::build(status).json(serde_json::json!({
        "id": stored.id,
        "received": stored.received,
    })))
}

/// Rows a listing page holds unless the client asks for fewer or more.
pub const DEFAULT_PAGE_LIMIT: usize = 500;
/// Most rows one listing page holds: a page stays a few hundred KiB of JSON and a few
/// milliseconds of reads however many tips are stored.
pub const MAX_PAGE_LIMIT: usize = 1000;

/// `?after=ID&limit=N` of the listing.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// The `next` of the previous page: rows start after this tip id (from the first
    /// tip when absent). Any well-formed id works, stored or not.
    #[param(pattern = "^[0-9a-fA-F]{32}$")]
    pub after: Option<String>,
    /// Rows at most (1 to 1000, default 500).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<usize>,
}

/// `GET /api/v1/tips?after=ID&limit=N`: one page of summaries in index order, and the
/// cursor of the next page (`null` on the last). The index is ordered by the received
/// day and random within a day, so the order says nothing finer than the day each row
/// shows; a tip stored during a walk may show up only in the next walk.
#[utoipa::path(
    get,
    path = "/api/v1/tips",
    operation_id = "list_tips",
    tag = "staff",
    params(ListQuery),
    security(("staff" = [])),
    responses(
        (status = 200, description = "One page of stored tips; follow `next` until it is null.", body = crate::http::openapi::TipPage),
        (status = 400, description = "The query is malformed (`after` not a tip id, `limit` not 1 to 1000).", body = crate::http::openapi::ErrorBody),
        (status = 401, description = "No valid session token.", body = crate::http::openapi::ErrorBody, headers(("WWW-Authenticate" = String, description = "`Bearer`."))),
        (status = 403, description = "The session is not a reviewer's.", body = crate::http::openapi::ErrorBody),
    ),
)]
pub async fn list(
    _r: Reviewer,
    state: web::Data<AppState>,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let after = q.after.as_deref().map(TipId::parse).transpose()?;
    let limit = q.limit.unwrap_or(DEFAULT_PAGE_LIMIT);
    if !(1..=MAX_PAGE_LIMIT).contains(&limit) {
        return Err(ApiError::BadRequest("limit is 1 to 1000"));
    }
    let store = state.store.clone();
    // One row more than asked says whether another page follows.
    let (mut tips, lengths) = super::blocking(move || {
        let tips = store.list_tips_page(after, limit + 1)?;
        let ids: Vec<TipId> = tips.iter().take(limit).map(|t| t.id).collect();
        Ok((tips, store.thread_lengths_of(&ids)?))
    })
    .await?;
    let more = tips.len() > limit;
    tips.truncate(limit);
    let next = if more {
        tips.last().map(|t| t.id)
    } else {
        None
    };
    let out: Vec<serde_json::Value> = tips
        .iter()
        .zip(lengths)
        .map(|(t, entries)| {
            serde_json::json!({
                "id": t.id,
                "received": t.received,
                "epoch": t.epoch.get(),
                "sealed_by_server": t.flags & 1 == 1,
                "size": t.size,
                "parts": t.parts,
                "entries": entries,
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "tips": out, "next": next })))
}

/// Stored chunks a fetch reads ahead of the client: bounds a fetch's memory to a few
/// 32 KiB chunks however large the tip, and however slowly the reviewer reads.
const FETCH_READ_AHEAD: usize = 4;

/// `GET /api/v1/tips/{id}`: the bundle as stored, with its current wraps, streamed from
/// the stored chunks (never assembled in memory).
#[utoipa::path(
    get,
    path = "/api/v1/tips/{id}",
    tag = "staff",
    params(("id" = String, Path, description = "The tip id (32 hex characters).", pattern = "^[0-9a-fA-F]{32}$")),
    security(("staff" = [])),
    responses(
        (status = 200, description = "The bundle.", body = crate::http::openapi::SealedBundle, content_type = "application/octet-stream"),
        (status = 400, description = "The tip id is malformed.", body = crate::http::openapi::ErrorBody),
        (status = 401, description = "No valid session token.", body = crate::http::openapi::ErrorBody, headers(("WWW-Authenticate" = String, description = "`Bearer`."))),
        (status = 403, description = "The session is not a reviewer's.", body = crate::http::openapi::ErrorBody),
        (status = 404, description = "No such tip.", body = crate::http::openapi::ErrorBody),
    ),
)]
pub async fn fetch(
    _r: Reviewer,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = TipId::parse(&path)?;
    let store = state.store.clone();
    let pieces = super::blocking(move || store.tip_pieces(id)?.ok_or(ApiError::NotFound)).await?;
    let total = pieces.total_len();
    Ok(stream_pieces(pieces, total))
}

/// A `total`-byte octet-stream response fed from stored pieces read on a blocking
/// thread at most [`FETCH_READ_AHEAD`] pieces ahead of the client (a tip, or one
/// conversation entry). A read error ends the body short, which the client detects.
pub(crate) fn stream_pieces<I>(pieces: I, total: u64) -> HttpResponse
where
    I: Iterator<Item = Result<Vec<u8>, crate::storage::StorageError>> + Send + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::channel(FETCH_READ_AHEAD);
    actix_web::rt::task::spawn_blocking(move || {
        for piece in pieces {
            let item = piece.map(web::Bytes::from).map_err(|e| {
                tracing::error!(cause = ?e, "stored bytes could not be read out");
                std::io::Error::other("stored bytes unreadable")
            });
            let failed = item.is_err();
            // A reviewer who hangs up closes the channel: stop reading.
            if tx.blocking_send(item).is_err() || failed {
                break;
            }
        }
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    HttpResponse::Ok()
        .content_type("application/octet-stream")
        .no_chunking(total)
        .streaming(stream)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SwapRequest {
    /// The epoch the stored wraps are sealed to.
    #[schema(value_type = u32, minimum = 1)]
    pub(crate) from_epoch: Epoch,
    /// One 84-byte wrap section per part, base64url, sealed to the current epoch.
    #[schema(inline, pattern = "^[A-Za-z0-9_-]{112}$")]
    wraps: Vec<String>,
}

impl SwapRequest {
    /// The new wraps, each well formed and sealed to the `current` epoch; also refuses
    /// a move that is not to a later epoch. Shared by tips and conversation entries.
    pub(crate) fn new_wraps(&self, current: Epoch) -> Result<Vec<[u8; WRAP_LEN]>, ApiError> {
        let mut wraps = Vec::with_capacity(self.wraps.len());
        for w in &self.wraps {
            let raw = crate::crypto::b64_decode(w)
                .ok_or(ApiError::BadRequest("a wrap is not base64url"))?;
            let section = WrapSection::parse(&raw)?;
            if section.epoch != current {
                return Err(ApiError::WrongEpoch {
                    got: section.epoch.get(),
                    current: current.get(),
                });
            }
            wraps.push(section.encode());
        }
        if current <= self.from_epoch {
            return Err(ApiError::BadRequest(
                "a tip can only be re-wrapped to a later key epoch",
            ));
        }
        Ok(wraps)
    }
}

/// `PUT /api/v1/tips/{id}/wraps`: replace every wrap of a tip with wraps to the current
/// epoch, atomically. The reviewer's client made them; the server cannot check that they
/// open (it holds no key), only that they are well formed and for the current epoch.
#[utoipa::path(
    put,
    path = "/api/v1/tips/{id}/wraps",
    tag = "staff",
    params(("id" = String, Path, description = "The tip id (32 hex characters).", pattern = "^[0-9a-fA-F]{32}$")),
    security(("staff" = [])),
    request_body = SwapRequest,
    responses(
        (status = 200, description = "Every wrap swapped, in one transaction.", body = crate::http::openapi::TipRewrapped),
        (status = 400, description = "Malformed body or id, a wrap not for the current epoch, or not a later epoch.", body = crate::http::openapi::ErrorBody),
        (status = 401, description = "No valid session token.", body = crate::http::openapi::ErrorBody, headers(("WWW-Authenticate" = String, description = "`Bearer`."))),
        (status = 403, description = "The session is not a reviewer's.", body = crate::http::openapi::ErrorBody),
        (status = 404, description = "No such tip.", body = crate::http::openapi::ErrorBody),
        (status = 409, description = "The stored wraps are not from `from_epoch`, or the part count differs.", body = crate::http::openapi::ErrorBody),
        (status = 503, description = "Busy, or not accepting (no keyring in force): try again later.", body = crate::http::openapi::ErrorBody, headers(("Retry-After" = u32, description = "Seconds to wait before trying again."))),
    ),
)]
pub async fn swap_wraps(
    reviewer: Reviewer,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: Json<SwapRequest>,
) -> Result<HttpResponse, ApiError> {
    let id = TipId::parse(&path)?;
    let current = state.keyring().ok_or(ApiError::NotAccepting)?.epoch();
    let wraps = body.new_wraps(current)?;
    let from = body.from_epoch;
    let store = state.store.clone();
    let actor = reviewer.0.key_id;
    super::blocking(move || {
        store
            .swap_wraps(id, from, &wraps, current)
            .map_err(|e| match e {
                SwapError::NotFound => ApiError::NotFound,
                SwapError::EpochMismatch { .. } | SwapError::PartCount { .. } => ApiError::Conflict,
                SwapError::NotLater => {
                    ApiError::BadRequest("a tip can only be re-wrapped to a later key epoch")
                }
                SwapError::Storage(s) => ApiError::Storage(s),
            })?;
        audit_log::record(
            &store,
            "rewrap",
            Some(actor),
            format!("tip {id}: epoch {from} -> {current}"),
        )?;
        Ok(())
    })
    .await?;
    state.store.durable().await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "id": id, "epoch": current.get() })))
}
