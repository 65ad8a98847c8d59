//! `GET /api/v1/audit`: the audit chain, for admins.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::super::{ApiError, AppState};
use super::auth::Admin;

/// Most entries per page.
const PAGE: usize = 500;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct Query {
    /// The first sequence number to return (default 0).
    #[serde(default)]
    #[param(minimum = 0, format = "uint64")]
    after: u64,
}

/// Returns entries with `seq >= after`, as the raw JSON objects stored.
#[utoipa::path(
    get,
    path = "/api/v1/audit",
    operation_id = "list_audit",
    tag = "staff",
    params(Query),
    security(("staff" = [])),
    responses(
        (status = 200, description = "Up to 500 entries, in order.", body = Vec<crate::http::audit_log::AuditEntry>),
        (status = 400, description = "The query is malformed.", body = crate::http::openapi::ErrorBody),
        (status = 401, description = "No valid session token.", body = crate::http::openapi::ErrorBody, headers(("WWW-Authenticate" = String, description = "`Bearer`."))),
        (status = 403, description = "The session is not an admin's.", body = crate::http::openapi::ErrorBody),
    ),
)]
pub async fn list(
    admin: Admin,
    state: web::Data<AppState>,
    q: web::Query<Query>,
) -> Result<HttpResponse, ApiError> {
    let reader = admin.0.key_id;
    tracing::info!(key_id = %reader, "audit chain read");
    let store = state.store.clone();
    let after = q.after;
    let entries = super::blocking(move || Ok(store.audit_entries(after, PAGE)?)).await?;
    let values: Vec<serde_json::Value> = entries
        .iter()
        .filter_map(|(_, raw)| serde_json::from_slice(raw).ok())
        .collect();
    Ok(HttpResponse::Ok().json(values))
}
