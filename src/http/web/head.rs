//! `HEAD` on the witness pages and assets: answered exactly like `GET` — the same status
//! and headers (security headers, CSP, content type and length), without the body.
//!
//! The request is handed on as a `GET`; the HTTP/1 codec remembers that it was a `HEAD`
//! when it parsed it and so writes the headers only. Must never: touch `/api/…` (the
//! API's methods are described one by one in `docs/openapi.json`), or run a handler that
//! changes anything (only `GET` routes ever see the rewritten request).

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;

/// The middleware (`App::wrap(from_fn(head_as_get))`).
pub(crate) async fn head_as_get(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if req.method() == Method::HEAD && !req.path().starts_with("/api/") {
        req.head_mut().method = Method::GET;
    }
    next.call(req).await
}
