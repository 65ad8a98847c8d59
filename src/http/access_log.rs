//! The access log: method, route pattern, status and latency — nothing else.
//!
//! actix-web's `Logger` and tracing-actix-web's default span record the client address
//! and User-Agent; this replaces them. It must never log an address, a header, a query
//! string, a concrete path (it may hold an id or token) or a body. Lines carry no
//! timestamp (see `cli::serve::init_logging`), so the log does not time submissions.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::Error;

/// Logs one line per request, by route pattern.
pub async fn log_request(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let method = req.method().clone();
    let res = next.call(req).await?;
    let route = res
        .request()
        .match_pattern()
        .unwrap_or_else(|| "<unmatched>".to_owned());
    // Coarse latency: exact durations could help correlate a witness's request.
    let latency_ms = match started.elapsed().as_millis() {
        0..=9 => "<10",
        10..=99 => "<100",
        100..=999 => "<1000",
        _ => ">=1000",
    };
    tracing::info!(
        target: "tipseal::access",
        method = %method,
        route = %route,
        status = res.status().as_u16(),
        latency_ms,
        "request"
    );
    Ok(res)
}
