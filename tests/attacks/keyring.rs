//! Keyring trust on the clients (issue 7, findings 1–3): a forged genesis that lists the
//! pinned admin, a genuine chain rolled back to an older epoch, a forked chain, and an
//! expired keyring. Each attack is served by a real `tipseal serve` or by a tiny fake
//! server on loopback that serves a chosen keyring and keeps whatever is uploaded to it,
//! so the test can check whether the attacker's reviewer opens it. Every test also runs a
//! genuine server on which a witness submits and a reviewer opens the tip.

use std::ffi::OsStr;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tempfile::TempDir;

use super::common::{self, ServerGuard};

/// A loopback HTTP server that serves `GET /api/v1/keyring` from a swappable slot and
/// keeps every `POST /api/v1/tips` body (answering 201 like the real server).
struct FakeServer {
    url: String,
    keyring: Arc<Mutex<Vec<u8>>>,
    uploads: Arc<Mutex<Vec<Vec<u8>>>>,
    stop: Arc<AtomicBool>,
    addr: std::net::SocketAddr,
}

impl FakeServer {
    fn serving(keyring: &[u8]) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        let keyring = Arc::new(Mutex::new(keyring.to_vec()));
        let uploads = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (k, u, s) = (keyring.clone(), uploads.clone(), stop.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if s.load(Ordering::Relaxed) {
                    break;
                }
                if let Ok(c) = conn {
                    let _ = c.set_read_timeout(Some(Duration::from_secs(10)));
                    answer(c, &k, &u);
                }
            }
        });
        Self {
            url: format!("http://{addr}"),
            keyring,
            uploads,
            stop,
            addr,
        }
    }

    fn serve(&self, keyring: &[u8]) {
        *self.keyring.lock().unwrap() = keyring.to_vec();
    }

    /// How many bundles were uploaded, and how many of them `key` opens with `keyring`.
    fn opened_by(&self, keyring: &[u8], key: &Path) -> (usize, usize) {
        let uploads = self.uploads.lock().unwrap().clone();
        let opened = uploads
            .iter()
            .filter(|b| common::bundle_opens_with(keyring, b, key))
            .count();
        (uploads.len(), opened)
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = TcpStream::connect(self.addr);
    }
}

fn answer(mut c: TcpStream, keyring: &Mutex<Vec<u8>>, uploads: &Mutex<Vec<Vec<u8>>>) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match c.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + length {
        match c.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let body = buf[head_end..head_end + length].to_vec();
    let (status, reply) = if head.starts_with("get /api/v1/keyring ") {
        ("200 OK", keyring.lock().unwrap().clone())
    } else if head.starts_with("post /api/v1/tips ") {
        uploads.lock().unwrap().push(body);
        let id = common::random_hex(16);
        let json = serde_json::json!({ "id": id, "received": "2026-01-01" });
        ("201 Created", json.to_string().into_bytes())
    } else {
        (
            "404 Not Found",
            br#"{"error":"not here","code":"not_found"}"#.to_vec(),
        )
    };
    let _ = write!(
        c,
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        reply.len()
    );
    let _ = c.write_all(&reply);
}

/// `tipseal submit` of the sample tip, with the witness's keyring memory in `state`.
fn witness_submit(state: &Path, server: &str, extra: &[&OsStr]) -> Output {
    let tip = common::a_sample();
    let mut args: Vec<&OsStr> = vec![
        OsStr::new("submit"),
        OsStr::new("--server"),
        OsStr::new(server),
        OsStr::new("--tip"),
        tip.as_os_str(),
        OsStr::new("--json"),
        OsStr::new("--no-receipt"),
    ];
    args.extend_from_slice(extra);
    common::tipseal_with_state(state, args)
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The legitimate path on the genuine server: a witness (with its own memory) submits,
/// and `reviewer` opens the tip. Returns the tip id.
fn legitimate_round(
    server: &ServerGuard,
    state: &Path,
    reviewer: &Path,
    extra: &[&OsStr],
) -> String {
    let out = witness_submit(state, &server.url, extra);
    assert!(
        out.status.success(),
        "a legitimate witness was refused by the genuine server: {}",
        stderr(&out)
    );
    let id = common::json_stdout(&out)["id"]
        .as_str()
        .expect("a tip id")
        .to_owned();
    let shown = common::review_show(&server.url, reviewer, &id, None);
    assert!(
        shown["tip"].is_object(),
        "the reviewer opens the tip: {shown}"
    );
    id
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).expect("write file");
    p
}

/// The first `epochs` manifests of a keyring file (the genuine chain, cut back).
fn cut_back(keyring: &[u8], epochs: usize) -> Vec<u8> {
    let mut v: serde_json::Value = serde_json::from_slice(keyring).expect("keyring JSON");
    v["manifests"]
        .as_array_mut()
        .expect("manifests")
        .truncate(epochs);
    serde_json::to_vec_pretty(&v).expect("JSON")
}

fn key_id(key: &Path) -> String {
    common::read_json(&common::pub_path(key))["id"]
        .as_str()
        .expect("a key id")
        .to_owned()
}

/// The team's first reviewer, whose client has seen the genuine chain, is offered
/// `keyring` by another real server: the client must refuse, saying `why`.
fn reviewer_refuses(team: &common::Team, keyring: &[u8], why: &str) {
    let path = write(team.dir.path(), &format!("offered-{why}.json"), keyring);
    let other = common::spawn_server(&[OsStr::new("--keyring"), path.as_os_str()]);
    let out = common::try_review_list(&other.url, &team.reviewer_key);
    assert!(
        !out.status.success() && stderr(&out).contains(why),
        "the reviewer's client accepted a keyring it should refuse ({why}): {}",
        stderr(&out)
    );
}

#[test]
fn a_forged_genesis_listing_the_pinned_admin_is_refused() {
    let team = common::setup_team();
    let admin_pub = common::pub_path(&team.admin_key);
    let admin_pub_arg = admin_pub.to_str().expect("utf-8 path");
    let genuine = team.spawn_server(&["--admin-pub", admin_pub_arg]);
    let state = TempDir::new().unwrap();
    let admin_id = key_id(&team.admin_key);
    let pin = [OsStr::new("--admin-key-id"), OsStr::new(&admin_id)];
    legitimate_round(&genuine, state.path(), &team.reviewer_key, &pin);

    // The attacker's genesis lists the real admin next to itself, signed by itself only,
    // and makes its own reviewer the only one.
    let mallory = team.new_identity("mallory");
    let minder = team.new_identity("minder");
    let forged = common::forge_keyring_listing(&admin_pub, &mallory, &minder);
    let forged_path = write(team.dir.path(), "forged.json", &forged);
    let evil = common::spawn_server(&[OsStr::new("--keyring"), forged_path.as_os_str()]);

    let fresh_witness = TempDir::new().unwrap();
    let out = witness_submit(fresh_witness.path(), &evil.url, &pin);
    let opened = common::review_ids(&evil.url, &minder)
        .iter()
        .filter(|id| {
            common::try_review_show(&evil.url, &minder, id, None)
                .status
                .success()
        })
        .count();
    assert!(
        !out.status.success() && opened == 0,
        "a witness pinned to the real admin sealed to the forged keyring \
         (submit exit {:?}; tips the attacker's reviewer opened: {opened})",
        out.status.code()
    );
    assert!(
        stderr(&out).contains("pinned"),
        "the refusal names the pin: {}",
        stderr(&out)
    );

    // The server pinned with --admin-pub refuses it too: at start-up and when published.
    let data = TempDir::new().unwrap();
    let start = common::tipseal([
        OsStr::new("serve"),
        OsStr::new("--listen"),
        OsStr::new("127.0.0.1:0"),
        OsStr::new("--data"),
        data.path().as_os_str(),
        OsStr::new("--keyring"),
        forged_path.as_os_str(),
        OsStr::new("--admin-pub"),
        admin_pub.as_os_str(),
    ]);
    assert!(
        !start.status.success(),
        "a pinned server started on the forged keyring"
    );
    let posted = common::post_keyring(&genuine, &forged);
    assert_eq!(
        posted.status, 400,
        "the pinned server took the forged keyring"
    );
    assert_eq!(posted.json()["code"], "unpinned_admin");

    // The genuine path still works after the attack.
    legitimate_round(&genuine, state.path(), &team.reviewer_key, &pin);
}

#[test]
fn a_rolled_back_keyring_is_refused_by_the_witness_and_reviewer_clients() {
    let team = common::setup_team(); // epoch 2: alice
    let bob = team.new_identity("bob");
    team.add_reviewer(&bob); // epoch 3: alice, bob
    let old = std::fs::read(&team.keyring).unwrap();
    team.revoke("bob"); // epoch 4: alice
    let genuine = team.spawn_server(&[]);
    let current = std::fs::read(&team.keyring).unwrap();
    let witness = TempDir::new().unwrap();
    legitimate_round(&genuine, witness.path(), &team.reviewer_key, &[]);

    // The witness first sees the genuine chain at this address, then the same chain cut
    // back to epoch 3, where the revoked bob still holds a grant.
    let fake = FakeServer::serving(&current);
    let first = witness_submit(witness.path(), &fake.url, &[]);
    assert!(first.status.success(), "{}", stderr(&first));
    fake.serve(&cut_back(&current, 3));
    let started = Instant::now();
    let attempts = 5;
    let mut refused = 0;
    for _ in 0..attempts {
        if !witness_submit(witness.path(), &fake.url, &[])
            .status
            .success()
        {
            refused += 1;
        }
    }
    let (uploads, opened_by_bob) = fake.opened_by(&old, &bob);
    assert!(
        refused == attempts && uploads == 1 && opened_by_bob == 0,
        "the witness sealed to the rolled-back epoch: {refused}/{attempts} refused, \
         {uploads} uploads, {opened_by_bob} opened by the revoked reviewer"
    );
    let out = witness_submit(witness.path(), &fake.url, &[]);
    assert!(stderr(&out).contains("older"), "{}", stderr(&out));

    // The reviewer (memory beside the key: epoch 4 from the genuine server) is offered
    // the chain cut back to epoch 3 by another server.
    reviewer_refuses(&team, &old, "older");
    eprintln!(
        "rollback: {attempts} attempts refused in {:?}",
        started.elapsed()
    );

    // Legitimate witnesses and reviewers keep working; bob cannot open what they send.
    let id = legitimate_round(&genuine, witness.path(), &team.reviewer_key, &[]);
    let out = common::try_review_show(&genuine.url, &bob, &id, None);
    assert!(
        !out.status.success(),
        "the revoked reviewer opened a new tip"
    );
}

#[test]
fn a_forked_keyring_is_refused() {
    let team = common::setup_team(); // epoch 2: alice
    let bob = team.new_identity("bob");
    team.add_reviewer(&bob); // epoch 3: alice, bob
    let genuine = team.spawn_server(&[]);
    let current = std::fs::read(&team.keyring).unwrap();
    let witness = TempDir::new().unwrap();
    legitimate_round(&genuine, witness.path(), &team.reviewer_key, &[]);

    // A sibling chain from epoch 2, signed with the admin key (stolen or coerced), that
    // adds a minder as reviewer and runs to a higher epoch than the genuine one.
    let minder = team.new_identity("minder");
    let fork = common::extend_keyring(
        &cut_back(&current, 2),
        &team.admin_key,
        Some(&minder),
        0,
        90,
    );
    let fork = common::extend_keyring(&fork, &team.admin_key, None, 0, 90); // epoch 4'

    let fake = FakeServer::serving(&current);
    let first = witness_submit(witness.path(), &fake.url, &[]);
    assert!(first.status.success(), "{}", stderr(&first));
    fake.serve(&fork);
    let out = witness_submit(witness.path(), &fake.url, &[]);
    let (uploads, opened) = fake.opened_by(&fork, &minder);
    assert!(
        !out.status.success() && uploads == 1 && opened == 0,
        "the witness sealed to a forked keyring ({uploads} uploads, {opened} opened by the \
         minder): {}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("forked"), "{}", stderr(&out));

    // The reviewer's client refuses a server that serves the fork.
    reviewer_refuses(&team, &fork, "forked");
    // And the genuine server refuses to be moved onto it.
    let posted = common::post_keyring(&genuine, &fork);
    assert_eq!(posted.status, 409, "the server took a forked keyring");

    legitimate_round(&genuine, witness.path(), &team.reviewer_key, &[]);
}

#[test]
fn an_expired_keyring_takes_no_tips_and_clients_refuse_it() {
    let team = common::setup_team(); // epoch 2: alice
    let witness = TempDir::new().unwrap();
    // Epoch 3: issued 100 days ago, expired 10 days ago (an admin who forgot to renew,
    // or an old chain brought back).
    let expired = common::extend_keyring(
        &std::fs::read(&team.keyring).unwrap(),
        &team.admin_key,
        None,
        100,
        -10,
    );
    std::fs::write(&team.keyring, &expired).unwrap();
    let server = team.spawn_server(&[]);

    // The API, the no-JavaScript form and the witness CLI: nothing is taken.
    let tip = common::read_json(&common::a_sample());
    let bundles = common::seal_bundles_with_keyring(&expired, &tip, 20);
    let mut refused = 0;
    for b in &bundles {
        let r = common::raw_http(server.addr, None, &common::post_tip_request(b, None));
        if r.status == 503 {
            assert_eq!(r.json()["code"], "keyring_expired");
            assert!(r.header("retry-after").is_some(), "503 carries Retry-After");
            refused += 1;
        }
    }
    let form = common::multipart_body(&[("narrative", "sent without JavaScript")], &[]);
    let page = common::post_form(&server, "/en/submit", &form);
    let out = witness_submit(witness.path(), &server.url, &[]);
    let stored = common::review_ids(&server.url, &team.reviewer_key).len();
    assert!(
        refused == bundles.len() && page.status == 503 && !out.status.success() && stored == 0,
        "tips were taken under an expired keyring: API {refused}/{} refused, form {}, \
         witness CLI exit {:?}, {stored} stored",
        bundles.len(),
        page.status,
        out.status.code()
    );
    assert!(stderr(&out).contains("expired"), "{}", stderr(&out));
    let log = server.log_text();
    let loud = log.matches("KEYRING EXPIRED").count();
    assert!(
        (1..=2).contains(&loud) && !log.contains("keyring_expired"),
        "one loud line at start-up and at most one a minute after, none per request: \
         {loud}\n{log}"
    );

    // Recovery: the admin renews and publishes; the next witness gets through.
    team.renew();
    let started = Instant::now();
    team.publish(&server.url);
    legitimate_round(&server, witness.path(), &team.reviewer_key, &[]);
    eprintln!(
        "expired keyring: recovered {:?} after publishing the renewal",
        started.elapsed()
    );
}

/// `tipseal followup` with the witness's keyring memory in `state`.
fn witness_followup(state: &Path, server: &str, receipt: &Path, extra: &[&OsStr]) -> Output {
    let mut args: Vec<&OsStr> = vec![
        OsStr::new("followup"),
        OsStr::new("--server"),
        OsStr::new(server),
        OsStr::new("--receipt-file"),
        receipt.as_os_str(),
        OsStr::new("--json"),
    ];
    args.extend_from_slice(extra);
    common::tipseal_with_state(state, args)
}

#[test]
fn a_forged_keyring_is_refused_by_the_pinned_followup_client() {
    let team = common::setup_team();
    let admin_pub = common::pub_path(&team.admin_key);
    let genuine = team.spawn_server(&[]);
    let state = TempDir::new().unwrap();
    let admin_id = key_id(&team.admin_key);

    // A witness submits with a receipt, then follows up pinned to the real admin.
    let receipt = team.dir.path().join("receipt.txt");
    let tip = common::a_sample();
    let out = common::tipseal_with_state(
        state.path(),
        [
            OsStr::new("submit"),
            OsStr::new("--server"),
            OsStr::new(&genuine.url),
            OsStr::new("--tip"),
            tip.as_os_str(),
            OsStr::new("--receipt-out"),
            receipt.as_os_str(),
            OsStr::new("--admin-key-id"),
            OsStr::new(&admin_id),
            OsStr::new("--json"),
        ],
    );
    assert!(out.status.success(), "submit: {}", stderr(&out));
    let id = common::json_stdout(&out)["id"].as_str().unwrap().to_owned();
    let said = format!("pinned follow-up {}", common::random_hex(8));
    let pinned_message = [
        OsStr::new("--admin-key-id"),
        OsStr::new(&admin_id),
        OsStr::new("--no-keyring-memory"),
        OsStr::new("--message"),
        OsStr::new(&said),
    ];
    let out = witness_followup(state.path(), &genuine.url, &receipt, &pinned_message);
    assert!(
        out.status.success(),
        "a pinned follow-up to the genuine server was refused: {}",
        stderr(&out)
    );

    // The attacker serves a genesis listing the real admin beside its own, signed by
    // itself only. With no memory, the pin is the witness's only anchor.
    let mallory = team.new_identity("mallory");
    let minder = team.new_identity("minder");
    let forged = common::forge_keyring_listing(&admin_pub, &mallory, &minder);
    let forged_path = write(team.dir.path(), "forged.json", &forged);
    let evil = common::spawn_server(&[OsStr::new("--keyring"), forged_path.as_os_str()]);
    let started = Instant::now();
    for extra in [&pinned_message[..], &pinned_message[..3]] {
        let out = witness_followup(state.path(), &evil.url, &receipt, extra);
        let err = stderr(&out);
        assert!(
            !out.status.success() && err.contains("pinned") && err.contains("nothing was sealed"),
            "the pinned followup client accepted the forged keyring: exit {:?}: {err}",
            out.status.code()
        );
        assert!(
            !err.contains("  "),
            "the refusal is one readable sentence (no run of spaces): {err:?}"
        );
    }
    eprintln!("forged keyring refused twice in {:?}", started.elapsed());

    // The genuine conversation is intact: the reviewer sees the pinned follow-up.
    let shown = common::review_show(&genuine.url, &team.reviewer_key, &id, None);
    assert!(
        shown.to_string().contains(&said),
        "the reviewer sees the witness's pinned follow-up: {shown}"
    );
}
