//! The HTTP transport shared by the witness's and the reviewer's faces: a blocking client
//! for the tipseal API (`api`), where it connects (`net`: server address and proxy), the
//! keyring trust memory (`trust`) and the resumable uploads of big parts (`upload`).
//!
//! It only ever sends sealed bytes, signatures and public data. Must never: open a tip,
//! print to a terminal, or know about command-line arguments.

pub mod api;
mod error;
pub mod net;
pub mod trust;
pub mod upload;

pub use api::Client;
pub use error::Error;
