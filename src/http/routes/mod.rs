//! Route handlers, one file per resource. Handlers parse, call storage/crypto, and map
//! errors through `ApiError`; none of them reads the client's address or headers beyond
//! `Authorization`, `Content-Length`, `Idempotency-Key` and `Tipseal-Mailbox`.

pub mod audit;
pub mod auth;
pub mod events;
pub mod health;
pub mod keyring;
pub mod mailbox;
pub mod replies;
pub mod tips;
pub mod uploads;

use actix_web::web;

/// Registers every route under `/api/v1`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .route("/health", web::get().to(health::health))
            .route("/openapi.json", web::get().to(super::openapi::openapi_json))
            .route("/keyring", web::get().to(keyring::get_keyring))
            .route("/keyring", web::post().to(keyring::publish_keyring))
            .route("/tips", web::post().to(tips::submit))
            .route("/tips", web::get().to(tips::list))
            .route("/tips/{id}", web::get().to(tips::fetch))
            .route("/tips/{id}", web::delete().to(events::delete_tip))
            .route(
                "/tips/{id}/events",
                web::post().to(events::append_tip_event),
            )
            .route("/tips/{id}/events", web::get().to(events::list_tip_events))
            .route(
                "/tips/{id}/events/{seq}/wraps",
                web::put().to(events::swap_tip_event_wrap),
            )
            .route("/team/events", web::post().to(events::append_team_event))
            .route("/team/events", web::get().to(events::list_team_events))
            .route(
                "/team/events/{seq}/wraps",
                web::put().to(events::swap_team_event_wrap),
            )
            .route("/events", web::get().to(events::feed))
            .route("/tips/{id}/wraps", web::put().to(tips::swap_wraps))
            .route("/tips/{id}/replies", web::post().to(replies::post_reply))
            .route("/tips/{id}/thread", web::get().to(replies::thread))
            // Before `{seq}`, which would take "entries" for a malformed seq.
            .route("/tips/{id}/thread/entries", web::get().to(replies::entries))
            .route("/tips/{id}/thread/{seq}", web::get().to(replies::entry))
            .route(
                "/tips/{id}/thread/{seq}/wraps",
                web::put().to(replies::swap_entry_wraps),
            )
            .route("/mailbox/challenge", web::post().to(mailbox::challenge))
            .route("/mailbox/session", web::post().to(mailbox::login))
            .route("/mailbox/session", web::delete().to(mailbox::logout))
            .route("/mailbox", web::get().to(mailbox::read))
            .route("/mailbox/messages", web::post().to(mailbox::add_message))
            .route("/auth/challenge", web::post().to(auth::challenge))
            .route("/auth/session", web::post().to(auth::login))
            .route("/auth/session", web::delete().to(auth::logout))
            .route("/audit", web::get().to(audit::list))
            .route("/uploads", web::post().to(uploads::create))
            .route("/uploads/{id}", web::patch().to(uploads::append))
            .route("/uploads/{id}", web::get().to(uploads::status)),
    );
}

/// Runs blocking storage work off the async workers and flattens the error types.
pub(crate) async fn blocking<T, F>(f: F) -> Result<T, super::ApiError>
where
    F: FnOnce() -> Result<T, super::ApiError> + Send + 'static,
    T: Send + 'static,
{
    web::block(f)
        .await
        .map_err(|_| super::ApiError::Internal("blocking task failed"))?
}
