//! tipseal: anonymous tip intake where the server never holds a key that opens a tip.
//!
//! # Layout
//! - [`domain`]: pure types and parsers (ids, tip schema, envelope structure, bundle
//!   framing, keyring manifests). No I/O, no crypto, imports nothing else from the crate.
//! - [`crypto`]: the only user of libsodium: envelope seal/open, identities and key
//!   files, keyring signatures, login signatures, token hashing.
//! - [`storage`]: sled — tips, wraps, keyring, idempotency keys, audit chain; group commit.
//! - [`backup`]: backup files — a storage snapshot framed with a version, counts and an
//!   integrity hash; verified whole before a restore.
//! - [`http`]: the actix-web server — routes, auth, limits, the access log, error mapping.
//! - [`client`]: the HTTP transport every face shares — the API client, server address
//!   and proxy, keyring trust memory (pins, rollback, expiry), resumable uploads.
//! - [`reviewer`]: the reviewer's side as a library — connect, open tips and
//!   conversations, seal replies, re-wrap, and the workspace (local encrypted store,
//!   sync, search and filters, triage events) — for the CLI and the desk. No terminal,
//!   no arguments, no server.
//! - [`witness`]: the witness's side of a conversation — seal a follow-up, open the
//!   mailbox with the receipt's keys.
//! - [`desk`]: the reviewer's local web UI on 127.0.0.1, over a `DeskBackend` (the real
//!   one: `desk::LiveDesk`, over the reviewer's workspace).
//! - [`cli`]: the `tipseal` command line — arguments, prompts, printing and the files the
//!   user names; keygen, admin, serve, submit, review, followup.
//! - [`ops`]: running it as a service — the configuration file (`serve --config`) and
//!   `tipseal doctor`'s checks of a deployment. Reads files, never a secret key.
//! - [`loadgen`]: `tipseal bench`, the load generator: a server process, clients, figures.
//!   It sits beside `cli` (uses `crypto`'s sealing, the `client` transport, and `storage` to
//!   preload); only `cli::bench` calls it, and nothing else may depend on it.
//!
//! Dependencies point inwards: `cli` → `desk` → `reviewer`/`witness` → `client` →
//! `crypto` → `domain`; `cli` → `http` → `storage`/`crypto` → `domain`. The server
//! (`http`) never imports `client`, `reviewer` or `witness`.
//! See `docs/architecture.md` for the formats and the API.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod backup;
pub mod cli;
pub mod client;
pub mod crypto;
pub mod desk;
pub mod domain;
pub mod http;
pub mod loadgen;
pub mod ops;
pub mod reviewer;
pub mod storage;
pub mod witness;
