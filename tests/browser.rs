//! The browser tests (`tests/browser/*.test.mjs`): Debian's Chromium, driven by
//! playwright-core, against the real `tipseal serve`. They need `node`, `/usr/bin/chromium`
//! and `tests/browser/node_modules/playwright-core`; `bash scripts/test-all.sh` installs all
//! three and runs every test. Without them this test prints a loud SKIPPED line and passes,
//! unless `TIPSEAL_BROWSER_TESTS=require`, when it fails with the command to run.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

const CHROMIUM: &str = "/usr/bin/chromium";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn has_node() -> bool {
    Command::new("node")
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// What is missing to run the browser tests, if anything.
fn missing(browser_dir: &Path) -> Vec<&'static str> {
    let mut m = Vec::new();
    if !has_node() {
        m.push("node (apt-get install -y nodejs npm)");
    }
    if !Path::new(CHROMIUM).exists() {
        m.push("/usr/bin/chromium (apt-get install -y chromium fonts-noto-cjk fonts-noto-core)");
    }
    if !browser_dir
        .join("node_modules/playwright-core/package.json")
        .exists()
    {
        m.push("tests/browser/node_modules/playwright-core (npm ci --prefix tests/browser)");
    }
    m
}

#[test]
fn witness_page_in_chromium() {
    let browser_dir = repo().join("tests/browser");
    let missing = missing(&browser_dir);
    if !missing.is_empty() {
        let what = missing.join(", ");
        if std::env::var("TIPSEAL_BROWSER_TESTS").as_deref() == Ok("require") {
            panic!(
                "TIPSEAL_BROWSER_TESTS=require but the browser tests cannot run: missing {what}.\n\
                 Install everything and run every test with:  bash scripts/test-all.sh\n\
                 (as root: apt-get update && apt-get install -y chromium fonts-noto-cjk fonts-noto-core; \
                 npm ci --prefix tests/browser)"
            );
        }
        // Written straight to stderr (not eprintln!, which the test harness captures and
        // hides for a passing test): the skip must be seen.
        let _ = std::io::stderr().write_all(
            format!(
                "\n\
                 ************************************************************************\n\
                 * SKIPPED: browser tests (tests/browser/) did not run: missing {what}\n\
                 * Run them with:  bash scripts/test-all.sh   (installs Chromium from\n\
                 * Debian, playwright-core from npm, then runs every test)\n\
                 ************************************************************************\n"
            )
            .as_bytes(),
        );
        return;
    }

    let out = Command::new("node")
        .arg("--test")
        .arg("--test-concurrency=1")
        // Per file, with room: shared-phone.test.mjs, the longest, takes ~110 s on an idle
        // machine (it took ~310 s while Back/Forward waited out Firefox's missing navigation
        // events, when a 300 s limit cut it off on a loaded machine).
        .arg("--test-timeout=900000")
        .arg(&browser_dir)
        .current_dir(repo())
        .env("TIPSEAL_BIN", env!("CARGO_BIN_EXE_tipseal"))
        .env("CHROMIUM", CHROMIUM)
        .output()
        .expect("node starts");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // The whole output shows with `cargo test -- --nocapture`, and always on failure; the
    // measurements and the totals always (written past the harness's capture).
    let summary: String = stdout
        .lines()
        .filter(|l| {
            l.starts_with("not ok")
                || [
                    "# PAGE WEIGHT",
                    "# SEAL",
                    "# NOTE",
                    "# tests ",
                    "# pass ",
                    "# fail ",
                ]
                .iter()
                .any(|p| l.starts_with(p))
        })
        .map(|l| format!("browser: {l}\n"))
        .collect();
    let _ = std::io::stdout().write_all(summary.as_bytes());
    println!("{stdout}");
    eprintln!("{stderr}");
    assert!(
        out.status.success(),
        "node --test tests/browser/ failed ({})\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        out.status
    );
}
