//! `--proxy socks5h://…` as Tor users type it: every command that talks to a server
//! accepts it, and the proxy is handed the server's **hostname** — a `.onion` name or a
//! made-up one — never an address the client resolved itself.
//!
//! The proxy here is a tiny SOCKS5 server written in this file: it accepts, answers the
//! greeting (no authentication), reads the CONNECT request, records its address type and
//! address, connects to the real test server whatever the name (as Tor would reach the
//! onion service), answers success and relays both ways. The names used resolve nowhere,
//! so a client that looked them up itself would fail before reaching the proxy.

mod common;

use std::ffi::OsStr;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;

use common::*;
use tempfile::TempDir;

/// A `.onion` v3 name (56 base32 characters): it resolves only inside Tor.
const ONION: &str = "abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuvwx.onion";
/// A name under `.invalid` (RFC 2606): it resolves nowhere.
const MADE_UP: &str = "tips.example-newsroom.invalid";

/// What the client asked the proxy to connect to.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Target {
    /// ATYP 0x03: a name, for the proxy to resolve.
    Name(String, u16),
    /// ATYP 0x01 or 0x04: an address the client resolved itself.
    Address(Vec<u8>, u16),
}

/// The SOCKS5 stub: its address and every CONNECT it has seen.
struct Socks {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Target>>>,
}

impl Socks {
    /// Listens on 127.0.0.1:0; every CONNECT goes to `upstream`.
    fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { return };
                let log = Arc::clone(&log);
                thread::spawn(move || {
                    let _ = serve(conn, upstream, &log);
                });
            }
        });
        Self { addr, seen }
    }

    fn url(&self) -> String {
        format!("socks5h://{}", self.addr)
    }

    fn seen(&self) -> Vec<Target> {
        self.seen.lock().unwrap().clone()
    }
}

/// One SOCKS5 session (RFC 1928): greeting, CONNECT, relay.
fn serve(mut c: TcpStream, upstream: SocketAddr, log: &Mutex<Vec<Target>>) -> std::io::Result<()> {
    let mut head = [0u8; 2];
    c.read_exact(&mut head)?;
    assert_eq!(head[0], 5, "SOCKS version 5");
    let mut methods = vec![0u8; usize::from(head[1])];
    c.read_exact(&mut methods)?;
    assert!(methods.contains(&0), "offers no-authentication");
    c.write_all(&[5, 0])?;

    let mut req = [0u8; 4];
    c.read_exact(&mut req)?;
    assert_eq!(&req[..3], &[5, 1, 0], "a CONNECT request");
    let target = match req[3] {
        3 => {
            let mut len = [0u8; 1];
            c.read_exact(&mut len)?;
            let mut name = vec![0u8; usize::from(len[0])];
            c.read_exact(&mut name)?;
            let port = read_port(&mut c)?;
            Target::Name(String::from_utf8(name).expect("a UTF-8 name"), port)
        }
        atyp @ (1 | 4) => {
            let mut ip = vec![0u8; if atyp == 1 { 4 } else { 16 }];
            c.read_exact(&mut ip)?;
            let port = read_port(&mut c)?;
            Target::Address(ip, port)
        }
        other => panic!("unknown SOCKS address type {other}"),
    };
    log.lock().unwrap().push(target);

    let up = TcpStream::connect(upstream)?;
    // Succeeded; bound address 0.0.0.0:0 (clients ignore it).
    c.write_all(&[5, 0, 0, 1, 0, 0, 0, 0, 0, 0])?;
    let (mut c2, mut up2) = (c.try_clone()?, up.try_clone()?);
    let (mut c, mut up) = (c, up);
    let a = thread::spawn(move || {
        let _ = std::io::copy(&mut c2, &mut up2);
        let _ = up2.shutdown(Shutdown::Write);
    });
    let _ = std::io::copy(&mut up, &mut c);
    let _ = c.shutdown(Shutdown::Write);
    let _ = a.join();
    Ok(())
}

fn read_port(c: &mut TcpStream) -> std::io::Result<u16> {
    let mut p = [0u8; 2];
    c.read_exact(&mut p)?;
    Ok(u16::from_be_bytes(p))
}

fn run_ok(args: &[&OsStr]) -> std::process::Output {
    tipseal_ok(args.iter().copied())
}

/// Every command that talks to a server, through the stub, to a server named `host`:
/// the proxy must have been handed `host` by name on every connection, and nothing else.
fn every_command_reaches_the_server_by_name_through_the_proxy(host: &str) {
    let team = setup_team();
    let server = team.spawn_server(&[]);
    let socks = Socks::start(server.addr);
    let proxy = socks.url();
    let url = format!("http://{host}");
    let dir = TempDir::new().unwrap();
    let (p, u) = (OsStr::new(&proxy), OsStr::new(&url));

    // The witness: submit with a receipt, then a follow-up.
    let receipt = dir.path().join("receipt.txt");
    let out = run_ok(&[
        OsStr::new("submit"),
        OsStr::new("--server"),
        u,
        OsStr::new("--proxy"),
        p,
        OsStr::new("--tip"),
        a_sample().as_os_str(),
        OsStr::new("--receipt-out"),
        receipt.as_os_str(),
        OsStr::new("--json"),
    ]);
    let id = json_stdout(&out)["id"].as_str().unwrap().to_owned();
    let text = format!("through the proxy {}", random_hex(6));
    run_ok(&[
        OsStr::new("followup"),
        OsStr::new("--server"),
        u,
        OsStr::new("--proxy"),
        p,
        OsStr::new("--receipt-file"),
        receipt.as_os_str(),
        OsStr::new("--message"),
        OsStr::new(&text),
    ]);

    // The reviewer: list, show, reply.
    let key = team.reviewer_key.as_os_str();
    let review = |cmd: &[&str]| {
        let mut args: Vec<&OsStr> = vec![OsStr::new("review")];
        args.extend(cmd.iter().map(OsStr::new));
        args.extend([OsStr::new("--server"), u, OsStr::new("--key"), key]);
        args.extend([OsStr::new("--proxy"), p, OsStr::new("--json")]);
        run_ok(&args)
    };
    let listed = json_stdout(&review(&["list"]));
    assert_eq!(listed[0]["id"], id.as_str());
    let shown = json_stdout(&review(&["show", &id]));
    assert_eq!(shown["conversation"][0]["message"], text.as_str());
    review(&["reply", &id, "--message", "received, thank you"]);

    // The admin: audit.
    run_ok(&[
        OsStr::new("admin"),
        OsStr::new("audit"),
        OsStr::new("--admin-key"),
        team.admin_key.as_os_str(),
        OsStr::new("--server"),
        u,
        OsStr::new("--proxy"),
        p,
    ]);

    let seen = socks.seen();
    assert!(
        seen.len() >= 6,
        "every command went through the proxy: {seen:?}"
    );
    for t in &seen {
        assert_eq!(
            t,
            &Target::Name(host.to_owned(), 80),
            "what the proxy was handed"
        );
    }
}

#[test]
fn an_onion_name_reaches_the_proxy_as_a_name_for_every_command() {
    every_command_reaches_the_server_by_name_through_the_proxy(ONION);
}

#[test]
fn a_made_up_name_reaches_the_proxy_as_a_name_never_resolved_here() {
    every_command_reaches_the_server_by_name_through_the_proxy(MADE_UP);
}

#[test]
fn localhost_is_handed_to_the_proxy_by_name_too() {
    let team = setup_team();
    let server = team.spawn_server(&[]);
    let socks = Socks::start(server.addr);
    let url = format!("http://localhost:{}", server.addr.port());
    tipseal_ok([
        OsStr::new("submit"),
        OsStr::new("--server"),
        OsStr::new(&url),
        OsStr::new("--proxy"),
        OsStr::new(&socks.url()),
        OsStr::new("--tip"),
        a_sample().as_os_str(),
        OsStr::new("--no-receipt"),
    ]);
    let seen = socks.seen();
    assert!(!seen.is_empty());
    for t in seen {
        assert_eq!(t, Target::Name("localhost".into(), server.addr.port()));
    }
}

#[test]
fn a_proxy_that_would_resolve_names_here_or_a_malformed_one_is_refused_before_anything_is_sent() {
    let team = setup_team();
    let server = team.spawn_server(&[]);
    for (proxy, says) in [
        (
            "socks4://127.0.0.1:9050",
            "socks4:// looks up the server's name on this machine",
        ),
        ("127.0.0.1:9050", "is not a proxy address"),
    ] {
        let out = tipseal([
            OsStr::new("submit"),
            OsStr::new("--server"),
            OsStr::new(&server.url),
            OsStr::new("--proxy"),
            OsStr::new(proxy),
            OsStr::new("--tip"),
            a_sample().as_os_str(),
            OsStr::new("--no-receipt"),
        ]);
        assert_eq!(out.status.code(), Some(2), "{proxy}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(says) && err.contains("socks5h://"),
            "{proxy}: {err}"
        );
        assert!(!err.contains("Malformed"), "{err}");
    }
    assert!(
        review_ids(&server.url, &team.reviewer_key).is_empty(),
        "nothing was sent"
    );
}
