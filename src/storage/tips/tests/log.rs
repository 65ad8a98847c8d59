//! Tests of tips in the bundle log: power cuts around the segment sync, frames that do
//! not match, format-1 tips beside format-2 ones, compaction, snapshots.

use super::super::super::bundles::{Location, SegmentNo, BUNDLES_DIR};
use super::super::super::layout::Record;
use super::*;

/// The log locations of a stored tip's parts.
fn locations(store: &Store, id: TipId) -> Vec<Location> {
    let raw = store.raw_tip(id).unwrap();
    Record::decode(&raw)
        .unwrap()
        .locations
        .expect("a record in the log")
}

fn segment_path(dir: &std::path::Path, no: SegmentNo) -> std::path::PathBuf {
    dir.join(BUNDLES_DIR).join(format!("{:016x}.seg", no.get()))
}

#[test]
fn a_marked_tip_whose_log_record_was_torn_is_removed_at_open_and_a_synced_one_stays() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), PEPPER).unwrap();
    let synced = fresh_id();
    let parts = [part(1, 16_000)];
    store
        .insert_tip(new_tip(synced, 1, &parts, idem(1, 1)))
        .unwrap();
    settle(&store);
    assert!(store.inner.pending.is_empty());
    // A second tip whose segment sync never happened: its index entries reached the disk
    // with its mark (as the insert leaves it until the batch is answered), its record did
    // not all make it. The mark is set again by hand because dropping the store runs the
    // after-durable work a real power cut would not.
    let torn = fresh_id();
    let torn_parts = [part(2, 20_000)];
    store
        .insert_tip(new_tip(torn, 1, &torn_parts, idem(2, 2)))
        .unwrap();
    settle(&store);
    store
        .inner
        .pending
        .insert(torn.as_bytes(), &[2u8; 32][..])
        .unwrap();
    store.durable_blocking().unwrap();
    let at = locations(&store, torn)[0];
    assert_eq!(at.segment, locations(&store, synced)[0].segment);
    drop(store);
    let seg = std::fs::OpenOptions::new()
        .write(true)
        .open(segment_path(dir.path(), at.segment))
        .unwrap();
    seg.set_len(at.offset + 5_000).unwrap();
    drop(seg);

    let store = Store::open(dir.path(), PEPPER).unwrap();
    assert!(
        store.load_tip(torn).unwrap().is_none(),
        "the torn tip is gone"
    );
    assert!(store
        .inner
        .wraps
        .scan_prefix(torn.as_bytes())
        .next()
        .is_none());
    assert!(!store.inner.idempotency.contains_key([2u8; 32]).unwrap());
    assert!(store.inner.pending.is_empty());
    let kept = store.load_tip(synced).unwrap().unwrap();
    assert_eq!(
        kept.parts[0].body, parts[0].body,
        "the unmarked tip survives"
    );
}

#[test]
fn a_marked_tip_whose_segment_is_missing_is_removed_at_open() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), PEPPER).unwrap();
    let id = fresh_id();
    let parts = [part(3, 100)];
    store.insert_tip(new_tip(id, 1, &parts, None)).unwrap();
    settle(&store);
    store.inner.pending.insert(id.as_bytes(), &[][..]).unwrap();
    store.durable_blocking().unwrap();
    let at = locations(&store, id)[0];
    drop(store);
    std::fs::remove_file(segment_path(dir.path(), at.segment)).unwrap();
    let store = Store::open(dir.path(), PEPPER).unwrap();
    assert!(store.load_tip(id).unwrap().is_none());
    assert_eq!(store.tip_count().unwrap(), 0);
}

#[test]
fn a_record_pointing_at_another_tips_log_record_reads_as_corrupt_not_a_panic() {
    let (_dir, store) = temp_store();
    let (a, b) = (fresh_id(), fresh_id());
    let parts = [part(4, 1000)];
    store.insert_tip(new_tip(a, 1, &parts, None)).unwrap();
    store.insert_tip(new_tip(b, 1, &parts, None)).unwrap();
    // b's record now points at a's log record (same length, another id in the frame).
    let raw = store.raw_tip(b).unwrap();
    let mut record = Record::decode(&raw).unwrap();
    record.locations = Some(locations(&store, a));
    store.put_raw_tip(b, record.encode().unwrap());
    let read = store.load_tip(b);
    assert!(matches!(read, Err(StorageError::Corrupt(_))), "{read:?}");
    let mut pieces = store.tip_pieces(b).unwrap().unwrap();
    assert!(pieces.next().unwrap().is_ok(), "the bundle prefix");
    assert!(matches!(pieces.next(), Some(Err(StorageError::Corrupt(_)))));
    assert!(pieces.next().is_none(), "ends after the error");
    // An offset past the end of the segment is corrupt too.
    record.locations = Some(vec![Location {
        offset: 1 << 40,
        ..locations(&store, a)[0]
    }]);
    store.put_raw_tip(b, record.encode().unwrap());
    assert!(matches!(store.load_tip(b), Err(StorageError::Corrupt(_))));
    assert_eq!(
        store.load_tip(a).unwrap().unwrap().parts[0].body,
        parts[0].body
    );
}

/// Writes a tip as a version-1 build did: chunks in `blobs`, wraps, a format-1 record.
fn write_format_1(store: &Store, id: TipId, parts: &[Part]) {
    for (p, part) in (0u16..).zip(parts) {
        for (c, chunk) in (0u32..).zip(layout::chunks(&part.header, &part.body)) {
            store
                .raw_blobs()
                .insert(layout::blob_key(id, p, c), chunk)
                .unwrap();
        }
        store
            .inner
            .wraps
            .insert(layout::wrap_key(id, p), &part.wrap[..])
            .unwrap();
    }
    let record = Record {
        received: Day::from_days(1),
        epoch: Epoch::FIRST,
        flags: 1,
        bodies: parts.iter().map(|p| p.body.len() as u64).collect(),
        locations: None,
        wraps: None,
    };
    store.put_raw_tip(id, record.encode().unwrap());
}

/// Rewrites a stored format-3 tip as a schema-2 build wrote it: a format-2 record and
/// its wraps in `wraps`.
pub(super) fn make_format_2(store: &Store, id: TipId) {
    let raw = store.raw_tip(id).unwrap();
    let mut record = Record::decode(&raw).unwrap();
    let wraps = record.wraps.take().expect("a format-3 record");
    for (p, wrap) in (0u16..).zip(&wraps) {
        store
            .inner
            .wraps
            .insert(layout::wrap_key(id, p), &wrap[..])
            .unwrap();
    }
    let bytes = record.encode().unwrap();
    assert_eq!(bytes[0], 2);
    store.put_raw_tip(id, bytes);
}

fn format_of(store: &Store, id: TipId) -> u8 {
    store.raw_tip(id).unwrap()[0]
}

#[test]
fn a_format_2_tip_reads_streams_rewraps_into_format_3_and_deletes() {
    let (_dir, store) = temp_store();
    let parts = [part(7, 2 * CHUNK_LEN + 9), part(8, 30)];
    let (old, new) = (fresh_id(), fresh_id());
    store.insert_tip(new_tip(old, 1, &parts, None)).unwrap();
    store.insert_tip(new_tip(new, 1, &parts, None)).unwrap();
    make_format_2(&store, old);
    assert_eq!((format_of(&store, old), format_of(&store, new)), (2, 3));
    assert_eq!(
        store.load_tip(old).unwrap().unwrap().parts,
        store.load_tip(new).unwrap().unwrap().parts,
        "both formats read the same bytes and wraps"
    );
    assert_eq!(bundle_of(&store, old), bundle_of(&store, new));

    // A rewrap moves the wraps into the record: format 3, nothing left in `wraps`.
    let rewrapped = [[0xAB; WRAP_LEN], [0xCD; WRAP_LEN]];
    let later = Epoch::new(2).unwrap();
    store
        .swap_wraps(old, Epoch::FIRST, &rewrapped, later)
        .unwrap();
    assert_eq!(format_of(&store, old), 3);
    assert_eq!(store.inner.wraps.scan_prefix(old.as_bytes()).count(), 0);
    let read = store.load_tip(old).unwrap().unwrap();
    assert_eq!(read.summary.epoch, later);
    let wraps: Vec<_> = read.parts.iter().map(|p| p.wrap).collect();
    assert_eq!(wraps, rewrapped);
    assert_eq!(read.parts[0].body, parts[0].body);

    // A format-3 tip is rewrapped in its record; a stale or backward rewrap is refused.
    let third = Epoch::new(3).unwrap();
    store
        .swap_wraps(new, Epoch::FIRST, &rewrapped, third)
        .unwrap();
    assert!(matches!(
        store.swap_wraps(new, Epoch::FIRST, &rewrapped, Epoch::new(4).unwrap()),
        Err(SwapError::EpochMismatch { .. })
    ));
    assert_eq!(store.load_tip(new).unwrap().unwrap().summary.epoch, third);

    // A format-2 tip deletes whole, its `wraps` entries too.
    let other = fresh_id();
    store.insert_tip(new_tip(other, 1, &parts, None)).unwrap();
    make_format_2(&store, other);
    assert!(store.delete_tip(other).unwrap());
    assert!(store.load_tip(other).unwrap().is_none());
    assert_eq!(store.inner.wraps.scan_prefix(other.as_bytes()).count(), 0);
}

fn bundle_of(store: &Store, id: TipId) -> Vec<u8> {
    let pieces = store.tip_pieces(id).unwrap().unwrap();
    pieces.map(Result::unwrap).collect::<Vec<_>>().concat()
}

#[test]
fn a_format_1_tip_written_the_old_way_still_reads_streams_and_deletes() {
    let (_dir, store) = temp_store();
    let old = fresh_id();
    let parts = [part(5, 3 * CHUNK_LEN + 7), part(6, 10)];
    write_format_1(&store, old, &parts);
    let new = fresh_id();
    store.insert_tip(new_tip(new, 1, &parts, None)).unwrap();
    let (a, b) = (
        store.load_tip(old).unwrap().unwrap(),
        store.load_tip(new).unwrap().unwrap(),
    );
    assert_eq!(a.parts, b.parts, "both formats read the same bytes");
    assert_eq!(bundle_of(&store, old), bundle_of(&store, new));
    assert!(blob_count(&store, old) > 0);
    assert!(store.delete_tip(old).unwrap());
    assert_eq!(
        blob_count(&store, old),
        0,
        "deleting a format-1 tip removes its chunks"
    );
    assert!(store.load_tip(old).unwrap().is_none());
    assert!(store.load_tip(new).unwrap().is_some());
}

#[test]
fn compaction_keeps_every_live_tip_byte_identical_and_frees_the_sealed_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), PEPPER).unwrap();
    let mut kept = Vec::new();
    for i in 0..12u8 {
        let id = fresh_id();
        let parts = [
            part(i, 5_000 + usize::from(i) * 700),
            part(i ^ 0x55, 40_000),
        ];
        store.insert_tip(new_tip(id, 1, &parts, None)).unwrap();
        if i % 4 == 0 {
            kept.push(id);
        }
    }
    store.durable_blocking().unwrap();
    let before: Vec<StoredTip> = kept
        .iter()
        .map(|id| store.load_tip(*id).unwrap().unwrap())
        .collect();
    let old_segment = locations(&store, kept[0])[0].segment;
    let deleted: Vec<TipId> = store
        .list_tips_page(None, 100)
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .filter(|id| !kept.contains(id))
        .collect();
    for id in &deleted {
        assert!(store.delete_tip(*id).unwrap());
    }
    // The head is never compacted: a reopen seals the segment.
    drop(store);
    let store = Store::open(dir.path(), PEPPER).unwrap();
    let report = store.compact_bundle_log().unwrap();
    assert_eq!(
        report.segments_removed, 1,
        "the sealed segment, three quarters dead"
    );
    assert_eq!(report.records_moved, 2 * kept.len());
    let report = store.compact_bundle_log().unwrap();
    assert_eq!(report.segments_removed, 0, "nothing left to do");
    assert!(
        !segment_path(dir.path(), old_segment).exists(),
        "the old file is gone"
    );
    for (id, was) in kept.iter().zip(&before) {
        assert_ne!(locations(&store, *id)[0].segment, old_segment);
        assert_eq!(
            &store.load_tip(*id).unwrap().unwrap(),
            was,
            "byte-identical"
        );
    }
    drop(store);
    let store = Store::open(dir.path(), PEPPER).unwrap();
    for (id, was) in kept.iter().zip(&before) {
        assert_eq!(
            &store.load_tip(*id).unwrap().unwrap(),
            was,
            "and after a restart"
        );
    }
}

#[test]
fn a_tip_rewrapped_while_its_record_is_copied_keeps_the_new_wraps_and_moves() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), PEPPER).unwrap();
    let id = fresh_id();
    let parts = [part(7, 30_000), part(8, 10)];
    store.insert_tip(new_tip(id, 1, &parts, None)).unwrap();
    drop(store);
    let store = Store::open(dir.path(), PEPPER).unwrap();
    let old = locations(&store, id);
    // Compaction's steps, with a rewrap between the copy and the swap.
    let copies: Vec<(usize, Location)> = (0..2)
        .map(|i| {
            let body = parts[i].body.len() as u64;
            (i, store.copy_record(old[i], id, i as u16, body).unwrap())
        })
        .collect();
    store.durable_blocking().unwrap();
    let wraps = [[0xAA; WRAP_LEN], [0xBB; WRAP_LEN]];
    let later = Epoch::new(2).unwrap();
    store.swap_wraps(id, Epoch::FIRST, &wraps, later).unwrap();
    store.swap_locations(id, old[0].segment, &copies).unwrap();
    let now = store.load_tip(id).unwrap().unwrap();
    assert_eq!(now.summary.epoch, later, "the rewrap is kept");
    assert_eq!(now.parts[0].wrap, wraps[0]);
    assert_eq!(now.parts[0].body, parts[0].body);
    assert_eq!(now.parts[1].body, parts[1].body);
    assert_eq!(
        locations(&store, id),
        copies.iter().map(|c| c.1).collect::<Vec<_>>()
    );
}

#[test]
fn a_backup_of_tips_of_every_format_restores_whole_into_the_log() {
    let (_dir, store) = temp_store();
    let parts = [part(9, 2 * CHUNK_LEN + 3), part(10, 50)];
    let ids: Vec<TipId> = (0..3).map(|_| fresh_id()).collect();
    for id in &ids {
        store
            .insert_tip(new_tip(*id, 1, &parts, idem(id.as_bytes()[0], 1)))
            .unwrap();
    }
    let old = fresh_id();
    write_format_1(&store, old, &parts);
    // One format-2 tip among the format-3 ones: its wraps come from `wraps`, theirs from
    // their records, all in the one `wraps` tree of the snapshot.
    make_format_2(&store, ids[1]);
    settle(&store);
    let mut entries = Vec::new();
    let counts = store
        .snapshot(&mut |e| {
            entries.push((e.tree.to_vec(), e.key.to_vec(), e.value.to_vec()));
            Ok(())
        })
        .unwrap();
    assert_eq!(counts.tips, 4);
    let wrap_keys: Vec<&Vec<u8>> = entries
        .iter()
        .filter(|(tree, _, _)| tree == b"wraps")
        .map(|(_, k, _)| k)
        .collect();
    assert_eq!(wrap_keys.len(), 8, "two wraps for each of the four tips");
    let mut unique = wrap_keys.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 8, "each wrap once");
    // The same backup as a release before schema 4 wrote it: records in `tips`, by id.
    let before_4: Vec<_> = entries
        .iter()
        .map(|(tree, k, v)| match tree.as_slice() {
            b"tips_by_day" => {
                let id = layout::tip_id_of_key(k).unwrap();
                (b"tips".to_vec(), id.as_bytes().to_vec(), v.clone())
            }
            _ => (tree.clone(), k.clone(), v.clone()),
        })
        .collect();
    assert_eq!(before_4.iter().filter(|e| e.0 == b"tips").count(), 4);
    let target = tempfile::tempdir().unwrap();
    for (name, backup) in [("restored", entries), ("restored-before-4", before_4)] {
        let into = target.path().join(name);
        let loaded =
            crate::storage::load_into_new(&into, backup.into_iter().map(Ok::<_, String>)).unwrap();
        assert_eq!(loaded.tips, 4, "{name}");
        let restored = Store::open(&into, PEPPER).unwrap();
        for id in ids.iter().chain([&old]) {
            assert_eq!(
                restored.load_tip(*id).unwrap(),
                store.load_tip(*id).unwrap(),
                "{name}"
            );
            assert_eq!(blob_count(&restored, *id), 0, "restored into the log");
            assert_eq!(locations(&restored, *id).len(), 2);
        }
        assert_eq!(restored.list_tips_page(None, 10).unwrap().len(), 4);
    }
}

/// The attack on staged records (`bundles/staging.rs`): readers that load each tip the
/// instant its insert returns, while its record still waits in memory for a batch that
/// other writers keep busy. Every load must return the tip whole, never a frame or
/// checksum error; and once durable, every record must be in its segment file.
#[test]
fn tips_read_while_their_records_wait_for_the_batch_come_back_whole() {
    use super::super::super::testutil::insert_small_tip;
    use std::sync::mpsc;

    let (dir, store) = temp_store();
    let (found, seen) = mpsc::channel::<(TipId, Vec<u8>)>();
    let writers: Vec<_> = (0..4u8)
        .map(|w| {
            let (store, found) = (store.clone(), found.clone());
            std::thread::spawn(move || {
                for i in 0..150u16 {
                    let mut id = [w; 16];
                    id[..2].copy_from_slice(&i.to_be_bytes());
                    let id = TipId::from_bytes(id);
                    let body: Vec<u8> = (0..16_500u32).map(|b| (b as u8) ^ w ^ i as u8).collect();
                    let outcome = insert_small_tip(&store, id, &body, None);
                    assert_eq!(outcome, InsertOutcome::Created(id));
                    found.send((id, body)).unwrap();
                    // Every third insert waits for its batch, as a witness's request does;
                    // the others leave records waiting for readers to meet.
                    if i % 3 == 0 {
                        store.durable_blocking().unwrap();
                    }
                }
            })
        })
        .collect();
    drop(found);
    let mut loaded = 0;
    for (id, body) in seen {
        let tip = store.load_tip(id).unwrap().expect("the index names it");
        assert_eq!(tip.parts[0].body, body, "tip {id:?} came back different");
        loaded += 1;
    }
    writers.into_iter().for_each(|w| w.join().unwrap());
    assert_eq!(loaded, 600);
    store.durable_blocking().unwrap();
    let on_disk: u64 = std::fs::read_dir(dir.path().join(BUNDLES_DIR))
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .sum();
    assert!(
        on_disk >= 600 * 16_500,
        "every record is in its file: {on_disk} bytes"
    );
}
