//! What can go wrong with the local store, each message naming the store file and
//! saying what to do.

use std::path::PathBuf;

/// An error of the reviewer's local store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The store key does not open with this identity.
    #[error(
        "the local store {path} was created for key {owner} and cannot be opened with \
         this key: open it with the key that created it, or delete {path} (it is only a \
         cache; `tipseal review sync` rebuilds it)"
    )]
    WrongIdentity {
        /// The store file.
        path: PathBuf,
        /// Key id of the identity that created the store.
        owner: String,
    },
    /// A sealed value or the store's header failed its integrity check.
    #[error(
        "the local store {path} is damaged or was changed outside tipseal ({what}): \
         delete it and run `tipseal review sync` to rebuild it"
    )]
    Tampered {
        /// The store file.
        path: PathBuf,
        /// Which table and row (keys are not secret), or which header field.
        what: String,
    },
    /// The file is a store of a format this version does not read.
    #[error(
        "the local store {path} has format {found}, this tipseal reads format {expected}: \
         delete it and run `tipseal review sync` to rebuild it"
    )]
    Format {
        /// The store file.
        path: PathBuf,
        /// The format found in the file.
        found: String,
        /// The format this build writes.
        expected: u32,
    },
    /// Another process holds the store open.
    #[error("the local store {path} is open in another tipseal process: close that one first")]
    InUse {
        /// The store file.
        path: PathBuf,
    },
    /// The database engine failed (I/O, a full disk, a file that is not a store).
    #[error("the local store {path} could not be read or written: {source}")]
    Db {
        /// The store file.
        path: PathBuf,
        /// What redb reported.
        #[source]
        source: redb::Error,
    },
    /// Libsodium could not be initialised.
    #[error("the local store cannot be opened: {0}")]
    Crypto(#[from] crate::crypto::CryptoError),
}
