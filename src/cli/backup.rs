//! `tipseal admin backup | restore | compact`: backups of a data directory and the
//! rewrite that leaves no deleted ciphertext behind.
//!
//! `backup` asks the running server through its control socket
//! ([`crate::http::control`]) or, when no server runs, opens the directory itself; it
//! writes to `FILE.partial`, verifies it, then links it to `FILE` (never over an existing
//! file). `restore` verifies the whole file before it writes anything, and loads only into
//! a new or empty directory. `compact` (server stopped) copies the live entries into a
//! fresh database and swaps it in. Must never: overwrite a file or a database, or leave a
//! half-restored directory behind.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};

use crate::backup::{self, BackupWriter, Summary};
use crate::http::control;
use crate::storage::{self, Store};

use super::CliError;

fn usage(s: impl Into<String>) -> CliError {
    CliError::Usage(s.into())
}

fn file_error(path: &Path) -> impl Fn(std::io::Error) -> CliError + '_ {
    move |e| CliError::File(path.to_owned(), e)
}

/// Whether `dir` holds a tipseal database (sled's `conf` and `db` files).
fn holds_database(dir: &Path) -> bool {
    dir.join("conf").is_file() && dir.join("db").is_file()
}

/// `admin backup --data DIR --out FILE`.
pub fn backup(data: &Path, out: &Path) -> Result<(), CliError> {
    if out.exists() {
        return Err(usage(format!(
            "{} already exists: a backup never overwrites a file; choose another name",
            out.display()
        )));
    }
    let partial = PathBuf::from(format!("{}.partial", out.display()));
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&partial)
        .map_err(|e| {
            usage(format!(
                "cannot create {}: {e} (if an earlier backup was interrupted, delete it)",
                partial.display()
            ))
        })?;
    let result = write_snapshot(data, &mut file).and_then(|()| {
        file.sync_all().map_err(file_error(&partial))?;
        backup::verify(&partial)
            .map_err(|e| usage(format!("the backup just written does not verify: {e}")))
    });
    let summary = match result {
        Ok(s) => s,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e);
        }
    };
    // A hard link fails if `out` appeared meanwhile: never over an existing file.
    std::fs::hard_link(&partial, out).map_err(|e| {
        usage(format!(
            "cannot create {}: {e} (the verified backup is kept as {})",
            out.display(),
            partial.display()
        ))
    })?;
    std::fs::remove_file(&partial).map_err(file_error(&partial))?;
    println!(
        "Backup written to {}: {} tips, {} entries, {} bytes of sealed data; integrity hash verified.",
        out.display(),
        summary.tips,
        summary.entries,
        summary.bytes
    );
    Ok(())
}

/// Streams a snapshot into `file`: from the running server if one answers on the
/// control socket, else from the directory directly.
fn write_snapshot(data: &Path, file: &mut File) -> Result<(), CliError> {
    let socket = control::socket_path(data);
    match UnixStream::connect(&socket) {
        Ok(mut conn) => {
            conn.write_all(b"backup\n").map_err(file_error(&socket))?;
            std::io::copy(&mut conn, file).map_err(file_error(&socket))?;
            return Ok(());
        }
        // Not "no database here": the directory is there, only not this account's.
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            return Err(usage(format!(
                "permission denied on {}: run the backup as the server's user",
                socket.display()
            )))
        }
        Err(_) => {}
    }
    if !holds_database(data) {
        return Err(usage(format!(
            "{} holds no tipseal database (and no server answers on its control socket)",
            data.display()
        )));
    }
    let store = Store::open(data, crate::crypto::random_bytes()).map_err(|e| {
        usage(format!(
            "cannot open {}: {e} (if a server runs on it, its control socket {} did not answer: \
             run the backup as the server's user)",
            data.display(),
            socket.display()
        ))
    })?;
    let mut writer =
        BackupWriter::new(std::io::BufWriter::new(&mut *file)).map_err(|e| usage(e.to_string()))?;
    let counts = store
        .snapshot(&mut |e: storage::SnapshotEntry<'_>| writer.entry(e).map_err(|e| e.to_string()))
        .map_err(|e| usage(format!("the snapshot failed: {e}")))?;
    writer.finish(counts).map_err(|e| usage(e.to_string()))?;
    Ok(())
}

/// `admin restore --from FILE --data DIR`.
pub fn restore(from: &Path, data: &Path) -> Result<(), CliError> {
    let summary = backup::verify(from).map_err(|e| {
        usage(format!(
            "{} was refused, nothing was restored: {e}",
            from.display()
        ))
    })?;
    let existed = data.exists();
    let loaded = backup::entries(from)
        .map_err(|e| usage(e.to_string()))
        .and_then(|entries| storage::load_into_new(data, entries).map_err(|e| usage(e.to_string())))
        .and_then(|counts| check_restored(data, &summary, counts.tips));
    if let Err(e) = loaded {
        // Leave no half-restored database: remove what this run created.
        if !matches!(&e, CliError::Usage(s) if s.contains("already holds data")) {
            if existed {
                remove_contents(data);
            } else {
                let _ = std::fs::remove_dir_all(data);
            }
        }
        return Err(e);
    }
    println!(
        "Restored {} tips ({} entries) from {} into {}. Start the server on it with --data {}.",
        summary.tips,
        summary.entries,
        from.display(),
        data.display(),
        data.display()
    );
    Ok(())
}

/// Opens the restored directory the way the server will, and counts its tips.
fn check_restored(data: &Path, summary: &Summary, loaded_tips: u64) -> Result<(), CliError> {
    let store = Store::open(data, crate::crypto::random_bytes())
        .map_err(|e| usage(format!("the restored database does not open: {e}")))?;
    let tips = store
        .tip_count()
        .map_err(|e| usage(format!("the restored database does not read: {e}")))?;
    if tips as u64 != summary.tips || loaded_tips != summary.tips {
        return Err(usage(format!(
            "the restored database holds {tips} tips where the backup lists {}",
            summary.tips
        )));
    }
    Ok(())
}

fn remove_contents(dir: &Path) {
    if let Ok(list) = std::fs::read_dir(dir) {
        for entry in list.flatten() {
            let p = entry.path();
            let _ = if p.is_dir() {
                std::fs::remove_dir_all(&p)
            } else {
                std::fs::remove_file(&p)
            };
        }
    }
}

/// `admin compact --data DIR` (server stopped): rewrites the database with only its
/// live entries, so deleted tips' ciphertext does not linger in old segments.
pub fn compact(data: &Path) -> Result<(), CliError> {
    if !holds_database(data) {
        return Err(usage(format!(
            "{} holds no tipseal database",
            data.display()
        )));
    }
    let fresh = sibling(data, "compacting");
    let old = sibling(data, "precompact");
    for p in [&fresh, &old] {
        if p.exists() {
            return Err(usage(format!(
                "{} exists, left by an interrupted compaction: if {} opens, delete it; \
                 otherwise move it back to {}",
                p.display(),
                data.display(),
                data.display()
            )));
        }
    }
    let before = dir_size(data);
    let store = Store::open(data, crate::crypto::random_bytes()).map_err(|e| {
        usage(format!(
            "cannot open {}: {e} (stop the server first: compaction needs the directory alone)",
            data.display()
        ))
    })?;
    let counts = store.copy_into_new(&fresh).map_err(|e| {
        let _ = std::fs::remove_dir_all(&fresh);
        usage(format!(
            "compaction failed, {} is unchanged: {e}",
            data.display()
        ))
    })?;
    drop(store);
    // sled's threads may hold the new directory's files a moment after its last handle.
    Store::open(&fresh, crate::crypto::random_bytes()).map_err(|e| {
        usage(format!(
            "the compacted copy does not open, {} is unchanged: {e}",
            data.display()
        ))
    })?;
    std::fs::rename(data, &old).map_err(file_error(data))?;
    std::fs::rename(&fresh, data).map_err(file_error(&fresh))?;
    std::fs::remove_dir_all(&old).map_err(file_error(&old))?;
    println!(
        "Compacted {}: {} tips, {} entries kept; {} bytes on disk before, {} after.",
        data.display(),
        counts.tips,
        counts.entries,
        before,
        dir_size(data)
    );
    Ok(())
}

fn sibling(dir: &Path, suffix: &str) -> PathBuf {
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "data".into());
    dir.with_file_name(format!("{name}.{suffix}"))
}

/// Bytes of the files under `dir`.
fn dir_size(dir: &Path) -> u64 {
    let mut total = 0;
    if let Ok(list) = std::fs::read_dir(dir) {
        for entry in list.flatten() {
            let p = entry.path();
            total += if p.is_dir() {
                dir_size(&p)
            } else {
                entry.metadata().map(|m| m.len()).unwrap_or(0)
            };
        }
    }
    total
}
