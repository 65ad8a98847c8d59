//! The listening address (clearnet or not), what reaches the log, and the Tor onion
//! service's configuration.
//!
//! Reads the torrc as text; never connects anywhere.

use std::net::{IpAddr, SocketAddr};

use super::{Check, Deployment, Finding, Verdict};

/// Largest torrc read (a real one is a few KiB).
const MAX_TORRC_BYTES: u64 = 1024 * 1024;

/// Where the server listens, as the doctor understands it.
#[derive(Debug, PartialEq, Eq)]
enum Listen {
    /// `unix:PATH`.
    Unix(String),
    /// A TCP address.
    Tcp(SocketAddr),
    /// `localhost:PORT`.
    Localhost(u16),
    /// Something else (a host name that resolves who knows where).
    Other,
}

fn parse_listen(s: &str) -> Listen {
    let s = s.trim();
    if let Some(p) = s.strip_prefix("unix:") {
        return Listen::Unix(p.to_owned());
    }
    if let Ok(a) = s.parse::<SocketAddr>() {
        return Listen::Tcp(a);
    }
    match s.rsplit_once(':') {
        Some((h, p)) if h.eq_ignore_ascii_case("localhost") => {
            p.parse().map_or(Listen::Other, Listen::Localhost)
        }
        _ => Listen::Other,
    }
}

/// Loopback or a Unix socket is right; anything else accepts tips over clearnet.
pub fn listen(d: &Deployment) -> Finding {
    let f = |v, s: String| Finding::new(Check::Listen, v, s);
    let clearnet = |what: &str| {
        f(
            Verdict::Warn,
            format!(
                "The server listens on {what}: tips would be accepted over clearnet, where the \
                 network sees who sends them. Listen on 127.0.0.1 or a unix: socket and let \
                 witnesses come through the onion service."
            ),
        )
    };
    match parse_listen(&d.listen) {
        Listen::Unix(p) => f(
            Verdict::Ok,
            format!(
                "The server listens on the Unix socket {p}: only local processes (Tor) reach it."
            ),
        ),
        Listen::Tcp(a) if a.ip().is_loopback() => f(
            Verdict::Ok,
            format!("The server listens on loopback ({a}): only this machine (Tor) reaches it."),
        ),
        Listen::Localhost(p) => f(
            Verdict::Ok,
            format!("The server listens on localhost:{p}: only this machine reaches it."),
        ),
        Listen::Tcp(a) if a.ip().is_unspecified() => clearnet(&format!("every interface ({a})")),
        Listen::Tcp(a) => clearnet(&a.to_string()),
        Listen::Other => clearnet(&d.listen),
    }
}

/// Witness routes are not logged (journald would time them), and the log filter is not
/// a debugging level.
pub fn logs(d: &Deployment) -> Finding {
    let f = |v, s: String| Finding::new(Check::Logs, v, s);
    if d.log_witness_requests {
        return f(
            Verdict::Fail,
            "Witness requests are logged (log.witness_requests / --log-witness-requests): the \
             journal timestamps every line, which records when each witness came. Turn it off."
                .into(),
        );
    }
    if let Some(filter) = d.log_filter.as_deref() {
        let lower = filter.to_ascii_lowercase();
        if lower.contains("debug") || lower.contains("trace") {
            return f(
                Verdict::Warn,
                format!(
                    "TIPSEAL_LOG={filter} writes debugging lines, each timestamped by the journal: \
                     use info in production."
                ),
            );
        }
    }
    f(
        Verdict::Ok,
        "Witness routes write no log line, so the journal's timestamps cannot time witnesses."
            .into(),
    )
}

/// Does a `HiddenServicePort` target reach `listen`?
fn targets(listen: &Listen, target: &str) -> bool {
    let target = target.trim().trim_matches('"');
    match listen {
        Listen::Unix(p) => target
            .strip_prefix("unix:")
            .is_some_and(|t| t.trim_matches('"') == p),
        Listen::Tcp(a) => {
            // A bare port means 127.0.0.1:PORT.
            if let Ok(port) = target.parse::<u16>() {
                return a.ip() == IpAddr::from([127, 0, 0, 1]) && a.port() == port;
            }
            target.parse::<SocketAddr>().is_ok_and(|t| t == *a)
        }
        Listen::Localhost(p) => target
            .parse::<SocketAddr>()
            .is_ok_and(|t| t.ip().is_loopback() && t.port() == *p),
        Listen::Other => false,
    }
}

/// The torrc's onion service points at the listen address and has the proof-of-work
/// defence on.
pub fn tor(d: &Deployment) -> Finding {
    let f = |v, s: String| Finding::new(Check::Tor, v, s);
    let Some(path) = d.torrc.as_ref() else {
        return f(
            Verdict::Skipped,
            "No Tor configuration given (--torrc FILE): the onion service was not checked.".into(),
        );
    };
    let name = path.display();
    let text = match std::fs::metadata(path).and_then(|m| {
        if m.len() > MAX_TORRC_BYTES {
            Err(std::io::Error::other("larger than 1 MiB"))
        } else {
            std::fs::read_to_string(path)
        }
    }) {
        Ok(t) => t,
        Err(e) => {
            return f(
                Verdict::Fail,
                format!("The Tor configuration {name} cannot be read ({e})."),
            )
        }
    };
    let lines: Vec<(String, String)> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let (k, v) = l.split_once(char::is_whitespace)?;
            Some((k.to_ascii_lowercase(), v.trim().to_owned()))
        })
        .collect();
    let value = |key: &str| {
        lines
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect::<Vec<_>>()
    };
    let ports = value("hiddenserviceport");
    if ports.is_empty() {
        return f(
            Verdict::Fail,
            format!("{name} has no HiddenServicePort: add the onion service from deploy/torrc."),
        );
    }
    let want = parse_listen(&d.listen);
    let reaches = ports.iter().any(|p| {
        p.split_once(char::is_whitespace)
            .is_some_and(|(_, target)| targets(&want, target))
    });
    if !reaches {
        return f(
            Verdict::Fail,
            format!(
                "No HiddenServicePort in {name} points at the server's address {}: witnesses \
                 would reach nothing. Make its target {} (see deploy/torrc).",
                d.listen,
                d.listen.trim()
            ),
        );
    }
    let pow_on = value("hiddenservicepowdefensesenabled")
        .last()
        .is_some_and(|v| v.trim() == "1");
    if !pow_on {
        return f(
            Verdict::Fail,
            format!(
                "The proof-of-work defence is off in {name}: a flood of introductions can take \
                 the onion service down. Add HiddenServicePoWDefensesEnabled 1 (Tor 0.4.8 or later)."
            ),
        );
    }
    if value("hiddenservicemaxstreams").is_empty() {
        return f(
            Verdict::Warn,
            format!(
                "{name} sets no HiddenServiceMaxStreams: one circuit may open every connection \
                 the server allows. Add HiddenServiceMaxStreams 32."
            ),
        );
    }
    f(
        Verdict::Ok,
        format!(
            "{name} publishes an onion service to {} with the proof-of-work defence on.",
            d.listen
        ),
    )
}
