//! The witness page: every language, its headers, its assets, and the no-JavaScript
//! path that the server seals on arrival. Asserts the contract (docs/web.md), never the
//! wording of the templates.

mod common;

use common::*;
use serde_json::json;
use tempfile::TempDir;

#[test]
fn every_language_page_is_served_with_its_lang_dir_and_the_security_headers() {
    let team = setup_team();
    let server = team.spawn_server(&[]);
    for lang in LANGUAGES {
        let resp = server.get(&format!("/{lang}/"));
        assert_eq!(resp.status, 200, "/{lang}/");
        let dir = if lang == "ar" { "rtl" } else { "ltr" };
        assert_page_language(&resp, lang, dir);
        assert_witness_headers(&resp, &format!("/{lang}/"));
    }
    let home = server.get("/");
    assert_eq!(home.status, 200);
    assert_page_language(&home, "en", "ltr");
    assert_witness_headers(&home, "/");
}

#[test]
fn the_page_pins_the_genesis_admin_key_and_shows_the_configured_onion_address() {
    let team = setup_team();
    let onion = "tipsealtestexampleaddressxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx.onion";
    let server = team.spawn_server(&["--onion", onion]);
    let keyring = server_keyring(&server);
    let genesis =
        tipseal::domain::keyring::KeyringFile::from_json(keyring.to_string().as_bytes()).unwrap();
    let verified = tipseal::crypto::keyring::verify_chain(&genesis, None).unwrap();
    let admin_pk = verified.manifests()[0].admins[0].sign_pk.clone();
    let page = String::from_utf8(server.get("/ko/").body).unwrap();
    assert!(
        page.contains(&admin_pk),
        "the page carries the genesis admin's key"
    );
    assert!(page.contains(onion), "the page shows the onion address");
}

#[test]
fn static_assets_are_embedded_and_served_with_their_content_type_and_no_validators() {
    let team = setup_team();
    let server = team.spawn_server(&[]);
    for (name, ctype) in [
        ("app.js", "text/javascript"),
        ("envelope.js", "text/javascript"),
        ("exif.js", "text/javascript"),
        ("sodium.js", "text/javascript"),
        ("style.css", "text/css"),
    ] {
        let resp = server.get(&format!("/static/{name}"));
        assert_eq!(resp.status, 200, "{name}");
        assert!(
            resp.header("content-type")
                .is_some_and(|c| c.starts_with(ctype)),
            "{name}: {:?}",
            resp.header("content-type")
        );
        let on_disk =
            std::fs::read(format!("{}/web/static/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap();
        assert_eq!(resp.body, on_disk, "{name} is served as embedded");
        assert_witness_headers(&resp, name);
    }
}

/// Every file the page loads, with the folder it is embedded from.
const SERVED_FILES: &[(&str, &str)] = &[
    ("app.js", "web/static/app.js"),
    ("envelope.js", "web/static/envelope.js"),
    ("exif.js", "web/static/exif.js"),
    ("receipt.js", "web/static/receipt.js"),
    ("followup.js", "web/static/followup.js"),
    ("sodium.js", "web/static/sodium.js"),
    ("style.css", "web/static/style.css"),
    ("wordlists/korean.txt", "data/wordlists/korean.txt"),
    ("wordlists/english.txt", "data/wordlists/english.txt"),
];

fn decode(coding: &str, body: &[u8]) -> Vec<u8> {
    use std::io::Read;
    let mut out = Vec::new();
    match coding {
        "gzip" => flate2::read::GzDecoder::new(body).read_to_end(&mut out),
        "br" => brotli::Decompressor::new(body, 1 << 16).read_to_end(&mut out),
        other => panic!("unexpected Content-Encoding {other}"),
    }
    .unwrap_or_else(|e| panic!("{coding} body does not decode: {e}"));
    out
}

#[test]
fn static_files_come_compressed_when_the_browser_accepts_it_and_decode_to_the_embedded_file() {
    let team = setup_team();
    let server = team.spawn_server(&[]);
    for (name, source) in SERVED_FILES {
        let on_disk = std::fs::read(format!("{}/{source}", env!("CARGO_MANIFEST_DIR"))).unwrap();
        for (accept, coding) in [
            (Some("gzip, deflate, br, zstd"), Some("br")),
            (Some("gzip, deflate"), Some("gzip")),
            (Some("br;q=0, gzip;q=0.5"), Some("gzip")),
            (Some("identity"), None),
            (None, None),
        ] {
            let headers: Vec<(&str, &str)> = accept
                .map(|a| vec![("Accept-Encoding", a)])
                .unwrap_or_default();
            let resp = raw_http(
                server.addr,
                None,
                &request("GET", &format!("/static/{name}"), &headers, &[]),
            );
            let what = format!("{name} with Accept-Encoding {accept:?}");
            assert_eq!(resp.status, 200, "{what}");
            assert_eq!(resp.header("content-encoding"), coding, "{what}");
            assert_eq!(resp.header("vary"), Some("Accept-Encoding"), "{what}");
            assert_eq!(
                resp.header("content-length"),
                Some(resp.body.len().to_string().as_str()),
                "{what}: Content-Length is the length of the bytes sent"
            );
            assert_witness_headers(&resp, &what);
            let body = match coding {
                Some(c) => {
                    assert!(
                        resp.body.len() < on_disk.len() / 2,
                        "{what}: not compressed much"
                    );
                    decode(c, &resp.body)
                }
                None => resp.body.clone(),
            };
            assert!(body == on_disk, "{what}: decodes to the file as written");
        }
    }
}

#[test]
fn the_form_and_mailbox_pages_come_gzipped_when_accepted_and_pages_with_secrets_never_do() {
    let team = setup_team();
    let server = team.spawn_server(&[]);
    let get = |path: &str, accept: &str| {
        raw_http(
            server.addr,
            None,
            &request("GET", path, &[("Accept-Encoding", accept)], &[]),
        )
    };
    for lang in LANGUAGES {
        for path in [format!("/{lang}/"), format!("/{lang}/followup")] {
            let plain = get(&path, "identity");
            assert_eq!(plain.header("content-encoding"), None, "{path}");
            assert_eq!(plain.header("vary"), Some("Accept-Encoding"), "{path}");
            let zipped = get(&path, "gzip, deflate, br");
            assert_eq!(zipped.status, 200, "{path}");
            assert_eq!(zipped.header("content-encoding"), Some("gzip"), "{path}");
            assert_eq!(zipped.header("vary"), Some("Accept-Encoding"), "{path}");
            assert_eq!(
                zipped.header("content-length"),
                Some(zipped.body.len().to_string().as_str()),
                "{path}"
            );
            assert_witness_headers(&zipped, &path);
            let body = decode("gzip", &zipped.body);
            assert!(
                zipped.body.len() * 2 < body.len(),
                "{path}: gzip at least halves it"
            );
            let decoded = HttpResponse {
                status: zipped.status,
                headers: zipped.headers.clone(),
                body,
            };
            let dir = if lang == "ar" { "rtl" } else { "ltr" };
            assert_page_language(&decoded, lang, dir);
        }
    }
    // The no-JavaScript receipt shows the receipt words: never compressed.
    // A real form's single-use token, as a browser would post it.
    let token = hidden_fields(
        &String::from_utf8_lossy(&server.get("/en/").body),
        "form_token",
    )
    .remove(0);
    let body = multipart_body(
        &[
            ("form_token", &token),
            ("language", "en"),
            ("narrative", "gzip check"),
        ],
        &[],
    );
    let ctype = format!("multipart/form-data; boundary={BOUNDARY}");
    let receipt = raw_http(
        server.addr,
        None,
        &request(
            "POST",
            "/en/submit",
            &[("Content-Type", &ctype), ("Accept-Encoding", "gzip, br")],
            &body,
        ),
    );
    assert_eq!(receipt.status, 200);
    assert_eq!(receipt.header("content-encoding"), None, "the receipt page");
    assert!(String::from_utf8_lossy(&receipt.body).contains("receipt-words"));
}

#[test]
fn the_receipt_says_the_witness_chose_the_server_path_only_when_they_pressed_that_button() {
    let team = setup_team();
    let server = team.spawn_server(&[]);
    let en: serde_json::Value = serde_json::from_str(include_str!("../web/i18n/en.json")).unwrap();
    let said = |key: &str| en[key].as_str().unwrap().replace('\'', "&#x27;");
    for (extra, chosen) in [
        (None, false),
        (Some("server"), true),
        (Some("other"), false),
    ] {
        let mut fields = vec![("language", "en"), ("narrative", "a report")];
        if let Some(v) = extra {
            fields.push(("sealed_by", v));
        }
        let resp = post_form(&server, "/en/submit", &multipart_body(&fields, &[]));
        assert_eq!(
            resp.status,
            200,
            "{extra:?}: {}",
            String::from_utf8_lossy(&resp.body)
        );
        let page = String::from_utf8_lossy(&resp.body);
        let (yes, no) = (
            said("receipt_sealed_server_chosen"),
            said("receipt_sealed_server"),
        );
        assert_eq!(page.contains(&yes), chosen, "{extra:?}");
        assert_eq!(page.contains(&no), !chosen, "{extra:?}");
    }
    let ids = review_ids(&server.url, &team.reviewer_key);
    assert_eq!(
        ids.len(),
        3,
        "sealed_by is not part of the tip: all three were stored"
    );
}

#[test]
fn an_unknown_language_asset_or_path_is_a_404_page_with_the_same_headers() {
    let team = setup_team();
    let server = team.spawn_server(&[]);
    for path in [
        "/xx/",
        "/static/nope.js",
        "/static/../Cargo.toml",
        "/no/such/page",
    ] {
        let resp = server.get(path);
        assert_eq!(resp.status, 404, "{path}");
        assert_page_language(&resp, "en", "ltr");
        assert_witness_headers(&resp, path);
    }
    let api = server.get("/api/v1/nothing");
    assert_eq!(api.status, 404);
    assert_eq!(api.assert_json_error(), "not_found");
}

#[test]
fn a_no_javascript_submission_is_sealed_by_the_server_without_exif_and_leaves_no_plaintext() {
    let team = setup_team();
    let server = team.spawn_server(&[]);
    let narrative = "밤마다 감시원이 여권을 가져갔다 — unique-narrative-6b1f0c";
    let (jpeg, clean_jpeg) = jpeg_with_exif();
    let body = multipart_body(
        &[
            ("language", "ko"),
            ("worksite.name", "Blagoveshchensk site 4"),
            ("worksite.sector", "construction"),
            ("worksite.country", "RU"),
            ("worksite.city", ""),
            ("workers.count", "40"),
            ("workers.passports_held_by_others", "yes"),
            ("minders.0.name_or_alias", "Comrade Ri"),
            ("minders.0.role", "security_agent"),
            ("minders.0.actions", "confiscates_passports"),
            ("minders.0.actions", "monitors_phones"),
            ("minders.1.name_or_alias", ""),
            ("witness.relation", "co_worker"),
            ("narrative", narrative),
        ],
        &[("attachments", "site.jpg", "image/jpeg", &jpeg)],
    );
    let resp = post_form(&server, "/ko/submit", &body);
    assert_eq!(resp.status, 200, "{}", String::from_utf8_lossy(&resp.body));
    assert_page_language(&resp, "ko", "ltr");
    assert_witness_headers(&resp, "the receipt");

    let ids = review_ids(&server.url, &team.reviewer_key);
    assert_eq!(ids.len(), 1);
    let page = String::from_utf8_lossy(&resp.body);
    assert!(page.contains(&ids[0]), "the receipt shows the reference");

    let saved = TempDir::new().unwrap();
    let opened = review_show(&server.url, &team.reviewer_key, &ids[0], Some(saved.path()));
    assert_eq!(opened["sealed_by_server"], json!(true));
    assert_eq!(
        opened["tip"],
        json!({
            "schema": "tipseal/tip/v1",
            "language": "ko",
            "worksite": {"name": "Blagoveshchensk site 4", "sector": "construction", "country": "RU"},
            "workers": {"count": 40, "passports_held_by_others": true},
            "minders": [{"name_or_alias": "Comrade Ri", "role": "security_agent",
                         "actions": ["confiscates_passports", "monitors_phones"]}],
            "witness": {"relation": "co_worker"},
            "narrative": narrative,
        })
    );
    let attachments = opened["attachments"].as_array().unwrap();
    assert_eq!(attachments.len(), 1);
    assert_eq!(attachments[0]["name"], json!("site.jpg"));
    let back = std::fs::read(saved.path().join("site.jpg")).unwrap();
    assert_eq!(
        back, clean_jpeg,
        "the attachment comes back without its Exif segment"
    );
    assert!(!contains(&back, b"Exif"));

    for needle in [
        narrative.as_bytes(),
        b"unique-narrative-6b1f0c",
        b"GPSLatitude",
    ] {
        assert!(
            grep_dir(&server.data_dir, needle).is_empty(),
            "plaintext found in the data directory"
        );
        assert!(
            !contains(&server.log(), needle),
            "plaintext found in the log"
        );
    }
}

#[test]
fn an_empty_or_invalid_form_comes_back_in_the_witness_language_with_400() {
    let team = setup_team();
    let server = team.spawn_server(&[]);
    for (lang, fields) in [
        ("ru", vec![("language", "ru"), ("narrative", "   ")]),
        (
            "ar",
            vec![("language", "ar"), ("workers.count", "forty-ish-9x")],
        ),
        (
            "zh",
            vec![
                ("language", "zh"),
                ("worksite.observed_from", "last spring"),
            ],
        ),
    ] {
        let resp = post_form(
            &server,
            &format!("/{lang}/submit"),
            &multipart_body(&fields, &[]),
        );
        assert_eq!(resp.status, 400, "{lang}");
        assert_page_language(&resp, lang, if lang == "ar" { "rtl" } else { "ltr" });
        assert_witness_headers(&resp, "an error page");
        let page = String::from_utf8_lossy(&resp.body);
        // The error message never echoes input; the witness's own value comes back only
        // inside its own field, for them to correct.
        let alert = page
            .split("role=\"alert\"")
            .nth(1)
            .and_then(|rest| rest.split("</div>").next())
            .unwrap_or("");
        for typed in ["last spring", "forty-ish-9x"] {
            assert!(!alert.contains(typed), "the error message echoes input");
            assert!(
                page.matches(typed).count() <= 1
                    && (!page.contains(typed) || page.contains(&format!("value=\"{typed}\""))),
                "input outside its own field"
            );
        }
    }
    assert!(review_ids(&server.url, &team.reviewer_key).is_empty());
    let unknown = post_form(
        &server,
        "/xx/submit",
        &multipart_body(&[("narrative", "x")], &[]),
    );
    assert_eq!(unknown.status, 404);
}

#[test]
fn a_form_over_the_body_cap_gets_a_413_page_in_the_witness_language() {
    let team = setup_team();
    let server = team.spawn_server(&["--max-body-bytes", "100000"]);
    let big = vec![b'a'; 150_000];
    let body = multipart_body(
        &[("language", "pl")],
        &[("attachments", "big.bin", "application/octet-stream", &big)],
    );
    let resp = post_form(&server, "/pl/submit", &body);
    assert_eq!(resp.status, 413);
    assert_page_language(&resp, "pl", "ltr");
    assert_witness_headers(&resp, "the 413 page");
}

#[test]
fn after_a_correctable_error_the_no_javascript_form_comes_back_with_what_the_witness_typed() {
    let team = setup_team();
    let server = team.spawn_server(&[]);
    let narrative = "Они работают по 14 часов <b>&</b> без выходных";
    let form = multipart_body(
        &[
            ("narrative", narrative),
            ("worksite.name", "Участок № 7"),
            ("worksite.sector", "logging"),
            ("worksite.observed_from", "2024-13"),
            ("workers.passports_held_by_others", "yes"),
            ("minders.0.actions", "escorts_workers"),
        ],
        &[],
    );
    let resp = post_form(&server, "/ru/submit", &form);
    assert_eq!(resp.status, 400, "a month 13 is refused");
    assert_witness_headers(&resp, "the form after an error");
    let page = String::from_utf8_lossy(&resp.body);
    assert!(
        page.contains(
            "Они работают по 14 часов &lt;b&gt;&amp;&lt;&#x2f;b&gt; без выходных</textarea>"
        ),
        "the narrative comes back, escaped"
    );
    assert!(
        page.contains(r#"value="Участок № 7""#),
        "the site name comes back"
    );
    assert!(
        page.contains(r#"value="2024-13""#),
        "the field to correct keeps its text"
    );
    assert!(
        page.contains(r#"<option value="logging" selected>"#),
        "the sector stays chosen"
    );
    assert!(
        page.contains(r#"name="workers.passports_held_by_others" value="yes" checked>"#),
        "the yes/no answer stays"
    );
    assert!(
        page.contains(r#"name="minders.0.actions" value="escorts_workers" checked>"#),
        "the ticked box stays ticked"
    );
    assert!(
        review_ids(&server.url, &team.reviewer_key).is_empty(),
        "nothing stored"
    );

    // A fresh form carries none of it.
    let fresh = server.get("/ru/");
    let fresh = String::from_utf8_lossy(&fresh.body);
    assert!(!fresh.contains("Участок"));
    assert!(!fresh.contains(" selected>"));
}
