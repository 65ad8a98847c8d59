//! The server's configuration file (`tipseal serve --config FILE`): every option, its
//! default and why.
//!
//! One TOML file, read once at start. Layers, the last one winning: built-in defaults,
//! the file, `TIPSEAL_<SECTION>_<KEY>` environment variables ([`env`]), then the
//! command-line flags (applied by `cli::serve`). An unknown or invalid option is refused
//! at start, naming it: a typo must never silently fall back to a default.
//!
//! It must never hold a secret (the file is meant to be readable by the operator and
//! kept in version control) and never read the clock or the network.

pub mod env;
pub mod schema;
mod settings;

pub use settings::read_admin_pub;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::domain::retention::RetentionPolicy;
use crate::http::{
    DEFAULT_BODY_BUDGET_BYTES, DEFAULT_BODY_MIN_BYTES_PER_SEC, DEFAULT_BODY_STALL,
    DEFAULT_BODY_TIMEOUT, DEFAULT_EXIT_URL, DEFAULT_MAX_BODY_BYTES, DEFAULT_MIN_FREE_BYTES,
    DEFAULT_UPLOAD_BUDGET_BYTES, DEFAULT_UPLOAD_IDLE, DEFAULT_UPLOAD_MIN_BYTES_PER_SEC,
};

pub use env::{EnvError, ENV_PREFIX};

/// The address `tipseal serve` listens on by default: loopback only, behind Tor.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// The data directory used when none is configured (relative to the working directory).
pub const DEFAULT_DATA: &str = "tipseal-data";
/// Seconds between operator notices by default.
pub const DEFAULT_NOTICE_INTERVAL_SECS: u64 = 60;

/// Every option of `tipseal serve`. The example `deploy/tipseal.toml` lists each of them
/// with its default (a test keeps the two in step).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// `[server]`: where to listen, where the data lives, which keyring to trust.
    pub server: ServerSection,
    /// `[limits]`: request-body and upload limits that protect memory and disk.
    pub limits: LimitsSection,
    /// `[page]`: what the witness page shows.
    pub page: PageSection,
    /// `[log]`: what reaches the log.
    pub log: LogSection,
    /// `[rate]`: token-bucket budgets per endpoint class, `PER_SECOND:BURST` or `off`.
    pub rate: RateSection,
    /// `[retention]`: how long tips, replies and uploads are kept before they are
    /// destroyed (see [`RetentionPolicy`] for each default and why).
    #[serde(serialize_with = "serialize_retention")]
    pub retention: RetentionPolicy,
}

/// [`RetentionPolicy`] is read-only (the `backup` branch's); `--print-config` writes it
/// field by field.
fn serialize_retention<S: serde::Serializer>(p: &RetentionPolicy, s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeStruct;
    let mut t = s.serialize_struct("RetentionPolicy", 5)?;
    t.serialize_field("closed_tip_days", &p.closed_tip_days)?;
    t.serialize_field("unread_reply_days", &p.unread_reply_days)?;
    t.serialize_field("unfinished_upload_hours", &p.unfinished_upload_hours)?;
    t.serialize_field("max_tip_age_days", &p.max_tip_age_days)?;
    t.serialize_field("schedule_minutes", &p.schedule_minutes)?;
    t.end()
}

/// `[server]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerSection {
    /// Address to listen on. Default `127.0.0.1:8080`: loopback only, reached through a
    /// Tor onion service; anything else accepts tips over clearnet (`tipseal doctor`
    /// warns).
    // Kept a string here so `--print-config` writes it back as given; `to_settings`
    // parses it with `http::Listen` (HOST:PORT or unix:PATH) and refuses a bad one.
    pub listen: String,
    /// Data directory (the sled database). Default `tipseal-data` in the working
    /// directory; a service should name an absolute path (`/var/lib/tipseal/data`). One
    /// server process per directory.
    pub data: PathBuf,
    /// Keyring file to start with. Default none: needed at the first start only; later
    /// keyrings arrive by `admin publish` and are stored in the data directory.
    pub keyring: Option<PathBuf>,
    /// Admin public keys (`.pub` files) the keyring's genesis must list exactly, each
    /// with a valid signature. Default none (trust on first start); pin them in
    /// production so a swapped keyring file is refused.
    pub admin_pub: Vec<PathBuf>,
    /// Worker threads. Default 0 (one per core). Pin it in a systemd unit so
    /// `LimitNOFILE` can be sized for workers × 1024 connections.
    pub workers: usize,
    /// Free bytes the data directory's disk must keep; below it new tips, uploads and
    /// follow-ups get 507 (0 turns the floor off). Default 512 MiB: room for sled
    /// to finish writing what it acknowledged.
    pub min_free_bytes: u64,
    /// Bytes of the database's page cache (sled). Default 6 MiB, which holds ~9 MiB of
    /// index nodes in memory once enough tips are stored; more keeps more memory after a
    /// flood and may speed intake over a large store a little (`BENCHMARKS.md`,
    /// "Session 31").
    pub cache_bytes: u64,
    /// What happens to a reply once its witness has read it: `keep` (default) or
    /// `delete-after-read`. The witness is told which applies.
    pub reply_retention: String,
}

impl Default for ServerSection {
    fn default() -> Self {
        Self {
            listen: DEFAULT_LISTEN.to_owned(),
            data: PathBuf::from(DEFAULT_DATA),
            keyring: None,
            admin_pub: Vec::new(),
            workers: 0,
            min_free_bytes: DEFAULT_MIN_FREE_BYTES,
            cache_bytes: crate::storage::DEFAULT_CACHE_BYTES,
            reply_retention: "keep".to_owned(),
        }
    }
}

/// `[limits]` (see `docs/limits.md` for why each number).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitsSection {
    /// Largest accepted tip bundle in bytes (larger get 413). Default 32 MiB: a report
    /// with a handful of photos; larger files go by chunked upload.
    pub max_body_bytes: usize,
    /// Largest whole tip (bundle plus uploads) in bytes, at most the built-in maximum
    /// reviewers' clients read. Default: that maximum.
    pub max_tip_bytes: usize,
    /// Seconds allowed to receive a whole body (408 after). Default 1800: 32 MiB over a
    /// slow Tor circuit.
    pub body_timeout_secs: u64,
    /// Seconds to the first body byte, and the window of the minimum rate. Default 10.
    pub body_stall_secs: u64,
    /// Slowest accepted body, bytes per second per window. Default 2048: a tenth of a
    /// slow Tor circuit.
    pub body_min_rate: usize,
    /// Request-body bytes held in memory at once, all routes together (503 beyond).
    /// Default 128 MiB.
    pub body_budget_bytes: usize,
    /// Declared bytes all unfinished uploads may reserve (503 beyond). Default 4 GiB.
    pub upload_budget_bytes: u64,
    /// Seconds after which an upload whose bytes have not grown is freed. Default 3600.
    pub upload_idle_secs: u64,
    /// Bytes per second of its age an unfinished upload must have received after its
    /// grace, or it is freed (0: none). Default 1024.
    pub upload_min_rate: u64,
}

impl Default for LimitsSection {
    fn default() -> Self {
        Self {
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            max_tip_bytes: crate::domain::limits::MAX_TIP_BYTES,
            body_timeout_secs: DEFAULT_BODY_TIMEOUT.as_secs(),
            body_stall_secs: DEFAULT_BODY_STALL.as_secs(),
            body_min_rate: DEFAULT_BODY_MIN_BYTES_PER_SEC,
            body_budget_bytes: DEFAULT_BODY_BUDGET_BYTES,
            upload_budget_bytes: DEFAULT_UPLOAD_BUDGET_BYTES,
            upload_idle_secs: DEFAULT_UPLOAD_IDLE.as_secs(),
            upload_min_rate: DEFAULT_UPLOAD_MIN_BYTES_PER_SEC,
        }
    }
}

/// `[page]`: what witnesses see.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PageSection {
    /// The onion address shown to witnesses (e.g. `abc…xyz.onion`). Default none.
    pub onion: Option<String>,
    /// Where the quick-exit button leaves for (http or https URL). Default
    /// `https://www.wikipedia.org/`: an innocuous page.
    pub exit_url: String,
    /// The organisation's name, one line of at most 300 characters. Default none (the
    /// page says "the organisation" in the witness's language).
    pub org_name: Option<String>,
    /// What a witness in danger should do, one line of at most 300 characters. Default
    /// none (a sentence advising local emergency services).
    pub safety_contact: Option<String>,
}

impl Default for PageSection {
    fn default() -> Self {
        Self {
            onion: None,
            exit_url: DEFAULT_EXIT_URL.to_owned(),
            org_name: None,
            safety_contact: None,
        }
    }
}

/// `[log]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogSection {
    /// Also log witness routes (the page, submissions, uploads, the mailbox). Default
    /// false, and keep it so: journald timestamps every line, which would time
    /// witnesses' requests. Debugging only.
    pub witness_requests: bool,
    /// Seconds between operator notices (keyring expiry, refusal counts), written on a
    /// timer, never from a request. Default 60.
    pub notice_interval_secs: u64,
}

impl Default for LogSection {
    fn default() -> Self {
        Self {
            witness_requests: false,
            notice_interval_secs: DEFAULT_NOTICE_INTERVAL_SECS,
        }
    }
}

/// `[rate]`: `PER_SECOND:BURST` or `off` (see `src/http/rate.rs` for why each default).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateSection {
    /// Anonymous submissions, shared by every witness. Default `50:500`.
    pub intake: String,
    /// Anonymous reads (pages, assets, keyring, health). Default `200:2000`.
    pub reads: String,
    /// Keyring uploads (`admin publish`). Default `2:20`.
    pub publish: String,
    /// Each reviewer's or admin's own budget. Default `100:1000`.
    pub staff: String,
    /// Each witness mailbox's own budget. Default `2:30`.
    pub mailbox: String,
}

impl Default for RateSection {
    fn default() -> Self {
        let d = crate::http::RateSettings::default();
        Self {
            intake: d.intake.to_string(),
            reads: d.reads.to_string(),
            publish: d.publish.to_string(),
            staff: d.staff.to_string(),
            mailbox: d.mailbox.to_string(),
        }
    }
}

/// Why the configuration was refused. Each names the file or the option concerned.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read the configuration file {0}: {1}")]
    Read(PathBuf, std::io::Error),
    /// The file is not valid TOML, or names an option that does not exist, or gives
    /// one a value of the wrong type (toml's message names the key and the line).
    #[error("the configuration file {0} was refused: {1}")]
    Parse(PathBuf, String),
    /// An option that does not exist, or a value of the wrong type.
    #[error("{origin}: {problem}")]
    Option {
        /// The file, or the environment variable, that said it.
        origin: String,
        /// Which option and what is wrong with it.
        problem: schema::OptionProblem,
    },
    /// An environment variable was refused.
    #[error(transparent)]
    Env(#[from] EnvError),
    /// An option has a value of the right type that is not allowed.
    #[error("the option {} is invalid: {why}", schema::full_name(option))]
    Invalid {
        /// `section.key`, as written in the file.
        option: &'static str,
        /// What is wrong and what to write instead.
        why: String,
    },
}

impl Config {
    /// Defaults, then `file` (if any), then the `TIPSEAL_<SECTION>_<KEY>` variables among
    /// `vars` (pass `std::env::vars()`; tests pass their own).
    pub fn load(
        file: Option<&Path>,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        let (mut table, origin) = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| ConfigError::Read(path.to_owned(), e))?;
                let table: toml::Table = toml::from_str(&text)
                    .map_err(|e| ConfigError::Parse(path.to_owned(), one_line(&e)))?;
                (table, path.to_owned())
            }
            None => (toml::Table::new(), PathBuf::from("(no file)")),
        };
        schema::check(&table).map_err(|problem| ConfigError::Option {
            origin: format!("the configuration file {}", origin.display()),
            problem,
        })?;
        env::apply(&mut table, vars)?;
        toml::Value::Table(table)
            .try_into()
            .map_err(|e: toml::de::Error| ConfigError::Parse(origin, one_line(&e)))
    }

    /// This configuration as a TOML document (`tipseal serve --print-config`).
    pub fn to_toml(&self) -> String {
        // Serialising plain strings, numbers and tables cannot fail.
        toml::to_string(self).unwrap_or_default()
    }
}

/// toml's messages span lines (a caret under the offending text); one line reads
/// better in a start-up error and a journal.
fn one_line(e: &toml::de::Error) -> String {
    let msg = e.message().trim().to_owned();
    match e.span() {
        Some(span) if span.start > 0 => format!("{msg} (at byte {})", span.start),
        _ => msg,
    }
}

#[cfg(test)]
mod tests;
