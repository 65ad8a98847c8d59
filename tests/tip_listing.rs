//! The reviewers' listing in pages against the real server: following `next` from the
//! first page sees every stored tip exactly once and ends with `null`; a bad `limit` or
//! `after` is a 400 naming the bound; the client's `list` walks the pages to the end.

mod common;

use std::collections::HashSet;

use common::*;
use serde_json::Value;

#[test]
fn pages_followed_by_next_show_every_tip_once_and_bad_bounds_are_refused() {
    let team = setup_team();
    let server = team.spawn_server(&[]);
    let bundles = seal_bundles(&server.url, &read_json(&a_sample()), 7);
    let mut stored = HashSet::new();
    for b in &bundles {
        let r = raw_http(server.addr, None, &post_tip_request(b, None));
        assert_eq!(r.status, 201);
        stored.insert(r.json()["id"].as_str().unwrap().to_owned());
    }
    let token = staff_token(&server.url, &team.reviewer_key);

    let mut seen = Vec::new();
    let mut path = "/api/v1/tips?limit=3".to_owned();
    let mut pages = 0;
    loop {
        let r = server.get_as(&path, &token);
        assert_eq!(r.status, 200, "{path}");
        let page: Value = r.json();
        let rows = page["tips"].as_array().expect("tips is an array");
        assert!(rows.len() <= 3, "a page holds at most limit rows");
        seen.extend(rows.iter().map(|t| t["id"].as_str().unwrap().to_owned()));
        pages += 1;
        match page["next"].as_str() {
            Some(next) => path = format!("/api/v1/tips?limit=3&after={next}"),
            None => break,
        }
    }
    assert_eq!(pages, 3, "7 tips in pages of 3");
    let unique: HashSet<String> = seen.iter().cloned().collect();
    assert_eq!(seen.len(), unique.len(), "no tip twice");
    assert_eq!(unique, stored, "every tip once");
    // The index order: the received day (an id's last 8 hex characters), then the rest.
    let mut sorted = seen.clone();
    sorted.sort_by_key(|id| (id[24..].to_owned(), id[..24].to_owned()));
    assert_eq!(seen, sorted, "in index order");

    // No limit: the default page holds all 7, and says it is the last.
    let all: Value = server.get_as("/api/v1/tips", &token).json();
    assert_eq!(all["tips"].as_array().unwrap().len(), 7);
    assert_eq!(all["next"], Value::Null);
    assert_eq!(all["tips"][0]["entries"], 0);

    for bad in [
        "/api/v1/tips?limit=0",
        "/api/v1/tips?limit=1001",
        "/api/v1/tips?limit=-1",
        "/api/v1/tips?after=xyz",
        "/api/v1/tips?after=00",
    ] {
        let r = server.get_as(bad, &token);
        assert_eq!(r.status, 400, "{bad}");
        assert!(r.json()["error"].is_string(), "{bad}: a JSON error");
    }
    let r = server.get_as("/api/v1/tips?limit=1001", &token);
    assert!(
        r.json()["error"].as_str().unwrap().contains("1 to 1000"),
        "{}",
        r.json()
    );

    // The reviewer's client (`review list`, through its sync) walks the pages to the end.
    let listed: HashSet<String> = review_ids(&server.url, &team.reviewer_key)
        .into_iter()
        .collect();
    assert_eq!(listed, stored);
    // The library client, two rows a request: four pages, every tip once.
    tipseal::crypto::init().unwrap();
    let me = tipseal::crypto::keyfile::read_identity(
        &team.reviewer_key,
        &tipseal::crypto::keyfile::Passphrase::from(PASSPHRASE.to_owned()),
    )
    .unwrap();
    let client = tipseal::client::Client::new(&server.url, None).unwrap();
    let session = client.login(&me).unwrap();
    let rows = client.list_in_pages(&session, 2).unwrap();
    let ids: Vec<String> = rows.iter().map(|r| r.id.to_string()).collect();
    assert_eq!(ids, seen, "the same walk as by hand");
}
