//! The reviewer's side: libraries that run on the reviewer's machine, on decrypted data that never leaves it.

pub mod matching;
