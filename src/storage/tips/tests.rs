//! Tests of tip storage: round trips, idempotency, atomicity, crash leftovers, rewrap.

use std::sync::atomic::{AtomicU64, Ordering};

use super::super::testutil::{all_values, temp_store, PEPPER};
use super::super::{layout, StorageError, Store, CHUNK_LEN, HEADER_LEN, MAX_VALUE_LEN, WRAP_LEN};
use super::*;

/// A distinct id per call, spread over the key space like random ids.
fn fresh_id() -> TipId {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    TipId::from_bytes(spread(NEXT.fetch_add(1, Ordering::Relaxed)))
}

/// Sixteen bytes distinct for each `n`, spread over the key space like random bytes.
fn spread(n: u64) -> [u8; 16] {
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&n.wrapping_mul(0x9E37_79B9_7F4A_7C15).to_be_bytes());
    b[8..].copy_from_slice(&n.to_be_bytes());
    b
}

/// A distinct id ending with `day`, as `crypto::new_tip_id` makes them.
fn id_on(day: i64) -> TipId {
    let mut b = *fresh_id().as_bytes();
    b[12..].copy_from_slice(&(day as u32).to_be_bytes());
    TipId::from_bytes(b)
}

/// Owned bytes of a part, so tests can build `NewPart`s that borrow them.
struct Part {
    header: Vec<u8>,
    wrap: Vec<u8>,
    body: Vec<u8>,
}

fn part(seed: u8, body_len: usize) -> Part {
    Part {
        header: vec![seed; HEADER_LEN],
        wrap: vec![seed.wrapping_add(1); WRAP_LEN],
        body: (0..body_len)
            .map(|i| (i as u8).wrapping_mul(31) ^ seed)
            .collect(),
    }
}

fn new_tip<'a>(id: TipId, day: i64, parts: &'a [Part], idem: Option<Idempotency>) -> NewTip<'a> {
    NewTip {
        id,
        received: Day::from_days(day),
        epoch: Epoch::FIRST,
        flags: 1,
        parts: parts
            .iter()
            .map(|p| NewPart {
                header: &p.header,
                wrap: &p.wrap,
                body: &p.body,
            })
            .collect(),
        idempotency: idem,
    }
}

fn idem(key: u8, body: u8) -> Option<Idempotency> {
    Some(Idempotency {
        key_hash: [key; 32],
        body_hash: [body; 32],
        legacy_body_hash: None,
        mailbox: None,
    })
}

fn blob_count(store: &Store, id: TipId) -> usize {
    store.raw_blobs().scan_prefix(id.as_bytes()).count()
}

/// Waits until the work registered after inserts so far (clearing their `pending`
/// marks) has run: it runs after its batch is answered, so before the next one is.
pub(super) fn settle(store: &Store) {
    store.durable_blocking().unwrap();
    store.durable_blocking().unwrap();
}

#[test]
fn a_multi_part_tip_reads_back_byte_for_byte() {
    let (_dir, store) = temp_store();
    let parts = [
        part(1, 10),
        part(2, 0),
        part(3, 200 * 1024 + 77),
        part(4, CHUNK_EXACT),
    ];
    let id = fresh_id();
    let outcome = store.insert_tip(new_tip(id, 19_000, &parts, None)).unwrap();
    assert_eq!(outcome, InsertOutcome::Created(id));

    let tip = store.load_tip(id).unwrap().expect("the tip is stored");
    assert_eq!(tip.parts.len(), parts.len());
    for (stored, sent) in tip.parts.iter().zip(&parts) {
        assert_eq!(stored.header, sent.header);
        assert_eq!(&stored.wrap[..], &sent.wrap[..]);
        assert_eq!(stored.body, sent.body);
    }
    let expected_size: usize = parts
        .iter()
        .map(|p| p.header.len() + p.wrap.len() + p.body.len())
        .sum();
    assert_eq!(tip.summary.size, expected_size as u64);
    assert_eq!(tip.summary.parts, 4);
    assert_eq!(tip.summary.received, Day::from_days(19_000));
    assert_eq!(store.load_tip(fresh_id()).unwrap(), None);
}

/// A body that makes header ‖ body exactly two chunks.
const CHUNK_EXACT: usize = 2 * layout::CHUNK_LEN - HEADER_LEN;

#[test]
fn no_sled_value_is_larger_than_64_kib() {
    let (_dir, store) = temp_store();
    let parts = [part(9, 3 * 1024 * 1024 + 5), part(8, 150_000)];
    store
        .insert_tip(new_tip(fresh_id(), 1, &parts, idem(1, 1)))
        .unwrap();
    store.replace_keyring(None, &vec![b'k'; 300_000]).unwrap();
    store.append_audit(|_, _| vec![0; 1000]).unwrap();
    let values = all_values(&store);
    assert!(values.len() > 10);
    for (tree, _, len) in values {
        assert!(len <= MAX_VALUE_LEN, "{tree} holds a value of {len} bytes");
    }
}

#[test]
fn a_retry_with_the_same_key_and_body_returns_the_first_id() {
    let (_dir, store) = temp_store();
    let parts = [part(1, 100_000)];
    let first = fresh_id();
    store
        .insert_tip(new_tip(first, 5, &parts, idem(7, 7)))
        .unwrap();
    let retry = fresh_id();
    let outcome = store
        .insert_tip(new_tip(retry, 5, &parts, idem(7, 7)))
        .unwrap();
    assert_eq!(outcome, InsertOutcome::Existing(first));
    assert_eq!(store.tip_count().unwrap(), 1);
    assert_eq!(blob_count(&store, retry), 0);
}

#[test]
fn the_same_key_with_another_body_is_a_conflict_and_leaves_nothing() {
    let (_dir, store) = temp_store();
    let parts = [part(1, 100_000)];
    store
        .insert_tip(new_tip(fresh_id(), 5, &parts, idem(7, 7)))
        .unwrap();
    let other = fresh_id();
    let outcome = store
        .insert_tip(new_tip(other, 5, &parts, idem(7, 8)))
        .unwrap();
    assert_eq!(outcome, InsertOutcome::Conflict);
    assert_eq!(store.tip_count().unwrap(), 1);
    assert_eq!(blob_count(&store, other), 0);
    assert_eq!(store.load_tip(other).unwrap(), None);
    settle(&store);
    assert_eq!(
        store.inner.pending.len(),
        0,
        "no insert is left marked pending"
    );
}

#[test]
fn concurrent_retries_of_one_submission_store_it_once() {
    let (_dir, store) = temp_store();
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(8));
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let (store, barrier) = (store.clone(), barrier.clone());
            std::thread::spawn(move || {
                let parts = [part(1, 70_000)];
                let id = fresh_id();
                barrier.wait();
                (
                    id,
                    store
                        .insert_tip(new_tip(id, 5, &parts, idem(3, 4)))
                        .unwrap(),
                )
            })
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let created: Vec<_> = results
        .iter()
        .filter_map(|(_, o)| match o {
            InsertOutcome::Created(id) => Some(*id),
            _ => None,
        })
        .collect();
    assert_eq!(created.len(), 1);
    for (id, outcome) in &results {
        if *outcome != InsertOutcome::Created(*id) {
            assert_eq!(*outcome, InsertOutcome::Existing(created[0]));
            assert_eq!(blob_count(&store, *id), 0, "a retry left its chunks behind");
        }
    }
    assert_eq!(store.tip_count().unwrap(), 1);
}

#[test]
fn wrong_sizes_are_refused_before_anything_is_written() {
    let (_dir, store) = temp_store();
    let mut bad = part(1, 10);
    bad.header.pop();
    let id = fresh_id();
    assert!(matches!(
        store.insert_tip(new_tip(id, 1, &[bad], None)),
        Err(StorageError::Invalid(_))
    ));
    assert!(matches!(
        store.insert_tip(new_tip(id, 1, &[], None)),
        Err(StorageError::Invalid(_))
    ));
    let too_many: Vec<Part> = (0..34).map(|i| part(i, 1)).collect();
    assert!(store.insert_tip(new_tip(id, 1, &too_many, None)).is_err());
    assert_eq!(blob_count(&store, id), 0);
}

#[test]
fn an_id_already_in_use_is_refused_and_the_stored_tip_is_untouched() {
    let (_dir, store) = temp_store();
    let id = fresh_id();
    let original = [part(1, 40_000)];
    store.insert_tip(new_tip(id, 1, &original, None)).unwrap();
    let intruder = [part(2, 40_000)];
    assert!(matches!(
        store.insert_tip(new_tip(id, 1, &intruder, None)),
        Err(StorageError::DuplicateId)
    ));
    assert_eq!(
        store.load_tip(id).unwrap().unwrap().parts[0].body,
        original[0].body
    );
}

#[test]
fn tips_inserted_by_16_threads_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), PEPPER).unwrap();
    let handles: Vec<_> = (0..16u8)
        .map(|t| {
            let store = store.clone();
            std::thread::spawn(move || {
                let mut ids = Vec::new();
                for i in 0..10u8 {
                    let parts = [part(t ^ i, 1000 + 5000 * usize::from(i))];
                    let id = fresh_id();
                    let key = idem(t * 16 + i, 0);
                    assert_eq!(
                        store.insert_tip(new_tip(id, 1, &parts, key)).unwrap(),
                        InsertOutcome::Created(id)
                    );
                    store.durable_blocking().unwrap();
                    ids.push((id, parts));
                }
                ids
            })
        })
        .collect();
    let inserted: Vec<_> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    drop(store);

    let store = Store::open(dir.path(), [0; 32]).unwrap();
    assert_eq!(store.tip_count().unwrap(), 160);
    for (id, parts) in inserted {
        let tip = store
            .load_tip(id)
            .unwrap()
            .expect("acknowledged tip survives");
        assert_eq!(tip.parts[0].body, parts[0].body);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_async_submissions_all_become_durable() {
    let (_dir, store) = temp_store();
    let tasks: Vec<_> = (0..64)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                let parts = [part(i, 2000)];
                let id = fresh_id();
                store.insert_tip(new_tip(id, 1, &parts, None)).unwrap();
                store.durable().await.unwrap();
                id
            })
        })
        .collect();
    let all = async {
        for t in tasks {
            t.await.unwrap();
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(30), all)
        .await
        .expect("durable() deadlocked");
    assert_eq!(store.tip_count().unwrap(), 64);
}

#[test]
fn a_staged_insert_without_a_record_is_forgotten_at_open() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), PEPPER).unwrap();
    let kept = fresh_id();
    let parts = [part(1, 100_000)];
    store.insert_tip(new_tip(kept, 1, &parts, None)).unwrap();
    // A crash after the log records were written but before the record was committed.
    let orphan = fresh_id();
    let orphan_parts = [part(2, 100_000), part(3, 10)];
    store
        .stage(&new_tip(orphan, 1, &orphan_parts, None))
        .unwrap();
    assert_eq!(blob_count(&store, orphan), 0, "no chunk in sled");
    store.durable_blocking().unwrap();
    drop(store);

    let store = Store::open(dir.path(), PEPPER).unwrap();
    assert!(store.load_tip(orphan).unwrap().is_none());
    assert_eq!(store.inner.pending.len(), 0);
    assert_eq!(
        store.load_tip(kept).unwrap().unwrap().parts[0].body,
        parts[0].body
    );
}

/// The state a crash leaves between a small tip's record and its idempotency key: the
/// tip is written (chunks, wraps, record) and still marked, and the key is missing or
/// names another tip.
fn crash_before_the_key(store: &Store, id: TipId, key: u8) {
    settle(store);
    store
        .inner
        .pending
        .insert(id.as_bytes(), &[key; 32][..])
        .unwrap();
    store.inner.idempotency.remove([key; 32]).unwrap();
}

#[test]
fn a_small_tip_whose_key_was_not_written_before_a_crash_is_removed_at_open() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), PEPPER).unwrap();
    let kept = fresh_id();
    let parts = [part(1, 16_000)];
    store
        .insert_tip(new_tip(kept, 1, &parts, idem(1, 1)))
        .unwrap();
    let torn = fresh_id();
    store
        .insert_tip(new_tip(torn, 1, &parts, idem(2, 2)))
        .unwrap();
    crash_before_the_key(&store, torn, 2);
    store.durable_blocking().unwrap();
    drop(store);

    let store = Store::open(dir.path(), PEPPER).unwrap();
    assert!(
        store.load_tip(torn).unwrap().is_none(),
        "a tip without its key is gone"
    );
    assert_eq!(blob_count(&store, torn), 0);
    assert_eq!(store.inner.wraps.scan_prefix(torn.as_bytes()).count(), 0);
    assert_eq!(store.inner.pending.len(), 0);
    assert_eq!(
        store.load_tip(kept).unwrap().unwrap().parts[0].body,
        parts[0].body,
        "a whole tip stays"
    );
    // The retry of the unfinished try is a new tip, not an answer naming a missing one.
    let again = fresh_id();
    assert_eq!(
        store
            .insert_tip(new_tip(again, 1, &parts, idem(2, 2)))
            .unwrap(),
        InsertOutcome::Created(again)
    );
}

#[test]
fn a_marked_small_tip_whose_key_names_it_is_kept_at_open() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), PEPPER).unwrap();
    let id = fresh_id();
    let parts = [part(3, 16_000)];
    store
        .insert_tip(new_tip(id, 1, &parts, idem(4, 4)))
        .unwrap();
    // A crash after the key, before the mark's removal.
    settle(&store);
    store
        .inner
        .pending
        .insert(id.as_bytes(), &[4u8; 32][..])
        .unwrap();
    store.durable_blocking().unwrap();
    drop(store);

    let store = Store::open(dir.path(), PEPPER).unwrap();
    assert_eq!(
        store.load_tip(id).unwrap().unwrap().parts[0].body,
        parts[0].body
    );
    assert_eq!(store.inner.pending.len(), 0);
}

#[test]
fn a_small_tip_leaves_no_mark_and_every_piece_behind_it() {
    let (_dir, store) = temp_store();
    let id = fresh_id();
    let parts = [part(5, 16_000)];
    store
        .insert_tip(new_tip(id, 1, &parts, idem(6, 6)))
        .unwrap();
    assert_eq!(store.inner.pending.len(), 1, "marked until durable");
    settle(&store);
    assert_eq!(store.inner.pending.len(), 0);
    assert_eq!(blob_count(&store, id), 0, "the bytes are in the log");
    assert_eq!(
        store.load_tip(id).unwrap().unwrap().parts[0].body,
        parts[0].body
    );
    // Format 3: the wrap is in the record, one index entry for the tip.
    assert_eq!(store.inner.wraps.scan_prefix(id.as_bytes()).count(), 0);
    let raw = store.raw_tip(id).unwrap();
    assert_eq!(raw[0], 3);
    let wraps = crate::storage::layout::Record::decode(&raw).unwrap().wraps;
    assert_eq!(
        wraps,
        Some(vec![<[u8; WRAP_LEN]>::try_from(&parts[0].wrap[..]).unwrap()])
    );
    assert!(store.inner.idempotency.contains_key([6u8; 32]).unwrap());
}

#[test]
fn a_rewrap_replaces_every_wrap_and_the_epoch() {
    let (_dir, store) = temp_store();
    let id = fresh_id();
    let parts = [part(1, 10), part(2, 70_000)];
    store.insert_tip(new_tip(id, 1, &parts, None)).unwrap();
    let epoch2 = Epoch::new(2).unwrap();
    let new_wraps = [[0xAA; WRAP_LEN], [0xBB; WRAP_LEN]];
    store
        .swap_wraps(id, Epoch::FIRST, &new_wraps, epoch2)
        .unwrap();
    let tip = store.load_tip(id).unwrap().unwrap();
    assert_eq!(tip.summary.epoch, epoch2);
    assert_eq!(tip.parts[0].wrap, new_wraps[0]);
    assert_eq!(tip.parts[1].wrap, new_wraps[1]);
    assert_eq!(tip.parts[1].body, parts[1].body);
}

#[test]
fn a_rewrap_from_a_stale_epoch_or_with_the_wrong_count_changes_nothing() {
    let (_dir, store) = temp_store();
    let id = fresh_id();
    let parts = [part(1, 10), part(2, 10)];
    store.insert_tip(new_tip(id, 1, &parts, None)).unwrap();
    let (e2, e3) = (Epoch::new(2).unwrap(), Epoch::new(3).unwrap());
    let before = store.load_tip(id).unwrap();

    let stale = store.swap_wraps(id, e2, &[[1; WRAP_LEN], [1; WRAP_LEN]], e3);
    assert!(matches!(stale, Err(SwapError::EpochMismatch { stored }) if stored == Epoch::FIRST));
    let short = store.swap_wraps(id, Epoch::FIRST, &[[1; WRAP_LEN]], e2);
    assert!(matches!(short, Err(SwapError::PartCount { stored: 2 })));
    let backwards = store.swap_wraps(id, e2, &[[1; WRAP_LEN], [1; WRAP_LEN]], Epoch::FIRST);
    assert!(matches!(backwards, Err(SwapError::NotLater)));
    let missing = store.swap_wraps(fresh_id(), Epoch::FIRST, &[[1; WRAP_LEN]], e2);
    assert!(matches!(missing, Err(SwapError::NotFound)));
    assert_eq!(store.load_tip(id).unwrap(), before);

    // Two reviewers rewrap the same tip at once: one wins, the other is told.
    store
        .swap_wraps(id, Epoch::FIRST, &[[2; WRAP_LEN], [2; WRAP_LEN]], e2)
        .unwrap();
    let second = store.swap_wraps(id, Epoch::FIRST, &[[3; WRAP_LEN], [3; WRAP_LEN]], e2);
    assert!(matches!(second, Err(SwapError::EpochMismatch { .. })));
    assert_eq!(
        store.load_tip(id).unwrap().unwrap().parts[0].wrap,
        [2; WRAP_LEN]
    );
}

#[test]
fn the_listing_walks_every_tip_once_in_day_order_page_by_page() {
    let (_dir, store) = temp_store();
    let parts = [part(1, 5)];
    let mut expected = Vec::new();
    for day in [3, 1, 3, 2, 1, 4, 2] {
        let id = id_on(day);
        store.insert_tip(new_tip(id, day, &parts, None)).unwrap();
        expected.push((Day::from_days(day), id));
    }
    // The order of the index keys: the day, then the id's random bytes.
    expected.sort_by_key(|e| (e.0, e.1));
    let mut listed = Vec::new();
    let mut after = None;
    loop {
        let page = store.list_tips_page(after, 3).unwrap();
        assert!(page.len() <= 3);
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        listed.extend(page.into_iter().map(|s| (s.received, s.id)));
    }
    assert_eq!(listed, expected);
    // The cursor is the last id seen, stored or not: a deleted tip's id still works.
    let first_two = store.list_tips_page(None, 2).unwrap();
    assert_eq!(first_two.len(), 2);
    let rest = store.list_tips_page(Some(first_two[1].id), 100).unwrap();
    assert_eq!(rest.len(), expected.len() - 2);
    assert_eq!(rest[0].id, expected[2].1);
}

#[test]
fn the_stored_record_holds_a_day_and_no_finer_time() {
    let (_dir, store) = temp_store();
    let id = fresh_id();
    let parts = [part(1, 5), part(2, 6)];
    store.insert_tip(new_tip(id, 20_100, &parts, None)).unwrap();
    let raw = store.raw_tip(id).unwrap();
    // format, day, epoch, flags, part count, two (body length, segment, offset, wrap):
    // no room for a timestamp.
    assert_eq!(raw.len(), 1 + 8 + 4 + 1 + 2 + 2 * (24 + WRAP_LEN));
    assert_eq!(&raw[1..9], &20_100i64.to_be_bytes());
}

/// A batch deletes each stored tip once, with the key that names it, and leaves every
/// other tip and key alone; ids not stored (or named twice) count once or not at all.
#[test]
fn a_batch_delete_removes_its_tips_and_their_keys_and_nothing_else() {
    let (_d, store) = temp_store();
    let parts = [part(1, 10)];
    let ids: Vec<TipId> = (0..5).map(|_| fresh_id()).collect();
    for (n, &id) in ids.iter().enumerate() {
        store
            .insert_tip(new_tip(id, 20_007, &parts, idem(n as u8 + 1, 1)))
            .unwrap();
    }
    let gone = [ids[0], ids[2], ids[2], fresh_id(), ids[4]];
    assert_eq!(store.delete_tips(&gone).unwrap(), 3);
    assert_eq!(store.delete_tips(&gone).unwrap(), 0);
    for (n, &id) in ids.iter().enumerate() {
        let kept = matches!(n, 1 | 3);
        assert_eq!(
            store.inner.tips.contains_key(layout::tip_key(id)).unwrap(),
            kept
        );
        assert_eq!(
            store
                .inner
                .idempotency
                .contains_key([n as u8 + 1; 32])
                .unwrap(),
            kept
        );
    }
}

/// The daily sweep runs once a UTC day, however often the server restarts, and again
/// the next day.
#[test]
fn the_daily_idempotency_sweep_runs_once_a_day() {
    let (_d, store) = temp_store();
    let parts = [part(1, 10)];
    store
        .insert_tip(new_tip(fresh_id(), 20_000, &parts, idem(1, 1)))
        .unwrap();
    store
        .insert_tip(new_tip(fresh_id(), 20_003, &parts, idem(2, 2)))
        .unwrap();
    let day = |d| {
        store
            .expire_idempotency_daily(Day::from_days(d), 7)
            .unwrap()
    };
    assert_eq!(day(20_008), Some(1), "20,000 is before 20,001");
    assert_eq!(day(20_008), None, "already swept that day");
    assert_eq!(day(20_009), Some(0));
    assert_eq!(day(20_011), Some(1));
    assert!(store.inner.idempotency.is_empty());
}

/// The sweep reads the day from the key's own record: it keeps a recent key even when
/// the `tips` tree cannot answer (here: its record taken away underneath), so it never
/// walks the tips' index; a record from before the day was kept still asks `tips`.
#[test]
fn the_idempotency_sweep_reads_the_day_from_the_key_and_asks_tips_only_for_older_records() {
    let (_d, store) = temp_store();
    let parts = [part(1, 10)];
    let (recent, legacy) = (fresh_id(), fresh_id());
    store
        .insert_tip(new_tip(recent, 20_007, &parts, idem(1, 1)))
        .unwrap();
    store
        .insert_tip(new_tip(legacy, 20_007, &parts, idem(2, 2)))
        .unwrap();
    let value = |k: u8| store.inner.idempotency.get([k; 32]).unwrap().unwrap();
    assert_eq!(value(1).len(), layout::IDEMPOTENCY_VALUE_LEN);
    // The release before schema 6 wrote 82 bytes: no day.
    let old = value(2)[..82].to_vec();
    store.inner.idempotency.insert([2; 32], old).unwrap();
    for id in [recent, legacy] {
        store.inner.tips.remove(layout::tip_key(id)).unwrap();
    }
    // Only the legacy key needed its tip, which is gone: it goes; the other stays.
    assert_eq!(store.expire_idempotency(Day::from_days(20_007)).unwrap(), 1);
    assert!(store.inner.idempotency.contains_key([1; 32]).unwrap());
    assert!(!store.inner.idempotency.contains_key([2; 32]).unwrap());
    // A day later than its own, it goes by its day alone.
    assert_eq!(store.expire_idempotency(Day::from_days(20_008)).unwrap(), 1);
    assert!(store.inner.idempotency.is_empty());
}

#[test]
fn idempotency_keys_of_old_tips_are_forgotten_and_recent_ones_kept() {
    let (_d, store) = temp_store();
    let parts = [part(1, 10)];
    let old = fresh_id();
    let recent = fresh_id();
    store
        .insert_tip(new_tip(old, 20_000, &parts, idem(1, 1)))
        .unwrap();
    store
        .insert_tip(new_tip(recent, 20_007, &parts, idem(2, 2)))
        .unwrap();
    assert_eq!(store.expire_idempotency(Day::from_days(20_007)).unwrap(), 1);
    assert_eq!(store.expire_idempotency(Day::from_days(20_007)).unwrap(), 0);
    // The recent key still answers a retry; the old one is a new submission now.
    assert_eq!(
        store
            .insert_tip(new_tip(fresh_id(), 20_008, &parts, idem(2, 2)))
            .unwrap(),
        InsertOutcome::Existing(recent)
    );
    let again = fresh_id();
    assert_eq!(
        store
            .insert_tip(new_tip(again, 20_008, &parts, idem(1, 1)))
            .unwrap(),
        InsertOutcome::Created(again)
    );
    // The tips themselves stay.
    assert!(store.load_tip(old).unwrap().is_some());
}

fn idem_with_mailbox(key: u8, body: u8, mailbox: Option<u8>) -> Option<Idempotency> {
    Some(Idempotency {
        key_hash: [key; 32],
        body_hash: [body; 32],
        legacy_body_hash: None,
        mailbox: mailbox.map(|m| [m; 32]),
    })
}

#[test]
fn a_retry_must_carry_the_first_tries_mailbox_exactly() {
    let (_dir, store) = temp_store();
    let parts = [part(1, 10)];
    let with = fresh_id();
    store
        .insert_tip(new_tip(with, 5, &parts, idem_with_mailbox(1, 1, Some(9))))
        .unwrap();
    let without = fresh_id();
    store
        .insert_tip(new_tip(without, 5, &parts, idem_with_mailbox(2, 2, None)))
        .unwrap();
    let retry = |key, mailbox| {
        store
            .insert_tip(new_tip(
                fresh_id(),
                5,
                &parts,
                idem_with_mailbox(key, key, mailbox),
            ))
            .unwrap()
    };
    assert_eq!(retry(1, Some(9)), InsertOutcome::Existing(with));
    assert_eq!(
        retry(1, Some(8)),
        InsertOutcome::Conflict,
        "another mailbox"
    );
    assert_eq!(
        retry(1, None),
        InsertOutcome::Conflict,
        "the mailbox dropped"
    );
    assert_eq!(retry(2, None), InsertOutcome::Existing(without));
    assert_eq!(
        retry(2, Some(8)),
        InsertOutcome::Conflict,
        "a mailbox added"
    );
    assert_eq!(store.tip_count().unwrap(), 2);
}

#[test]
fn a_retry_of_a_record_without_a_mailbox_field_cannot_attach_a_new_mailbox() {
    let (_dir, store) = temp_store();
    let parts = [part(1, 10)];
    let id = fresh_id();
    store
        .insert_tip(new_tip(id, 5, &parts, idem_with_mailbox(1, 1, Some(9))))
        .unwrap();
    assert!(store.register_mailbox(&[9; 32], id).unwrap());
    // Rewrite the record as an older server wrote it: tip id ‖ body hash, 48 bytes.
    let mut legacy = id.as_bytes().to_vec();
    legacy.extend_from_slice(&[1; 32]);
    store.inner.idempotency.insert([1; 32], legacy).unwrap();
    // Its body hash is BLAKE2b: the retry carries one (here the same stand-in bytes).
    let retry = |mailbox| {
        let mut idem = idem_with_mailbox(1, 1, mailbox).unwrap();
        idem.legacy_body_hash = Some([1; 32]);
        idem
    };
    let outcome = |mailbox| store.idempotent_outcome(&retry(mailbox)).unwrap();
    assert_eq!(
        outcome(Some(9)),
        Some(InsertOutcome::Existing(id)),
        "its own mailbox"
    );
    assert_eq!(
        outcome(None),
        Some(InsertOutcome::Existing(id)),
        "nothing to attach"
    );
    assert_eq!(
        outcome(Some(8)),
        Some(InsertOutcome::Conflict),
        "another mailbox"
    );
    let via_insert = store
        .insert_tip(new_tip(fresh_id(), 5, &parts, Some(retry(Some(8)))))
        .unwrap();
    assert_eq!(via_insert, InsertOutcome::Conflict);
    assert_eq!(store.mailbox_tip(&[8; 32]).unwrap(), None);
}

#[test]
fn a_retry_of_a_record_an_older_release_wrote_is_answered_by_its_blake2b_hash() {
    let (_dir, store) = temp_store();
    let parts = [part(1, 10)];
    let id = fresh_id();
    store
        .insert_tip(new_tip(id, 5, &parts, idem(1, 1)))
        .unwrap();
    // Written now: the BLAKE3 hash, named by the byte after the mailbox, then the day.
    let stored = store.inner.idempotency.get([1; 32]).unwrap().unwrap();
    assert_eq!((stored.len(), stored[81]), (86, 1));
    assert_eq!(&stored[82..], &5u32.to_be_bytes()[..]);
    assert_eq!(
        store.idempotent_outcome(&idem(1, 1).unwrap()).unwrap(),
        Some(InsertOutcome::Existing(id)),
        "a retry needs no second hash"
    );

    // The record as the previous release wrote it: 81 bytes, a BLAKE2b hash (here 7s).
    let mut legacy = stored[..81].to_vec();
    legacy[16..48].copy_from_slice(&[7; 32]);
    store.inner.idempotency.insert([1; 32], legacy).unwrap();
    let with_legacy = |hash: Option<u8>| {
        let mut idem = idem(1, 1).unwrap();
        idem.legacy_body_hash = hash.map(|h| [h; 32]);
        store.idempotent_outcome(&idem)
    };
    assert!(
        matches!(with_legacy(None), Err(StorageError::LegacyBodyHash)),
        "the caller is asked for the BLAKE2b hash"
    );
    assert_eq!(
        with_legacy(Some(7)).unwrap(),
        Some(InsertOutcome::Existing(id))
    );
    assert_eq!(
        with_legacy(Some(8)).unwrap(),
        Some(InsertOutcome::Conflict),
        "another body"
    );
    // A value of a length or hash byte no release writes is corrupt, not a match.
    let mut odd = stored.to_vec();
    odd[81] = 9;
    store.inner.idempotency.insert([1; 32], odd).unwrap();
    assert!(matches!(
        with_legacy(Some(7)),
        Err(StorageError::Corrupt(_))
    ));
}

#[test]
fn a_tip_read_out_in_pieces_is_the_bundle_byte_for_byte() {
    let (_dir, store) = temp_store();
    let id = fresh_id();
    // Bodies that end inside a chunk, on a chunk boundary and past several chunks.
    let parts = [
        part(1, 100),
        part(2, 2 * CHUNK_LEN - HEADER_LEN),
        part(3, 3 * CHUNK_LEN + 7),
    ];
    store.insert_tip(new_tip(id, 20_000, &parts, None)).unwrap();
    let envelopes: Vec<Vec<u8>> = parts
        .iter()
        .map(|p| [&p.header[..], &p.wrap[..], &p.body[..]].concat())
        .collect();
    let refs: Vec<&[u8]> = envelopes.iter().map(Vec::as_slice).collect();
    let expected = crate::domain::bundle::encode(&refs);
    let pieces = store.tip_pieces(id).unwrap().unwrap();
    assert_eq!(pieces.total_len(), expected.len() as u64);
    let mut streamed = Vec::new();
    for piece in pieces {
        let piece = piece.unwrap();
        assert!(piece.len() <= 4 + HEADER_LEN + WRAP_LEN + CHUNK_LEN);
        streamed.extend_from_slice(&piece);
    }
    assert_eq!(streamed, expected);
    assert!(store.tip_pieces(fresh_id()).unwrap().is_none());
}

/// sled writes any log message over a quarter of a segment (a consolidated leaf of the
/// `blobs` tree: up to 17 chunks, ~560 KB) to a separate file that `flush()` does not
/// fsync, so power lost after a 201 could lose the acknowledged tips in that leaf. With
/// the segment size storage sets, every message stays in the fsynced log: after inserting
/// text tips and full-chunk attachments, sled's `blobs` directory holds no file.
#[test]
fn no_part_of_a_tip_lands_in_a_file_that_flush_does_not_sync() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), PEPPER).unwrap();
    // Text tips (one 16.5 KB chunk each) and attachments of full 32 KiB chunks: enough
    // that many leaves fill, split and consolidate.
    for i in 0..400u32 {
        let len = if i % 4 == 0 { 5 * CHUNK_LEN } else { 16_400 };
        let parts = [part(i as u8, len)];
        store
            .insert_tip(new_tip(fresh_id(), 1, &parts, None))
            .unwrap();
        if i % 16 == 0 {
            store.durable_blocking().unwrap();
        }
    }
    store.durable_blocking().unwrap();
    let unsynced: Vec<_> = std::fs::read_dir(dir.path().join("blobs"))
        .map(|d| d.filter_map(Result::ok).map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(
        unsynced.is_empty(),
        "{} sled blob files written outside the fsynced log",
        unsynced.len()
    );
}

mod compact_race;
mod day_keys;
mod idempotency_sweep;
mod log;
