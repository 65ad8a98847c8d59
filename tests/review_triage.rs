//! `tipseal review triage | history | delete` against a real server: two reviewers
//! changing the same tip at the same time (both edits survive, or the loser is told why),
//! a label new to the team's vocabulary (added, with a notice), history with names and
//! verification, a change made while the server is down (queued, sent by the next sync),
//! and a deletion recorded in the log before the server deletes.

mod common;

use std::ffi::OsStr;
use std::path::Path;
use std::process::Output;

use common::*;
use serde_json::Value;

fn ok(out: Output) -> Output {
    assert!(
        out.status.success(),
        "failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A team of two reviewers (the setup's "reviewer" and "bob") on a server with one tip
/// each has synced; (server, bob's key, tip id).
fn two_reviewers(team: &Team, server: &ServerGuard) -> (std::path::PathBuf, String) {
    let bob = team.new_identity("bob");
    team.add_reviewer(&bob);
    team.publish(&server.url);
    let id = submit(&server.url, &a_sample(), &[]);
    for key in [&team.reviewer_key, &bob] {
        ok(review(&["sync"], &server.url, key));
    }
    (bob, id)
}

fn history(server: &str, key: &Path, id: &str) -> Vec<Value> {
    json_stdout(&ok(review(&["history", id, "--json"], server, key)))
        .as_array()
        .expect("an array")
        .clone()
}

fn row(server: &str, key: &Path, id: &str) -> Value {
    json_stdout(&ok(review(&["list", "--json"], server, key)))
        .as_array()
        .expect("an array")
        .iter()
        .find(|r| r["id"] == id)
        .cloned()
        .expect("the tip is listed")
}

#[test]
fn two_reviewers_at_once_both_edits_survive_or_the_loser_is_told_why() {
    let team = setup_team();
    let server = team.spawn_server(&[]);
    let (bob, id) = two_reviewers(&team, &server);
    let me = team.reviewer_key.clone();

    // Different labels at the same time: both land (one of them after a 409 and a merge).
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| review(&["triage", &id, "--label", "alpha"], &server.url, &me));
        let b = s.spawn(|| review(&["triage", &id, "--label", "beta"], &server.url, &bob));
        (a.join().unwrap(), b.join().unwrap())
    });
    ok(a);
    ok(b);
    let r = row(&server.url, &me, &id);
    let mut labels: Vec<&str> = r["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    labels.sort();
    assert_eq!(labels, ["alpha", "beta"], "{r}");

    // The same status move at the same time: one lands, the other is told it no longer
    // applies (never applied twice, never lost without a word).
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| review(&["triage", &id, "--status", "in_review"], &server.url, &me));
        let b = s.spawn(|| review(&["triage", &id, "--status", "in_review"], &server.url, &bob));
        (a.join().unwrap(), b.join().unwrap())
    });
    let won = [&a, &b].iter().filter(|o| o.status.success()).count();
    assert_eq!(won, 1, "a: {}\nb: {}", text(&a.stderr), text(&b.stderr));
    let loser = if a.status.success() { &b } else { &a };
    assert!(
        text(&loser.stderr).contains("cannot go from in_review to in_review"),
        "{}",
        text(&loser.stderr)
    );

    let h = history(&server.url, &me, &id);
    assert_eq!(h.len(), 3, "{h:?}");
    assert!(h.iter().all(|e| e["verified"] == true), "{h:?}");
    let who: Vec<&str> = h.iter().map(|e| e["who"].as_str().unwrap()).collect();
    assert!(who.contains(&"bob") && who.contains(&"alice"), "{who:?}");
}

#[test]
fn a_new_label_joins_the_vocabulary_with_a_notice_and_triage_fields_show_in_list_and_history() {
    let team = setup_team();
    let server = team.spawn_server(&[]);
    let (bob, id) = two_reviewers(&team, &server);
    let me = team.reviewer_key.clone();
    let out = ok(review(
        &[
            "triage",
            &id,
            "--status",
            "in_review",
            "--label",
            "wage-theft",
            "--assign",
            "bob",
            "--note",
            "call the union",
            "--star",
            "--grade",
            "B2",
            "--remind",
            "2030-01-02",
        ],
        &server.url,
        &me,
    ));
    assert!(
        text(&out.stderr).contains("\"wage-theft\" is new to the team's labels"),
        "{}",
        text(&out.stderr)
    );
    // The second time it is known: no notice.
    let out = ok(review(
        &["triage", &id, "--label", "Wage-Theft"],
        &server.url,
        &bob,
    ));
    assert!(
        !text(&out.stderr).contains("new to the team"),
        "{}",
        text(&out.stderr)
    );

    // Bob sees my change after his sync.
    let r = row(&server.url, &bob, &id);
    assert_eq!(r["status"], "in_review");
    assert_eq!(r["labels"], serde_json::json!(["wage-theft"]));
    assert_eq!(r["assignee"], "bob");
    assert_eq!(r["star"], true);
    assert_eq!(r["grade"], "B2");
    assert_eq!(r["reminder"], "2030-01-02");

    // An unknown reviewer is refused with the names there are.
    let out = review(&["triage", &id, "--assign", "mallory"], &server.url, &me);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("mallory") && text(&out.stderr).contains("bob"),
        "{}",
        text(&out.stderr)
    );

    // Filters on triage fields.
    let ids = |f: &[&str]| -> usize {
        let mut cmd = vec!["list", "--offline", "--json"];
        cmd.extend_from_slice(f);
        json_stdout(&ok(review(&cmd, &server.url, &me)))
            .as_array()
            .unwrap()
            .len()
    };
    assert_eq!(ids(&["--label", "WAGE-THEFT"]), 1);
    assert_eq!(ids(&["--assignee", "bob"]), 1);
    assert_eq!(ids(&["--assignee", "alice"]), 0);
    assert_eq!(ids(&["--starred", "--status", "in_review"]), 1);
    assert_eq!(ids(&["--status", "new"]), 0);

    let h = history(&server.url, &me, &id);
    let what = h[0]["what"].to_string();
    assert!(
        what.contains("assigned to bob") && what.contains("note: call the union"),
        "{what}"
    );
    // The server's data holds none of it.
    for needle in ["wage-theft", "call the union", "in_review"] {
        assert!(
            grep_dir(&server.data_dir, needle.as_bytes()).is_empty(),
            "{needle} found in the server's data"
        );
    }
}

#[test]
fn a_change_made_while_the_server_is_down_is_queued_and_sent_by_the_next_sync() {
    let team = setup_team();
    let data = tempfile::TempDir::new().unwrap();
    let args = [OsStr::new("--keyring"), team.keyring.as_os_str()];
    let mut server = spawn_server_in(&data.path().join("data"), &args);
    let id = submit(&server.url, &a_sample(), &[]);
    let me = team.reviewer_key.clone();
    ok(review(&["sync"], &server.url, &me));
    let old_url = server.url.clone();
    server.stop();

    let out = ok(review(
        &["triage", &id, "--status", "in_review", "--label", "offline"],
        &old_url,
        &me,
    ));
    assert!(
        text(&out.stdout).contains("queued"),
        "{}",
        text(&out.stdout)
    );

    let server = spawn_server_in(&data.path().join("data"), &args);
    let report = json_stdout(&ok(review(&["sync", "--json"], &server.url, &me)));
    assert_eq!(report["outbox_sent"], 1, "{report}");
    let r = row(&server.url, &me, &id);
    assert_eq!(r["status"], "in_review");
    assert_eq!(r["labels"], serde_json::json!(["offline"]));
    // Sent once: the next sync has nothing queued.
    let report = json_stdout(&ok(review(&["sync", "--json"], &server.url, &me)));
    assert_eq!(report["outbox_sent"], 0, "{report}");
    assert_eq!(history(&server.url, &me, &id).len(), 1);
}

#[test]
fn delete_records_the_reason_in_the_log_then_the_server_deletes_the_tip() {
    let team = setup_team();
    let server = team.spawn_server(&[]);
    let id = submit(&server.url, &a_sample(), &[]);
    let me = team.reviewer_key.clone();
    ok(review(&["sync"], &server.url, &me));
    ok(review(
        &["delete", &id, "--reason", "spam from a bot"],
        &server.url,
        &me,
    ));
    let listed = json_stdout(&ok(review(&["list", "--json"], &server.url, &me)));
    assert_eq!(
        listed,
        serde_json::json!([]),
        "gone from the store and the server"
    );
    let h = history(&server.url, &me, &id);
    assert_eq!(h.len(), 1);
    assert!(h[0]["what"]
        .to_string()
        .contains("deleted: spam from a bot"));
}

#[test]
fn a_reviewer_added_later_reads_the_tips_and_triage_after_a_rewrap_which_covers_events() {
    let team = setup_team();
    let server = team.spawn_server(&[]);
    let me = team.reviewer_key.clone();
    let id = submit(&server.url, &a_sample(), &[]);
    ok(review(&["sync"], &server.url, &me));
    ok(review(
        &["triage", &id, "--status", "in_review", "--note", "seen"],
        &server.url,
        &me,
    ));

    let bob = team.new_identity("bob");
    team.add_reviewer(&bob);
    team.rotate();
    team.publish(&server.url);
    // Before the rewrap bob lists the tip without content and cannot open its history.
    let r = row(&server.url, &bob, &id);
    assert!(r["unreadable"].is_string(), "{r}");
    let h = history(&server.url, &bob, &id);
    assert_eq!(h.len(), 1);
    assert_eq!(h[0]["verified"], false, "{h:?}");

    let out = ok(review(&["rewrap"], &server.url, &me));
    assert!(
        text(&out.stdout).contains("Re-wrapped 1 triage event(s)"),
        "{}",
        text(&out.stdout)
    );
    let r = row(&server.url, &bob, &id);
    assert!(r["unreadable"].is_null(), "{r}");
    assert_eq!(r["status"], "in_review", "{r}");
    let h = history(&server.url, &bob, &id);
    assert_eq!(h.len(), 1);
    assert_eq!(h[0]["verified"], true, "{h:?}");
    assert_eq!(h[0]["who"], "alice");
}
