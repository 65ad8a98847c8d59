//! Where the server listens: a TCP `HOST:PORT` or a Unix socket `unix:PATH`, parsed once
//! at the edge (the `--listen` flag, a configuration file) and bound here.
//!
//! A Unix socket lets the onion service's tor reach tipseal with no TCP port at all
//! (`HiddenServicePort 80 unix:/run/tipseal/tipseal.sock`, see `deploy/torrc`). Nothing
//! here reads a peer's address: a Unix socket has none, and the server records none on
//! TCP either. This module must never: remove a path that is not a socket, take over a
//! socket another process is still listening on, or let a local user outside the
//! socket's group connect, not even for the instant between `bind` and `chmod`.

use std::fmt;
use std::fs::Permissions;
use std::io;
use std::net::TcpListener;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// What a Unix socket address starts with.
pub const UNIX_PREFIX: &str = "unix:";
/// Longest socket path Linux takes: `sun_path` holds 108 bytes, one of them the NUL.
pub const MAX_SOCKET_PATH_BYTES: usize = 107;
/// The socket's mode: read-write for its owner and its group, nothing for others. The
/// group is how the onion service's tor is let in (`adduser debian-tor tipseal`); a
/// stricter umask (systemd's `UMask=0077`) would shut tor out, so the mode is set, not
/// derived from the umask.
pub const SOCKET_MODE: u32 = 0o660;
/// Connections the kernel queues before the server accepts them (actix-web's default).
const BACKLOG: i32 = 1024;

/// A parsed listening address. Deserializes from the same string `--listen` takes.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(try_from = "String", into = "String")]
pub enum Listen {
    /// `HOST:PORT`: an IP address (IPv6 in brackets) or a name, and a port (0: any free).
    Tcp {
        /// As written, brackets kept for IPv6.
        host: String,
        /// The port.
        port: u16,
    },
    /// `unix:PATH`: an absolute path to a Unix stream socket.
    Unix(PathBuf),
}

/// Why a listening address was refused. Each says what to write instead.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ListenParseError {
    /// Nothing was given.
    #[error("the listening address is empty: write HOST:PORT (e.g. 127.0.0.1:8080) or unix:PATH (e.g. unix:/run/tipseal/tipseal.sock)")]
    Empty,
    /// No `:PORT`, or one that is not a number from 0 to 65535.
    #[error("{0:?} is not HOST:PORT: write e.g. 127.0.0.1:8080, [::1]:8080 or unix:/run/tipseal/tipseal.sock")]
    NotHostPort(String),
    /// An IPv6 address without brackets cannot be told from its port.
    #[error("{0:?}: write an IPv6 address in brackets, e.g. [::1]:8080")]
    BareIpv6(String),
    /// `unix:` with a relative path.
    #[error("{0:?}: the socket path must be absolute (tor's HiddenServicePort needs it too), e.g. unix:/run/tipseal/tipseal.sock")]
    RelativeSocketPath(String),
    /// A path Linux cannot bind a socket to.
    #[error(
        "{0:?}: a socket path may have at most {MAX_SOCKET_PATH_BYTES} bytes; choose a shorter one"
    )]
    SocketPathTooLong(String),
}

impl FromStr for Listen {
    type Err = ListenParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.is_empty() {
            return Err(ListenParseError::Empty);
        }
        if let Some(path) = s.strip_prefix(UNIX_PREFIX) {
            return parse_socket_path(path).map(Listen::Unix);
        }
        let (host, port) = s
            .rsplit_once(':')
            .ok_or_else(|| ListenParseError::NotHostPort(s.to_owned()))?;
        let bracketed = host.starts_with('[') && host.ends_with(']') && host.len() > 2;
        if host.contains(':') && !bracketed {
            return Err(ListenParseError::BareIpv6(s.to_owned()));
        }
        let port = port
            .parse::<u16>()
            .map_err(|_| ListenParseError::NotHostPort(s.to_owned()))?;
        if host.is_empty() || host.contains(char::is_whitespace) {
            return Err(ListenParseError::NotHostPort(s.to_owned()));
        }
        Ok(Listen::Tcp {
            host: host.to_owned(),
            port,
        })
    }
}

fn parse_socket_path(path: &str) -> Result<PathBuf, ListenParseError> {
    let whole = || format!("{UNIX_PREFIX}{path}");
    if !path.starts_with('/') {
        return Err(ListenParseError::RelativeSocketPath(whole()));
    }
    if path.len() > MAX_SOCKET_PATH_BYTES || path.ends_with('/') || path.contains('\0') {
        return Err(ListenParseError::SocketPathTooLong(whole()));
    }
    Ok(PathBuf::from(path))
}

impl TryFrom<String> for Listen {
    type Error = ListenParseError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Listen> for String {
    fn from(l: Listen) -> Self {
        l.to_string()
    }
}

impl fmt::Display for Listen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Listen::Tcp { host, port } => write!(f, "{host}:{port}"),
            Listen::Unix(path) => write!(f, "{UNIX_PREFIX}{}", path.display()),
        }
    }
}

/// Why the address could not be bound. Each names the address and what to do.
#[derive(Debug, thiserror::Error)]
pub enum BindError {
    /// The TCP address could not be bound (in use, not an address of this machine, …).
    #[error("cannot listen on {0}: {1}")]
    Tcp(String, io::Error),
    /// Something other than a socket is at the socket path.
    #[error("cannot listen on unix:{}: it exists and is not a socket; tipseal removes only a stale socket there, so move it away or choose another path", .0.display())]
    NotASocket(PathBuf),
    /// A live process still listens on the socket.
    #[error("cannot listen on unix:{}: another process is listening on it; stop it, or choose another path", .0.display())]
    InUse(PathBuf),
    /// The socket's directory does not exist.
    #[error("cannot listen on unix:{}: its directory does not exist; create it (systemd: RuntimeDirectory=tipseal)", .0.display())]
    NoDirectory(PathBuf),
    /// Any other failure on the socket path.
    #[error("cannot listen on unix:{}: {1}", .0.display())]
    Unix(PathBuf, io::Error),
}

/// A bound listener, ready for the HTTP server.
#[derive(Debug)]
pub enum Bound {
    /// A TCP listener.
    Tcp(TcpListener),
    /// A Unix socket listener and the file it made.
    Unix(UnixListener, SocketFile),
}

/// The socket file a [`Bound::Unix`] created, to remove at a clean stop (only if it is
/// still the same file: a later server may have replaced it).
#[derive(Debug)]
pub struct SocketFile {
    path: PathBuf,
    dev: u64,
    ino: u64,
}

impl SocketFile {
    /// Its path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Removes the file if it is still the one this server bound.
    pub fn remove(&self) {
        let ours = std::fs::symlink_metadata(&self.path)
            .map(|m| m.file_type().is_socket() && m.dev() == self.dev && m.ino() == self.ino)
            .unwrap_or(false);
        if ours {
            if let Err(e) = std::fs::remove_file(&self.path) {
                tracing::warn!(path = %self.path.display(), cause = %e, "could not remove the socket file");
            }
        }
    }
}

impl Listen {
    /// Binds the address: TCP as given; a Unix socket after clearing a stale one, with
    /// [`SOCKET_MODE`] set before it accepts anything.
    pub fn bind(&self) -> Result<Bound, BindError> {
        match self {
            Listen::Tcp { .. } => {
                let addr = self.to_string();
                TcpListener::bind(&addr)
                    .map(Bound::Tcp)
                    .map_err(|e| BindError::Tcp(addr, e))
            }
            Listen::Unix(path) => bind_unix(path),
        }
    }
}

fn bind_unix(path: &Path) -> Result<Bound, BindError> {
    let fail = |e: io::Error| BindError::Unix(path.to_owned(), e);
    clear_stale_socket(path)?;
    let socket =
        socket2::Socket::new(socket2::Domain::UNIX, socket2::Type::STREAM, None).map_err(fail)?;
    let addr = socket2::SockAddr::unix(path).map_err(fail)?;
    socket.bind(&addr).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => BindError::NoDirectory(path.to_owned()),
        io::ErrorKind::AddrInUse => BindError::InUse(path.to_owned()),
        _ => fail(e),
    })?;
    // The file exists with the umask's mode, but until listen() every connect() to it is
    // refused: nobody gets in before the mode is ours.
    let set_up = std::fs::set_permissions(path, Permissions::from_mode(SOCKET_MODE))
        .and_then(|()| std::fs::symlink_metadata(path))
        .and_then(|m| socket.listen(BACKLOG).map(|()| m));
    let meta = match set_up {
        Ok(m) => m,
        Err(e) => {
            let _ = std::fs::remove_file(path);
            return Err(fail(e));
        }
    };
    Ok(Bound::Unix(
        socket.into(),
        SocketFile {
            path: path.to_owned(),
            dev: meta.dev(),
            ino: meta.ino(),
        },
    ))
}

/// A socket left by a server that stopped without removing it is removed; anything else
/// at the path (a file, a directory, a link, a socket someone listens on) is refused.
fn clear_stale_socket(path: &Path) -> Result<(), BindError> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(BindError::Unix(path.to_owned(), e)),
    };
    if !meta.file_type().is_socket() {
        return Err(BindError::NotASocket(path.to_owned()));
    }
    match UnixStream::connect(path) {
        Ok(_) => Err(BindError::InUse(path.to_owned())),
        Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {
            std::fs::remove_file(path).map_err(|e| BindError::Unix(path.to_owned(), e))
        }
        Err(e) => Err(BindError::Unix(path.to_owned(), e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tcp(host: &str, port: u16) -> Listen {
        Listen::Tcp {
            host: host.into(),
            port,
        }
    }

    #[test]
    fn host_port_and_unix_addresses_parse_and_print_back() {
        for (text, want) in [
            ("127.0.0.1:8080", tcp("127.0.0.1", 8080)),
            ("localhost:0", tcp("localhost", 0)),
            ("[::1]:8080", tcp("[::1]", 8080)),
            (" 0.0.0.0:80 ", tcp("0.0.0.0", 80)),
            (
                "unix:/run/tipseal/tipseal.sock",
                Listen::Unix("/run/tipseal/tipseal.sock".into()),
            ),
        ] {
            let parsed: Listen = text.parse().expect(text);
            assert_eq!(parsed, want, "{text}");
            assert_eq!(parsed.to_string(), text.trim());
        }
    }

    #[test]
    fn malformed_addresses_are_refused_saying_what_to_write() {
        for (text, want) in [
            ("", ListenParseError::Empty),
            (
                "127.0.0.1",
                ListenParseError::NotHostPort("127.0.0.1".into()),
            ),
            (":8080", ListenParseError::NotHostPort(":8080".into())),
            (
                "127.0.0.1:65536",
                ListenParseError::NotHostPort("127.0.0.1:65536".into()),
            ),
            ("::1:8080", ListenParseError::BareIpv6("::1:8080".into())),
            (
                "unix:tipseal.sock",
                ListenParseError::RelativeSocketPath("unix:tipseal.sock".into()),
            ),
            (
                "unix:",
                ListenParseError::RelativeSocketPath("unix:".into()),
            ),
        ] {
            assert_eq!(text.parse::<Listen>(), Err(want.clone()), "{text:?}");
            let said = want.to_string();
            assert!(
                said.contains("unix:") || said.contains("[::1]:8080"),
                "{said}"
            );
        }
        let long = format!("unix:/{}", "a".repeat(MAX_SOCKET_PATH_BYTES));
        assert_eq!(
            long.parse::<Listen>(),
            Err(ListenParseError::SocketPathTooLong(long.clone()))
        );
    }

    #[test]
    fn a_configuration_file_gives_the_same_string() {
        #[derive(serde::Deserialize)]
        struct Config {
            listen: Listen,
        }
        let c: Config = serde_json::from_str(r#"{"listen": "unix:/run/t.sock"}"#).unwrap();
        assert_eq!(c.listen, Listen::Unix("/run/t.sock".into()));
        let bad = serde_json::from_str::<Config>(r#"{"listen": "8080"}"#)
            .err()
            .expect("refused")
            .to_string();
        assert!(bad.contains("is not HOST:PORT"), "{bad}");
        assert_eq!(
            serde_json::to_string(&tcp("127.0.0.1", 1)).unwrap(),
            r#""127.0.0.1:1""#
        );
    }

    fn unix_in(dir: &tempfile::TempDir) -> (PathBuf, Listen) {
        let path = dir.path().join("t.sock");
        (path.clone(), Listen::Unix(path))
    }

    #[test]
    fn a_unix_socket_is_owner_and_group_only_and_removed_at_stop() {
        let dir = tempfile::TempDir::new().unwrap();
        let (path, listen) = unix_in(&dir);
        let Bound::Unix(_listener, file) = listen.bind().unwrap() else {
            panic!("a unix listener")
        };
        let meta = std::fs::symlink_metadata(&path).unwrap();
        assert!(meta.file_type().is_socket());
        assert_eq!(meta.permissions().mode() & 0o777, SOCKET_MODE);
        UnixStream::connect(&path).expect("it accepts connections");
        file.remove();
        assert!(!path.exists());
    }

    #[test]
    fn a_stale_socket_is_replaced_and_a_live_one_is_left_alone() {
        let dir = tempfile::TempDir::new().unwrap();
        let (path, listen) = unix_in(&dir);
        let live = UnixListener::bind(&path).unwrap();
        let e = listen.bind().expect_err("in use").to_string();
        assert!(e.contains("another process is listening"), "{e}");
        drop(live); // the file stays: now a stale socket
        assert!(path.exists());
        assert!(matches!(listen.bind(), Ok(Bound::Unix(..))));
    }

    #[test]
    fn a_regular_file_or_a_directory_at_the_socket_path_is_never_removed() {
        let dir = tempfile::TempDir::new().unwrap();
        let (path, listen) = unix_in(&dir);
        std::fs::write(&path, b"precious").unwrap();
        let e = listen.bind().expect_err("a regular file").to_string();
        assert!(e.contains("is not a socket"), "{e}");
        assert_eq!(std::fs::read(&path).unwrap(), b"precious");
        std::fs::remove_file(&path).unwrap();
        std::fs::create_dir(&path).unwrap();
        assert!(matches!(listen.bind(), Err(BindError::NotASocket(_))));
        assert!(path.is_dir());
    }

    #[test]
    fn a_missing_directory_is_named() {
        let dir = tempfile::TempDir::new().unwrap();
        let listen = Listen::Unix(dir.path().join("absent/t.sock"));
        let e = listen.bind().expect_err("no directory").to_string();
        assert!(e.contains("its directory does not exist"), "{e}");
    }
}
