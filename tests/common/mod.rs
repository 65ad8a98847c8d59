//! Shared helpers for the integration tests: they drive the real `tipseal` binary and
//! talk raw HTTP to a server booted on port 0 with a temporary data directory.
//!
//! Everything here goes through the command line or the wire, except the section at
//! the bottom ("the only library use"), which seals raw bundles and checks a grant with
//! the crate's own API. Keep it that way: a renamed library function is then a one-line
//! fix in one place.
#![allow(dead_code)]

use std::collections::HashSet;
use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;
use tempfile::TempDir;

/// The passphrase every test key is encrypted with.
pub const PASSPHRASE: &str = "correct horse battery staple, test only";

/// How long a command-line call may take before the test gives up on it.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(90);

/// How long the server may take to print its listening line.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);

// ---------------------------------------------------------------------------------------
// The binary
// ---------------------------------------------------------------------------------------

/// Path of the `tipseal` binary cargo built for these tests.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_tipseal")
}

/// Runs `tipseal ARGS…` with `TIPSEAL_PASSPHRASE` set and stdin closed (so a prompt
/// fails instead of hanging). Kills it after [`COMMAND_TIMEOUT`].
pub fn tipseal<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let args: Vec<_> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
    let mut child = Command::new(bin())
        .args(&args)
        .env("TIPSEAL_PASSPHRASE", PASSPHRASE)
        .env("RUST_BACKTRACE", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the tipseal binary starts");
    let stdout = drain(child.stdout.take().expect("piped stdout"));
    let stderr = drain(child.stderr.take().expect("piped stderr"));
    let deadline = Instant::now() + COMMAND_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for tipseal") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("`tipseal {args:?}` did not finish within {COMMAND_TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Output {
        status,
        stdout: stdout.join().expect("stdout reader"),
        stderr: stderr.join().expect("stderr reader"),
    }
}

/// Runs `tipseal ARGS…` and panics with its output unless it succeeded.
pub fn tipseal_ok<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let args: Vec<_> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
    let out = tipseal(&args);
    assert!(
        out.status.success(),
        "`tipseal {args:?}` failed with {}\n--- stdout\n{}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn drain<R: Read + Send + 'static>(mut r: R) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = r.read_to_end(&mut buf);
        buf
    })
}

/// The one JSON value a `--json` command printed on stdout.
pub fn json_stdout(out: &Output) -> Value {
    let text = String::from_utf8_lossy(&out.stdout);
    if let Ok(v) = serde_json::from_str(text.trim()) {
        return v;
    }
    // Tolerate a human line before the JSON: take the last line that parses.
    text.lines()
        .rev()
        .find_map(|l| serde_json::from_str(l.trim()).ok())
        .unwrap_or_else(|| panic!("expected JSON on stdout, got:\n{text}"))
}

// ---------------------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------------------

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
}

impl Drop for ServerGuard {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

// ---------------------------------------------------------------------------------------
// The team: an admin and reviewers with keys in a temp dir, and a keyring file
// ---------------------------------------------------------------------------------------

/// An admin, a first reviewer ("alice"), their keys and the keyring file (epoch 2 after
/// `setup_team`: init, then add alice).
pub struct Team {
    /// Holds every key file; removed on drop.
    pub dir: TempDir,
    /// The admin's secret key file.
    pub admin_key: PathBuf,
    /// The keyring file the admin signs.
    pub keyring: PathBuf,
    /// Alice's secret key file.
    pub reviewer_key: PathBuf,
}

/// Makes admin and reviewer keys, `admin init`, `admin add-reviewer alice`.
pub fn setup_team() -> Team {
    let dir = TempDir::new().expect("temp team dir");
    let admin_key = keygen(dir.path(), "admin");
    let keyring = dir.path().join("keyring.json");
    tipseal_ok([
        OsStr::new("admin"),
        OsStr::new("init"),
        OsStr::new("--admin-key"),
        admin_key.as_os_str(),
        OsStr::new("--keyring"),
        keyring.as_os_str(),
    ]);
    let team = Team {
        admin_key,
        keyring,
        reviewer_key: PathBuf::new(),
        dir,
    };
    let alice = team.new_identity("alice");
    team.add_reviewer(&alice);
    Team {
        reviewer_key: alice,
        ..team
    }
}

/// `tipseal keygen --out DIR/NAME.key --name NAME --kdf interactive`; returns the secret
/// key path (the public half is beside it with `.pub` appended).
pub fn keygen(dir: &Path, name: &str) -> PathBuf {
    let out = dir.join(format!("{name}.key"));
    tipseal_ok([
        OsStr::new("keygen"),
        OsStr::new("--out"),
        out.as_os_str(),
        OsStr::new("--name"),
        OsStr::new(name),
        OsStr::new("--kdf"),
        OsStr::new("interactive"),
    ]);
    out
}

/// `FILE` → `FILE.pub`
pub fn pub_path(key: &Path) -> PathBuf {
    let mut s = key.as_os_str().to_owned();
    s.push(".pub");
    PathBuf::from(s)
}

impl Team {
    /// A new identity in the team's folder (not yet in the keyring).
    pub fn new_identity(&self, name: &str) -> PathBuf {
        keygen(self.dir.path(), name)
    }

    fn admin(&self, sub: &str, extra: &[&OsStr]) -> Output {
        let mut args: Vec<&OsStr> = vec![
            OsStr::new("admin"),
            OsStr::new(sub),
            OsStr::new("--admin-key"),
            self.admin_key.as_os_str(),
            OsStr::new("--keyring"),
            self.keyring.as_os_str(),
        ];
        args.extend_from_slice(extra);
        tipseal_ok(args)
    }

    /// `admin add-reviewer --reviewer KEY.pub` (a new epoch, locally).
    pub fn add_reviewer(&self, key: &Path) {
        let public = pub_path(key);
        self.admin(
            "add-reviewer",
            &[OsStr::new("--reviewer"), public.as_os_str()],
        );
    }

    /// `admin revoke-reviewer --reviewer NAME` (a new epoch, locally).
    pub fn revoke(&self, name: &str) {
        self.admin(
            "revoke-reviewer",
            &[OsStr::new("--reviewer"), OsStr::new(name)],
        );
    }

    /// `admin rotate` (a new epoch with a fresh intake key, locally).
    pub fn rotate(&self) {
        self.admin("rotate", &[]);
    }

    /// `admin publish --keyring FILE --server URL`, whatever the outcome.
    pub fn publish_file(&self, file: &Path, server_url: &str) -> Output {
        tipseal([
            OsStr::new("admin"),
            OsStr::new("publish"),
            OsStr::new("--keyring"),
            file.as_os_str(),
            OsStr::new("--server"),
            OsStr::new(server_url),
        ])
    }

    /// Publishes the team's keyring and insists the server took it.
    pub fn publish(&self, server_url: &str) {
        let out = self.publish_file(&self.keyring, server_url);
        assert!(
            out.status.success(),
            "admin publish was refused: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// The epoch of the last manifest of the local keyring file (epochs run 1, 2, 3 …).
    pub fn epoch(&self) -> u32 {
        let v = read_json(&self.keyring);
        v["manifests"]
            .as_array()
            .expect("keyring has manifests")
            .len() as u32
    }

    /// Boots a server on a fresh data dir with this team's keyring, plus `extra` args.
    pub fn spawn_server(&self, extra: &[&str]) -> ServerGuard {
        let mut args: Vec<&OsStr> = vec![OsStr::new("--keyring"), self.keyring.as_os_str()];
        args.extend(extra.iter().map(OsStr::new));
        spawn_server(&args)
    }
}

// ---------------------------------------------------------------------------------------
// Witness and reviewer commands
// ---------------------------------------------------------------------------------------

/// `tipseal submit --server URL --tip TIP [--attach F]… --json`; returns the tip id.
pub fn submit(server_url: &str, tip: &Path, attachments: &[PathBuf]) -> String {
    let mut args: Vec<&OsStr> = vec![
        OsStr::new("submit"),
        OsStr::new("--server"),
        OsStr::new(server_url),
        OsStr::new("--tip"),
        tip.as_os_str(),
        OsStr::new("--json"),
    ];
    for a in attachments {
        args.push(OsStr::new("--attach"));
        args.push(a.as_os_str());
    }
    let v = json_stdout(&tipseal_ok(args));
    let id = v["id"]
        .as_str()
        .unwrap_or_else(|| panic!("submit --json has no id: {v}"));
    assert!(is_tip_id(id), "a tip id is 32 hex characters, got {id:?}");
    let received = v["received"]
        .as_str()
        .unwrap_or_else(|| panic!("no received: {v}"));
    assert!(
        is_utc_day(received),
        "received is a day YYYY-MM-DD, got {received:?}"
    );
    id.to_owned()
}

/// `tipseal review list --server URL --key KEY --json`, whatever the outcome.
pub fn try_review_list(server_url: &str, key: &Path) -> Output {
    tipseal([
        OsStr::new("review"),
        OsStr::new("list"),
        OsStr::new("--server"),
        OsStr::new(server_url),
        OsStr::new("--key"),
        key.as_os_str(),
        OsStr::new("--json"),
    ])
}

/// The tips a reviewer sees; panics unless the reviewer could log in.
pub fn review_list(server_url: &str, key: &Path) -> Vec<Value> {
    let out = try_review_list(server_url, key);
    assert!(
        out.status.success(),
        "review list failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    match json_stdout(&out) {
        Value::Array(items) => items,
        other => panic!("review list --json is not an array: {other}"),
    }
}

/// The ids a reviewer sees.
pub fn review_ids(server_url: &str, key: &Path) -> Vec<String> {
    review_list(server_url, key)
        .iter()
        .map(|t| {
            t["id"]
                .as_str()
                .expect("each listed tip has an id")
                .to_owned()
        })
        .collect()
}

/// `tipseal review show ID --json [--save-attachments DIR]`, whatever the outcome.
pub fn try_review_show(server_url: &str, key: &Path, id: &str, save: Option<&Path>) -> Output {
    let mut args: Vec<&OsStr> = vec![
        OsStr::new("review"),
        OsStr::new("show"),
        OsStr::new(id),
        OsStr::new("--server"),
        OsStr::new(server_url),
        OsStr::new("--key"),
        key.as_os_str(),
        OsStr::new("--json"),
    ];
    if let Some(dir) = save {
        args.push(OsStr::new("--save-attachments"));
        args.push(dir.as_os_str());
    }
    tipseal(args)
}

/// The opened tip (`{"tip": …, "attachments": […]}`); panics unless it opened.
pub fn review_show(server_url: &str, key: &Path, id: &str, save: Option<&Path>) -> Value {
    let out = try_review_show(server_url, key, id, save);
    assert!(
        out.status.success(),
        "review show {id} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    json_stdout(&out)
}

/// `tipseal review rewrap --server URL --key KEY`.
pub fn review_rewrap(server_url: &str, key: &Path) {
    tipseal_ok([
        OsStr::new("review"),
        OsStr::new("rewrap"),
        OsStr::new("--server"),
        OsStr::new(server_url),
        OsStr::new("--key"),
        key.as_os_str(),
    ]);
}

// ---------------------------------------------------------------------------------------
// Samples and files
// ---------------------------------------------------------------------------------------

/// The shared sample tips: `../shared/samples/*.json` when that folder exists (it is the
/// source of truth), else the copies in `tests/samples/`. Sorted by file name.
pub fn sample_paths() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let shared = root.join("../shared/samples");
    let dir = if shared.is_dir() {
        shared
    } else {
        root.join("tests/samples")
    };
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read samples in {}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    assert!(
        paths.len() >= 7,
        "expected the seven shared samples in {}",
        dir.display()
    );
    paths
}

/// One sample (the English one) for tests that need any tip.
pub fn a_sample() -> PathBuf {
    sample_paths()
        .into_iter()
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("en-"))
        })
        .unwrap_or_else(|| sample_paths().remove(0))
}

/// Parses a JSON file.
pub fn read_json(path: &Path) -> Value {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// `n` bytes from the kernel's CSPRNG.
pub fn random_bytes(n: usize) -> Vec<u8> {
    let mut out = vec![0u8; n];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut out))
        .expect("read /dev/urandom");
    out
}

/// A random lowercase hex string of `n` bytes (2n characters).
pub fn random_hex(n: usize) -> String {
    random_bytes(n).iter().map(|b| format!("{b:02x}")).collect()
}

/// 32 hex characters (a tip id or a key id).
pub fn is_hex32(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A tip id: 32 hex characters.
pub fn is_tip_id(s: &str) -> bool {
    is_hex32(s)
}

/// `YYYY-MM-DD`
pub fn is_utc_day(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

// ---------------------------------------------------------------------------------------
// Searching bytes
// ---------------------------------------------------------------------------------------

/// Every regular file under `dir`, recursively.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            match e.file_type() {
                Ok(t) if t.is_dir() => stack.push(p),
                Ok(t) if t.is_file() => out.push(p),
                _ => {}
            }
        }
    }
    out.sort();
    out
}

/// Whether `needle` occurs in `haystack`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    if needle.is_empty() {
        return true;
    }
    let first = needle[0];
    haystack
        .windows(needle.len())
        .any(|w| w[0] == first && w == needle)
}

/// The files under `dir` that contain `needle`.
pub fn grep_dir(dir: &Path, needle: &[u8]) -> Vec<PathBuf> {
    files_under(dir)
        .into_iter()
        .filter(|p| {
            std::fs::read(p)
                .map(|b| contains(&b, needle))
                .unwrap_or(false)
        })
        .collect()
}

/// Which of `needles` (each at least 8 bytes long) occur in which of `haystacks`; fast
/// enough for hundreds of needles over megabytes (an 8-byte prefix index, then a check).
pub fn find_needles<'a>(
    haystacks: &[(String, Vec<u8>)],
    needles: &'a [Vec<u8>],
) -> Vec<(String, &'a [u8])> {
    const PREFIX: usize = 8;
    let mut prefixes: HashSet<[u8; PREFIX]> = HashSet::new();
    for n in needles {
        assert!(n.len() >= PREFIX, "needles must be at least {PREFIX} bytes");
        prefixes.insert(n[..PREFIX].try_into().expect("prefix"));
    }
    let mut hits = Vec::new();
    for (name, hay) in haystacks {
        if hay.len() < PREFIX {
            continue;
        }
        for i in 0..=hay.len() - PREFIX {
            let p: [u8; PREFIX] = hay[i..i + PREFIX].try_into().expect("window");
            if !prefixes.contains(&p) {
                continue;
            }
            for n in needles {
                if hay[i..].starts_with(n) && !hits.iter().any(|(h, m)| h == name && *m == &n[..]) {
                    hits.push((name.clone(), &n[..]));
                }
            }
        }
    }
    hits
}

/// Every file under `dir` as (display name, bytes).
pub fn read_tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    files_under(dir)
        .into_iter()
        .filter_map(|p| std::fs::read(&p).ok().map(|b| (p.display().to_string(), b)))
        .collect()
}

/// Every substring of `text` that is at least `min` bytes long, starts on a character
/// boundary and is the shortest such from its start (ends on a character boundary): if
/// none of these occurs somewhere, no longer substring of `text` does either.
pub fn utf8_windows(text: &str, min: usize) -> Vec<Vec<u8>> {
    let starts: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
    let mut out = Vec::new();
    for &s in &starts {
        let end = text[s..]
            .char_indices()
            .map(|(i, c)| s + i + c.len_utf8())
            .find(|&e| e - s >= min);
        match end {
            Some(e) => out.push(text.as_bytes()[s..e].to_vec()),
            None => break,
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// Raw HTTP
// ---------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------
// The only library use. If the crate renames something, fix it here and only here.
// ---------------------------------------------------------------------------------------

/// Seals `n` tip bundles for `tip` (a sample document) exactly as a witness's client
/// would: fetch the server's keyring, then [`seal_bundles_with_keyring`].
pub fn seal_bundles(server_url: &str, tip: &Value, n: usize) -> Vec<Vec<u8>> {
    let addr: SocketAddr = server_url
        .trim_start_matches("http://")
        .parse()
        .expect("server url is http://IP:PORT");
    let keyring = raw_http(addr, None, &request("GET", "/api/v1/keyring", &[], &[]));
    assert_eq!(keyring.status, 200, "GET /api/v1/keyring");
    seal_bundles_with_keyring(&keyring.body, tip, n)
}

/// Verifies the keyring file `keyring` (as served), then seals `n` bundles for `tip` to
/// its current epoch's intake key, each framed as a one-envelope bundle.
pub fn seal_bundles_with_keyring(keyring: &[u8], tip: &Value, n: usize) -> Vec<Vec<u8>> {
    use tipseal::crypto::envelope::seal;
    use tipseal::domain::envelope::{Flags, Kind};

    tipseal::crypto::init().expect("libsodium initialises");
    let file =
        tipseal::domain::keyring::KeyringFile::from_json(keyring).expect("the keyring parses");
    let verified =
        tipseal::crypto::keyring::verify_chain(&file, None).expect("the keyring verifies");
    let intake_pk = verified.intake_public_key();
    let epoch = verified.epoch();
    let plaintext = serde_json::to_vec(&serde_json::json!({
        "format": "tipseal/sealed-tip/v1",
        "tip": tip,
        "attachments": [],
    }))
    .expect("tip serialises");
    (0..n)
        .map(|_| {
            let envelope =
                seal(&plaintext, Kind::Tip, Flags::NONE, epoch, &intake_pk).expect("a tip seals");
            tipseal::domain::bundle::encode(&[&envelope[..]])
        })
        .collect()
}

/// One sealed bundle for `tip`, to the server's current epoch.
pub fn seal_bundle(server_url: &str, tip: &Value) -> Vec<u8> {
    seal_bundles(server_url, tip, 1).pop().expect("one bundle")
}

/// Whether the identity in `key` (a passphrase-protected key file) holds a grant that
/// yields the intake secret of `epoch` in the keyring file at `keyring`.
pub fn can_open_epoch(keyring: &Path, epoch: u32, key: &Path) -> bool {
    use tipseal::crypto::keyfile::{read_identity, Passphrase};

    tipseal::crypto::init().expect("libsodium initialises");
    let bytes = std::fs::read(keyring).expect("read keyring file");
    let file = tipseal::domain::keyring::KeyringFile::from_json(&bytes).expect("keyring parses");
    let verified = tipseal::crypto::keyring::verify_chain(&file, None).expect("keyring verifies");
    let identity = read_identity(key, &Passphrase::from(PASSPHRASE.to_owned()))
        .expect("the key file opens with the test passphrase");
    let epoch = tipseal::domain::Epoch::new(epoch).expect("epochs start at 1");
    tipseal::crypto::keyring::intake_secret_for(&verified, epoch, &identity).is_ok()
}

// ---------------------------------------------------------------------------------------
// The seven samples, submitted with attachments
// ---------------------------------------------------------------------------------------

/// One `tipseal submit` of a sample.
pub struct Submission {
    /// The sample file submitted.
    pub tip_path: PathBuf,
    /// The tip id the server answered.
    pub id: String,
    /// The files attached (random bytes).
    pub attachments: Vec<PathBuf>,
}

/// Submits every shared sample with `tipseal submit`. The first gets a 3 KiB attachment,
/// the second a 4 KiB one and a 210 KiB one; the attachment files are written in `dir`.
pub fn submit_every_sample(server_url: &str, dir: &Path) -> Vec<Submission> {
    sample_paths()
        .into_iter()
        .enumerate()
        .map(|(i, tip_path)| {
            let sizes: &[(&str, usize)] = match i {
                0 => &[("photo-of-the-gate.jpg", 3 * 1024)],
                1 => &[("wage-slip.pdf", 4 * 1024), ("site-video.mp4", 210 * 1024)],
                _ => &[],
            };
            let attachments: Vec<PathBuf> = sizes
                .iter()
                .map(|(name, size)| {
                    let p = dir.join(format!("{i}-{name}"));
                    std::fs::write(&p, random_bytes(*size)).expect("write attachment");
                    p
                })
                .collect();
            let id = submit(server_url, &tip_path, &attachments);
            Submission {
                tip_path,
                id,
                attachments,
            }
        })
        .collect()
}

/// The file name an attachment travels under (its base name).
pub fn attachment_name(path: &Path) -> String {
    path.file_name()
        .expect("attachment has a file name")
        .to_string_lossy()
        .into_owned()
}
