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
    let (client, session) = reviewer_client(&team, &server.url);
    let rows = client.list_in_pages(&session, 2).unwrap();
    let ids: Vec<String> = rows.iter().map(|r| r.id.to_string()).collect();
    assert_eq!(ids, seen, "the same walk as by hand");
}

/// Tips received on different days: the index (and so the listing) orders them by day
/// first, while an id's own bytes put the random part first, so a cursor moves forward
/// in the listing while its id may sort lower. The client must follow such pages to the
/// end: it refused them as a cursor that "did not move forward" (found by `bench --mode
/// listing`, whose preload spreads tips over a year).
#[test]
fn the_client_follows_pages_of_tips_received_on_different_days() {
    let team = setup_team();
    let parent = tempfile::TempDir::new().expect("temp dir");
    let data = parent.path().join("data");
    let keyring = std::fs::read(&team.keyring).expect("the team's keyring");
    let bundles = seal_bundles_with_keyring(&keyring, &read_json(&a_sample()), 48);
    let by_listing = |ids: &[String]| {
        let mut sorted = ids.to_vec();
        sorted.sort_by_key(|id| (id[24..].to_owned(), id[..24].to_owned()));
        sorted
    };
    // Tips on twelve days: some step from one day to the next goes to a lower id (each
    // step does with probability one half; more batches in the rare case none did).
    let mut stored = Vec::new();
    for batch in bundles.chunks(12) {
        for (n, b) in batch.iter().enumerate() {
            stored.push(store_tip_received_days_ago(&data, b, 3 * n as i64));
        }
        if by_listing(&stored).windows(2).any(|w| w[1] < w[0]) {
            break;
        }
    }
    let server = spawn_server_in(
        &data,
        &[std::ffi::OsStr::new("--keyring"), team.keyring.as_os_str()],
    );

    let (client, session) = reviewer_client(&team, &server.url);
    let rows = client
        .list_in_pages(&session, 2)
        .expect("every page is followed");
    let listed: Vec<String> = rows.iter().map(|r| r.id.to_string()).collect();
    // Every tip once, oldest day first, through a step to a lower id (the case that failed).
    assert_eq!(listed, by_listing(&stored));
    assert!(
        listed.windows(2).any(|w| w[1] < w[0]),
        "the fixture steps down"
    );
    stored.sort();
    let mut cli: Vec<String> = review_ids(&server.url, &team.reviewer_key);
    cli.sort();
    assert_eq!(cli, stored, "`review list` sees them all too");
}

/// The reviewer's library client, logged in to the server at `url`.
fn reviewer_client(
    team: &Team,
    url: &str,
) -> (tipseal::client::Client, tipseal::client::api::Session) {
    tipseal::crypto::init().unwrap();
    let me = tipseal::crypto::keyfile::read_identity(
        &team.reviewer_key,
        &tipseal::crypto::keyfile::Passphrase::from(PASSPHRASE.to_owned()),
    )
    .unwrap();
    let client = tipseal::client::Client::new(url, None).unwrap();
    let session = client.login(&me).unwrap();
    (client, session)
}
