//! Running the `tipseal` binary: the witness's and the reviewer's commands.

use std::ffi::OsStr;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{is_tip_id, is_utc_day, PASSPHRASE};

/// How long a command-line call may take before the test gives up on it.
// Generous: `review list` syncs first, and a conversation filled to its 10,000-entry cap
// (tests/attacks/privacy.rs) is 10,000 fetches on a reviewer's first sync — seconds in a
// release build, over a minute in a debug one on a busy 2-core machine.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(300);

/// Path of the `tipseal` binary cargo built for these tests.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_tipseal")
}

/// Runs `tipseal ARGS…` with `TIPSEAL_PASSPHRASE` set and stdin closed (so a prompt
/// fails instead of hanging). Kills it after [`COMMAND_TIMEOUT`]. Each call gets a fresh
/// `XDG_STATE_HOME`, so the witness's keyring memory never outlives the call (nor lands
/// in the runner's home); use [`tipseal_with_state`] to keep it across calls.
pub fn tipseal<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let state = tempfile::TempDir::new().expect("temp state dir");
    tipseal_with_state(state.path(), args)
}

/// [`tipseal`] with `XDG_STATE_HOME=state` (where `tipseal submit` remembers keyrings).
pub fn tipseal_with_state<I, S>(state: &Path, args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let args: Vec<_> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
    let mut child = Command::new(bin())
        .args(&args)
        .env("XDG_STATE_HOME", state)
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

/// The arguments of `tipseal review <cmd…> --server server --key key`.
pub fn review_args<'a>(cmd: &'a [&'a str], server: &'a str, key: &'a Path) -> Vec<&'a OsStr> {
    let mut args: Vec<&OsStr> = vec![OsStr::new("review")];
    args.extend(cmd.iter().map(OsStr::new));
    args.extend([
        OsStr::new("--server"),
        OsStr::new(server),
        OsStr::new("--key"),
        key.as_os_str(),
    ]);
    args
}

/// `tipseal review <cmd…> --server server --key key`, however it ends.
pub fn review(cmd: &[&str], server: &str, key: &Path) -> Output {
    tipseal(review_args(cmd, server, key))
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

/// `tipseal submit --tip TIP --receipt-out FILE --json`: a tip with a mailbox; returns
/// its id (the receipt is in `receipt_out`).
pub fn submit_keeping_receipt(server_url: &str, tip: &Path, receipt_out: &Path) -> String {
    let v = json_stdout(&tipseal_ok([
        OsStr::new("submit"),
        OsStr::new("--server"),
        OsStr::new(server_url),
        OsStr::new("--tip"),
        tip.as_os_str(),
        OsStr::new("--receipt-out"),
        receipt_out.as_os_str(),
        OsStr::new("--json"),
    ]));
    v["id"]
        .as_str()
        .expect("submit --json has an id")
        .to_owned()
}

/// `tipseal followup --receipt-file FILE --json --message MESSAGE [--attach F]…`,
/// whatever the outcome.
pub fn try_add_followup(
    server_url: &str,
    receipt_file: &Path,
    message: &str,
    attachments: &[PathBuf],
) -> Output {
    let mut args: Vec<&OsStr> = vec![
        OsStr::new("followup"),
        OsStr::new("--server"),
        OsStr::new(server_url),
        OsStr::new("--receipt-file"),
        receipt_file.as_os_str(),
        OsStr::new("--json"),
        OsStr::new("--message"),
        OsStr::new(message),
    ];
    for a in attachments {
        args.push(OsStr::new("--attach"));
        args.push(a.as_os_str());
    }
    tipseal(args)
}

/// `tipseal review rewrap --server URL --key KEY`, whatever the outcome.
pub fn try_review_rewrap(server_url: &str, key: &Path) -> Output {
    tipseal([
        OsStr::new("review"),
        OsStr::new("rewrap"),
        OsStr::new("--server"),
        OsStr::new(server_url),
        OsStr::new("--key"),
        key.as_os_str(),
    ])
}

/// `tipseal review reply ID --server URL --key KEY --message MESSAGE`, which must succeed.
pub fn review_reply(server_url: &str, key: &Path, id: &str, message: &str) {
    tipseal_ok([
        OsStr::new("review"),
        OsStr::new("reply"),
        OsStr::new(id),
        OsStr::new("--server"),
        OsStr::new(server_url),
        OsStr::new("--key"),
        key.as_os_str(),
        OsStr::new("--message"),
        OsStr::new(message),
    ]);
}
