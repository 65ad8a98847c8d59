//! The control socket: a Unix socket in the data directory through which
//! `tipseal admin backup` asks the running server for a snapshot (sled's lock keeps any
//! other process out of the database while the server runs).
//!
//! Access is the file system's: the socket is created 0600 inside the 0700 data
//! directory, so only the account that can read the database anyway can connect. One
//! request, one line: `backup\n`; the answer is the backup file's bytes
//! ([`crate::backup`]), then the connection closes. A stalled reader is cut off after
//! [`WRITE_TIMEOUT`], because writes wait while a snapshot runs.
//!
//! Must never: listen on anything but this file, answer anything but a backup, or keep
//! the database open after the server stops (it holds only a [`WeakStore`]).

use std::io::{BufRead, BufReader, BufWriter, Read};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::backup::BackupWriter;
use crate::storage::WeakStore;

/// The socket's file name inside the data directory.
pub const SOCKET_NAME: &str = "control.sock";
/// How long a client may take to send its request line.
const READ_TIMEOUT: Duration = Duration::from_secs(5);
/// How long one write to a client may block: writes to the database wait for the
/// snapshot, so a client that stops reading must not hold them up for longer.
const WRITE_TIMEOUT: Duration = Duration::from_secs(30);
/// How often the accept loop checks whether the server has stopped.
const POLL: Duration = Duration::from_millis(200);

/// The socket's path for a data directory.
pub fn socket_path(data_dir: &Path) -> PathBuf {
    data_dir.join(SOCKET_NAME)
}

/// Binds the control socket and serves it on its own thread until the store closes.
pub fn spawn(store: WeakStore, data_dir: &Path) -> std::io::Result<()> {
    let path = socket_path(data_dir);
    // A socket file left by a server that was killed: nobody listens on it any more
    // (sled's lock, taken before this, proves no other server runs here).
    let _ = std::fs::remove_file(&path);
    let listener = UnixListener::bind(&path)?;
    set_owner_only(&path)?;
    listener.set_nonblocking(true)?;
    std::thread::Builder::new()
        .name("tipseal-control".into())
        .spawn(move || serve(listener, store, path))?;
    Ok(())
}

fn serve(listener: UnixListener, store: WeakStore, path: PathBuf) {
    loop {
        match listener.accept() {
            Ok((conn, _)) => {
                let Some(store) = store.upgrade() else { break };
                if let Err(e) = answer(conn, &store) {
                    tracing::warn!(error = %e, "a backup through the control socket failed");
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                if store.upgrade().is_none() {
                    break;
                }
                std::thread::sleep(POLL);
            }
            Err(e) => {
                tracing::warn!(error = %e, "the control socket stopped accepting");
                break;
            }
        }
    }
    let _ = std::fs::remove_file(path);
}

fn answer(conn: UnixStream, store: &crate::storage::Store) -> Result<(), String> {
    conn.set_nonblocking(false).map_err(|e| e.to_string())?;
    conn.set_read_timeout(Some(READ_TIMEOUT))
        .map_err(|e| e.to_string())?;
    conn.set_write_timeout(Some(WRITE_TIMEOUT))
        .map_err(|e| e.to_string())?;
    let mut line = String::new();
    BufReader::new(&conn)
        .take(64)
        .read_line(&mut line)
        .map_err(|e| e.to_string())?;
    if line.trim_end() != "backup" {
        return Err("unknown request on the control socket".into());
    }
    let started = Instant::now();
    let mut writer = BackupWriter::new(BufWriter::new(&conn)).map_err(|e| e.to_string())?;
    let counts = store
        .snapshot(&mut |e: crate::storage::SnapshotEntry<'_>| {
            writer.entry(e).map_err(|e| e.to_string())
        })
        .map_err(|e| e.to_string())?;
    writer.finish(counts).map_err(|e| e.to_string())?;
    tracing::info!(
        tips = counts.tips,
        entries = counts.entries,
        bytes = counts.bytes,
        millis = started.elapsed().as_millis() as u64,
        "backup snapshot sent through the control socket"
    );
    Ok(())
}

fn set_owner_only(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
}
