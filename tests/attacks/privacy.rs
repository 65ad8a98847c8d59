//! Attacks on witness privacy and on a witness's tip after it was sent: replayed
//! submissions carrying another mailbox, images whose metadata cannot be parsed, and
//! what the log keeps of witness requests. See `main.rs`.

use std::ffi::OsStr;
use std::time::{Duration, Instant};

use super::common::*;

// ---------------------------------------------------------------------------------------
// Finding 9: a replayed submission must not attach another mailbox.

/// Logs in to the mailbox of `words`; the session token, or the status of the refusal.
fn mailbox_login(server: &ServerGuard, words: &str) -> Result<String, u16> {
    let c = server.post_json("/api/v1/mailbox/challenge", "{}");
    assert_eq!(c.status, 200, "a mailbox challenge");
    let challenge = c.json()["challenge"].as_str().unwrap().to_owned();
    let login = server.post_json(
        "/api/v1/mailbox/session",
        &mailbox_login_body(words, &challenge, false),
    );
    match login.status {
        200 => Ok(login.json()["token"].as_str().unwrap().to_owned()),
        s => Err(s),
    }
}

/// The witness's mailbox as `GET /api/v1/mailbox` answers it.
fn read_mailbox(server: &ServerGuard, token: &str) -> serde_json::Value {
    let auth = format!("Bearer {token}");
    let r = raw_http(
        server.addr,
        None,
        &request("GET", "/api/v1/mailbox", &[("Authorization", &auth)], &[]),
    );
    assert_eq!(r.status, 200, "GET /api/v1/mailbox");
    r.json()
}

/// `POST /api/v1/tips` with an idempotency key and a mailbox header.
fn post_tip_with_mailbox(server: &ServerGuard, body: &[u8], key: &str, mailbox: &str) -> u16 {
    let headers = [
        ("Content-Type", "application/octet-stream"),
        ("Idempotency-Key", key),
        ("Tipseal-Mailbox", mailbox),
    ];
    raw_http(
        server.addr,
        None,
        &request("POST", "/api/v1/tips", &headers, body),
    )
    .status
}

/// The witness submits with a receipt; an attacker who captured the request replays the
/// body and key with their own mailbox. On `retention` (`keep` or `delete-after-read`).
fn replay_against(retention: &str) {
    let team = setup_team();
    let server = team.spawn_server(&["--reply-retention", retention]);
    let witness = fresh_receipt_words();
    let (witness_mailbox, witness_reply) = receipt_public_keys(&witness);
    let body = seal_bundle_replying_to(&server.url, &read_json(&a_sample()), &witness_reply);
    let key = random_hex(16);
    assert_eq!(
        post_tip_with_mailbox(&server, &body, &key, &witness_mailbox),
        201,
        "the witness's submission"
    );
    // The witness's own retry (a lost answer) is still answered, with the same tip.
    assert_eq!(
        post_tip_with_mailbox(&server, &body, &key, &witness_mailbox),
        200,
        "the witness's retry"
    );

    let attacker = fresh_receipt_words();
    let (attacker_mailbox, _) = receipt_public_keys(&attacker);
    assert_eq!(
        post_tip_with_mailbox(&server, &body, &key, &attacker_mailbox),
        409,
        "a replay with another mailbox is a conflict"
    );
    // Without a mailbox too: a retry must match the first try exactly.
    let no_mailbox = raw_http(server.addr, None, &post_tip_request(&body, Some(&key)));
    assert_eq!(no_mailbox.status, 409, "a replay that drops the mailbox");
    assert_eq!(
        mailbox_login(&server, &attacker),
        Err(401),
        "the attacker has no mailbox"
    );

    let ids = review_ids(&server.url, &team.reviewer_key);
    assert_eq!(ids.len(), 1, "one tip, stored once");
    tipseal_ok([
        OsStr::new("review"),
        OsStr::new("reply"),
        OsStr::new(&ids[0]),
        OsStr::new("--server"),
        OsStr::new(&server.url),
        OsStr::new("--key"),
        team.reviewer_key.as_os_str(),
        OsStr::new("--message"),
        OsStr::new("we read your report"),
    ]);
    // The attacker still cannot log in after the reply exists (nothing to read first).
    assert_eq!(mailbox_login(&server, &attacker), Err(401));
    let token = mailbox_login(&server, &witness).expect("the witness logs in");
    let mailbox = read_mailbox(&server, &token);
    let replies = mailbox["replies"].as_array().expect("replies");
    assert_eq!(replies.len(), 1, "the witness gets the reply ({retention})");
    let bundle = replies[0]["bundle"].as_str().unwrap();
    assert!(
        reply_bundle_opens_with(bundle, &witness),
        "the reply opens with the witness's receipt"
    );
}

#[test]
fn a_replayed_submission_cannot_attach_another_mailbox() {
    replay_against("keep");
    replay_against("delete-after-read");
}

// ---------------------------------------------------------------------------------------
// Finding 11: the log must not time or order witness requests.

const WITNESS_ADDR: std::net::IpAddr = std::net::IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 77));

/// What a witness does, from 127.0.0.77: the page, the keyring, submissions, a mailbox
/// challenge, an upload. Returns how many tips were stored.
fn witness_visit(server: &ServerGuard) -> usize {
    let from_witness = |method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]| {
        raw_http(
            server.addr,
            Some(WITNESS_ADDR),
            &request(method, path, headers, body),
        )
        .status
    };
    assert_eq!(from_witness("GET", "/", &[], b""), 200);
    assert_eq!(from_witness("GET", "/en/", &[], b""), 200);
    assert_eq!(from_witness("GET", "/static/app.js", &[], b""), 200);
    assert_eq!(from_witness("GET", "/api/v1/keyring", &[], b""), 200);
    let octets = [("Content-Type", "application/octet-stream")];
    let bundles = seal_bundles(&server.url, &read_json(&a_sample()), 3);
    for b in &bundles {
        assert_eq!(from_witness("POST", "/api/v1/tips", &octets, b), 201);
    }
    let json = [("Content-Type", "application/json")];
    assert_eq!(
        from_witness("POST", "/api/v1/mailbox/challenge", &json, b"{}"),
        200
    );
    // A mistaken upload (no envelope is 100 bytes long): a witness route all the same.
    assert_eq!(
        from_witness("POST", "/api/v1/uploads", &json, br#"{"length": 100}"#),
        400
    );
    bundles.len()
}

/// Access-log lines (`route=…`) of witness routes in `log`.
fn witness_route_lines(log: &str) -> Vec<&str> {
    log.lines()
        .filter(|l| l.contains("route="))
        .filter(|l| {
            l.contains("method=POST route=/api/v1/tips ")
                || l.contains("route=/api/v1/keyring ") && l.contains("method=GET")
                || l.contains("route=/api/v1/mailbox")
                || l.contains("route=/api/v1/uploads")
                || l.contains("route=/{lang}")
                || l.contains("route=/static")
                || l.contains("route=/ ")
        })
        .collect()
}

/// Anything that looks like a clock time or a date with a time in `log`.
fn timestamps_in(log: &str) -> Vec<&str> {
    let looks_timed = |l: &&str| {
        let b = l.as_bytes();
        b.windows(8).any(|w| {
            // hh:mm:ss
            w[0].is_ascii_digit()
                && w[1].is_ascii_digit()
                && w[2] == b':'
                && w[3].is_ascii_digit()
                && w[4].is_ascii_digit()
                && w[5] == b':'
                && w[6].is_ascii_digit()
                && w[7].is_ascii_digit()
        })
    };
    log.lines().filter(looks_timed).collect()
}

#[test]
fn no_timestamp_or_order_of_witness_requests_reaches_the_log() {
    let team = setup_team();
    let mut server = team.spawn_server(&[]);
    let stored = witness_visit(&server);
    // A reviewer's requests are logged (accountable), so logging itself works.
    assert_eq!(review_ids(&server.url, &team.reviewer_key).len(), stored);
    server.stop();
    let log = server.log_text();
    assert!(
        log.contains("method=GET route=/api/v1/tips "),
        "the reviewer's listing is logged:\n{log}"
    );
    assert_eq!(witness_route_lines(&log), Vec::<&str>::new(), "{log}");
    assert_eq!(timestamps_in(&log), Vec::<&str>::new());
    assert!(!log.contains("127.0.0.77"));

    // The debugging switch does log them (and still with no address or time).
    let mut debugging = team.spawn_server(&["--log-witness-requests"]);
    witness_visit(&debugging);
    debugging.stop();
    let log = debugging.log_text();
    assert!(witness_route_lines(&log).len() >= 9, "{log}");
    assert_eq!(timestamps_in(&log), Vec::<&str>::new());
    assert!(!log.contains("127.0.0.77"));
}

// ---------------------------------------------------------------------------------------
// Error levels: a refusal by design is not a fault.

/// Sends `n` tips to `server` and counts the answers with `status`.
fn flood_tips(server: &ServerGuard, n: usize, status: u16) -> usize {
    let body = random_bytes(2000);
    (0..n)
        .filter(|_| raw_http(server.addr, None, &post_tip_request(&body, None)).status == status)
        .count()
}

fn error_lines(log: &str) -> Vec<&str> {
    log.lines().filter(|l| l.contains("ERROR")).collect()
}

#[test]
fn a_flood_of_refusals_is_a_warning_summary_not_errors() {
    // The disk floor: every new submission is refused with 507 while reviewers work on.
    let team = setup_team();
    let mut full = team.spawn_server(&["--min-free-bytes", "1000000000000000000"]);
    let reviewer = {
        let url = full.url.clone();
        let key = team.reviewer_key.clone();
        std::thread::spawn(move || (0..2).map(|_| review_ids(&url, &key).len()).sum::<usize>())
    };
    let started = Instant::now();
    assert_eq!(flood_tips(&full, 200, 507), 200);
    let (form, _) = jpeg_with_exif();
    let form = multipart_body(
        &[("narrative", "x")],
        &[("attachments", "a.jpg", "image/jpeg", &form)],
    );
    assert_eq!(post_form(&full, "/en/submit", &form).status, 507);
    assert_eq!(
        reviewer.join().unwrap(),
        0,
        "the reviewer's listings all succeed"
    );
    assert!(started.elapsed() < Duration::from_secs(30));
    let peak = full.peak_rss_kib();
    eprintln!("peak RSS during the refusal flood: {peak} KiB");
    assert!(
        peak < 64 * 1024,
        "peak RSS {peak} KiB during the refusal flood"
    );
    full.stop();
    let log = full.log_text();
    assert_eq!(error_lines(&log), Vec::<&str>::new(), "{log}");
    let summary: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("WARN") && l.contains("insufficient_storage"))
        .collect();
    assert_eq!(summary.len(), 1, "one summary line at shutdown:\n{log}");
    assert!(summary[0].contains("refused=201"), "{}", summary[0]);

    // Not accepting yet (no reviewers): 503, the same way.
    team.revoke("alice");
    let mut closed = team.spawn_server(&[]);
    assert_eq!(flood_tips(&closed, 100, 503), 100);
    closed.stop();
    let log = closed.log_text();
    assert_eq!(error_lines(&log), Vec::<&str>::new(), "{log}");
    assert!(
        log.lines().any(|l| l.contains("WARN")
            && l.contains("not_accepting")
            && l.contains("refused=100")),
        "{log}"
    );
}

// ---------------------------------------------------------------------------------------
// Finding 10: metadata removal fails closed on the no-JavaScript path.

/// The witness's form with one photo, in `lang`.
fn form_with_photo(lang: &str, photo: &[u8], keep_metadata: bool) -> Vec<u8> {
    let mut fields = vec![
        ("language", lang),
        (
            "narrative",
            "the minders took our passports — unique-narrative-5c2e",
        ),
    ];
    if keep_metadata {
        fields.push(("keep_all_metadata", "yes"));
    }
    multipart_body(&fields, &[("attachments", "site.jpg", "image/jpeg", photo)])
}

/// The refusal sentence in `lang`, as `web/i18n/<lang>.json` has it.
fn metadata_refusal_in(lang: &str) -> String {
    let path = format!("{}/web/i18n/{lang}.json", env!("CARGO_MANIFEST_DIR"));
    let strings = read_json(std::path::Path::new(&path));
    strings["err_metadata_unparsed"]
        .as_str()
        .expect("every language has err_metadata_unparsed")
        .to_owned()
}

#[test]
fn a_truncated_jpeg_with_gps_is_refused_not_stored() {
    let team = setup_team();
    let server = team.spawn_server(&[]);
    let (with_gps, clean) = jpeg_with_exif();
    assert!(contains(&with_gps, b"GPSLatitude"));
    let truncated = with_gps[..with_gps.len() - 5].to_vec();
    // "A padding byte": one junk byte between APP0 and the Exif segment. (Decoders skip
    // it and show the photo; a lenient stripper lost its way and kept the Exif.)
    let app0_end = 4 + usize::from(u16::from_be_bytes([with_gps[4], with_gps[5]]));
    let mut padded = with_gps.clone();
    padded.insert(app0_end, 0x00);

    for (lang, photo) in [("ko", &truncated), ("ru", &padded), ("ar", &truncated)] {
        let resp = post_form(
            &server,
            &format!("/{lang}/submit"),
            &form_with_photo(lang, photo, false),
        );
        assert_eq!(resp.status, 400, "{lang}: the form again, refused");
        assert_page_language(&resp, lang, if lang == "ar" { "rtl" } else { "ltr" });
        let page = String::from_utf8_lossy(&resp.body);
        assert!(
            page.contains(&metadata_refusal_in(lang)),
            "{lang}: the refusal is in the witness's language"
        );
        assert!(
            page.contains("unique-narrative-5c2e"),
            "{lang}: what the witness wrote is kept in the form"
        );
    }
    assert!(
        review_ids(&server.url, &team.reviewer_key).is_empty(),
        "nothing was stored"
    );
    assert!(grep_dir(&server.data_dir, b"GPSLatitude").is_empty());

    // A legitimate photo still goes through and reaches the reviewer without metadata.
    let ok = post_form(
        &server,
        "/en/submit",
        &form_with_photo("en", &with_gps, false),
    );
    assert_eq!(ok.status, 200, "{}", String::from_utf8_lossy(&ok.body));
    let ids = review_ids(&server.url, &team.reviewer_key);
    assert_eq!(ids.len(), 1);
    let saved = tempfile::TempDir::new().unwrap();
    review_show(&server.url, &team.reviewer_key, &ids[0], Some(saved.path()));
    assert_eq!(std::fs::read(saved.path().join("site.jpg")).unwrap(), clean);

    // A witness who ticks "keep hidden information" sends the file as it is: their choice.
    let kept = post_form(
        &server,
        "/en/submit",
        &form_with_photo("en", &truncated, true),
    );
    assert_eq!(kept.status, 200);
    assert_eq!(review_ids(&server.url, &team.reviewer_key).len(), 2);
}

// ---------------------------------------------------------------------------------------
// Second round (S2): no log line may be written from inside a witness's request.

/// The operator notices (ERROR and WARN lines) the server has written so far.
fn notices(server: &ServerGuard) -> Vec<String> {
    server
        .log_text()
        .lines()
        .filter(|l| l.contains("ERROR") || l.contains("WARN"))
        .map(str::to_owned)
        .collect()
}

/// Waits (at most `within`) for the next tick's "KEYRING EXPIRED" notice after the
/// `seen` notices, then a moment more so the tick's whole batch is in.
fn next_tick(server: &ServerGuard, seen: usize, within: Duration) -> Option<Vec<String>> {
    let until = Instant::now() + within;
    while Instant::now() < until {
        let now = notices(server);
        if now[seen.min(now.len())..]
            .iter()
            .any(|l| l.contains("KEYRING EXPIRED"))
        {
            std::thread::sleep(Duration::from_millis(100));
            return Some(notices(server));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

#[test]
fn refusals_under_an_expired_keyring_leave_no_log_line_that_times_a_witness() {
    let team = setup_team();
    let expired = extend_keyring(
        &std::fs::read(&team.keyring).unwrap(),
        &team.admin_key,
        None,
        100,
        -10,
    );
    std::fs::write(&team.keyring, &expired).unwrap();
    let tick = Duration::from_secs(2);
    let server = team.spawn_server(&["--notice-interval-secs", "2"]);
    let tip = read_json(&a_sample());
    let bundles = seal_bundles_with_keyring(&expired, &tip, 3);

    // Align on a tick (the timer says the keyring expired at every one), then refuse
    // witnesses right after it: nothing may be written until the next tick.
    let start_up = notices(&server).len();
    let synced = next_tick(&server, start_up, 2 * tick)
        .expect("a tick writes the expiry notice")
        .len();
    let synced_at = Instant::now();
    // Mid-interval: a ticker started by the refusal would be off the start-up grid.
    std::thread::sleep(tick * 2 / 5);
    let refused_at = Instant::now();
    for b in &bundles {
        let r = raw_http(server.addr, None, &post_tip_request(b, None));
        assert_eq!(r.status, 503, "{}", r.assert_json_error());
    }
    let form = multipart_body(&[("narrative", "sent without JavaScript")], &[]);
    assert_eq!(post_form(&server, "/en/submit", &form).status, 503);
    std::thread::sleep(Duration::from_millis(300));
    let after = notices(&server);
    assert!(
        synced_at.elapsed() < tick - Duration::from_millis(300),
        "the machine is too slow for this tick ({:?}); the check below would be unsound",
        synced_at.elapsed()
    );
    assert_eq!(
        after[synced..].to_vec(),
        Vec::<String>::new(),
        "a witness's refused request wrote a log line (its journald time would time it)"
    );

    // The next tick — on the grid from start-up, not a fixed time after the first
    // refusal — writes the expiry notice and the refusal counts together.
    let batch = next_tick(&server, synced, 2 * tick).expect("the next tick");
    let waited = refused_at.elapsed();
    let on_grid = synced_at.elapsed().as_millis() % tick.as_millis();
    let new = batch[synced..].join("\n");
    eprintln!(
        "refusal summary {waited:?} after the refusals ({on_grid} ms off the tick grid):\n{new}"
    );
    assert!(
        new.contains("KEYRING EXPIRED")
            && new.contains("code=\"keyring_expired\" refused=3")
            && new.contains("code=\"busy\" refused=1"),
        "the tick's batch has the expiry notice and the counts of refusals:\n{new}"
    );
    assert!(
        waited < tick && !(400..1600).contains(&on_grid),
        "the summary came {waited:?} after the refusals, {on_grid} ms off the start-up \
         grid: a ticker started by the first refusal puts it at refusal + interval"
    );
    // A reviewer keeps working meanwhile.
    assert!(review_ids(&server.url, &team.reviewer_key).is_empty());
    assert!(!new.contains("127.0.0.1") && !new.contains("/api/v1/tips"));
}

// ---------------------------------------------------------------------------------------
// Second round (S3): a refusal by design is never a 500 page on the no-JavaScript path.

/// A sentence of `web/i18n/<lang>.json`.
fn i18n_text(lang: &str, key: &str) -> String {
    let path = format!("{}/web/i18n/{lang}.json", env!("CARGO_MANIFEST_DIR"));
    read_json(std::path::Path::new(&path))[key]
        .as_str()
        .unwrap_or_else(|| panic!("{lang} has {key}"))
        .to_owned()
}

#[test]
fn a_full_conversation_is_a_409_page_in_the_witness_language_not_a_500() {
    let team = setup_team();
    let data = tempfile::TempDir::new().unwrap();
    let dir = data.path().join("data");
    let args = [OsStr::new("--keyring"), team.keyring.as_os_str()];
    let mut server = spawn_server_in(&dir, &args);
    let receipt = data.path().join("receipt.txt");
    let out = tipseal_ok([
        OsStr::new("submit"),
        OsStr::new("--server"),
        OsStr::new(&server.url),
        OsStr::new("--tip"),
        a_sample().as_os_str(),
        OsStr::new("--receipt-out"),
        receipt.as_os_str(),
        OsStr::new("--json"),
    ]);
    let id = json_stdout(&out)["id"].as_str().unwrap().to_owned();
    let words = std::fs::read_to_string(&receipt).unwrap();
    let words = words.trim();
    let add = |server: &ServerGuard, lang: &str| {
        let session = mailbox_session(server, lang, words);
        let form = multipart_body(
            &[
                ("session", &session),
                ("action", "add"),
                ("message", "one more thing"),
            ],
            &[],
        );
        post_form(server, &format!("/{lang}/followup"), &form)
    };
    assert_eq!(add(&server, "en").status, 200, "a legitimate follow-up");

    // The conversation reaches its limit (10,000 entries), written while stopped.
    server.stop();
    fill_conversation(&dir, &id);
    let server = spawn_server_in(&dir, &args);
    let started = Instant::now();
    for lang in ["ru", "ar", "zh", "en"] {
        let resp = add(&server, lang);
        let page = String::from_utf8_lossy(&resp.body);
        assert_eq!(
            resp.status, 409,
            "{lang}: a full conversation is a refusal by design, not a 500"
        );
        assert!(
            page.contains(&i18n_text(lang, "err_conversation_full")),
            "{lang}: the refusal is in the witness's language"
        );
    }
    eprintln!(
        "4 refusals of a full conversation in {:?}",
        started.elapsed()
    );
    // The witness still reads the mailbox; the reviewer still works; nothing is an ERROR.
    let form = multipart_body(&[("words", words), ("action", "open")], &[]);
    assert_eq!(post_form(&server, "/en/followup", &form).status, 200);
    assert_eq!(review_ids(&server.url, &team.reviewer_key), vec![id]);
    assert_eq!(error_lines(&server.log_text()), Vec::<&str>::new());
}

// ---------------------------------------------------------------------------------------
// Second round (S1): an idempotent retry racing its first try.

#[test]
fn retries_racing_their_first_try_get_the_same_tip_never_a_refusal() {
    let team = setup_team();
    let server = team.spawn_server(&["--rate-intake", "off"]);
    let tip = read_json(&a_sample());
    let tries = 8;
    let rounds = 3;
    let (mut answered, mut retryable) = (0, 0);
    let mut refused = Vec::new();
    let started = Instant::now();
    for round in 0..rounds {
        // A tip with a 3.6 MB uploaded attachment: its insert takes a while.
        let (bundle, part) =
            sealed_tip_and_upload(&server, &tip, "video.bin", &random_bytes(3_600_000));
        let created = create_upload(&server, part.len());
        assert_eq!(created.status, 201);
        let id = created.json()["id"].as_str().unwrap().to_owned();
        for (n, chunk) in part.chunks(256 * 1024).enumerate() {
            let patched = patch_upload(&server, &id, n * 256 * 1024, chunk);
            assert_eq!(patched.status, 204, "{}", patched.assert_json_error());
        }
        let ids = [id];
        let key = random_hex(16);
        let uploads = ids.join(",");
        let req = request(
            "POST",
            "/api/v1/tips",
            &[
                ("Content-Type", "application/octet-stream"),
                ("Idempotency-Key", &key),
                ("Tipseal-Uploads", &uploads),
            ],
            &bundle,
        );
        // The first try and its retries (a dropped circuit, a double click) at once.
        let gate = std::sync::Arc::new(std::sync::Barrier::new(tries));
        let answers: Vec<HttpResponse> = (0..tries)
            .map(|_| {
                let (gate, req, addr) = (gate.clone(), req.clone(), server.addr);
                std::thread::spawn(move || {
                    gate.wait();
                    raw_http(addr, None, &req)
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|t| t.join().unwrap())
            .collect();
        let mut tip_ids = std::collections::BTreeSet::new();
        for a in &answers {
            match a.status {
                200 | 201 => {
                    answered += 1;
                    tip_ids.insert(a.json()["id"].as_str().unwrap().to_owned());
                }
                503 => {
                    assert!(a.header("retry-after").is_some(), "503 carries Retry-After");
                    retryable += 1;
                }
                other => refused.push(format!(
                    "round {round}: {other} {}",
                    String::from_utf8_lossy(&a.body)
                )),
            }
        }
        let created = answers.iter().filter(|a| a.status == 201).count();
        assert!(
            created == 1 && tip_ids.len() <= 1,
            "round {round}: {created} created, ids {tip_ids:?}"
        );
    }
    eprintln!(
        "{rounds} rounds of {tries} racing tries in {:?}: {answered} answered with the tip, \
         {retryable} told to retry, {} refused",
        started.elapsed(),
        refused.len()
    );
    assert_eq!(
        refused,
        Vec::<String>::new(),
        "retries of a stored tip were refused (the page tells the witness it failed)"
    );
    // Exactly one tip per round, and the reviewer opens them.
    let ids = review_ids(&server.url, &team.reviewer_key);
    assert_eq!(ids.len(), rounds, "one tip per key: {ids:?}");
    review_show(&server.url, &team.reviewer_key, &ids[0], None);
}

#[test]
fn a_stored_tips_retry_under_the_disk_floor_gets_its_id_not_a_507() {
    let team = setup_team();
    let data = tempfile::TempDir::new().unwrap();
    let dir = data.path().join("data");
    let keyring = ["--keyring", team.keyring.to_str().unwrap()];
    let mut server = spawn_server_in(&dir, &keyring);
    let bundle = seal_bundle(&server.url, &read_json(&a_sample()));
    let key = random_hex(16);
    let first = raw_http(server.addr, None, &post_tip_request(&bundle, Some(&key)));
    assert_eq!(first.status, 201);
    // The answer was lost on the way back; meanwhile the disk fell below the floor.
    server.stop();
    let full = [&keyring[..], &["--min-free-bytes", "1000000000000000000"]].concat();
    let server = spawn_server_in(&dir, &full);
    let retry = raw_http(server.addr, None, &post_tip_request(&bundle, Some(&key)));
    assert_eq!(
        (retry.status, retry.json()["id"].clone()),
        (200, first.json()["id"].clone()),
        "the stored tip's retry is answered with its id, not refused"
    );
    // A new tip is still refused there, and the reviewer still reads.
    let other = raw_http(server.addr, None, &post_tip_request(&bundle, None));
    assert_eq!(other.status, 507);
    assert_eq!(review_ids(&server.url, &team.reviewer_key).len(), 1);
}
