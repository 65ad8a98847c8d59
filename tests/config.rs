//! `tipseal serve --config`: the layers' precedence, flag > environment > file > default,
//! as the real binary applies them (`--print-config` shows the result and exits).

use std::process::Command;

fn listen(args: &[&str], env: Option<&str>) -> String {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tipseal"));
    c.arg("serve").args(args).arg("--print-config");
    c.env_remove("TIPSEAL_SERVER_LISTEN");
    if let Some(v) = env {
        c.env("TIPSEAL_SERVER_LISTEN", v);
    }
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let conf: toml::Table = toml::from_str(&text).unwrap();
    conf["server"]["listen"].as_str().unwrap().to_owned()
}

#[test]
fn a_flag_beats_the_environment_which_beats_the_file_which_beats_the_default() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tipseal.toml");
    std::fs::write(&file, "[server]\nlisten = \"127.0.0.1:1111\"\n").unwrap();
    let f = file.to_str().unwrap();
    let flag = ["--config", f, "--listen", "127.0.0.1:3333"];
    assert_eq!(listen(&flag, Some("127.0.0.1:2222")), "127.0.0.1:3333");
    assert_eq!(
        listen(&["--config", f], Some("127.0.0.1:2222")),
        "127.0.0.1:2222"
    );
    assert_eq!(listen(&["--config", f], None), "127.0.0.1:1111");
    assert_eq!(listen(&[], None), "127.0.0.1:8080");
}

#[test]
fn an_unknown_option_stops_the_server_before_it_starts_naming_the_option() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tipseal.toml");
    std::fs::write(&file, "[log]\nwitness_request = false\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_tipseal"))
        .args(["serve", "--config", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown option log.witness_request"), "{err}");
    assert!(
        err.contains("witness_requests"),
        "the real option is named: {err}"
    );
}
