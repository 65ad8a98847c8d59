//! A minimal HTTP/1.1 client for one thing: POST a body on a kept-alive loopback
//! connection and read the status and body back. It exists to measure what `ureq` costs
//! per request (`tipseal bench --http raw`): if both give the same figures, the client is
//! not what is measured.
//!
//! It understands only what tipseal's server sends to it: a `Content-Length` body (no
//! chunked encoding, no TLS, no redirects). It must never be used outside the load
//! generator.

use std::io::{BufRead, BufReader, IoSlice, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// Largest response header block accepted.
const MAX_HEAD: usize = 16 * 1024;
/// Largest response body accepted (a receipt or an error is a few hundred bytes).
const MAX_BODY: usize = 1024 * 1024;

/// One kept-alive connection to `host:port`, reopened when the server closes it.
pub struct RawClient {
    addr: String,
    path: String,
    conn: Option<BufReader<TcpStream>>,
    timeout: Duration,
}

impl RawClient {
    /// A client for `url` (`http://HOST:PORT/PATH`); `None` for any other shape.
    pub fn new(url: &str, timeout: Duration) -> Option<Self> {
        let rest = url.strip_prefix("http://")?;
        let (addr, path) = rest.split_at(rest.find('/')?);
        Some(Self {
            addr: addr.to_owned(),
            path: path.to_owned(),
            conn: None,
            timeout,
        })
    }

    /// POSTs `body` with `Idempotency-Key: key`; the status and the response body. A
    /// failed exchange drops the connection (the next call opens a new one) and is not
    /// retried: a retry could count one stored tip twice.
    pub fn post(&mut self, body: &[u8], key: &str) -> std::io::Result<(u16, Vec<u8>)> {
        let result = self.exchange(body, key);
        if result.is_err() {
            self.conn = None;
        }
        result
    }

    fn exchange(&mut self, body: &[u8], key: &str) -> std::io::Result<(u16, Vec<u8>)> {
        if self.conn.is_none() {
            let s = TcpStream::connect(&self.addr)?;
            s.set_nodelay(true)?;
            s.set_read_timeout(Some(self.timeout))?;
            s.set_write_timeout(Some(self.timeout))?;
            self.conn = Some(BufReader::new(s));
        }
        let conn = self.conn.as_mut().expect("connected above");
        // The constant client name the `tipseal` commands send; the server never reads it.
        let head = format!(
            "POST {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: tipseal\r\n\
             Content-Type: application/octet-stream\r\nIdempotency-Key: {key}\r\n\
             Content-Length: {}\r\n\r\n",
            self.path,
            self.addr,
            body.len()
        );
        write_all_vectored(
            conn.get_mut(),
            &mut [IoSlice::new(head.as_bytes()), IoSlice::new(body)],
        )?;
        let (status, length, close) = read_head(conn)?;
        if length > MAX_BODY {
            return Err(std::io::Error::other("response body too large"));
        }
        let mut answer = vec![0; length];
        conn.read_exact(&mut answer)?;
        if close {
            self.conn = None;
        }
        Ok((status, answer))
    }
}

/// Writes every byte of `bufs` with as few `writev` calls as the socket allows: the head
/// and the body of a request leave in one system call and, on loopback, one segment, as
/// a client that buffers its request sends them. Two `write`s with `TCP_NODELAY` would
/// send two segments and make the server read and wake for each.
fn write_all_vectored(stream: &mut TcpStream, mut bufs: &mut [IoSlice<'_>]) -> std::io::Result<()> {
    while !bufs.is_empty() {
        match stream.write_vectored(bufs) {
            Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
            Ok(n) => IoSlice::advance_slices(&mut bufs, n),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Reads a response head: status, `Content-Length` (0 if absent) and whether the server
/// closes the connection.
fn read_head(conn: &mut BufReader<TcpStream>) -> std::io::Result<(u16, usize, bool)> {
    let bad = |what: &str| std::io::Error::other(format!("bad response: {what}"));
    let mut line = String::new();
    let mut total = 0;
    conn.read_line(&mut line)?;
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad("status line"))?;
    let (mut length, mut close) = (0, false);
    loop {
        line.clear();
        let n = conn.read_line(&mut line)?;
        total += n;
        if n == 0 || total > MAX_HEAD {
            return Err(bad("headers"));
        }
        let l = line.trim_end();
        if l.is_empty() {
            return Ok((status, length, close));
        }
        let Some((name, value)) = l.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            length = value.parse().map_err(|_| bad("content-length"))?;
        } else if name.eq_ignore_ascii_case("connection") {
            close = value.eq_ignore_ascii_case("close");
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            return Err(bad("chunked bodies are not supported"));
        }
    }
}
