//! Liveness.

use actix_web::HttpResponse;

/// `GET /api/v1/health`.
#[utoipa::path(
    get,
    path = "/api/v1/health",
    tag = "witness",
    responses((status = 200, description = "The server is up.", body = crate::http::openapi::Health)),
)]
pub async fn health() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}
