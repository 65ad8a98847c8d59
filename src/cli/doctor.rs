//! `tipseal doctor`: prints one line per check of a deployment and exits non-zero when
//! one failed. The checks themselves are `ops::doctor`'s; this only gathers the inputs
//! (the same layers as `serve`: defaults, `--config`, environment, these flags) and
//! prints.

use std::path::PathBuf;

use crate::ops::doctor::{self, Context, Deployment, Verdict};

use super::CliError;

/// Arguments of `tipseal doctor`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The server's configuration file (as given to `serve --config`).
    #[arg(long)]
    config: Option<PathBuf>,
    /// The data directory (overrides the configuration's server.data).
    #[arg(long)]
    data: Option<PathBuf>,
    /// The keyring file (overrides the configuration's server.keyring).
    #[arg(long)]
    keyring: Option<PathBuf>,
    /// Pinned admin .pub files (repeat; override the configuration's server.admin_pub).
    #[arg(long = "admin-pub")]
    admin_pub: Vec<PathBuf>,
    /// The Tor configuration holding the onion service (e.g. /etc/tor/torrc).
    #[arg(long)]
    torrc: Option<PathBuf>,
}

/// Runs `tipseal doctor`.
pub fn run(a: Args) -> Result<(), CliError> {
    let config = super::serve::effective_config(a.config.as_deref(), None)?;
    let mut d = Deployment::from_config(&config);
    if let Some(p) = a.data {
        d.data = p;
    }
    if a.keyring.is_some() {
        d.keyring = a.keyring;
    }
    if !a.admin_pub.is_empty() {
        d.admin_pub = a.admin_pub;
    }
    d.torrc = a.torrc;
    d.log_filter = std::env::var("TIPSEAL_LOG").ok();
    let findings = doctor::run(&d, &Context::here());
    for f in &findings {
        let mark = match f.verdict {
            Verdict::Ok => "ok  ",
            Verdict::Skipped => "skip",
            Verdict::Warn => "WARN",
            Verdict::Fail => "FAIL",
        };
        println!("{mark} {}: {}", f.check.label(), f.sentence);
    }
    let failed = findings
        .iter()
        .filter(|f| f.verdict == Verdict::Fail)
        .count();
    if failed > 0 {
        return Err(CliError::Usage(format!(
            "{failed} check(s) failed: fix what the FAIL lines say, then run the doctor again"
        )));
    }
    Ok(())
}
