//! The disk floor (DESIGN.md §1): while the data directory's disk has less free space
//! than `--min-free-bytes`, new tips, uploads and follow-ups are refused with a readable
//! 507 and nothing is stored; reading (health, keyring, reviewers) goes on.

mod common;

use std::ffi::OsStr;

use common::*;
use serde_json::json;
use tempfile::TempDir;

/// More than any disk has free.
const FLOOR_ABOVE_ANY_DISK: &str = "18446744073709551615";

fn assert_507(resp: &HttpResponse, what: &str) {
    assert_eq!(
        resp.status,
        507,
        "{what}: {}",
        String::from_utf8_lossy(&resp.body)
    );
    resp.assert_json_error();
    assert_eq!(resp.json()["code"], "insufficient_storage", "{what}");
}

#[test]
fn below_the_floor_submissions_get_507_and_nothing_is_stored_while_reading_goes_on() {
    let team = setup_team();
    let data = TempDir::new().unwrap();
    let data_dir = data.path().join("data");
    let keyring = team.keyring.to_str().unwrap().to_owned();

    // A tip with a receipt, while there is room.
    let mut server = spawn_server_in(&data_dir, &["--keyring", keyring.as_str()]);
    let dir = TempDir::new().unwrap();
    let receipt = dir.path().join("receipt.txt");
    let out = tipseal_ok([
        OsStr::new("submit"),
        OsStr::new("--server"),
        OsStr::new(&server.url),
        OsStr::new("--tip"),
        a_sample().as_os_str(),
        OsStr::new("--receipt-out"),
        receipt.as_os_str(),
        OsStr::new("--json"),
    ]);
    let id = json_stdout(&out)["id"].as_str().unwrap().to_owned();
    let tip_body = seal_bundle(&server.url, &read_json(&a_sample()));
    server.stop();

    // The same data, now with a floor above the free space.
    let server = spawn_server_in(&data_dir, &["--min-free-bytes", FLOOR_ABOVE_ANY_DISK]);
    let tip = raw_http(server.addr, None, &post_tip_request(&tip_body, None));
    assert_507(&tip, "a tip");
    assert_507(&create_upload(&server, 16_553), "a new upload");
    let form = multipart_body(&[("narrative", "sent without JavaScript")], &[]);
    let page = post_form(&server, "/ko/submit", &form);
    assert_eq!(
        page.status,
        507,
        "the no-JavaScript form: {}",
        String::from_utf8_lossy(&page.body)
    );
    assert!(
        String::from_utf8_lossy(&page.body).contains("lang=\"ko\""),
        "the witness is answered with a page in their language"
    );
    let followup = tipseal([
        OsStr::new("followup"),
        OsStr::new("--server"),
        OsStr::new(&server.url),
        OsStr::new("--receipt-file"),
        receipt.as_os_str(),
        OsStr::new("--message"),
        OsStr::new("more detail"),
        OsStr::new("--json"),
    ]);
    assert!(!followup.status.success(), "a follow-up was accepted");
    assert!(
        String::from_utf8_lossy(&followup.stderr).contains("disk space"),
        "the witness is told why: {}",
        String::from_utf8_lossy(&followup.stderr)
    );

    assert_eq!(server.get("/api/v1/health").status, 200);
    assert_eq!(server.get("/api/v1/health").json(), json!({"status": "ok"}));
    assert_eq!(server.get("/api/v1/keyring").status, 200);
    assert_eq!(
        review_ids(&server.url, &team.reviewer_key),
        vec![id.clone()]
    );
    let shown = review_show(&server.url, &team.reviewer_key, &id, None);
    assert_eq!(
        shown["conversation"].as_array().map(Vec::len),
        Some(0),
        "{shown}"
    );
}
