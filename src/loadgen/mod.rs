//! `tipseal bench`: a load generator for the intake path that can be trusted.
//!
//! It starts the real server as a separate process (or targets `--server URL`), measures
//! the disk's own `fdatasync` limit in the same directory first, pre-seals realistic
//! bundles before the clock starts, then drives N keep-alive clients for a bounded time
//! and counts only durable acknowledgements (201). Figures: see [`report::Report`] and
//! `BENCHMARKS.md`.
//!
//! Layout: [`fixture`] (team and bundles) → [`disk`] (the limit, directory sizes) →
//! [`preload`] (stored tips) → [`server`] (the process, its memory) → [`load`] (clients,
//! [`histogram`]) → [`modes`] (attachment, listing) → [`report`].
//!
//! It must never assert a performance target (figures are read, not gated), never run
//! on a data directory it did not create, and never leave its server process behind.

mod cpu;
mod disk;
mod fixture;
mod histogram;
mod load;
mod modes;
mod preload;
mod rawhttp;
mod report;
mod rundir;
mod server;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub use disk::{probe as probe_disk, DiskLimit};
pub use preload::{insert_sealed, SPREAD_DAYS};
pub use report::Report;

use crate::cli::CliError;
use crate::client::Client;
use server::{RssSampler, ServerProcess};

/// How long the server is left alone after the load before its idle memory is read.
const SETTLE: Duration = Duration::from_secs(3);
/// Duration of the batched part of the disk probe (the single-record part takes half).
const PROBE: Duration = Duration::from_secs(2);

/// What to measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// Text tips (~16.5 KB bundles) from N clients.
    Text,
    /// 64 MiB of attachments (two files of the largest size) through the uploads API.
    Attachment,
    /// Text tips with `--stored` tips already stored.
    Stored,
    /// Start-up time of the server with `--stored` tips stored.
    Startup,
    /// The reviewers' listing and fetches with `--stored` tips stored.
    Listing,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Text => "text",
            Mode::Attachment => "attachment",
            Mode::Stored => "stored",
            Mode::Startup => "startup",
            Mode::Listing => "listing",
        }
    }

    fn needs_stored(self) -> bool {
        matches!(self, Mode::Stored | Mode::Startup | Mode::Listing)
    }
}

/// Which HTTP client the load's threads use. `Raw` spent ~0.09 ms of CPU per request
/// where `ureq` spent ~0.25 (debug builds, BENCHMARKS.md), so it is the default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Http {
    /// `ureq` agents, as the `tipseal` commands use.
    Ureq,
    /// A minimal HTTP/1.1 client over `TcpStream`, to see what `ureq` costs.
    Raw,
}

/// A run's settings, as `tipseal bench` parsed them.
#[derive(Debug, Clone)]
pub struct Options {
    /// Concurrent clients.
    pub clients: usize,
    /// Seconds of load.
    pub seconds: f64,
    /// What to measure.
    pub mode: Mode,
    /// An already running server to target instead of starting one.
    pub server: Option<String>,
    /// Parent of the run's temporary directory: put it on the disk to measure.
    pub data: Option<PathBuf>,
    /// Tips to store before the server starts (stored, startup, listing).
    pub stored: u64,
    /// The load's HTTP client.
    pub http: Http,
}

/// Why a run failed. Each names what it was doing.
#[derive(Debug, thiserror::Error)]
pub enum LoadgenError {
    /// A file or directory operation failed.
    #[error("{0} ({1}): {2}")]
    Io(&'static str, PathBuf, std::io::Error),
    /// The server process did not come up.
    #[error("the server under test did not start: {0}")]
    ServerStart(String),
    /// A client operation (keyring, login, listing, sealing) failed.
    #[error("{0}")]
    Client(Box<CliError>),
    /// Key or keyring generation failed.
    #[error(transparent)]
    Crypto(#[from] crate::crypto::CryptoError),
    /// Storing the preloaded tips failed.
    #[error("storing the preloaded tips failed: {0}")]
    Storage(#[from] crate::storage::StorageError),
    /// The preload stopped for another reason.
    #[error("storing the preloaded tips failed: {0}")]
    Preload(&'static str),
    /// The options do not make sense together.
    #[error("{0}")]
    Usage(String),
}

impl From<crate::client::Error> for LoadgenError {
    fn from(e: crate::client::Error) -> Self {
        LoadgenError::Client(Box::new(CliError::from(e)))
    }
}

impl From<CliError> for LoadgenError {
    fn from(e: CliError) -> Self {
        LoadgenError::Client(Box::new(e))
    }
}

/// Runs one measurement and returns its figures.
pub fn run(opts: &Options) -> Result<Report, LoadgenError> {
    if opts.server.is_some() && opts.mode != Mode::Text {
        return Err(LoadgenError::Usage(
            "--server URL measures text tips only: the other modes need a data directory \
             and a reviewer of their own (drop --server)"
                .into(),
        ));
    }
    if opts.http == Http::Raw
        && opts
            .server
            .as_ref()
            .is_some_and(|u| !u.starts_with("http://"))
    {
        return Err(LoadgenError::Usage(
            "--http raw speaks plain http:// only: give an http:// --server URL or use \
             --http ureq"
                .into(),
        ));
    }
    let parent = opts.data.clone().unwrap_or_else(std::env::temp_dir);
    let run_dir = rundir::RunDir::create(&parent)?;
    let mut report = Report {
        mode: opts.mode.name().into(),
        clients: opts.clients,
        seconds: opts.seconds,
        http: match opts.http {
            Http::Ureq => "ureq",
            Http::Raw => "raw",
        }
        .into(),
        cores: std::thread::available_parallelism().map_or(0, |n| n.get()),
        ..Report::default()
    };
    let key_prefix = format!("bench-{}", hex::encode(crate::crypto::random_bytes::<6>()));

    // Everything before the clock: team, bundles, the disk's limit, stored tips.
    let (team, keyring) = match &opts.server {
        Some(url) => (None, Client::new(url, None)?.keyring()?),
        None => {
            let (team, keyring) = fixture::make_team(run_dir.path())?;
            (Some(team), keyring)
        }
    };
    let pool = Arc::new(fixture::seal_pool(&keyring, fixture::POOL)?);
    report.bundle_bytes = pool[0].len();
    let limit = disk::probe(run_dir.path(), report.bundle_bytes, PROBE, PROBE / 2)?;
    report.disk_limit_records_per_s = limit.batched_records_per_s;
    report.disk_single_fdatasync_per_s = limit.single_fdatasync_per_s;

    let data_dir = run_dir.path().join("data");
    if opts.mode.needs_stored() && opts.server.is_none() {
        report.preload_s = Some(preload::fill(&data_dir, &pool, opts.stored)?.as_secs_f64());
        report.stored_tips = opts.stored;
    }
    // Startup mode starts the server twice: the first start also has sled replay the log
    // written since the data directory was last opened (the whole preload); the second is
    // an ordinary restart, what the server's own start-up work costs.
    let mut first_start = None;
    if let (Mode::Startup, None, Some(team)) = (opts.mode, &opts.server, &team) {
        let first = ServerProcess::start(
            &data_dir,
            &team.keyring_file,
            run_dir.path().join("server-first.log"),
        )?;
        first_start = Some(first.startup);
        // Killed and reaped: the kernel frees sled's lock on the directory.
        drop(first);
    }
    let own = match (&opts.server, &team) {
        (None, Some(team)) => Some(ServerProcess::start(
            &data_dir,
            &team.keyring_file,
            run_dir.path().join("server.log"),
        )?),
        _ => None,
    };
    let base = match (&own, &opts.server) {
        (Some(s), _) => s.url.clone(),
        (None, Some(url)) => url.trim_end_matches('/').to_owned(),
        (None, None) => unreachable!("either a --server URL or an own server"),
    };
    report.target = opts.server.clone().unwrap_or_else(|| "own server".into());
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    report.startup_ms = first_start.or(own.as_ref().map(|s| s.startup)).map(ms);
    report.restart_ms = first_start.and(own.as_ref().map(|s| ms(s.startup)));
    let pid = own.as_ref().map(ServerProcess::pid);
    report.server_idle_rss_kib = pid.and_then(server::rss).map(|r| r.now_kib);

    let sampler = pid.map(RssSampler::start);
    let disk_before = own.as_ref().map(|_| disk::allocated_bytes(&data_dir));
    match opts.mode {
        Mode::Text | Mode::Stored => {
            let run_for = Duration::from_secs_f64(opts.seconds.max(0.1));
            let cpu_before = (
                cpu::cpu_time(None),
                pid.and_then(|p| cpu::cpu_time(Some(p))),
            );
            let result = load::run(
                &base,
                &pool,
                opts.clients.max(1),
                run_for,
                &key_prefix,
                opts.http,
            );
            let per_tip = |before: Option<Duration>, after: Option<Duration>| {
                let spent = after?.checked_sub(before?)?;
                (result.acked() > 0).then(|| spent.as_secs_f64() * 1e3 / result.acked() as f64)
            };
            report.client_cpu_ms_per_tip = per_tip(cpu_before.0, cpu::cpu_time(None));
            report.server_cpu_ms_per_tip =
                per_tip(cpu_before.1, pid.and_then(|p| cpu::cpu_time(Some(p))));
            report.tips = result.acked();
            report.tips_per_s = Some(result.tips_per_s());
            report.p50_ms = Some(result.latencies.quantile_ms(0.50));
            report.p99_ms = Some(result.latencies.quantile_ms(0.99));
            report.max_ms = Some(result.latencies.max_ms());
            report.ratio_to_disk_limit =
                Some(result.tips_per_s() / limit.batched_records_per_s.max(1e-9));
            report.errors = result.errors;
            if let Some(before) = disk_before {
                if report.tips > 0 {
                    let grown = disk::allocated_bytes(&data_dir).saturating_sub(before);
                    let per_tip = grown as f64 / report.tips as f64;
                    report.disk_bytes_per_tip = Some(per_tip);
                    report.disk_ratio_to_bundle = Some(per_tip / report.bundle_bytes as f64);
                }
            }
        }
        Mode::Attachment => {
            let idle = report.server_idle_rss_kib;
            let a = modes::attachment(&base, &keyring, &key_prefix, pid)?;
            report.tips = 1;
            report.attachment_bytes = Some(a.sealed_bytes);
            report.attachment_mb_per_s =
                Some(a.sealed_bytes as f64 / 1e6 / a.elapsed.as_secs_f64());
            report.attachment_patch_ms = Some(a.uploads.as_secs_f64() * 1e3);
            report.attachment_post_ms =
                Some(a.elapsed.saturating_sub(a.uploads).as_secs_f64() * 1e3);
            report.attachment_patch_rss_growth_kib = a
                .peak_after_uploads_kib
                .zip(idle)
                .map(|(p, i)| p.saturating_sub(i));
            let peak = pid.and_then(server::rss).map(|r| r.peak_kib);
            report.attachment_rss_growth_kib = peak.zip(idle).map(|(p, i)| p.saturating_sub(i));
        }
        Mode::Startup => {}
        Mode::Listing => {
            // `--server` was refused above for this mode, so the run has its own team.
            let team = team.as_ref().ok_or_else(|| {
                LoadgenError::Usage("the listing mode needs a server of its own".into())
            })?;
            let l = modes::listing(&base, &team.reviewer)?;
            report.listing_ms = Some(l.page_p50.as_secs_f64() * 1e3);
            report.listing_max_ms = Some(l.page_max.as_secs_f64() * 1e3);
            report.listing_rows = Some(l.rows);
            report.listing_walk_ms = Some(l.walk.as_secs_f64() * 1e3);
            report.tips_listed = Some(l.walked);
            report.fetch_p50_ms = Some(l.fetch_p50.as_secs_f64() * 1e3);
        }
    }
    if let (Some(sampler), Some(pid)) = (sampler, pid) {
        let sampled = sampler.stop();
        let hwm = server::rss(pid).map_or(0, |r| r.peak_kib);
        report.server_peak_rss_kib = Some(sampled.max(hwm));
        std::thread::sleep(SETTLE);
        let last = server::rss(pid);
        report.server_final_rss_kib = last.map(|r| r.now_kib);
        report.server_final_rss_anon_kib = last.and_then(|r| r.anon_kib);
        report.server_final_rss_file_kib = last.and_then(|r| r.file_kib);
    }
    if let (Some(team), Mode::Text) = (&team, opts.mode) {
        report.tips_listed = Some(modes::count_tips(&base, &team.reviewer)?);
    }
    drop(own);
    Ok(report)
}
