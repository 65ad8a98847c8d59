//! `tipseal doctor`: one test per check (a good deployment passes it, a bad one is named
//! in a sentence), and the command's exit status.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use tipseal::crypto::identity::Identity;
use tipseal::crypto::keyring::{add_reviewer, genesis, verify_chain};
use tipseal::domain::keyring::{KeyringFile, PersonName, PublicKeyFile};
use tipseal::domain::Day;
use tipseal::ops::doctor::{run, Check, Context, Deployment, Finding, Verdict};

struct Site {
    dir: tempfile::TempDir,
    d: Deployment,
    ctx: Context,
}

fn person(name: &str) -> Identity {
    Identity::generate(PersonName::parse(name).unwrap())
}

/// A keyring with one admin and one reviewer, valid for `days`, and the admin's .pub.
fn keyring(dir: &Path, days: u32) -> (PathBuf, PathBuf) {
    tipseal::crypto::init().unwrap();
    let admin = person("admin");
    let g = verify_chain(&genesis(&admin, days).unwrap(), None).unwrap();
    let file = add_reviewer(&g, &admin, person("reviewer").public(), days).unwrap();
    let (k, p) = (dir.join("keyring.json"), dir.join("admin.key.pub"));
    std::fs::write(&k, file.to_json()).unwrap();
    std::fs::write(&p, PublicKeyFile::to_json(&admin.public())).unwrap();
    (k, p)
}

/// The address `deploy/torrc` forwards the onion service to.
const SOCKET: &str = "unix:/run/tipseal/tipseal.sock";

/// A deployment that passes every check.
fn good_site() -> Site {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o700)).unwrap();
    let (k, p) = keyring(dir.path(), 90);
    let torrc = dir.path().join("torrc");
    std::fs::write(&torrc, include_str!("../deploy/torrc")).unwrap();
    let d = Deployment {
        data,
        keyring: Some(k),
        admin_pub: vec![p],
        listen: SOCKET.into(),
        log_witness_requests: false,
        log_filter: Some("info".into()),
        min_free_bytes: 0,
        torrc: Some(torrc),
    };
    let ctx = Context::here();
    Site { dir, d, ctx }
}

fn finding(s: &Site, check: Check) -> Finding {
    run(&s.d, &s.ctx)
        .into_iter()
        .find(|f| f.check == check)
        .unwrap()
}

fn assert_verdict(s: &Site, check: Check, verdict: Verdict, words: &str) {
    let f = finding(s, check);
    assert_eq!(f.verdict, verdict, "{check:?}: {}", f.sentence);
    assert!(
        f.sentence.contains(words),
        "{check:?}: {:?} should say {words:?}",
        f.sentence
    );
}

#[test]
fn a_good_deployment_passes_every_check() {
    let s = good_site();
    for f in run(&s.d, &s.ctx) {
        assert_eq!(f.verdict, Verdict::Ok, "{:?}: {}", f.check, f.sentence);
    }
}

#[test]
fn a_data_directory_open_to_others_or_missing_or_not_ours_fails() {
    let mut s = good_site();
    std::fs::set_permissions(&s.d.data, std::fs::Permissions::from_mode(0o755)).unwrap();
    assert_verdict(&s, Check::DataDir, Verdict::Fail, "chmod 700");
    std::fs::set_permissions(&s.d.data, std::fs::Permissions::from_mode(0o700)).unwrap();
    let inner = s.d.data.join("db");
    std::fs::write(&inner, b"x").unwrap();
    std::fs::set_permissions(&inner, std::fs::Permissions::from_mode(0o644)).unwrap();
    assert_verdict(&s, Check::DataDir, Verdict::Fail, "go-rwx");
    std::fs::set_permissions(&inner, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert_verdict(&s, Check::DataDir, Verdict::Ok, "closed to everyone else");
    s.ctx.uid = s.ctx.uid.wrapping_add(1);
    assert_verdict(
        &s,
        Check::DataDir,
        Verdict::Fail,
        "run the doctor as the service user",
    );
    s.d.data = s.dir.path().join("missing");
    assert_verdict(&s, Check::DataDir, Verdict::Fail, "does not exist");
}

#[test]
fn an_expired_keyring_fails_and_one_about_to_expire_warns() {
    let mut s = good_site();
    let (k, _) = keyring(s.dir.path(), 5);
    s.d.keyring = Some(k);
    // The admin pins belong to the first keyring: this check is about expiry.
    assert_verdict(&s, Check::Keyring, Verdict::Warn, "admin renew");
    s.ctx.today = Day::today().plus_days(6);
    assert_verdict(&s, Check::Keyring, Verdict::Fail, "expired on");
}

#[test]
fn a_broken_or_reviewerless_keyring_fails() {
    let mut s = good_site();
    let k = s.d.keyring.clone().unwrap();
    let mut file = KeyringFile::from_json(&std::fs::read(&k).unwrap()).unwrap();
    file.manifests[1].signatures[0].signature = file.manifests[0].signatures[0].signature.clone();
    std::fs::write(&k, file.to_json()).unwrap();
    assert_verdict(&s, Check::Keyring, Verdict::Fail, "does not verify");
    std::fs::write(&k, b"{}").unwrap();
    assert_verdict(&s, Check::Keyring, Verdict::Fail, "is not a keyring");
    let admin = person("admin");
    std::fs::write(&k, genesis(&admin, 90).unwrap().to_json()).unwrap();
    assert_verdict(&s, Check::Keyring, Verdict::Fail, "names no reviewer");
    s.d.keyring = None;
    assert_verdict(&s, Check::Keyring, Verdict::Skipped, "No keyring file");
}

#[test]
fn unpinned_or_mismatched_admin_keys_fail() {
    let mut s = good_site();
    let other = s.dir.path().join("other.pub");
    std::fs::write(&other, PublicKeyFile::to_json(&person("mallory").public())).unwrap();
    s.d.admin_pub = vec![other];
    assert_verdict(&s, Check::AdminPins, Verdict::Fail, "does not list exactly");
    s.d.admin_pub = vec![s.dir.path().join("nope.pub")];
    assert_verdict(&s, Check::AdminPins, Verdict::Fail, "cannot be read");
    s.d.admin_pub.clear();
    assert_verdict(
        &s,
        Check::AdminPins,
        Verdict::Fail,
        "No admin key is pinned",
    );
}

#[test]
fn a_clearnet_listen_address_warns_and_loopback_or_a_socket_does_not() {
    let mut s = good_site();
    for addr in [
        "0.0.0.0:8080",
        "203.0.113.7:80",
        "[::]:8080",
        "example.org:80",
    ] {
        s.d.listen = addr.into();
        assert_verdict(&s, Check::Listen, Verdict::Warn, "clearnet");
    }
    for addr in [
        "127.0.0.1:8080",
        "[::1]:8080",
        "localhost:8080",
        "unix:/run/tipseal/tipseal.sock",
    ] {
        s.d.listen = addr.into();
        assert_eq!(finding(&s, Check::Listen).verdict, Verdict::Ok, "{addr}");
    }
}

#[test]
fn logging_witness_requests_fails_and_a_debug_filter_warns() {
    let mut s = good_site();
    s.d.log_filter = Some("tipseal=debug".into());
    assert_verdict(&s, Check::Logs, Verdict::Warn, "use info");
    s.d.log_witness_requests = true;
    assert_verdict(&s, Check::Logs, Verdict::Fail, "Turn it off");
}

#[test]
fn free_disk_under_the_floor_fails() {
    let mut s = good_site();
    s.d.min_free_bytes = u64::MAX;
    assert_verdict(&s, Check::Disk, Verdict::Fail, "507");
    s.d.min_free_bytes = 0;
    assert_verdict(&s, Check::Disk, Verdict::Ok, "free");
}

#[test]
fn a_clock_behind_the_keyring_or_before_the_release_fails() {
    let mut s = good_site();
    s.ctx.today = Day::today().plus_days(-3);
    assert_verdict(&s, Check::Clock, Verdict::Fail, "this clock is behind");
    s.ctx.today = Day::from_days(0);
    assert_verdict(
        &s,
        Check::Clock,
        Verdict::Fail,
        "before this release existed",
    );
}

#[test]
fn a_torrc_that_misses_the_server_or_the_pow_defence_fails() {
    let mut s = good_site();
    let torrc = s.d.torrc.clone().unwrap();
    s.d.listen = "127.0.0.1:9999".into();
    assert_verdict(
        &s,
        Check::Tor,
        Verdict::Fail,
        "points at the server's address",
    );
    s.d.listen = SOCKET.into();
    let snippet = include_str!("../deploy/torrc");
    std::fs::write(
        &torrc,
        snippet.replace("PoWDefensesEnabled 1", "PoWDefensesEnabled 0"),
    )
    .unwrap();
    assert_verdict(
        &s,
        Check::Tor,
        Verdict::Fail,
        "proof-of-work defence is off",
    );
    // A loopback TCP target works as well as the shipped Unix socket.
    let tcp = snippet.replace(SOCKET, "127.0.0.1:8080");
    std::fs::write(&torrc, tcp).unwrap();
    s.d.listen = "127.0.0.1:8080".into();
    assert_verdict(&s, Check::Tor, Verdict::Ok, "proof-of-work defence on");
    s.d.torrc = None;
    assert_verdict(&s, Check::Tor, Verdict::Skipped, "--torrc");
}

#[test]
fn the_command_prints_a_line_per_check_and_exits_non_zero_on_a_failure() {
    let s = good_site();
    let bin = env!("CARGO_BIN_EXE_tipseal");
    let args = |s: &Site| {
        let mut a = vec![
            "doctor".to_owned(),
            "--data".into(),
            s.d.data.display().to_string(),
            "--keyring".into(),
            s.d.keyring.as_ref().unwrap().display().to_string(),
            "--admin-pub".into(),
            s.d.admin_pub[0].display().to_string(),
            "--torrc".into(),
            s.d.torrc.as_ref().unwrap().display().to_string(),
        ];
        let cfg = s.dir.path().join("tipseal.toml");
        let toml = format!("[server]\nlisten = \"{SOCKET}\"\nmin_free_bytes = 0\n");
        std::fs::write(&cfg, toml).unwrap();
        a.extend(["--config".into(), cfg.display().to_string()]);
        a
    };
    let out = Command::new(bin)
        .args(args(&s))
        .env("TIPSEAL_LOG", "info")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        text.lines().filter(|l| l.starts_with("ok  ")).count(),
        8,
        "{text}"
    );
    std::fs::set_permissions(&s.d.data, std::fs::Permissions::from_mode(0o750)).unwrap();
    let out = Command::new(bin)
        .args(args(&s))
        .env("TIPSEAL_LOG", "info")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success());
    assert!(text.contains("FAIL data directory:"), "{text}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("1 check(s) failed"));
}
