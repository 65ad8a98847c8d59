//! Running tipseal as a service: the configuration file and the deployment check.
//!
//! - [`config`]: the one TOML file of server settings (defaults, environment overrides,
//!   validation into [`crate::http::ServerSettings`]).
//! - [`doctor`]: checks a deployment (data directory, keyring, listening address, logs,
//!   disk, clock, Tor) and says in a sentence what is wrong.
//!
//! Nothing here prints or reads the command line: `cli::serve` and `cli::doctor` do. It
//! must never need a secret key: the doctor reads public files only.

pub mod config;
pub mod doctor;
