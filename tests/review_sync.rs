//! `tipseal review sync` and `review list` against a real server: a sync killed with
//! SIGKILL half-way and run again ends with every tip exactly once; the local store
//! holds no plaintext; `review list --json` carries each tip's triage fields, and its
//! filters and `--search` work on the synced tips.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use common::*;
use serde_json::Value;

/// Posts `n` tips whose narrative carries `marker-{i}`; their ids.
fn post_tips(server: &ServerGuard, marker: &str, n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            let tip = serde_json::json!({
                "schema": "tipseal/tip/v1",
                "narrative": format!("{marker}-{i} the gate is locked at night"),
            });
            let bundle = seal_bundles(&server.url, &tip, 1)
                .pop()
                .expect("one bundle");
            let resp = raw_http(
                server.addr,
                None,
                &post_tip_request(&bundle, Some(&random_hex(16))),
            );
            assert!(resp.status == 201 || resp.status == 200, "{resp:?}");
            resp.json()["id"].as_str().expect("an id").to_owned()
        })
        .collect()
}

#[test]
fn a_sync_killed_half_way_and_run_again_has_every_tip_once_and_no_plaintext_on_disk() {
    let team = setup_team();
    let server = team.spawn_server(&[]);
    let marker = "QUOKKAMARKER";
    let ids = post_tips(&server, marker, 200);

    // The first sync prints a line per stored batch (stderr is not a terminal); kill it
    // right after the first one, long before the 200 tips are in.
    let args = review_args(&["sync"], &server.url, &team.reviewer_key);
    let mut child = Command::new(bin())
        .args(&args)
        .env("TIPSEAL_PASSPHRASE", PASSPHRASE)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("tipseal starts");
    let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let mut first_batch = None;
    for line in lines.by_ref() {
        let line = line.expect("a line");
        if line.starts_with("sync: tips ") {
            first_batch = Some(line);
            break;
        }
    }
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");
    let first_batch = first_batch.expect("the sync reported a stored batch before the kill");
    assert!(
        !first_batch.contains("200/200"),
        "killed too late: {first_batch}"
    );

    let again = json_stdout(&tipseal_ok(review_args(
        &["sync", "--json"],
        &server.url,
        &team.reviewer_key,
    )));
    let new = again["tips_new"].as_u64().expect("tips_new");
    assert!(
        new > 0 && new < 200,
        "the rerun fetched only what the killed run had not stored: {again}"
    );
    assert_eq!(again["tips_on_server"], 200);

    let listed = json_stdout(&tipseal_ok(review_args(
        &["list", "--offline", "--json"],
        &server.url,
        &team.reviewer_key,
    )));
    let mut got: Vec<String> = listed
        .as_array()
        .expect("an array")
        .iter()
        .map(|r| r["id"].as_str().expect("id").to_owned())
        .collect();
    got.sort();
    let n = got.len();
    got.dedup();
    assert_eq!(got.len(), n, "no tip twice");
    let mut want = ids.clone();
    want.sort();
    assert_eq!(got, want, "every tip, none missing");

    // A third sync has nothing to do.
    let idle = json_stdout(&tipseal_ok(review_args(
        &["sync", "--json"],
        &server.url,
        &team.reviewer_key,
    )));
    assert_eq!(idle["tips_new"], 0);

    // The store beside the key holds the tips, sealed: no marker, no narrative words.
    let store = team.reviewer_key.with_file_name(format!(
        "{}.store",
        team.reviewer_key.file_name().unwrap().to_string_lossy()
    ));
    let bytes = std::fs::read(&store).expect("the store exists beside the key");
    assert!(bytes.len() > 200 * 100, "the store holds the tips");
    for needle in [marker.as_bytes(), b"the gate is locked at night"] {
        assert!(
            !contains(&bytes, needle),
            "{} found in the store",
            String::from_utf8_lossy(needle)
        );
    }
}

#[test]
fn list_json_carries_triage_fields_and_filters_and_search_work_after_a_sync() {
    let team = setup_team();
    let server = team.spawn_server(&[]);
    let dir = tempfile::TempDir::new().unwrap();
    let subs = submit_every_sample(&server.url, dir.path());
    let rows = json_stdout(&tipseal_ok(review_args(
        &["list", "--json"],
        &server.url,
        &team.reviewer_key,
    )));
    let rows = rows.as_array().expect("an array");
    assert_eq!(rows.len(), subs.len());
    for r in rows {
        assert_eq!(r["status"], "new", "{r}");
        assert_eq!(r["labels"], Value::Array(vec![]), "{r}");
        assert!(r["assignee"].is_null(), "{r}");
        assert_eq!(r["star"], false, "{r}");
        assert_eq!(r["unread"], true, "{r}");
        assert!(
            r.get("reminder").is_some() && r.get("grade").is_some(),
            "{r}"
        );
    }

    let ids = |cmd: &[&str]| -> Vec<String> {
        let mut args = vec!["list", "--offline", "--json"];
        args.extend_from_slice(cmd);
        json_stdout(&tipseal_ok(review_args(
            &args,
            &server.url,
            &team.reviewer_key,
        )))
        .as_array()
        .expect("an array")
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect()
    };
    let id_of = |prefix: &str| -> String {
        subs.iter()
            .find(|s| {
                s.tip_path
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with(prefix)
            })
            .map(|s| s.id.clone())
            .unwrap_or_else(|| panic!("a {prefix} sample"))
    };
    // Attachments: the first two samples carry files.
    let with_files = ids(&["--attachments"]);
    assert_eq!(with_files.len(), 2, "{with_files:?}");
    // Country of the Korean sample's worksite.
    let ko = id_of("ko-");
    let ko_doc = read_json(&subs.iter().find(|s| s.id == ko).unwrap().tip_path);
    if let Some(country) = ko_doc.pointer("/worksite/country").and_then(Value::as_str) {
        assert!(ids(&["--country", country]).contains(&ko));
    }
    assert!(ids(&["--status", "closed"]).is_empty());
    assert_eq!(ids(&["--unread"]).len(), subs.len());
    // Search in the samples' own languages: a Korean name with a particle attached, a
    // Chinese two-character word inside unbroken text, Russian and Polish inflected forms.
    for (prefix, query) in [
        ("ko-", "김반장이"),
        ("ko-", "숙소를"),
        ("zh-", "经理"),
        ("ru-", "лесовозы"),
        ("ru-", "больнице"),
        ("pl-", "spawaczami"),
    ] {
        assert_eq!(
            ids(&["--search", query]),
            vec![id_of(prefix)],
            "--search {query:?} finds only the {prefix} sample"
        );
    }
    // Search and filters together.
    assert!(ids(&["--search", "经理", "--status", "closed"]).is_empty());
}
