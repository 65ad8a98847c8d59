use super::*;
use crate::storage::testutil::temp_store;

const TEAM: LogRef = LogRef::Team;

fn new(log: LogRef, seq: u32, blob: &[u8]) -> NewEvent<'_> {
    NewEvent {
        log,
        expected_seq: seq,
        blob,
        day: Day::from_days(20_000),
        epoch: Epoch::FIRST,
        marks: EventMarks::NONE,
    }
}

#[test]
fn appends_go_in_order_and_a_stale_seq_is_a_conflict_that_stores_nothing() {
    let (_d, store) = temp_store();
    assert_eq!(store.append_event(new(TEAM, 0, b"a")).unwrap().seq, 0);
    assert_eq!(store.append_event(new(TEAM, 1, b"b")).unwrap().seq, 1);
    match store.append_event(new(TEAM, 1, b"c")) {
        Err(AppendError::Conflict { current }) => assert_eq!(current, 2),
        other => panic!("{other:?}"),
    }
    let got = store.events(TEAM, 0, 100).unwrap();
    assert_eq!(
        got.iter().map(|e| e.blob.clone()).collect::<Vec<_>>(),
        vec![b"a".to_vec(), b"b".to_vec()]
    );
    assert_eq!(store.events(TEAM, 1, 100).unwrap().len(), 1);
    assert_eq!(store.event_head(TEAM).unwrap(), 2);
}

#[test]
fn the_feed_lists_every_log_in_commit_order_after_a_cursor() {
    let (_d, store) = temp_store();
    let tip = LogRef::Tip(TipId::from_bytes([1; 16]));
    // A tip log cannot start for a tip that is not stored.
    assert!(matches!(
        store.append_event(new(tip, 0, b"x")),
        Err(AppendError::NoSuchTip)
    ));
    let a = store.append_event(new(TEAM, 0, b"a")).unwrap();
    let b = store.append_event(new(TEAM, 1, b"b")).unwrap();
    assert!(b.cursor > a.cursor);
    let feed = store.event_feed(0, 10).unwrap();
    assert_eq!(feed.len(), 2);
    assert_eq!((feed[1].log, feed[1].seq), (TEAM, 1));
    assert_eq!(store.event_feed(a.cursor, 10).unwrap(), vec![feed[1]]);
    assert!(store.event_feed(u64::MAX, 10).unwrap().is_empty());
}

#[test]
fn oversized_events_are_refused() {
    let (_d, store) = temp_store();
    let big = vec![0u8; MAX_EVENT_BYTES + 1];
    assert!(matches!(
        store.append_event(new(TEAM, 0, &big)),
        Err(AppendError::TooLarge)
    ));
    assert_eq!(store.event_head(TEAM).unwrap(), 0);
}

#[test]
fn concurrent_appends_at_the_same_seq_store_exactly_one() {
    let (_d, store) = temp_store();
    let threads: Vec<_> = (0..8u8)
        .map(|i| {
            let s = store.clone();
            std::thread::spawn(move || s.append_event(new(TEAM, 0, &[i])).is_ok())
        })
        .collect();
    let won = threads
        .into_iter()
        .filter(|_| true)
        .map(|t| t.join().unwrap())
        .filter(|&ok| ok)
        .count();
    assert_eq!(won, 1);
    assert_eq!(store.events(TEAM, 0, 10).unwrap().len(), 1);
}

#[test]
fn a_wrap_swap_needs_the_old_wrap_and_changes_only_the_wrap() {
    let (_d, store) = temp_store();
    let mut blob = vec![7u8; 300];
    blob[HEADER_LEN..HEADER_LEN + WRAP_LEN].fill(1);
    store.append_event(new(TEAM, 0, &blob)).unwrap();
    let (old, newer) = ([1u8; WRAP_LEN], [2u8; WRAP_LEN]);
    assert!(matches!(
        store.swap_event_wrap(TEAM, 0, &newer, &old),
        Err(WrapPatchError::Changed)
    ));
    store.swap_event_wrap(TEAM, 0, &old, &newer).unwrap();
    let got = &store.events(TEAM, 0, 1).unwrap()[0].blob;
    assert_eq!(&got[HEADER_LEN..HEADER_LEN + WRAP_LEN], &newer[..]);
    assert_eq!(&got[..HEADER_LEN], &blob[..HEADER_LEN]);
    assert!(matches!(
        store.swap_event_wrap(TEAM, 5, &old, &newer),
        Err(WrapPatchError::NotFound)
    ));
}

#[test]
fn deleting_a_tip_removes_its_content_conversation_and_mailbox_but_keeps_its_event_log() {
    use crate::storage::testutil::all_values;
    use crate::storage::{Reader, ThreadKind};
    let (_d, store) = temp_store();
    let id = TipId::from_bytes([4; 16]);
    crate::storage::testutil::insert_small_tip(&store, id, b"body", None);
    assert!(store.register_mailbox(&[9; 32], id).unwrap());
    let day = Day::from_days(20_000);
    store
        .append_thread(id, ThreadKind::Followup, day, Some(b"w"), b"r")
        .unwrap();
    let log = LogRef::Tip(id);
    let mut mark = new(log, 0, b"sealed decision");
    mark.marks = EventMarks::DELETE_TIP;
    assert!(!store.has_delete_mark(id).unwrap());
    store.append_event(mark).unwrap();
    assert!(store.has_delete_mark(id).unwrap());

    assert!(store.delete_tip(id).unwrap());
    assert!(!store.tip_exists(id).unwrap());
    assert_eq!(store.mailbox_tip(&[9; 32]).unwrap(), None);
    assert!(store.load_thread(id, Reader::Reviewers).unwrap().is_empty());
    assert_eq!(store.events(log, 0, 10).unwrap().len(), 1, "the log stays");
    let left: Vec<_> = all_values(&store)
        .into_iter()
        .filter(|(tree, k, _)| {
            !tree.starts_with("event") && k.windows(16).any(|w| w == id.as_bytes())
        })
        .collect();
    assert!(
        left.is_empty(),
        "nothing keyed by the tip is left: {left:?}"
    );
    assert!(!store.delete_tip(id).unwrap());
}

/// A log filled with events at the cap must keep every sled leaf inline in sled's log,
/// which `flush()` fsyncs: sled writes any message over a quarter of a segment (a leaf of
/// up to 17 events) to a file in `blobs/` that it never fsyncs, so a power cut could lose
/// events already acknowledged. 64 KiB events did exactly that.
#[test]
fn a_log_of_events_at_the_cap_stays_in_the_fsynced_log() {
    let (dir, store) = temp_store();
    let big = vec![7u8; MAX_EVENT_BYTES];
    for seq in 0..60 {
        store.append_event(new(TEAM, seq, &big)).unwrap();
    }
    store.durable_blocking().unwrap();
    let blobs: Vec<_> = std::fs::read_dir(dir.path().join("blobs"))
        .map(|d| d.map(|e| e.unwrap().file_name()).collect())
        .unwrap_or_default();
    assert!(
        blobs.is_empty(),
        "sled wrote leaves to unsynced blob files: {blobs:?}"
    );
    assert_eq!(store.events(TEAM, 0, 100).unwrap().len(), 60);
}
