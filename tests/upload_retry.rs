//! A witness whose answer to `POST /api/v1/tips` was lost retries with the same
//! `Idempotency-Key`. When the tip named completed uploads (`Tipseal-Uploads`), the first
//! try used them up; the retry must still get 200 with the same id, not 400 for used
//! uploads, and the same key with another body or upload list must get 409.

mod common;

use common::*;
use serde_json::json;

fn a_tip() -> serde_json::Value {
    json!({"schema": "tipseal/tip/v1", "language": "en", "narrative": "see the recording"})
}

/// `POST /api/v1/tips` with `Tipseal-Uploads` and `Idempotency-Key`.
fn post_tip(server: &ServerGuard, body: &[u8], uploads: &[&str], key: &str) -> HttpResponse {
    let ids = uploads.join(",");
    let mut headers = vec![
        ("Content-Type", "application/octet-stream"),
        ("Idempotency-Key", key),
    ];
    if !uploads.is_empty() {
        headers.push(("Tipseal-Uploads", &ids));
    }
    raw_http(
        server.addr,
        None,
        &request("POST", "/api/v1/tips", &headers, body),
    )
}

/// Sends `envelope` as one completed upload; returns its id.
fn upload(server: &ServerGuard, envelope: &[u8]) -> String {
    let created = create_upload(server, envelope.len());
    assert_eq!(created.status, 201);
    let id = created.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(patch_upload(server, &id, 0, envelope).status, 204);
    id
}

#[test]
fn a_retried_tip_with_uploads_gets_the_same_id_and_a_changed_retry_gets_409() {
    let team = setup_team();
    let server = team.spawn_server(&[]);
    let file = random_bytes(200_000);
    let (tip_only, envelope) = sealed_tip_and_upload(&server, &a_tip(), "call.ogg", &file);
    let up = upload(&server, &envelope);
    let key = format!("retry-{}", random_hex(8));

    let first = post_tip(&server, &tip_only, &[&up], &key);
    assert_eq!(
        first.status,
        201,
        "{}",
        String::from_utf8_lossy(&first.body)
    );
    let id = first.json()["id"].as_str().unwrap().to_owned();

    // The answer was lost; the client sends exactly the same request again.
    let retry = post_tip(&server, &tip_only, &[&up], &key);
    assert_eq!(
        retry.status,
        200,
        "{}",
        String::from_utf8_lossy(&retry.body)
    );
    assert_eq!(retry.json()["id"], json!(id));

    // The same key with another upload list, or another body: a conflict, not a tip.
    let (other_tip, other_envelope) = sealed_tip_and_upload(&server, &a_tip(), "b.ogg", &file);
    let other_up = upload(&server, &other_envelope);
    for (what, body, uploads) in [
        ("another upload list", &tip_only, vec![other_up.as_str()]),
        ("no uploads", &tip_only, vec![]),
        ("another body", &other_tip, vec![up.as_str()]),
    ] {
        let resp = post_tip(&server, body, &uploads, &key);
        assert_eq!(
            resp.status,
            409,
            "{what}: {}",
            String::from_utf8_lossy(&resp.body)
        );
        assert_eq!(resp.json()["code"], "idempotency_conflict", "{what}");
    }
    // The refused request did not use the other upload up.
    assert_eq!(upload_status(&server, &other_up).status, 200);

    assert_eq!(
        review_ids(&server.url, &team.reviewer_key),
        vec![id.clone()]
    );
    let saved = tempfile::TempDir::new().unwrap();
    let opened = review_show(&server.url, &team.reviewer_key, &id, Some(saved.path()));
    assert_eq!(opened["tip"], a_tip());
    assert!(std::fs::read(saved.path().join("call.ogg")).unwrap() == file);
}
