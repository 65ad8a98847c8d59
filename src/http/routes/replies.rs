//! Reviewers' side of a conversation: post a reply, read the whole thread.
//!
//! A reply upload is one bundle of pairs: part 0 the reply sealed to the witness's reply
//! key, part 1 the same reply sealed to the current epoch (the reviewers' copy), then for
//! each attachment its witness copy and its reviewers' copy. The server splits the pairs
//! into two bundles it stores opaquely; it can read neither. Every reply is an audit event
//! (reviewer key id and tip id; nothing about the witness).

use actix_web::{web, HttpRequest, HttpResponse};

use super::super::body::read_body;
use super::super::{audit_log, ApiError, AppState};
use super::auth::Reviewer;
use super::mailbox::{check_sealed_to, thread_error};
use crate::crypto::b64_encode;
use crate::domain::envelope::Kind;
use crate::domain::{bundle, Day, DomainError, TipId};
use crate::storage::{Reader, ThreadKind};

/// `POST /api/v1/tips/{id}/replies`.
pub async fn post_reply(
    reviewer: Reviewer,
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = TipId::parse(&path)?;
    let current = state.keyring().ok_or(ApiError::NotAccepting)?.epoch();
    let limits = &state.limits;
    let body = read_body(&req, payload, limits.max_body_bytes, limits.body_timeout).await?;
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

/// `GET /api/v1/tips/{id}/thread`: follow-ups and the reviewers' copies of replies.
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
        Ok(store.load_thread(id, Reader::Reviewers)?)
    })
    .await?;
    let out: Vec<serde_json::Value> = entries
        .iter()
        .map(|e| {
            serde_json::json!({
                "id": e.seq,
                "kind": match e.kind { ThreadKind::Followup => "followup", ThreadKind::Reply => "reply" },
                "received": e.received,
                "bundle": b64_encode(&e.bundle),
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "entries": out })))
}
