//! Shared helpers for the integration tests: they drive the real `tipseal` binary and
//! talk raw HTTP to a server booted on port 0 with a temporary data directory.
//!
//! - `cli`: run `tipseal …` (with a timeout), submit, review list/show/rewrap
//! - `server`: `spawn_server` → `ServerGuard` (port 0, temp data dir, log captured)
//! - `team`: `setup_team` → admin + reviewer keys and a keyring; add, revoke, rotate, publish
//! - `http`: raw HTTP/1.1 requests, optionally from a chosen source address
//! - `search`: find bytes in a directory tree or a log
//! - `unix`: `spawn_unix_server` on `--listen unix:PATH`, raw HTTP over it, a TCP relay
//! - `samples`: the shared sample tips and random attachments
//! - `web`: the witness page and uploads API (multipart bodies, headers, split bundles)
//! - `library`: the only place that uses the tipseal library (sealing raw bundles,
//!   checking grants) — a renamed library function is a one-line fix there
#![allow(dead_code)]

mod cli;
mod http;
mod library;
mod samples;
mod search;
mod server;
mod team;
mod unix;
mod web;

// Each test binary uses a different subset of these.
#[allow(unused_imports)]
pub use cli::*;
#[allow(unused_imports)]
pub use http::*;
#[allow(unused_imports)]
pub use library::*;
#[allow(unused_imports)]
pub use samples::*;
#[allow(unused_imports)]
pub use search::*;
#[allow(unused_imports)]
pub use server::*;
#[allow(unused_imports)]
pub use team::*;
#[allow(unused_imports)]
pub use unix::*;
#[allow(unused_imports)]
pub use web::*;

/// The passphrase every test key is encrypted with.
pub const PASSPHRASE: &str = "correct horse battery staple, test only";
