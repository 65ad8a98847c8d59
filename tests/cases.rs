//! Cases and verified exports against a real server and workspace: tips about one
//! worksite in four scripts land in one suggested case and the decoys (another site in the
//! same city, a different Kim in another city) do not; a case confirmed and named by one
//! reviewer is seen by another after sync; an export verifies, a changed byte is named, a
//! manifest signed by a revoked reviewer is refused; the re-identification check fires on
//! a unique combination; `--redact` writes no relation and no witness's own words.

mod common;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Output;

use common::*;
use serde_json::Value;

const HARBOUR: [&str; 4] = ["harbour-ko", "harbour-ru", "harbour-zh", "harbour-en"];
const DECOYS: [&str; 4] = ["island-ru", "island-ko", "logging-ru", "logging-en"];

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/cases/{name}.json"))
}

fn ok(out: Output) -> Output {
    assert!(
        out.status.success(),
        "failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Submits every fixture; returns (name, tip id).
fn submit_all(server: &str) -> Vec<(&'static str, String)> {
    HARBOUR
        .iter()
        .chain(DECOYS.iter())
        .map(|n| (*n, submit(server, &fixture(n), &[])))
        .collect()
}

fn id_of<'a>(ids: &'a [(&str, String)], name: &str) -> &'a str {
    &ids.iter().find(|(n, _)| *n == name).expect("a fixture").1
}

fn cases(server: &str, key: &Path) -> Vec<Value> {
    json_stdout(&ok(review(&["cases", "--json"], server, key)))
        .as_array()
        .expect("an array of cases")
        .clone()
}

fn case_with<'a>(cases: &'a [Value], tip: &str) -> Option<&'a Value> {
    cases
        .iter()
        .find(|c| c["tips"].as_array().unwrap().iter().any(|t| t == tip))
}

fn tips_of(c: &Value) -> Vec<String> {
    let mut v: Vec<String> = c["tips"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().to_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn one_worksite_in_four_scripts_is_one_suggested_case_and_the_decoys_are_not_in_it() {
    let team = setup_team();
    let server = team.spawn_server(&[]);
    let ids = submit_all(&server.url);
    let key = &team.reviewer_key;
    let cs = cases(&server.url, key);

    let harbour =
        case_with(&cs, id_of(&ids, "harbour-ko")).expect("the Korean harbour tip is in a case");
    let mut want: Vec<String> = HARBOUR.iter().map(|n| id_of(&ids, n).to_owned()).collect();
    want.sort();
    assert_eq!(
        tips_of(harbour),
        want,
        "the four scripts land in one case: {harbour:#}"
    );
    assert_eq!(harbour["status"], "suggested");
    assert!(harbour["id"].as_str().unwrap().starts_with("case-"));
    let langs: Vec<&str> = harbour["languages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    assert_eq!(langs, ["en", "ko", "ru", "zh"]);

    // "김 반장", "бригадир Ким" and "Kim, the team leader" linked, with a readable reason.
    let reasons: Vec<&str> = harbour["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    let said = reasons.join("\n");
    assert!(said.contains("김 → Ким (Kontsevich)"), "{said}");
    assert!(said.contains("Kim (McCune–Reischauer"), "{said}");
    assert!(said.contains("same city (Vladivostok)"), "{said}");

    // Another site in the same city: its own case, never the harbour's.
    for decoy in DECOYS {
        assert!(
            !tips_of(harbour).contains(&id_of(&ids, decoy).to_owned()),
            "{decoy} was merged into the harbour case"
        );
    }
    let island =
        case_with(&cs, id_of(&ids, "island-ru")).expect("the island tips form their own case");
    assert_eq!(tips_of(island).len(), 2);
    // A different Kim at a logging camp in Khabarovsk: a case of its own, not merged.
    let logging =
        case_with(&cs, id_of(&ids, "logging-ru")).expect("the logging tips form their own case");
    assert_ne!(logging["id"], harbour["id"]);
    assert_eq!(tips_of(logging).len(), 2);

    // Facts and the independence check are there for a person to read.
    let facts = harbour["facts"].to_string();
    assert!(facts.contains("hours per day"), "{facts}");
    assert!(
        facts.contains("passports held by others") && facts.contains("disagree"),
        "{facts}"
    );
    let flags = island["independence"].to_string();
    assert!(
        flags.contains("same day") && flags.contains("worker"),
        "two 'worker' tips on one day are flagged: {flags}"
    );
}

#[test]
fn a_case_confirmed_and_named_by_one_reviewer_is_seen_by_another_after_sync() {
    let team = setup_team();
    let bob = team.new_identity("bob");
    team.add_reviewer(&bob);
    let server = team.spawn_server(&[]);
    let ids = submit_all(&server.url);
    let me = &team.reviewer_key;
    let cs = cases(&server.url, me);
    let harbour = case_with(&cs, id_of(&ids, "harbour-ko")).unwrap();
    let id = harbour["id"].as_str().unwrap().to_owned();

    ok(review(
        &[
            "case",
            "confirm",
            &id,
            "--name",
            "Harbour housing, Vladivostok",
        ],
        &server.url,
        me,
    ));
    let theirs = cases(&server.url, &bob);
    let seen = theirs
        .iter()
        .find(|c| c["id"] == id.as_str())
        .expect("bob sees the case");
    assert_eq!(seen["status"], "confirmed");
    assert_eq!(seen["name"], "Harbour housing, Vladivostok");
    assert_eq!(tips_of(seen), tips_of(harbour));
    assert!(
        seen["reasons"][0]
            .as_str()
            .unwrap()
            .starts_with("confirmed by alice"),
        "{seen:#}"
    );

    // Confirming it twice is refused with the reason.
    let again = review(&["case", "confirm", &id], &server.url, &bob);
    assert!(!again.status.success());
    assert!(
        text(&again.stderr).contains("already confirmed"),
        "{}",
        text(&again.stderr)
    );

    // Bob splits the English tip out: the rest stays a confirmed case of three.
    let en = id_of(&ids, "harbour-en");
    ok(review(
        &["case", "split", &id, "--tip", en],
        &server.url,
        &bob,
    ));
    let after = cases(&server.url, me);
    let rest = case_with(&after, id_of(&ids, "harbour-ko")).unwrap();
    assert_eq!(rest["status"], "confirmed");
    assert_eq!(tips_of(rest).len(), 3);
    assert!(case_with(&after, en).is_none_or(|c| c["status"] == "suggested"));
}

fn export(server: &str, key: &Path, extra: &[&str], out: &Path) -> Output {
    let mut args = vec!["export", "--yes"];
    args.extend(extra);
    let out_s = out.to_str().unwrap();
    args.extend(["--out", out_s]);
    review(&args, server, key)
}

fn verify(dir: &Path, server: &str) -> Output {
    tipseal([
        OsStr::new("verify-export"),
        dir.as_os_str(),
        OsStr::new("--server"),
        OsStr::new(server),
    ])
}

#[test]
fn an_export_verifies_a_changed_byte_is_named_and_redaction_leaves_out_the_witness() {
    let team = setup_team();
    let server = team.spawn_server(&[]);
    let ids = submit_all(&server.url);
    let key = &team.reviewer_key;
    let cs = cases(&server.url, key);
    let case = case_with(&cs, id_of(&ids, "harbour-ko")).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let dir = tempfile::TempDir::new().unwrap();

    // Without --yes and without a terminal: nothing written.
    let md = dir.path().join("md");
    let refused = review(
        &[
            "export",
            "--case",
            &case,
            "--format",
            "markdown",
            "--out",
            md.to_str().unwrap(),
        ],
        &server.url,
        key,
    );
    assert!(!refused.status.success());
    assert!(
        !md.exists(),
        "nothing is written before the reviewer agrees"
    );

    let out = ok(export(
        &server.url,
        key,
        &["--case", &case, "--format", "markdown"],
        &md,
    ));
    let warned = text(&out.stderr);
    assert!(warned.contains("PLAINTEXT"), "{warned}");
    // The only 'local_employee' who reported the harbour this month: flagged, --redact suggested.
    assert!(warned.contains("the only 'local_employee'"), "{warned}");
    assert!(warned.contains("--redact"), "{warned}");
    let manifest = read_json(&md.join("manifest.json"));
    assert_eq!(manifest["case"], case.as_str());
    assert!(manifest["reidentification"]
        .to_string()
        .contains("local_employee"));
    let report = std::fs::read_to_string(md.join(format!("report-{case}.md"))).unwrap();
    for heading in [
        "## Conditions",
        "## Minders",
        "## Corroboration",
        "## Independence",
        "## Tips",
    ] {
        assert!(report.contains(heading), "{heading} missing:\n{report}");
    }
    assert!(
        report.contains("Vladivostok") && report.contains("hours per day"),
        "{report}"
    );
    ok(verify(&md, &server.url));

    // One changed byte: refused, the file named.
    let file = md.join(format!("report-{case}.md"));
    let mut bytes = std::fs::read(&file).unwrap();
    let last = bytes.len() - 2;
    bytes[last] ^= 1;
    std::fs::write(&file, bytes).unwrap();
    let bad = verify(&md, &server.url);
    assert!(!bad.status.success());
    assert!(
        text(&bad.stderr).contains(&format!("report-{case}.md")),
        "{}",
        text(&bad.stderr)
    );

    // An added file: refused, named.
    let csv = dir.path().join("csv");
    ok(export(
        &server.url,
        key,
        &["--case", &case, "--format", "csv"],
        &csv,
    ));
    ok(verify(&csv, &server.url));
    std::fs::write(csv.join("extra.txt"), b"x").unwrap();
    let added = verify(&csv, &server.url);
    assert!(
        !added.status.success() && text(&added.stderr).contains("extra.txt"),
        "{}",
        text(&added.stderr)
    );

    // --redact: no relation, no narrative, no wages or housing in the witness's words.
    let red = dir.path().join("red");
    ok(export(
        &server.url,
        key,
        &["--case", &case, "--format", "json", "--redact"],
        &red,
    ));
    ok(verify(&red, &server.url));
    let tips = std::fs::read_to_string(red.join("tips.json")).unwrap();
    let case_json = std::fs::read_to_string(red.join("case.json")).unwrap();
    for gone in [
        "co_worker",
        "local_employee",
        "relation",
        "narrative",
        "아침 7시부터",
        "охранником",
        "컨테이너 숙소",
        "반장이 받아",
    ] {
        assert!(!tips.contains(gone), "{gone} is in the redacted tips.json");
    }
    for gone in ["아침 7시부터", "охранником", "컨테이너 숙소"] {
        assert!(
            !case_json.contains(gone),
            "{gone} is in the redacted case.json"
        );
    }
    assert!(
        tips.contains("항만 주거단지") && tips.contains("hours_per_day"),
        "{tips}"
    );
}

#[test]
fn an_export_signed_by_a_revoked_reviewer_is_refused() {
    let team = setup_team();
    let bob = team.new_identity("bob");
    team.add_reviewer(&bob);
    let server = team.spawn_server(&[]);
    let ids = submit_all(&server.url);
    let cs = cases(&server.url, &bob);
    let case = case_with(&cs, id_of(&ids, "harbour-ko")).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let dir = tempfile::TempDir::new().unwrap();

    // Bob is revoked; his local store still opens offline, and he signs an export with it.
    team.revoke("bob");
    team.publish(&server.url);
    let out = dir.path().join("bob");
    ok(export(
        &server.url,
        &bob,
        &["--case", &case, "--format", "json", "--offline"],
        &out,
    ));
    let refused = verify(&out, &server.url);
    assert!(
        !refused.status.success(),
        "a revoked reviewer's export verified"
    );
    let why = text(&refused.stderr);
    assert!(why.contains("revoked"), "{why}");

    // The same check offline, with the keyring file.
    let offline = tipseal([
        OsStr::new("verify-export"),
        out.as_os_str(),
        OsStr::new("--keyring"),
        team.keyring.as_os_str(),
    ]);
    assert!(!offline.status.success() && text(&offline.stderr).contains("revoked"));

    // A current reviewer's export of the same case verifies against the same keyring.
    let mine = dir.path().join("mine");
    ok(export(
        &server.url,
        &team.reviewer_key,
        &["--case", &case, "--format", "json"],
        &mine,
    ));
    ok(tipseal([
        OsStr::new("verify-export"),
        mine.as_os_str(),
        OsStr::new("--keyring"),
        team.keyring.as_os_str(),
    ]));
}
