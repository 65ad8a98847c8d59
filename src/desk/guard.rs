//! The desk's gate, run before every route: the `Host` check (DNS rebinding), the
//! browser's `Sec-Fetch-Site` (other sites and other local ports), the session
//! cookie (other local users and processes, other sites), and for anything that changes
//! state a same-origin `Origin` and a JSON body (CSRF). `/open` alone is reachable without
//! a session: it is where the one-time token is traded for one.
//!
//! Must never: let a request through on a missing header, echo a header back, or answer a
//! refused request with anything but a short fixed text.

use std::sync::Arc;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, Error, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::session::{Door, COOKIE};

/// What the gate knows: the door and the port the desk is bound to.
pub struct Gate {
    /// The token and sessions.
    pub door: Arc<Door>,
    /// The bound port (the only one the `Host` and `Origin` may name).
    pub port: u16,
}

impl Gate {
    fn host_ok(&self, host: &str) -> bool {
        host == format!("127.0.0.1:{}", self.port) || host == format!("localhost:{}", self.port)
    }

    fn origin_ok(&self, origin: &str) -> bool {
        origin
            .strip_prefix("http://")
            .is_some_and(|host| self.host_ok(host))
    }

    fn session_ok(&self, req: &HttpRequest) -> bool {
        // Parsed by hand: actix-web's `cookies` feature would pull in the `cookie` and
        // `time` crates for one header.
        req.headers()
            .get_all(header::COOKIE)
            .filter_map(|h| h.to_str().ok())
            .flat_map(|h| h.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .any(|(name, value)| name == COOKIE && self.door.admits(value))
    }
}

/// Why a request was turned away.
enum Refusal {
    Host,
    Site,
    NoSession,
    Origin,
    ContentType,
}

impl Refusal {
    fn response(&self) -> HttpResponse {
        match self {
            // 421: this server does not answer for that name (a rebinding page's request).
            Self::Host => HttpResponse::build(StatusCode::MISDIRECTED_REQUEST)
                .content_type("text/plain; charset=utf-8")
                .body("This desk answers only at 127.0.0.1 or localhost on its own port.\n"),
            Self::NoSession => no_session_page(),
            Self::Site => HttpResponse::Forbidden()
                .content_type("text/plain; charset=utf-8")
                .body("The desk answers only its own pages.\n"),
            Self::Origin => HttpResponse::Forbidden().json(serde_json::json!({
                "error": "a change must come from the desk's own page (same Origin)",
                "code": "origin",
            })),
            Self::ContentType => HttpResponse::UnsupportedMediaType().json(serde_json::json!({
                "error": "a change must be sent as application/json",
                "code": "content_type",
            })),
        }
    }
}

/// The page for a browser without a session.
pub fn no_session_page() -> HttpResponse {
    HttpResponse::Forbidden()
        .content_type("text/html; charset=utf-8")
        .body(concat!(
            "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\">",
            "<title>tipseal desk: not signed in</title>",
            "<h1>Open the desk with its link</h1>",
            "<p>Use the URL that <code>tipseal desk</code> printed. It works once; ",
            "to open the desk again, restart <code>tipseal desk</code>.</p>",
            "<p lang=\"ko\"><code>tipseal desk</code> 가 찍어준 주소로 여십시오. ",
            "그 주소는 한번만 쓸수 있습니다.</p></html>\n"
        ))
}

/// The middleware (`from_fn`).
pub async fn gate(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    match check(&req) {
        Ok(()) => Ok(next.call(req).await?.map_into_left_body()),
        Err(refusal) => {
            let res = refusal.response();
            Ok(req.into_response(res).map_into_right_body())
        }
    }
}

fn check(req: &ServiceRequest) -> Result<(), Refusal> {
    // Without the gate's data nothing is let through (a wiring mistake must fail closed).
    let gate = req
        .app_data::<web::Data<Gate>>()
        .ok_or(Refusal::NoSession)?;
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .ok_or(Refusal::Host)?;
    if !gate.host_ok(host) {
        return Err(Refusal::Host);
    }
    // Browsers say where a request comes from. Cookies are not kept apart by port, so a
    // page on another 127.0.0.1 port is "same-site" and its requests carry the session:
    // only the desk's own pages (`same-origin`) and the reviewer's own typing or clicking
    // in the terminal (`none`) may reach it. A client that sends no such header is not a
    // browser page and still needs the session below.
    let site = req
        .headers()
        .get("sec-fetch-site")
        .and_then(|h| h.to_str().ok());
    if site.is_some_and(|s| s != "same-origin" && s != "none") {
        return Err(Refusal::Site);
    }
    if req.path() == "/open" && req.method() == Method::GET {
        return Ok(());
    }
    if !gate.session_ok(req.request()) {
        return Err(Refusal::NoSession);
    }
    if req.method() != Method::GET && req.method() != Method::HEAD {
        let origin = req
            .headers()
            .get(header::ORIGIN)
            .and_then(|h| h.to_str().ok());
        if !origin.is_some_and(|o| gate.origin_ok(o)) {
            return Err(Refusal::Origin);
        }
        let json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|h| h.to_str().ok())
            .and_then(|ct| ct.split(';').next())
            .is_some_and(|ct| ct.trim().eq_ignore_ascii_case("application/json"));
        if !json {
            return Err(Refusal::ContentType);
        }
    }
    Ok(())
}

/// `/open?t=TOKEN`'s query.
#[derive(Deserialize)]
pub struct OpenQuery {
    t: String,
}

/// `GET /open?t=TOKEN`: trades the one-time token for a session cookie and sends the
/// browser to `/`, so that the token leaves the address bar and the history.
pub async fn open(gate: web::Data<Gate>, query: Option<web::Query<OpenQuery>>) -> HttpResponse {
    let Some(session) = query.and_then(|q| gate.door.exchange(&q.t)) else {
        return no_session_page();
    };
    // No Max-Age: a browser-session cookie, gone with the browser (and with the desk,
    // which keeps sessions in memory only). The id is base64url: no quoting needed.
    let cookie = format!("{COOKIE}={session}; HttpOnly; SameSite=Strict; Path=/");
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/"))
        .insert_header((header::SET_COOKIE, cookie))
        .finish()
}
