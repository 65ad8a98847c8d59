//! Reviewers' side of a conversation: post a reply, list the thread, read one entry.
//!
//! The listing carries each entry's metadata only and each entry's sealed bytes are
//! streamed on their own from the stored chunks, so that no request makes the server
//! hold a whole conversation (or even a whole entry) in memory. Must never: assemble a
//! conversation into one response.
//!
//! A reply upload is one bundle of pairs: part 0 the reply sealed to the witness's reply
//! key, part 1 the same reply sealed to the current epoch (the reviewers' copy), then for
//! each attachment its witness copy and its reviewers' copy. The server splits the pairs
//! into two bundles it stores opaquely; it can read neither. Every reply is an audit event
//! (reviewer key id and tip id; nothing about the witness).

use actix_web::{web, HttpRequest, HttpResponse};

use super::super::body::{read_body, Json};
use super::super::{audit_log, ApiError, AppState};
use super::auth::Reviewer;
use super::mailbox::{check_sealed_to, thread_error};
use super::tips::SwapRequest;
use crate::domain::envelope::{Kind, WRAP_LEN};
use crate::domain::{bundle, thread_batch, Day, DomainError, TipId};
use crate::storage::{Reader, ThreadKind, WrapPatchError};

/// `POST /api/v1/tips/{id}/replies`.
#[utoipa::path(
    post,
    path = "/api/v1/tips/{id}/replies",
    tag = "staff",
    params(("id" = String, Path, description = "The tip id (32 hex characters).", pattern = "^[0-9a-fA-F]{32}$")),
    security(("staff" = [])),
    request_body(content = crate::http::openapi::SealedBundle, content_type = "application/octet-stream", description = "Pairs of envelopes: each part for the witness, then for the reviewers."),
    responses(
        (status = 201, description = "Stored and flushed.", body = crate::http::openapi::EntryCreated),
        (status = 400, description = "Not a well-formed reply bundle, or a wrong epoch.", body = crate::http::openapi::ErrorBody),
        (status = 401, description = "No valid session token.", body = crate::http::openapi::ErrorBody, headers(("WWW-Authenticate" = String, description = "`Bearer`."))),
        (status = 403, description = "The session is not a reviewer's.", body = crate::http::openapi::ErrorBody),
        (status = 404, description = "No such tip.", body = crate::http::openapi::ErrorBody),
        (status = 408, description = "The body did not arrive in time.", body = crate::http::openapi::ErrorBody),
        (status = 409, description = "The witness registered no mailbox with this tip (`no_mailbox`: a reply could never reach them), or its conversation is full (`conversation_full`: the entry count or `MAX_THREAD_BYTES`, docs/limits.md).", body = crate::http::openapi::ErrorBody),
        (status = 413, description = "The body is larger than allowed.", body = crate::http::openapi::ErrorBody),
        (status = 503, description = "Busy, not accepting (no keyring in force), or the keyring has expired (`keyring_expired`): try again later.", body = crate::http::openapi::ErrorBody, headers(("Retry-After" = u32, description = "Seconds to wait before trying again."))),
    ),
)]
pub async fn post_reply(
    reviewer: Reviewer,
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = TipId::parse(&path)?;
    let keyring = state.keyring().ok_or(ApiError::NotAccepting)?;
    // A reply is sealed to the current epoch like a tip: not to an expired keyring.
    crate::http::intake::refuse_if_expired(&keyring)?;
    let current = keyring.epoch();
    let read = read_body(&req, payload, &state, state.limits.max_body_bytes).await?;
    let (body, _held) = (read.bytes, read.held);
    let store = state.store.clone();
    let actor = reviewer.0.key_id;
    let seq =
        super::blocking(move || {
            let parsed = bundle::parse_with_kinds(&body, |i| {
                if i < 2 {
                    Kind::Reply
                } else {
                    Kind::Attachment
                }
            })?;
            if parsed.parts().len() % 2 != 0 {
                return Err(DomainError::Bundle(
                    "a reply bundle holds pairs: each part for the witness, then for the reviewers",
                )
                .into());
            }
            check_sealed_to(&parsed, current)?;
            let copy = |which: usize| -> Vec<u8> {
                let parts: Vec<&[u8]> = parsed
                    .parts()
                    .iter()
                    .skip(which)
                    .step_by(2)
                    .map(|p| p.bytes)
                    .collect();
                bundle::encode(&parts)
            };
            // A reply the witness can never fetch would be acknowledged and lost.
            if store.tip_exists(id)? && !store.tip_has_mailbox(id)? {
                return Err(ApiError::NoMailbox);
            }
            let seq = store
                .append_thread(
                    id,
                    ThreadKind::Reply,
                    Day::today(),
                    Some(&copy(0)),
                    &copy(1),
                )
                .map_err(thread_error)?;
            audit_log::record(&store, "reply", Some(actor), format!("tip {id}"))?;
            Ok(seq)
        })
        .await?;
    state.store.durable().await?;
    Ok(HttpResponse::Created().json(serde_json::json!({ "id": seq })))
}

/// `GET /api/v1/tips/{id}/thread`: the conversation's entries (follow-ups and the
/// reviewers' copies of replies), metadata only; fetch each entry's bundle with
/// `GET /api/v1/tips/{id}/thread/{seq}`.
#[utoipa::path(
    get,
    path = "/api/v1/tips/{id}/thread",
    tag = "staff",
    params(("id" = String, Path, description = "The tip id (32 hex characters).", pattern = "^[0-9a-fA-F]{32}$")),
    security(("staff" = [])),
    responses(
        (status = 200, description = "The conversation's entries, oldest first, without their bundles.", body = crate::http::openapi::Thread),
        (status = 400, description = "The tip id is malformed.", body = crate::http::openapi::ErrorBody),
        (status = 401, description = "No valid session token.", body = crate::http::openapi::ErrorBody, headers(("WWW-Authenticate" = String, description = "`Bearer`."))),
        (status = 403, description = "The session is not a reviewer's.", body = crate::http::openapi::ErrorBody),
        (status = 404, description = "No such tip.", body = crate::http::openapi::ErrorBody),
    ),
)]
pub async fn thread(
    _r: Reviewer,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = TipId::parse(&path)?;
    let store = state.store.clone();
    let entries = super::blocking(move || {
        if !store.tip_exists(id)? {
            return Err(ApiError::NotFound);
        }
        Ok(store.thread_index(id, Reader::Reviewers)?)
    })
    .await?;
    let out: Vec<serde_json::Value> = entries
        .iter()
        .map(|e| {
            serde_json::json!({
                "id": e.seq,
                "kind": match e.kind { ThreadKind::Followup => "followup", ThreadKind::Reply => "reply" },
                "received": e.received,
                "size": e.len,
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "entries": out })))
}

/// `GET /api/v1/tips/{id}/thread/{seq}`: the reviewers' copy of one conversation entry
/// as stored, streamed from the stored chunks (never assembled in memory).
#[utoipa::path(
    get,
    path = "/api/v1/tips/{id}/thread/{seq}",
    tag = "staff",
    params(("id" = String, Path, description = "The tip id (32 hex characters).", pattern = "^[0-9a-fA-F]{32}$"), ("seq" = u32, Path, description = "The entry's number in the conversation.")),
    security(("staff" = [])),
    responses(
        (status = 200, description = "The entry's sealed bundle (reviewers' copy).", body = crate::http::openapi::SealedBundle, content_type = "application/octet-stream"),
        (status = 400, description = "The tip id or entry number is malformed.", body = crate::http::openapi::ErrorBody),
        (status = 401, description = "No valid session token.", body = crate::http::openapi::ErrorBody, headers(("WWW-Authenticate" = String, description = "`Bearer`."))),
        (status = 403, description = "The session is not a reviewer's.", body = crate::http::openapi::ErrorBody),
        (status = 404, description = "No such tip or entry.", body = crate::http::openapi::ErrorBody),
    ),
)]
pub async fn entry(
    _r: Reviewer,
    state: web::Data<AppState>,
    path: web::Path<(String, u32)>,
) -> Result<HttpResponse, ApiError> {
    let (id, seq) = path.into_inner();
    let id = TipId::parse(&id)?;
    let store = state.store.clone();
    let pieces = super::blocking(move || {
        store
            .thread_entry_pieces(id, seq, Reader::Reviewers)?
            .ok_or(ApiError::NotFound)
    })
    .await?;
    let total = pieces.total_len();
    Ok(super::tips::stream_pieces(pieces, total))
}

/// `?from=SEQ&limit=N` of a batch of entries.
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BatchQuery {
    /// The first entry's seq (0 when absent): the batch holds entries from it on.
    // A u32, declared as a 64-bit integer with its real bounds: `int32` would tell
    // clients (and schemathesis) that 2^31 and above are invalid, and the server takes them.
    #[param(value_type = Option<i64>, minimum = 0, maximum = 4294967295u32)]
    pub from: Option<u32>,
    /// Entries at most (1 to 1000, default 1000).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<usize>,
}

/// `GET /api/v1/tips/{id}/thread/entries?from=SEQ&limit=N`: the reviewers' copies of a
/// run of conversation entries in one answer, framed as `domain::thread_batch` says and
/// streamed from the stored chunks. At most `limit` entries and, past the first, at most
/// `BATCH_BYTES` of them; the next batch starts after the last seq received. A reviewer
/// reads a conversation of thousands of entries in a few requests, not one per entry.
#[utoipa::path(
    get,
    path = "/api/v1/tips/{id}/thread/entries",
    operation_id = "thread_entries",
    tag = "staff",
    params(("id" = String, Path, description = "The tip id (32 hex characters).", pattern = "^[0-9a-fA-F]{32}$"), BatchQuery),
    security(("staff" = [])),
    responses(
        (status = 200, description = "Entries from `from` on, oldest first, each as `seq (u32, big-endian) ‖ length (u64, big-endian) ‖ the sealed bundle`; empty past the last entry. At most `limit` entries, and at most 8 MiB of bundles unless the first entry alone is larger.", body = crate::http::openapi::SealedBundle, content_type = "application/octet-stream"),
        (status = 400, description = "The tip id or query is malformed (`from` not a number, `limit` not 1 to 1000).", body = crate::http::openapi::ErrorBody),
        (status = 401, description = "No valid session token.", body = crate::http::openapi::ErrorBody, headers(("WWW-Authenticate" = String, description = "`Bearer`."))),
        (status = 403, description = "The session is not a reviewer's.", body = crate::http::openapi::ErrorBody),
        (status = 404, description = "No such tip.", body = crate::http::openapi::ErrorBody),
    ),
)]
pub async fn entries(
    _r: Reviewer,
    state: web::Data<AppState>,
    path: web::Path<String>,
    q: web::Query<BatchQuery>,
) -> Result<HttpResponse, ApiError> {
    let id = TipId::parse(&path)?;
    let from = q.from.unwrap_or(0);
    let limit = q.limit.unwrap_or(thread_batch::MAX_BATCH_ENTRIES);
    if !(1..=thread_batch::MAX_BATCH_ENTRIES).contains(&limit) {
        return Err(ApiError::BadRequest("limit is 1 to 1000"));
    }
    let store = state.store.clone();
    let batch = super::blocking(move || {
        if !store.tip_exists(id)? {
            return Err(ApiError::NotFound);
        }
        Ok(store.thread_batch(
            id,
            from,
            limit,
            thread_batch::BATCH_BYTES as u64,
            Reader::Reviewers,
        )?)
    })
    .await?;
    let total = batch.total_len();
    Ok(super::tips::stream_pieces(batch, total))
}

/// `PUT /api/v1/tips/{id}/thread/{seq}/wraps`: re-wrap the reviewers' copy of one
/// conversation entry (a follow-up, or the team's copy of a reply) to the current epoch,
/// with the same rules as a tip's wraps: well formed, sealed to the current epoch, later
/// than what is stored, one per part, all or none, audited. The witness's copy of a reply
/// is sealed to the witness's own key and is not touched.
#[utoipa::path(
    put,
    path = "/api/v1/tips/{id}/thread/{seq}/wraps",
    tag = "staff",
    params(("id" = String, Path, description = "The tip id (32 hex characters).", pattern = "^[0-9a-fA-F]{32}$"), ("seq" = u32, Path, description = "The entry's number in the conversation.")),
    security(("staff" = [])),
    request_body = SwapRequest,
    responses(
        (status = 200, description = "Every wrap of the entry swapped, in one transaction.", body = crate::http::openapi::EntryRewrapped),
        (status = 400, description = "Malformed body or path, a wrap not for the current epoch, or not a later epoch.", body = crate::http::openapi::ErrorBody),
        (status = 401, description = "No valid session token.", body = crate::http::openapi::ErrorBody, headers(("WWW-Authenticate" = String, description = "`Bearer`."))),
        (status = 403, description = "The session is not a reviewer's.", body = crate::http::openapi::ErrorBody),
        (status = 404, description = "No such tip or entry.", body = crate::http::openapi::ErrorBody),
        (status = 409, description = "The stored wraps are not from `from_epoch`, or the part count differs.", body = crate::http::openapi::ErrorBody),
        (status = 503, description = "Busy, or not accepting (no keyring in force): try again later.", body = crate::http::openapi::ErrorBody, headers(("Retry-After" = u32, description = "Seconds to wait before trying again."))),
    ),
)]
pub async fn swap_entry_wraps(
    reviewer: Reviewer,
    state: web::Data<AppState>,
    path: web::Path<(String, u32)>,
    body: Json<SwapRequest>,
) -> Result<HttpResponse, ApiError> {
    let (id, seq) = path.into_inner();
    let id = TipId::parse(&id)?;
    let current = state.keyring().ok_or(ApiError::NotAccepting)?.epoch();
    let new = body.new_wraps(current)?;
    let from = body.from_epoch;
    let store = state.store.clone();
    let actor = reviewer.0.key_id;
    super::blocking(move || {
        let entry = store
            .load_thread_entry(id, seq, Reader::Reviewers)?
            .ok_or(ApiError::NotFound)?;
        let first = match entry.kind {
            ThreadKind::Followup => Kind::Followup,
            ThreadKind::Reply => Kind::Reply,
        };
        let parsed =
            bundle::parse_with_kinds(
                &entry.bundle,
                |i| {
                    if i == 0 {
                        first
                    } else {
                        Kind::Attachment
                    }
                },
            )
            .map_err(|_| ApiError::Internal("a stored conversation entry does not parse"))?;
        // Someone else re-wrapped it first, or the client counted the parts wrong.
        if parsed.epoch() != from || parsed.parts().len() != new.len() {
            return Err(ApiError::Conflict);
        }
        let mut patches = Vec::with_capacity(new.len());
        for (offset, wrap) in bundle::wrap_offsets(&parsed).into_iter().zip(&new) {
            let old: [u8; WRAP_LEN] = entry.bundle[offset..offset + WRAP_LEN]
                .try_into()
                .map_err(|_| ApiError::Internal("wrap offset"))?;
            patches.push((offset, old, *wrap));
        }
        store
            .swap_thread_wraps(id, seq, &patches)
            .map_err(|e| match e {
                WrapPatchError::NotFound => ApiError::NotFound,
                WrapPatchError::Changed => ApiError::Conflict,
                WrapPatchError::Storage(s) => ApiError::Storage(s),
            })?;
        audit_log::record(
            &store,
            "rewrap",
            Some(actor),
            format!("tip {id} entry {seq}: epoch {from} -> {current}"),
        )?;
        Ok(())
    })
    .await?;
    state.store.durable().await?;
    Ok(HttpResponse::Ok()
        .json(serde_json::json!({ "id": id, "entry": seq, "epoch": current.get() })))
}
