//! `tipseal doctor`: checks a deployment and says in one plain sentence per check what
//! is right or wrong, and what to do about it.
//!
//! Every check is a function of a [`Deployment`] (what the configuration says) and a
//! [`Context`] (who runs the check, what day the clock says) so tests can set both. The
//! checks read public files and file metadata only: they must never open the sled
//! database (the running server holds its lock), read a secret key, or touch the
//! network. Printing is `cli::doctor`'s job.

mod files;
mod keys;
mod network;

use std::path::PathBuf;

use crate::domain::Day;
use crate::ops::config::Config;

/// Days before a keyring's expiry from which the doctor warns (the server and
/// `admin publish` warn from the same day).
pub const EXPIRY_WARNING_DAYS: i64 = 14;

/// The verdict of one check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    /// Nothing to check (the input was not given).
    Skipped,
    /// As it should be.
    Ok,
    /// Works, but weaker than it should be, or soon will not work.
    Warn,
    /// Wrong: fix it before taking tips.
    Fail,
}

/// Which check a finding comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    /// Data directory ownership and permissions.
    DataDir,
    /// Keyring validity and expiry.
    Keyring,
    /// Admin keys pinned.
    AdminPins,
    /// The listening address.
    Listen,
    /// What reaches the log.
    Logs,
    /// Free disk on the data directory's file system.
    Disk,
    /// Clock sanity.
    Clock,
    /// The Tor onion service's configuration.
    Tor,
}

impl Check {
    /// A short label for the printed report.
    pub fn label(self) -> &'static str {
        match self {
            Check::DataDir => "data directory",
            Check::Keyring => "keyring",
            Check::AdminPins => "admin pins",
            Check::Listen => "listen address",
            Check::Logs => "logs",
            Check::Disk => "free disk",
            Check::Clock => "clock",
            Check::Tor => "tor",
        }
    }
}

/// One check's result: its verdict and a sentence saying why and what to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// Which check.
    pub check: Check,
    /// Its verdict.
    pub verdict: Verdict,
    /// One or two plain sentences.
    pub sentence: String,
}

impl Finding {
    fn new(check: Check, verdict: Verdict, sentence: impl Into<String>) -> Self {
        Self {
            check,
            verdict,
            sentence: sentence.into(),
        }
    }
}

/// What is checked: the settings a server would start with, plus a Tor configuration.
#[derive(Clone, Debug)]
pub struct Deployment {
    /// The data directory.
    pub data: PathBuf,
    /// The keyring file, if one is configured.
    pub keyring: Option<PathBuf>,
    /// Pinned admin `.pub` files.
    pub admin_pub: Vec<PathBuf>,
    /// The listen address (`host:port` or `unix:PATH`).
    pub listen: String,
    /// Whether witness routes are logged.
    pub log_witness_requests: bool,
    /// The log filter (`TIPSEAL_LOG`), if set.
    pub log_filter: Option<String>,
    /// The disk floor, bytes.
    pub min_free_bytes: u64,
    /// A torrc to check, if given.
    pub torrc: Option<PathBuf>,
}

impl Deployment {
    /// What a configuration says (its `[server]` and `[log]`), with no torrc.
    pub fn from_config(c: &Config) -> Self {
        Self {
            data: c.server.data.clone(),
            keyring: c.server.keyring.clone(),
            admin_pub: c.server.admin_pub.clone(),
            listen: c.server.listen.clone(),
            log_witness_requests: c.log.witness_requests,
            log_filter: None,
            min_free_bytes: c.server.min_free_bytes,
            torrc: None,
        }
    }
}

/// Who runs the check and when.
#[derive(Clone, Copy, Debug)]
pub struct Context {
    /// The effective user id the check runs as (the service's user, ideally).
    pub uid: u32,
    /// Today, by this machine's clock.
    pub today: Day,
}

impl Context {
    /// This process's user and today's date.
    pub fn here() -> Self {
        Self {
            uid: rustix::process::geteuid().as_raw(),
            today: Day::today(),
        }
    }
}

/// Runs every check, in a fixed order.
pub fn run(d: &Deployment, ctx: &Context) -> Vec<Finding> {
    vec![
        files::data_dir(d, ctx),
        keys::keyring(d, ctx),
        keys::admin_pins(d),
        network::listen(d),
        network::logs(d),
        files::disk(d),
        keys::clock(d, ctx),
        network::tor(d),
    ]
}

/// Whether any finding says something is wrong.
pub fn any_failed(findings: &[Finding]) -> bool {
    findings.iter().any(|f| f.verdict == Verdict::Fail)
}
