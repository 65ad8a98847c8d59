//! Admin quorum (k of m) against the real server: a keyring change is proposed to a file,
//! each admin signs it with their own key, and neither `admin publish` nor the server
//! takes it before it carries k signatures of the previous epoch's admins.

mod common;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Output;

use common::*;
use tipseal::crypto::b64_decode;
use tipseal::crypto::identity::Identity;
use tipseal::crypto::keyfile::{read_identity, Passphrase};
use tipseal::crypto::keyring::sign_manifest;
use tipseal::domain::keyring::{KeyringFile, Manifest};

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn ok(out: Output) -> Output {
    assert!(out.status.success(), "refused: {}", text(&out));
    out
}

fn args<'a>(words: &[&'a str], paths: &[&'a Path]) -> Vec<&'a OsStr> {
    let mut v: Vec<&OsStr> = words.iter().map(|w| OsStr::new(*w)).collect();
    v.extend(paths.iter().map(|p| p.as_os_str()));
    v
}

/// `admin propose --keyring FROM --out OUT [extra…]`.
fn propose(from: &Path, out: &Path, extra: &[&OsStr]) -> Output {
    let mut a = args(&["admin", "propose", "--keyring"], &[from]);
    a.push(OsStr::new("--out"));
    a.push(out.as_os_str());
    a.extend_from_slice(extra);
    tipseal(a)
}

/// `admin sign FILE --key KEY`.
fn sign(file: &Path, key: &Path) -> Output {
    tipseal([
        OsStr::new("admin"),
        OsStr::new("sign"),
        file.as_os_str(),
        OsStr::new("--key"),
        key.as_os_str(),
    ])
}

/// `admin publish FILE --server URL`.
fn publish(file: &Path, url: &str) -> Output {
    tipseal([
        OsStr::new("admin"),
        OsStr::new("publish"),
        file.as_os_str(),
        OsStr::new("--server"),
        OsStr::new(url),
    ])
}

fn identity(key: &Path) -> Identity {
    tipseal::crypto::init().unwrap();
    read_identity(key, &Passphrase::from(PASSPHRASE.to_owned())).unwrap()
}

/// Adds `who`'s signature to the last manifest by hand, as an attacker (or a removed
/// admin) would, without the CLI's checks.
fn force_sign(file: &Path, who: &Path) {
    let mut f = KeyringFile::from_json(&std::fs::read(file).unwrap()).unwrap();
    let id = identity(who);
    let last = f.manifests.last_mut().unwrap();
    let body = Manifest::from_json(&b64_decode(&last.body).unwrap()).unwrap();
    let signed = sign_manifest(&id, &body);
    assert_eq!(
        signed.body, last.body,
        "the body re-serializes to the same bytes"
    );
    last.signatures.extend(signed.signatures);
    std::fs::write(file, f.to_json()).unwrap();
}

fn server_epoch(server: &ServerGuard) -> usize {
    server_keyring(server)["manifests"]
        .as_array()
        .unwrap()
        .len()
}

/// The team of `setup_team` (admin, reviewer alice; epoch 2), Bo and Cy made admins
/// with a threshold of 2 (epoch 3, signed by the single admin and published).
struct Quorum {
    team: Team,
    server: ServerGuard,
    bo: PathBuf,
    cy: PathBuf,
    /// The newest published keyring (a copy of the last accepted proposal).
    current: PathBuf,
}

fn two_of_three() -> Quorum {
    let team = setup_team();
    let admin_pub = pub_path(&team.admin_key);
    let server = team.spawn_server(&["--admin-pub", admin_pub.to_str().unwrap()]);
    let (bo, cy) = (team.new_identity("bo"), team.new_identity("cy"));
    let p = team.dir.path().join("p3.json");
    let out = ok(propose(
        &team.keyring,
        &p,
        &args(&["--admin-key"], &[&team.admin_key])
            .into_iter()
            .chain(args(&["--add-admin"], &[&pub_path(&bo)]))
            .chain(args(&["--add-admin"], &[&pub_path(&cy)]))
            .chain(args(&["--threshold", "2"], &[]))
            .collect::<Vec<_>>(),
    ));
    assert!(text(&out).contains("1 of the 1"), "{}", text(&out));
    ok(publish(&p, &server.url));
    assert_eq!(server_epoch(&server), 3);
    Quorum {
        team,
        server,
        bo,
        cy,
        current: p,
    }
}

impl Quorum {
    fn path(&self, name: &str) -> PathBuf {
        self.team.dir.path().join(name)
    }

    /// A proposal from the current keyring, signed by the proposing admin.
    fn propose(&self, name: &str, extra: &[&OsStr]) -> PathBuf {
        let p = self.path(name);
        let mut a = args(&["--admin-key"], &[&self.team.admin_key]);
        a.extend_from_slice(extra);
        ok(propose(&self.current, &p, &a));
        p
    }
}

#[test]
fn with_two_of_three_one_signature_is_refused_and_two_are_accepted() {
    let q = two_of_three();
    let p4 = q.propose("p4.json", &[]);

    // The client's publish refuses, saying how many are present and needed.
    let out = publish(&p4, &q.server.url);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let said = text(&out);
    assert!(
        said.contains("1 admin(s)") && said.contains("2 are needed"),
        "{said}"
    );
    // Sent directly, the server refuses it too.
    let direct = post_keyring(&q.server, &std::fs::read(&p4).unwrap());
    assert_eq!(direct.status, 400);
    assert_eq!(direct.json()["code"], "quorum_not_met");
    assert_eq!(server_epoch(&q.server), 3);
    // The single-signature commands refuse a quorum keyring instead of half-signing it.
    let single = tipseal(
        args(&["admin", "rotate", "--admin-key"], &[&q.team.admin_key])
            .into_iter()
            .chain(args(&["--keyring"], &[&q.current]))
            .collect::<Vec<_>>(),
    );
    assert!(!single.status.success());
    assert!(text(&single).contains("admin propose"), "{}", text(&single));

    // Signing twice with one key still counts once.
    ok(sign(&p4, &q.team.admin_key));
    assert_eq!(publish(&p4, &q.server.url).status.code(), Some(2));

    // A second admin signs on their own machine: accepted.
    let out = ok(sign(&p4, &q.bo));
    assert!(text(&out).contains("2 of the 2"), "{}", text(&out));
    ok(publish(&p4, &q.server.url));
    assert_eq!(server_epoch(&q.server), 4);

    // Tips sealed to the new epoch open for the reviewer.
    let id = submit(&q.server.url, &a_sample(), &[]);
    let shown = review_show(&q.server.url, &q.team.reviewer_key, &id, None);
    assert_eq!(shown["tip"], read_json(&a_sample()));
}

#[test]
fn a_removed_admins_signature_no_longer_counts() {
    let mut q = two_of_three();
    let p4 = q.propose("p4.json", &[OsStr::new("--remove-admin"), OsStr::new("cy")]);
    ok(sign(&p4, &q.bo));
    ok(publish(&p4, &q.server.url));
    q.current = p4;

    let p5 = q.propose("p5.json", &[]);
    let out = sign(&p5, &q.cy);
    assert!(!out.status.success());
    assert!(text(&out).contains("not an admin"), "{}", text(&out));
    // Cy's signature added by hand is not counted by the client or the server.
    force_sign(&p5, &q.cy);
    let out = publish(&p5, &q.server.url);
    assert!(text(&out).contains("1 admin(s)"), "{}", text(&out));
    let direct = post_keyring(&q.server, &std::fs::read(&p5).unwrap());
    assert_eq!(direct.json()["code"], "quorum_not_met");
    assert_eq!(server_epoch(&q.server), 4);
}

#[test]
fn a_set_change_signed_only_by_the_new_admins_is_refused() {
    let q = two_of_three();
    let (dan, eve) = (q.team.new_identity("dan"), q.team.new_identity("eve"));
    let p = q.path("takeover.json");
    let mut extra = args(&["--remove-admin", "admin", "--remove-admin", "bo"], &[]);
    let (dan_pub, eve_pub) = (pub_path(&dan), pub_path(&eve));
    extra.extend(args(&["--remove-admin", "cy", "--add-admin"], &[&dan_pub]));
    extra.extend(args(&["--add-admin"], &[&eve_pub]));
    ok(propose(&q.current, &p, &extra));
    assert!(!sign(&p, &dan).status.success(), "a new admin signed");
    force_sign(&p, &dan);
    force_sign(&p, &eve);
    let direct = post_keyring(&q.server, &std::fs::read(&p).unwrap());
    assert_eq!(direct.status, 400);
    assert_eq!(direct.json()["code"], "bad_signature");
    // The previous set's quorum can hand over.
    ok(sign(&p, &q.bo));
    assert_eq!(publish(&p, &q.server.url).status.code(), Some(2));
    ok(sign(&p, &q.cy));
    ok(publish(&p, &q.server.url));
    assert_eq!(server_epoch(&q.server), 4);
}

#[test]
fn rollback_protection_still_holds_across_a_quorum_change() {
    let q = two_of_three();
    let before_quorum = std::fs::read(&q.team.keyring).unwrap(); // epoch 2
    let p4 = q.propose("p4.json", &[]);
    ok(sign(&p4, &q.cy));
    ok(publish(&p4, &q.server.url));
    // The server refuses the older chain.
    let stale = post_keyring(&q.server, &before_quorum);
    assert_eq!(stale.status, 409);
    assert_eq!(stale.json()["code"], "stale_epoch");
    // The reviewer, having seen epoch 4, refuses a server offering epoch 2.
    assert!(review_list(&q.server.url, &q.team.reviewer_key).is_empty());
    let old = q.path("old.json");
    std::fs::write(&old, &before_quorum).unwrap();
    let other = spawn_server(&[OsStr::new("--keyring"), old.as_os_str()]);
    let out = try_review_list(&other.url, &q.team.reviewer_key);
    assert!(!out.status.success());
    assert!(text(&out).contains("older"), "{}", text(&out));
}
