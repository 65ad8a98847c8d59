//! The resumable uploads API (docs/web.md): a large attachment sent in chunks survives a
//! dropped connection and a wrong offset, is appended to the tip that names it, and
//! comes back byte-identical; incomplete and unknown uploads cannot be used.

mod common;

use std::ffi::OsStr;

use common::*;
use serde_json::json;
use tempfile::TempDir;

const MIB: usize = 1024 * 1024;

fn a_tip() -> serde_json::Value {
    json!({"schema": "tipseal/tip/v1", "language": "en", "narrative": "see the video"})
}

#[test]
fn a_chunked_upload_interrupted_midway_resumes_and_the_attachment_decrypts_byte_identical() {
    let team = setup_team();
    let server = team.spawn_server(&[]);
    let video = random_bytes(MIB + MIB / 2);
    let (tip_only, envelope) = sealed_tip_and_upload(&server, &a_tip(), "video.mp4", &video);
    assert!(envelope.len() > 2 * MIB, "three chunks of at most 1 MiB");

    let created = create_upload(&server, envelope.len());
    assert_eq!(created.status, 201);
    let v = created.json();
    let id = v["id"].as_str().unwrap().to_owned();
    assert!(is_hex32(&id), "{v}");
    assert_eq!(v["chunk_size"], json!(MIB));

    let first = patch_upload(&server, &id, 0, &envelope[..MIB]);
    assert_eq!(first.status, 204);
    assert_eq!(
        first.header("upload-offset"),
        Some(MIB.to_string().as_str())
    );

    // The connection drops in the middle of the second chunk: nothing of it counts.
    patch_upload_cut_off(server.addr, &id, MIB, &envelope[MIB..2 * MIB], 1000);
    let status = upload_status(&server, &id);
    assert_eq!(status.status, 200);
    assert_eq!(
        status.json(),
        json!({"offset": MIB, "length": envelope.len()})
    );

    // A client that lost track sends from the wrong place: 409 tells it where to resume.
    let wrong = patch_upload(&server, &id, 0, &envelope[..MIB]);
    assert_eq!(wrong.status, 409);
    assert_eq!(wrong.json()["offset"], json!(MIB));

    let second = patch_upload(&server, &id, MIB, &envelope[MIB..2 * MIB]);
    assert_eq!(second.status, 204);
    let third = patch_upload(&server, &id, 2 * MIB, &envelope[2 * MIB..]);
    assert_eq!(third.status, 204);
    assert_eq!(
        third.header("upload-offset"),
        Some(envelope.len().to_string().as_str())
    );

    let (saved, opened) = store_and_open(&server, &team, &tip_only, &id);
    assert_eq!(opened["sealed_by_server"], json!(false));
    assert_eq!(opened["tip"], a_tip());
    let back = std::fs::read(saved.path().join("video.mp4")).unwrap();
    assert!(back == video, "the attachment comes back byte-identical");

    assert_eq!(
        upload_status(&server, &id).status,
        404,
        "a used upload is gone"
    );
    let again = post_tip_with_uploads(&server, &tip_only, &[&id]);
    assert_eq!(again.status, 400, "an upload is used once");
}

#[test]
fn an_incomplete_upload_cannot_be_used_and_stays_resumable() {
    let team = setup_team();
    let server = team.spawn_server(&[]);
    let (tip_only, envelope) =
        sealed_tip_and_upload(&server, &a_tip(), "doc.pdf", &random_bytes(300_000));
    let id = create_upload(&server, envelope.len()).json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(patch_upload(&server, &id, 0, &envelope[..1000]).status, 204);

    let refused = post_tip_with_uploads(&server, &tip_only, &[&id]);
    assert_eq!(refused.status, 400);
    refused.assert_json_error();
    assert!(review_ids(&server.url, &team.reviewer_key).is_empty());

    assert_eq!(upload_status(&server, &id).json()["offset"], json!(1000));
    assert_eq!(
        patch_upload(&server, &id, 1000, &envelope[1000..]).status,
        204
    );
    assert_eq!(
        post_tip_with_uploads(&server, &tip_only, &[&id]).status,
        201
    );
}

#[test]
fn an_unknown_upload_is_404_and_cannot_be_named_in_a_tip() {
    let team = setup_team();
    let server = team.spawn_server(&[]);
    let unknown = random_hex(16);
    assert_eq!(upload_status(&server, &unknown).status, 404);
    assert_eq!(patch_upload(&server, &unknown, 0, b"bytes").status, 404);
    assert_eq!(upload_status(&server, "not-an-id").status, 404);
    let (tip_only, _) = sealed_tip_and_upload(&server, &a_tip(), "a.bin", b"abc");
    assert_eq!(
        post_tip_with_uploads(&server, &tip_only, &[&unknown]).status,
        400
    );
}

#[test]
fn an_upload_must_declare_a_real_envelope_length_within_the_cap() {
    let team = setup_team();
    let server = team.spawn_server(&[]);
    for bad in [0, 12_345, 16_554, 67_126_424] {
        let resp = create_upload(&server, bad);
        assert_eq!(resp.status, 400, "length {bad}");
        resp.assert_json_error();
    }
    assert_eq!(create_upload(&server, 16_553).status, 201);
}

/// Submits `tip_only` naming the upload `id`, asserts 201, and opens the tip with the
/// reviewer's CLI, saving attachments into the returned folder.
fn store_and_open(
    server: &common::ServerGuard,
    team: &Team,
    tip_only: &[u8],
    id: &str,
) -> (TempDir, serde_json::Value) {
    let tip_id = store(server, tip_only, id);
    open(server, team, &tip_id)
}

/// Submits `tip_only` naming the upload `id` and asserts 201; the tip's id.
fn store(server: &common::ServerGuard, tip_only: &[u8], id: &str) -> String {
    let stored = post_tip_with_uploads(server, tip_only, &[id]);
    assert_eq!(
        stored.status,
        201,
        "{}",
        String::from_utf8_lossy(&stored.body)
    );
    stored.json()["id"].as_str().unwrap().to_owned()
}

/// Opens tip `tip_id` with the reviewer's CLI, saving attachments into the returned folder.
fn open(server: &common::ServerGuard, team: &Team, tip_id: &str) -> (TempDir, serde_json::Value) {
    let saved = TempDir::new().unwrap();
    let opened = review_show(&server.url, &team.reviewer_key, tip_id, Some(saved.path()));
    (saved, opened)
}

#[test]
fn a_tip_naming_a_multi_mebibyte_upload_stores_it_and_opens_byte_identical() {
    let team = setup_team();
    let server = team.spawn_server(&[]);
    // A 4 MiB bucket: an envelope over 4 MiB, whose upload file the bundle log adopts.
    let film = random_bytes(3 * MIB + 12_345);
    let (tip_only, envelope) = sealed_tip_and_upload(&server, &a_tip(), "film.mp4", &film);
    assert!(envelope.len() > 4 * MIB);
    let id = upload_whole(&server, &envelope);

    let (saved, opened) = store_and_open(&server, &team, &tip_only, &id);
    assert_eq!(opened["tip"], a_tip());
    let back = std::fs::read(saved.path().join("film.mp4")).unwrap();
    assert!(back == film, "the attachment comes back byte-identical");
    assert_eq!(
        upload_status(&server, &id).status,
        404,
        "a used upload is gone"
    );
}

#[test]
fn an_upload_that_is_not_a_valid_attachment_is_refused_as_inline_and_nothing_is_stored() {
    let team = setup_team();
    let server = team.spawn_server(&[]);
    let (tip_only, envelope) =
        sealed_tip_and_upload(&server, &a_tip(), "doc.pdf", &random_bytes(2 * MIB));
    let tip_envelope = tipseal::domain::bundle::parse(&tip_only).unwrap().parts()[0]
        .bytes
        .to_vec();
    // Each defect only the envelope's first bytes show: another kind, another bucket
    // than the declared length (the length itself is a real envelope length).
    let mut not_attachment = envelope.clone();
    not_attachment[5] = 0x01;
    let mut wrong_bucket = envelope.clone();
    wrong_bucket[8..12].copy_from_slice(&1_048_576u32.to_be_bytes());
    for bad in [not_attachment, wrong_bucket] {
        let id = upload_whole(&server, &bad);
        let refused = post_tip_with_uploads(&server, &tip_only, &[&id]);
        assert_eq!(refused.status, 400);
        refused.assert_json_error();
        // The same answer as the same envelope sent inline.
        let inline = tipseal::domain::bundle::encode(&[&tip_envelope, &bad]);
        let inline = raw_http(server.addr, None, &post_tip_request(&inline, None));
        assert_eq!(inline.status, 400);
        assert_eq!(refused.json(), inline.json());
        assert!(review_ids(&server.url, &team.reviewer_key).is_empty());
        // Nothing was used up: the upload is still there, whole.
        assert_eq!(
            upload_status(&server, &id).json()["offset"],
            serde_json::json!(bad.len())
        );
    }
    // The good envelope still goes through.
    let id = upload_whole(&server, &envelope);
    assert_eq!(
        post_tip_with_uploads(&server, &tip_only, &[&id]).status,
        201
    );
    assert_eq!(review_ids(&server.url, &team.reviewer_key).len(), 1);
}

/// An attachment large enough to be adopted by the bundle log (its upload file linked in
/// as a segment of its own, `src/storage/bundles/adopt.rs`), acknowledged with 201, then
/// the server killed outright: after a restart the tip opens byte-identical, and the
/// used upload stays gone.
#[test]
fn an_adopted_attachment_survives_sigkill_after_its_201_and_opens_byte_identical() {
    let team = setup_team();
    let mut server = team.spawn_server(&[]);
    let film = random_bytes(5 * MIB + 777);
    let (tip_only, envelope) = sealed_tip_and_upload(&server, &a_tip(), "film.mp4", &film);
    let id = upload_whole(&server, &envelope);
    let tip_id = store(&server, &tip_only, &id);
    // Adopted, not copied: one segment is exactly the upload's file (a 34-byte frame,
    // then the envelope without its 84-byte wrap section, which the index keeps).
    let adopted_len = (34 + envelope.len() - 84) as u64;
    let segments: Vec<u64> = std::fs::read_dir(server.data_dir.join("bundles"))
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .collect();
    assert!(segments.contains(&adopted_len), "{segments:?}");

    server.kill9();
    let keyring = team.keyring.as_os_str();
    let restarted = spawn_server_in(&server.data_dir, &[OsStr::new("--keyring"), keyring]);
    let (saved, opened) = open(&restarted, &team, &tip_id);
    assert_eq!(opened["tip"], a_tip());
    let back = std::fs::read(saved.path().join("film.mp4")).unwrap();
    assert!(back == film, "the attachment comes back byte-identical");
    assert_eq!(upload_status(&restarted, &id).status, 404);
}
