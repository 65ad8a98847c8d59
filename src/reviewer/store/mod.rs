//! The reviewer's local encrypted store: one file holding the tips, entries, triage
//! events, sync cursors and offline changes the reviewer has synced, as a cache of the
//! server (delete it and `tipseal review sync` rebuilds it).
//!
//! # Engine: redb
//! redb (pure Rust, MIT OR Apache-2.0, actively maintained, one author with a long
//! record and a published file-format design) over the alternatives:
//! - **one file**, not a directory: easy to place, back up or delete as a whole;
//! - **ACID with crash safety by default**: copy-on-write B-trees and a commit that
//!   fsyncs before it returns, so a write transaction is there entirely or not at all
//!   after a crash — which is what [`Store::batch`] promises;
//! - modest write amplification for a store this small (thousands of rows, one writer):
//!   a commit rewrites the touched B-tree path; fjall's LSM tree would write less on
//!   heavy ingest, but is a directory of segments with background compaction, more moving
//!   parts than a desk cache needs; sled (used by the server) is unmaintained in its
//!   0.34 line and has no stable file format;
//! - MSRV: held at 4.1.x, whose `rust-version` is 1.89 like ours (4.2 needs 1.90).
//!
//! # Encryption at rest
//! The store key is random; the file keeps it only sealed to the reviewer's box key
//! (`crypto::local_store`). Every value is AEAD-sealed with associated data = table name
//! and key, so values cannot be swapped between rows or tables. Keys stay in clear (see
//! [`table`]): tip ids, sequence numbers and cursor names are what the server already
//! lists. Values are opaque bytes here; callers serialize them (JSON).
//!
//! Must never: write a plaintext value to the file, keep the store key anywhere but in
//! memory (wiped on drop) and sealed in the file, or leave a batch half-written.

mod error;
pub mod table;

use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use zeroize::Zeroizing;

pub use error::StoreError;
pub use table::Table;

use crate::crypto::identity::Identity;
use crate::crypto::local_store::StoreKey;

/// A plaintext value, wiped when dropped.
pub type Plain = Zeroizing<Vec<u8>>;

/// The file format this build writes and reads.
pub const FORMAT: u32 = 1;

type Raw = TableDefinition<'static, &'static [u8], &'static [u8]>;

/// Clear header: the format, the owner's key id and the sealed store key.
const HEADER: Raw = TableDefinition::new("header");
const H_FORMAT: &[u8] = b"format";
const H_OWNER: &[u8] = b"owner";
const H_SEALED_KEY: &[u8] = b"sealed_key";

const fn def(t: Table) -> Raw {
    TableDefinition::new(t.name())
}

/// An open local store. One process at a time may hold it open.
pub struct Store {
    path: PathBuf,
    db: Database,
    key: StoreKey,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Store({})", self.path.display())
    }
}

impl Store {
    /// Opens the store at `path` with `identity`, creating it (with a fresh store key
    /// sealed to `identity`) if the file does not exist yet.
    pub fn open(path: impl AsRef<Path>, identity: &Identity) -> Result<Self, StoreError> {
        crate::crypto::init()?;
        let path = path.as_ref().to_path_buf();
        create_private(&path).map_err(|e| StoreError::Db {
            path: path.clone(),
            source: e.into(),
        })?;
        let db = Database::create(&path).map_err(|e| match e {
            redb::DatabaseError::DatabaseAlreadyOpen => StoreError::InUse { path: path.clone() },
            other => StoreError::Db {
                path: path.clone(),
                source: other.into(),
            },
        })?;
        let db_err = |e: redb::Error| StoreError::Db {
            path: path.clone(),
            source: e,
        };
        let header = read_header(&db).map_err(db_err)?;
        let key = match header {
            None => create(&db, identity).map_err(db_err)?,
            Some(h) => unlock(&path, h, identity)?,
        };
        Ok(Self { path, db, key })
    }

    /// The store file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The value of `key` in `table`, if there is one.
    pub fn get(&self, table: Table, key: &[u8]) -> Result<Option<Plain>, StoreError> {
        let tx = self.db.begin_read().map_err(|e| self.db_err(e))?;
        let t = tx.open_table(def(table)).map_err(|e| self.db_err(e))?;
        let sealed = t.get(key).map_err(|e| self.db_err(e))?;
        sealed
            .map(|v| self.open_value(table, key, v.value()))
            .transpose()
    }

    /// Sets `key` in `table` to `value` (one committed transaction).
    pub fn put(&self, table: Table, key: &[u8], value: &[u8]) -> Result<(), StoreError> {
        self.batch(|b| b.put(table, key, value))
    }

    /// Removes `key` from `table`; whether it was there.
    pub fn delete(&self, table: Table, key: &[u8]) -> Result<bool, StoreError> {
        self.batch(|b| b.delete(table, key))
    }

    /// Every row of `table` whose key starts with `prefix`, in key order.
    pub fn scan_prefix(
        &self,
        table: Table,
        prefix: &[u8],
    ) -> Result<Vec<(Vec<u8>, Plain)>, StoreError> {
        let tx = self.db.begin_read().map_err(|e| self.db_err(e))?;
        let t = tx.open_table(def(table)).map_err(|e| self.db_err(e))?;
        let mut out = Vec::new();
        for row in t.range::<&[u8]>(prefix..).map_err(|e| self.db_err(e))? {
            let (k, v) = row.map_err(|e| self.db_err(e))?;
            let k = k.value();
            if !k.starts_with(prefix) {
                break;
            }
            let plain = self.open_value(table, k, v.value())?;
            out.push((k.to_vec(), plain));
        }
        Ok(out)
    }

    /// Runs `f` inside one write transaction and commits it only if `f` returns `Ok`:
    /// every change made through the [`Batch`] lands, or none does (also when `f` fails
    /// half-way or panics, and after a crash before the commit returned).
    pub fn batch<T, E>(&self, f: impl FnOnce(&mut Batch<'_>) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        let tx = self.db.begin_write().map_err(|e| self.db_err(e))?;
        let mut batch = Batch { store: self, tx };
        // A panic inside `f` must still abort the transaction: redb skips its own abort
        // while a thread is panicking, which would leave the writer slot taken.
        let result = panic::catch_unwind(AssertUnwindSafe(|| f(&mut batch)));
        match result {
            Ok(Ok(value)) => {
                batch.tx.commit().map_err(|e| self.db_err(e))?;
                Ok(value)
            }
            Ok(Err(e)) => {
                batch.tx.abort().map_err(|e| self.db_err(e))?;
                Err(e)
            }
            Err(panicked) => {
                let _ = batch.tx.abort();
                panic::resume_unwind(panicked)
            }
        }
    }

    fn open_value(&self, table: Table, key: &[u8], sealed: &[u8]) -> Result<Plain, StoreError> {
        self.key
            .open_value(table.name(), key, sealed)
            .map_err(|_| StoreError::Tampered {
                path: self.path.clone(),
                what: format!("table {}, key {}", table.name(), hex::encode(key)),
            })
    }

    fn db_err(&self, e: impl Into<redb::Error>) -> StoreError {
        StoreError::Db {
            path: self.path.clone(),
            source: e.into(),
        }
    }
}

/// The changes of one [`Store::batch`], applied together when it commits.
pub struct Batch<'s> {
    store: &'s Store,
    tx: redb::WriteTransaction,
}

impl Batch<'_> {
    /// Sets `key` in `table` to `value`.
    pub fn put(&mut self, table: Table, key: &[u8], value: &[u8]) -> Result<(), StoreError> {
        let sealed = self.store.key.seal_value(table.name(), key, value);
        let mut t = self
            .tx
            .open_table(def(table))
            .map_err(|e| self.store.db_err(e))?;
        t.insert(key, sealed.as_slice())
            .map_err(|e| self.store.db_err(e))?;
        Ok(())
    }

    /// Removes `key` from `table`; whether it was there.
    pub fn delete(&mut self, table: Table, key: &[u8]) -> Result<bool, StoreError> {
        let mut t = self
            .tx
            .open_table(def(table))
            .map_err(|e| self.store.db_err(e))?;
        let old = t.remove(key).map_err(|e| self.store.db_err(e))?;
        Ok(old.is_some())
    }

    /// The value of `key` in `table` as this batch sees it (its own changes included).
    pub fn get(&self, table: Table, key: &[u8]) -> Result<Option<Plain>, StoreError> {
        let t = self
            .tx
            .open_table(def(table))
            .map_err(|e| self.store.db_err(e))?;
        let sealed = t.get(key).map_err(|e| self.store.db_err(e))?;
        sealed
            .map(|v| self.store.open_value(table, key, v.value()))
            .transpose()
    }
}

/// Creates the file readable by its owner only, if it does not exist yet: its values are
/// sealed, but which tips the reviewer holds is nobody else's business either.
fn create_private(path: &Path) -> std::io::Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    match opts.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

struct Header {
    format: Option<Vec<u8>>,
    owner: Option<Vec<u8>>,
    sealed_key: Vec<u8>,
}

/// The header, or `None` for a store never initialised (a new file).
fn read_header(db: &Database) -> Result<Option<Header>, redb::Error> {
    let tx = db.begin_read()?;
    let t = match tx.open_table(HEADER) {
        Ok(t) => t,
        Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let get = |k: &[u8]| -> Result<Option<Vec<u8>>, redb::Error> {
        Ok(t.get(k)?.map(|v| v.value().to_vec()))
    };
    let Some(sealed_key) = get(H_SEALED_KEY)? else {
        return Ok(None);
    };
    Ok(Some(Header {
        format: get(H_FORMAT)?,
        owner: get(H_OWNER)?,
        sealed_key,
    }))
}

/// Initialises a new store: header and every table, in one transaction.
fn create(db: &Database, identity: &Identity) -> Result<StoreKey, redb::Error> {
    let key = StoreKey::generate().map_err(|e| redb::Error::Io(std::io::Error::other(e)))?;
    let tx = db.begin_write()?;
    {
        let mut h = tx.open_table(HEADER)?;
        h.insert(H_FORMAT, FORMAT.to_string().as_bytes())?;
        h.insert(H_OWNER, identity.key_id().to_string().as_bytes())?;
        h.insert(
            H_SEALED_KEY,
            key.seal_for(&identity.public_keys()).as_slice(),
        )?;
        for t in Table::ALL {
            tx.open_table(def(t))?;
        }
    }
    tx.commit()?;
    Ok(key)
}

/// Checks the header's format and opens the store key with `identity`.
fn unlock(path: &Path, h: Header, identity: &Identity) -> Result<StoreKey, StoreError> {
    let text = |b: Option<Vec<u8>>| b.map(|b| String::from_utf8_lossy(&b).into_owned());
    let format = text(h.format).unwrap_or_else(|| "(none)".into());
    if format != FORMAT.to_string() {
        return Err(StoreError::Format {
            path: path.to_path_buf(),
            found: format,
            expected: FORMAT,
        });
    }
    StoreKey::open_sealed(&h.sealed_key, identity).map_err(|_| StoreError::WrongIdentity {
        path: path.to_path_buf(),
        owner: text(h.owner).unwrap_or_else(|| "(unknown)".into()),
    })
}

#[cfg(test)]
mod tests;
