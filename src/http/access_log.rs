//! The access log: method, route pattern, status and latency — nothing else — and, by
//! default, only for reviewers' and admins' routes.
//!
//! actix-web's `Logger` and tracing-actix-web's default span record the client address
//! and User-Agent; this replaces them. It must never log an address, a header, a query
//! string, a concrete path (it may hold an id or token) or a body. Lines carry no
//! timestamp (see `cli::serve::init_logging`), but a supervisor adds its own: journald
//! stamps every line it receives to the microsecond. So a witness's request (the page,
//! a submission, an upload, the mailbox) writes no line at all unless the operator turns
//! it on for debugging (`tipseal serve --log-witness-requests`). What is logged is an
//! allow-list of staff routes: a route added later is a witness route until listed.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{web, Error};

/// What the access log writes, as app data (absent: staff routes only).
#[derive(Clone, Copy, Debug, Default)]
pub struct AccessLog {
    /// Also log witness routes (debugging only: with a supervisor's timestamps this
    /// times witnesses' requests).
    pub witness_routes: bool,
}

/// Whether a route is used by reviewers and admins only (listed), rather than by
/// witnesses or anyone (everything else, including unmatched paths).
fn is_staff_route(method: &Method, route: &str) -> bool {
    match route {
        "/api/v1/audit" => true,
        "/api/v1/keyring" => method == Method::POST,
        "/api/v1/tips" => method == Method::GET,
        r => r.starts_with("/api/v1/tips/{id}") || r.starts_with("/api/v1/auth/"),
    }
}

/// Logs one line per staff request (or per request, if configured), by route pattern.
pub async fn log_request(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let method = req.method().clone();
    let config = req
        .app_data::<web::Data<AccessLog>>()
        .map(|c| *c.get_ref())
        .unwrap_or_default();
    let res = next.call(req).await?;
    let route = res
        .request()
        .match_pattern()
        .unwrap_or_else(|| "<unmatched>".to_owned());
    if !config.witness_routes && !is_staff_route(&method, &route) {
        return Ok(res);
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_reviewer_and_admin_routes_are_staff_routes() {
        let staff = [
            (Method::GET, "/api/v1/tips"),
            (Method::GET, "/api/v1/tips/{id}"),
            (Method::PUT, "/api/v1/tips/{id}/wraps"),
            (Method::POST, "/api/v1/tips/{id}/replies"),
            (Method::POST, "/api/v1/auth/session"),
            (Method::POST, "/api/v1/keyring"),
            (Method::GET, "/api/v1/audit"),
        ];
        for (m, r) in staff {
            assert!(is_staff_route(&m, r), "{m} {r}");
        }
        let witness = [
            (Method::POST, "/api/v1/tips"),
            (Method::GET, "/api/v1/keyring"),
            (Method::POST, "/api/v1/uploads"),
            (Method::PATCH, "/api/v1/uploads/{id}"),
            (Method::POST, "/api/v1/mailbox/session"),
            (Method::GET, "/api/v1/mailbox"),
            (Method::POST, "/{lang}/submit"),
            (Method::GET, "/"),
            (Method::GET, "<unmatched>"),
            (Method::GET, "/api/v1/health"),
        ];
        for (m, r) in witness {
            assert!(!is_staff_route(&m, r), "{m} {r}");
        }
    }
}
