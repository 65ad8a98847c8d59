//! Backups: taken while witnesses submit, restored into a fresh directory, a server on it
//! gives a reviewer every tip acknowledged before the backup started; a damaged file is
//! refused whole; the file holds sealed bytes only.

mod common;

use std::collections::HashSet;
use std::ffi::OsStr;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;
use tempfile::TempDir;

/// Concurrent witnesses during the backup.
const WITNESSES: usize = 4;
/// Load before the backup starts, and after it ends.
const LOAD: Duration = Duration::from_millis(1500);

/// Acknowledged submissions of one witness: (tip id, when the answer arrived).
fn witness(
    server: SocketAddr,
    keyring: Arc<Vec<u8>>,
    tip: Arc<Value>,
    stop: Arc<AtomicBool>,
) -> Vec<(String, Instant)> {
    let mut acked = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        for body in seal_bundles_with_keyring(&keyring, &tip, 8) {
            if stop.load(Ordering::Relaxed) {
                break;
            }
            let key = random_hex(12);
            let Ok(resp) = try_raw_http(server, None, &post_tip_request(&body, Some(&key))) else {
                continue;
            };
            if resp.status == 201 {
                let id = resp.json()["id"].as_str().expect("an id").to_owned();
                acked.push((id, Instant::now()));
            }
        }
    }
    acked
}

fn admin(args: &[&OsStr]) -> std::process::Output {
    let mut all = vec![OsStr::new("admin")];
    all.extend_from_slice(args);
    tipseal(all)
}

fn backup(data: &Path, out: &Path) -> std::process::Output {
    admin(&[
        OsStr::new("backup"),
        OsStr::new("--data"),
        data.as_os_str(),
        OsStr::new("--out"),
        out.as_os_str(),
    ])
}

fn restore(from: &Path, data: &Path) -> std::process::Output {
    admin(&[
        OsStr::new("restore"),
        OsStr::new("--from"),
        from.as_os_str(),
        OsStr::new("--data"),
        data.as_os_str(),
    ])
}

fn assert_ok(out: &std::process::Output, what: &str) {
    assert!(
        out.status.success(),
        "{what} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Every string in a tip document at least `min` bytes long.
fn strings(v: &Value, min: usize, out: &mut Vec<String>) {
    match v {
        Value::String(s) if s.len() >= min => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|v| strings(v, min, out)),
        Value::Object(o) => o.values().for_each(|v| strings(v, min, out)),
        _ => {}
    }
}

#[test]
fn a_backup_under_load_restores_every_tip_acknowledged_before_it_started() {
    let team = setup_team();
    let server = team.spawn_server(&["--rate-intake", "off"]);
    let tip = Arc::new(read_json(&a_sample()));
    let keyring = Arc::new(server.get("/api/v1/keyring").body);
    let work = TempDir::new().unwrap();
    let file = work.path().join("tipseal.backup");

    let stop = Arc::new(AtomicBool::new(false));
    // Stops the witnesses however the scope's body ends: a failed assertion in it must
    // fail the test, not wait forever for witnesses that never stop.
    struct StopOnDrop(Arc<AtomicBool>);
    impl Drop for StopOnDrop {
        fn drop(&mut self) {
            self.0.store(true, Ordering::Relaxed);
        }
    }
    let (acked, started, took) = thread::scope(|s| {
        let _stop_on_exit = StopOnDrop(stop.clone());
        let witnesses: Vec<_> = (0..WITNESSES)
            .map(|_| {
                let (k, t, st) = (keyring.clone(), tip.clone(), stop.clone());
                let addr = server.addr;
                s.spawn(move || witness(addr, k, t, st))
            })
            .collect();
        thread::sleep(LOAD);
        let started = Instant::now();
        let out = backup(&server.data_dir, &file);
        let took = started.elapsed();
        assert_ok(&out, "admin backup while witnesses submit");
        thread::sleep(LOAD / 3);
        stop.store(true, Ordering::Relaxed);
        let acked: Vec<(String, Instant)> = witnesses
            .into_iter()
            .flat_map(|w| w.join().expect("witness thread"))
            .collect();
        (acked, started, took)
    });
    let before: HashSet<&str> = acked
        .iter()
        .filter(|(_, at)| *at < started)
        .map(|(id, _)| id.as_str())
        .collect();
    let during_or_after = acked.len() - before.len();
    assert!(
        !before.is_empty(),
        "no tip was acknowledged before the backup"
    );
    assert!(
        during_or_after > 0,
        "the witnesses did not submit while and after the backup ran"
    );

    // Sealed bytes only: no string of the tip is in the file.
    let bytes = std::fs::read(&file).unwrap();
    let mut texts = Vec::new();
    strings(&tip, 12, &mut texts);
    assert!(!texts.is_empty());
    for t in &texts {
        assert!(
            !contains(&bytes, t.as_bytes()),
            "plaintext {t:?} is in the backup"
        );
    }

    // Restore into a fresh directory and boot a server on it.
    let restored = work.path().join("restored");
    assert_ok(&restore(&file, &restored), "admin restore");
    let again = spawn_server_in(&restored, &[] as &[&str]);
    let rows = review_list(&again.url, &team.reviewer_key);
    let listed: HashSet<&str> = rows.iter().filter_map(|r| r["id"].as_str()).collect();
    let missing: Vec<&&str> = before.iter().filter(|id| !listed.contains(**id)).collect();
    assert!(
        missing.is_empty(),
        "acknowledged before the backup, missing after restore: {missing:?}"
    );
    for r in &rows {
        assert!(
            r.get("unreadable").is_none_or(Value::is_null),
            "a restored tip does not open: {r}"
        );
    }
    let mut sorted: Vec<&(String, Instant)> =
        acked.iter().filter(|(_, at)| *at < started).collect();
    sorted.sort_by_key(|(_, at)| *at);
    for (id, _) in [sorted.first(), sorted.last()].into_iter().flatten() {
        assert_eq!(
            review_show(&again.url, &team.reviewer_key, id, None)["tip"],
            *tip
        );
    }
    eprintln!(
        "backup under load (loaded machine): {} tips acknowledged before it, {} while or after; \
         {} in the restored server; backup took {took:?}, {} bytes",
        before.len(),
        during_or_after,
        listed.len(),
        bytes.len()
    );
}

#[test]
fn a_damaged_backup_is_refused_whole_and_nothing_is_overwritten() {
    let team = setup_team();
    let mut server = team.spawn_server(&[]);
    submit(&server.url, &a_sample(), &[]);
    let work = TempDir::new().unwrap();
    let file = work.path().join("b.backup");
    assert_ok(&backup(&server.data_dir, &file), "admin backup");

    // Never over an existing file.
    let out = backup(&server.data_dir, &file);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("already exists"), "{}", stderr(&out));
    server.stop();
    // With the server stopped the directory is read directly.
    let offline = work.path().join("offline.backup");
    assert_ok(
        &backup(&server.data_dir, &offline),
        "admin backup of a stopped server",
    );

    let good = std::fs::read(&file).unwrap();
    for (name, damaged, expect) in [
        ("flipped", flip(&good, good.len() / 2), "the backup file is"),
        ("flipped-hash", flip(&good, good.len() - 3), "corrupted"),
        ("truncated", good[..good.len() - 40].to_vec(), "truncated"),
    ] {
        let bad = work.path().join(name);
        std::fs::write(&bad, &damaged).unwrap();
        let target = work.path().join(format!("{name}-data"));
        let out = restore(&bad, &target);
        assert!(
            !out.status.success(),
            "{name}: a damaged backup was restored"
        );
        assert!(stderr(&out).contains(expect), "{name}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("nothing was restored"),
            "{name}: {}",
            stderr(&out)
        );
        assert!(
            !target.exists(),
            "{name}: a half-restored directory was left"
        );
    }

    // Only into a new or empty directory.
    let out = restore(&file, &server.data_dir);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("already holds data"),
        "{}",
        stderr(&out)
    );
}

fn flip(b: &[u8], at: usize) -> Vec<u8> {
    let mut v = b.to_vec();
    v[at] ^= 0x01;
    v
}
