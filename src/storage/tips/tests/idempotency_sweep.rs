//! The attack on the idempotency sweep: witnesses flood keyed tips, and retry each at
//! once, while the sweep walks the same tree again and again. Every fresh tip must be
//! stored once, every retry must get its first try's id, and the sweep must remove the
//! expired keys and only those.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};

use super::*;

/// Keys of tips received long ago, which the sweep must forget.
const OLD: u32 = 1_500;
/// Threads submitting fresh keyed tips, and how many each submits.
const WITNESSES: u32 = 4;
const PER_WITNESS: u32 = 400;
const OLD_DAY: i64 = 20_000;
const TODAY: i64 = 20_010;

/// A distinct key per `n`, spread over the tree like the keyed hashes are.
fn keyed(n: u32, body: u8) -> Option<Idempotency> {
    let mut key_hash = [0u8; 32];
    key_hash[..16].copy_from_slice(&spread(u64::from(n)));
    Some(Idempotency {
        key_hash,
        body_hash: [body; 32],
        legacy_body_hash: None,
        mailbox: None,
    })
}

#[test]
fn a_flood_of_keyed_tips_and_retries_during_the_sweep_loses_nothing() {
    let (_d, store) = temp_store();
    let parts = [part(3, 200)];
    for n in 0..OLD {
        store
            .insert_tip(new_tip(id_on(OLD_DAY), OLD_DAY, &parts, keyed(n, 1)))
            .unwrap();
    }
    let sweeping = AtomicBool::new(true);
    let (swept, created) = std::thread::scope(|s| {
        let sweeper = s.spawn(|| {
            let mut removed = 0;
            let mut walks = 0;
            // At least a few walks, and on until every witness is done.
            while sweeping.load(Ordering::Relaxed) || walks < 3 {
                removed += store.expire_idempotency(Day::from_days(TODAY - 7)).unwrap();
                walks += 1;
            }
            removed
        });
        let witnesses: Vec<_> = (0..WITNESSES)
            .map(|w| {
                let (store, parts) = (&store, &parts);
                s.spawn(move || {
                    let mut ids = Vec::new();
                    for i in 0..PER_WITNESS {
                        let n = OLD + w * PER_WITNESS + i;
                        let id = id_on(TODAY);
                        let first = store
                            .insert_tip(new_tip(id, TODAY, parts, keyed(n, 2)))
                            .unwrap();
                        assert_eq!(first, InsertOutcome::Created(id));
                        let retry = store
                            .insert_tip(new_tip(id_on(TODAY), TODAY, parts, keyed(n, 2)))
                            .unwrap();
                        assert_eq!(retry, InsertOutcome::Existing(id), "retry of key {n}");
                        ids.push(id);
                    }
                    ids
                })
            })
            .collect();
        let created: Vec<TipId> = witnesses
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect();
        sweeping.store(false, Ordering::Relaxed);
        (sweeper.join().unwrap(), created)
    });
    assert_eq!(
        swept, OLD as usize,
        "the sweep removes each expired key once"
    );
    let fresh = (WITNESSES * PER_WITNESS) as usize;
    assert_eq!(created.iter().collect::<HashSet<_>>().len(), fresh);
    assert_eq!(
        store.tip_count().unwrap(),
        OLD as usize + fresh,
        "no tip stored twice"
    );
    assert_eq!(
        store.inner.idempotency.len(),
        fresh,
        "every fresh key stays"
    );
    // Each tip is whole, and its key still answers a retry after the flood (`created`
    // holds witness 0's tips in order, then witness 1's, …, so index i is key OLD + i).
    for (i, id) in created.iter().enumerate() {
        assert!(store.load_tip(*id).unwrap().is_some());
        if i % 97 == 0 {
            let again = store
                .insert_tip(new_tip(
                    id_on(TODAY),
                    TODAY,
                    &parts,
                    keyed(OLD + i as u32, 2),
                ))
                .unwrap();
            assert_eq!(
                again,
                InsertOutcome::Existing(*id),
                "key {}",
                OLD + i as u32
            );
        }
    }
}
