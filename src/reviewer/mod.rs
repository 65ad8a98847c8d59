//! The reviewer's side of tipseal, on the reviewer's own machine: the local encrypted
//! store and search over the tips it holds.
//!
//! Must never: send anything to the server by itself, or keep a plaintext copy of a tip
//! anywhere but inside the encrypted store and in memory.

pub mod search;
pub mod store;
