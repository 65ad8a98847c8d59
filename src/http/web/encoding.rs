//! Content negotiation for the page's files: which of the build-time encodings
//! (`assets.rs`) a request's `Accept-Encoding` allows, preferring the smallest.
//!
//! Must never: refuse a request for its `Accept-Encoding` (identity is always an answer,
//! even when a client says `identity;q=0`: a file it can read beats an error page).

use std::io::Write;

use actix_web::body::MessageBody;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};

/// A `Content-Encoding` the server can send.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Encoding {
    /// As written.
    Identity,
    /// `gzip`: every browser, over plain HTTP too (the onion service).
    Gzip,
    /// `br`: smaller; browsers offer it over HTTPS and to localhost.
    Brotli,
}

/// Longest `Accept-Encoding` value read; past it the file is sent as written.
const MAX_HEADER_LEN: usize = 1024;

impl Encoding {
    /// The `Content-Encoding` token, or `None` for identity (no header).
    pub fn header(self) -> Option<&'static str> {
        match self {
            Encoding::Identity => None,
            Encoding::Gzip => Some("gzip"),
            Encoding::Brotli => Some("br"),
        }
    }

    /// The best encoding the request's `Accept-Encoding` allows ([`Encoding::negotiate`]).
    pub fn of_request(req: &HttpRequest) -> Self {
        Self::negotiate(
            req.headers()
                .get(header::ACCEPT_ENCODING)
                .and_then(|v| v.to_str().ok()),
        )
    }

    /// The best encoding `accept` (an `Accept-Encoding` value, if any) allows: brotli,
    /// then gzip, then identity. A coding counts when named (or matched by `*`) with a
    /// non-zero `q`; an explicit `q=0` for a coding beats `*`.
    pub fn negotiate(accept: Option<&str>) -> Self {
        let Some(accept) = accept.filter(|a| a.len() <= MAX_HEADER_LEN) else {
            return Encoding::Identity;
        };
        let allowed = |coding: &str| -> bool {
            let mut star = None;
            for item in accept.split(',') {
                let mut parts = item.split(';');
                let name = parts.next().unwrap_or("").trim();
                let q = parts
                    .filter_map(|p| {
                        p.trim()
                            .strip_prefix("q=")
                            .or_else(|| p.trim().strip_prefix("Q="))
                    })
                    .next()
                    .map_or(Some(1.0), |v| v.trim().parse::<f32>().ok());
                let Some(q) = q else { continue };
                if name.eq_ignore_ascii_case(coding) {
                    return q > 0.0;
                }
                if name == "*" {
                    star = Some(q > 0.0);
                }
            }
            star.unwrap_or(false)
        };
        if allowed("br") {
            Encoding::Brotli
        } else if allowed("gzip") {
            Encoding::Gzip
        } else {
            Encoding::Identity
        }
    }
}

/// Longest page compressed on the fly; a page past it goes as rendered.
const MAX_PAGE_LEN: usize = 256 * 1024;

/// Gzips a rendered page that holds no secret (the form and the unopened mailbox page,
/// the same for every visitor of a language) when the request accepts gzip: a third of
/// the bytes on a slow link. Never for a page that shows receipt words, replies or what a
/// witness typed: compressing a secret next to text an attacker can influence leaks it
/// through the length (BREACH). Level 6: a millisecond for a 40 kB page.
pub(super) fn gzip_public_page(req: &HttpRequest, res: HttpResponse) -> HttpResponse {
    if Encoding::of_request(req) == Encoding::Identity {
        return with_vary(res);
    }
    let (head, body) = res.into_parts();
    let bytes = match body.try_into_bytes() {
        Ok(b) if b.len() <= MAX_PAGE_LEN => b,
        Ok(b) => return with_vary(head.set_body(b).map_into_boxed_body()),
        Err(body) => return with_vary(head.set_body(body)),
    };
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
    let compressed = gz.write_all(&bytes).and_then(|()| gz.finish());
    let mut res = match compressed {
        Ok(c) => {
            let mut res = head.set_body(c).map_into_boxed_body();
            res.headers_mut().insert(
                header::CONTENT_ENCODING,
                header::HeaderValue::from_static("gzip"),
            );
            res
        }
        // In-memory gzip does not fail; if it did, the page goes as rendered.
        Err(_) => head.set_body(bytes).map_into_boxed_body(),
    };
    res.headers_mut().remove(header::CONTENT_LENGTH);
    with_vary(res)
}

fn with_vary(mut res: HttpResponse) -> HttpResponse {
    res.headers_mut().insert(
        header::VARY,
        header::HeaderValue::from_static("Accept-Encoding"),
    );
    res
}

#[cfg(test)]
mod tests {
    use super::Encoding::{self, *};

    fn n(h: &str) -> Encoding {
        Encoding::negotiate(Some(h))
    }

    #[test]
    fn browsers_get_their_best_coding() {
        assert_eq!(n("gzip, deflate, br, zstd"), Brotli); // Chromium over HTTPS/localhost
        assert_eq!(n("gzip, deflate"), Gzip); // Firefox and Tor Browser over plain HTTP
        assert_eq!(n("GZIP"), Gzip);
    }

    #[test]
    fn no_header_or_nothing_known_means_as_written() {
        assert_eq!(Encoding::negotiate(None), Identity);
        assert_eq!(n(""), Identity);
        assert_eq!(n("identity"), Identity);
        assert_eq!(n("deflate, zstd"), Identity);
        assert_eq!(n("identity;q=0"), Identity);
    }

    #[test]
    fn q_zero_refuses_a_coding_and_star_allows_the_rest() {
        assert_eq!(n("br;q=0, gzip"), Gzip);
        assert_eq!(n("gzip;q=0, br;q=0"), Identity);
        assert_eq!(n("*"), Brotli);
        assert_eq!(n("br;q=0, *;q=0.5"), Gzip);
        assert_eq!(n("*;q=0"), Identity);
        assert_eq!(n("gzip;q=0.001"), Gzip);
    }

    #[test]
    fn malformed_weights_are_ignored_not_fatal() {
        assert_eq!(n("br;q=abc, gzip"), Gzip);
        assert_eq!(n(";;;,,,"), Identity);
        assert_eq!(n(&"gzip, ".repeat(400)), Identity); // over the length limit
    }
}
