//! The OpenAPI description (`docs/openapi.json`): it is what the code generates, the
//! server serves it, it names every route the server registers, and — in the ignored
//! test that `scripts/schemathesis.sh` runs — schemathesis finds no response that breaks
//! it on a live server.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

const COMMITTED: &str = "docs/openapi.json";
const REGENERATE: &str = "cargo run -q -- openapi > docs/openapi.json";

fn committed() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(COMMITTED);
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {}: {e}; create it with `{REGENERATE}`",
            path.display()
        )
    })
}

fn spec() -> Value {
    serde_json::from_str(tipseal::http::openapi::json()).expect("the description is JSON")
}

#[test]
fn the_committed_description_is_what_the_code_generates() {
    let generated = tipseal::http::openapi::json();
    if committed() != generated {
        let first_difference = committed()
            .lines()
            .zip(generated.lines())
            .position(|(a, b)| a != b)
            .map_or("its length".to_owned(), |i| format!("line {}", i + 1));
        panic!(
            "{COMMITTED} differs from the description the code generates (first at {first_difference}): \
             a route, a handler's #[utoipa::path] or a schema changed. Regenerate it with \
             `{REGENERATE}` and commit it."
        );
    }
}

#[test]
fn the_server_serves_the_committed_description() {
    let team = common::setup_team();
    let server = team.spawn_server(&[]);
    let res = server.get("/api/v1/openapi.json");
    assert_eq!(res.status, 200);
    assert!(res
        .header("content-type")
        .is_some_and(|c| c.starts_with("application/json")));
    assert_eq!(
        String::from_utf8(res.body).expect("UTF-8"),
        committed(),
        "the served description differs from {COMMITTED}: regenerate it with `{REGENERATE}`"
    );
}

/// `(METHOD, /path)` of every `.route("…", web::method()…)` in a route file, with the
/// scope's prefix and actix's `{name:regex}` written as OpenAPI's `{name}`.
fn registered_routes(file: &str, prefix: &str) -> BTreeSet<(String, String)> {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(file))
        .expect("read the route file");
    let mut out = BTreeSet::new();
    for chunk in text.split(".route(").skip(1) {
        let Some(path) = chunk.trim_start().strip_prefix('"') else {
            continue;
        };
        let path = &path[..path.find('"').expect("a closing quote")];
        let method = chunk
            .split("web::")
            .nth(1)
            .and_then(|m| m.split("()").next())
            .expect("web::METHOD()");
        let mut openapi_path = String::new();
        for (i, segment) in format!("{prefix}{path}").split('{').enumerate() {
            if i == 0 {
                openapi_path.push_str(segment);
            } else {
                let (name, rest) = segment.split_once('}').expect("a closing brace");
                let name = name.split(':').next().expect("a parameter name");
                openapi_path.push_str(&format!("{{{name}}}{rest}"));
            }
        }
        out.insert((method.to_owned(), openapi_path));
    }
    out
}

#[test]
fn every_registered_route_is_described() {
    let spec = spec();
    let described: BTreeSet<(String, String)> = spec["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .flat_map(|(path, ops)| {
            ops.as_object()
                .expect("operations")
                .keys()
                .map(move |m| (m.clone(), path.clone()))
        })
        .collect();
    let mut registered = registered_routes("src/http/routes/mod.rs", "/api/v1");
    registered.extend(registered_routes("src/http/web/mod.rs", ""));
    assert!(
        registered.len() >= 28,
        "the route files were not parsed: {registered:?}"
    );
    let missing: Vec<_> = registered.difference(&described).collect();
    let extra: Vec<_> = described.difference(&registered).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "registered but not described: {missing:?}; described but not registered: {extra:?}. \
         Annotate the handler with #[utoipa::path], list it in src/http/openapi.rs (or \
         PagesApi), then `{REGENERATE}`"
    );
}

#[test]
fn every_json_error_status_names_the_error_schema() {
    let spec = spec();
    let mut bare = Vec::new();
    for (path, ops) in spec["paths"].as_object().expect("paths") {
        if !path.starts_with("/api/v1/") {
            continue;
        }
        for (method, op) in ops.as_object().expect("operations") {
            for (status, res) in op["responses"].as_object().expect("responses") {
                let schema = &res["content"]["application/json"]["schema"]["$ref"];
                let ok = !status.starts_with('4') && !status.starts_with('5')
                    || schema == "#/components/schemas/ErrorBody"
                    || (path == "/api/v1/uploads/{id}" && method == "patch" && status == "409")
                    // `{error, code, current}`: the seq to fetch up to before retrying.
                    || (path.ends_with("/events")
                        && method == "post"
                        && status == "409"
                        && schema == "#/components/schemas/SeqConflictBody");
                if !ok {
                    bare.push(format!("{method} {path} {status}"));
                }
                if status == "503" && res["headers"]["Retry-After"].is_null() {
                    bare.push(format!("{method} {path} 503 without Retry-After"));
                }
            }
        }
    }
    assert!(
        bare.is_empty(),
        "error responses without the {{error, code}} schema: {bare:?}"
    );
}

/// Runs schemathesis (all checks) against a live server with a reviewer's token, then
/// the admin-only route with an admin's token. Needs `TIPSEAL_SCHEMATHESIS` = the
/// schemathesis executable; `scripts/schemathesis.sh` installs the pinned version and
/// runs this. Bounded by `TIPSEAL_SCHEMATHESIS_MAX_EXAMPLES` (default 40 per operation).
#[test]
#[ignore = "needs schemathesis: run scripts/schemathesis.sh"]
fn schemathesis_finds_nothing_wrong_on_a_live_server() {
    let exe = std::env::var("TIPSEAL_SCHEMATHESIS").expect(
        "set TIPSEAL_SCHEMATHESIS to the schemathesis executable (scripts/schemathesis.sh does)",
    );
    let max_examples =
        std::env::var("TIPSEAL_SCHEMATHESIS_MAX_EXAMPLES").unwrap_or_else(|_| "40".to_owned());
    let team = common::setup_team();
    // The budgets (429) are the attack suite's business (`tests/attacks/floods.rs`), and
    // documented on every operation they apply to; here they would only starve the
    // positive-data checks, so they are off.
    let server = team.spawn_server(&[
        "--min-free-bytes",
        "0",
        "--rate-intake",
        "off",
        "--rate-reads",
        "off",
        "--rate-publish",
        "off",
        "--rate-staff",
        "off",
        "--rate-mailbox",
        "off",
    ]);
    let url = server.url.clone();
    // One real tip, so the reviewers' routes have something to list.
    common::submit(&url, &common::a_sample(), &[]);
    let reviewer = common::staff_token(&url, &team.reviewer_key);
    let admin = common::staff_token(&url, &team.admin_key);
    let witness = common::witness_token(&url, &common::read_json(&common::a_sample()));
    let report = tempfile::TempDir::new().expect("report dir");
    let schema = format!("{url}/api/v1/openapi.json");
    let started = Instant::now();
    let run = |token: &str, filter: &[&str], name: &str| {
        // In the report's temp dir: schemathesis keeps a cache of past failures in its
        // working directory, which must not land in the repository or skew the next run.
        let out = Command::new(&exe)
            .current_dir(report.path())
            .arg("--config-file")
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/schemathesis.toml"))
            .args([
                "run",
                &schema,
                "--checks",
                "all",
                "--max-examples",
                &max_examples,
            ])
            .args(["--workers", "2", "--seed", "7", "--no-color"])
            .args([
                "--request-timeout",
                "20",
                "--suppress-health-check",
                "too_slow",
            ])
            .arg("--header")
            .arg(format!("Authorization: Bearer {token}"))
            .args(["--report", "junit", "--report-junit-path"])
            .arg(report.path().join(format!("{name}.xml")))
            .args(filter)
            .output()
            .expect("run schemathesis");
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        println!("{text}");
        assert!(
            out.status.success(),
            "schemathesis ({name}) found failures: see above. Fix the server (or, if the \
             description is wrong, the #[utoipa::path] attribute), never the check."
        );
        cases_in(&text)
    };
    // Every operation but the logouts, which would end the session the rest uses.
    let reviewer_cases = run(
        &reviewer,
        &[
            "--exclude-operation-id",
            "staff_logout",
            "--exclude-operation-id",
            "mailbox_logout",
        ],
        "reviewer",
    );
    let admin_cases = run(&admin, &["--include-operation-id", "list_audit"], "admin");
    // The witness's mailbox, with a witness's token (not its logout, for the same reason).
    let witness_cases = run(
        &witness,
        &[
            "--include-operation-id",
            "read_mailbox",
            "--include-operation-id",
            "add_message",
        ],
        "witness",
    );
    // Last, the two logouts, which end the reviewer's session.
    let logout_cases = run(
        &reviewer,
        &[
            "--include-operation-id",
            "staff_logout",
            "--include-operation-id",
            "mailbox_logout",
        ],
        "logout",
    );
    println!(
        "schemathesis: {} test cases, 0 failures, in {:.0?}",
        reviewer_cases + admin_cases + witness_cases + logout_cases,
        started.elapsed()
    );
    assert!(
        server.get("/api/v1/health").status == 200,
        "the server survived"
    );
    assert!(started.elapsed() < Duration::from_secs(600));
}

/// The number of generated test cases schemathesis reports ("N generated").
fn cases_in(output: &str) -> u64 {
    output
        .lines()
        .filter_map(|l| {
            let words: Vec<&str> = l.split_whitespace().collect();
            let at = words
                .iter()
                .position(|w| w.trim_end_matches(',') == "generated")?;
            words.get(at.checked_sub(1)?)?.parse::<u64>().ok()
        })
        .max()
        .unwrap_or(0)
}

/// Found by schemathesis (`unsupported_method`): a known path with another method was a
/// 404 "no such tip"; it is a 405 naming the allowed methods, and an unknown API path
/// says so rather than naming a tip.
#[test]
fn a_known_path_with_another_method_is_405_with_allow() {
    let team = common::setup_team();
    let server = team.spawn_server(&[]);
    let send = |method: &str, path: &str| {
        common::raw_http(server.addr, None, &common::request(method, path, &[], &[]))
    };
    for (method, path, allow) in [
        ("TRACE", "/api/v1/health", "GET"),
        ("DELETE", "/api/v1/tips", "GET, POST"),
        (
            "POST",
            "/api/v1/uploads/0123456789abcdef0123456789abcdef",
            "GET, PATCH",
        ),
        ("PUT", "/api/v1/auth/session", "POST, DELETE"),
    ] {
        let res = send(method, path);
        assert_eq!(res.status, 405, "{method} {path}");
        assert_eq!(res.header("allow"), Some(allow), "{method} {path}");
        assert_eq!(res.assert_json_error(), "method_not_allowed");
    }
    let page = send("DELETE", "/en/");
    assert_eq!(page.status, 405);
    assert_eq!(page.header("allow"), Some("GET"));
    let unknown = send("GET", "/api/v1/nothing");
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.assert_json_error(), "not_found");
    assert!(!String::from_utf8_lossy(&unknown.body).contains("tip"));
}
