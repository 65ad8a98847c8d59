//! `GET /api/v1/audit`: the audit chain, for admins.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::super::{ApiError, AppState};
use super::auth::Admin;

/// Most entries per page.
const PAGE: usize = 500;

#[derive(Deserialize)]
pub(crate) struct Query {
    #[serde(default)]
    after: u64,
}

/// Returns entries with `seq >= after`, as the raw JSON objects stored.
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
