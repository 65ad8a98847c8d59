//! The reviewer's side, as a library both faces sit on (the `tipseal review` command line
//! now, the desk later): log in and accept the keyring (`session`), open tips and their
//! conversations on this machine (`open`), seal replies to a witness (`reply`) and move
//! everything readable to the current epoch (`rewrap`).
//!
//! It talks to the server only through `client`, and returns what happened as values
//! (opened tips, entries, reports, notes): it must never print, prompt, parse arguments,
//! serve HTTP, or send a plaintext or a secret key anywhere.

mod error;
pub mod open;
pub mod reply;
pub mod rewrap;
pub mod session;

pub use error::Error;
