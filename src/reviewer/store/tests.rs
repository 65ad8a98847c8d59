use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;
use crate::domain::keyring::PersonName;
use crate::domain::TipId;

fn person(name: &str) -> Identity {
    Identity::generate(PersonName::parse(name).unwrap())
}

/// The same identity in every process (for the crash test's child).
fn fixed_person() -> Identity {
    Identity::from_secrets(PersonName::parse("fixed").unwrap(), &[3; 32], &[5; 32]).unwrap()
}

fn temp_store(id: &Identity) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("review.redb"), id).unwrap();
    (dir, store)
}

/// Raw access to a table, bypassing encryption: what an attacker with the file can do.
fn raw_get(store: &Store, t: Table, key: &[u8]) -> Vec<u8> {
    let tx = store.db.begin_read().unwrap();
    let table = tx.open_table(def(t)).unwrap();
    let v = table.get(key).unwrap().unwrap().value().to_vec();
    v
}

fn raw_put(store: &Store, t: Table, key: &[u8], value: &[u8]) {
    let tx = store.db.begin_write().unwrap();
    tx.open_table(def(t)).unwrap().insert(key, value).unwrap();
    tx.commit().unwrap();
}

#[test]
fn round_trip_and_scan_by_prefix() {
    let me = person("alice");
    let (_dir, store) = temp_store(&me);
    let a = TipId::from_bytes([1; 16]);
    let b = TipId::from_bytes([2; 16]);
    store
        .put(Table::Tips, &table::tip(&a), b"{\"tip\":\"a\"}")
        .unwrap();
    for seq in [10, 2, 1] {
        let body = format!("a{seq}");
        store
            .put(Table::Entries, &table::entry(&a, seq), body.as_bytes())
            .unwrap();
    }
    store
        .put(Table::Entries, &table::entry(&b, 1), b"b1")
        .unwrap();

    assert_eq!(
        &store.get(Table::Tips, &table::tip(&a)).unwrap().unwrap()[..],
        b"{\"tip\":\"a\"}"
    );
    assert!(store.get(Table::Tips, &table::tip(&b)).unwrap().is_none());
    // Same key, other table: a different row.
    assert!(store.get(Table::Meta, &table::tip(&a)).unwrap().is_none());

    let rows = store.scan_prefix(Table::Entries, &table::tip(&a)).unwrap();
    let seqs: Vec<_> = rows
        .iter()
        .map(|(k, _)| table::seq_of(k).unwrap())
        .collect();
    assert_eq!(seqs, [1, 2, 10]);
    assert_eq!(&rows[2].1[..], b"a10");

    assert!(store.delete(Table::Entries, &table::entry(&a, 2)).unwrap());
    assert!(!store.delete(Table::Entries, &table::entry(&a, 2)).unwrap());
    assert_eq!(store.scan_prefix(Table::Entries, &[]).unwrap().len(), 3);
}

#[test]
fn a_second_identity_cannot_open_it_and_is_told_what_to_do() {
    let (alice, bob) = (person("alice"), person("bob"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("review.redb");
    drop(Store::open(&path, &alice).unwrap());
    let err = Store::open(&path, &bob).unwrap_err();
    assert!(matches!(err, StoreError::WrongIdentity { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains(&path.display().to_string()), "{msg}");
    assert!(msg.contains(&alice.key_id().to_string()), "{msg}");
    assert!(
        msg.contains("key that created it") && msg.contains("delete"),
        "{msg}"
    );
    // Alice still can.
    Store::open(&path, &alice).unwrap();
}

#[cfg(unix)]
#[test]
fn a_new_store_file_is_private_to_its_owner() {
    use std::os::unix::fs::PermissionsExt;
    let me = person("alice");
    let (dir, _store) = temp_store(&me);
    let meta = std::fs::metadata(dir.path().join("review.redb")).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
}

#[test]
fn a_missing_directory_is_named_in_the_error() {
    let me = person("alice");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no-such-dir").join("review.redb");
    let err = Store::open(&path, &me).unwrap_err();
    assert!(
        err.to_string().contains(&path.display().to_string()),
        "{err}"
    );
}

#[test]
fn a_store_open_elsewhere_is_refused_clearly() {
    let me = person("alice");
    let (dir, _store) = temp_store(&me);
    let err = Store::open(dir.path().join("review.redb"), &me).unwrap_err();
    assert!(matches!(err, StoreError::InUse { .. }), "{err:?}");
}

#[test]
fn a_file_that_is_not_a_store_is_refused_not_overwritten() {
    let me = person("alice");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.txt");
    let junk = b"these are my notes, not a database ".repeat(200);
    std::fs::write(&path, &junk).unwrap();
    let err = Store::open(&path, &me).unwrap_err();
    assert!(matches!(err, StoreError::Db { .. }), "{err:?}");
    assert_eq!(std::fs::read(&path).unwrap(), junk);
}

#[test]
fn the_store_file_contains_no_plaintext() {
    let me = person("alice");
    let (dir, store) = temp_store(&me);
    let secrets = [
        "Kim-Banjang-Zulu-7731",    // Latin
        "반장님께서여권을가져갔다", // Hangul
        "鸭绿江边朝鲜餐厅经理老李", // Han
        "ПаспортаЗабралСтаршийПак", // Cyrillic
        "المشرفتشوييأخذالرواتب",    // Arabic
        "SpawaczeZKoreiPółnocnej",  // Latin with diacritics
    ];
    for (i, s) in secrets.iter().enumerate() {
        let id = TipId::from_bytes([i as u8; 16]);
        let doc = format!("{{\"narrative\":\"{s}\"}}");
        store
            .put(Table::Tips, &table::tip(&id), doc.as_bytes())
            .unwrap();
        store
            .put(Table::Entries, &table::entry(&id, 1), s.as_bytes())
            .unwrap();
        store
            .put(Table::Outbox, &table::entry(&id, 1), s.as_bytes())
            .unwrap();
        store
            .put(
                Table::Events,
                &table::event("inbox", i as u64),
                s.as_bytes(),
            )
            .unwrap();
    }
    // Overwrite and delete too: freed pages must not hold plaintext either.
    store
        .put(Table::Meta, b"cursor", secrets[0].as_bytes())
        .unwrap();
    store
        .put(Table::Meta, b"cursor", secrets[1].as_bytes())
        .unwrap();
    store.delete(Table::Meta, b"cursor").unwrap();
    drop(store);

    let raw = std::fs::read(dir.path().join("review.redb")).unwrap();
    for s in secrets {
        let needle = s.as_bytes();
        // Also a short piece, in case a value were stored split or transformed.
        let piece = &needle[..12];
        for n in [needle, piece] {
            assert!(
                !raw.windows(n.len()).any(|w| w == n),
                "plaintext {s:?} found in the store file"
            );
        }
    }
    // The check can see: the clear header is in the file.
    assert!(raw.windows(b"sealed_key".len()).any(|w| w == b"sealed_key"));
}

#[test]
fn a_tampered_value_is_refused() {
    let me = person("alice");
    let (_dir, store) = temp_store(&me);
    let id = TipId::from_bytes([9; 16]);
    store
        .put(Table::Tips, &table::tip(&id), b"original")
        .unwrap();
    let mut sealed = raw_get(&store, Table::Tips, &table::tip(&id));
    let mid = sealed.len() / 2;
    sealed[mid] ^= 0x40;
    raw_put(&store, Table::Tips, &table::tip(&id), &sealed);
    let err = store.get(Table::Tips, &table::tip(&id)).unwrap_err();
    assert!(matches!(err, StoreError::Tampered { .. }), "{err:?}");
    assert!(err.to_string().contains("table tips"), "{err}");
    // A scan refuses it too rather than skipping it silently.
    assert!(store.scan_prefix(Table::Tips, &[]).is_err());
}

#[test]
fn a_value_moved_to_another_key_or_table_is_refused() {
    let me = person("alice");
    let (_dir, store) = temp_store(&me);
    let (a, b) = (TipId::from_bytes([1; 16]), TipId::from_bytes([2; 16]));
    store
        .put(Table::Tips, &table::tip(&a), b"tip a says this")
        .unwrap();
    store
        .put(Table::Tips, &table::tip(&b), b"tip b says that")
        .unwrap();
    let sealed_a = raw_get(&store, Table::Tips, &table::tip(&a));

    raw_put(&store, Table::Tips, &table::tip(&b), &sealed_a);
    assert!(matches!(
        store.get(Table::Tips, &table::tip(&b)),
        Err(StoreError::Tampered { .. })
    ));
    raw_put(&store, Table::Meta, &table::tip(&a), &sealed_a);
    assert!(matches!(
        store.get(Table::Meta, &table::tip(&a)),
        Err(StoreError::Tampered { .. })
    ));
    // The untouched row still opens.
    assert_eq!(
        &store.get(Table::Tips, &table::tip(&a)).unwrap().unwrap()[..],
        b"tip a says this"
    );
}

#[test]
fn a_batch_that_fails_half_way_writes_nothing() {
    let me = person("alice");
    let (_dir, store) = temp_store(&me);
    store.put(Table::Meta, b"cursor", b"old").unwrap();
    let res: Result<(), StoreError> = store.batch(|b| {
        b.put(Table::Tips, b"t1", b"one")?;
        b.put(Table::Meta, b"cursor", b"new")?;
        assert_eq!(&b.get(Table::Meta, b"cursor")?.unwrap()[..], b"new");
        b.delete(Table::Meta, b"cursor")?;
        Err(StoreError::InUse {
            path: "simulated failure".into(),
        })
    });
    assert!(res.is_err());
    assert!(store.get(Table::Tips, b"t1").unwrap().is_none());
    assert_eq!(
        &store.get(Table::Meta, b"cursor").unwrap().unwrap()[..],
        b"old"
    );
}

#[test]
fn a_batch_that_panics_writes_nothing_and_the_store_stays_usable() {
    let me = person("alice");
    let (_dir, store) = temp_store(&me);
    let caught = std::panic::catch_unwind(AssertUnwindSafe(|| {
        let _: Result<(), StoreError> = store.batch(|b| {
            b.put(Table::Outbox, b"q1", b"queued")?;
            panic!("simulated crash in the middle of a batch");
        });
    }));
    assert!(caught.is_err());
    assert!(store.get(Table::Outbox, b"q1").unwrap().is_none());
    store.put(Table::Outbox, b"q2", b"later").unwrap();
    assert!(store.get(Table::Outbox, b"q2").unwrap().is_some());
}

#[test]
fn a_batch_commits_everything_together() {
    let me = person("alice");
    let (_dir, store) = temp_store(&me);
    let n = store
        .batch(|b| -> Result<usize, StoreError> {
            for i in 0..50u64 {
                b.put(Table::Events, &table::event("log", i), &i.to_be_bytes())?;
            }
            Ok(50)
        })
        .unwrap();
    assert_eq!(
        store
            .scan_prefix(Table::Events, &table::event_log("log"))
            .unwrap()
            .len(),
        n
    );
}

const CRASH_ENV: &str = "TIPSEAL_STORE_TEST_CRASH_CHILD";

/// The process dies inside a batch (no destructor, no commit, no abort): after reopening,
/// none of the batch is there and what was committed before is.
#[test]
fn a_process_killed_mid_batch_leaves_nothing_half_written() {
    if let Ok(path) = std::env::var(CRASH_ENV) {
        let store = Store::open(&path, &fixed_person()).unwrap();
        store.put(Table::Meta, b"before", b"committed").unwrap();
        let _: Result<(), StoreError> = store.batch(|b| {
            for i in 0..200u32 {
                b.put(Table::Tips, &i.to_be_bytes(), &[7; 512])?;
            }
            std::process::exit(41);
        });
        unreachable!();
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("review.redb");
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "reviewer::store::tests::a_process_killed_mid_batch_leaves_nothing_half_written",
            "--test-threads=1",
        ])
        .env(CRASH_ENV, &path)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert_eq!(
        status.code(),
        Some(41),
        "the child did not die where planned"
    );
    let store = Store::open(&path, &fixed_person()).unwrap();
    assert_eq!(
        &store.get(Table::Meta, b"before").unwrap().unwrap()[..],
        b"committed"
    );
    assert!(store.scan_prefix(Table::Tips, &[]).unwrap().is_empty());
}

#[test]
fn reopening_keeps_everything() {
    let me = person("alice");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("review.redb");
    {
        let store = Store::open(&path, &me).unwrap();
        for t in Table::ALL {
            store.put(t, b"k", t.name().as_bytes()).unwrap();
        }
    }
    let store = Store::open(&path, &me).unwrap();
    for t in Table::ALL {
        assert_eq!(
            &store.get(t, b"k").unwrap().unwrap()[..],
            t.name().as_bytes()
        );
    }
}

#[test]
fn a_store_of_another_format_is_refused() {
    let me = person("alice");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("review.redb");
    {
        let store = Store::open(&path, &me).unwrap();
        let tx = store.db.begin_write().unwrap();
        tx.open_table(HEADER)
            .unwrap()
            .insert(H_FORMAT, b"99".as_slice())
            .unwrap();
        tx.commit().unwrap();
    }
    let err = Store::open(&path, &me).unwrap_err();
    assert!(matches!(err, StoreError::Format { .. }), "{err:?}");
}

fn any_table() -> impl Strategy<Value = Table> {
    prop::sample::select(Table::ALL.to_vec())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn prop_round_trip(
        rows in prop::collection::btree_map(
            (any_table(), prop::collection::vec(any::<u8>(), 0..24)),
            prop::collection::vec(any::<u8>(), 0..300),
            0..24,
        )
    ) {
        let me = fixed_person();
        let (_dir, store) = temp_store(&me);
        store.batch(|b| -> Result<(), StoreError> {
            for ((t, k), v) in &rows {
                b.put(*t, k, v)?;
            }
            Ok(())
        }).unwrap();
        for ((t, k), v) in &rows {
            let got = store.get(*t, k).unwrap().unwrap();
            prop_assert_eq!(&got[..], &v[..]);
        }
        for t in Table::ALL {
            let want: BTreeMap<_, _> = rows.iter()
                .filter(|((tt, _), _)| *tt == t)
                .map(|((_, k), v)| (k.clone(), v.clone()))
                .collect();
            let got: BTreeMap<_, _> = store.scan_prefix(t, &[]).unwrap()
                .into_iter().map(|(k, v)| (k, v.to_vec())).collect();
            prop_assert_eq!(got, want);
        }
    }
}
