//! The desk's Cases view and figures on the real data: a server, tips about one worksite
//! in four scripts and two decoys, `tipseal desk` over HTTP. The cases the desk lists are
//! the command line's; confirming and naming through the desk is a team-log event the
//! command line then sees; a case page carries its tips, facts and figures; the export
//! refuses without the plaintext confirmation or with a relative folder, then writes a
//! folder that `tipseal verify-export` accepts; `tipseal review figures` counts the same.

mod common;

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;
use serde_json::{json, Value};

const HARBOUR: [&str; 4] = ["harbour-ko", "harbour-ru", "harbour-zh", "harbour-en"];
const DECOYS: [&str; 2] = ["island-ko", "island-ru"];

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/cases/{name}.json"))
}

/// One HTTP/1.1 request over a raw socket: (status, head, body).
fn raw(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nConnection: close\r\n");
    for (n, v) in headers {
        req.push_str(&format!("{n}: {v}\r\n"));
    }
    req.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    s.write_all(req.as_bytes()).unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).unwrap();
    let text = String::from_utf8_lossy(&buf).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let body = if head.to_lowercase().contains("transfer-encoding: chunked") {
        let mut out = String::new();
        let mut rest = body;
        while let Some((len, tail)) = rest.split_once("\r\n") {
            let n = usize::from_str_radix(len.trim(), 16).unwrap_or(0);
            if n == 0 {
                break;
            }
            out.push_str(&tail[..n]);
            rest = &tail[n + 2..];
        }
        out
    } else {
        body.to_string()
    };
    (status, head.to_string(), body)
}

/// `tipseal review CMD` on a store of its own (the desk holds the reviewer's store open).
fn cli(cmd: &[&str], server: &str, key: &Path) -> Value {
    let store = key.with_extension("cli-store");
    let mut args: Vec<&OsStr> = vec![OsStr::new("review")];
    args.extend(cmd.iter().map(OsStr::new));
    args.extend([OsStr::new("--store"), store.as_os_str()]);
    args.extend([
        OsStr::new("--server"),
        OsStr::new(server),
        OsStr::new("--key"),
        key.as_os_str(),
    ]);
    json_stdout(&tipseal_ok(args))
}

#[test]
fn the_desk_lists_confirms_names_charts_and_exports_a_case() {
    let team = setup_team();
    let server = team.spawn_server(&[]);
    let ids: Vec<(&str, String)> = HARBOUR
        .iter()
        .chain(DECOYS.iter())
        .map(|n| (*n, submit(&server.url, &fixture(n), &[])))
        .collect();
    let id_of = |name: &str| ids.iter().find(|(n, _)| *n == name).unwrap().1.clone();

    let mut desk = Command::new(bin())
        .args(["desk", "--server", &server.url, "--key"])
        .arg(&team.reviewer_key)
        .env("TIPSEAL_PASSPHRASE", PASSPHRASE)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("tipseal desk starts");
    let mut out = BufReader::new(desk.stdout.take().unwrap()).lines();
    let url = out.next().expect("a line").expect("the URL");
    let rest = url.trim_start_matches("http://");
    let (host, path) = rest.split_once('/').unwrap();
    let addr: SocketAddr = host.parse().unwrap();
    let origin = format!("http://{host}");
    let open = raw(addr, "GET", &format!("/{path}"), &[("Host", host)], "");
    assert_eq!(open.0, 303);
    let cookie = open
        .1
        .lines()
        .find_map(|l| {
            l.to_lowercase()
                .starts_with("set-cookie:")
                .then(|| l[11..].trim().to_owned())
        })
        .map(|v| v.split(';').next().unwrap().to_string())
        .expect("a session cookie");
    let get = |p: &str| {
        let (status, _, body) = raw(addr, "GET", p, &[("Host", host), ("Cookie", &cookie)], "");
        (status, body)
    };
    let post = |p: &str, body: &Value| {
        let (status, _, body) = raw(
            addr,
            "POST",
            p,
            &[
                ("Host", host),
                ("Cookie", &cookie),
                ("Origin", &origin),
                ("Content-Type", "application/json"),
            ],
            &body.to_string(),
        );
        (status, body)
    };
    let json = |(status, body): (u16, String)| -> Value {
        assert_eq!(status, 200, "{body}");
        serde_json::from_str(&body).unwrap()
    };

    // The list: the harbour's four tips in one suggested case, as the command line has it.
    let cases = json(get("/api/cases"));
    let harbour_ko = id_of("harbour-ko");
    let harbour = cases
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["reasons"].to_string().contains(&harbour_ko[..8]))
        .unwrap_or_else(|| panic!("no case links the Korean harbour tip: {cases:#}"))
        .clone();
    assert_eq!(harbour["status"], "suggested");
    assert_eq!(harbour["tips"], 4, "{harbour:#}");
    let langs = harbour["languages"].to_string();
    for l in ["ko", "ru", "zh", "en"] {
        assert!(langs.contains(l), "{langs}");
    }
    let case_id = harbour["id"].as_str().unwrap().to_owned();
    let cli_cases = cli(&["cases", "--json"], &server.url, &team.reviewer_key);
    assert!(
        cli_cases
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == case_id.as_str()),
        "the desk and the command line list the same case: {cli_cases:#}"
    );

    // The case page: its tips (linked by full id), facts, and figures from the library.
    let page = json(get(&format!("/api/cases/{case_id}")));
    let tips: Vec<&str> = page["tips"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    for n in HARBOUR {
        assert!(
            tips.contains(&id_of(n).as_str()),
            "{n} is on the page: {tips:?}"
        );
    }
    assert!(
        page["facts"].to_string().contains("hours per day"),
        "{}",
        page["facts"]
    );
    let f = &page["figures"];
    assert_eq!(f["tips"], 4);
    assert_eq!(f["by_country"], json!([{"key": "RU", "tips": 4}]));
    assert_eq!(f["hours_per_day"]["median"], 16.0);
    assert_eq!(f["hours_per_day"]["min"], 15.0);
    // ko, ru, zh: passports held (or a minder who takes them); en: not held.
    let p = &f["passports_taken"];
    assert_eq!(
        (p["yes"].as_u64(), p["no"].as_u64(), p["unknown"].as_u64()),
        (Some(3), Some(1), Some(0)),
        "{p}"
    );
    // ko and zh name a minder who collects the wages; the form cannot say "no".
    let w = &f["wages_withheld"];
    assert_eq!(
        (w["yes"].as_u64(), w["no"].is_null(), w["total"].as_u64()),
        (Some(2), true, Some(4)),
        "{w}"
    );

    // Inbox figures over a filter: all six tips, then only the construction ones of RU.
    let all = json(get("/api/figures"));
    assert_eq!(all["tips"], 6, "{all:#}");
    assert_eq!(json(get("/api/figures?country=CN"))["tips"], 0);
    let bad = get("/api/figures?from=yesterday");
    assert_eq!(bad.0, 400, "{}", bad.1);

    // Refusals at the edge: not a case id, an unknown case, an empty split.
    assert_eq!(get("/api/cases/nope").0, 400);
    assert_eq!(get("/api/cases/case-0000000000000000").0, 404);
    let empty = post(
        &format!("/api/cases/{case_id}"),
        &json!({"action": "split", "tips": []}),
    );
    assert_eq!(empty.0, 400, "{}", empty.1);
    let odd = post(&format!("/api/cases/{case_id}"), &json!({"action": "burn"}));
    assert!(odd.0 == 400, "an unknown action is refused: {odd:?}");

    // Confirm with a name: one team-log event; the command line sees it.
    let done = json(post(
        &format!("/api/cases/{case_id}"),
        &json!({"action": "confirm", "name": "Harbour works"}),
    ));
    assert_eq!(done["ok"], true, "{done}");
    let again = post(
        &format!("/api/cases/{case_id}"),
        &json!({"action": "confirm"}),
    );
    assert_eq!(again.0, 400, "{}", again.1);
    assert!(again.1.contains("already confirmed"), "{}", again.1);
    let cases = json(get("/api/cases"));
    let mine = cases
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == case_id.as_str())
        .expect("same id once confirmed");
    assert_eq!(mine["status"], "confirmed");
    assert_eq!(mine["name"], "Harbour works");
    let cli_cases = cli(&["cases", "--json"], &server.url, &team.reviewer_key);
    let c = cli_cases
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == case_id.as_str())
        .unwrap();
    assert_eq!(
        (c["status"].as_str(), c["name"].as_str()),
        (Some("confirmed"), Some("Harbour works"))
    );
    // Renamed through the desk.
    assert_eq!(
        json(post(
            &format!("/api/cases/{case_id}"),
            &json!({"action": "name", "name": "Harbour, Vladivostok"})
        ))["ok"],
        true
    );
    let page = json(get(&format!("/api/cases/{case_id}")));
    assert_eq!(page["case"]["name"], "Harbour, Vladivostok");
    assert_eq!(
        page["figures"]["by_site"],
        json!([{"key": "Harbour, Vladivostok", "tips": 4}])
    );

    // The export: planned (flags, files) without writing; refused without the
    // confirmation or with a relative folder; then written and verified.
    let plan = json(get(&format!(
        "/api/cases/{case_id}/export?format=markdown&redact=false"
    )));
    assert_eq!(plan["tips"], 4);
    assert_eq!(plan["files"], json!([format!("report-{case_id}.md")]));
    assert!(plan["flags"].is_array());
    let tmp = tempfile::TempDir::new().unwrap();
    let dir = tmp.path().join("harbour-export");
    let body = |understood: bool, out: &str| json!({"format": "markdown", "redact": false, "out": out, "plaintext_understood": understood});
    let no = post(
        &format!("/api/cases/{case_id}/export"),
        &body(false, dir.to_str().unwrap()),
    );
    assert_eq!(no.0, 400, "{}", no.1);
    assert!(!dir.exists(), "nothing written without the confirmation");
    let rel = post(
        &format!("/api/cases/{case_id}/export"),
        &body(true, "relative/folder"),
    );
    assert_eq!(rel.0, 400, "{}", rel.1);
    let wrote = json(post(
        &format!("/api/cases/{case_id}/export"),
        &body(true, dir.to_str().unwrap()),
    ));
    assert_eq!(wrote["signer"], "alice", "{wrote}");
    let report = std::fs::read_to_string(dir.join(format!("report-{case_id}.md"))).unwrap();
    assert!(report.starts_with("# Harbour, Vladivostok"), "{report}");
    assert!(report.contains("## Figures"), "{report}");
    assert!(
        report.contains("Passports taken: 3 of 4 tips (75 %); no 1, unknown 0"),
        "{report}"
    );
    let again = post(
        &format!("/api/cases/{case_id}/export"),
        &body(true, dir.to_str().unwrap()),
    );
    assert_eq!(
        again.0, 400,
        "a folder that holds an export is refused: {}",
        again.1
    );
    let _ = desk.kill();
    let _ = desk.wait();
    tipseal_ok([
        OsStr::new("verify-export"),
        dir.as_os_str(),
        OsStr::new("--server"),
        OsStr::new(&server.url),
    ]);

    // The command line's figures: the same library, the same numbers.
    let f = cli(
        &["figures", "--case", &case_id, "--json"],
        &server.url,
        &team.reviewer_key,
    );
    assert_eq!(
        f, page["figures"],
        "review figures --case and the desk agree"
    );
    let f = cli(
        &["figures", "--json", "--country", "RU"],
        &server.url,
        &team.reviewer_key,
    );
    assert_eq!(f["tips"], 6);
    let site = f["by_site"].as_array().unwrap();
    assert_eq!(
        site[0],
        json!({"key": "Harbour, Vladivostok", "tips": 4}),
        "{site:?}"
    );
}
