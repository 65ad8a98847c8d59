//! `GET /`, `GET /{lang}/`, `GET /static/{name}` and the HTML 404 page.

use actix_web::http::header;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};

use super::encoding::{gzip_public_page, Encoding};
use super::render::Page;
use super::{assets, i18n, PAGE_CSP};

/// `GET /`: the form in English.
#[utoipa::path(
    get,
    path = "/",
    operation_id = "index_page",
    tag = "pages",
    responses((status = 200, description = "The witness form in English.", body = String, content_type = "text/html")),
)]
pub(super) async fn index(req: HttpRequest) -> HttpResponse {
    let page = Page::new(&req, i18n::english()).render(StatusCode::OK, "form.html", &[]);
    gzip_public_page(&req, page)
}

/// `GET /{lang}/`: the form in `lang`, or the 404 page.
#[utoipa::path(
    get,
    path = "/{lang}/",
    operation_id = "form_page",
    tag = "pages",
    params(("lang" = String, Path, description = "A language code (`en`, `ar`, `ko`, `nl`, `pl`, `ru`, `zh`); any other gets the 404 page.")),
    responses((status = 200, description = "The witness form.", body = String, content_type = "text/html"), (status = 404, description = "The HTML 404 page (an unknown language).", body = String, content_type = "text/html")),
)]
pub(super) async fn form(req: HttpRequest, path: web::Path<String>) -> HttpResponse {
    match i18n::find(&path) {
        Some(lang) => {
            let page = Page::new(&req, lang).render(StatusCode::OK, "form.html", &[]);
            gzip_public_page(&req, page)
        }
        None => not_found_page(&req),
    }
}

/// `GET /favicon.ico`: nothing (204), never a 404. Every page names it as its icon on
/// purpose: the browser fetches it for the page, and its `Cache-Control: no-store` (the
/// app-wide default) keeps the page out of Chromium's back/forward cache, which otherwise
/// restores a no-JavaScript form with what was typed and the chosen files when the
/// witness comes Back (measured, `docs/web.md`; no page without script can do more).
#[utoipa::path(
    get,
    path = "/favicon.ico",
    tag = "pages",
    responses((status = 204, description = "No icon, on purpose: nothing to fetch, nothing to 404.")),
)]
pub(super) async fn favicon() -> HttpResponse {
    HttpResponse::NoContent()
        .insert_header((header::CONTENT_SECURITY_POLICY, PAGE_CSP))
        .finish()
}

/// `GET /{lang}`: a permanent redirect to `/{lang}/` for a language we have (a typed
/// address without its slash), else the 404 page.
#[utoipa::path(
    get,
    path = "/{lang}",
    operation_id = "language_root",
    tag = "pages",
    params(("lang" = String, Path, description = "A language code (`en`, `ar`, `ko`, `nl`, `pl`, `ru`, `zh`); any other gets the 404 page.")),
    responses(
        (status = 308, description = "To `/{lang}/`, the form in that language."),
        (status = 404, description = "The HTML 404 page (an unknown language or path).", body = String, content_type = "text/html"),
    ),
)]
pub(super) async fn language_root(req: HttpRequest, path: web::Path<String>) -> HttpResponse {
    match i18n::find(&path) {
        Some(lang) => HttpResponse::PermanentRedirect()
            .insert_header((header::LOCATION, format!("/{}/", lang.code)))
            .insert_header((header::CONTENT_SECURITY_POLICY, PAGE_CSP))
            .finish(),
        None => not_found_page(&req),
    }
}

/// `GET /static/{name}`: an embedded file, without validators (no `ETag`,
/// `Last-Modified`): nothing is cached anyway, and validators can fingerprint a visit.
/// Compressed (brotli or gzip, made at build time) when `Accept-Encoding` allows.
#[utoipa::path(
    get,
    path = "/static/{name}",
    tag = "pages",
    params(("name" = String, Path, description = "An embedded file's name (script, style, WebAssembly, font, image).")),
    responses(
        (status = 200, description = "The file, with its own content type."),
        (status = 404, description = "The HTML 404 page (no such file).", body = String, content_type = "text/html"),
    ),
)]
pub(super) async fn asset(req: HttpRequest, path: web::Path<String>) -> HttpResponse {
    let Some(a) = assets::find(&path) else {
        return not_found_page(&req);
    };
    let encoding = Encoding::of_request(&req);
    let mut res = HttpResponse::Ok();
    res.insert_header((header::CONTENT_TYPE, a.content_type))
        .insert_header((header::CONTENT_SECURITY_POLICY, PAGE_CSP))
        // Every answer depends on Accept-Encoding, the uncompressed ones too.
        .insert_header((header::VARY, "Accept-Encoding"));
    if let Some(coding) = encoding.header() {
        res.insert_header((header::CONTENT_ENCODING, coding));
    }
    // A fixed-size body: actix sends its exact Content-Length.
    res.body(a.encoded(encoding))
}

/// The HTML 404 page, in English (an unknown URL names no language we know).
pub(crate) fn not_found_page(req: &HttpRequest) -> HttpResponse {
    let en = i18n::english();
    let error = i18n::text(en, "not_found", "This page does not exist.");
    Page::new(req, en).render(
        StatusCode::NOT_FOUND,
        "error.html",
        &[("error", error.into())],
    )
}

/// The HTML page for a request over its rate budget (`http::rate`): 429, "busy, try
/// again", in the language the path names (English otherwise), with `Retry-After`.
pub(crate) fn rate_limited_page(req: &HttpRequest, retry_after_secs: u64) -> HttpResponse {
    let lang = req
        .path()
        .split('/')
        .nth(1)
        .and_then(i18n::find)
        .unwrap_or_else(i18n::english);
    let error = i18n::text(
        lang,
        "err_busy",
        "The server is busy. Wait a minute, then try again.",
    );
    let mut page = Page::new(req, lang).render(
        StatusCode::TOO_MANY_REQUESTS,
        "error.html",
        &[("error", error.into())],
    );
    if let Ok(v) = header::HeaderValue::from_str(&retry_after_secs.to_string()) {
        page.headers_mut().insert(header::RETRY_AFTER, v);
    }
    page
}
