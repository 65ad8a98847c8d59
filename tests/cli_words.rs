//! The command line in plain words (issue 8, section 5): `--receipt-out` checked and made
//! before anything is sent and never overwritten, the receipt shown even when saving it
//! fails, errors that name the file or directory concerned and say what to do, hints that
//! work when pasted, a warning for a weak new passphrase, and `--help` that explains
//! `TIPSEAL_PASSPHRASE` and the reviewer's `*.keyring-pin` file.

mod common;

use std::ffi::OsStr;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::*;
use tempfile::TempDir;

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn submit_to(server: &str, receipt_out: &Path) -> Output {
    tipseal([
        OsStr::new("submit"),
        OsStr::new("--server"),
        OsStr::new(server),
        OsStr::new("--tip"),
        a_sample().as_os_str(),
        OsStr::new("--receipt-out"),
        receipt_out.as_os_str(),
    ])
}

/// Runs a printed hint as a person would paste it into a shell (`tipseal` being the
/// binary under test), with the test passphrase in the environment.
fn paste(hint: &str) -> Output {
    let line = hint.trim();
    let rest = line
        .strip_prefix("tipseal ")
        .expect("a hint starts with `tipseal`");
    let state = TempDir::new().unwrap();
    Command::new("sh")
        .arg("-c")
        .arg(format!("exec \"$TIPSEAL_BIN\" {rest}"))
        .env("TIPSEAL_BIN", bin())
        .env("TIPSEAL_PASSPHRASE", PASSPHRASE)
        .env("XDG_STATE_HOME", state.path())
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

#[test]
fn a_receipt_file_in_a_missing_directory_is_refused_before_the_tip_is_sent() {
    let team = setup_team();
    let server = team.spawn_server(&[]);
    let dir = TempDir::new().unwrap();
    let missing = dir.path().join("no-such-dir/receipt.txt");
    let out = submit_to(&server.url, &missing);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("no-such-dir") && err.contains("does not exist"),
        "{err}"
    );
    assert!(err.contains("nothing was sent"), "{err}");
    assert!(
        review_ids(&server.url, &team.reviewer_key).is_empty(),
        "no tip stored"
    );
}

#[test]
fn an_existing_receipt_file_is_never_overwritten_and_nothing_is_sent() {
    let team = setup_team();
    let server = team.spawn_server(&[]);
    let dir = TempDir::new().unwrap();
    let existing = dir.path().join("receipt.txt");
    std::fs::write(&existing, "the receipt of another tip\n").unwrap();
    let out = submit_to(&server.url, &existing);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("already exists"), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(&existing).unwrap(),
        "the receipt of another tip\n"
    );
    assert!(review_ids(&server.url, &team.reviewer_key).is_empty());
}

#[test]
fn a_receipt_file_in_a_directory_without_write_permission_is_refused_before_sending() {
    let team = setup_team();
    let server = team.spawn_server(&[]);
    let dir = TempDir::new().unwrap();
    let locked = dir.path().join("locked");
    std::fs::create_dir(&locked).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o500)).unwrap();
    }
    // root ignores directory permissions; sysfs refuses new files even to root.
    let target = if std::fs::write(locked.join("probe"), b"").is_ok() {
        Path::new("/sys/kernel/receipt.txt").to_owned()
    } else {
        locked.join("receipt.txt")
    };
    let out = submit_to(&server.url, &target);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("no permission"), "{}", stderr(&out));
    assert!(!target.exists());
    assert!(review_ids(&server.url, &team.reviewer_key).is_empty());
}

#[test]
fn a_failed_submission_leaves_no_empty_receipt_file_behind() {
    let dir = TempDir::new().unwrap();
    let receipt = dir.path().join("receipt.txt");
    // Nothing listens on port 9 of loopback (discard): the keyring fetch fails.
    let out = submit_to("http://127.0.0.1:9", &receipt);
    assert!(!out.status.success());
    assert!(!receipt.exists(), "the empty receipt file was removed");
}

#[test]
fn when_saving_the_receipt_fails_after_the_tip_is_stored_the_receipt_is_still_printed() {
    let team = setup_team();
    let server = team.spawn_server(&[]);
    let dir = TempDir::new().unwrap();
    let receipt = dir.path().join("receipt.txt");
    // A file-size limit of 0 makes every write to a file fail (EFBIG; SIGXFSZ ignored),
    // after the empty receipt file was created: the save fails once the tip is stored.
    let state = TempDir::new().unwrap();
    let out = Command::new("sh")
        .arg("-c")
        .arg("trap '' XFSZ; ulimit -f 0; exec \"$@\"")
        .arg("sh")
        .arg(bin())
        .args(["submit", "--server", &server.url, "--tip"])
        .arg(a_sample())
        .arg("--receipt-out")
        .arg(&receipt)
        .args(["--json", "--no-keyring-memory"])
        .env("XDG_STATE_HOME", state.path())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let v = json_stdout(&out);
    let words = v["receipt"].as_str().expect("the receipt is printed");
    assert_eq!(words.split_whitespace().count(), 12);
    assert!(v.get("receipt_file").is_none(), "not claimed as saved: {v}");
    let err = stderr(&out);
    assert!(
        err.contains("IS stored") && err.contains("do not send the tip again"),
        "{err}"
    );
    assert!(!receipt.exists(), "no half-written receipt file");
    // Exactly one tip, and its mailbox opens with the printed words.
    assert_eq!(review_ids(&server.url, &team.reviewer_key).len(), 1);
    let words_file = dir.path().join("copied.txt");
    std::fs::write(&words_file, words).unwrap();
    let read = tipseal_ok([
        OsStr::new("followup"),
        OsStr::new("--server"),
        OsStr::new(&server.url),
        OsStr::new("--receipt-file"),
        words_file.as_os_str(),
        OsStr::new("--json"),
    ]);
    assert_eq!(json_stdout(&read)["retention"], "keep");
}

#[test]
fn the_printed_follow_up_and_reply_commands_work_when_pasted() {
    let team = setup_team();
    let server = team.spawn_server(&[]);
    let dir = TempDir::new().unwrap();
    let receipt = dir.path().join("my receipt.txt");
    let out = submit_to(&server.url, &receipt);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let hint = text
        .lines()
        .find(|l| l.trim_start().starts_with("tipseal followup"))
        .unwrap_or_else(|| panic!("a follow-up hint in:\n{text}"));
    assert!(
        hint.contains(&server.url) && hint.contains("my receipt.txt"),
        "{hint}"
    );
    let pasted = paste(hint);
    assert!(pasted.status.success(), "{hint}: {}", stderr(&pasted));
    assert!(stdout(&pasted).contains("No replies yet."));

    // The reviewer's `show` prints the reply command with the same server and key.
    let id = review_ids(&server.url, &team.reviewer_key).pop().unwrap();
    let shown = tipseal_ok([
        OsStr::new("review"),
        OsStr::new("show"),
        OsStr::new(&id),
        OsStr::new("--server"),
        OsStr::new(&server.url),
        OsStr::new("--key"),
        team.reviewer_key.as_os_str(),
    ]);
    let text = stdout(&shown);
    let hint = text
        .lines()
        .find(|l| l.trim_start().starts_with("tipseal review reply"))
        .unwrap_or_else(|| panic!("a reply hint in:\n{text}"));
    assert!(
        hint.contains(&server.url) && hint.contains("--key"),
        "{hint}"
    );
    let pasted = paste(hint);
    assert!(pasted.status.success(), "{hint}: {}", stderr(&pasted));
    let shown = review_show(&server.url, &team.reviewer_key, &id, None);
    assert_eq!(shown["conversation"][0]["kind"], "reply");
}

#[test]
fn key_file_errors_name_the_file_and_say_what_is_wrong() {
    let team = setup_team();
    let server = team.spawn_server(&[]);
    let dir = TempDir::new().unwrap();

    // A missing key file is named.
    let missing = dir.path().join("alice-laptop.key");
    let out = try_review_list(&server.url, &missing);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("alice-laptop.key") && err.contains("No such file"),
        "{err}"
    );
    assert!(!err.contains("key file I/O"), "{err}");

    // A public key where the secret one belongs, and the reverse.
    let public = dir.path().join("alice.key.pub");
    std::fs::copy(format!("{}.pub", team.reviewer_key.display()), &public).unwrap();
    let out = try_review_list(&server.url, &public);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("is a public key file"),
        "{}",
        stderr(&out)
    );

    let bob = team.new_identity("bob");
    let out = tipseal([
        OsStr::new("admin"),
        OsStr::new("add-reviewer"),
        OsStr::new("--admin-key"),
        team.admin_key.as_os_str(),
        OsStr::new("--keyring"),
        team.keyring.as_os_str(),
        OsStr::new("--reviewer"),
        bob.as_os_str(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("is a SECRET key file") && err.contains(".pub"),
        "{err}"
    );
}

#[test]
fn a_server_address_without_its_scheme_says_how_to_write_it() {
    let out = tipseal([
        OsStr::new("submit"),
        OsStr::new("--server"),
        OsStr::new("abcdefghijklmnop.onion"),
        OsStr::new("--tip"),
        a_sample().as_os_str(),
        OsStr::new("--no-receipt"),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("http:// or https://"), "{err}");
    assert!(!err.contains("RelativeUrlWithoutBase"), "{err}");
}

#[test]
fn a_second_server_on_the_same_data_directory_is_told_so_in_words() {
    let team = setup_team();
    let server = team.spawn_server(&[]);
    let out = tipseal([
        OsStr::new("serve"),
        OsStr::new("--listen"),
        OsStr::new("127.0.0.1:0"),
        OsStr::new("--data"),
        server.data_dir.as_os_str(),
        OsStr::new("--keyring"),
        team.keyring.as_os_str(),
    ]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("another tipseal server is using the data directory")
            && err.contains(&server.data_dir.display().to_string())
            && err.contains("--data"),
        "{err}"
    );
    assert!(!err.contains("could not acquire lock"), "{err}");
}

#[test]
fn a_weak_new_passphrase_gets_a_warning_but_the_key_is_made() {
    let dir = TempDir::new().unwrap();
    let keygen = |name: &str, pass: &str| {
        let out = dir.path().join(format!("{name}.key"));
        let res = Command::new(bin())
            .args(["keygen", "--kdf", "interactive", "--out"])
            .arg(&out)
            .env("TIPSEAL_PASSPHRASE", pass)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(res.status.success(), "{}", stderr(&res));
        assert!(out.exists());
        stderr(&res)
    };
    assert!(keygen("weak", "hunter2").contains("easy to guess"));
    assert!(keygen("same", "aaaaaaaaaaaaaaaa").contains("easy to guess"));
    assert!(!keygen("good", PASSPHRASE).contains("easy to guess"));
}

#[test]
fn help_explains_the_passphrase_variable_and_the_keyring_pin() {
    let top = stdout(&tipseal_ok(["--help"]));
    assert!(top.contains("TIPSEAL_PASSPHRASE"), "{top}");
    let keygen = stdout(&tipseal_ok(["keygen", "--help"]));
    assert!(keygen.contains("TIPSEAL_PASSPHRASE"), "{keygen}");
    for cmd in [&["review", "--help"][..], &["review", "list", "--help"]] {
        let help = stdout(&tipseal_ok(cmd));
        assert!(
            help.contains(".keyring-pin") && help.contains("TIPSEAL_PASSPHRASE"),
            "{help}"
        );
    }
    for cmd in [
        &["submit", "--help"][..],
        &["followup", "--help"],
        &["review", "show", "--help"],
        &["admin", "publish", "--help"],
        &["admin", "audit", "--help"],
    ] {
        let help = stdout(&tipseal_ok(cmd));
        assert!(
            help.contains("--proxy") && help.contains("socks5h://"),
            "{cmd:?}: {help}"
        );
    }
}

#[test]
fn the_first_review_command_says_what_the_keyring_pin_file_is() {
    let team = setup_team();
    let server = team.spawn_server(&[]);
    let pin = format!("{}.keyring-pin", team.reviewer_key.display());
    let _ = std::fs::remove_file(&pin);
    let first = try_review_list(&server.url, &team.reviewer_key);
    assert!(first.status.success());
    let err = stderr(&first);
    assert!(
        err.contains(&pin) && err.contains("nothing secret"),
        "{err}"
    );
    let second = try_review_list(&server.url, &team.reviewer_key);
    assert!(!stderr(&second).contains("keyring-pin"), "said once only");
}

#[test]
fn keygen_names_a_missing_directory_and_never_overwrites_a_key() {
    let dir = TempDir::new().unwrap();
    let missing = dir.path().join("no-such-dir/anna.key");
    let out = tipseal([
        OsStr::new("keygen"),
        OsStr::new("--kdf"),
        OsStr::new("interactive"),
        OsStr::new("--out"),
        missing.as_os_str(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("no-such-dir") && err.contains("does not exist"),
        "{err}"
    );
    assert!(!err.contains("key file I/O"), "{err}");

    let key = keygen(dir.path(), "anna");
    let before = std::fs::read(&key).unwrap();
    let out = tipseal([
        OsStr::new("keygen"),
        OsStr::new("--kdf"),
        OsStr::new("interactive"),
        OsStr::new("--out"),
        key.as_os_str(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("never overwritten"),
        "{}",
        stderr(&out)
    );
    assert_eq!(std::fs::read(&key).unwrap(), before, "the key is untouched");
}
