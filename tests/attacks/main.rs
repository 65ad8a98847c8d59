//! The attack suite: one test per attack that once broke a promise (issue 7), each
//! against the real server (a child process on port 0 with small limits), with bounded
//! counts and time, on loopback only. Every test asserts that legitimate witnesses and
//! reviewers keep succeeding while the attack runs, not only that the attack is refused.
//!
//! - `keyring`: forged, rolled-back and expired keyrings against the clients and server
//! - `bodies`: slow and held bodies, abandoned and duplicated uploads, oversized tips
//! - `intake_budget`: big tips sent back to back to keep the intake byte budget spent
//! - `control`: another local user at the control socket and the data directory
//! - `floods`: challenge, login and session floods; the rate limiter's budgets
//! - `privacy`: replayed submissions, metadata that fails to parse, what the disk and log keep
//! - `retention`: the server's own retention sweep, on its timer, while witnesses submit
//! - `threads`: a conversation grown until it cannot be read (the thread bomb); replies
//!   to an expired keyring

#[path = "../common/mod.rs"]
mod common;

mod bodies;
mod control;
mod floods;
mod intake_budget;
mod keyring;
mod privacy;
mod retention;
mod threads;
