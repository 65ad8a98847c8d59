//! Triage event logs over HTTP: append a sealed event at an expected seq, list a log,
//! follow the global feed, re-wrap an event, and delete a tip's content once a deletion
//! was recorded. Reviewer sessions only; every request pays the reviewer's own budget
//! (`http::rate`), never the witnesses' intake budget, so a reviewer who floods appends
//! is cut off at their own limit while witnesses keep submitting.
//!
//! The server cannot read an event: it checks that the body is one envelope of kind
//! `05` sealed to the current epoch and at most `MAX_EVENT_BYTES`, stores it with the day
//! and epoch, and answers 409 `seq_conflict` with the log's next seq when another
//! reviewer appended first. Must never: parse, log or keep anything of an event but its
//! sealed bytes and that metadata.

pub mod feed;
pub mod schema;

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::super::body::{read_body, Json};
use super::super::{audit_log, ApiError, AppState};
use super::auth::Reviewer;
use super::tips::SwapRequest;
use crate::domain::envelope::{self, Kind, HEADER_LEN, PREFIX_LEN};
use crate::domain::triage::LogRef;
use crate::domain::{Day, TipId};
use crate::storage::{AppendError, EventMarks, NewEvent, WrapPatchError, MAX_EVENT_BYTES};

pub use feed::{delete_tip, feed};
pub use schema::{EventAppended, EventList, EventRewrapped, Feed, SeqConflictBody, TipDeleted};

/// Most events one listing returns (each is ~16.5 KiB sealed: ~1.4 MiB of base64).
pub const EVENTS_PAGE: usize = 64;

/// `?seq=N&marks=delete_tip` of an append.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AppendQuery {
    /// The seq this event was built for: the log's next one.
    pub seq: u32,
    /// `delete_tip` when the event records a decision to delete the tip (required before
    /// `DELETE /api/v1/tips/{id}`); readers check it against the opened event.
    pub marks: Option<String>,
}

/// `?from=N` of a listing.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FromQuery {
    /// The first seq wanted (default 0; a log holds at most 10,000 events).
    #[param(minimum = 0, maximum = 10000)]
    pub from: Option<u32>,
}

fn tip_log(path: &str) -> Result<LogRef, ApiError> {
    Ok(LogRef::Tip(TipId::parse(path)?))
}

/// `POST /api/v1/tips/{id}/events?seq=N`.
#[utoipa::path(
    post,
    path = "/api/v1/tips/{id}/events",
    tag = "staff",
    params(("id" = String, Path, description = "The tip id (32 hex characters).", pattern = "^[0-9a-fA-F]{32}$"), AppendQuery),
    security(("staff" = [])),
    request_body(content = crate::http::openapi::SealedBundle, content_type = "application/octet-stream", description = "One envelope of kind 05 (a signed triage event) sealed to the current epoch."),
    responses(
        (status = 201, description = "Stored and flushed.", body = EventAppended),
        (status = 400, description = "Not one triage-event envelope, sealed to another epoch, or a bad query.", body = crate::http::openapi::ErrorBody),
        (status = 401, description = "No valid session token.", body = crate::http::openapi::ErrorBody, headers(("WWW-Authenticate" = String, description = "`Bearer`."))),
        (status = 403, description = "The session is not a reviewer's.", body = crate::http::openapi::ErrorBody),
        (status = 404, description = "No such tip (and no event log for it).", body = crate::http::openapi::ErrorBody),
        (status = 409, description = "`seq_conflict`: someone appended first; `current` is the next seq (fetch, merge, retry). `event_log_full`: the log is at its cap.", body = SeqConflictBody),
        (status = 413, description = "The event is larger than 64 KiB.", body = crate::http::openapi::ErrorBody),
        (status = 503, description = "Busy, or not accepting (no keyring in force): try again later.", body = crate::http::openapi::ErrorBody, headers(("Retry-After" = u32, description = "Seconds to wait before trying again."))),
    ),
)]
pub async fn append_tip_event(
    r: Reviewer,
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
    path: web::Path<String>,
    q: web::Query<AppendQuery>,
) -> Result<HttpResponse, ApiError> {
    let log = tip_log(&path)?;
    append(r, req, payload, state, log, q.into_inner()).await
}

/// `POST /api/v1/team/events?seq=N`.
#[utoipa::path(
    post,
    path = "/api/v1/team/events",
    tag = "staff",
    params(AppendQuery),
    security(("staff" = [])),
    request_body(content = crate::http::openapi::SealedBundle, content_type = "application/octet-stream", description = "One envelope of kind 05 (a signed vocabulary event) sealed to the current epoch."),
    responses(
        (status = 201, description = "Stored and flushed.", body = EventAppended),
        (status = 400, description = "Not one triage-event envelope, sealed to another epoch, or a bad query.", body = crate::http::openapi::ErrorBody),
        (status = 401, description = "No valid session token.", body = crate::http::openapi::ErrorBody, headers(("WWW-Authenticate" = String, description = "`Bearer`."))),
        (status = 403, description = "The session is not a reviewer's.", body = crate::http::openapi::ErrorBody),
        (status = 409, description = "`seq_conflict`: someone appended first; `current` is the next seq (fetch, merge, retry). `event_log_full`: the log is at its cap.", body = SeqConflictBody),
        (status = 413, description = "The event is larger than 64 KiB.", body = crate::http::openapi::ErrorBody),
        (status = 503, description = "Busy, or not accepting (no keyring in force): try again later.", body = crate::http::openapi::ErrorBody, headers(("Retry-After" = u32, description = "Seconds to wait before trying again."))),
    ),
)]
pub async fn append_team_event(
    r: Reviewer,
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
    q: web::Query<AppendQuery>,
) -> Result<HttpResponse, ApiError> {
    append(r, req, payload, state, LogRef::Team, q.into_inner()).await
}

async fn append(
    _r: Reviewer,
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
    log: LogRef,
    q: AppendQuery,
) -> Result<HttpResponse, ApiError> {
    let marks = match q.marks.as_deref() {
        None | Some("") => EventMarks::NONE,
        Some("delete_tip") => EventMarks::DELETE_TIP,
        Some(_) => return Err(ApiError::BadRequest("marks is either absent or delete_tip")),
    };
    if marks.deletes_tip() && log == LogRef::Team {
        return Err(ApiError::BadRequest(
            "only a tip's log can record a deletion",
        ));
    }
    let keyring = state.keyring().ok_or(ApiError::NotAccepting)?;
    let current = keyring.epoch();
    let read = read_body(&req, payload, &state, MAX_EVENT_BYTES).await?;
    let (body, _held) = (read.bytes, read.held);
    let env = envelope::parse(&body)?;
    if env.header.kind != Kind::Event {
        return Err(ApiError::BadRequest(
            "the body is not a triage event envelope (kind 05)",
        ));
    }
    if env.wrap.epoch != current {
        return Err(ApiError::WrongEpoch {
            got: env.wrap.epoch.get(),
            current: current.get(),
        });
    }
    let store = state.store.clone();
    let appended = super::blocking(move || {
        store
            .append_event(NewEvent {
                log,
                expected_seq: q.seq,
                blob: &body,
                day: Day::today(),
                epoch: current,
                marks,
            })
            .map_err(|e| match e {
                AppendError::Conflict { current } => ApiError::SeqConflict { current },
                AppendError::TooLarge => ApiError::TooLarge,
                AppendError::LogFull => ApiError::EventLogFull,
                AppendError::NoSuchTip => ApiError::NotFound,
                AppendError::Storage(s) => ApiError::Storage(s),
            })
    })
    .await?;
    state.store.durable().await?;
    Ok(HttpResponse::Created()
        .json(serde_json::json!({ "seq": appended.seq, "cursor": appended.cursor })))
}

/// `GET /api/v1/tips/{id}/events?from=N`.
#[utoipa::path(
    get,
    path = "/api/v1/tips/{id}/events",
    tag = "staff",
    params(("id" = String, Path, description = "The tip id (32 hex characters).", pattern = "^[0-9a-fA-F]{32}$"), FromQuery),
    security(("staff" = [])),
    responses(
        (status = 200, description = "Up to 64 sealed events from `from` on, and the log's next seq.", body = EventList),
        (status = 400, description = "The tip id or query is malformed.", body = crate::http::openapi::ErrorBody),
        (status = 401, description = "No valid session token.", body = crate::http::openapi::ErrorBody, headers(("WWW-Authenticate" = String, description = "`Bearer`."))),
        (status = 403, description = "The session is not a reviewer's.", body = crate::http::openapi::ErrorBody),
    ),
)]
pub async fn list_tip_events(
    _r: Reviewer,
    state: web::Data<AppState>,
    path: web::Path<String>,
    q: web::Query<FromQuery>,
) -> Result<HttpResponse, ApiError> {
    list(state, tip_log(&path)?, q.from.unwrap_or(0)).await
}

/// `GET /api/v1/team/events?from=N`.
#[utoipa::path(
    get,
    path = "/api/v1/team/events",
    tag = "staff",
    params(FromQuery),
    security(("staff" = [])),
    responses(
        (status = 200, description = "Up to 64 sealed events from `from` on, and the log's next seq.", body = EventList),
        (status = 400, description = "The query is malformed.", body = crate::http::openapi::ErrorBody),
        (status = 401, description = "No valid session token.", body = crate::http::openapi::ErrorBody, headers(("WWW-Authenticate" = String, description = "`Bearer`."))),
        (status = 403, description = "The session is not a reviewer's.", body = crate::http::openapi::ErrorBody),
    ),
)]
pub async fn list_team_events(
    _r: Reviewer,
    state: web::Data<AppState>,
    q: web::Query<FromQuery>,
) -> Result<HttpResponse, ApiError> {
    list(state, LogRef::Team, q.from.unwrap_or(0)).await
}

async fn list(
    state: web::Data<AppState>,
    log: LogRef,
    from: u32,
) -> Result<HttpResponse, ApiError> {
    if from > crate::storage::MAX_EVENTS_PER_LOG {
        return Err(ApiError::BadRequest(
            "from is 0 to 10000: a log holds at most 10,000 events",
        ));
    }
    let store = state.store.clone();
    let (events, next) = super::blocking(move || {
        Ok((
            store.events(log, from, EVENTS_PAGE)?,
            store.event_head(log)?,
        ))
    })
    .await?;
    let out: Vec<serde_json::Value> = events
        .iter()
        .map(|e| {
            serde_json::json!({
                "seq": e.seq,
                "day": e.day,
                "epoch": e.epoch.get(),
                "cursor": e.cursor,
                "deletes_tip": e.marks.deletes_tip(),
                "event": crate::crypto::b64_encode(&e.blob),
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "events": out, "next": next })))
}

/// `PUT /api/v1/tips/{id}/events/{seq}/wraps`.
#[utoipa::path(
    put,
    path = "/api/v1/tips/{id}/events/{seq}/wraps",
    tag = "staff",
    params(("id" = String, Path, description = "The tip id (32 hex characters).", pattern = "^[0-9a-fA-F]{32}$"), ("seq" = u32, Path, description = "The event's seq.")),
    security(("staff" = [])),
    request_body = SwapRequest,
    responses(
        (status = 200, description = "The event's wrap swapped.", body = EventRewrapped),
        (status = 400, description = "Malformed body or path, a wrap not for the current epoch, not a later epoch, or not exactly one wrap.", body = crate::http::openapi::ErrorBody),
        (status = 401, description = "No valid session token.", body = crate::http::openapi::ErrorBody, headers(("WWW-Authenticate" = String, description = "`Bearer`."))),
        (status = 403, description = "The session is not a reviewer's.", body = crate::http::openapi::ErrorBody),
        (status = 404, description = "No such event.", body = crate::http::openapi::ErrorBody),
        (status = 409, description = "The stored wrap is not from `from_epoch` (someone re-wrapped it first).", body = crate::http::openapi::ErrorBody),
        (status = 503, description = "Busy, or not accepting (no keyring in force): try again later.", body = crate::http::openapi::ErrorBody, headers(("Retry-After" = u32, description = "Seconds to wait before trying again."))),
    ),
)]
pub async fn swap_tip_event_wrap(
    r: Reviewer,
    state: web::Data<AppState>,
    path: web::Path<(String, u32)>,
    body: Json<SwapRequest>,
) -> Result<HttpResponse, ApiError> {
    let (id, seq) = path.into_inner();
    swap(r, state, tip_log(&id)?, seq, body).await
}

/// `PUT /api/v1/team/events/{seq}/wraps`.
#[utoipa::path(
    put,
    path = "/api/v1/team/events/{seq}/wraps",
    tag = "staff",
    params(("seq" = u32, Path, description = "The event's seq.")),
    security(("staff" = [])),
    request_body = SwapRequest,
    responses(
        (status = 200, description = "The event's wrap swapped.", body = EventRewrapped),
        (status = 400, description = "Malformed body or path, a wrap not for the current epoch, not a later epoch, or not exactly one wrap.", body = crate::http::openapi::ErrorBody),
        (status = 401, description = "No valid session token.", body = crate::http::openapi::ErrorBody, headers(("WWW-Authenticate" = String, description = "`Bearer`."))),
        (status = 403, description = "The session is not a reviewer's.", body = crate::http::openapi::ErrorBody),
        (status = 404, description = "No such event.", body = crate::http::openapi::ErrorBody),
        (status = 409, description = "The stored wrap is not from `from_epoch` (someone re-wrapped it first).", body = crate::http::openapi::ErrorBody),
        (status = 503, description = "Busy, or not accepting (no keyring in force): try again later.", body = crate::http::openapi::ErrorBody, headers(("Retry-After" = u32, description = "Seconds to wait before trying again."))),
    ),
)]
pub async fn swap_team_event_wrap(
    r: Reviewer,
    state: web::Data<AppState>,
    path: web::Path<u32>,
    body: Json<SwapRequest>,
) -> Result<HttpResponse, ApiError> {
    swap(r, state, LogRef::Team, path.into_inner(), body).await
}

async fn swap(
    r: Reviewer,
    state: web::Data<AppState>,
    log: LogRef,
    seq: u32,
    body: Json<SwapRequest>,
) -> Result<HttpResponse, ApiError> {
    let current = state.keyring().ok_or(ApiError::NotAccepting)?.epoch();
    let [new] = body.new_wraps(current)?[..] else {
        return Err(ApiError::BadRequest("an event has exactly one wrap"));
    };
    let from = body.from_epoch;
    let store = state.store.clone();
    let actor = r.0.key_id;
    super::blocking(move || {
        let stored = store.events(log, seq, 1)?;
        let Some(ev) = stored.first().filter(|e| e.seq == seq) else {
            return Err(ApiError::NotFound);
        };
        let old: [u8; envelope::WRAP_LEN] = ev
            .blob
            .get(HEADER_LEN..PREFIX_LEN)
            .and_then(|w| w.try_into().ok())
            .ok_or(ApiError::Internal(
                "a stored event is shorter than its wrap",
            ))?;
        let old_epoch = envelope::WrapSection::parse(&old)
            .map_err(|_| ApiError::Internal("a stored event's wrap does not parse"))?
            .epoch;
        if old_epoch != from {
            return Err(ApiError::Conflict);
        }
        store
            .swap_event_wrap(log, seq, &old, &new)
            .map_err(|e| match e {
                WrapPatchError::NotFound => ApiError::NotFound,
                WrapPatchError::Changed => ApiError::Conflict,
                WrapPatchError::Storage(s) => ApiError::Storage(s),
            })?;
        audit_log::record(
            &store,
            "rewrap",
            Some(actor),
            format!("{log} event {seq}: epoch {from} -> {current}"),
        )?;
        Ok(())
    })
    .await?;
    state.store.durable().await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "seq": seq, "epoch": current.get() })))
}
