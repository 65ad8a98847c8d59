//! Liveness.

use actix_web::HttpResponse;

/// `GET /api/v1/health`.
pub async fn health() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}
