//! The witness page (`docs/web.md`): the form in seven languages, its embedded assets,
//! the no-JavaScript submission that the server seals on arrival, and the mailbox page
//! where a witness reads replies and adds to their tip (`docs/followup.md`).
//!
//! Every response here carries [`PAGE_CSP`] (the rest of the security headers come from
//! the app-wide defaults) and never a cookie, `ETag` or `Last-Modified`. Language comes
//! from the URL only. Must never: log or echo what a witness typed, write a plaintext
//! anywhere, or load anything from another origin.

mod assets;
mod countries;
mod encoding;
mod followup;
mod form_data;
#[cfg(test)]
mod glossary;
mod head;
mod i18n;
mod mailbox_view;
mod operator_text;
mod page_session;
mod pages;
mod render;
mod submit;

use actix_web::{web, HttpRequest, HttpResponse};

pub(crate) use head::head_as_get;
pub use operator_text::{OperatorText, OperatorTextError};
pub(crate) use pages::{not_found_page, rate_limited_page};

/// The page's Content-Security-Policy: nothing from anywhere but this server, no inline
/// script (the strings travel as JSON data), WebAssembly allowed for libsodium.
pub const PAGE_CSP: &str = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; \
style-src 'self'; img-src 'self' blob: data:; connect-src 'self'; form-action 'self'; \
frame-ancestors 'none'; base-uri 'none'";

/// Where the quick-exit button leaves for, unless configured: a harmless, busy site.
pub const DEFAULT_EXIT_URL: &str = "https://www.wikipedia.org/";

/// What the page shows that the operator configures.
#[derive(Clone, Debug)]
pub struct WebSettings {
    /// The onion address to show, if any.
    pub onion: Option<String>,
    /// The quick-exit destination.
    pub exit_url: String,
    /// The organisation's name, if configured; otherwise the page says "the
    /// organisation" in the witness's language.
    pub org_name: Option<OperatorText>,
    /// Whom to contact in danger, if configured; otherwise a default sentence in the
    /// witness's language.
    pub safety_contact: Option<OperatorText>,
}

impl Default for WebSettings {
    fn default() -> Self {
        Self {
            onion: None,
            exit_url: DEFAULT_EXIT_URL.to_owned(),
            org_name: None,
            safety_contact: None,
        }
    }
}

/// The page routes' part of the OpenAPI description (`super::openapi`).
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    pages::index,
    pages::favicon,
    pages::form,
    pages::language_root,
    pages::asset,
    submit::submit,
    followup::page,
    followup::post
))]
pub(crate) struct PagesApi;

/// Registers the page routes (after the API's, so `/api/…` is never a language). `HEAD`
/// on any of the `GET` routes is answered by them ([`head_as_get`]).
pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(pages::index))
        .route("/favicon.ico", web::get().to(pages::favicon))
        .route("/static/{name:.+}", web::get().to(pages::asset))
        .route("/{lang}", web::get().to(pages::language_root))
        .route("/{lang}/", web::get().to(pages::form))
        .route("/{lang}/submit", web::post().to(submit::submit))
        .route("/{lang}/followup", web::get().to(followup::page))
        .route("/{lang}/followup", web::post().to(followup::post));
}

/// The app's fallback: 405 with `Allow` for a known path with another method (actix
/// sends method mismatches here too), else 404 — JSON for the API, the HTML page for
/// everything else.
pub(crate) async fn fallback(req: HttpRequest) -> HttpResponse {
    let api = req.path().starts_with("/api/");
    if let Some(allow) = super::openapi::allowed_methods(req.path(), req.method()) {
        let mut res = if api {
            actix_web::ResponseError::error_response(&super::ApiError::MethodNotAllowed)
        } else {
            HttpResponse::MethodNotAllowed().finish()
        };
        res.headers_mut().insert(
            actix_web::http::header::ALLOW,
            actix_web::http::header::HeaderValue::from_static(allow),
        );
        return res;
    }
    if api {
        actix_web::ResponseError::error_response(&super::ApiError::NoSuchPath)
    } else {
        not_found_page(&req)
    }
}
