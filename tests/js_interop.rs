//! The JavaScript implementation of the formats (`web/static/envelope.js`) against the
//! Rust one: envelopes sealed in JS open with `tipseal::crypto::envelope::open`, bundles
//! framed in JS parse with `tipseal::domain::bundle::parse`, and the sealed-tip JSON the
//! page builds is accepted by `SealedTip::from_json`. Also runs the JS unit tests
//! (`node --test web/test/`) so that `cargo test` covers them, and renders the witness
//! page templates with minijinja in every language.
//!
//! Needs `node` (part of the machine image); fails with a clear message without it.

use std::path::{Path, PathBuf};
use std::process::Command;

use tipseal::crypto::envelope::open;
use tipseal::crypto::intake::IntakeSecretKey;
use tipseal::domain::envelope::{Flags, Kind};
use tipseal::domain::tip::SealedTip;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn node() -> Command {
    let probe = Command::new("node").arg("--version").output();
    match probe {
        Ok(o) if o.status.success() => {}
        _ => panic!(
            "`node` was not found on PATH. The JS/Rust interop tests need Node.js 20 or later \
             (it is part of the machine image: apt-get install nodejs)."
        ),
    }
    let mut c = Command::new("node");
    c.current_dir(repo());
    c
}

fn intake_secret() -> IntakeSecretKey {
    let hex_key =
        std::fs::read_to_string(repo().join("tests/vectors/TEST-ONLY-intake-secret.hex")).unwrap();
    IntakeSecretKey::from_bytes(&hex::decode(hex_key.trim()).unwrap()).unwrap()
}

fn blake2b_hex(data: &[u8]) -> String {
    hex::encode(tipseal::crypto::hash32(b"", &[data]))
}

fn seal_with_js(out: &Path) {
    let o = node()
        .arg("web/test/seal-for-rust.mjs")
        .arg(out)
        .output()
        .expect("run node");
    assert!(
        o.status.success(),
        "seal-for-rust.mjs failed:\n{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn envelopes_sealed_in_javascript_open_in_rust() {
    let dir = tempfile::tempdir().unwrap();
    seal_with_js(dir.path());
    let read = |n: &str| std::fs::read(dir.path().join(n)).unwrap();
    let sk = intake_secret();

    let tip_json = read("tip.json");
    let part1 = read("part1.bin");
    let part2 = read("part2.bin");

    // The inline bundle: framing and structure as the server checks them.
    let bundle_bytes = read("bundle.tsbn");
    let bundle = tipseal::domain::bundle::parse(&bundle_bytes).expect("the JS bundle parses");
    assert_eq!(bundle.parts().len(), 2);

    let tip = open(bundle.parts()[0].bytes, &sk).expect("the JS tip envelope opens");
    assert_eq!(tip.kind, Kind::Tip);
    assert_eq!(tip.flags, Flags::NONE);
    assert_eq!(tip.epoch.get(), 1);
    assert_eq!(&tip.plaintext[..], &tip_json[..]);

    let a1 = open(bundle.parts()[1].bytes, &sk).expect("the JS attachment opens");
    assert_eq!(a1.kind, Kind::Attachment);
    assert_eq!(&a1.plaintext[..], &part1[..]);

    // The multi-chunk attachment that would travel through the uploads API.
    let upload = read("upload.tsev");
    let env = tipseal::domain::envelope::parse(&upload).expect("structure");
    assert_eq!(env.header.bucket.len(), 2 * 1024 * 1024);
    let a2 = open(&upload, &sk).expect("the JS multi-chunk attachment opens");
    assert_eq!(a2.kind, Kind::Attachment);
    assert_eq!(&a2.plaintext[..], &part2[..]);

    // The full bundle (as the server assembles it after the uploads) parses too.
    let full = read("full-bundle.tsbn");
    let full = tipseal::domain::bundle::parse(&full).expect("the full bundle parses");
    assert_eq!(full.parts().len(), 3);

    // The sealed-tip document the page builds is valid for the reviewer's client, and its
    // hashes bind the attachments.
    let sealed = SealedTip::from_json(&tip.plaintext).expect("the JS sealed-tip JSON is valid");
    assert!(sealed.tip.has_content());
    assert_eq!(sealed.attachments.len(), 2);
    assert_eq!(sealed.attachments[0].blake2b, blake2b_hex(&part1));
    assert_eq!(sealed.attachments[0].size, part1.len() as u64);
    assert_eq!(sealed.attachments[1].blake2b, blake2b_hex(&part2));
    assert_eq!(sealed.attachments[1].name.as_str(), "현장 사진.jpg");
    let doc = serde_json::to_value(&sealed.tip).unwrap();
    assert_eq!(doc["language"], "ko");
    assert_eq!(doc["worksite"]["country"], "RU");
    assert_eq!(doc["workers"]["count"], 40);
    assert_eq!(doc["workers"]["passports_held_by_others"], true);
    assert_eq!(doc["witness"]["may_contact"], false);
    assert_eq!(doc["minders"].as_array().unwrap().len(), 1);
}

#[test]
fn javascript_unit_tests_pass() {
    let o = node()
        .args(["--test", "web/test/"])
        .output()
        .expect("run node --test");
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "node --test web/test/ failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(stdout.contains("# fail 0"), "{stdout}");
}

const LANGS: [(&str, &str, &str); 7] = [
    ("ko", "조선어", "ltr"),
    ("ru", "Русский", "ltr"),
    ("zh", "中文", "ltr"),
    ("en", "English", "ltr"),
    ("pl", "Polski", "ltr"),
    ("nl", "Nederlands", "ltr"),
    ("ar", "العربية", "rtl"),
];

#[test]
fn the_templates_render_in_every_language() {
    let mut env = minijinja::Environment::new();
    for name in [
        "base.html",
        "form.html",
        "receipt.html",
        "error.html",
        "followup.html",
    ] {
        let src = std::fs::read_to_string(repo().join("web/templates").join(name)).unwrap();
        env.add_template_owned(name.to_owned(), src).unwrap();
    }
    // The server's `ltr_runs` filter (escapes, then isolates dates in <bdi dir="ltr">) is
    // checked in src/http/web/render.rs and through the server in tests/web_words.rs;
    // here only the templates' structure is, so plain escaping stands in for it.
    env.add_filter("ltr_runs", |s: String| minijinja::Value::from(s));
    let languages: Vec<serde_json::Value> = LANGS
        .iter()
        .map(|(code, name, _)| serde_json::json!({"code": code, "name": name, "current": false}))
        .collect();
    for (lang, _, dir) in LANGS {
        let t: serde_json::Value = serde_json::from_slice(
            &std::fs::read(repo().join(format!("web/i18n/{lang}.json"))).unwrap(),
        )
        .unwrap();
        let mut langs = languages.clone();
        for l in &mut langs {
            l["current"] = serde_json::Value::Bool(l["code"] == lang);
        }
        let ctx = serde_json::json!({
            "lang": lang, "dir": dir, "t": t, "languages": langs,
            "admin_keys": "cWyd6HW6j-2sTmGsF53GB_CtBDpuVD14KNnlcUd9AOE",
            "onion": "exampleexampleexampleexampleexampleexampleexampleexampl.onion",
            "exit_url": "https://www.wikipedia.org/",
            "max_body_bytes": 16 * 1024 * 1024,
            "reference": "0123456789abcdef0123456789abcdef",
            "receipt_words": "abandon ability able about above absent absorb abstract absurd abuse access accident",
            "error": "<b>bad</b>",
            "org_name": "Test Org <x>",
            "safety_contact": "Call 112",
            "countries": [{"code": "KP", "name": "Korea"}, {"code": "RU", "name": "Russia"}],
        });
        let form = env
            .get_template("form.html")
            .unwrap()
            .render(minijinja::value::Serde(&ctx))
            .unwrap();
        assert!(
            form.contains(&format!("<html lang=\"{lang}\" dir=\"{dir}\">")),
            "{lang}"
        );
        assert!(form.contains(&format!("action=\"/{lang}/submit\"")));
        assert!(form.contains("name=\"minders.2.actions\""));
        assert!(form.contains(t["title"].as_str().unwrap()));
        assert!(form.contains("aria-current=\"page\""));
        assert!(form.contains(".onion"));
        assert!(
            form.contains("&lt;b&gt;bad") && !form.contains("<b>bad"),
            "the error is escaped"
        );
        let i = form.find("nojs-only").unwrap();
        assert!(
            form.contains("16 MB")
                || form.contains("16MB")
                || form.contains("16 МБ")
                || form.contains("16 ميغابايت"),
            "{lang}: size limit: {}",
            &form[i..i + 200]
        );
        let visible = &form[..form.find("id=\"i18n\"").unwrap()];
        assert!(
            !visible.contains("{n}") && !visible.contains("{mb}"),
            "{lang}: placeholder left"
        );
        // the strings block is JSON that cannot end the script element
        let start = form
            .find("<script type=\"application/json\" id=\"i18n\">")
            .unwrap();
        let rest = &form[start..];
        let body = &rest[rest.find('>').unwrap() + 1..rest.find("</script>").unwrap()];
        let back: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(back, t);

        let receipt = env
            .get_template("receipt.html")
            .unwrap()
            .render(minijinja::value::Serde(&ctx))
            .unwrap();
        assert!(receipt.contains("0123456789abcdef0123456789abcdef"));
        assert!(
            receipt.contains("<li>abandon</li>") && receipt.contains("<li>accident</li>"),
            "{lang}: one list item a word"
        );
        assert!(form.contains("Test Org &lt;x&gt;") && form.contains("Call 112"));
        assert!(form.contains("<option value=\"KP\">Korea</option>"));
        assert!(receipt.contains(&format!("dir=\"{dir}\"")));

        let error = env
            .get_template("error.html")
            .unwrap()
            .render(minijinja::value::Serde(&ctx))
            .unwrap();
        assert!(error.contains("&lt;b&gt;bad") && !error.contains("<b>bad"));

        // Without the optional variables.
        let bare = serde_json::json!({
            "lang": lang, "dir": dir, "t": t, "languages": langs, "admin_keys": "",
            "onion": "", "exit_url": "https://www.wikipedia.org/", "max_body_bytes": 1048576,
            "reference": "x", "org_name": "", "safety_contact": "", "countries": [],
        });
        let form = env
            .get_template("form.html")
            .unwrap()
            .render(minijinja::value::Serde(&bare))
            .unwrap();
        assert!(!form.contains(".onion"));
        assert!(!form.contains("id=\"server-error\""));
        env.get_template("receipt.html")
            .unwrap()
            .render(minijinja::value::Serde(&bare))
            .unwrap();
        env.get_template("error.html")
            .unwrap()
            .render(minijinja::value::Serde(&bare))
            .unwrap();
    }
}
