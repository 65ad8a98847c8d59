//! The reviewers' API is closed to anyone without a session, and a refusal tells an
//! anonymous client nothing: the same 401 and the same body whatever was wrong.

mod common;

use common::*;

#[test]
fn unauthenticated_reviewer_requests_get_the_same_401_and_leak_nothing() {
    let team = setup_team();
    let mut server = team.spawn_server(&[]);
    submit(&server.url, &a_sample(), &[]);

    let unknown_b64 = "zq81UnknownTokenAAAAAAAAAAAAAAAAAAAAAAAAAAA"; // 43 chars, like 32 bytes
    let unknown_hex = random_hex(32);
    let malformed = "zq81-not!a~token";
    let tokens = [unknown_b64, unknown_hex.as_str(), malformed];
    let authorizations: Vec<Option<String>> = vec![
        None,
        Some("Bearer".to_owned()),
        Some("Bearer ".to_owned()),
        Some(format!("Bearer {malformed}")),
        Some(format!("Bearer {unknown_b64}")),
        Some(format!("Bearer {unknown_hex}")),
        Some(format!("Basic {unknown_b64}")),
    ];
    let paths = [
        "/api/v1/tips".to_owned(),
        format!("/api/v1/tips/{}", random_hex(16)),
        "/api/v1/audit".to_owned(),
    ];

    let mut bodies = Vec::new();
    for path in &paths {
        for auth in &authorizations {
            let headers: Vec<(&str, &str)> =
                auth.iter().map(|a| ("Authorization", a.as_str())).collect();
            let resp = raw_http(server.addr, None, &request("GET", path, &headers, b""));
            assert_eq!(resp.status, 401, "GET {path} with {auth:?}");
            assert_eq!(
                resp.assert_json_error(),
                "unauthorized",
                "GET {path} with {auth:?}"
            );
            for token in tokens {
                assert!(
                    !contains(&resp.body, token.as_bytes()),
                    "the 401 echoes the token"
                );
            }
            assert!(resp.header("set-cookie").is_none());
            bodies.push((path.clone(), auth.clone(), resp.body));
        }
    }
    let (_, _, first) = &bodies[0];
    for (path, auth, body) in &bodies {
        assert_eq!(
            body,
            first,
            "GET {path} with {auth:?} is refused differently from the others: {}",
            String::from_utf8_lossy(body)
        );
    }

    server.stop();
    let log = server.log();
    for token in tokens {
        assert!(
            !contains(&log, token.as_bytes()),
            "the server logged a presented token"
        );
    }
}

#[test]
fn a_reviewer_who_is_not_in_the_keyring_cannot_log_in() {
    let team = setup_team();
    let server = team.spawn_server(&[]);
    let stranger = team.new_identity("mallory");

    let out = try_review_list(&server.url, &stranger);
    assert!(
        !out.status.success(),
        "a key that is in no keyring logged in"
    );
    // The admin runs no reviewer session either: the admin key opens no tips.
    let out = try_review_list(&server.url, &team.admin_key);
    if out.status.success() {
        // An admin may list metadata, but must not open a tip.
        let id = submit(&server.url, &a_sample(), &[]);
        let out = try_review_show(&server.url, &team.admin_key, &id, None);
        assert!(!out.status.success(), "the admin key opened a tip");
    }
}
