//! tipseal: anonymous tip intake where the server never holds a key that opens a tip.
//!
//! # Layout
//! - [`domain`]: pure types and parsers (ids, tip schema, envelope structure, bundle
//!   framing, keyring manifests). No I/O, no crypto, imports nothing else from the crate.
//! - [`crypto`]: the only user of libsodium: envelope seal/open, identities and key
//!   files, keyring signatures, login signatures, token hashing.
//! - [`storage`]: sled — tips, wraps, keyring, idempotency keys, audit chain; group commit.
//! - [`http`]: the actix-web server — routes, auth, limits, the access log, error mapping.
//! - [`reviewer`]: libraries for the reviewer's machine (cross-script matching); no I/O.
//! - [`cli`]: the `tipseal` command line — keygen, admin, serve, submit, review.
//!
//! Dependencies point inwards: `cli` → `http` → `storage`/`crypto` → `domain`.
//! See `docs/architecture.md` for the formats and the API.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod cli;
pub mod crypto;
pub mod domain;
pub mod http;
pub mod reviewer;
pub mod storage;
