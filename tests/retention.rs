//! Retention: a deleted tip's ciphertext is gone from the data directory once the
//! database is compacted, while the tips that were kept still open.

mod common;

use std::ffi::OsStr;

use common::*;

fn ok(out: std::process::Output, what: &str) -> std::process::Output {
    assert!(
        out.status.success(),
        "{what} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Posts a sealed bundle; its id.
fn post(server: &ServerGuard, bundle: &[u8]) -> String {
    let resp = raw_http(server.addr, None, &post_tip_request(bundle, None));
    assert_eq!(resp.status, 201, "{}", String::from_utf8_lossy(&resp.body));
    resp.json()["id"].as_str().unwrap().to_owned()
}

/// A distinctive run of a bundle's ciphertext: 48 bytes a quarter into it, inside the
/// sealed body and its first stored chunk (past the header and wrap, short of 32 KiB).
fn needle(bundle: &[u8]) -> Vec<u8> {
    let at = bundle.len() / 4;
    assert!(
        at > 400,
        "the bundle is too short to take a chunk of its body"
    );
    bundle[at..at + 48].to_vec()
}

#[test]
fn a_deleted_tips_ciphertext_is_nowhere_in_the_data_directory_after_compaction() {
    let team = setup_team();
    let mut server = team.spawn_server(&[]);
    let tip = read_json(&a_sample());
    let doomed = seal_bundle(&server.url, &tip);
    let kept = seal_bundle(&server.url, &tip);
    let doomed_id = post(&server, &doomed);
    let kept_id = post(&server, &kept);
    let data = server.data_dir.clone();
    assert!(
        !grep_dir(&data, &needle(&doomed)).is_empty(),
        "the scan must see a stored tip's ciphertext before deletion"
    );

    ok(
        review(&["sync"], &server.url, &team.reviewer_key),
        "review sync",
    );
    ok(
        review(
            &[
                "delete",
                &doomed_id,
                "--reason",
                "retention: closed 90 days ago",
            ],
            &server.url,
            &team.reviewer_key,
        ),
        "review delete",
    );
    let lingering = grep_dir(&data, &needle(&doomed));
    eprintln!(
        "after DELETE, before compaction: the deleted ciphertext is still in {} file(s) of the data directory",
        lingering.len()
    );
    server.stop();

    let out = ok(
        tipseal([
            OsStr::new("admin"),
            OsStr::new("compact"),
            OsStr::new("--data"),
            data.as_os_str(),
        ]),
        "admin compact",
    );
    eprintln!("{}", String::from_utf8_lossy(&out.stdout));
    let found = grep_dir(&data, &needle(&doomed));
    assert!(
        found.is_empty(),
        "the deleted tip's ciphertext is still in {found:?}"
    );
    assert!(
        !grep_dir(&data, &needle(&kept)).is_empty(),
        "the kept tip's ciphertext should still be there (the scan works)"
    );

    let again = spawn_server_in(&data, &[] as &[&str]);
    let ids = review_ids(&again.url, &team.reviewer_key);
    assert_eq!(ids, vec![kept_id.clone()]);
    assert_eq!(
        review_show(&again.url, &team.reviewer_key, &kept_id, None)["tip"],
        tip
    );
}

#[test]
fn compaction_refuses_while_the_server_runs() {
    let team = setup_team();
    let server = team.spawn_server(&[]);
    let out = tipseal([
        OsStr::new("admin"),
        OsStr::new("compact"),
        OsStr::new("--data"),
        server.data_dir.as_os_str(),
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("stop the server first"), "{err}");
}

#[test]
fn the_reviewers_client_deletes_tips_closed_past_the_policy_only_when_told_yes() {
    let team = setup_team();
    let server = team.spawn_server(&[]);
    let me = team.reviewer_key.clone();
    let dismissed = submit(&server.url, &a_sample(), &[]);
    let open = submit(&server.url, &a_sample(), &[]);
    ok(review(&["sync"], &server.url, &me), "review sync");
    ok(
        review(
            &["triage", &dismissed, "--status", "dismissed"],
            &server.url,
            &me,
        ),
        "review triage",
    );

    let listed = json_stdout(&ok(
        review(
            &["retention", "--closed-days", "0", "--json"],
            &server.url,
            &me,
        ),
        "retention",
    ));
    assert_eq!(listed["due"], serde_json::json!([dismissed]), "{listed}");
    assert_eq!(
        listed["deleted"],
        serde_json::json!([]),
        "without --yes nothing is deleted"
    );
    assert_eq!(review_ids(&server.url, &me).len(), 2);

    // Dismissed today: not yet a day ago.
    let none = json_stdout(&ok(
        review(
            &["retention", "--closed-days", "1", "--yes", "--json"],
            &server.url,
            &me,
        ),
        "retention",
    ));
    assert_eq!(none["deleted"], serde_json::json!([]), "{none}");

    let done = json_stdout(&ok(
        review(
            &["retention", "--closed-days", "0", "--yes", "--json"],
            &server.url,
            &me,
        ),
        "retention",
    ));
    assert_eq!(done["deleted"], serde_json::json!([dismissed]), "{done}");
    assert_eq!(review_ids(&server.url, &me), vec![open]);
}
