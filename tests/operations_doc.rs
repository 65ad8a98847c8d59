//! `docs/operations.md` is a runbook, so it is run: every command block is marked either
//! `<!-- run: tested -->` (run here, in order, in one scratch directory) or
//! `<!-- run: not testable here — why -->`; and every `tipseal …` command it names exists.
//!
//! Running the tested blocks: `/etc/`, `/var/` and `/run/` become directories under the
//! scratch directory (the test is not root and must not touch the host), `sudo -u tipseal `
//! is dropped (the test owns every file, as the service user would), `deploy/` and
//! `scripts/` are the repository's, `tipseal` is this build, and `TIPSEAL_PASSPHRASE`
//! answers the passphrase prompts. Nothing else in a command is changed.

use std::path::Path;
use std::process::Command;

const DOC: &str = include_str!("../docs/operations.md");

struct Block {
    tested: bool,
    line: usize,
    text: String,
}

/// Every fenced `sh` block with the marker on the line before it.
fn blocks() -> Vec<Block> {
    let lines: Vec<&str> = DOC.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if lines[i].trim() == "```sh" {
            let marker = lines[..i]
                .iter()
                .rev()
                .find(|l| !l.trim().is_empty())
                .copied()
                .unwrap_or("");
            let tested = marker.trim() == "<!-- run: tested -->";
            assert!(
                tested || marker.trim().starts_with("<!-- run: not testable here — "),
                "docs/operations.md line {}: a command block needs a `run:` marker, got {marker:?}",
                i + 1
            );
            let start = i + 1;
            let mut text = String::new();
            i += 1;
            while lines[i].trim() != "```" {
                text.push_str(lines[i]);
                text.push('\n');
                i += 1;
            }
            out.push(Block {
                tested,
                line: start,
                text,
            });
        }
        i += 1;
    }
    out
}

fn help_commands(bin: &str, args: &[&str]) -> Vec<String> {
    let out = Command::new(bin).args(args).arg("--help").output().unwrap();
    assert!(out.status.success(), "{args:?} --help fails");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.split("Commands:")
        .nth(1)
        .unwrap_or("")
        .split("\n\n")
        .next()
        .unwrap_or("")
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .collect()
}

#[test]
fn every_command_block_is_marked_tested_or_says_why_not() {
    let b = blocks();
    assert!(
        b.iter().filter(|b| b.tested).count() >= 8,
        "most of the guide is run"
    );
    for block in &b {
        assert!(
            !block.text.trim().is_empty(),
            "line {}: empty block",
            block.line
        );
    }
}

#[test]
fn every_tipseal_command_the_guide_names_exists() {
    let bin = env!("CARGO_BIN_EXE_tipseal");
    let top = help_commands(bin, &[]);
    let mut checked = 0;
    for (at, _) in DOC.match_indices("tipseal ") {
        let words: Vec<&str> = DOC[at + "tipseal ".len()..]
            .split(|c: char| c.is_whitespace() || c == '`' || c == ')')
            .take(2)
            .collect();
        let Some(&cmd) = words.first() else { continue };
        // Only command words: not prose ("tipseal is …"), paths or flags.
        if cmd.is_empty()
            || cmd.starts_with('-')
            || !cmd.chars().all(|c| c.is_ascii_lowercase() || c == '-')
        {
            continue;
        }
        if !top.contains(&cmd.to_owned()) {
            // Prose ("tipseal only …") is not a command; a command is written as code:
            // after a backtick, or at the start of a line or after `sudo -u tipseal `.
            let before = &DOC[..at];
            let as_code = before.ends_with('`')
                || before.ends_with('\n')
                || before.ends_with("sudo -u tipseal ");
            assert!(
                !as_code,
                "docs/operations.md names `tipseal {cmd}`, which `tipseal --help` does not list"
            );
            continue;
        }
        let sub = words.get(1).copied().unwrap_or("");
        if matches!(cmd, "admin" | "review")
            && sub.chars().all(|c| c.is_ascii_lowercase() || c == '-')
            && !sub.is_empty()
        {
            let name = format!("{cmd} {sub}");
            let listed = help_commands(bin, &[cmd]).contains(&sub.to_owned());
            assert!(
                listed,
                "docs/operations.md names `tipseal {name}`, which `tipseal {cmd} --help` does not list"
            );
        }
        checked += 1;
    }
    assert!(
        checked >= 20,
        "the guide names tipseal commands ({checked} checked)"
    );
}

#[test]
fn the_tested_blocks_run_in_order_from_a_bare_directory() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let scratch = tempfile::tempdir().unwrap();
    let root = scratch.path().join("root");
    let work = scratch.path().join("work");
    let bin_dir = scratch.path().join("bin");
    for d in [&work, &bin_dir, &root.join("etc/tor")] {
        std::fs::create_dir_all(d).unwrap();
    }
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_tipseal"), bin_dir.join("tipseal")).unwrap();
    std::os::unix::fs::symlink(repo.join("scripts"), work.join("scripts")).unwrap();
    let root_s = root.display().to_string();
    // deploy/ is copied, with the torrc's socket path moved under the scratch root like
    // every path in the commands, so the doctor compares like with like.
    std::fs::create_dir(work.join("deploy")).unwrap();
    for entry in std::fs::read_dir(repo.join("deploy")).unwrap() {
        let entry = entry.unwrap();
        let mut bytes = std::fs::read(entry.path()).unwrap();
        if entry.file_name() == "torrc" {
            let text = String::from_utf8(bytes).unwrap();
            bytes = text
                .replace("/run/", &format!("{root_s}/run/"))
                .into_bytes();
        }
        std::fs::write(work.join("deploy").join(entry.file_name()), bytes).unwrap();
    }
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    for block in blocks().into_iter().filter(|b| b.tested) {
        let script = block
            .text
            .replace("sudo -u tipseal ", "")
            .replace("/etc/", &format!("{root_s}/etc/"))
            .replace("/var/", &format!("{root_s}/var/"))
            .replace("/run/", &format!("{root_s}/run/"));
        let out = Command::new("bash")
            .args(["-euo", "pipefail", "-c", &script])
            .current_dir(&work)
            .env("PATH", &path)
            .env("TIPSEAL_PASSPHRASE", "correct horse battery staple 42")
            .env_remove("TIPSEAL_LOG")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "docs/operations.md block at line {} failed:\n{script}\n--- stdout\n{}\n--- stderr\n{}",
            block.line,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // The guide's end state: the server's configuration pins the admin and names the keyring.
    let conf = std::fs::read_to_string(root.join("etc/tipseal/tipseal.toml")).unwrap();
    assert!(conf.contains("admin_pub = [\""), "{conf}");
    assert!(conf.contains(&format!("keyring = \"{root_s}/etc/tipseal/keyring.json\"")));
}
