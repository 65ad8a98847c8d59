//! The admin manages who may read tips through a signed keyring: reviewers join and
//! leave, keys rotate, and the server only ever accepts a keyring that extends the one
//! it holds, signed by the admin.

mod common;

use std::ffi::OsStr;
use std::path::Path;

use common::*;
use serde_json::Value;

fn listed_epoch(server_url: &str, reviewer: &Path, id: &str) -> Option<u64> {
    review_list(server_url, reviewer)
        .into_iter()
        .find(|t| t["id"] == id)
        .unwrap_or_else(|| panic!("{id} is not listed"))
        .get("epoch")
        .and_then(Value::as_u64)
}

#[test]
fn a_reviewer_added_later_reads_an_old_tip_only_after_an_older_reviewer_rewraps_it() {
    let team = setup_team(); // epoch 2: alice
    let server = team.spawn_server(&[]);
    let alice = &team.reviewer_key;
    let tip = a_sample();
    let old_tip = submit(&server.url, &tip, &[]);

    let bob = team.new_identity("bob");
    team.add_reviewer(&bob); // epoch 3: alice, bob
    team.publish(&server.url);

    // Alice was a reviewer when the tip came in: she opens it directly.
    assert_eq!(
        review_show(&server.url, alice, &old_tip, None)["tip"],
        read_json(&tip)
    );
    // Bob holds no grant for the epoch the tip was sealed to.
    let out = try_review_show(&server.url, &bob, &old_tip, None);
    assert!(
        !out.status.success(),
        "bob opened a tip sealed before he joined"
    );

    review_rewrap(&server.url, alice);

    assert_eq!(
        review_show(&server.url, &bob, &old_tip, None)["tip"],
        read_json(&tip)
    );
    assert_eq!(
        review_show(&server.url, alice, &old_tip, None)["tip"],
        read_json(&tip)
    );
    if let Some(epoch) = listed_epoch(&server.url, &bob, &old_tip) {
        assert_eq!(
            epoch,
            u64::from(team.epoch()),
            "rewrap moves the tip to the current epoch"
        );
    }
}

/// `tipseal submit … --receipt-out FILE --json`: the tip's id.
fn submit_keeping_a_receipt(server: &str, tip: &Path, receipt_out: &Path) -> String {
    let out = tipseal_ok([
        OsStr::new("submit"),
        OsStr::new("--server"),
        OsStr::new(server),
        OsStr::new("--tip"),
        tip.as_os_str(),
        OsStr::new("--receipt-out"),
        receipt_out.as_os_str(),
        OsStr::new("--json"),
    ]);
    json_stdout(&out)["id"].as_str().unwrap().to_owned()
}

#[test]
fn a_reviewer_added_later_reads_the_whole_old_conversation_only_after_a_rewrap() {
    let team = setup_team(); // epoch 2: alice
    let server = team.spawn_server(&[]);
    let alice = &team.reviewer_key;
    let dir = tempfile::TempDir::new().unwrap();
    let receipt = dir.path().join("receipt.txt");
    let tip = a_sample();
    let id = submit_keeping_a_receipt(&server.url, &tip, &receipt);
    let reply_text = format!("Which gate? ref-{}", random_hex(8));
    tipseal_ok([
        OsStr::new("review"),
        OsStr::new("reply"),
        OsStr::new(&id),
        OsStr::new("--server"),
        OsStr::new(&server.url),
        OsStr::new("--key"),
        alice.as_os_str(),
        OsStr::new("--message"),
        OsStr::new(&reply_text),
    ]);
    let followup_text = format!("The north gate. ref-{}", random_hex(8));
    tipseal_ok([
        OsStr::new("followup"),
        OsStr::new("--server"),
        OsStr::new(&server.url),
        OsStr::new("--receipt-file"),
        receipt.as_os_str(),
        OsStr::new("--message"),
        OsStr::new(&followup_text),
        OsStr::new("--json"),
    ]);

    let bob = team.new_identity("bob");
    team.add_reviewer(&bob); // epoch 3: alice, bob
    team.publish(&server.url);

    let out = try_review_show(&server.url, &bob, &id, None);
    assert!(
        !out.status.success(),
        "bob opened a tip and its conversation sealed before he joined"
    );

    review_rewrap(&server.url, alice);

    for who in [&bob, alice] {
        let shown = review_show(&server.url, who, &id, None);
        assert_eq!(shown["tip"], read_json(&tip));
        let conv = shown["conversation"].as_array().expect("a conversation");
        assert_eq!(conv.len(), 2, "{shown}");
        assert_eq!(conv[0]["kind"], "reply");
        assert_eq!(conv[0]["message"], reply_text.as_str());
        assert_eq!(conv[1]["kind"], "followup");
        assert_eq!(conv[1]["message"], followup_text.as_str());
    }
    // A second rewrap has nothing left to move, and changes nothing.
    review_rewrap(&server.url, &bob);
    let shown = review_show(&server.url, &bob, &id, None);
    assert_eq!(shown["conversation"].as_array().map(Vec::len), Some(2));
}

#[test]
fn a_revoked_reviewer_cannot_log_in_nor_open_tips_sealed_after_the_rotation_that_removed_them() {
    let team = setup_team(); // epoch 2: alice
    let alice = &team.reviewer_key;
    let bob = team.new_identity("bob");
    team.add_reviewer(&bob); // epoch 3: alice, bob
    let server = team.spawn_server(&[]);
    let tip_before = read_json(&sample_paths()[0]);
    let before = submit(&server.url, &sample_paths()[0], &[]);
    let epoch_before = team.epoch();

    team.revoke("alice"); // epoch 4: bob, fresh intake key
    team.rotate(); // epoch 5: bob, another fresh intake key
    team.publish(&server.url);
    let tip_after = read_json(&sample_paths()[1]);
    let after = submit(&server.url, &sample_paths()[1], &[]);

    // Alice is locked out of the API at once…
    let out = try_review_list(&server.url, alice);
    assert!(
        !out.status.success(),
        "a revoked reviewer could still log in"
    );
    let out = try_review_show(&server.url, alice, &after, None);
    assert!(
        !out.status.success(),
        "a revoked reviewer could still fetch a tip"
    );
    // …and even with the sealed bytes in hand, her key opens nothing sealed after her
    // revocation: she holds no grant for those epochs' intake keys.
    assert!(
        can_open_epoch(&team.keyring, epoch_before, alice),
        "sanity: alice's key did open the epoch she was a reviewer in"
    );
    for epoch in epoch_before + 1..=team.epoch() {
        assert!(
            !can_open_epoch(&team.keyring, epoch, alice),
            "alice's key yields the intake secret of epoch {epoch}, after her revocation"
        );
        assert!(
            can_open_epoch(&team.keyring, epoch, &bob),
            "bob holds epoch {epoch}"
        );
    }

    // New tips are sealed to the newest epoch only.
    if let Some(epoch) = listed_epoch(&server.url, &bob, &after) {
        assert_eq!(epoch, u64::from(team.epoch()));
    }
    // Bob, still a reviewer, reads tips from before and after the rotation…
    assert_eq!(
        review_show(&server.url, &bob, &before, None)["tip"],
        tip_before
    );
    assert_eq!(
        review_show(&server.url, &bob, &after, None)["tip"],
        tip_after
    );
    // …and still after he re-wraps the old one to the current epoch.
    review_rewrap(&server.url, &bob);
    assert_eq!(
        review_show(&server.url, &bob, &before, None)["tip"],
        tip_before
    );
}

/// A copy of the team's keyring file as it is now.
fn snapshot(team: &Team, name: &str) -> (std::path::PathBuf, Vec<u8>) {
    let path = team.dir.path().join(name);
    std::fs::copy(&team.keyring, &path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    (path, bytes)
}

/// Flips one character in the middle of the newest manifest's first signature (a
/// base64url character to another, so it still decodes, to different bytes).
fn with_bad_signature(keyring: &[u8]) -> Vec<u8> {
    let mut v: Value = serde_json::from_slice(keyring).unwrap();
    let last = v["manifests"].as_array_mut().unwrap().last_mut().unwrap();
    let sig = last["signatures"][0]["signature"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut chars: Vec<char> = sig.chars().collect();
    let i = chars.len() / 2;
    chars[i] = if chars[i] == 'A' { 'B' } else { 'A' };
    last["signatures"][0]["signature"] = Value::String(chars.into_iter().collect());
    serde_json::to_vec_pretty(&v).unwrap()
}

/// Deletes the manifest in the middle of the chain.
fn with_middle_manifest_removed(keyring: &[u8]) -> Vec<u8> {
    let mut v: Value = serde_json::from_slice(keyring).unwrap();
    let manifests = v["manifests"].as_array_mut().unwrap();
    assert!(
        manifests.len() >= 3,
        "need a chain of at least three to break it"
    );
    let middle = manifests.len() / 2;
    manifests.remove(middle);
    serde_json::to_vec_pretty(&v).unwrap()
}

#[test]
fn a_keyring_with_a_bad_signature_an_older_epoch_or_a_broken_chain_is_refused_and_the_server_keeps_its_own(
) {
    let team = setup_team(); // epoch 2
    let server = team.spawn_server(&[]);
    let (epoch2_path, epoch2) = snapshot(&team, "epoch2.json");
    team.rotate(); // epoch 3
    team.publish(&server.url);
    let live = server_keyring(&server);
    assert_eq!(
        live["manifests"].as_array().map(Vec::len),
        Some(3),
        "the server took epoch 3"
    );
    team.rotate(); // epoch 4, signed but not yet published
    let (_, epoch4) = snapshot(&team, "epoch4.json");

    let attempts: [(&str, Vec<u8>); 4] = [
        ("a bad signature", with_bad_signature(&epoch4)),
        ("an older epoch", epoch2.clone()),
        ("a broken chain", with_middle_manifest_removed(&epoch4)),
        (
            "not a keyring at all",
            b"{\"format\":\"tipseal/keyring/v1\"}".to_vec(),
        ),
    ];
    for (what, body) in attempts {
        let resp = post_keyring(&server, &body);
        assert!(
            (400..500).contains(&resp.status),
            "a keyring with {what} got {} {}",
            resp.status,
            String::from_utf8_lossy(&resp.body)
        );
        resp.assert_json_error();
        assert_eq!(
            server_keyring(&server),
            live,
            "after {what} the server changed its keyring"
        );
    }

    // The admin's publishing command says no too, with the server's reason.
    let out = team.publish_file(&epoch2_path, &server.url);
    assert!(!out.status.success(), "publishing an older epoch succeeded");
    assert!(
        !out.stderr.is_empty(),
        "publishing an older epoch failed silently"
    );
    assert_eq!(server_keyring(&server), live);

    // The untampered epoch 4 goes through: the refusals were about the tampering.
    let resp = post_keyring(&server, &epoch4);
    assert_eq!(resp.status, 200, "{}", String::from_utf8_lossy(&resp.body));
    assert_eq!(
        server_keyring(&server),
        serde_json::from_slice::<Value>(&epoch4).unwrap()
    );
}
