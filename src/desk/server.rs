//! Starts the desk: binds 127.0.0.1 (a random port unless told), makes the one-time token,
//! and builds the app: the gate, the security headers, the API and the UI.
//!
//! Must never: bind anything but 127.0.0.1, or serve a response without the headers below.

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

use actix_web::middleware::{from_fn, DefaultHeaders};
use actix_web::{web, App, HttpServer};

use super::backend::DeskBackend;
use super::error::DeskError;
use super::guard::{self, Gate};
use super::session::Door;
use super::{api, assets};

/// The Content-Security-Policy of every response: the page's own scripts and styles, images
/// from itself or from blob URLs (attachment previews), no frames, no other origin.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
img-src 'self' blob: data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; \
form-action 'self'";

/// The largest JSON body (a reply with its files, base64).
const MAX_JSON_BYTES: usize = 64 * 1024 * 1024;

/// A running desk.
pub struct Desk {
    /// Where it listens.
    pub addr: SocketAddr,
    /// The URL to open, with the one-time token (print it once, to standard output).
    pub url: String,
    /// The server; await it to run until stopped, or use `handle()` to stop it.
    pub server: actix_web::dev::Server,
}

/// Binds and starts the desk. `listen` must be 127.0.0.1 (any port; 0 picks one); `None`
/// means 127.0.0.1 on a random port. Call inside a tokio/actix runtime.
pub fn serve(backend: Arc<dyn DeskBackend>, listen: Option<SocketAddr>) -> Result<Desk, DeskError> {
    crate::crypto::init().map_err(|_| DeskError::Crypto)?;
    let want = listen.unwrap_or(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)));
    if want.ip() != Ipv4Addr::LOCALHOST {
        return Err(DeskError::NotLoopback(want));
    }
    let listener =
        TcpListener::bind(want).map_err(|source| DeskError::Bind { addr: want, source })?;
    let addr = listener
        .local_addr()
        .map_err(|source| DeskError::Bind { addr: want, source })?;

    let door = Arc::new(Door::new());
    let token = door
        .token()
        .ok_or_else(|| DeskError::Internal("a fresh door has no token".into()))?;
    let url = format!("http://127.0.0.1:{}/open?t={token}", addr.port());
    let gate = web::Data::new(Gate {
        door,
        port: addr.port(),
    });
    let backend = web::Data::new(backend);

    let server =
        HttpServer::new(move || {
            App::new()
                .app_data(gate.clone())
                .app_data(backend.clone())
                .app_data(
                    web::JsonConfig::default()
                        .limit(MAX_JSON_BYTES)
                        .error_handler(|e, _| {
                            DeskError::Invalid(format!(
                                "the JSON body is not what this route takes: {e}"
                            ))
                            .into()
                        }),
                )
                .app_data(web::QueryConfig::default().error_handler(|e, _| {
                    DeskError::Invalid(format!("the query string is malformed: {e}")).into()
                }))
                .app_data(web::PathConfig::default().error_handler(|_, _| {
                    DeskError::Invalid("the path is malformed".into()).into()
                }))
                .wrap(from_fn(guard::gate))
                // Outermost: the gate's refusals get these headers too.
                .wrap(security_headers())
                .route("/open", web::get().to(guard::open))
                .configure(api::configure)
                .configure(assets::configure)
        })
        .workers(2)
        .keep_alive(Duration::from_secs(30))
        .shutdown_timeout(2)
        .listen(listener)
        .map_err(|source| DeskError::Bind { addr, source })?
        .run();
    Ok(Desk { addr, url, server })
}

fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add(("Content-Security-Policy", CSP))
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("Referrer-Policy", "no-referrer"))
        .add(("Cache-Control", "no-store"))
        .add(("Cross-Origin-Opener-Policy", "same-origin"))
        .add(("Cross-Origin-Resource-Policy", "same-origin"))
        .add(("X-Frame-Options", "DENY"))
}
