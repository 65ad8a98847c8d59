//! Raw HTTP/1.1 by hand, so a test controls every byte, header and the source address.

use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::time::Duration;

use serde_json::Value;

/// A parsed HTTP/1.1 response.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Header names lowercased, in order.
    pub headers: Vec<(String, String)>,
    /// The body (de-chunked).
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The first header with this (case-insensitive) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON; panics if it is not.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "status {} body is not JSON ({e}): {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// Asserts the body is a readable JSON error: `error` is a sentence, `code` is
    /// snake_case. Returns the code.
    pub fn assert_json_error(&self) -> String {
        let v = self.json();
        let error = v["error"]
            .as_str()
            .unwrap_or_else(|| panic!("no `error` in {v}"));
        let code = v["code"]
            .as_str()
            .unwrap_or_else(|| panic!("no `code` in {v}"));
        assert!(
            error.len() >= 10 && error.contains(' '),
            "`error` should be a readable sentence, got {error:?}"
        );
        assert!(
            !code.is_empty() && code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
            "`code` should be snake_case, got {code:?}"
        );
        code.to_owned()
    }
}

/// Builds an HTTP/1.1 request with `Host`, `Connection: close` and `Content-Length`.
pub fn request(method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if !body.is_empty() || method == "POST" || method == "PUT" {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    let mut out = head.into_bytes();
    out.extend_from_slice(body);
    out
}

/// `POST /api/v1/tips` with an octet-stream body and optional idempotency key.
pub fn post_tip_request(body: &[u8], idempotency_key: Option<&str>) -> Vec<u8> {
    let mut headers = vec![("Content-Type", "application/octet-stream")];
    if let Some(k) = idempotency_key {
        headers.push(("Idempotency-Key", k));
    }
    request("POST", "/api/v1/tips", &headers, body)
}

/// Opens a TCP connection to `addr`, from `bind_from:0` when given (a distinctive
/// loopback source address, say), with 30 s read/write timeouts.
pub fn connect(addr: SocketAddr, bind_from: Option<IpAddr>) -> std::io::Result<TcpStream> {
    let stream = match bind_from {
        None => TcpStream::connect_timeout(&addr, Duration::from_secs(10))?,
        Some(ip) => {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            rt.block_on(async move {
                let socket = match ip {
                    IpAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
                    IpAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
                };
                socket.bind(SocketAddr::new(ip, 0))?;
                let stream = socket.connect(addr).await?;
                let std_stream = stream.into_std()?;
                std_stream.set_nonblocking(false)?;
                Ok::<_, std::io::Error>(std_stream)
            })?
        }
    };
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    stream.set_write_timeout(Some(Duration::from_secs(30)))?;
    Ok(stream)
}

/// Sends `request` (raw bytes) and reads the response until the server closes.
///
/// The request is written from a second thread while this one reads: the server may
/// answer (413, 408, 400) and stop reading before the body is all sent, and then a
/// write error is not the end of the story — the answer is what the test wants.
pub fn try_raw_http(
    addr: SocketAddr,
    bind_from: Option<IpAddr>,
    request: &[u8],
) -> std::io::Result<HttpResponse> {
    let mut stream = connect(addr, bind_from)?;
    let mut writer = stream.try_clone()?;
    let request = request.to_vec();
    let sending =
        std::thread::spawn(move || writer.write_all(&request).and_then(|_| writer.flush()));
    let raw = read_all_lenient(&mut stream);
    let _ = stream.shutdown(std::net::Shutdown::Both);
    let write_result = sending.join().expect("writer thread");
    match parse_response(&raw) {
        Some(resp) => Ok(resp),
        None => Err(write_result.err().unwrap_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("no HTTP response ({} bytes read)", raw.len()),
            )
        })),
    }
}

/// [`try_raw_http`], panicking on a transport error.
pub fn raw_http(addr: SocketAddr, bind_from: Option<IpAddr>, request: &[u8]) -> HttpResponse {
    try_raw_http(addr, bind_from, request)
        .unwrap_or_else(|e| panic!("HTTP request to {addr} failed: {e}"))
}

/// Reads until EOF, or until an error (a reset after the answer is kept as read).
pub fn read_all_lenient(stream: &mut TcpStream) -> Vec<u8> {
    let mut raw = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        }
    }
    raw
}

/// Parses one HTTP/1.1 response; `None` if the bytes hold no complete head.
pub fn parse_response(raw: &[u8]) -> Option<HttpResponse> {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..end]).ok()?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next()?;
    let status: u16 = status_line.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let rest = &raw[end + 4..];
    let chunked = headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.to_ascii_lowercase().contains("chunked"));
    let body = if chunked {
        dechunk(rest)
    } else if let Some(len) = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse::<usize>().ok())
    {
        rest[..len.min(rest.len())].to_vec()
    } else {
        rest.to_vec()
    };
    Some(HttpResponse {
        status,
        headers,
        body,
    })
}

fn dechunk(mut rest: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    while let Some(eol) = rest.windows(2).position(|w| w == b"\r\n") {
        let size_text = std::str::from_utf8(&rest[..eol]).unwrap_or("0");
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("0").trim(), 16)
            .unwrap_or(0);
        rest = &rest[eol + 2..];
        if size == 0 || rest.len() < size {
            body.extend_from_slice(&rest[..size.min(rest.len())]);
            break;
        }
        body.extend_from_slice(&rest[..size]);
        rest = rest.get(size + 2..).unwrap_or(&[]);
    }
    body
}

/// Like [`request`], but asks the server to keep the connection open, so a flood can
/// send many requests over a few connections (see [`send_all`]).
pub fn request_keep_alive(
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Vec<u8> {
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let mut out = head.into_bytes();
    out.extend_from_slice(body);
    out
}

/// One kept-alive connection that reconnects whenever the server closes it.
pub struct KeepAlive {
    addr: SocketAddr,
    conn: Option<(TcpStream, std::io::BufReader<TcpStream>)>,
}

impl KeepAlive {
    /// Nothing is connected until the first request.
    pub fn new(addr: SocketAddr) -> Self {
        Self { addr, conn: None }
    }

    /// Sends one request (built with [`request_keep_alive`]) and reads its response;
    /// `None` for a transport failure. Responses must carry a `Content-Length` (every
    /// tipseal API answer does).
    pub fn send(&mut self, req: &[u8]) -> Option<HttpResponse> {
        // One retry on a fresh connection: the server may have closed an idle one.
        for _ in 0..2 {
            if self.conn.is_none() {
                self.conn = connect(self.addr, None)
                    .and_then(|s| Ok((s.try_clone()?, std::io::BufReader::new(s))))
                    .ok();
            }
            let (writer, reader) = self.conn.as_mut()?;
            match writer
                .write_all(req)
                .ok()
                .and_then(|_| read_one_response(reader))
            {
                Some(r) => {
                    if r.header("connection") == Some("close") {
                        self.conn = None;
                    }
                    return Some(r);
                }
                None => self.conn = None,
            }
        }
        None
    }
}

/// Sends each request in turn over one [`KeepAlive`] connection; `None` for a transport
/// failure.
pub fn send_all(
    addr: SocketAddr,
    requests: impl IntoIterator<Item = Vec<u8>>,
) -> Vec<Option<HttpResponse>> {
    let mut conn = KeepAlive::new(addr);
    requests.into_iter().map(|r| conn.send(&r)).collect()
}

/// Reads exactly one response (head and `Content-Length` body) from a kept-alive stream.
fn read_one_response(reader: &mut impl std::io::BufRead) -> Option<HttpResponse> {
    let mut raw = Vec::new();
    while !raw.ends_with(b"\r\n\r\n") {
        if reader.read_until(b'\n', &mut raw).ok()? == 0 {
            return None;
        }
    }
    let head = parse_response(&raw)?;
    let len: usize = head.header("content-length")?.parse().ok()?;
    let mut body = vec![0u8; len];
    reader.read_exact(&mut body).ok()?;
    Some(HttpResponse { body, ..head })
}
