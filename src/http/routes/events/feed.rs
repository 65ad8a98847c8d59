//! The global event feed ("what is new since cursor C") and deleting a tip's content.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::super::super::{audit_log, ApiError, AppState};
use super::super::auth::Reviewer;
use crate::domain::triage::LogRef;
use crate::domain::TipId;

/// Most feed items one request returns, and the default.
pub const MAX_FEED_LIMIT: usize = 1000;

/// The largest cursor a client may send: 2^53 − 1, exact in every JSON reader.
const MAX_CURSOR: u64 = (1 << 53) - 1;

/// `?after=C&limit=L` of the feed.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FeedQuery {
    /// The last cursor the client has seen (default 0: from the start). At most 2^53 − 1,
    /// the largest integer every JSON reader holds exactly (far beyond any real feed).
    #[param(minimum = 0, maximum = 9007199254740991_u64)]
    pub after: Option<u64>,
    /// How many items at most (1 to 1000, default 1000).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<usize>,
}

/// `GET /api/v1/events?after=C&limit=L`.
#[utoipa::path(
    get,
    path = "/api/v1/events",
    tag = "staff",
    params(FeedQuery),
    security(("staff" = [])),
    responses(
        (status = 200, description = "Which (log, seq) were appended after `after`, oldest first; fetch them from their log.", body = super::Feed),
        (status = 400, description = "The query is malformed.", body = crate::http::openapi::ErrorBody),
        (status = 401, description = "No valid session token.", body = crate::http::openapi::ErrorBody, headers(("WWW-Authenticate" = String, description = "`Bearer`."))),
        (status = 403, description = "The session is not a reviewer's.", body = crate::http::openapi::ErrorBody),
    ),
)]
pub async fn feed(
    _r: Reviewer,
    state: web::Data<AppState>,
    q: web::Query<FeedQuery>,
) -> Result<HttpResponse, ApiError> {
    let after = q.after.unwrap_or(0);
    if q.after.is_some_and(|a| a > MAX_CURSOR) {
        return Err(ApiError::BadRequest(
            "after is 0 to 9007199254740991 (2^53 - 1)",
        ));
    }
    let limit = q.limit.unwrap_or(MAX_FEED_LIMIT);
    if limit == 0 || limit > MAX_FEED_LIMIT {
        return Err(ApiError::BadRequest("limit is 1 to 1000"));
    }
    let store = state.store.clone();
    let items = super::super::blocking(move || Ok(store.event_feed(after, limit)?)).await?;
    let next = items.last().map_or(after, |i| i.cursor);
    let out: Vec<serde_json::Value> = items
        .iter()
        .map(|i| {
            let log = match i.log {
                LogRef::Team => serde_json::json!("team"),
                LogRef::Tip(id) => serde_json::json!({ "tip": id }),
            };
            serde_json::json!({ "cursor": i.cursor, "log": log, "seq": i.seq })
        })
        .collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": out, "next": next })))
}

/// `DELETE /api/v1/tips/{id}`: removes the tip's sealed parts, wraps, conversation and
/// mailbox link once its log holds an event declared as recording the deletion; keeps
/// the event log; writes an audit entry.
#[utoipa::path(
    delete,
    path = "/api/v1/tips/{id}",
    tag = "staff",
    params(("id" = String, Path, description = "The tip id (32 hex characters).", pattern = "^[0-9a-fA-F]{32}$")),
    security(("staff" = [])),
    responses(
        (status = 200, description = "Deleted and flushed; the triage log stays.", body = super::TipDeleted),
        (status = 400, description = "The tip id is malformed.", body = crate::http::openapi::ErrorBody),
        (status = 401, description = "No valid session token.", body = crate::http::openapi::ErrorBody, headers(("WWW-Authenticate" = String, description = "`Bearer`."))),
        (status = 403, description = "The session is not a reviewer's.", body = crate::http::openapi::ErrorBody),
        (status = 404, description = "No such tip.", body = crate::http::openapi::ErrorBody),
        (status = 409, description = "`no_delete_event`: no delete_tip event was recorded for it yet.", body = crate::http::openapi::ErrorBody),
    ),
)]
pub async fn delete_tip(
    r: Reviewer,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = TipId::parse(&path)?;
    let store = state.store.clone();
    let actor = r.0.key_id;
    super::super::blocking(move || {
        if !store.tip_exists(id)? {
            return Err(ApiError::NotFound);
        }
        if !store.has_delete_mark(id)? {
            return Err(ApiError::NoDeleteEvent);
        }
        store.delete_tip(id)?;
        audit_log::record(&store, "delete", Some(actor), format!("tip {id}"))?;
        Ok(())
    })
    .await?;
    state.store.durable().await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "id": id, "deleted": true })))
}
