//! Whatever a client sends that is not a well-formed sealed tip for the current epoch is
//! refused with a readable JSON error, and nothing of it is stored. A body that trickles
//! in is cut off.

mod common;

use std::io::Write;
use std::time::{Duration, Instant};

use common::*;

/// The body limit the server is started with in these tests; a sealed sample is far
/// smaller (a 16 KiB padding bucket plus headers).
const MAX_BODY: usize = 200_000;

#[test]
fn malformed_truncated_trailing_wrong_epoch_and_oversized_bundles_are_refused_and_nothing_is_stored(
) {
    let team = setup_team();
    let max = MAX_BODY.to_string();
    let server = team.spawn_server(&["--max-body-bytes", &max]);
    let tip = read_json(&a_sample());
    let sealed_to_old_epoch = seal_bundle(&server.url, &tip);
    let count = || review_ids(&server.url, &team.reviewer_key).len();
    assert_eq!(count(), 0);

    let post = |body: &[u8]| raw_http(server.addr, None, &post_tip_request(body, None));
    let refuse = |what: &str, body: &[u8], status: u16| -> String {
        let resp = post(body);
        assert_eq!(
            resp.status,
            status,
            "{what}: got {} {}",
            resp.status,
            String::from_utf8_lossy(&resp.body)
        );
        let code = resp.assert_json_error();
        let error = resp.json()["error"].as_str().unwrap().to_owned();
        assert!(
            !error.contains("tipseal::"),
            "{what}: the error leaks internals: {error}"
        );
        code
    };

    refuse("random bytes", &random_bytes(4096), 400);
    refuse("an empty body", b"", 400);
    let mut truncated = sealed_to_old_epoch.clone();
    truncated.pop();
    refuse("a bundle missing its last byte", &truncated, 400);
    let mut trailing = sealed_to_old_epoch.clone();
    trailing.push(0);
    refuse("a bundle with a trailing byte", &trailing, 400);
    let mut flipped = sealed_to_old_epoch.clone();
    flipped[0] ^= 0x01;
    refuse("a bundle with a damaged first byte", &flipped, 400);

    team.rotate();
    team.publish(&server.url);
    let code = refuse(
        "a bundle sealed to the epoch before a rotation",
        &sealed_to_old_epoch,
        400,
    );
    assert!(
        code.contains("epoch"),
        "a wrong-epoch refusal says so in its code: {code}"
    );

    let code = refuse(
        "a body over --max-body-bytes",
        &random_bytes(MAX_BODY + 100_000),
        413,
    );
    assert_eq!(code, "too_large");

    assert_eq!(count(), 0, "a refused submission was stored");

    // A good bundle for the current epoch is taken: the refusals were about the damage.
    let good = seal_bundle(&server.url, &tip);
    assert!(
        good.len() < MAX_BODY,
        "a sealed sample fits the test's body limit"
    );
    let resp = post(&good);
    assert_eq!(resp.status, 201, "{}", String::from_utf8_lossy(&resp.body));
    assert_eq!(count(), 1);
}

#[test]
fn an_idempotency_key_that_is_not_16_to_128_safe_characters_is_refused() {
    let team = setup_team();
    let server = team.spawn_server(&[]);
    let bundle = seal_bundle(&server.url, &read_json(&a_sample()));
    let long = "k".repeat(129);
    for key in [
        "short",
        "has spaces in it, sixteen+",
        "dots.are.not.allowed.here",
        long.as_str(),
    ] {
        let resp = raw_http(server.addr, None, &post_tip_request(&bundle, Some(key)));
        assert_eq!(resp.status, 400, "Idempotency-Key {key:?}");
        resp.assert_json_error();
    }
    assert_eq!(review_ids(&server.url, &team.reviewer_key).len(), 0);
}

#[test]
fn a_slow_body_is_cut_off_with_408() {
    let team = setup_team();
    let server = team.spawn_server(&["--body-timeout-secs", "2"]);

    let started = Instant::now();
    let mut stream = connect(server.addr, None).unwrap();
    stream
        .write_all(
            b"POST /api/v1/tips HTTP/1.1\r\nHost: 127.0.0.1\r\n\
              Content-Type: application/octet-stream\r\nContent-Length: 100000\r\n\r\n",
        )
        .unwrap();
    let mut trickle = stream.try_clone().unwrap();
    let writer = std::thread::spawn(move || {
        // A few bytes every 500 ms: 100 000 bytes would take over an hour.
        for _ in 0..40 {
            if trickle.write_all(&[0x42; 8]).is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    });
    let raw = read_all_lenient(&mut stream);
    let elapsed = started.elapsed();
    let _ = stream.shutdown(std::net::Shutdown::Both);
    writer.join().unwrap();

    let resp = parse_response(&raw).unwrap_or_else(|| {
        panic!(
            "no HTTP answer after {elapsed:?}: {:?}",
            String::from_utf8_lossy(&raw)
        )
    });
    assert_eq!(resp.status, 408, "{}", String::from_utf8_lossy(&resp.body));
    assert_eq!(resp.assert_json_error(), "body_timeout");
    assert!(
        elapsed < Duration::from_secs(6),
        "a 2 s body timeout took {elapsed:?} to cut the body off"
    );

    // The server is still there for everyone else, and stored nothing.
    assert_eq!(server.get("/api/v1/health").status, 200);
    assert_eq!(review_ids(&server.url, &team.reviewer_key).len(), 0);
}
