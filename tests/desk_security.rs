//! The desk's HTTP security, attacked from outside: no token, a wrong token, a token
//! reused, a foreign `Host` (DNS rebinding), requests from other sites and local ports
//! (`Sec-Fetch-Site`), cross-site changes (no `Origin`, a foreign
//! `Origin`, a form content type), the headers on every answer, the session cookie's
//! attributes, and the refusal to listen beyond 127.0.0.1.
//!
//! The backend here is the test double in `tests/desk_double/` (fixed, generated data):
//! these tests check the desk's gate, not the reviewer's data, so a double is honest here.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;

mod desk_double;

use tipseal::desk::{serve, DeskError, CSP};

/// A running desk on its own thread and runtime.
struct Running {
    addr: SocketAddr,
    url: String,
}

fn start() -> Running {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let backend = desk_double::FixedDesk::new(20, Box::new(|_| {}));
            let desk = serve(Arc::new(backend), None).expect("the desk starts");
            tx.send((desk.addr, desk.url.clone())).unwrap();
            let _ = desk.server.await;
        });
    });
    let (addr, url) = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the desk started");
    Running { addr, url }
}

/// A parsed HTTP answer.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Sends one raw HTTP/1.1 request (so that `Host`, `Origin` and `Cookie` are exactly what
/// the test says) and reads the whole answer.
fn raw(addr: SocketAddr, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Answer {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nConnection: close\r\n");
    for (n, v) in headers {
        req.push_str(&format!("{n}: {v}\r\n"));
    }
    req.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    s.write_all(req.as_bytes()).unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).unwrap();
    let text = String::from_utf8_lossy(&buf).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    Answer {
        status,
        headers,
        body: body.to_string(),
    }
}

impl Running {
    fn host(&self) -> String {
        format!("127.0.0.1:{}", self.addr.port())
    }

    fn origin(&self) -> String {
        format!("http://127.0.0.1:{}", self.addr.port())
    }

    /// The printed URL's path and query (`/open?t=…`).
    fn open_path(&self) -> String {
        self.url.split_once(&self.host()).unwrap().1.to_string()
    }

    fn get(&self, path: &str, extra: &[(&str, &str)]) -> Answer {
        let host = self.host();
        let mut h = vec![("Host", host.as_str())];
        h.extend_from_slice(extra);
        raw(self.addr, "GET", path, &h, "")
    }

    /// Trades the token; returns the `Cookie` header value for the session.
    fn sign_in(&self) -> String {
        let a = self.get(&self.open_path(), &[]);
        assert_eq!(a.status, 303, "the token is traded for a session");
        let set = a
            .header("Set-Cookie")
            .expect("a session cookie")
            .to_string();
        set.split(';').next().unwrap().to_string()
    }
}

#[test]
fn the_printed_url_is_on_127_0_0_1_and_carries_a_long_token() {
    let d = start();
    assert_eq!(d.addr.ip().to_string(), "127.0.0.1");
    let token = d.url.split_once("?t=").unwrap().1;
    assert!(token.len() >= 43, "32 random bytes in base64url");
    assert!(d
        .url
        .starts_with(&format!("http://127.0.0.1:{}/open?t=", d.addr.port())));
}

#[test]
fn without_a_session_every_path_is_refused_with_a_pointer_to_the_printed_url() {
    let d = start();
    for path in [
        "/",
        "/api/inbox",
        "/api/me",
        "/api/cases",
        "/api/cases/case-0123456789abcdef",
        "/api/cases/case-0123456789abcdef/export?format=json",
        "/api/figures",
        "/js/main.js",
        "/js/cases.js",
        "/nope",
    ] {
        let a = d.get(path, &[]);
        assert_eq!(a.status, 403, "{path}");
        assert!(a.body.contains("tipseal desk"), "{path}: {}", a.body);
    }
}

#[test]
fn a_wrong_token_is_refused_and_does_not_spend_the_right_one() {
    let d = start();
    let a = d.get("/open?t=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", &[]);
    assert_eq!(a.status, 403);
    assert!(a.header("Set-Cookie").is_none());
    let b = d.get("/open", &[]);
    assert_eq!(b.status, 403, "no token at all");
    d.sign_in();
}

#[test]
fn the_token_works_once_and_then_the_cookie_opens_the_desk() {
    let d = start();
    let a = d.get(&d.open_path(), &[]);
    assert_eq!(a.status, 303);
    assert_eq!(
        a.header("Location"),
        Some("/"),
        "the token leaves the address bar"
    );
    let cookie = a
        .header("Set-Cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let again = d.get(&d.open_path(), &[]);
    assert_eq!(again.status, 403, "a spent token opens nothing");
    assert!(again.header("Set-Cookie").is_none());
    let page = d.get("/", &[("Cookie", &cookie)]);
    assert_eq!(page.status, 200);
    assert!(page
        .body
        .contains("<script type=\"module\" src=\"/js/main.js\">"));
    let me = d.get("/api/me", &[("Cookie", &cookie)]);
    assert_eq!(me.status, 200, "{}", me.body);
    let forged = d.get("/api/me", &[("Cookie", "tipseal_desk=forged")]);
    assert_eq!(forged.status, 403);
}

#[test]
fn the_session_cookie_is_http_only_same_site_strict_for_the_whole_desk() {
    let d = start();
    let a = d.get(&d.open_path(), &[]);
    let set = a.header("Set-Cookie").unwrap();
    let attrs: Vec<&str> = set.split(';').map(str::trim).collect();
    assert!(attrs.contains(&"HttpOnly"), "{set}");
    assert!(attrs.contains(&"SameSite=Strict"), "{set}");
    assert!(attrs.contains(&"Path=/"), "{set}");
    assert!(
        !set.to_ascii_lowercase().contains("max-age")
            && !set.to_ascii_lowercase().contains("expires"),
        "a browser-session cookie, never stored: {set}"
    );
    let value = attrs[0].split_once('=').unwrap().1;
    assert!(value.len() >= 43, "a 32-byte random session id");
    assert!(!d.url.contains(value), "the session is not the token");
}

#[test]
fn a_foreign_host_is_refused_even_with_a_valid_session() {
    let d = start();
    let cookie = d.sign_in();
    let port = d.addr.port();
    for host in [
        "attacker.example".to_string(),
        format!("attacker.example:{port}"),
        "127.0.0.1".to_string(),
        format!("127.0.0.1:{}", port.wrapping_add(1)),
    ] {
        let a = raw(
            d.addr,
            "GET",
            "/api/inbox",
            &[("Host", &host), ("Cookie", &cookie)],
            "",
        );
        assert_eq!(a.status, 421, "Host {host}");
        assert!(!a.body.contains("reviewer"), "nothing of the data leaks");
    }
    let no_host = raw(d.addr, "GET", "/api/me", &[("Cookie", &cookie)], "");
    assert!(
        no_host.status == 421 || no_host.status == 400,
        "no Host: {}",
        no_host.status
    );
    // The token exchange is behind the Host check too: a rebinding page cannot spend it.
    let open = raw(
        d.addr,
        "GET",
        &d.open_path(),
        &[("Host", "attacker.example")],
        "",
    );
    assert_eq!(open.status, 421);
    let localhost = format!("localhost:{port}");
    let ok = raw(
        d.addr,
        "GET",
        "/api/me",
        &[("Host", &localhost), ("Cookie", &cookie)],
        "",
    );
    assert_eq!(ok.status, 200, "localhost:PORT is the desk too");
}

#[test]
fn changes_need_the_desks_own_origin_and_a_json_body() {
    let d = start();
    let cookie = d.sign_in();
    let host = d.host();
    let origin = d.origin();
    let body = r#"{"ids":["00000000000000000000000000000001"],"request":{"star":true}}"#;
    let post = |extra: &[(&str, &str)], body: &str| {
        let mut h = vec![("Host", host.as_str()), ("Cookie", cookie.as_str())];
        h.extend_from_slice(extra);
        raw(d.addr, "POST", "/api/triage", &h, body)
    };
    let none = post(&[("Content-Type", "application/json")], body);
    assert_eq!(none.status, 403, "no Origin");
    let foreign = post(
        &[
            ("Content-Type", "application/json"),
            ("Origin", "http://attacker.example"),
        ],
        body,
    );
    assert_eq!(foreign.status, 403, "foreign Origin");
    let null = post(
        &[("Content-Type", "application/json"), ("Origin", "null")],
        body,
    );
    assert_eq!(null.status, 403, "opaque Origin");
    let form = post(&[("Content-Type", "text/plain"), ("Origin", &origin)], body);
    assert_eq!(form.status, 415, "a simple (form-like) content type");
    let ok = post(
        &[("Content-Type", "application/json"), ("Origin", &origin)],
        body,
    );
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert!(ok.body.contains("\"ok\":true"), "{}", ok.body);
    // Without a session, a same-origin JSON change is still refused.
    let anon = raw(
        d.addr,
        "POST",
        "/api/triage",
        &[
            ("Host", &host),
            ("Origin", &origin),
            ("Content-Type", "application/json"),
        ],
        body,
    );
    assert_eq!(anon.status, 403);
}

#[test]
fn requests_a_browser_marks_as_from_another_site_or_port_are_refused() {
    let d = start();
    let cookie = d.sign_in();
    // A page on another 127.0.0.1 port is "same-site": cookies do not keep ports apart.
    for site in ["cross-site", "same-site"] {
        let a = d.get(
            "/api/inbox",
            &[("Cookie", &cookie), ("Sec-Fetch-Site", site)],
        );
        assert_eq!(a.status, 403, "Sec-Fetch-Site: {site}");
        assert!(!a.body.contains("Report"), "nothing of the data");
    }
    for site in ["same-origin", "none"] {
        let a = d.get("/api/me", &[("Cookie", &cookie), ("Sec-Fetch-Site", site)]);
        assert_eq!(a.status, 200, "Sec-Fetch-Site: {site}");
    }
}

#[test]
fn every_answer_carries_the_csp_and_the_other_headers() {
    let d = start();
    let cookie = d.sign_in();
    let answers = vec![
        d.get("/", &[]),
        d.get("/open?t=x", &[]),
        d.get("/", &[("Cookie", &cookie)]),
        d.get("/js/main.js", &[("Cookie", &cookie)]),
        d.get("/api/inbox", &[("Cookie", &cookie)]),
        d.get("/api/tips/zz", &[("Cookie", &cookie)]),
        d.get("/nope", &[("Cookie", &cookie)]),
        raw(d.addr, "GET", "/", &[("Host", "attacker.example")], ""),
    ];
    for a in answers {
        assert_eq!(
            a.header("Content-Security-Policy")
                .map(|c| c == CSP || c.contains("sandbox")),
            Some(true),
            "CSP on a {} answer",
            a.status
        );
        assert_eq!(
            a.header("X-Content-Type-Options"),
            Some("nosniff"),
            "{}",
            a.status
        );
        assert_eq!(
            a.header("Referrer-Policy"),
            Some("no-referrer"),
            "{}",
            a.status
        );
        assert_eq!(a.header("Cache-Control"), Some("no-store"), "{}", a.status);
        assert_eq!(
            a.header("Cross-Origin-Opener-Policy"),
            Some("same-origin"),
            "{}",
            a.status
        );
        assert_eq!(
            a.header("Cross-Origin-Resource-Policy"),
            Some("same-origin"),
            "{}",
            a.status
        );
    }
    assert!(
        CSP.contains("default-src 'none'")
            && CSP.contains("script-src 'self'")
            && CSP.contains("frame-ancestors 'none'")
            && !CSP.contains("unsafe")
    );
}

#[test]
fn attachments_preview_only_raster_images_and_never_svg_inline() {
    let d = start();
    let cookie = d.sign_in();
    let id = "00000000000000000000000000000001";
    let png = d.get(
        &format!("/api/tips/{id}/attachments/0"),
        &[("Cookie", &cookie)],
    );
    assert_eq!(png.status, 200);
    assert_eq!(png.header("Content-Type"), Some("image/png"));
    assert!(png
        .header("Content-Disposition")
        .unwrap()
        .starts_with("inline"));
    let svg = d.get(
        &format!("/api/tips/{id}/attachments/1"),
        &[("Cookie", &cookie)],
    );
    assert_eq!(svg.status, 200);
    assert_eq!(svg.header("Content-Type"), Some("application/octet-stream"));
    assert!(svg
        .header("Content-Disposition")
        .unwrap()
        .starts_with("attachment"));
    assert!(svg
        .header("Content-Security-Policy")
        .unwrap()
        .contains("sandbox"));
    let missing = d.get(
        &format!("/api/tips/{id}/attachments/9"),
        &[("Cookie", &cookie)],
    );
    assert_eq!(missing.status, 404);
    assert!(
        missing.body.contains("\"code\":\"not_found\""),
        "{}",
        missing.body
    );
}

#[test]
fn bad_input_gets_a_clear_json_error() {
    let d = start();
    let cookie = d.sign_in();
    let a = d.get("/api/tips/not-a-tip", &[("Cookie", &cookie)]);
    assert_eq!(a.status, 400);
    assert!(a.body.contains("is not a tip id"), "{}", a.body);
    let b = d.get("/api/inbox?from=yesterday", &[("Cookie", &cookie)]);
    assert_eq!(b.status, 400);
    assert!(b.body.contains("YYYY-MM-DD"), "{}", b.body);
    let host = d.host();
    let origin = d.origin();
    let c = raw(
        d.addr,
        "POST",
        "/api/triage",
        &[
            ("Host", &host),
            ("Cookie", &cookie),
            ("Origin", &origin),
            ("Content-Type", "application/json"),
        ],
        r#"{"ids":["00000000000000000000000000000001"],"request":{"grade":"Z9"}}"#,
    );
    assert_eq!(c.status, 400);
    assert!(c.body.contains("A–F"), "{}", c.body);
}

#[test]
fn a_non_loopback_listen_address_is_refused() {
    let backend: Arc<dyn tipseal::desk::DeskBackend> =
        Arc::new(desk_double::FixedDesk::new(3, Box::new(|_| {})));
    for addr in ["0.0.0.0:0", "192.168.1.10:8080", "[::]:0", "[::1]:0"] {
        let addr: SocketAddr = addr.parse().unwrap();
        let err = actix_web::rt::System::new()
            .block_on(async { serve(Arc::clone(&backend), Some(addr)).err() })
            .expect("refused");
        assert!(matches!(err, DeskError::NotLoopback(_)), "{addr}: {err}");
        assert!(err.to_string().contains("127.0.0.1 only"), "{err}");
    }
}

#[test]
fn case_decisions_and_exports_need_the_desks_origin_and_json_like_every_change() {
    let d = start();
    let cookie = d.sign_in();
    let host = d.host();
    let origin = d.origin();
    let id = "case-0123456789abcdef";
    let bodies = [
        (format!("/api/cases/{id}"), r#"{"action":"confirm"}"#),
        (
            format!("/api/cases/{id}/export"),
            r#"{"format":"json","out":"/tmp/x","plaintext_understood":true}"#,
        ),
    ];
    for (path, body) in &bodies {
        let post = |extra: &[(&str, &str)]| {
            let mut h = vec![("Host", host.as_str()), ("Cookie", cookie.as_str())];
            h.extend_from_slice(extra);
            raw(d.addr, "POST", path, &h, body)
        };
        assert_eq!(
            post(&[("Content-Type", "application/json")]).status,
            403,
            "{path}: no Origin"
        );
        let foreign = post(&[
            ("Content-Type", "application/json"),
            ("Origin", "http://attacker.example"),
        ]);
        assert_eq!(foreign.status, 403, "{path}: foreign Origin");
        let form = post(&[("Content-Type", "text/plain"), ("Origin", &origin)]);
        assert_eq!(form.status, 415, "{path}: a form's content type");
        // Through the gate, the test double says plainly that it has no cases.
        let ok = post(&[("Content-Type", "application/json"), ("Origin", &origin)]);
        assert_eq!(ok.status, 503, "{path}: {}", ok.body);
        assert!(ok.body.contains("no cases"), "{}", ok.body);
    }
}
