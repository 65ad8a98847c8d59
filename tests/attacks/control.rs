//! Another local user at the control socket (`src/http/control.rs`): `DIR/control.sock`
//! hands out a backup of every sealed tip to whoever connects, so only the server's own
//! account may reach it. The attack runs as `nobody` (uid 65534, no groups, through
//! util-linux `setpriv`), which needs the tests to run as root — as they do on CI; run
//! otherwise, the test says it was skipped.

use std::ffi::OsStr;
use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::{Command, Output};

use tempfile::TempDir;

use super::common::*;

/// The uid and gid the attack runs as.
const NOBODY: &str = "65534";
/// Set in the probe's environment: the data directory it attacks.
const PROBE_DIR: &str = "TIPSEAL_CONTROL_PROBE_DIR";

/// The effective uid of this process (`/proc/self/status`).
fn euid() -> u32 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|v| v.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .expect("Uid: in /proc/self/status")
}

/// Runs `program args…` as nobody with no supplementary groups.
fn as_nobody<S: AsRef<OsStr>>(program: &Path, args: &[S], envs: &[(&str, &Path)]) -> Output {
    let mut cmd = Command::new("setpriv");
    cmd.args(["--reuid", NOBODY, "--regid", NOBODY, "--clear-groups", "--"])
        .arg(program)
        .args(args)
        .env("TIPSEAL_PASSPHRASE", PASSPHRASE);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.output().expect("setpriv runs")
}

/// `admin backup --data DATA --out OUT`.
fn backup_args<'a>(data: &'a Path, out: &'a Path) -> [&'a OsStr; 6] {
    [
        OsStr::new("admin"),
        OsStr::new("backup"),
        OsStr::new("--data"),
        data.as_os_str(),
        OsStr::new("--out"),
        out.as_os_str(),
    ]
}

/// What the probe saw, one `name=outcome` per line: `ok` or the OS error number.
fn outcome<T>(r: std::io::Result<T>) -> String {
    match r {
        Ok(_) => "ok".into(),
        Err(e) => e
            .raw_os_error()
            .map_or_else(|| e.to_string(), |n| n.to_string()),
    }
}

/// The attacker's half, run by `another_local_user_cannot_take_a_backup_…` as nobody:
/// connect to the control socket and ask for a backup, list and read the data directory.
#[test]
#[ignore = "the probe that the control-socket attack runs as another user"]
fn control_socket_probe_as_another_user() {
    let dir = std::path::PathBuf::from(std::env::var_os(PROBE_DIR).expect(PROBE_DIR));
    let socket = dir.join("control.sock");
    let backup = UnixStream::connect(&socket).and_then(|mut s| {
        s.write_all(b"backup\n")?;
        let mut got = Vec::new();
        s.read_to_end(&mut got)?;
        if got.is_empty() {
            return Err(std::io::Error::other("an empty answer"));
        }
        Ok(got.len())
    });
    println!("socket={}", outcome(backup));
    println!("list={}", outcome(std::fs::read_dir(&dir)));
    println!("db={}", outcome(std::fs::read(dir.join("db"))));
}

#[test]
fn another_local_user_cannot_take_a_backup_through_the_control_socket_or_read_the_data() {
    if euid() != 0 {
        eprintln!(
            "SKIPPED: this attack needs root to run a process as another user (CI runs as root)"
        );
        return;
    }
    if Command::new("setpriv").arg("--version").output().is_err() {
        eprintln!("SKIPPED: util-linux setpriv is not installed");
        return;
    }
    let team = setup_team();
    // The data directory's parent is open to everyone, so only the server's own modes
    // stand between nobody and the database.
    let parent = TempDir::new().expect("temp dir");
    std::fs::set_permissions(parent.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let data = parent.path().join("data");
    let server = spawn_server_in(&data, &[OsStr::new("--keyring"), team.keyring.as_os_str()]);
    let bundles = seal_bundles(&server.url, &read_json(&a_sample()), 2);
    assert_eq!(
        raw_http(server.addr, None, &post_tip_request(&bundles[0], None)).status,
        201
    );

    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700, "the data directory is the owner's only");
    assert_eq!(
        mode(&data.join("control.sock")),
        0o600,
        "the socket is the owner's only"
    );

    // The attack, with a raw connection: refused with EACCES (13), and nothing to read.
    let exe = std::env::current_exe().expect("the test binary");
    let probe = as_nobody(
        &exe,
        &[
            "--ignored",
            "--exact",
            "control::control_socket_probe_as_another_user",
            "--nocapture",
        ],
        &[(PROBE_DIR, &data)],
    );
    let said = String::from_utf8_lossy(&probe.stdout);
    assert!(
        probe.status.success(),
        "the probe ran: {said}{}",
        String::from_utf8_lossy(&probe.stderr)
    );
    for line in ["socket=13", "list=13", "db=13"] {
        assert!(
            said.lines().any(|l| l == line),
            "expected {line} as nobody; the probe saw:\n{said}"
        );
    }

    // The attack, with the real client: `admin backup` as nobody fails and writes nothing.
    let out_dir = TempDir::new().expect("temp dir");
    std::fs::set_permissions(out_dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let stolen = out_dir.path().join("stolen.tsb");
    let client = as_nobody(Path::new(bin()), &backup_args(&data, &stolen), &[]);
    assert!(!client.status.success(), "nobody's backup was refused");
    let said_client = String::from_utf8_lossy(&client.stderr);
    assert!(
        said_client.contains("permission denied") && said_client.contains("server's user"),
        "the client says why and what to do: {said_client}"
    );
    let left: Vec<_> = std::fs::read_dir(out_dir.path()).unwrap().collect();
    assert!(
        left.is_empty(),
        "nobody's backup left {} files behind",
        left.len()
    );
    let log = std::fs::read_to_string(&server.log_path).unwrap_or_default();
    assert!(
        !log.contains("backup snapshot sent"),
        "the server sent no snapshot:\n{log}"
    );

    // The server's own account still takes a backup, and witnesses still submit.
    let mine = out_dir.path().join("mine.tsb");
    tipseal_ok(backup_args(&data, &mine));
    assert!(std::fs::metadata(&mine).unwrap().len() > 0);
    assert_eq!(
        raw_http(server.addr, None, &post_tip_request(&bundles[1], None)).status,
        201
    );
    eprintln!(
        "as nobody: {}; `admin backup` said: {}",
        said.lines()
            .filter(|l| l.contains('='))
            .collect::<Vec<_>>()
            .join(" "),
        String::from_utf8_lossy(&client.stderr).trim()
    );
}
