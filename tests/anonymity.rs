//! What a witness sends stays sealed, and who sent it is not recorded: nothing of a
//! tip's text or attachments, and nothing of the witness's address, User-Agent or
//! Referer, reaches the server's disk or its log; the files of unfinished uploads carry
//! no time finer than the day.

mod common;

use std::net::{IpAddr, Ipv4Addr};
use std::os::unix::fs::MetadataExt;

use common::*;
use tempfile::TempDir;

/// A loopback address no other test uses, so finding it anywhere means we stored it.
const WITNESS_ADDR: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 77));
const WITNESS_AGENT: &str = "tipseal-test-agent-zq81";
const WITNESS_REFERER: &str = "http://referer-zq81.example/";

#[test]
fn no_narrative_wages_or_attachment_bytes_reach_the_data_directory_or_the_log() {
    let team = setup_team();
    let mut server = team.spawn_server(&[]);
    let files = TempDir::new().unwrap();
    let submissions = submit_every_sample(&server.url, files.path());
    // A graceful stop, so whatever the server writes on the way out is searched too.
    server.stop();

    let mut needles: Vec<Vec<u8>> = Vec::new();
    for s in &submissions {
        let tip = read_json(&s.tip_path);
        for field in [&tip["narrative"], &tip["workers"]["wages"]] {
            let text = field
                .as_str()
                .expect("every sample has a narrative and wages");
            needles.push(text.as_bytes().to_vec());
            needles.extend(utf8_windows(text, 12));
        }
        for a in &s.attachments {
            let bytes = std::fs::read(a).unwrap();
            let mid = bytes.len() / 2;
            needles.push(bytes[mid - 32..mid + 32].to_vec());
            needles.push(bytes[..64].to_vec());
            needles.push(bytes[bytes.len() - 64..].to_vec());
        }
    }

    // The files holding the tips do not tell when the last one came: the bundle log's
    // segments (and their directory) carry 00:00 UTC of the day, to the second.
    let segments = server.data_dir.join("bundles");
    let mut seen = 0;
    for path in std::iter::once(segments.clone()).chain(
        std::fs::read_dir(&segments)
            .expect("tips are stored in the bundle log")
            .map(|e| e.unwrap().path()),
    ) {
        use std::os::unix::fs::MetadataExt;
        let meta = std::fs::metadata(&path).unwrap();
        assert_eq!(
            (meta.mtime() % 86_400, meta.mtime_nsec()),
            (0, 0),
            "{} has an mtime finer than the day",
            path.display()
        );
        seen += 1;
    }
    assert!(seen > 1, "no segment file was written");

    let mut haystacks = read_tree(&server.data_dir);
    let stored: usize = haystacks.iter().map(|(_, b)| b.len()).sum();
    assert!(
        stored > 210 * 1024,
        "the data directory should hold the sealed tips (a 210 KiB attachment among them), \
         but holds {stored} bytes: is the server writing somewhere else?"
    );
    haystacks.push(("server log".to_owned(), server.log()));

    let hits = find_needles(&haystacks, &needles);
    let shown: Vec<String> = hits
        .iter()
        .map(|(file, n)| format!("{file}: {:?}", String::from_utf8_lossy(n)))
        .collect();
    assert!(
        hits.is_empty(),
        "plaintext found on the server:\n{}",
        shown.join("\n")
    );
}

#[test]
fn submissions_from_a_distinctive_address_leave_no_trace_of_it() {
    let team = setup_team();
    let mut server = team.spawn_server(&[]);
    let tip = read_json(&a_sample());
    let bundles = seal_bundles(&server.url, &tip, 2);
    let witness_headers = [
        ("User-Agent", WITNESS_AGENT),
        ("Referer", WITNESS_REFERER),
        ("Accept-Language", "ko-KR"),
    ];
    let from_witness = |method: &str, path: &str, extra: &[(&str, &str)], body: &[u8]| {
        let mut headers = witness_headers.to_vec();
        headers.extend_from_slice(extra);
        let resp = raw_http(
            server.addr,
            Some(WITNESS_ADDR),
            &request(method, path, &headers, body),
        );
        assert!(
            resp.header("set-cookie").is_none(),
            "{method} {path} set a cookie on a witness: {:?}",
            resp.header("set-cookie")
        );
        resp
    };

    // What a witness's client does: look at the keyring, submit, maybe retry.
    assert_eq!(from_witness("GET", "/api/v1/health", &[], b"").status, 200);
    assert_eq!(from_witness("GET", "/api/v1/keyring", &[], b"").status, 200);
    let octets = [("Content-Type", "application/octet-stream")];
    let first = from_witness("POST", "/api/v1/tips", &octets, &bundles[0]);
    assert_eq!(
        first.status,
        201,
        "{}",
        String::from_utf8_lossy(&first.body)
    );
    let key = format!("zq81-{}", random_hex(12));
    let keyed = [octets[0], ("Idempotency-Key", key.as_str())];
    let second = from_witness("POST", "/api/v1/tips", &keyed, &bundles[1]);
    assert_eq!(
        second.status,
        201,
        "{}",
        String::from_utf8_lossy(&second.body)
    );
    let retry = from_witness("POST", "/api/v1/tips", &keyed, &bundles[1]);
    assert_eq!(
        retry.status, 200,
        "a retry with the same key is acknowledged again"
    );
    // …and what goes wrong: a broken upload, a nosy look at the reviewers' API.
    let broken = from_witness("POST", "/api/v1/tips", &octets, &random_bytes(2000));
    assert_eq!(broken.status, 400);
    assert_eq!(from_witness("GET", "/api/v1/tips", &[], b"").status, 401);
    assert_eq!(from_witness("GET", "/no/such/page", &[], b"").status, 404);
    // An attachment the witness started and never finished: its bytes stay in a file.
    let json = [("Content-Type", "application/json")];
    let created = from_witness("POST", "/api/v1/uploads", &json, br#"{"length": 16553}"#);
    assert_eq!(
        created.status,
        201,
        "{}",
        String::from_utf8_lossy(&created.body)
    );
    let upload = created.json()["id"].as_str().unwrap().to_owned();
    let at = [octets[0], ("Upload-Offset", "0")];
    let path = format!("/api/v1/uploads/{upload}");
    let patched = from_witness("PATCH", &path, &at, &random_bytes(5000));
    assert_eq!(
        patched.status,
        204,
        "{}",
        String::from_utf8_lossy(&patched.body)
    );

    // The tips are really there, so the server did see the witness.
    assert_eq!(review_ids(&server.url, &team.reviewer_key).len(), 2);
    server.stop();

    // The unfinished upload's file and its directory show the day, not the moment.
    let uploads = server.data_dir.join("uploads");
    let file = uploads.join(&upload);
    assert!(
        file.exists(),
        "the unfinished upload's bytes are in {file:?}"
    );
    for path in [&uploads, &file] {
        let meta = std::fs::metadata(path).unwrap();
        for (what, secs, nanos) in [
            ("mtime", meta.mtime(), meta.mtime_nsec()),
            ("atime", meta.atime(), meta.atime_nsec()),
        ] {
            assert!(
                secs % 86_400 == 0 && nanos == 0,
                "the {what} of {path:?} is finer than a day: {secs}.{nanos:09}"
            );
        }
    }

    let mut haystacks = read_tree(&server.data_dir);
    haystacks.push(("server log".to_owned(), server.log()));
    let needles: [(&str, &[u8]); 5] = [
        ("the address as text", b"127.0.0.77"),
        ("the address as bytes", &[127, 0, 0, 77]),
        ("the User-Agent", WITNESS_AGENT.as_bytes()),
        ("the Referer host", b"referer-zq81"),
        ("the language", b"ko-KR"),
    ];
    for (what, needle) in needles {
        let found: Vec<&str> = haystacks
            .iter()
            .filter(|(_, bytes)| contains(bytes, needle))
            .map(|(name, _)| name.as_str())
            .collect();
        assert!(
            found.is_empty(),
            "{what} of the witness was stored in {found:?}"
        );
    }
}
