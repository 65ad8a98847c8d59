//! `tipseal serve --listen unix:PATH` as a child process, raw HTTP over the socket, and
//! a loopback TCP port relayed to the socket so the unmodified CLI can reach it.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use tempfile::TempDir;

use super::{bin, parse_response, HttpResponse, PASSPHRASE};

/// How long the server may take to print its listening line.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);

/// A running `tipseal serve --listen unix:SOCKET`. Killed (SIGKILL) when dropped.
pub struct UnixServer {
    /// The socket's path.
    pub socket: PathBuf,
    /// Where its stderr (the log) goes.
    pub log_path: PathBuf,
    /// The process.
    pub child: Child,
    _dirs: Vec<TempDir>,
}

/// Boots `tipseal serve --listen unix:SOCKET --data <fresh temp dir> ARGS…` and waits
/// for its `tipseal listening on unix:SOCKET` line.
pub fn spawn_unix_server<S: AsRef<OsStr>>(socket: &Path, args: &[S]) -> UnixServer {
    let dir = TempDir::new().expect("temp data and log dir");
    let log_path = dir.path().join("server.stderr.log");
    let log = std::fs::File::create(&log_path).expect("create log file");
    let mut child = Command::new(bin())
        .arg("serve")
        .arg("--listen")
        .arg(format!("unix:{}", socket.display()))
        .arg("--data")
        .arg(dir.path().join("data"))
        .args(args)
        .env("TIPSEAL_PASSPHRASE", PASSPHRASE)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(log))
        .spawn()
        .expect("tipseal serve starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { return };
            if let Some(at) = line.trim().strip_prefix("tipseal listening on ") {
                let _ = tx.send(at.to_owned());
            }
        }
    });
    match rx.recv_timeout(STARTUP_TIMEOUT) {
        Ok(at) => assert_eq!(at, format!("unix:{}", socket.display()), "listening line"),
        Err(_) => {
            let _ = child.kill();
            let status = child.wait().ok();
            let log = std::fs::read_to_string(&log_path).unwrap_or_default();
            panic!("the server did not print its listening line (exit: {status:?}); log:\n{log}");
        }
    }
    UnixServer {
        socket: socket.to_owned(),
        log_path,
        child,
        _dirs: vec![dir],
    }
}

impl UnixServer {
    /// The server's log so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }
}

impl Drop for UnixServer {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Sends a whole raw request over a fresh connection to the socket; reads the answer.
pub fn unix_http(socket: &Path, request: &[u8]) -> HttpResponse {
    let mut s = UnixStream::connect(socket).expect("connect to the server's socket");
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    s.write_all(request).expect("send the request");
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    parse_response(&raw).unwrap_or_else(|| {
        panic!(
            "no HTTP response over the socket: {:?}",
            String::from_utf8_lossy(&raw)
        )
    })
}

/// A loopback TCP port whose every connection is relayed to the Unix socket (what tor
/// does for `HiddenServicePort 80 unix:PATH`): the CLI, which speaks TCP, reaches the
/// server only through the socket.
pub struct UnixRelay {
    /// The loopback address to give the CLI.
    pub addr: SocketAddr,
    connections: Arc<AtomicUsize>,
}

impl UnixRelay {
    /// Listens on 127.0.0.1:0 and relays to `socket`.
    pub fn start(socket: &Path) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let addr = listener.local_addr().unwrap();
        let connections = Arc::new(AtomicUsize::new(0));
        let (count, socket) = (Arc::clone(&connections), socket.to_owned());
        std::thread::spawn(move || {
            for tcp in listener.incoming() {
                let Ok(tcp) = tcp else { return };
                let Ok(unix) = UnixStream::connect(&socket) else {
                    continue;
                };
                count.fetch_add(1, Ordering::SeqCst);
                std::thread::spawn(move || relay(tcp, unix));
            }
        });
        Self { addr, connections }
    }

    /// `http://127.0.0.1:PORT`
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Connections relayed to the socket so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

fn relay(tcp: TcpStream, unix: UnixStream) {
    let (Ok(mut tcp2), Ok(mut unix2)) = (tcp.try_clone(), unix.try_clone()) else {
        return;
    };
    let up = std::thread::spawn(move || {
        let _ = std::io::copy(&mut tcp2, &mut unix2);
        let _ = unix2.shutdown(Shutdown::Write);
    });
    let (mut tcp, mut unix) = (tcp, unix);
    let _ = std::io::copy(&mut unix, &mut tcp);
    let _ = tcp.shutdown(Shutdown::Write);
    let _ = up.join();
}
