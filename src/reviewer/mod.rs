//! The reviewer's side, as a library both faces sit on (the `tipseal review` command line
//! and the desk): log in and accept the keyring (`session`), open tips and their
//! conversations on this machine (`open`), seal replies to a witness (`reply`), move
//! everything readable to the current epoch (`rewrap`), and the workspace
//! (`workspace`, `sync`, `triage`): the local encrypted store (`store`) kept in sync
//! with the server, searched and filtered in memory (`search`), and the team's sealed
//! triage events.
//!
//! It talks to the server only through `client`, and returns what happened as values
//! (opened tips, entries, reports, notes): it must never print, prompt, parse arguments,
//! serve HTTP, send a plaintext or a secret key anywhere, or keep a plaintext copy of a
//! tip anywhere but inside the encrypted store and in memory.

pub mod cases;
pub mod conversation;
mod entries;
mod error;
pub mod export;
pub mod figures;
pub mod listing;
pub mod local;
pub mod matching;
pub mod open;
mod remote;
pub mod reply;
pub mod retention;
pub mod rewrap;
pub mod search;
pub mod session;
pub mod store;
pub mod sync;
pub mod triage;
pub mod workspace;

pub use error::Error;
