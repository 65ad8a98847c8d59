//! Tests of the move to day-led index keys (schema 4): a directory written by schemas 1
//! to 3 keeps its records in `tips` by id; opening it moves them, and a crash part way
//! through the move loses nothing. (In tests a pass of the move holds 64 KiB of records,
//! so a few thousand tips take many passes.)

use super::super::super::layout::{self, TREE_TIPS_BEFORE_4};
use super::log::make_format_2;
use super::*;

/// Rewrites `store`'s index as schema 3 kept it (records in `tips`, keyed by the id, the
/// schema marked 3), then closes it. `also_new` keeps those tips' records in
/// `tips_by_day` as well, as a move cut short by a crash leaves them.
fn as_schema_3(store: Store, also_new: &[TipId]) {
    let inner = &store.inner;
    let before = inner.db.open_tree(TREE_TIPS_BEFORE_4).unwrap();
    for kv in inner.tips.iter() {
        let (key, value) = kv.unwrap();
        let id = layout::tip_id_of_key(&key).unwrap();
        before.insert(id.as_bytes(), value).unwrap();
        if !also_new.contains(&id) {
            inner.tips.remove(key).unwrap();
        }
    }
    inner
        .meta
        .insert(layout::META_SCHEMA, &3u32.to_be_bytes()[..])
        .unwrap();
    store.durable_blocking().unwrap();
}

fn has_tree(store: &Store, name: &str) -> bool {
    store
        .inner
        .db
        .tree_names()
        .iter()
        .any(|n| n == name.as_bytes())
}

#[test]
fn a_schema_3_directory_opens_with_every_tip_moved_to_its_day_key() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), PEPPER).unwrap();
    let parts = [part(3, CHUNK_LEN + 5), part(4, 10)];
    // Random-looking ids as schema 3 gave them, and one of this schema's.
    let ids = [fresh_id(), fresh_id(), id_on(20_400)];
    for (i, id) in ids.iter().enumerate() {
        store
            .insert_tip(new_tip(*id, 20_400, &parts, idem(i as u8, 9)))
            .unwrap();
    }
    make_format_2(&store, ids[1]);
    settle(&store);
    let read: Vec<_> = ids.iter().map(|id| store.load_tip(*id).unwrap()).collect();
    as_schema_3(store, &[]);

    let store = Store::open(dir.path(), PEPPER).unwrap();
    let schema = store.inner.meta.get(layout::META_SCHEMA).unwrap().unwrap();
    // Marked current (schema 6 since idempotency records hold the received day).
    assert_eq!(schema.as_ref(), &6u32.to_be_bytes()[..]);
    assert!(
        !has_tree(&store, TREE_TIPS_BEFORE_4),
        "the old index is gone"
    );
    for (id, before) in ids.iter().zip(&read) {
        assert_eq!(&store.load_tip(*id).unwrap(), before);
    }
    assert_eq!(store.tip_count().unwrap(), 3);
    // A retry of a moved tip's submission still finds it: the idempotency record names
    // the id, which did not change.
    let retry = store
        .insert_tip(new_tip(fresh_id(), 20_400, &parts, idem(0, 9)))
        .unwrap();
    assert_eq!(retry, InsertOutcome::Existing(ids[0]));
    // A moved tip rewraps and deletes like any other.
    let wraps = [[0xEE; WRAP_LEN], [0xEF; WRAP_LEN]];
    store
        .swap_wraps(ids[1], Epoch::FIRST, &wraps, Epoch::new(2).unwrap())
        .unwrap();
    assert_eq!(
        store.load_tip(ids[1]).unwrap().unwrap().parts[1].wrap,
        wraps[1]
    );
    assert!(store.delete_tip(ids[0]).unwrap());
    assert_eq!(store.tip_count().unwrap(), 2);
}

/// `n` one-part tips of `parts[0]`, stored in `dir` as schema 3 keeps them; the first
/// `copied` of them also in `tips_by_day` (see [`as_schema_3`]). Their ids.
fn schema_3_dir(dir: &std::path::Path, n: usize, parts: &[Part], copied: usize) -> Vec<TipId> {
    let store = Store::open(dir, PEPPER).unwrap();
    let ids: Vec<TipId> = (0..n).map(|_| fresh_id()).collect();
    for id in &ids {
        store.insert_tip(new_tip(*id, 20_401, parts, None)).unwrap();
    }
    settle(&store);
    as_schema_3(store, &ids[..copied]);
    ids
}

#[test]
fn a_move_cut_short_finishes_at_the_next_open_without_doubles() {
    let dir = tempfile::tempdir().unwrap();
    let parts = [part(5, 100)];
    // Two records were already copied to `tips_by_day` when the crash came; `tips` is whole.
    let ids = schema_3_dir(dir.path(), 5, &parts, 2);

    let store = Store::open(dir.path(), PEPPER).unwrap();
    assert!(!has_tree(&store, TREE_TIPS_BEFORE_4));
    let listed: Vec<TipId> = store
        .list_tips_page(None, 100)
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(listed.len(), 5, "each tip once: {listed:?}");
    for id in &ids {
        assert!(listed.contains(id));
        assert_eq!(
            store.load_tip(*id).unwrap().unwrap().parts[0].body,
            parts[0].body
        );
    }
    drop(store);
    // Opening again moves nothing and changes nothing.
    let store = Store::open(dir.path(), PEPPER).unwrap();
    assert_eq!(store.tip_count().unwrap(), 5);
}

#[test]
fn tips_that_take_many_passes_all_move_in_key_order() {
    let dir = tempfile::tempdir().unwrap();
    let ids = schema_3_dir(dir.path(), 9_000, &[part(6, 1)], 0);
    let store = Store::open(dir.path(), PEPPER).unwrap();
    assert_eq!(store.tip_count().unwrap(), 9_000);
    for id in ids.iter().step_by(997) {
        assert!(store.load_tip(*id).unwrap().is_some());
    }
    let mut listed = Vec::new();
    let mut after = None;
    while let Some(last) = {
        let page = store.list_tips_page(after, 1000).unwrap();
        let last = page.last().map(|s| s.id);
        listed.extend(page.into_iter().map(|s| s.id));
        last
    } {
        after = Some(last);
    }
    let mut expected = ids.clone();
    expected.sort_by_key(|id| layout::tip_key(*id));
    assert_eq!(listed, expected, "every tip once, in key order");
}
