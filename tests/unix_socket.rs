//! `tipseal serve --listen unix:PATH`: the real server on a Unix socket in a temp dir.
//! A witness submits and a reviewer reads through the socket (the CLI reaches it through
//! a loopback relay, as tor's `HiddenServicePort 80 unix:PATH` would); the socket is
//! owner-and-group only; slow bodies are cut off as on TCP; a stale socket is replaced,
//! anything else at the path is refused and kept; a clean stop removes the socket.

mod common;

use std::ffi::OsStr;
use std::io::Write;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::time::{Duration, Instant};

use common::*;
use tempfile::TempDir;

#[test]
fn a_tip_submitted_through_the_unix_socket_is_read_by_a_reviewer_through_it() {
    let team = setup_team();
    let dir = TempDir::new().unwrap();
    let socket = dir.path().join("tipseal.sock");
    let server = spawn_unix_server(
        &socket,
        &[OsStr::new("--keyring"), team.keyring.as_os_str()],
    );

    let meta = std::fs::symlink_metadata(&socket).unwrap();
    assert!(meta.file_type().is_socket());
    assert_eq!(
        meta.permissions().mode() & 0o777,
        0o660,
        "owner and group (tor) only"
    );
    assert_eq!(
        unix_http(&socket, &request("GET", "/api/v1/health", &[], &[])).status,
        200
    );

    let relay = UnixRelay::start(&socket);
    let id = submit(&relay.url(), &a_sample(), &[]);
    assert_eq!(
        review_ids(&relay.url(), &team.reviewer_key),
        vec![id.clone()]
    );
    let opened = review_show(&relay.url(), &team.reviewer_key, &id, None);
    assert_eq!(
        opened["tip"],
        read_json(&a_sample()),
        "the tip decrypts as sent"
    );
    assert!(
        relay.connections() >= 3,
        "every call went through the socket"
    );
    assert!(
        !server.log_text().contains("ERROR"),
        "{}",
        server.log_text()
    );
}

#[test]
fn a_slow_body_over_the_unix_socket_is_cut_off_with_408() {
    let team = setup_team();
    let dir = TempDir::new().unwrap();
    let socket = dir.path().join("tipseal.sock");
    let _server = spawn_unix_server(
        &socket,
        &[
            OsStr::new("--keyring"),
            team.keyring.as_os_str(),
            OsStr::new("--body-timeout-secs"),
            OsStr::new("2"),
        ],
    );

    let started = Instant::now();
    let mut stream = UnixStream::connect(&socket).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    stream
        .write_all(
            b"POST /api/v1/tips HTTP/1.1\r\nHost: x.onion\r\n\
              Content-Type: application/octet-stream\r\nContent-Length: 100000\r\n\r\n",
        )
        .unwrap();
    let mut trickle = stream.try_clone().unwrap();
    let writer = std::thread::spawn(move || {
        for _ in 0..40 {
            if trickle.write_all(&[0x42; 8]).is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    });
    let mut raw = Vec::new();
    let _ = std::io::Read::read_to_end(&mut stream, &mut raw);
    let elapsed = started.elapsed();
    let _ = stream.shutdown(std::net::Shutdown::Both);
    writer.join().unwrap();

    let resp = parse_response(&raw).expect("an HTTP answer");
    assert_eq!(resp.status, 408, "{}", String::from_utf8_lossy(&resp.body));
    assert_eq!(resp.assert_json_error(), "body_timeout");
    assert!(elapsed < Duration::from_secs(6), "took {elapsed:?}");
}

#[test]
fn a_stale_socket_is_replaced_and_a_clean_stop_removes_the_socket() {
    let team = setup_team();
    let dir = TempDir::new().unwrap();
    let socket = dir.path().join("tipseal.sock");
    drop(UnixListener::bind(&socket).unwrap()); // a killed server's leftover
    assert!(socket.exists());

    let mut server = spawn_unix_server(
        &socket,
        &[OsStr::new("--keyring"), team.keyring.as_os_str()],
    );
    assert_eq!(
        unix_http(&socket, &request("GET", "/api/v1/health", &[], &[])).status,
        200
    );
    // SAFETY: kill(2) on a child we spawned and have not reaped.
    unsafe {
        libc::kill(server.child.id() as libc::pid_t, libc::SIGTERM);
    }
    let status = server.child.wait().unwrap();
    assert!(status.success(), "{status}: {}", server.log_text());
    assert!(!socket.exists(), "the socket is removed at a clean stop");
}

#[test]
fn a_regular_file_or_a_live_socket_at_the_path_is_refused_and_left_alone() {
    let team = setup_team();
    let dir = TempDir::new().unwrap();
    let socket = dir.path().join("tipseal.sock");
    let serve = || {
        tipseal([
            OsStr::new("serve"),
            OsStr::new("--listen"),
            OsStr::new(&format!("unix:{}", socket.display())),
            OsStr::new("--data"),
            dir.path().join("data").as_os_str(),
            OsStr::new("--keyring"),
            team.keyring.as_os_str(),
        ])
    };

    std::fs::write(&socket, b"not a socket").unwrap();
    let out = serve();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("exists and is not a socket"), "{err}");
    assert!(err.contains(&socket.display().to_string()), "{err}");
    assert_eq!(std::fs::read(&socket).unwrap(), b"not a socket");

    std::fs::remove_file(&socket).unwrap();
    let live = UnixListener::bind(&socket).unwrap();
    let out = serve();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("another process is listening"), "{err}");
    drop(live);

    let relative = tipseal([
        "serve",
        "--listen",
        "unix:tipseal.sock",
        "--data",
        &dir.path().join("data").display().to_string(),
    ]);
    assert_eq!(relative.status.code(), Some(2), "a usage error");
    let err = String::from_utf8_lossy(&relative.stderr);
    assert!(err.contains("must be absolute"), "{err}");
}
