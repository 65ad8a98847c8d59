//! Sealed, signed triage events against the real server: two reviewers racing for the
//! same seq lose nothing, events smuggled into a log are refused by `verify_log`, the
//! server's data directory never holds a decision in the clear, a tip is deleted only
//! after a recorded decision (its log stays), an oversized event is 413, and a reviewer
//! who floods appends is capped while witnesses still submit.

mod common;

use std::path::Path;

use common::*;
use tipseal::crypto::identity::Identity;
use tipseal::crypto::keyring::{verify_chain, VerifiedKeyring};
use tipseal::crypto::triage::{
    chain_hash, seal_event, seal_signed, sign_event, verify_log, EventRefusal, VerifiedEvent,
};
use tipseal::domain::keyring::KeyringFile;
use tipseal::domain::triage::{
    Change, EventBody, Grade, Label, LogRef, NoteText, SignedEventBytes, Status, TriageState,
    EVENT_VERSION,
};
use tipseal::domain::{Epoch, KeyId, TipId};

/// A reviewer with their unlocked identity and a session on the server.
struct Rev {
    me: Identity,
    token: String,
}

fn reviewer(server: &ServerGuard, key: &Path) -> Rev {
    use tipseal::crypto::keyfile::{read_identity, Passphrase};
    tipseal::crypto::init().unwrap();
    Rev {
        me: read_identity(key, &Passphrase::from(PASSPHRASE.to_owned())).unwrap(),
        token: staff_token(&server.url, key),
    }
}

fn keyring(server: &ServerGuard) -> VerifiedKeyring {
    let file = KeyringFile::from_json(server_keyring(server).to_string().as_bytes()).unwrap();
    verify_chain(&file, None).unwrap()
}

fn log_path(log: LogRef) -> String {
    match log {
        LogRef::Tip(id) => format!("/api/v1/tips/{id}/events"),
        LogRef::Team => "/api/v1/team/events".into(),
    }
}

fn call(server: &ServerGuard, method: &str, path: &str, token: &str, body: &[u8]) -> HttpResponse {
    let auth = format!("Bearer {token}");
    raw_http(
        server.addr,
        None,
        &request(
            method,
            path,
            &[
                ("Authorization", &auth),
                ("Content-Type", "application/octet-stream"),
            ],
            body,
        ),
    )
}

fn append(server: &ServerGuard, r: &Rev, log: LogRef, seq: u32, blob: &[u8]) -> HttpResponse {
    let path = format!("{}?seq={seq}", log_path(log));
    call(server, "POST", &path, &r.token, blob)
}

/// Every stored event of a log, sealed, in seq order.
fn fetch_log(server: &ServerGuard, r: &Rev, log: LogRef) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let res = call(
            server,
            "GET",
            &format!("{}?from={}", log_path(log), out.len()),
            &r.token,
            b"",
        );
        assert_eq!(res.status, 200);
        let v = res.json();
        let page = v["events"].as_array().unwrap();
        if page.is_empty() {
            return out;
        }
        for e in page {
            out.push(tipseal::crypto::b64_decode(e["event"].as_str().unwrap()).unwrap());
        }
    }
}

fn verified(
    server: &ServerGuard,
    r: &Rev,
    log: LogRef,
) -> Vec<Result<VerifiedEvent, EventRefusal>> {
    let blobs = fetch_log(server, r, log);
    let refs: Vec<&[u8]> = blobs.iter().map(Vec::as_slice).collect();
    verify_log(log, &refs, &keyring(server), &r.me)
}

fn body(log: LogRef, seq: u32, prev: [u8; 32], changes: Vec<Change>) -> EventBody {
    EventBody {
        v: EVENT_VERSION,
        log,
        seq,
        prev,
        author: KeyId::from_bytes([0; 16]),
        epoch: Epoch::FIRST,
        at: 1_790_000_000,
        changes,
    }
}

/// The next event of `log` as `r` sees it: seq and prev from the verified log.
fn next_event(server: &ServerGuard, r: &Rev, log: LogRef, changes: Vec<Change>) -> (u32, Vec<u8>) {
    let log_now = verified(server, r, log);
    let prev = match log_now.last() {
        None => [0; 32],
        Some(last) => last.as_ref().expect("the log verifies").hash,
    };
    let seq = log_now.len() as u32;
    let blob = seal_event(&r.me, &keyring(server), body(log, seq, prev, changes)).unwrap();
    (seq, blob)
}

fn fold(events: &[Result<VerifiedEvent, EventRefusal>]) -> TriageState {
    let mut st = TriageState::default();
    for e in events {
        let refused = st.apply(&e.as_ref().expect("every event verifies").body);
        assert!(refused.is_empty(), "{refused:?}");
    }
    st
}

fn status(s: Status) -> Change {
    Change::SetStatus { status: s }
}

fn label(s: &str) -> Change {
    Change::AddLabel {
        label: Label::parse(s).unwrap(),
    }
}

/// A team of alice and bob, a server, and one submitted tip.
fn team_with_tip(extra: &[&str]) -> (Team, ServerGuard, Rev, Rev, TipId) {
    let team = setup_team();
    let bob_key = team.new_identity("bob");
    team.add_reviewer(&bob_key);
    let server = team.spawn_server(extra);
    let id = submit(&server.url, &a_sample(), &[]);
    let alice = reviewer(&server, &team.reviewer_key);
    let bob = reviewer(&server, &bob_key);
    (team, server, alice, bob, TipId::parse(&id).unwrap())
}

#[test]
fn two_reviewers_appending_at_the_same_seq_get_one_201_one_409_and_after_a_merge_both_changes_are_kept(
) {
    let (_team, server, alice, bob, id) = team_with_tip(&[]);
    let log = LogRef::Tip(id);
    let (seq_a, blob_a) = next_event(&server, &alice, log, vec![status(Status::InReview)]);
    let (seq_b, blob_b) = next_event(&server, &bob, log, vec![label("water")]);
    assert_eq!((seq_a, seq_b), (0, 0));
    let (ra, rb) = std::thread::scope(|s| {
        let a = s.spawn(|| append(&server, &alice, log, 0, &blob_a));
        let b = s.spawn(|| append(&server, &bob, log, 0, &blob_b));
        (a.join().unwrap(), b.join().unwrap())
    });
    let mut statuses = [ra.status, rb.status];
    statuses.sort();
    assert_eq!(statuses, [201, 409]);
    let (loser, lost_change, conflict) = if ra.status == 409 {
        (&alice, status(Status::InReview), ra)
    } else {
        (&bob, label("water"), rb)
    };
    assert_eq!(conflict.assert_json_error(), "seq_conflict");
    let v = conflict.json();
    assert_eq!(v["current"], 1);
    assert!(v["error"]
        .as_str()
        .unwrap()
        .contains("someone else changed this tip"));

    // Fetch, merge (rebuild on the new head), retry.
    let (seq, blob) = next_event(&server, loser, log, vec![lost_change]);
    assert_eq!(seq, 1);
    assert_eq!(append(&server, loser, log, seq, &blob).status, 201);
    let st = fold(&verified(&server, &alice, log));
    assert_eq!(st.status, Status::InReview);
    assert_eq!(st.labels, vec![Label::parse("water").unwrap()]);
}

#[test]
fn events_smuggled_into_a_log_are_refused_by_verify_log_with_the_reason() {
    let (team, server, alice, bob, id) = team_with_tip(&[]);
    let log = LogRef::Tip(id);
    let k = keyring(&server);
    let (_, e0) = next_event(&server, &alice, log, vec![status(Status::InReview)]);
    assert_eq!(append(&server, &alice, log, 0, &e0).status, 201);

    // Forged: alice's signature over a body changed afterwards.
    let head = verified(&server, &bob, log)[0].as_ref().unwrap().hash;
    let mut b = body(log, 1, head, vec![status(Status::NeedsInformation)]);
    b.epoch = k.epoch();
    let signed = sign_event(&alice.me, b).unwrap();
    let json = String::from_utf8(signed.body_json().to_vec()).unwrap();
    let forged = SignedEventBytes::new(
        *signed.signature(),
        json.replace("needs_information", "dismissed").into_bytes(),
    );
    let blob = seal_signed(&forged, k.epoch(), &k.intake_public_key()).unwrap();
    assert_eq!(
        append(&server, &bob, log, 1, &blob).status,
        201,
        "the server cannot tell"
    );

    // Replayed: alice's event 0 of this tip, posted into another tip's log.
    let other = TipId::parse(&submit(&server.url, &a_sample(), &[])).unwrap();
    assert_eq!(
        append(&server, &bob, LogRef::Tip(other), 0, &e0).status,
        201
    );

    let got = verified(&server, &bob, log);
    assert!(got[0].is_ok());
    assert_eq!(got[1].as_ref().unwrap_err(), &EventRefusal::BadSignature);
    let replayed = verified(&server, &bob, LogRef::Tip(other));
    let err = replayed[0].as_ref().unwrap_err();
    assert!(matches!(err, EventRefusal::WrongLog { .. }), "{err:?}");
    assert!(err.to_string().contains("replayed"), "{err}");

    // Reordered: a server that swaps two stored events.
    let mut blobs = fetch_log(&server, &bob, log);
    blobs.swap(0, 1);
    let refs: Vec<&[u8]> = blobs.iter().map(Vec::as_slice).collect();
    let got = verify_log(log, &refs, &k, &bob.me);
    assert!(got.iter().all(Result::is_err), "{got:?}");

    // Revoked: bob is revoked; his session ends, and an event he signs under the new
    // epoch, smuggled in through alice's session, is refused.
    team.revoke("bob");
    team.publish(&server.url);
    let k2 = keyring(&server);
    let head = chain_hash(
        &SignedEventBytes::parse(&tipseal_open(
            &alice,
            &k2,
            &fetch_log(&server, &alice, log)[1],
        ))
        .unwrap(),
    );
    let revoked = seal_event(
        &bob.me,
        &k2,
        body(log, 2, head, vec![Change::Star { on: true }]),
    )
    .unwrap();
    assert_eq!(
        append(&server, &bob, log, 2, &revoked).status,
        401,
        "a revoked reviewer's session is gone"
    );
    assert_eq!(append(&server, &alice, log, 2, &revoked).status, 201);
    let got = verified(&server, &alice, log);
    assert_eq!(
        got[2].as_ref().unwrap_err(),
        &EventRefusal::NotAMember(k2.epoch())
    );
    assert!(got[2].as_ref().unwrap_err().to_string().contains("revoked"));
}

/// The plaintext of a stored event, opened with `r`'s grant.
fn tipseal_open(r: &Rev, k: &VerifiedKeyring, blob: &[u8]) -> Vec<u8> {
    tipseal::crypto::triage::open_event(blob, k, &r.me)
        .unwrap()
        .signed
        .to_bytes()
}

#[test]
fn no_decision_about_a_tip_is_readable_in_the_servers_data_directory() {
    let (_team, mut server, alice, bob, id) = team_with_tip(&[]);
    let log = LogRef::Tip(id);
    let note = "The harbour master took cash at pier 7 on Tuesday";
    let changes = vec![
        status(Status::InReview),
        label("Zanzibar-pipeline-leak"),
        Change::Note {
            text: NoteText::parse(note).unwrap(),
        },
        Change::Assign {
            to: Some(bob.me.key_id()),
        },
        Change::Grade {
            grade: Some(Grade::parse("B3").unwrap()),
        },
    ];
    let (seq, blob) = next_event(&server, &alice, log, changes);
    assert_eq!(append(&server, &alice, log, seq, &blob).status, 201);
    let (seq, blob) = next_event(&server, &alice, log, vec![status(Status::NeedsInformation)]);
    assert_eq!(append(&server, &alice, log, seq, &blob).status, 201);
    let st = fold(&verified(&server, &bob, log));
    assert_eq!(st.assignee, Some(bob.me.key_id()));
    server.stop();
    for needle in [
        "in_review",
        "needs_information",
        "Zanzibar-pipeline-leak",
        "zanzibar",
        note,
        "harbour master",
        "\"grade\"",
        "\"assign\"",
        "set_status",
    ] {
        let hits = grep_dir(&server.data_dir, needle.as_bytes());
        assert!(hits.is_empty(), "{needle:?} is readable in {hits:?}");
    }
}

#[test]
fn a_tip_is_deleted_only_after_a_recorded_decision_and_its_event_log_stays() {
    let (team, server, alice, _bob, id) = team_with_tip(&[]);
    let log = LogRef::Tip(id);
    let del = format!("/api/v1/tips/{id}");
    let refused = call(&server, "DELETE", &del, &alice.token, b"");
    assert_eq!(refused.status, 409);
    assert_eq!(refused.assert_json_error(), "no_delete_event");
    assert_eq!(
        call(&server, "GET", &del, &alice.token, b"").status,
        200,
        "still there"
    );

    let (seq, blob) = next_event(
        &server,
        &alice,
        log,
        vec![Change::DeleteTip {
            reason: NoteText::parse("a duplicate of an earlier tip").unwrap(),
        }],
    );
    let path = format!("{}?seq={seq}&marks=delete_tip", log_path(log));
    assert_eq!(
        call(&server, "POST", &path, &alice.token, &blob).status,
        201
    );
    assert_eq!(call(&server, "DELETE", &del, &alice.token, b"").status, 200);
    assert_eq!(call(&server, "GET", &del, &alice.token, b"").status, 404);
    assert_eq!(call(&server, "DELETE", &del, &alice.token, b"").status, 404);
    let listed = call(&server, "GET", "/api/v1/tips", &alice.token, b"").json();
    assert!(
        !listed.to_string().contains(&id.to_string()),
        "gone from the list"
    );

    let events = verified(&server, &alice, log);
    let st = fold(&events);
    assert!(st.deleted.is_some(), "the log still tells why");
    // The server's mark matches what the opened event holds.
    let listed = call(&server, "GET", &log_path(log), &alice.token, b"").json();
    assert_eq!(listed["events"][0]["deletes_tip"], true);
    assert!(events[0].as_ref().unwrap().body.records_deletion());
    let admin = staff_token(&server.url, &team.admin_key);
    let audit = call(&server, "GET", "/api/v1/audit", &admin, b"").json();
    let entry = audit
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e.to_string().contains("delete") && e.to_string().contains(&id.to_string()));
    assert!(
        entry.is_some(),
        "an audit entry names the deletion: {audit}"
    );
}

#[test]
fn an_event_larger_than_64_kib_is_refused_with_413() {
    let (_team, server, alice, _bob, id) = team_with_tip(&[]);
    let res = append(
        &server,
        &alice,
        LogRef::Tip(id),
        0,
        &vec![0u8; 64 * 1024 + 1],
    );
    assert_eq!(res.status, 413);
    assert_eq!(res.assert_json_error(), "too_large");
    let res = append(
        &server,
        &alice,
        LogRef::Tip(id),
        0,
        b"not an envelope at all",
    );
    assert_eq!(res.status, 400);
}

#[test]
fn a_reviewer_flooding_appends_is_capped_and_witnesses_still_submit() {
    let (_team, server, alice, _bob, id) = team_with_tip(&["--rate-staff", "2:10"]);
    let log = LogRef::Tip(id);
    let (_, blob) = next_event(&server, &alice, log, vec![Change::Star { on: true }]);
    let mut by_status = std::collections::BTreeMap::new();
    for _ in 0..40 {
        *by_status
            .entry(append(&server, &alice, log, 0, &blob).status)
            .or_insert(0) += 1;
    }
    assert!(
        by_status.get(&429).copied().unwrap_or(0) >= 20,
        "{by_status:?}"
    );
    assert_eq!(by_status.get(&201), Some(&1), "{by_status:?}");
    // The flood spent alice's own budget, not the witnesses'.
    for _ in 0..3 {
        submit(&server.url, &a_sample(), &[]);
    }
}

#[test]
fn the_feed_lists_new_events_and_a_rotation_rewrap_keeps_the_log_verifiable() {
    let (team, server, alice, bob, id) = team_with_tip(&[]);
    let log = LogRef::Tip(id);
    for change in [status(Status::InReview), label("water")] {
        let (seq, blob) = next_event(&server, &alice, log, vec![change]);
        assert_eq!(append(&server, &alice, log, seq, &blob).status, 201);
    }
    let team_log = LogRef::Team;
    let define = Change::DefineLabel {
        label: Label::parse("water").unwrap(),
    };
    let (seq, blob) = next_event(&server, &bob, team_log, vec![define]);
    assert_eq!(append(&server, &bob, team_log, seq, &blob).status, 201);

    let feed = call(
        &server,
        "GET",
        "/api/v1/events?after=0&limit=10",
        &bob.token,
        b"",
    )
    .json();
    let items = feed["items"].as_array().unwrap();
    assert_eq!(items.len(), 3, "{feed}");
    assert_eq!(items[0]["log"]["tip"], id.to_string());
    assert_eq!(items[2]["log"], "team");
    let after_first = items[0]["cursor"].as_u64().unwrap();
    let rest = call(
        &server,
        "GET",
        &format!("/api/v1/events?after={after_first}"),
        &bob.token,
        b"",
    )
    .json();
    assert_eq!(rest["items"].as_array().unwrap().len(), 2);
    assert_eq!(rest["next"], feed["next"]);

    // Rotate, then move every event's wrap to the new epoch over HTTP.
    let old = keyring(&server).epoch();
    team.rotate();
    team.publish(&server.url);
    let k = keyring(&server);
    let old_sk = tipseal::crypto::keyring::intake_secret_for(&k, old, &alice.me).unwrap();
    for (seq, blob) in fetch_log(&server, &alice, log).iter().enumerate() {
        let wrap =
            tipseal::crypto::envelope::rewrap(blob, &old_sk, k.epoch(), &k.intake_public_key())
                .unwrap();
        let body = serde_json::json!({
            "from_epoch": old.get(),
            "wraps": [tipseal::crypto::b64_encode(&wrap.encode())],
        })
        .to_string();
        let auth = format!("Bearer {}", alice.token);
        let path = format!("{}/{seq}/wraps", log_path(log));
        let headers = [
            ("Authorization", auth.as_str()),
            ("Content-Type", "application/json"),
        ];
        let res = raw_http(
            server.addr,
            None,
            &request("PUT", &path, &headers, body.as_bytes()),
        );
        assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
        // A second, stale rewrap of the same event is a conflict, not a silent overwrite.
        let again = raw_http(
            server.addr,
            None,
            &request("PUT", &path, &headers, body.as_bytes()),
        );
        assert_eq!(again.status, 409);
    }
    for blob in fetch_log(&server, &bob, log) {
        let env = tipseal::domain::envelope::parse(&blob).unwrap();
        assert_eq!(env.wrap.epoch, k.epoch());
    }
    let st = fold(&verified(&server, &bob, log));
    assert_eq!((st.status, st.labels.len()), (Status::InReview, 1));
}
