//! Helpers for the witness page and the uploads API: multipart bodies by hand, the
//! page's security headers, a JPEG with Exif, and bundles split for uploading.

use std::io::Write;
use std::net::{Shutdown, SocketAddr};

use serde_json::Value;

use super::{connect, raw_http, read_all_lenient, request, HttpResponse, ServerGuard};

/// The seven languages of the page.
pub const LANGUAGES: [&str; 7] = ["ko", "ru", "zh", "en", "pl", "nl", "ar"];

/// The page's exact Content-Security-Policy (docs/web.md).
pub const PAGE_CSP: &str = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; \
style-src 'self'; img-src 'self' blob: data:; connect-src 'self'; form-action 'self'; \
frame-ancestors 'none'; base-uri 'none'";

/// The boundary every hand-built form uses.
pub const BOUNDARY: &str = "tipsealTestBoundary7MA4YWxkTrZu0gW";

/// Asserts the headers every witness response must carry, and the ones it must not.
pub fn assert_witness_headers(resp: &HttpResponse, what: &str) {
    assert_eq!(
        resp.header("content-security-policy"),
        Some(PAGE_CSP),
        "CSP of {what}"
    );
    assert_eq!(
        resp.header("referrer-policy"),
        Some("no-referrer"),
        "{what}"
    );
    assert_eq!(
        resp.header("x-content-type-options"),
        Some("nosniff"),
        "{what}"
    );
    assert_eq!(resp.header("cache-control"), Some("no-store"), "{what}");
    for banned in ["set-cookie", "etag", "last-modified"] {
        assert!(resp.header(banned).is_none(), "{what} carries {banned}");
    }
}

/// The `<html …>` start tag of a page.
pub fn html_tag(resp: &HttpResponse) -> String {
    let body = String::from_utf8_lossy(&resp.body);
    let start = body.find("<html").expect("the page has an <html> tag");
    let end = body[start..].find('>').expect("the <html> tag ends") + start;
    body[start..=end].to_owned()
}

/// Asserts the page is an HTML page in `lang`, written in direction `dir`.
pub fn assert_page_language(resp: &HttpResponse, lang: &str, dir: &str) {
    assert!(
        resp.header("content-type")
            .is_some_and(|c| c.starts_with("text/html")),
        "content type {:?}",
        resp.header("content-type")
    );
    let tag = html_tag(resp);
    assert!(tag.contains(&format!("lang=\"{lang}\"")), "{tag}");
    assert!(tag.contains(&format!("dir=\"{dir}\"")), "{tag}");
}

/// A `multipart/form-data` body: text fields, then files `(field, filename, type, bytes)`.
pub fn multipart_body(fields: &[(&str, &str)], files: &[(&str, &str, &str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, value) in fields {
        write!(
            out,
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        )
        .unwrap();
    }
    for (name, filename, ctype, bytes) in files {
        write!(
            out,
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\nContent-Type: {ctype}\r\n\r\n"
        )
        .unwrap();
        out.extend_from_slice(bytes);
        out.extend_from_slice(b"\r\n");
    }
    write!(out, "--{BOUNDARY}--\r\n").unwrap();
    out
}

/// `POST path` with a multipart body built by [`multipart_body`], as a browser that
/// loaded the form first sends it: without a `form_token` field of its own, the body gets
/// a fresh one from the page the form is on (`GET /{lang}/` for `…/submit`, the mailbox
/// page for `…/followup`: its login form's token, or its message form's for
/// `action=add`). [`post_form_exactly`] sends a body as it is (a replay).
pub fn post_form(server: &ServerGuard, path: &str, body: &[u8]) -> HttpResponse {
    let text = String::from_utf8_lossy(body);
    if text.contains("name=\"form_token\"") {
        return post_form_exactly(server, path, body);
    }
    let (page_path, nth) = match path.strip_suffix("/submit") {
        Some(lang) => (format!("{lang}/"), 0),
        None => {
            let add = text.contains("name=\"action\"\r\n\r\nadd\r\n");
            (path.to_owned(), usize::from(add))
        }
    };
    let page = server.get(&page_path);
    let token = hidden_fields(&String::from_utf8_lossy(&page.body), "form_token")
        .into_iter()
        .nth(nth)
        .unwrap_or_default();
    let mut with = multipart_body(&[("form_token", &token)], &[]);
    // Drop the closing boundary of the one-field body, then append the original.
    with.truncate(with.len() - format!("--{BOUNDARY}--\r\n").len());
    with.extend_from_slice(body);
    post_form_exactly(server, path, &with)
}

/// `POST path` with exactly this multipart body (no token added).
pub fn post_form_exactly(server: &ServerGuard, path: &str, body: &[u8]) -> HttpResponse {
    let ctype = format!("multipart/form-data; boundary={BOUNDARY}");
    raw_http(
        server.addr,
        None,
        &request("POST", path, &[("Content-Type", &ctype)], body),
    )
}

/// The values of every `<input type="hidden" name="NAME" value="…">` in a page, in order.
pub fn hidden_fields(page: &str, name: &str) -> Vec<String> {
    let needle = format!("name=\"{name}\" value=\"");
    page.match_indices(&needle)
        .filter_map(|(i, _)| {
            let rest = &page[i + needle.len()..];
            rest.find('"').map(|end| rest[..end].to_owned())
        })
        .collect()
}

fn jpeg_segment(marker: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![0xff, marker];
    out.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(payload);
    out
}

/// A small JPEG with an APP1 Exif segment holding GPS text, and the same JPEG without it.
pub fn jpeg_with_exif() -> (Vec<u8>, Vec<u8>) {
    let app0 = jpeg_segment(0xe0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
    let exif = jpeg_segment(
        0xe1,
        b"Exif\0\0MM\0*\0\0\0\x08GPSLatitude 38.99N GPSLongitude 125.74E",
    );
    let dqt = jpeg_segment(0xdb, &[0x00; 65]);
    let sos = jpeg_segment(0xda, &[1, 1, 0, 0, 63, 0]);
    let scan = [0x12, 0x34, 0xff, 0x00, 0x56, 0xff, 0xd0, 0x78, 0xff, 0xd9];
    let with = [&[0xff, 0xd8][..], &app0, &exif, &dqt, &sos, &scan].concat();
    let without = [&[0xff, 0xd8][..], &app0, &dqt, &sos, &scan].concat();
    (with, without)
}

/// `POST /api/v1/uploads {"length": N}`.
pub fn create_upload(server: &ServerGuard, length: usize) -> HttpResponse {
    let body = serde_json::json!({ "length": length }).to_string();
    raw_http(
        server.addr,
        None,
        &request(
            "POST",
            "/api/v1/uploads",
            &[("Content-Type", "application/json")],
            body.as_bytes(),
        ),
    )
}

/// Uploads `envelope` whole in 1 MiB chunks (the server's chunk size) and returns its id.
pub fn upload_whole(server: &ServerGuard, envelope: &[u8]) -> String {
    const MIB: usize = 1024 * 1024;
    let created = create_upload(server, envelope.len());
    assert_eq!(
        created.status,
        201,
        "create an upload: {}",
        String::from_utf8_lossy(&created.body)
    );
    let id = created.json()["id"].as_str().unwrap().to_owned();
    for (i, chunk) in envelope.chunks(MIB).enumerate() {
        let resp = patch_upload(server, &id, i * MIB, chunk);
        assert_eq!(resp.status, 204, "{}", String::from_utf8_lossy(&resp.body));
    }
    id
}

/// `PATCH /api/v1/uploads/{id}` with `Upload-Offset: offset`.
pub fn patch_upload(server: &ServerGuard, id: &str, offset: usize, bytes: &[u8]) -> HttpResponse {
    let offset = offset.to_string();
    raw_http(
        server.addr,
        None,
        &request(
            "PATCH",
            &format!("/api/v1/uploads/{id}"),
            &[
                ("Content-Type", "application/offset+octet-stream"),
                ("Upload-Offset", &offset),
            ],
            bytes,
        ),
    )
}

/// A PATCH whose connection drops after `sent` of `bytes.len()` bytes: a lost network.
pub fn patch_upload_cut_off(addr: SocketAddr, id: &str, offset: usize, bytes: &[u8], sent: usize) {
    let head = format!(
        "PATCH /api/v1/uploads/{id} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpload-Offset: {offset}\r\nContent-Length: {}\r\n\r\n",
        bytes.len()
    );
    let mut stream = connect(addr, None).expect("connect");
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(&bytes[..sent]).unwrap();
    let _ = stream.shutdown(Shutdown::Write);
    let _ = read_all_lenient(&mut stream);
}

/// `GET /api/v1/uploads/{id}`.
pub fn upload_status(server: &ServerGuard, id: &str) -> HttpResponse {
    server.get(&format!("/api/v1/uploads/{id}"))
}

/// `POST /api/v1/tips` with `Tipseal-Uploads: ids`.
pub fn post_tip_with_uploads(server: &ServerGuard, body: &[u8], ids: &[&str]) -> HttpResponse {
    let ids = ids.join(",");
    raw_http(
        server.addr,
        None,
        &request(
            "POST",
            "/api/v1/tips",
            &[
                ("Content-Type", "application/octet-stream"),
                ("Tipseal-Uploads", &ids),
            ],
            body,
        ),
    )
}

/// Seals `tip` with one attachment `(name, bytes)` to the server's current epoch, as a
/// witness's browser would, and splits it: a bundle holding only the tip envelope, and
/// the attachment envelope to send through the uploads API.
pub fn sealed_tip_and_upload(
    server: &ServerGuard,
    tip: &Value,
    name: &str,
    file: &[u8],
) -> (Vec<u8>, Vec<u8>) {
    use tipseal::crypto::bundle_seal::{seal_bundle, Attachment};
    use tipseal::domain::envelope::Flags;
    use tipseal::domain::tip::{FileName, MediaType, TipDocument};

    tipseal::crypto::init().expect("libsodium initialises");
    let keyring = server.get("/api/v1/keyring");
    assert_eq!(keyring.status, 200);
    let file_json =
        tipseal::domain::keyring::KeyringFile::from_json(&keyring.body).expect("keyring parses");
    let verified =
        tipseal::crypto::keyring::verify_chain(&file_json, None).expect("keyring verifies");
    let doc = TipDocument::from_json(tip.to_string().as_bytes()).expect("a valid tip");
    let attachment = Attachment {
        name: FileName::parse(name.to_owned()).expect("a file name"),
        media_type: MediaType::parse("application/octet-stream".to_owned()).unwrap(),
        bytes: file,
    };
    let bundle = seal_bundle(&verified, doc, &[attachment], Flags::NONE, None).expect("seals");
    let parsed = tipseal::domain::bundle::parse(&bundle).expect("a valid bundle");
    let tip_only = tipseal::domain::bundle::encode(&[parsed.part_bytes(0).unwrap()]);
    (tip_only, parsed.part_bytes(1).unwrap().to_vec())
}

/// The receipt words a page shows in the list `<ol … id="{id}" …>`: its `<li>` items,
/// space-separated, or `None` if the page has no such list. The opening tag itself is
/// returned too, so a test can check its `dir`.
pub fn receipt_word_list(page: &str, id: &str) -> Option<(String, Vec<String>)> {
    let marker = format!("id=\"{id}\"");
    let at = page.find(&marker)?;
    let open = page[..at].rfind("<ol")?;
    let tag_end = at + page[at..].find('>')?;
    let close = tag_end + page[tag_end..].find("</ol>")?;
    let items = page[tag_end + 1..close]
        .split("<li>")
        .skip(1)
        .map(|li| li.split("</li>").next().unwrap_or("").trim().to_owned())
        .collect();
    Some((page[open..=tag_end].to_owned(), items))
}

/// A page's text with its single-use form tokens blanked, to compare two pages that
/// must be the same apart from them.
pub fn without_tokens(page: &[u8]) -> String {
    let mut page = String::from_utf8_lossy(page).into_owned();
    for token in hidden_fields(&page.clone(), "form_token") {
        page = page.replace(&token, "");
    }
    page
}

/// Opens a mailbox on the no-JavaScript page with its receipt words and returns the
/// session handle the opened page carries instead of the words.
pub fn mailbox_session(server: &ServerGuard, lang: &str, words: &str) -> String {
    let resp = post_form(
        server,
        &format!("/{lang}/followup"),
        &multipart_body(&[("action", "open"), ("words", words)], &[]),
    );
    let page = String::from_utf8_lossy(&resp.body);
    assert_eq!(resp.status, 200, "the mailbox opens: {page}");
    hidden_fields(&page, "session")
        .into_iter()
        .next()
        .expect("the opened page carries a session handle")
}

/// The page's text for `key` in `lang` (`web/i18n/{lang}.json`).
pub fn page_string(lang: &str, key: &str) -> String {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("web/i18n/{lang}.json"));
    let v: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    v[key].as_str().unwrap().to_owned()
}
