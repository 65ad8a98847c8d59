//! The desk's backend over the real reviewer workspace (`desk::LiveDesk`), without
//! a browser: a real server, tips through `tipseal submit`, a workspace opened and synced
//! by the library, and every `DeskBackend` method checked against what was sent — the
//! inbox and its filters and search, a tip's report, narrative and attachment bytes, a bulk
//! triage with a refusal and its reason, history, reviewers, vocabulary, and refusals of
//! bad words (an unknown status, an unknown reviewer, an unknown tip).

mod common;

use std::path::Path;

use common::*;
use tipseal::client::trust::{Memory, Use};
use tipseal::crypto::keyfile::{read_identity, Passphrase};
use tipseal::desk::model::{InboxQuery, TriageRequest};
use tipseal::desk::{DeskBackend, DeskError, LiveDesk};
use tipseal::domain::TipId;
use tipseal::reviewer::session::{connect, Target};
use tipseal::reviewer::workspace::Workspace;

fn sample(prefix: &str) -> std::path::PathBuf {
    sample_paths()
        .into_iter()
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with(prefix))
        .expect("the sample exists")
}

fn open_desk(server: &str, key: &Path, store: &Path) -> LiveDesk {
    tipseal::crypto::init().expect("libsodium");
    let me = read_identity(key, &Passphrase::new(PASSPHRASE.to_owned())).expect("the key opens");
    let memory = Memory::for_reviewer(key);
    let target = Target {
        server,
        proxy: None,
        memory: &memory,
        usage: Use::Seal,
    };
    let session = connect(target, me, &mut Vec::new()).expect("connects");
    LiveDesk::new(Workspace::open(session, store).expect("the store opens"))
}

fn id(s: &str) -> TipId {
    s.parse().expect("a tip id")
}

#[test]
fn the_desk_backend_over_a_real_workspace_answers_from_the_synced_store() {
    let team = setup_team();
    let bob = team.new_identity("bob");
    team.add_reviewer(&bob);
    let server = team.spawn_server(&[]);
    let note = team.dir.path().join("note.txt");
    std::fs::write(&note, "the gate code is 4471").unwrap();
    let ko = submit(&server.url, &sample("ko-"), std::slice::from_ref(&note));
    let ru = submit(&server.url, &sample("ru-"), &[]);

    let store = team.dir.path().join("alice.store");
    let desk = open_desk(&server.url, &team.reviewer_key, &store);
    let report = desk.sync().expect("syncs");
    assert_eq!(report.new_tips, 2);
    assert_eq!(desk.me().unwrap().name, "alice");
    let mut names = desk.reviewers().unwrap();
    names.sort();
    assert_eq!(names, ["alice", "bob"]);

    // Inbox: all, a filter, a search; a bad status is refused with the names there are.
    assert_eq!(desk.inbox(&InboxQuery::default()).unwrap().len(), 2);
    let with_files = desk
        .inbox(&InboxQuery {
            has_attachments: Some(true),
            ..InboxQuery::default()
        })
        .unwrap();
    assert_eq!(with_files.len(), 1);
    assert_eq!(with_files[0].id, ko);
    assert_eq!(with_files[0].attachments, 1);
    assert!(with_files[0].unread);
    let found = desk
        .inbox(&InboxQuery {
            text: Some("노동자".into()),
            ..InboxQuery::default()
        })
        .unwrap();
    assert_eq!(
        found.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        [ko.as_str()]
    );
    let bad = desk
        .inbox(&InboxQuery {
            status: Some("open".into()),
            ..InboxQuery::default()
        })
        .unwrap_err();
    assert!(
        matches!(&bad, DeskError::Invalid(m) if m.contains("in_review")),
        "{bad}"
    );

    // The Korean tip: report fields, narrative, the attachment's bytes; read once opened.
    let tip = desk.tip(id(&ko)).unwrap();
    assert_eq!(tip.language.as_deref(), Some("ko"));
    assert!(tip.narrative.contains("사상 교육"), "{}", tip.narrative);
    assert!(tip
        .report
        .iter()
        .any(|f| f.key == "worksite.city" && f.value == "블라디보스토크"));
    assert!(!tip.report.iter().any(|f| f.key == "narrative"));
    assert_eq!(tip.next_statuses, ["in_review", "dismissed"]);
    assert_eq!(tip.attachments.len(), 1);
    assert_eq!(tip.attachments[0].name, "note.txt");
    let bytes = desk.attachment(id(&ko), 0).unwrap();
    assert_eq!(bytes.bytes, b"the gate code is 4471");
    assert!(matches!(
        desk.attachment(id(&ko), 1),
        Err(DeskError::NotFound(_))
    ));
    assert!(
        !desk
            .inbox(&InboxQuery::default())
            .unwrap()
            .iter()
            .find(|r| r.id == ko)
            .unwrap()
            .unread
    );

    // Bulk: both move; then a move the table forbids is refused per tip, with the reason.
    let both = [id(&ko), id(&ru)];
    let moved = desk
        .triage(
            &both,
            &TriageRequest {
                status: Some("in_review".into()),
                add_labels: vec!["gate-code".into()],
                assign: Some("bob".into()),
                ..TriageRequest::default()
            },
        )
        .unwrap();
    assert!(moved.iter().all(|o| o.ok), "{moved:?}");
    // The label is new to the team: the first tip's outcome says it joined the vocabulary.
    assert!(
        moved[0]
            .notices
            .iter()
            .any(|n| n.contains("\"gate-code\" is new to the team's labels")),
        "{moved:?}"
    );
    assert!(moved[1].notices.is_empty(), "{moved:?}");
    let refused = desk
        .triage(
            &[id(&ru)],
            &TriageRequest {
                status: Some("closed".into()),
                ..TriageRequest::default()
            },
        )
        .unwrap();
    assert!(!refused[0].ok);
    let why = refused[0].refusal.as_deref().unwrap();
    assert!(why.contains("in_review") && why.contains("closed"), "{why}");
    let unknown = desk
        .triage(
            &both,
            &TriageRequest {
                assign: Some("mallory".into()),
                ..TriageRequest::default()
            },
        )
        .unwrap_err();
    assert!(
        matches!(&unknown, DeskError::Invalid(m) if m.contains("alice, bob")),
        "{unknown}"
    );

    let view = desk.tip(id(&ru)).unwrap();
    assert_eq!(view.triage.status, "in_review");
    assert_eq!(view.triage.labels, ["gate-code"]);
    assert_eq!(view.triage.assignee.as_deref(), Some("bob"));
    assert_eq!(desk.vocabulary().unwrap(), ["gate-code"]);
    let history = desk.history(id(&ru)).unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].who, "alice");
    assert!(history[0].verified && history[0].refusal.is_none());
    assert!(
        history[0].what.contains("status → in_review"),
        "{}",
        history[0].what
    );
    assert!(
        history[0].what.contains("assigned to bob"),
        "{}",
        history[0].what
    );

    let rows = desk
        .inbox(&InboxQuery {
            assignee: Some("bob".into()),
            label: Some("gate-code".into()),
            status: Some("in_review".into()),
            ..InboxQuery::default()
        })
        .unwrap();
    assert_eq!(rows.len(), 2);

    // A tip the store does not hold.
    let missing = id(&"0".repeat(32));
    assert!(matches!(desk.tip(missing), Err(DeskError::NotFound(_))));
}
