//! A private Tor network on 127.0.0.1, started and stopped by a test: three directory
//! authorities, three middle relays (an onion service needs no exit), one client with a
//! SOCKS port and one onion-service tor, all Debian's `tor` with `TestingTorNetwork 1`
//! (the settings follow Chutney's templates: fast voting, everyone reachable and voted
//! Guard/HSDir at once, a quarter of paths enough to build circuits).
//!
//! Every tor is configured with `Address 127.0.0.1`, every port on `127.0.0.1:` (or 0),
//! and only the network's own authorities: nothing here may reach, or listen on, any
//! address outside 127.0.0.0/8. [`TorNetwork::assert_only_loopback_sockets`] checks
//! the processes' live sockets with `ss`.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Directory authorities: three, so a consensus needs two votes (as on the real network,
/// a lone authority is a special case).
const AUTHORITIES: usize = 3;
/// Middle relays besides the authorities: with the authorities, six relays, enough for
/// guards, HSDirs, introduction and rendezvous points on distinct relays.
const RELAYS: usize = 3;

/// Settings every tor of the test network shares (Chutney's `common.i`, rapid bootstrap).
const COMMON: &str = "\
TestingTorNetwork 1
AssumeReachable 1
PathsNeededToBuildCircuits 0.25
TestingDirAuthVoteExit *
TestingDirAuthVoteHSDir *
TestingDirAuthVoteGuard *
TestingMinExitFlagThreshold 0
V3AuthNIntervalsValid 2
UseDefaultFallbackDirs 0
ShutdownWaitLength 0
SafeLogging 0
RunAsDaemon 0
ControlPort 0
Address 127.0.0.1
";

/// Authorities vote every 10 s (the first round after 5 s): Chutney's `authority.i`.
const AUTHORITY: &str = "\
AuthoritativeDirectory 1
V3AuthoritativeDirectory 1
ExitPolicy reject *:*
TestingV3AuthInitialVotingInterval 5
V3AuthVotingInterval 10
TestingV3AuthInitialVoteDelay 2
V3AuthVoteDelay 2
TestingV3AuthInitialDistDelay 2
V3AuthDistDelay 2
";

/// One tor process of the network.
struct Tor {
    name: String,
    dir: PathBuf,
    child: Child,
}

/// A running private Tor network. Every tor is stopped when it is dropped.
pub struct TorNetwork {
    tors: Vec<Tor>,
    /// Every torrc written, by node name.
    pub torrcs: Vec<(String, String)>,
    /// The client's SOCKS port.
    pub socks: SocketAddr,
    /// The onion service's `….onion` name.
    pub onion: String,
}

/// A free port on 127.0.0.1 (bound, noted, released: another process could take it in
/// between, and tor would then fail to start, naming the port in its log).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

fn run(cmd: &mut Command, what: &str) -> String {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot run it ({e}); install Debian's tor"));
    assert!(
        out.status.success(),
        "{what} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Creates an authority's v3 keys (`tor-gencert`) and its relay identity; returns its
/// `DirAuthority` line.
fn authority_line(name: &str, dir: &Path, or_port: u16, dir_port: u16) -> String {
    let keys = dir.join("keys");
    std::fs::create_dir_all(&keys).unwrap();
    let mut gencert = Command::new("tor-gencert");
    gencert
        .args(["--create-identity-key", "-m", "12", "-a"])
        .arg(format!("127.0.0.1:{dir_port}"))
        .arg("-i")
        .arg(keys.join("authority_identity_key"))
        .arg("-s")
        .arg(keys.join("authority_signing_key"))
        .arg("-c")
        .arg(keys.join("authority_certificate"))
        // An empty passphrase on stdin: throwaway keys of a throwaway network.
        .args(["--passphrase-fd", "0"]);
    let out = gencert
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            c.stdin.take().expect("piped").write_all(b"\n")?;
            c.wait_with_output()
        })
        .expect("tor-gencert runs (Debian's tor package)");
    assert!(
        out.status.success(),
        "tor-gencert: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cert = std::fs::read_to_string(keys.join("authority_certificate")).unwrap();
    let v3ident = cert
        .lines()
        .find_map(|l| l.strip_prefix("fingerprint "))
        .expect("the certificate's fingerprint")
        .trim()
        .to_owned();
    let fingerprint = relay_fingerprint(name, dir, or_port);
    format!(
        "DirAuthority {name} orport={or_port} no-v2 v3ident={v3ident} \
         127.0.0.1:{dir_port} {fingerprint}"
    )
}

/// Creates a relay's identity keys in `dir` and returns its fingerprint.
fn relay_fingerprint(name: &str, dir: &Path, or_port: u16) -> String {
    let out = run(
        Command::new("tor")
            .args(["--list-fingerprint", "--quiet", "--DataDirectory"])
            .arg(dir)
            .args(["--ORPort", &format!("127.0.0.1:{or_port}")])
            .args([
                "--Nickname",
                name,
                "--Address",
                "127.0.0.1",
                "--SocksPort",
                "0",
            ])
            // Any authority: without one tor would name the real network's.
            .args([
                "--DirAuthority",
                "x 127.0.0.1:1 ffffffffffffffffffffffffffffffffffffffff",
            ]),
        "tor --list-fingerprint",
    );
    let fp: String = out.split_whitespace().skip(1).collect::<Vec<_>>().concat();
    assert_eq!(fp.len(), 40, "a relay fingerprint: {out:?}");
    fp
}

impl TorNetwork {
    /// Writes every torrc under `root` and starts every tor. `onion_service` is the
    /// onion-service tor's own lines (`HiddenServiceDir`, `HiddenServicePort`, …).
    pub fn start(root: &Path, onion_service: &str) -> Self {
        let mut lines = Vec::new();
        let mut nodes = Vec::new(); // (name, role lines)
        for i in 0..AUTHORITIES {
            let name = format!("auth{i}");
            let dir = root.join(&name);
            let (or_port, dir_port) = (free_port(), free_port());
            lines.push(authority_line(&name, &dir, or_port, dir_port));
            let role = format!(
                "SocksPort 0\nORPort 127.0.0.1:{or_port}\nDirPort 127.0.0.1:{dir_port}\n\
                 ContactInfo {name}@test.invalid\n{AUTHORITY}"
            );
            nodes.push((name, role));
        }
        for i in 0..RELAYS {
            let name = format!("relay{i}");
            let role = format!(
                "SocksPort 0\nORPort 127.0.0.1:{}\nDirPort 127.0.0.1:{}\nExitRelay 0\n\
                 ExitPolicy reject *:*\n",
                free_port(),
                free_port()
            );
            nodes.push((name, role));
        }
        let socks_port = free_port();
        nodes.push((
            "client".into(),
            format!("SocksPort 127.0.0.1:{socks_port}\n"),
        ));
        nodes.push((
            "onion".into(),
            format!("SocksPort 0\nLog info file {}\n{onion_service}\n", {
                root.join("onion").join("info.log").display()
            }),
        ));

        let authorities = lines.join("\n");
        let mut network = TorNetwork {
            tors: Vec::new(),
            torrcs: Vec::new(),
            socks: SocketAddr::from(([127, 0, 0, 1], socks_port)),
            onion: String::new(),
        };
        for (name, role) in nodes {
            let dir = root.join(&name);
            std::fs::create_dir_all(&dir).unwrap();
            let torrc = format!(
                "{COMMON}Nickname {name}\nDataDirectory {d}\nLog notice file {d}/notice.log\n\
                 {authorities}\n{role}",
                d = dir.display()
            );
            let path = dir.join("torrc");
            std::fs::write(&path, &torrc).unwrap();
            let log = std::fs::File::create(dir.join("stdout.log")).unwrap();
            let child = Command::new("tor")
                .arg("-f")
                .arg(&path)
                .stdin(Stdio::null())
                .stdout(Stdio::from(log.try_clone().unwrap()))
                .stderr(Stdio::from(log))
                .spawn()
                .expect("tor starts (Debian's tor package)");
            network.torrcs.push((name.clone(), torrc));
            network.tors.push(Tor { name, dir, child });
        }
        network
    }

    /// Process ids of every tor.
    pub fn pids(&self) -> Vec<u32> {
        self.tors.iter().map(|t| t.child.id()).collect()
    }

    fn tor(&self, name: &str) -> &Tor {
        self.tors.iter().find(|t| t.name == name).expect("a node")
    }

    /// A node's log (notice level, plus info for the onion service).
    pub fn log(&self, name: &str) -> String {
        let dir = &self.tor(name).dir;
        let mut all = std::fs::read_to_string(dir.join("stdout.log")).unwrap_or_default();
        all += &std::fs::read_to_string(dir.join("notice.log")).unwrap_or_default();
        all
    }

    /// Panics, with every log, if a tor has exited.
    fn assert_all_running(&mut self) {
        let dead: Vec<String> = self
            .tors
            .iter_mut()
            .filter_map(|t| match t.child.try_wait() {
                Ok(Some(status)) => Some(format!("{} ({status})", t.name)),
                _ => None,
            })
            .collect();
        if !dead.is_empty() {
            let logs: String = self
                .tors
                .iter()
                .map(|t| format!("--- {}\n{}", t.name, self.log(&t.name)))
                .collect();
            panic!("tor exited: {dead:?}\n{logs}");
        }
    }

    /// Waits until the client and the onion service have bootstrapped and the service
    /// has a name; returns when.
    pub fn wait_bootstrapped(&mut self, deadline: Instant) {
        let hostname = self.tor("onion").dir.join("hs").join("hostname");
        loop {
            self.assert_all_running();
            let done = |n: &str| self.log(n).contains("Bootstrapped 100%");
            if done("client") && done("onion") {
                if let Ok(h) = std::fs::read_to_string(&hostname) {
                    self.onion = h.trim().to_owned();
                    return;
                }
            }
            self.give_up_after(deadline, "bootstrapping");
            std::thread::sleep(Duration::from_millis(500));
        }
    }

    /// Retries `GET path` through the client's SOCKS port until the onion service answers
    /// (its descriptor is published and fetched, its introduction points are up).
    pub fn wait_reachable(&mut self, path: &str, deadline: Instant) -> u16 {
        loop {
            self.assert_all_running();
            match get_through_socks(self.socks, &self.onion, path) {
                Ok(status) => return status,
                Err(_) => {
                    self.give_up_after(deadline, "reaching the onion service");
                    std::thread::sleep(Duration::from_secs(2));
                }
            }
        }
    }

    fn give_up_after(&self, deadline: Instant, what: &str) {
        if Instant::now() > deadline {
            let logs: String = ["auth0", "relay0", "client", "onion"]
                .iter()
                .map(|n| format!("--- {n}\n{}", self.log(n)))
                .collect();
            panic!("the private Tor network timed out {what}\n{logs}");
        }
    }

    /// Every TCP and UDP socket of every tor, from `ss`: each local address, and each
    /// peer of a connected one, must be in 127.0.0.0/8. Returns how many were checked.
    pub fn assert_only_loopback_sockets(&self) -> usize {
        let out = run(
            Command::new("ss").args(["-tuanpH"]),
            "ss (iproute2) listing sockets",
        );
        let pids = self.pids();
        let mut checked = 0;
        for line in out.lines() {
            let ours = pids.iter().any(|p| line.contains(&format!("pid={p},")));
            if !ours {
                continue;
            }
            let f: Vec<&str> = line.split_whitespace().collect();
            let (state, local, peer) = (f[1], f[4], f[5]);
            assert!(
                local.starts_with("127."),
                "a tor socket off loopback: {line}"
            );
            let listening = matches!(state, "LISTEN" | "UNCONN");
            assert!(
                listening || peer.starts_with("127."),
                "a tor connection off loopback: {line}"
            );
            checked += 1;
        }
        checked
    }
}

impl Drop for TorNetwork {
    fn drop(&mut self) {
        for t in &self.tors {
            // SAFETY: kill(2) on a child we spawned and have not reaped.
            unsafe {
                libc::kill(t.child.id() as libc::pid_t, libc::SIGTERM);
            }
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        for t in &mut self.tors {
            while matches!(t.child.try_wait(), Ok(None)) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = t.child.kill();
            let _ = t.child.wait();
        }
    }
}

/// `GET path` from `host:80` through a SOCKS5 proxy, the name handed to the proxy
/// (what `socks5h://` means); returns the HTTP status.
pub fn get_through_socks(socks: SocketAddr, host: &str, path: &str) -> std::io::Result<u16> {
    let fail = |what: String| std::io::Error::other(what);
    let mut s = TcpStream::connect_timeout(&socks, Duration::from_secs(5))?;
    s.set_read_timeout(Some(Duration::from_secs(30)))?;
    s.write_all(&[5, 1, 0])?;
    let mut greeting = [0u8; 2];
    s.read_exact(&mut greeting)?;
    if greeting != [5, 0] {
        return Err(fail(format!("SOCKS greeting {greeting:?}")));
    }
    let mut connect = vec![5, 1, 0, 3, host.len() as u8];
    connect.extend_from_slice(host.as_bytes());
    connect.extend_from_slice(&80u16.to_be_bytes());
    s.write_all(&connect)?;
    let mut head = [0u8; 4];
    s.read_exact(&mut head)?;
    if head[1] != 0 {
        return Err(fail(format!("SOCKS reply {}", head[1])));
    }
    let rest = match head[3] {
        1 => 4 + 2,
        4 => 16 + 2,
        _ => {
            let mut len = [0u8; 1];
            s.read_exact(&mut len)?;
            usize::from(len[0]) + 2
        }
    };
    s.read_exact(&mut vec![0u8; rest])?;
    s.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").as_bytes(),
    )?;
    let mut answer = Vec::new();
    s.read_to_end(&mut answer)?;
    let text = String::from_utf8_lossy(&answer);
    text.split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| fail(format!("no HTTP answer: {text:?}")))
}
