//! Where the clients connect: the server address and the `--proxy`, checked before
//! anything is read, sealed or sent, with refusals that say what to type instead.
//!
//! Through a SOCKS proxy the client always hands the proxy the server's **hostname** (a
//! `.onion` name, or any name), never an address it resolved itself: ureq's SOCKS5
//! client sends a domain-name CONNECT for every non-IP host, which is what `socks5h://`
//! means elsewhere (curl, Tor's documentation). Must never: accept a proxy scheme that
//! resolves names on this machine (`socks4://`), which would leak the server's name to
//! the local DNS resolver and fail for `.onion` names anyway.

use super::Error;

/// The server's base URL, without a trailing slash.
pub fn server_base(server: &str) -> Result<String, Error> {
    let s = server.trim();
    let lower = s.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("http://")
        .or_else(|| lower.strip_prefix("https://"));
    match rest {
        Some(host) if !host.trim_matches('/').is_empty() => Ok(s.trim_end_matches('/').to_owned()),
        _ => Err(Error::Refused(format!(
            "--server {server:?}: write the server address with http:// or https://, e.g. \
             http://abc…xyz.onion or https://tips.example.org"
        ))),
    }
}

/// The proxy for ureq. Accepts `socks5h://`, `socks5://` and `socks://` (all three hand
/// the hostname to the proxy, see the module doc), `socks4a://` and `http://`.
pub fn proxy(p: &str) -> Result<ureq::Proxy, Error> {
    let (scheme, rest) = p.trim().split_once("://").ok_or_else(|| bad_proxy(p))?;
    let normalised = match scheme.to_ascii_lowercase().as_str() {
        // ureq names SOCKS5-with-remote-names `socks5`.
        "socks5h" | "socks5" | "socks" => format!("socks5://{rest}"),
        "socks4a" => format!("socks4a://{rest}"),
        "http" => format!("http://{rest}"),
        "socks4" => {
            return Err(Error::Refused(format!(
                "--proxy {p:?}: socks4:// looks up the server's name on this machine, which \
                 leaks it and cannot reach .onion addresses; use socks5h://HOST:PORT (Tor: \
                 socks5h://127.0.0.1:9050)"
            )))
        }
        _ => return Err(bad_proxy(p)),
    };
    ureq::Proxy::new(&normalised).map_err(|_| bad_proxy(p))
}

fn bad_proxy(p: &str) -> Error {
    Error::Refused(format!(
        "--proxy {p:?} is not a proxy address: write socks5h://HOST:PORT (Tor: \
         socks5h://127.0.0.1:9050), socks5://…, socks4a://… or http://HOST:PORT"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tor_style_proxies_parse_and_local_resolving_ones_are_refused() {
        for ok in [
            "socks5h://127.0.0.1:9050",
            "SOCKS5H://127.0.0.1:9050",
            "socks5://127.0.0.1:9150",
            "socks://localhost:1080",
            "socks4a://127.0.0.1:9050",
            "http://127.0.0.1:8118",
            "socks5h://user:pass@127.0.0.1:9050",
        ] {
            assert!(proxy(ok).is_ok(), "{ok}");
        }
        for bad in ["socks4://127.0.0.1:9050", "127.0.0.1:9050", "ftp://x:1", ""] {
            let e = proxy(bad).expect_err(bad).to_string();
            assert!(e.contains("socks5h://"), "{bad}: {e}");
        }
    }

    #[test]
    fn a_server_address_needs_its_scheme() {
        assert_eq!(
            server_base("http://abc.onion/").unwrap(),
            "http://abc.onion"
        );
        assert!(server_base("HTTPS://tips.example.org").is_ok());
        for bad in ["abc.onion", "127.0.0.1:8080", "http://", "ftp://x"] {
            let e = server_base(bad).expect_err(bad).to_string();
            assert!(e.contains("http:// or https://"), "{bad}: {e}");
        }
    }
}
