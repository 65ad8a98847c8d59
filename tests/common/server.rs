//! `tipseal serve` as a child process on port 0, killed when the guard drops.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;
use tempfile::TempDir;

use super::{bin, raw_http, request, HttpResponse, PASSPHRASE};

/// How long the server may take to print its listening line.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);

/// A running `tipseal serve`. Killed (SIGKILL) when dropped.
pub struct ServerGuard {
    /// `http://127.0.0.1:PORT`
    pub url: String,
    /// The address it listens on.
    pub addr: SocketAddr,
    /// Its data directory.
    pub data_dir: PathBuf,
    /// Where its stderr (the log) goes.
    pub log_path: PathBuf,
    /// Where the rest of its stdout goes, after the listening line.
    pub stdout_path: PathBuf,
    /// The process.
    pub child: Child,
    _dirs: Vec<TempDir>,
}

/// Boots `tipseal serve --listen 127.0.0.1:0 --data <fresh temp dir> ARGS…`.
pub fn spawn_server<S: AsRef<OsStr>>(args: &[S]) -> ServerGuard {
    let data_parent = TempDir::new().expect("temp data dir");
    let data_dir = data_parent.path().join("data");
    let mut guard = spawn_server_in(&data_dir, args);
    guard._dirs.push(data_parent);
    guard
}

/// Boots `tipseal serve --listen 127.0.0.1:0 --data DATA_DIR ARGS…` on an existing (or
/// to-be-created) data directory that the caller keeps, e.g. to restart on it.
pub fn spawn_server_in<S: AsRef<OsStr>>(data_dir: &Path, args: &[S]) -> ServerGuard {
    let log_dir = TempDir::new().expect("temp log dir");
    let log_path = log_dir.path().join("server.stderr.log");
    let stdout_path = log_dir.path().join("server.stdout.log");
    let log = std::fs::File::create(&log_path).expect("create log file");
    let mut child = Command::new(bin())
        .arg("serve")
        .arg("--listen")
        .arg("127.0.0.1:0")
        .arg("--data")
        .arg(data_dir)
        .args(args)
        .env("TIPSEAL_PASSPHRASE", PASSPHRASE)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(log))
        .spawn()
        .expect("tipseal serve starts");

    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = mpsc::channel();
    let rest_path = stdout_path.clone();
    std::thread::spawn(move || {
        let mut lines = BufReader::new(stdout);
        let mut rest = std::fs::File::create(&rest_path).expect("create stdout log");
        let mut line = String::new();
        let mut sent = false;
        loop {
            line.clear();
            match lines.read_line(&mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            let _ = rest.write_all(line.as_bytes());
            if !sent {
                if let Some(url) = line.trim().strip_prefix("tipseal listening on ") {
                    let _ = tx.send(url.to_owned());
                    sent = true;
                }
            }
        }
    });

    let url = match rx.recv_timeout(STARTUP_TIMEOUT) {
        Ok(url) => url,
        Err(_) => {
            let _ = child.kill();
            let status = child.wait().ok();
            let log = std::fs::read_to_string(&log_path).unwrap_or_default();
            panic!("the server did not print its listening line (exit: {status:?}); log:\n{log}");
        }
    };
    let addr: SocketAddr = url
        .strip_prefix("http://")
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("listening line has no http://IP:PORT: {url:?}"));
    ServerGuard {
        url,
        addr,
        data_dir: data_dir.to_owned(),
        log_path,
        stdout_path,
        child,
        _dirs: vec![log_dir],
    }
}

impl ServerGuard {
    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Everything the server wrote to stderr and stdout so far.
    pub fn log(&self) -> Vec<u8> {
        let mut all = std::fs::read(&self.log_path).unwrap_or_default();
        all.extend(std::fs::read(&self.stdout_path).unwrap_or_default());
        all
    }

    /// The server's log as text, for failure messages.
    pub fn log_text(&self) -> String {
        String::from_utf8_lossy(&self.log()).into_owned()
    }

    /// SIGTERM, then wait (at most 15 s) for a graceful exit.
    pub fn stop(&mut self) -> ExitStatus {
        // SAFETY: kill(2) on a pid we spawned and have not reaped yet.
        unsafe {
            libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM);
        }
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait for server") {
                return status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!(
                    "the server did not stop within 15 s of SIGTERM; log:\n{}",
                    self.log_text()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGKILL: no chance to flush or clean up.
    pub fn kill9(&mut self) {
        let _ = self.child.kill(); // SIGKILL on unix
        let _ = self.child.wait();
    }

    /// `GET path` over a fresh connection.
    pub fn get(&self, path: &str) -> HttpResponse {
        raw_http(self.addr, None, &request("GET", path, &[], &[]))
    }

    /// `GET path` over a fresh connection, with `Authorization: Bearer token`.
    pub fn get_as(&self, path: &str, token: &str) -> HttpResponse {
        let auth = format!("Bearer {token}");
        raw_http(
            self.addr,
            None,
            &request("GET", path, &[("Authorization", &auth)], &[]),
        )
    }

    /// The server's peak resident set so far (`VmHWM` in `/proc/<pid>/status`), in KiB.
    pub fn peak_rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))
            .expect("read /proc/<pid>/status");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmHWM in /proc/<pid>/status")
    }

    /// Resets the peak (`VmHWM`) to the current resident size (Linux `clear_refs`), so
    /// that [`ServerGuard::peak_rss_kib`] measures what happens from now on.
    pub fn reset_peak_rss(&self) {
        std::fs::write(format!("/proc/{}/clear_refs", self.pid()), b"5")
            .expect("reset the server's VmHWM");
    }

    /// `POST path` with a JSON body over a fresh connection.
    pub fn post_json(&self, path: &str, body: &str) -> HttpResponse {
        let headers = [("Content-Type", "application/json")];
        raw_http(
            self.addr,
            None,
            &request("POST", path, &headers, body.as_bytes()),
        )
    }
}

impl Drop for ServerGuard {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The server's current keyring, as JSON.
pub fn server_keyring(server: &ServerGuard) -> Value {
    let resp = server.get("/api/v1/keyring");
    assert_eq!(resp.status, 200, "GET /api/v1/keyring");
    resp.json()
}

/// `POST /api/v1/keyring` with a keyring file's bytes.
pub fn post_keyring(server: &ServerGuard, body: &[u8]) -> HttpResponse {
    raw_http(
        server.addr,
        None,
        &request(
            "POST",
            "/api/v1/keyring",
            &[("Content-Type", "application/json")],
            body,
        ),
    )
}

/// The server's peak resident memory so far (`VmHWM` of `/proc/PID/status`), in KiB.
pub fn peak_rss_kib(server: &ServerGuard) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{}/status", server.pid()))
        .expect("the server's /proc status is readable");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/PID/status")
}

/// `POST path` with a JSON body over a fresh connection.
pub fn post_json_to(server: &ServerGuard, path: &str, body: &str) -> HttpResponse {
    raw_http(
        server.addr,
        None,
        &request(
            "POST",
            path,
            &[("Content-Type", "application/json")],
            body.as_bytes(),
        ),
    )
}
