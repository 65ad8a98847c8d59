//! The data directory's owner and permissions, and the free space on its disk.
//!
//! Metadata only: never opens the database or reads a data file.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use super::{Check, Context, Deployment, Finding, Verdict};

/// Bits that let the group or others read, write or enter.
const GROUP_OR_OTHER: u32 = 0o077;

/// The data directory exists, is a directory, belongs to the user running the check and
/// is closed to the group and others (its top-level entries too).
pub fn data_dir(d: &Deployment, ctx: &Context) -> Finding {
    let f = |v, s: String| Finding::new(Check::DataDir, v, s);
    let dir = d.data.display();
    let meta = match std::fs::metadata(&d.data) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return f(
                Verdict::Fail,
                format!(
                    "The data directory {dir} does not exist: create it owned by the service \
                     user with mode 0700 (systemd's StateDirectory= does this)."
                ),
            )
        }
        Err(e) => {
            return f(
                Verdict::Fail,
                format!("The data directory {dir} cannot be examined ({e}): check its parents' permissions."),
            )
        }
    };
    if !meta.is_dir() {
        return f(
            Verdict::Fail,
            format!("{dir} is not a directory: point server.data (--data) at a directory."),
        );
    }
    if meta.uid() != ctx.uid {
        return f(
            Verdict::Fail,
            format!(
                "The data directory {dir} belongs to uid {}, not to the user running this check \
                 (uid {}): run the doctor as the service user, or chown the directory to it.",
                meta.uid(),
                ctx.uid
            ),
        );
    }
    let mode = meta.permissions().mode() & 0o7777;
    if mode & GROUP_OR_OTHER != 0 {
        return f(
            Verdict::Fail,
            format!(
                "The data directory {dir} has mode {mode:04o}: its group or others can reach \
                 sealed tips and their metadata. Run chmod 700 {dir}."
            ),
        );
    }
    if let Some(open) = open_entry(&d.data) {
        return f(
            Verdict::Fail,
            format!(
                "{} inside the data directory is readable by its group or others: run \
                 chmod -R go-rwx {dir} (and set UMask=0077 in the unit).",
                open.display()
            ),
        );
    }
    f(
        Verdict::Ok,
        format!("The data directory {dir} belongs to this user and is closed to everyone else (mode {mode:04o})."),
    )
}

/// The first top-level entry of `dir` that its group or others may access.
fn open_entry(dir: &Path) -> Option<std::path::PathBuf> {
    std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .find(|e| {
            e.metadata()
                .map(|m| {
                    !m.file_type().is_symlink() && m.permissions().mode() & GROUP_OR_OTHER != 0
                })
                .unwrap_or(false)
        })
        .map(|e| e.path())
}

/// Free space on the data directory's file system, against the disk floor: under it the
/// server refuses tips (507); under twice it, a warning.
pub fn disk(d: &Deployment) -> Finding {
    let f = |v, s: String| Finding::new(Check::Disk, v, s);
    // A missing directory is the data-directory check's finding; measure where it will be.
    let at = if d.data.exists() {
        d.data.as_path()
    } else {
        match d.data.parent() {
            Some(p) if !p.as_os_str().is_empty() && p.exists() => p,
            _ => Path::new("."),
        }
    };
    let free = match rustix::fs::statvfs(at) {
        Ok(s) => s.f_bavail.saturating_mul(s.f_frsize),
        Err(e) => {
            return f(
                Verdict::Fail,
                format!("The free space of {} cannot be read ({e}).", at.display()),
            )
        }
    };
    let floor = d.min_free_bytes;
    let (gib_free, gib_floor) = (gib(free), gib(floor));
    if floor > 0 && free < floor {
        f(
            Verdict::Fail,
            format!(
                "{} has {gib_free} free, under the floor of {gib_floor} (server.min_free_bytes): \
                 new tips are refused with 507 until space is freed.",
                at.display()
            ),
        )
    } else if floor > 0 && free / 2 < floor {
        f(
            Verdict::Warn,
            format!(
                "{} has {gib_free} free, less than twice the floor of {gib_floor}: free space or \
                 grow the disk before tips are refused.",
                at.display()
            ),
        )
    } else {
        f(
            Verdict::Ok,
            format!(
                "{} has {gib_free} free (the floor is {gib_floor}).",
                at.display()
            ),
        )
    }
}

fn gib(bytes: u64) -> String {
    format!("{:.1} GiB", bytes as f64 / (1024.0 * 1024.0 * 1024.0))
}
