//! The audit chain: opaque entries numbered 0, 1, 2 … with no gap.
//!
//! The caller builds each entry (typically hashing the previous one in); storage hands it
//! the previous entry and the next sequence number inside one transaction, so two
//! concurrent appends can never both build on the same predecessor. The next number is
//! kept in `meta` under `audit_next`, because sled transactions cannot scan for the last key.

use sled::transaction::{abort, ConflictableTransactionResult, TransactionalTree};
use sled::Transactional;

use super::layout::META_AUDIT_NEXT;
use super::{tx_error, StorageError, Store, MAX_VALUE_LEN};

impl Store {
    /// Appends the entry `make(previous entry, its sequence number)` and returns that
    /// number. `make` may run more than once (when a transaction retries) and must not
    /// have side effects. Entries larger than [`MAX_VALUE_LEN`] are refused. Await
    /// [`Store::durable`] before acknowledging.
    pub fn append_audit(
        &self,
        make: impl Fn(Option<&[u8]>, u64) -> Vec<u8>,
    ) -> Result<u64, StorageError> {
        let _gate = self.write_gate();
        let inner = &self.inner;
        (&inner.audit, &inner.meta)
            .transaction(|(audit, meta)| append_in_tx(audit, meta, &make))
            .map_err(tx_error::<StorageError>)
    }

    /// Up to `limit` entries with sequence numbers from `from` on, in order.
    pub fn audit_entries(
        &self,
        from: u64,
        limit: usize,
    ) -> Result<Vec<(u64, Vec<u8>)>, StorageError> {
        let mut out = Vec::new();
        for kv in self.inner.audit.range(from.to_be_bytes()..).take(limit) {
            let (key, value) = kv?;
            out.push((parse_seq(&key)?, value.to_vec()));
        }
        Ok(out)
    }
}

fn append_in_tx(
    audit: &TransactionalTree,
    meta: &TransactionalTree,
    make: &impl Fn(Option<&[u8]>, u64) -> Vec<u8>,
) -> ConflictableTransactionResult<u64, StorageError> {
    let seq = match meta.get(META_AUDIT_NEXT)? {
        Some(v) => parse_seq(&v).or_else(abort)?,
        None => 0,
    };
    let previous = match seq.checked_sub(1) {
        Some(prev) => match audit.get(prev.to_be_bytes())? {
            Some(entry) => Some(entry),
            None => return abort(StorageError::Corrupt("audit chain has a gap")),
        },
        None => None,
    };
    let entry = make(previous.as_deref(), seq);
    if entry.len() > MAX_VALUE_LEN {
        return abort(StorageError::Invalid(
            "an audit entry is larger than 64 KiB",
        ));
    }
    audit.insert(&seq.to_be_bytes()[..], entry)?;
    meta.insert(META_AUDIT_NEXT, &(seq + 1).to_be_bytes()[..])?;
    Ok(seq)
}

fn parse_seq(b: &[u8]) -> Result<u64, StorageError> {
    <[u8; 8]>::try_from(b)
        .map(u64::from_be_bytes)
        .map_err(|_| StorageError::Corrupt("audit sequence number"))
}

#[cfg(test)]
mod tests {
    use super::super::testutil::temp_store;
    use super::*;

    #[test]
    fn each_entry_sees_its_predecessor_and_numbers_run_from_zero() {
        let (_dir, store) = temp_store();
        for expected in 0..3u64 {
            let seq = store
                .append_audit(|prev, seq| {
                    let mut entry = prev.map(<[u8]>::to_vec).unwrap_or_default();
                    entry.push(seq as u8);
                    entry
                })
                .unwrap();
            assert_eq!(seq, expected);
        }
        let entries = store.audit_entries(0, 10).unwrap();
        assert_eq!(
            entries,
            vec![(0, vec![0]), (1, vec![0, 1]), (2, vec![0, 1, 2])]
        );
        assert_eq!(store.audit_entries(1, 1).unwrap(), vec![(1, vec![0, 1])]);
        assert!(store.audit_entries(3, 10).unwrap().is_empty());
    }

    #[test]
    fn concurrent_appends_form_one_chain_without_gaps() {
        let (_dir, store) = temp_store();
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let store = store.clone();
                std::thread::spawn(move || {
                    for _ in 0..25 {
                        store
                            .append_audit(|prev, seq| {
                                let prev_seq =
                                    prev.map(|p| u64::from_be_bytes(p.try_into().unwrap()));
                                assert_eq!(prev_seq, seq.checked_sub(1));
                                seq.to_be_bytes().to_vec()
                            })
                            .unwrap();
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        let entries = store.audit_entries(0, 1000).unwrap();
        assert_eq!(entries.len(), 200);
        assert!(entries
            .iter()
            .enumerate()
            .all(|(i, (seq, _))| *seq == i as u64));
    }

    #[test]
    fn an_oversized_entry_is_refused_and_the_chain_is_unchanged() {
        let (_dir, store) = temp_store();
        assert!(store
            .append_audit(|_, _| vec![0; MAX_VALUE_LEN + 1])
            .is_err());
        assert_eq!(
            store
                .append_audit(|prev, _| {
                    assert!(prev.is_none());
                    vec![1]
                })
                .unwrap(),
            0
        );
    }

    #[test]
    fn the_chain_continues_after_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), [0; 32]).unwrap();
        store.append_audit(|_, _| b"a".to_vec()).unwrap();
        store.durable_blocking().unwrap();
        drop(store);
        let store = Store::open(dir.path(), [0; 32]).unwrap();
        let seq = store
            .append_audit(|prev, _| {
                assert_eq!(prev, Some(&b"a"[..]));
                b"b".to_vec()
            })
            .unwrap();
        assert_eq!(seq, 1);
    }
}
