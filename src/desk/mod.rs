//! The reviewer's desk: a web UI that tipseal serves on the reviewer's own machine, to
//! their own browser, over the reviewer's local data (see `docs/desk.md`).
//!
//! - [`backend`]: the [`DeskBackend`] trait, the desk's only way to the data.
//! - [`model`]: the JSON types the UI and the backend exchange.
//! - [`server`]: [`serve`] binds 127.0.0.1 and builds the app.
//! - `guard`: Host check, one-time token → session cookie, Origin + JSON for changes.
//! - `session`: the token and the in-memory sessions.
//! - `api`: the `/api/` routes; `assets`: the embedded `web/desk/` files.
//! - `live` / `live_cases`: the backend over the reviewer's workspace (tips, triage; cases,
//!   figures, exports).
//! - [`error`]: [`DeskError`] and its HTTP answer.
//!
//! Must never: listen beyond 127.0.0.1, answer without a session (except the token
//! exchange), load anything from another origin, or write a tip's plaintext to disk — except a
//! case export the reviewer asked for, into the folder they typed, after the plaintext
//! warning (the same signed export as `tipseal review export --case ID`).

mod api;
mod assets;
pub mod backend;
pub mod error;
mod guard;
pub mod live;
mod live_cases;
pub mod model;
pub mod server;
mod session;

pub use backend::DeskBackend;
pub use error::DeskError;
pub use live::LiveDesk;
pub use server::{serve, Desk, CSP};
