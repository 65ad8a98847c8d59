//! The keyring: the whole signed chain as one JSON document, replaced by compare-and-swap.
//!
//! Storage does not parse or verify it (the caller does, with `crypto`); it only makes sure
//! that of two concurrent publishes extending the same chain, exactly one wins. The chain
//! grows with every epoch and could outgrow one sled value, so it is cut into chunks:
//!
//! ```text
//! key "head"          → u32 BE chunk count ‖ u64 BE total length
//! key u32 BE index    → ≤ CHUNK_LEN bytes of the document
//! ```
//!
//! Reads and writes both run in a transaction, so a reader never sees half a document.

use sled::transaction::{ConflictableTransactionResult, TransactionalTree};

use super::layout::CHUNK_LEN;
use super::{tx_error, StorageError, Store};

/// The largest keyring document storage accepts.
///
/// A manifest with a dozen reviewers is a few KiB; 8 MiB is over a thousand epochs, and
/// bounds the memory a transaction holds.
pub const MAX_KEYRING_LEN: usize = 8 * 1024 * 1024;

const HEAD: &[u8] = b"head";

impl Store {
    /// The stored keyring document, or `None` before the first publish.
    pub fn keyring(&self) -> Result<Option<Vec<u8>>, StorageError> {
        self.inner
            .keyring
            .transaction(read_keyring)
            .map_err(tx_error::<StorageError>)
    }

    /// Replaces the keyring with `new` if the stored one is exactly `expected` (`None`:
    /// no keyring yet). Returns `false`, changing nothing, if it is not. Await
    /// [`Store::durable`] before acknowledging.
    pub fn replace_keyring(
        &self,
        expected: Option<&[u8]>,
        new: &[u8],
    ) -> Result<bool, StorageError> {
        let _gate = self.write_gate();
        if new.len() > MAX_KEYRING_LEN {
            return Err(StorageError::Invalid("the keyring is larger than 8 MiB"));
        }
        self.inner
            .keyring
            .transaction(|tree| {
                if read_keyring(tree)?.as_deref() != expected {
                    return Ok(false);
                }
                write_keyring(tree, new)?;
                Ok(true)
            })
            .map_err(tx_error::<StorageError>)
    }
}

fn read_keyring(
    tree: &TransactionalTree,
) -> ConflictableTransactionResult<Option<Vec<u8>>, StorageError> {
    let Some(head) = tree.get(HEAD)? else {
        return Ok(None);
    };
    let (count, len) =
        parse_head(&head).map_err(sled::transaction::ConflictableTransactionError::Abort)?;
    let mut out = Vec::with_capacity(len);
    for i in 0..count {
        match tree.get(i.to_be_bytes())? {
            Some(chunk) if out.len() + chunk.len() <= len => out.extend_from_slice(&chunk),
            _ => return sled::transaction::abort(StorageError::Corrupt("keyring chunks")),
        }
    }
    if out.len() != len {
        return sled::transaction::abort(StorageError::Corrupt("keyring length"));
    }
    Ok(Some(out))
}

fn write_keyring(
    tree: &TransactionalTree,
    new: &[u8],
) -> ConflictableTransactionResult<(), StorageError> {
    let old_count = match tree.get(HEAD)? {
        Some(head) => {
            parse_head(&head)
                .map_err(sled::transaction::ConflictableTransactionError::Abort)?
                .0
        }
        None => 0,
    };
    let mut count = 0u32;
    for chunk in new.chunks(CHUNK_LEN) {
        tree.insert(&count.to_be_bytes()[..], chunk)?;
        count += 1;
    }
    for stale in count..old_count {
        tree.remove(&stale.to_be_bytes()[..])?;
    }
    let mut head = [0u8; 12];
    head[..4].copy_from_slice(&count.to_be_bytes());
    head[4..].copy_from_slice(&(new.len() as u64).to_be_bytes());
    tree.insert(HEAD, &head[..])?;
    Ok(())
}

fn parse_head(head: &[u8]) -> Result<(u32, usize), StorageError> {
    let bad = StorageError::Corrupt("keyring head");
    let head = <[u8; 12]>::try_from(head).map_err(|_| bad.clone())?;
    let count = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
    let mut len = [0u8; 8];
    len.copy_from_slice(&head[4..]);
    let len = usize::try_from(u64::from_be_bytes(len)).map_err(|_| bad.clone())?;
    if len > MAX_KEYRING_LEN || count as usize != len.div_ceil(CHUNK_LEN) {
        return Err(bad);
    }
    Ok((count, len))
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Barrier};

    use super::super::testutil::temp_store;
    use super::*;

    #[test]
    fn the_first_publish_needs_no_expected_keyring() {
        let (_dir, store) = temp_store();
        assert_eq!(store.keyring().unwrap(), None);
        assert!(!store.replace_keyring(Some(b"x"), b"one").unwrap());
        assert!(store.replace_keyring(None, b"one").unwrap());
        assert_eq!(store.keyring().unwrap().as_deref(), Some(&b"one"[..]));
    }

    #[test]
    fn a_publish_based_on_a_stale_keyring_is_refused() {
        let (_dir, store) = temp_store();
        assert!(store.replace_keyring(None, b"one").unwrap());
        assert!(store.replace_keyring(Some(b"one"), b"two").unwrap());
        assert!(!store.replace_keyring(Some(b"one"), b"three").unwrap());
        assert!(!store.replace_keyring(None, b"three").unwrap());
        assert_eq!(store.keyring().unwrap().as_deref(), Some(&b"two"[..]));
    }

    #[test]
    fn a_large_keyring_is_chunked_and_shrinks_cleanly() {
        let (_dir, store) = temp_store();
        let big: Vec<u8> = (0..200_000u32).map(|i| i as u8).collect();
        assert!(store.replace_keyring(None, &big).unwrap());
        assert_eq!(store.keyring().unwrap(), Some(big.clone()));
        assert!(store.replace_keyring(Some(&big), b"small").unwrap());
        assert_eq!(store.keyring().unwrap().as_deref(), Some(&b"small"[..]));
        assert_eq!(
            store.inner.keyring.len(),
            2,
            "head and one chunk, no stale chunks"
        );
        let too_big = vec![0u8; MAX_KEYRING_LEN + 1];
        assert!(store.replace_keyring(Some(b"small"), &too_big).is_err());
    }

    #[test]
    fn of_two_concurrent_publishes_exactly_one_wins() {
        let (_dir, store) = temp_store();
        assert!(store.replace_keyring(None, b"base").unwrap());
        let barrier = Arc::new(Barrier::new(8));
        let handles: Vec<_> = (0..8u8)
            .map(|i| {
                let (store, barrier) = (store.clone(), barrier.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    store.replace_keyring(Some(b"base"), &[i; 100_000]).unwrap()
                })
            })
            .collect();
        let wins = handles
            .into_iter()
            .map(|h| h.join().unwrap())
            .filter(|w| *w)
            .count();
        assert_eq!(wins, 1);
    }
}
