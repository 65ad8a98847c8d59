//! Reviewer and admin login: Ed25519 signature over a single-use challenge → session token.
//!
//! Unknown keys get a challenge like known ones, and every failure is the same 401, so
//! the endpoints are no oracle for who is on the keyring.

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::super::body::Json;
use super::super::sessions::{Session, SESSION_IDLE};
use super::super::{audit_log, ApiError, AppState};
use crate::crypto::auth::{verify_login, SessionToken, TokenHash};
use crate::crypto::b64_decode;
use crate::domain::keyring::Role;
use crate::domain::KeyId;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChallengeRequest {
    /// The key id to log in as (32 hex characters).
    #[schema(value_type = String, pattern = "^[0-9a-fA-F]{32}$")]
    key_id: KeyId,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = StaffLoginRequest)]
pub(crate) struct LoginRequest {
    /// The key id to log in as (32 hex characters).
    #[schema(value_type = String, pattern = "^[0-9a-fA-F]{32}$")]
    key_id: KeyId,
    /// The challenge from `POST /api/v1/auth/challenge`, base64url.
    challenge: String,
    /// Base64url Ed25519 signature over `"tipseal/auth/v1\0" || challenge || key_id`.
    signature: String,
}

/// `POST /api/v1/auth/challenge`: stateless, so it never fails and stores nothing.
#[utoipa::path(
    post,
    path = "/api/v1/auth/challenge",
    operation_id = "staff_challenge",
    tag = "staff",
    request_body = ChallengeRequest,
    responses(
        (status = 200, description = "A single-use challenge (also for unknown key ids).", body = crate::http::openapi::Challenge),
        (status = 400, description = "The JSON body is malformed.", body = crate::http::openapi::ErrorBody),
        (status = 503, description = "Busy, or not accepting (no keyring in force): try again later.", body = crate::http::openapi::ErrorBody, headers(("Retry-After" = u32, description = "Seconds to wait before trying again."))),
    ),
)]
pub async fn challenge(state: web::Data<AppState>, body: Json<ChallengeRequest>) -> HttpResponse {
    let c = state.sessions.issue_challenge(body.key_id);
    HttpResponse::Ok().json(serde_json::json!({
        "challenge": c.to_b64(),
        "expires_in": super::super::sessions::CHALLENGE_TTL.as_secs(),
    }))
}

/// `POST /api/v1/auth/session`.
#[utoipa::path(
    post,
    path = "/api/v1/auth/session",
    operation_id = "staff_login",
    tag = "staff",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in.", body = crate::http::openapi::StaffSession),
        (status = 400, description = "The JSON body is malformed.", body = crate::http::openapi::ErrorBody),
        (status = 401, description = "Unknown key, used or expired challenge, or a bad signature: one answer for all.", body = crate::http::openapi::ErrorBody, headers(("WWW-Authenticate" = String, description = "`Bearer`."))),
        (status = 503, description = "Busy, or not accepting (no keyring in force): try again later.", body = crate::http::openapi::ErrorBody, headers(("Retry-After" = u32, description = "Seconds to wait before trying again."))),
    ),
)]
pub async fn login(
    state: web::Data<AppState>,
    body: Json<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let challenge: [u8; 32] = b64_decode(&body.challenge)
        .and_then(|v| v.try_into().ok())
        .ok_or(ApiError::Unauthorized)?;
    // Cheap checks first: a forged, stale or someone else's challenge costs no
    // signature verification.
    let ticket = state
        .sessions
        .check_challenge(&challenge, body.key_id)
        .ok_or(ApiError::Unauthorized)?;
    let keyring = state.keyring().ok_or(ApiError::Unauthorized)?;
    let role = keyring.role_of(body.key_id).ok_or(ApiError::Unauthorized)?;
    let keys = keyring
        .public_keys(body.key_id)
        .ok_or(ApiError::Unauthorized)?;
    if !verify_login(&keys, &challenge, &body.signature) {
        return Err(ApiError::Unauthorized);
    }
    // Proven: from here on the key's own budget pays, which nobody else can spend.
    state.rate.charge_staff(body.key_id)?;
    if !state.sessions.spend(ticket) {
        return Err(ApiError::Unauthorized);
    }
    let (token, hash) = SessionToken::generate();
    state.sessions.start(hash, body.key_id, role);
    tracing::info!(key_id = %body.key_id, role = ?role, "login");
    let store = state.store.clone();
    let key_id = body.key_id;
    super::blocking(move || {
        audit_log::record(
            &store,
            "login",
            Some(key_id),
            format!("{role:?}").to_lowercase(),
        )?;
        Ok(())
    })
    .await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "token": token.expose_secret(),
        "expires_in": SESSION_IDLE.as_secs(),
        "role": match role { Role::Admin => "admin", Role::Reviewer => "reviewer" },
    })))
}

/// `DELETE /api/v1/auth/session`.
#[utoipa::path(
    delete,
    path = "/api/v1/auth/session",
    operation_id = "staff_logout",
    tag = "staff",
    security((), ("staff" = [])),
    responses((status = 204, description = "The session, if any, has ended.")),
)]
pub async fn logout(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    if let Some(hash) = bearer(&req) {
        state.sessions.end(&hash);
    }
    HttpResponse::NoContent().finish()
}

/// The hash of the `Authorization: Bearer` token, if the header holds one. Reviewer and
/// witness sessions share the header format, never the session table.
pub(crate) fn bearer(req: &HttpRequest) -> Option<TokenHash> {
    let value = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    TokenHash::of(value.strip_prefix("Bearer ")?)
}

fn authenticate(req: &HttpRequest, want: Role) -> Result<Session, ApiError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or(ApiError::Internal("state missing"))?;
    let hash = bearer(req).ok_or(ApiError::Unauthorized)?;
    let session = state.sessions.touch(&hash).ok_or(ApiError::Unauthorized)?;
    // Re-check against the keyring in force: a revoked key is refused at once.
    let current = state
        .keyring()
        .and_then(|k| k.role_of(session.key_id))
        .ok_or_else(|| {
            state.sessions.end(&hash);
            ApiError::Unauthorized
        })?;
    if current != want {
        return Err(ApiError::Forbidden);
    }
    Ok(session)
}

/// A request authenticated as a current reviewer.
pub struct Reviewer(pub Session);

/// A request authenticated as a current admin.
pub struct Admin(pub Session);

impl FromRequest for Reviewer {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(authenticate(req, Role::Reviewer).map(Reviewer))
    }
}

impl FromRequest for Admin {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(authenticate(req, Role::Admin).map(Admin))
    }
}
