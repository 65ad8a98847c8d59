//! Starting and stopping: keys are written safely, the server will not start without a
//! keyring, answers its health check, and stops gracefully on SIGTERM.

mod common;

use std::ffi::OsStr;
use std::os::unix::fs::PermissionsExt;

use common::*;
use tempfile::TempDir;

#[test]
fn keygen_writes_a_secret_file_only_its_owner_can_read_and_a_public_file_beside_it() {
    let dir = TempDir::new().unwrap();
    let key = keygen(dir.path(), "alice");

    let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the secret key file has mode {mode:o}");
    let public = read_json(&pub_path(&key));
    for field in ["id", "name", "sign_pk", "box_pk"] {
        assert!(
            public[field].is_string(),
            "{field} missing from the public key file: {public}"
        );
    }
    assert_eq!(public["name"], "alice");
    assert!(
        is_hex32(public["id"].as_str().unwrap()),
        "a key id is 32 hex characters"
    );
}

#[test]
fn the_server_refuses_to_start_without_a_keyring_and_says_why() {
    let data = TempDir::new().unwrap();
    let data_dir = data.path().join("data");
    // Through the helper: it gives up (and kills) if the server starts after all.
    let out = tipseal([
        OsStr::new("serve"),
        OsStr::new("--listen"),
        OsStr::new("127.0.0.1:0"),
        OsStr::new("--data"),
        data_dir.as_os_str(),
    ]);

    assert!(!out.status.success(), "the server started with no keyring");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    )
    .to_lowercase();
    assert!(
        said.contains("keyring"),
        "the refusal does not mention the keyring: {said}"
    );
}

#[test]
fn the_server_answers_health_serves_its_keyring_and_stops_gracefully_on_sigterm() {
    let team = setup_team();
    let mut server = team.spawn_server(&[]);

    let health = server.get("/api/v1/health");
    assert_eq!(health.status, 200);
    assert_eq!(health.json()["status"], "ok");
    assert!(health.header("set-cookie").is_none());
    assert_eq!(server_keyring(&server), read_json(&team.keyring));

    let status = server.stop();
    assert!(
        status.success(),
        "SIGTERM should end the server cleanly, got {status}"
    );
}

#[test]
fn a_restarted_server_keeps_its_keyring_and_tips_without_being_given_the_keyring_again() {
    let team = setup_team();
    let data = TempDir::new().unwrap();
    let data_dir = data.path().join("data");
    let keyring = team.keyring.to_str().unwrap();
    let mut first = spawn_server_in(&data_dir, &["--keyring", keyring]);
    let id = submit(&first.url, &a_sample(), &[]);
    first.stop();

    let second = spawn_server_in::<&str>(&data_dir, &[]);
    assert_eq!(server_keyring(&second), read_json(&team.keyring));
    assert_eq!(
        review_ids(&second.url, &team.reviewer_key),
        vec![id.clone()]
    );
    assert_eq!(
        review_show(&second.url, &team.reviewer_key, &id, None)["tip"],
        read_json(&a_sample())
    );
}
