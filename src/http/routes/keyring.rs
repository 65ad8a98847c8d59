//! The signed keyring: served to anyone, replaced only by a chain that verifies.

use actix_web::{web, HttpRequest, HttpResponse};

use super::super::body::read_body;
use super::super::{audit_log, ApiError, AppState};
use crate::crypto::keyring::{check_extends, verify_chain};
use crate::domain::keyring::KeyringFile;

/// `GET /api/v1/keyring`: the whole chain, so clients verify it from the genesis.
pub async fn get_keyring(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let keyring = state.keyring().ok_or(ApiError::NotAccepting)?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .body(keyring.to_json()))
}

/// `POST /api/v1/keyring`: accept a chain that extends the current one. The admin
/// signatures inside it are the authorisation; no session is needed.
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
