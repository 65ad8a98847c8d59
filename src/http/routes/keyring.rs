//! The signed keyring: served to anyone, replaced only by a chain that verifies.

use actix_web::{web, HttpRequest, HttpResponse};

use super::super::body::read_body;
use super::super::{audit_log, ApiError, AppState};
use crate::crypto::keyring::{check_extends, verify_chain};
use crate::domain::keyring::KeyringFile;

/// `GET /api/v1/keyring`: the whole chain, so clients verify it from the genesis.
#[utoipa::path(
    get,
    path = "/api/v1/keyring",
    tag = "keyring",
    responses(
        (status = 200, description = "The signed manifest chain, epoch 1 first.", body = KeyringFile),
        (status = 503, description = "Busy, or not accepting (no keyring in force): try again later.", body = crate::http::openapi::ErrorBody, headers(("Retry-After" = u32, description = "Seconds to wait before trying again."))),
    ),
)]
pub async fn get_keyring(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let keyring = state.keyring().ok_or(ApiError::NotAccepting)?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .body(keyring.to_json()))
}

/// `POST /api/v1/keyring`: accept a chain that extends the current one. The admin
/// signatures inside it are the authorisation (k of m admins of each previous epoch, see
/// `crypto::quorum`); no session is needed.
#[utoipa::path(
    post,
    path = "/api/v1/keyring",
    tag = "keyring",
    request_body(content = KeyringFile, description = "A chain that extends the one in force, signed by its admins."),
    responses(
        (status = 200, description = "Accepted: the new epoch is in force.", body = crate::http::openapi::KeyringPublished),
        (status = 400, description = "Malformed, badly signed, broken or unpinned chain, or a change signed by fewer admins than the previous epoch's threshold (`malformed_keyring`, `bad_signature`, `broken_chain`, `unpinned_admin`, `quorum_not_met`).", body = crate::http::openapi::ErrorBody),
        (status = 408, description = "The body did not arrive in time.", body = crate::http::openapi::ErrorBody),
        (status = 409, description = "Not newer than, or not an extension of, the chain in force (`stale_epoch`, `fork`, `conflict`).", body = crate::http::openapi::ErrorBody),
        (status = 413, description = "The body is larger than allowed.", body = crate::http::openapi::ErrorBody),
    ),
)]
pub async fn publish_keyring(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let body = read_body(&req, payload, &state, state.limits.max_json_bytes).await?;
    let file = KeyringFile::from_json(&body.bytes)?;
    drop(body);
    let candidate = verify_chain(&file, state.pinned_admins.as_deref())?;

    let _guard = state.keyring_write.lock().await;
    let current = state.keyring();
    if let Some(current) = &current {
        check_extends(current, &candidate)?;
    }
    let new_bytes = candidate.to_json();
    let expected = current.as_ref().map(|c| c.to_json());
    let store = state.store.clone();
    let epoch = candidate.epoch();
    let stored = super::blocking(move || {
        let ok = store.replace_keyring(expected.as_deref(), &new_bytes)?;
        if ok {
            audit_log::record(&store, "keyring_published", None, format!("epoch {epoch}"))?;
        }
        Ok(ok)
    })
    .await?;
    if !stored {
        return Err(ApiError::Conflict);
    }
    state.store.durable().await?;
    state.set_keyring(candidate);
    tracing::info!(epoch = epoch.get(), "keyring published");
    Ok(HttpResponse::Ok().json(serde_json::json!({ "epoch": epoch.get() })))
}
