use proptest::prelude::*;

use super::*;

fn body(changes: Vec<Change>) -> EventBody {
    EventBody {
        v: EVENT_VERSION,
        log: LogRef::Tip(TipId::from_bytes([3; 16])),
        seq: 0,
        prev: [0; 32],
        author: KeyId::from_bytes([1; 16]),
        epoch: Epoch::FIRST,
        at: 1_790_000_000,
        changes,
    }
}

fn status(s: Status) -> Change {
    Change::SetStatus { status: s }
}

#[test]
fn an_illegal_transition_is_reported_and_changes_nothing() {
    let mut st = TriageState::default();
    let refused = st.apply(&body(vec![status(Status::Closed)]));
    assert_eq!(refused.len(), 1);
    assert!(refused[0].reason.contains("new to closed"), "{refused:?}");
    assert_eq!(st.status, Status::New);
    assert!(st
        .apply(&body(vec![
            status(Status::InReview),
            status(Status::Dismissed)
        ]))
        .is_empty());
    assert_eq!(st.status, Status::Dismissed);
    assert!(st.apply(&body(vec![status(Status::InReview)])).is_empty());
}

#[test]
fn a_newer_clients_change_kind_is_kept_and_shown_not_fatal() {
    let json = br#"{"v":1,"log":{"tip":"03030303030303030303030303030303"},"seq":0,
        "prev":"0000000000000000000000000000000000000000000000000000000000000000",
        "author":"01010101010101010101010101010101","epoch":1,"at":5,
        "changes":[{"kind":"set_colour","colour":"red"},{"kind":"star","on":true}]}"#;
    let b = EventBody::from_json(json).unwrap();
    assert_eq!(
        b.changes[0],
        Change::Unknown {
            kind: "set_colour".into()
        }
    );
    let mut st = TriageState::default();
    let refused = st.apply(&b);
    assert_eq!(refused.len(), 1);
    assert!(st.star, "the known change still applies");
    assert_eq!(st.unknown, vec!["set_colour".to_owned()]);
}

#[test]
fn vocabulary_changes_are_refused_in_a_tips_log() {
    let l = Label::parse("water").unwrap();
    let b = body(vec![Change::DefineLabel { label: l }]);
    assert!(EventBody::from_json(&b.to_json()).is_err());
}

#[test]
fn an_event_says_whether_it_records_a_deletion() {
    assert!(!body(vec![status(Status::InReview)]).records_deletion());
    let reason = NoteText::parse("duplicate").unwrap();
    assert!(body(vec![
        Change::Star { on: true },
        Change::DeleteTip { reason }
    ])
    .records_deletion());
}

#[test]
fn labels_added_twice_in_other_case_are_one_label() {
    let mut st = TriageState::default();
    st.apply(&body(vec![
        Change::AddLabel {
            label: Label::parse("Water").unwrap(),
        },
        Change::AddLabel {
            label: Label::parse("WATER").unwrap(),
        },
    ]));
    assert_eq!(st.labels.len(), 1);
    assert_eq!(st.labels[0].as_str(), "Water");
}

fn any_status() -> impl Strategy<Value = Status> {
    prop_oneof![
        Just(Status::New),
        Just(Status::InReview),
        Just(Status::NeedsInformation),
        Just(Status::Corroborated),
        Just(Status::Referred),
        Just(Status::Closed),
        Just(Status::Dismissed),
    ]
}

fn any_tip_change() -> impl Strategy<Value = Change> {
    let label = "[a-zA-Z가-힣 ]{0,40}[a-z]".prop_map(|s| Label::parse(&s).unwrap());
    let text = "[^\u{0}]{1,200}"
        .prop_filter("not blank", |s| !s.trim().is_empty())
        .prop_map(|s| NoteText::parse(&s).unwrap());
    prop_oneof![
        any_status().prop_map(|status| Change::SetStatus { status }),
        label.clone().prop_map(|label| Change::AddLabel { label }),
        label.prop_map(|label| Change::RemoveLabel { label }),
        any::<bool>().prop_map(|on| Change::Star { on }),
        proptest::option::of(any::<[u8; 16]>()).prop_map(|to| Change::Assign {
            to: to.map(KeyId::from_bytes)
        }),
        text.clone().prop_map(|text| Change::Note { text }),
        proptest::option::of(0i64..100_000).prop_map(|d| Change::Remind {
            on: d.map(Day::from_days)
        }),
        proptest::option::of(("[A-F]", 1u8..=6)).prop_map(|g| Change::Grade {
            grade: g.map(|(r, c)| Grade::parse(&format!("{r}{c}")).unwrap())
        }),
        text.prop_map(|reason| Change::DeleteTip { reason }),
    ]
}

proptest! {
    #[test]
    fn event_bodies_round_trip_through_json(
        changes in proptest::collection::vec(any_tip_change(), 1..MAX_CHANGES),
        seq in any::<u32>(),
        prev in any::<[u8; 32]>(),
        at in any::<i64>(),
        epoch in 1u32..1000,
    ) {
        let mut b = body(changes);
        b.seq = seq;
        b.prev = prev;
        b.at = at;
        b.epoch = Epoch::new(epoch).unwrap();
        let json = b.to_json();
        prop_assert_eq!(EventBody::from_json(&json).unwrap(), b);
        let signed = SignedEventBytes::new([9; SIGNATURE_LEN], json);
        prop_assert_eq!(SignedEventBytes::parse(&signed.to_bytes()).unwrap(), signed);
    }

    #[test]
    fn the_event_parser_never_panics_on_random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        if let Ok(s) = SignedEventBytes::parse(&bytes) {
            let _ = s.body();
        }
        let _ = EventBody::from_json(&bytes);
    }

    #[test]
    fn the_event_parser_never_panics_on_mangled_json(
        cut in 0usize..400,
        flip in any::<u8>(),
        at in 0usize..400,
    ) {
        let mut json = body(vec![status(Status::InReview), Change::Star { on: true }]).to_json();
        if let Some(b) = json.get_mut(at) {
            *b ^= flip;
        }
        json.truncate(cut);
        let _ = EventBody::from_json(&json);
        let _ = SignedEventBytes::parse(&json).map(|s| s.body());
    }
}
