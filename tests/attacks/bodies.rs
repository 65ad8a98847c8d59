//! Attacks through bodies and uploads (issue 7, findings 4, 6 and 8): slow bodies, held
//! big bodies on every route that reads one, abandoned uploads, a duplicated upload id
//! and oversized tips. Each runs against the real server with small limits
//! (`docs/limits.md` has the defaults) and asserts that witnesses and reviewers keep
//! succeeding while it runs.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::json;
use tempfile::TempDir;

use super::common::*;

const MIB: usize = 1024 * 1024;

/// The server's peak resident memory (`VmHWM`), in MiB.
fn peak_rss_mib(server: &ServerGuard) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{}/status", server.pid()))
        .expect("read /proc/PID/status");
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .expect("VmHWM in /proc/PID/status");
    kib / 1024
}

/// Resets the peak (`VmHWM`) to the current resident size (Linux `clear_refs`).
fn reset_peak_rss(server: &ServerGuard) {
    std::fs::write(format!("/proc/{}/clear_refs", server.pid()), b"5")
        .expect("reset the server's VmHWM");
}

/// What an attacking connection saw.
struct Outcome {
    /// The status the server answered with, if it answered.
    status: Option<u16>,
    /// When the answer came, from the start of the request.
    after: Duration,
}

/// A connection that sends `head`, then `burst` bytes as fast as it can, then `trickle`
/// bytes every `tick` until the server answers or `hold` has passed (then it hangs up).
fn attacker(
    addr: SocketAddr,
    head: String,
    burst: usize,
    trickle: usize,
    tick: Duration,
    hold: Duration,
) -> JoinHandle<Outcome> {
    std::thread::spawn(move || {
        let start = Instant::now();
        let Ok(mut stream) = connect(addr, None) else {
            return Outcome {
                status: None,
                after: start.elapsed(),
            };
        };
        let answered = Arc::new(AtomicBool::new(false));
        let mut reader = stream.try_clone().expect("clone the socket");
        let flag = answered.clone();
        let reading = std::thread::spawn(move || {
            let mut raw = Vec::new();
            let mut buf = [0u8; 4096];
            let mut at = None;
            loop {
                match reader.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        at.get_or_insert_with(|| start.elapsed());
                        flag.store(true, Ordering::SeqCst);
                        raw.extend_from_slice(&buf[..n]);
                    }
                }
            }
            (parse_response(&raw).map(|r| r.status), at)
        });
        let mut ok = stream.write_all(head.as_bytes()).is_ok();
        let block = vec![b'A'; 64 * 1024];
        let mut sent = 0;
        while ok && sent < burst && !answered.load(Ordering::SeqCst) {
            let n = block.len().min(burst - sent);
            ok = stream.write_all(&block[..n]).is_ok();
            sent += n;
        }
        while ok && !answered.load(Ordering::SeqCst) && start.elapsed() < hold {
            std::thread::sleep(tick);
            if trickle > 0 {
                ok = stream.write_all(&block[..trickle]).is_ok();
            }
        }
        if !answered.load(Ordering::SeqCst) {
            let _ = stream.shutdown(Shutdown::Both);
        }
        let (status, at) = reading.join().expect("reader thread");
        Outcome {
            status,
            after: at.unwrap_or_else(|| start.elapsed()),
        }
    })
}

fn head(path: &str, content_type: &str, length: usize) -> String {
    format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\
         Content-Type: {content_type}\r\nContent-Length: {length}\r\n\r\n"
    )
}

/// A witness's tip (sealed in the test, as the page would) gets 201.
fn a_witness_submits(server: &ServerGuard, bundle: &[u8]) -> Duration {
    let start = Instant::now();
    let resp = raw_http(server.addr, None, &post_tip_request(bundle, None));
    assert_eq!(
        resp.status,
        201,
        "a witness's tip during the attack: {}",
        String::from_utf8_lossy(&resp.body)
    );
    start.elapsed()
}

fn a_tip() -> serde_json::Value {
    json!({"schema": "tipseal/tip/v1", "language": "en", "narrative": "see the file"})
}

#[test]
fn sixty_four_slow_bodies_do_not_stop_a_witness() {
    let team = setup_team();
    // A body must start within 2 s and bring 1 KiB/s after that.
    let server = team.spawn_server(&["--body-stall-secs", "2", "--body-min-rate", "1024"]);
    let bundles = seal_bundles(&server.url, &read_json(&a_sample()), 2);
    // 72 connections (more than the 64 intake slots): half never send a body byte,
    // half trickle one byte every half second. Each declares 1 MB.
    let slow: Vec<_> = (0..72)
        .map(|i| {
            let trickle = if i % 2 == 0 { 0 } else { 1 };
            let h = head("/api/v1/tips", "application/octet-stream", 1_000_000);
            attacker(
                server.addr,
                h,
                0,
                trickle,
                Duration::from_millis(500),
                Duration::from_secs(20),
            )
        })
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    let took = a_witness_submits(&server, &bundles[0]);
    assert!(took < Duration::from_secs(5), "the witness waited {took:?}");
    let ids_during = review_ids(&server.url, &team.reviewer_key);
    assert_eq!(
        ids_during.len(),
        1,
        "a reviewer lists tips during the attack"
    );

    let outcomes: Vec<Outcome> = slow.into_iter().map(|h| h.join().unwrap()).collect();
    let cut = outcomes.iter().filter(|o| o.status == Some(408)).count();
    let slowest = outcomes.iter().map(|o| o.after).max().unwrap();
    assert_eq!(cut, 72, "every slow body gets 408");
    // 2 s to the first byte or one 2 s window under the rate, plus scheduling slack.
    assert!(
        slowest < Duration::from_secs(8),
        "the last 408 came after {slowest:?}"
    );
    eprintln!(
        "witness 201 in {took:?}; 72 slow bodies cut off with 408, the last after {slowest:?}"
    );
    // Nothing of the slow bodies was stored; the server is still fine.
    a_witness_submits(&server, &bundles[1]);
    assert_eq!(review_ids(&server.url, &team.reviewer_key).len(), 2);
}

#[test]
fn held_big_bodies_on_followup_the_form_and_the_keyring_stay_within_memory() {
    let team = setup_team();
    let server = team.spawn_server(&[
        "--body-stall-secs",
        "2",
        "--body-min-rate",
        "1024",
        "--body-budget-bytes",
        "67108864",
    ]);
    let bundles = seal_bundles(&server.url, &read_json(&a_sample()), 2);
    let idle_mib = peak_rss_mib(&server);
    let multipart = format!("multipart/form-data; boundary={BOUNDARY}");
    let preamble = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"attachments\"; filename=\"a.bin\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    );
    // 24 bodies of 32 MiB declared on the follow-up page and on the no-JS form, each
    // sending 24 MiB as fast as loopback allows and then holding the connection with
    // 4 KiB every half second (above the minimum rate), plus 16 on the keyring.
    let mut attackers = Vec::new();
    for i in 0..48 {
        let (path, ctype, declared, burst) = match i % 3 {
            0 => ("/en/followup", multipart.as_str(), 32 * MIB, 24 * MIB),
            1 => ("/en/submit", multipart.as_str(), 32 * MIB, 24 * MIB),
            _ => ("/api/v1/keyring", "application/json", MIB, MIB - 1),
        };
        let mut h = head(path, ctype, declared);
        if ctype.starts_with("multipart") {
            h.push_str(&preamble);
        }
        attackers.push(attacker(
            server.addr,
            h,
            burst,
            4096,
            Duration::from_millis(500),
            Duration::from_secs(12),
        ));
    }
    std::thread::sleep(Duration::from_secs(3));
    // While the bodies are held: a witness's tip and a reviewer's listing succeed.
    let took = a_witness_submits(&server, &bundles[0]);
    assert_eq!(review_ids(&server.url, &team.reviewer_key).len(), 1);
    let outcomes: Vec<Outcome> = attackers.into_iter().map(|h| h.join().unwrap()).collect();
    let peak = peak_rss_mib(&server);
    let refused = outcomes
        .iter()
        .filter(|o| matches!(o.status, Some(503 | 413 | 400)))
        .count();
    eprintln!(
        "idle {idle_mib} MiB, peak {peak} MiB with 48 held bodies ({refused} refused with 503/413/400); witness 201 in {took:?}"
    );
    assert!(refused > 0, "the budget refused some of the held bodies");
    assert!(
        peak < 300,
        "the server's peak RSS was {peak} MiB (idle {idle_mib} MiB); bound: 300 MiB"
    );
    // After the attack, everything works again.
    a_witness_submits(&server, &bundles[1]);
}

#[test]
fn abandoned_uploads_do_not_lock_out_witnesses() {
    let team = setup_team();
    let data = TempDir::new().unwrap();
    let keyring = team.keyring.to_str().unwrap().to_owned();
    // A budget of 1 MB of declared upload bytes; an upload idle for 3 s is freed.
    let args = [
        "--keyring",
        keyring.as_str(),
        "--upload-budget-bytes",
        "1000000",
        "--upload-idle-secs",
        "3",
    ];
    let server = spawn_server_in(&data.path().join("d"), &args);
    // The attacker opens uploads of the smallest envelope until the budget is full.
    let mut opened = 0;
    let full = loop {
        let resp = create_upload(&server, 16_553);
        if resp.status != 201 {
            break resp;
        }
        opened += 1;
        assert!(opened < 100, "the upload budget never filled");
    };
    assert_eq!(opened, 1_000_000 / 16_553, "the budget is in bytes");
    assert_eq!(full.status, 503);
    assert_eq!(full.assert_json_error(), "uploads_full");
    assert!(
        full.header("retry-after").is_some(),
        "503 without Retry-After"
    );

    // A restart does not keep the lock-out: the flood's uploads get a fresh idle clock
    // and are freed by the timed sweep.
    let mut server = server;
    server.stop();
    let server = spawn_server_in(&data.path().join("d"), &args);
    let (tip_only, envelope) =
        sealed_tip_and_upload(&server, &a_tip(), "photo.jpg", &random_bytes(100_000));
    let start = Instant::now();
    let created = loop {
        let resp = create_upload(&server, envelope.len());
        if resp.status == 201 || start.elapsed() > Duration::from_secs(15) {
            break resp;
        }
        assert_eq!(resp.status, 503, "a full budget is a clear 503");
        std::thread::sleep(Duration::from_millis(250));
    };
    let recovered = start.elapsed();
    assert_eq!(created.status, 201, "the witness's upload after the sweep");
    assert!(
        recovered < Duration::from_secs(8),
        "uploads were usable again only after {recovered:?}"
    );
    eprintln!(
        "{opened} abandoned uploads filled the budget; usable again {recovered:?} after a restart"
    );
    let id = created.json()["id"].as_str().unwrap().to_owned();
    let resp = patch_upload(&server, &id, 0, &envelope);
    assert_eq!(resp.status, 204);
    let stored = post_tip_with_uploads(&server, &tip_only, &[&id]);
    assert_eq!(
        stored.status,
        201,
        "{}",
        String::from_utf8_lossy(&stored.body)
    );
}

#[test]
fn a_duplicated_upload_id_is_refused() {
    let team = setup_team();
    let server = team.spawn_server(&[]);
    let (tip_only, envelope) =
        sealed_tip_and_upload(&server, &a_tip(), "video.mp4", &random_bytes(3 * MIB));
    let id = upload_whole(&server, &envelope);
    let named_twice = post_tip_with_uploads(&server, &tip_only, &[&id, &id]);
    assert_eq!(named_twice.status, 400);
    assert_eq!(named_twice.assert_json_error(), "bad_request");
    let named_31 = vec![id.as_str(); 31];
    let resp = post_tip_with_uploads(&server, &tip_only, &named_31);
    assert_eq!(resp.status, 400);
    assert!(review_ids(&server.url, &team.reviewer_key).is_empty());
    // The upload is still there for the honest submission.
    let once = post_tip_with_uploads(&server, &tip_only, &[&id]);
    assert_eq!(once.status, 201, "{}", String::from_utf8_lossy(&once.body));
}

#[test]
fn a_tip_over_the_whole_tip_cap_is_refused_and_the_largest_allowed_tip_opens_for_the_reviewer() {
    let team = setup_team();
    let data = TempDir::new().unwrap();
    let dir = data.path().join("d");
    let keyring = team.keyring.to_str().unwrap().to_owned();
    // Seal first, then cap the server at exactly this tip's size.
    let mut server = spawn_server_in(&dir, &["--keyring", &keyring]);
    let video = random_bytes(12 * MIB);
    let (tip_only, envelope) = sealed_tip_and_upload(&server, &a_tip(), "video.mp4", &video);
    let whole = tip_only.len() + 4 + envelope.len();
    server.stop();
    let cap = whole.to_string();
    let capped = [
        "--keyring",
        keyring.as_str(),
        "--max-tip-bytes",
        cap.as_str(),
    ];
    let mut server = spawn_server_in(&dir, &capped);
    // The page is told the same caps the server enforces.
    let page = String::from_utf8_lossy(&server.get("/en/").body).into_owned();
    assert!(
        page.contains(&format!("data-max-tip=\"{cap}\"")),
        "the page's whole-tip cap"
    );
    assert!(
        page.contains("data-max-file=\"33554431\""),
        "the page's per-file cap"
    );
    let id = upload_whole(&server, &envelope);
    let extra = upload_whole(&server, &vec![0u8; 16_553]);

    // Over the cap (another upload named): 413 with a clear error, nothing stored.
    let over = post_tip_with_uploads(&server, &tip_only, &[&id, &extra]);
    assert_eq!(over.status, 413, "{}", String::from_utf8_lossy(&over.body));
    assert_eq!(over.assert_json_error(), "tip_too_large");
    assert!(review_ids(&server.url, &team.reviewer_key).is_empty());

    // Exactly at the cap: stored, and the reviewer opens it.
    let stored = post_tip_with_uploads(&server, &tip_only, &[&id]);
    assert_eq!(
        stored.status,
        201,
        "{}",
        String::from_utf8_lossy(&stored.body)
    );
    let tip_id = stored.json()["id"].as_str().unwrap().to_owned();
    // From a fresh process (the submission's memory is not there to reuse), three
    // reviewers fetch it at once. It is streamed from storage: the peak grows by sled's
    // page cache (one copy of what was read, at most 64 MiB) and a few chunks, where the
    // old fetch assembled three copies per reviewer (nine here).
    server.stop();
    let server = spawn_server_in(&dir, &capped);
    std::thread::sleep(Duration::from_millis(500));
    reset_peak_rss(&server);
    let before = peak_rss_mib(&server);
    let fetches: Vec<_> = (0..3)
        .map(|_| {
            let url = server.url.clone();
            let key = team.reviewer_key.clone();
            let id = tip_id.clone();
            std::thread::spawn(move || {
                let saved = TempDir::new().unwrap();
                let opened = review_show(&url, &key, &id, Some(saved.path()));
                let back = std::fs::read(saved.path().join("video.mp4")).unwrap();
                (opened, back)
            })
        })
        .collect();
    for f in fetches {
        let (opened, back) = f.join().unwrap();
        assert_eq!(opened["tip"], a_tip());
        assert!(back == video, "the attachment comes back byte-identical");
    }
    let grew = peak_rss_mib(&server).saturating_sub(before);
    eprintln!(
        "tip of {whole} bytes at the cap: 413 one upload over it; fetched 3x at once from a fresh server, peak grew by {grew} MiB (from {before} MiB)"
    );
    assert!(
        (grew as usize) < 2 * whole / MIB,
        "three fetches of a {} MiB tip grew the server's peak by {grew} MiB",
        whole / MIB
    );
}

/// The PATCHes an attacker sends to keep an upload alive without sending its bytes: an
/// empty one, one at a wrong offset, one past the end, and one byte at a time.
fn keep_alive_ping(addr: SocketAddr, id: &str, kind: usize, sent: &mut usize) {
    let (offset, bytes) = match kind % 4 {
        0 => (0, Vec::new()),
        1 => (*sent + 7, b"x".to_vec()),
        2 => (*sent, vec![0u8; 20_000]),
        _ => (*sent, b"x".to_vec()),
    };
    let offset = offset.to_string();
    let path = format!("/api/v1/uploads/{id}");
    let headers = [
        ("Content-Type", "application/offset+octet-stream"),
        ("Upload-Offset", offset.as_str()),
    ];
    let Ok(resp) = try_raw_http(addr, None, &request("PATCH", &path, &headers, &bytes)) else {
        return;
    };
    if kind % 4 == 3 && resp.status == 204 {
        *sent += 1;
    }
}

#[test]
fn keeping_uploads_alive_with_empty_patches_does_not_lock_out_witnesses() {
    let team = setup_team();
    // 140 000 declared bytes of uploads; an upload idle for 3 s is freed.
    let server = team.spawn_server(&[
        "--upload-budget-bytes",
        "140000",
        "--upload-idle-secs",
        "3",
        "--rate-intake",
        "off",
    ]);
    let (tip_only, envelope) =
        sealed_tip_and_upload(&server, &a_tip(), "note.txt", &random_bytes(1000));
    // The attacker fills the budget with the smallest uploads…
    let mut ids = Vec::new();
    loop {
        let resp = create_upload(&server, 16_553);
        if resp.status != 201 {
            assert_eq!(resp.assert_json_error(), "uploads_full");
            break;
        }
        ids.push(resp.json()["id"].as_str().unwrap().to_owned());
        assert!(ids.len() < 100, "the upload budget never filled");
    }
    assert_eq!(ids.len(), 140_000 / 16_553);
    assert_eq!(create_upload(&server, envelope.len()).status, 503);
    // …and keeps every one of them "active" without sending its bytes: two pings a
    // second per upload, for as long as the test runs.
    let stop = Arc::new(AtomicBool::new(false));
    let pinger = {
        let stop = stop.clone();
        let addr = server.addr;
        let ids = ids.clone();
        std::thread::spawn(move || {
            let mut sent = vec![0usize; ids.len()];
            let mut pings = 0;
            while !stop.load(Ordering::SeqCst) {
                for (i, id) in ids.iter().enumerate() {
                    keep_alive_ping(addr, id, i, &mut sent[i]);
                    pings += 1;
                }
                std::thread::sleep(Duration::from_millis(500));
            }
            pings
        })
    };
    // A witness keeps trying to upload an attachment while the pings go on.
    let start = Instant::now();
    let created = loop {
        let resp = create_upload(&server, envelope.len());
        if resp.status == 201 || start.elapsed() > Duration::from_secs(20) {
            break resp;
        }
        assert_eq!(resp.status, 503, "a full budget is a clear 503");
        std::thread::sleep(Duration::from_millis(250));
    };
    let waited = start.elapsed();
    assert_eq!(
        created.status, 201,
        "the witness was locked out for {waited:?} by uploads kept alive with empty PATCHes"
    );
    let id = created.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(patch_upload(&server, &id, 0, &envelope).status, 204);
    let stored = post_tip_with_uploads(&server, &tip_only, &[&id]);
    stop.store(true, Ordering::SeqCst);
    let pings = pinger.join().unwrap();
    assert_eq!(
        stored.status,
        201,
        "{}",
        String::from_utf8_lossy(&stored.body)
    );
    assert!(
        waited < Duration::from_secs(10),
        "the witness waited {waited:?} for upload room"
    );
    eprintln!(
        "{} uploads pinged {pings} times (empty, wrong offset, past the end, one byte): witness's upload created after {waited:?}, tip stored",
        ids.len()
    );
    assert_eq!(review_ids(&server.url, &team.reviewer_key).len(), 1);
}

/// `tip_only` (a bundle of the tip alone) with `envelope` appended as an inline part.
pub(super) fn with_inline_part(tip_only: &[u8], envelope: &[u8]) -> Vec<u8> {
    let mut bundle = tip_only.to_vec();
    bundle[5] += 1;
    bundle.extend_from_slice(&(envelope.len() as u32).to_be_bytes());
    bundle.extend_from_slice(envelope);
    bundle
}

#[test]
fn four_slow_big_bodies_holding_the_body_budget_do_not_stop_an_attachment() {
    let team = setup_team();
    // A 16 MiB body budget; bodies of up to 8 MiB; 1 KiB/s per 2 s window is enough.
    let server = team.spawn_server(&[
        "--body-stall-secs",
        "2",
        "--body-min-rate",
        "1024",
        "--body-budget-bytes",
        "16777216",
        "--max-body-bytes",
        "8388608",
        "--rate-intake",
        "off",
    ]);
    let (tip_only, envelope) =
        sealed_tip_and_upload(&server, &a_tip(), "photo.jpg", &random_bytes(1_500_000));
    let inline = with_inline_part(&tip_only, &envelope);
    // Five connections, one after another, each send just under 4 MiB of an 8 MiB tip at
    // once, then hold it open with 1.5 KiB every half second (above the minimum rate).
    // Four of them fill the 16 MiB budget to within 400 KiB (before the fix), or three
    // fill the three quarters that bodies over 1 MiB may use to within 300 KiB.
    let attackers: Vec<_> = (0..5)
        .map(|_| {
            let a = attacker(
                server.addr,
                head("/api/v1/tips", "application/octet-stream", 8 * MIB),
                4 * MIB - 68 * 1024,
                1536,
                Duration::from_millis(500),
                Duration::from_secs(20),
            );
            // Each burst is in before the next starts, so no two race for the last bytes.
            std::thread::sleep(Duration::from_millis(700));
            a
        })
        .collect();
    std::thread::sleep(Duration::from_secs(2));
    reset_peak_rss(&server);
    // While they hold it: a witness sends a photo inline, a 2 MiB body (as the
    // no-JavaScript form would). The big-body share is full, but this body is faster than
    // the held ones, so the slowest of them makes room.
    let start = Instant::now();
    let inline_resp = raw_http(server.addr, None, &post_tip_request(&inline, None));
    let inline_took = start.elapsed();
    // Another witness uploads the photo in 1 MiB chunks, then sends the tip.
    let start = Instant::now();
    let created = create_upload(&server, envelope.len());
    assert_eq!(created.status, 201);
    let id = created.json()["id"].as_str().unwrap().to_owned();
    let mut refused = 0;
    for (i, chunk) in envelope.chunks(MIB).enumerate() {
        let resp = patch_upload(&server, &id, i * MIB, chunk);
        if resp.status != 204 {
            refused += 1;
            eprintln!(
                "chunk {i}: {} {}",
                resp.status,
                String::from_utf8_lossy(&resp.body)
            );
        }
    }
    let stored = post_tip_with_uploads(&server, &tip_only, &[&id]);
    let took = start.elapsed();
    let outcomes: Vec<Outcome> = attackers.into_iter().map(|h| h.join().unwrap()).collect();
    let held = outcomes.iter().filter(|o| o.status.is_none()).count();
    let evicted = outcomes.iter().filter(|o| o.status == Some(503)).count();
    let peak = peak_rss_mib(&server);
    eprintln!(
        "{held} of 5 slow 8 MiB bodies held to the end, {evicted} got 503; witness: {refused} chunks refused, tip {} after {took:?}; inline 2 MiB tip {} after {inline_took:?}; peak RSS {peak} MiB",
        stored.status, inline_resp.status
    );
    assert_eq!(refused, 0, "every 1 MiB upload chunk got through");
    assert_eq!(
        stored.status,
        201,
        "{}",
        String::from_utf8_lossy(&stored.body)
    );
    assert_eq!(
        inline_resp.status,
        201,
        "a tip with an inline photo: {}",
        String::from_utf8_lossy(&inline_resp.body)
    );
    assert!(held >= 2, "the attack held big bodies ({held})");
    assert!(took < Duration::from_secs(10), "the witness took {took:?}");
    assert!(
        peak < 300,
        "the server's peak RSS was {peak} MiB; bound: 300 MiB"
    );
    assert_eq!(review_ids(&server.url, &team.reviewer_key).len(), 2);
}

#[test]
fn uploads_under_an_expired_keyring_are_refused_before_their_bytes() {
    let team = setup_team();
    let expired = extend_keyring(
        &std::fs::read(&team.keyring).unwrap(),
        &team.admin_key,
        None,
        100,
        -10,
    );
    std::fs::write(&team.keyring, &expired).unwrap();
    let server = team.spawn_server(&[]);
    let created = create_upload(&server, 16_553);
    assert_eq!(
        created.status,
        503,
        "{}",
        String::from_utf8_lossy(&created.body)
    );
    assert_eq!(created.assert_json_error(), "keyring_expired");
    assert!(created.header("retry-after").is_some());
    // A PATCH is refused before its megabyte is read (any id: the check comes first).
    let patched = patch_upload(&server, &"ab".repeat(16), 0, &vec![0u8; MIB]);
    assert_eq!(
        patched.status,
        503,
        "{}",
        String::from_utf8_lossy(&patched.body)
    );
    assert_eq!(patched.assert_json_error(), "keyring_expired");
}
