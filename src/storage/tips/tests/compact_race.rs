//! The attack on compaction's unlink: reviewers read and stream tips whose segment is
//! rewritten and removed under them, round after round. A read that started before the
//! segment went away must still return the tip's exact bytes, never `Corrupt` (its
//! segment missing) or `None` for a tip that is alive.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::super::super::bundles::{SegmentNo, BUNDLES_DIR};
use super::super::super::layout::Record;
use super::*;

/// Rounds of insert, delete, reopen (which seals the head) and compaction.
const ROUNDS: usize = 6;
/// Tips kept per round; they are read by every later round too (each compaction moves
/// the previous rounds' copies again, as their segment is mostly dead by then).
const KEPT_PER_ROUND: usize = 8;
/// Tips deleted per round: enough that every round's sealed head is under half live
/// (it holds every earlier round's kept tips too).
const DEAD_PER_ROUND: usize = KEPT_PER_ROUND * (ROUNDS + 1);
/// Threads reading while compaction runs: half load whole tips, half stream slowly.
const READERS: usize = 4;
/// Parts per tip and their body length: several parts, so a read takes the segment's
/// handle more than once, each several stream chunks long.
const PARTS: usize = 3;
const PART_BODY: usize = CHUNK_LEN + 1_000;

/// The whole bundle a reviewer's streamed fetch yields.
fn streamed(store: &Store, id: TipId, pause: Duration) -> Result<Option<Vec<u8>>, StorageError> {
    let Some(pieces) = store.tip_pieces(id)? else {
        return Ok(None);
    };
    let mut out = Vec::new();
    for piece in pieces {
        out.extend_from_slice(&piece?);
        // A reviewer on a slow link: the stream stays open across the compaction.
        std::thread::sleep(pause);
    }
    Ok(Some(out))
}

fn insert_parts(store: &Store, seed: u8) -> TipId {
    let id = fresh_id();
    let parts: Vec<Part> = (0..PARTS)
        .map(|p| part(seed.wrapping_add(p as u8), PART_BODY + p * 17))
        .collect();
    store.insert_tip(new_tip(id, 1, &parts, None)).unwrap();
    id
}

/// What the readers saw in one round.
#[derive(Default)]
struct Tally {
    reads: AtomicUsize,
    failures: AtomicUsize,
}

#[test]
fn reviewer_reads_racing_repeated_compactions_always_get_the_exact_bytes() {
    let dir = tempfile::tempdir().unwrap();
    // Every live tip and its bytes, whole and streamed, taken before any compaction.
    let mut live: Vec<(TipId, StoredTip, Vec<u8>)> = Vec::new();
    let tally = Arc::new(Tally::default());
    let mut segments_removed = 0;
    let mut store = Store::open(dir.path(), PEPPER).unwrap();
    for round in 0..ROUNDS {
        // This round's tips go into the head that holds the copies the last compaction
        // made, so the next compaction moves those again.
        for i in 0..KEPT_PER_ROUND + DEAD_PER_ROUND {
            let id = insert_parts(&store, (round * 64 + i) as u8);
            if i < KEPT_PER_ROUND {
                let whole = store.load_tip(id).unwrap().unwrap();
                let bundle = streamed(&store, id, Duration::ZERO).unwrap().unwrap();
                live.push((id, whole, bundle));
            } else {
                assert!(store.delete_tip(id).unwrap());
            }
        }
        store.durable_blocking().unwrap();
        drop(store);
        // The head is never compacted: a reopen seals it.
        store = Store::open(dir.path(), PEPPER).unwrap();
        let live = Arc::new(live.clone());
        let done = Arc::new(AtomicBool::new(false));
        let readers: Vec<_> = (0..READERS)
            .map(|r| {
                let (store, live, done, tally) =
                    (store.clone(), live.clone(), done.clone(), tally.clone());
                std::thread::spawn(move || {
                    // Every reader reads every tip at least once after compaction ended.
                    let mut passes_after = 0;
                    while passes_after < 1 {
                        let finished = done.load(Ordering::SeqCst);
                        for (n, (id, whole, bundle)) in live.iter().enumerate() {
                            let ok = if r % 2 == 0 {
                                matches!(store.load_tip(*id), Ok(Some(t)) if t == *whole)
                            } else {
                                let pause = Duration::from_micros(50 * (n as u64 % 4));
                                matches!(streamed(&store, *id, pause), Ok(Some(b)) if b == *bundle)
                            };
                            tally.reads.fetch_add(1, Ordering::Relaxed);
                            if !ok {
                                tally.failures.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                        if finished {
                            passes_after += 1;
                        }
                    }
                })
            })
            .collect();
        // Let every reader get going before the segments go away.
        std::thread::sleep(Duration::from_millis(20));
        let report = store.compact_bundle_log().unwrap();
        assert_eq!(report.segments_removed, 1, "round {round}: the sealed head");
        segments_removed += report.segments_removed;
        done.store(true, Ordering::SeqCst);
        for r in readers {
            r.join().unwrap();
        }
    }
    let (reads, failures) = (
        tally.reads.load(Ordering::Relaxed),
        tally.failures.load(Ordering::Relaxed),
    );
    eprintln!(
        "compaction race: {reads} reads, {segments_removed} segments compacted away, {failures} failures"
    );
    assert_eq!(
        failures, 0,
        "{failures} of {reads} reads failed or differed"
    );
}

#[test]
fn a_stream_half_way_through_a_tip_when_its_segment_is_compacted_yields_the_exact_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), PEPPER).unwrap();
    let kept = insert_parts(&store, 7);
    for i in 0..6 {
        let dead = insert_parts(&store, 100 + i);
        assert!(store.delete_tip(dead).unwrap());
    }
    store.durable_blocking().unwrap();
    let expected = streamed(&store, kept, Duration::ZERO).unwrap().unwrap();
    drop(store);
    let store = Store::open(dir.path(), PEPPER).unwrap();
    let raw = store.raw_tip(kept).unwrap();
    let old: SegmentNo = Record::decode(&raw).unwrap().locations.unwrap()[0].segment;

    // The stream has sent the prefix and the first chunk of the first part.
    let mut pieces = store.tip_pieces(kept).unwrap().unwrap();
    let mut got = Vec::new();
    for _ in 0..2 {
        got.extend_from_slice(&pieces.next().unwrap().unwrap());
    }
    let report = store.compact_bundle_log().unwrap();
    assert_eq!(report.segments_removed, 1);
    assert!(
        !dir.path()
            .join(BUNDLES_DIR)
            .join(format!("{:016x}.seg", old.get()))
            .exists(),
        "the segment the stream began in is unlinked"
    );
    for piece in pieces {
        got.extend_from_slice(&piece.expect("every later piece, from the unlinked segment"));
    }
    assert_eq!(got, expected, "the stream yields the exact bundle");
}
