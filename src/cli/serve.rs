//! `tipseal serve`: the configuration's layers (file, environment, flags), logging
//! set-up and the server's start.

use std::io::Write;
use std::path::PathBuf;

use tracing_subscriber::EnvFilter;

use crate::http::{Application, Budget, ServerSettings};
use crate::ops::config::Config;

use super::keys::read_public;
use super::{demo, CliError};

/// Arguments of `tipseal serve`. Every setting flag is optional: a flag given wins over
/// the environment (`TIPSEAL_<SECTION>_<KEY>`), which wins over `--config FILE`, which
/// wins over the built-in default (see `deploy/tipseal.toml` for each option).
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Configuration file (TOML; every option with its default: deploy/tipseal.toml).
    /// Unknown or invalid options are refused, naming them.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Print the configuration in force (defaults < file < environment < flags) as TOML,
    /// and exit without starting.
    #[arg(long)]
    print_config: bool,
    /// Address to listen on [server.listen; default 127.0.0.1:8080]. Keep it on loopback
    /// behind a Tor onion service (see deploy/).
    #[arg(long)]
    listen: Option<String>,
    /// Data directory (sled database) [server.data; default tipseal-data]. One server
    /// process per directory.
    #[arg(long)]
    data: Option<PathBuf>,
    /// Keyring file to start with (needed once; later keyrings arrive by `admin publish`)
    /// [server.keyring].
    #[arg(long)]
    keyring: Option<PathBuf>,
    /// Pin the admin key(s) (.pub files, repeat for each): the keyring's genesis must list
    /// exactly these admins and be signed by each of them [server.admin_pub].
    #[arg(long = "admin-pub")]
    admin_pub: Vec<PathBuf>,
    /// Zero-configuration demo: throwaway identities in ./tipseal-demo/, then a full
    /// submit-and-review run against this server.
    #[arg(long)]
    demo: bool,
    /// Seconds allowed to receive a whole request body (later bodies get 408)
    /// [limits.body_timeout_secs; default 1800].
    #[arg(long)]
    body_timeout_secs: Option<u64>,
    /// Seconds to the first body byte, and the window of the minimum rate: a body that
    /// brings less than --body-min-rate × this in any such window gets 408
    /// [limits.body_stall_secs; default 10].
    #[arg(long)]
    body_stall_secs: Option<u64>,
    /// Slowest accepted request body, in bytes per second (per --body-stall-secs window)
    /// [limits.body_min_rate; default 2048].
    #[arg(long)]
    body_min_rate: Option<usize>,
    /// Request-body bytes held in memory at once, all routes and connections together
    /// (beyond it: 503 with Retry-After) [limits.body_budget_bytes; default 128 MiB].
    #[arg(long)]
    body_budget_bytes: Option<usize>,
    /// Largest whole tip (bundle plus uploads) in bytes; at most the built-in maximum
    /// that reviewers' clients read (docs/limits.md). Larger tips get 413
    /// [limits.max_tip_bytes; default 72 MiB].
    #[arg(long)]
    max_tip_bytes: Option<usize>,
    /// Declared bytes all unfinished uploads may reserve together (beyond it: 503 with
    /// Retry-After) [limits.upload_budget_bytes; default 4 GiB].
    #[arg(long)]
    upload_budget_bytes: Option<u64>,
    /// Seconds after which an upload whose bytes have not grown is freed (requests that
    /// add no bytes do not count) [limits.upload_idle_secs; default 3600].
    #[arg(long)]
    upload_idle_secs: Option<u64>,
    /// Bytes per second of its age an unfinished upload must have received once its
    /// grace (10 minutes, at most --upload-idle-secs) is over, or it is freed (0: none)
    /// [limits.upload_min_rate; default 1024].
    #[arg(long)]
    upload_min_rate: Option<u64>,
    /// Largest accepted tip bundle in bytes (larger get 413) [limits.max_body_bytes;
    /// default 32 MiB].
    #[arg(long)]
    max_body_bytes: Option<usize>,
    /// Worker threads [server.workers; default 0: one per core].
    #[arg(long)]
    workers: Option<usize>,
    /// The onion address to show witnesses on the page, e.g. abc…xyz.onion [page.onion].
    #[arg(long)]
    onion: Option<String>,
    /// Where the page's quick-exit button leaves for (http or https URL)
    /// [page.exit_url; default https://www.wikipedia.org/].
    #[arg(long)]
    exit_url: Option<String>,
    /// The organisation's name, shown to witnesses (default: "the organisation", in
    /// the page's language). One line, at most 300 characters [page.org_name].
    #[arg(long)]
    org_name: Option<String>,
    /// What a witness in danger should do or whom to contact, shown on the page as
    /// written (default: a sentence in the page's language advising local emergency
    /// services). One line, at most 300 characters [page.safety_contact].
    #[arg(long)]
    safety_contact: Option<String>,
    /// What happens to a reply once its witness has read it: `keep` or
    /// `delete-after-read` (the witness is told which applies)
    /// [server.reply_retention; default keep].
    #[arg(long, value_parser = ["keep", "delete-after-read"])]
    reply_retention: Option<String>,
    /// Free bytes the data directory's disk must keep: below this, new tips, uploads and
    /// follow-ups are refused with 507 until space is freed (0 turns the floor off)
    /// [server.min_free_bytes; default 512 MiB].
    #[arg(long)]
    min_free_bytes: Option<u64>,
    /// Bytes of the database's page cache, as sled counts them (the memory it holds is
    /// ~1.5× this): less memory kept after a flood, slower intake once the stored tips'
    /// index outgrows it [server.cache_bytes; default 6 MiB].
    #[arg(long)]
    cache_bytes: Option<u64>,
    /// Also write access-log lines for witness routes (the page, submissions, uploads,
    /// the mailbox). Debugging only: a supervisor such as journald timestamps every
    /// line, which would time witnesses' requests. Reviewers' and admins' routes are
    /// always logged [log.witness_requests].
    #[arg(long)]
    log_witness_requests: bool,
    /// Seconds between operator notices (keyring expiry, counts of refused requests, an
    /// unreadable disk statistic). They are written on this timer from start-up, never
    /// from a request, so their times say nothing about when witnesses came
    /// [log.notice_interval_secs; default 60].
    #[arg(long)]
    notice_interval_secs: Option<u64>,
    /// Budget of anonymous submissions (tips, uploads, the no-JavaScript form and mailbox
    /// page), shared by every witness: PER_SECOND:BURST, or `off`. Beyond it: 429
    /// [rate.intake; default 50:500].
    #[arg(long)]
    rate_intake: Option<Budget>,
    /// Budget of anonymous reads (pages, assets, keyring, health): PER_SECOND:BURST or
    /// `off` [rate.reads; default 200:2000].
    #[arg(long)]
    rate_reads: Option<Budget>,
    /// Budget of keyring uploads (`admin publish`): PER_SECOND:BURST or `off`
    /// [rate.publish; default 2:20].
    #[arg(long)]
    rate_publish: Option<Budget>,
    /// Each reviewer's or admin's own budget, per key, which anonymous traffic cannot
    /// spend: PER_SECOND:BURST or `off` [rate.staff; default 100:1000].
    #[arg(long)]
    rate_staff: Option<Budget>,
    /// Each witness mailbox's own budget (logins, reads, messages): PER_SECOND:BURST or
    /// `off` [rate.mailbox; default 2:30].
    #[arg(long)]
    rate_mailbox: Option<Budget>,
    /// Retention: days after closing before reviewers' clients delete a closed or
    /// dismissed tip (0: never). Reviewers' clients read it; the server cannot see status
    /// [retention.closed_tip_days; default 90].
    #[arg(long)]
    retention_closed_tip_days: Option<u32>,
    /// Retention: days an unread reply waits in a witness's mailbox before it is deleted
    /// (0: never) [retention.unread_reply_days; default 30].
    #[arg(long)]
    retention_unread_reply_days: Option<u32>,
    /// Retention: hours an unfinished upload is kept before its chunks are deleted
    /// (0: never by age; the idle and rate rules still apply)
    /// [retention.unfinished_upload_hours; default 24].
    #[arg(long)]
    retention_unfinished_upload_hours: Option<u32>,
    /// Retention: days after receipt before any tip is deleted, whatever its status
    /// (0: never) [retention.max_tip_age_days; default 0].
    #[arg(long)]
    retention_max_tip_age_days: Option<u32>,
    /// Retention: minutes between the server's retention sweeps (0: no sweep)
    /// [retention.schedule_minutes; default 60].
    #[arg(long)]
    retention_schedule_minutes: Option<u32>,
}

impl Args {
    /// The flags given, written over `c` (flags win over everything else).
    fn apply_to(&self, c: &mut Config) {
        fn set<T: Clone>(slot: &mut T, flag: &Option<T>) {
            if let Some(v) = flag {
                *slot = v.clone();
            }
        }
        fn set_opt<T: Clone>(slot: &mut Option<T>, flag: &Option<T>) {
            if flag.is_some() {
                slot.clone_from(flag);
            }
        }
        let budget = |b: &Option<Budget>| b.map(|b| b.to_string());
        set(&mut c.server.listen, &self.listen);
        set(&mut c.server.data, &self.data);
        set_opt(&mut c.server.keyring, &self.keyring);
        if !self.admin_pub.is_empty() {
            c.server.admin_pub.clone_from(&self.admin_pub);
        }
        set(&mut c.server.workers, &self.workers);
        set(&mut c.server.min_free_bytes, &self.min_free_bytes);
        set(&mut c.server.cache_bytes, &self.cache_bytes);
        set(&mut c.server.reply_retention, &self.reply_retention);
        set(&mut c.limits.body_timeout_secs, &self.body_timeout_secs);
        set(&mut c.limits.body_stall_secs, &self.body_stall_secs);
        set(&mut c.limits.body_min_rate, &self.body_min_rate);
        set(&mut c.limits.body_budget_bytes, &self.body_budget_bytes);
        set(&mut c.limits.max_tip_bytes, &self.max_tip_bytes);
        set(&mut c.limits.upload_budget_bytes, &self.upload_budget_bytes);
        set(&mut c.limits.upload_idle_secs, &self.upload_idle_secs);
        set(&mut c.limits.upload_min_rate, &self.upload_min_rate);
        set(&mut c.limits.max_body_bytes, &self.max_body_bytes);
        set_opt(&mut c.page.onion, &self.onion);
        set(&mut c.page.exit_url, &self.exit_url);
        set_opt(&mut c.page.org_name, &self.org_name);
        set_opt(&mut c.page.safety_contact, &self.safety_contact);
        if self.log_witness_requests {
            c.log.witness_requests = true;
        }
        set(&mut c.log.notice_interval_secs, &self.notice_interval_secs);
        set(&mut c.rate.intake, &budget(&self.rate_intake));
        set(&mut c.rate.reads, &budget(&self.rate_reads));
        set(&mut c.rate.publish, &budget(&self.rate_publish));
        set(&mut c.rate.staff, &budget(&self.rate_staff));
        set(&mut c.rate.mailbox, &budget(&self.rate_mailbox));
        let r = &mut c.retention;
        set(&mut r.closed_tip_days, &self.retention_closed_tip_days);
        set(&mut r.unread_reply_days, &self.retention_unread_reply_days);
        set(
            &mut r.unfinished_upload_hours,
            &self.retention_unfinished_upload_hours,
        );
        set(&mut r.max_tip_age_days, &self.retention_max_tip_age_days);
        set(&mut r.schedule_minutes, &self.retention_schedule_minutes);
    }
}

/// Defaults < `--config FILE` < environment < flags, as one checked [`Config`].
pub(super) fn effective_config(
    file: Option<&std::path::Path>,
    flags: Option<&Args>,
) -> Result<Config, CliError> {
    let mut c = Config::load(file, std::env::vars()).map_err(|e| CliError::Usage(e.to_string()))?;
    if let Some(a) = flags {
        a.apply_to(&mut c);
    }
    Ok(c)
}

/// Reads an admin `.pub` file for a pin, refusing a secret key file in its place.
pub(super) fn admin_key_id(path: &std::path::Path) -> Result<crate::domain::KeyId, String> {
    read_public(path).map(|k| k.id).map_err(|e| e.to_string())
}

/// Runs `tipseal serve`.
pub fn run(a: Args) -> Result<(), CliError> {
    let config = effective_config(a.config.as_deref(), Some(&a))?;
    if a.print_config {
        print!("{}", config.to_toml());
        return Ok(());
    }
    init_logging();
    let mut settings = config
        .to_settings(&admin_key_id)
        .map_err(|e| CliError::Usage(e.to_string()))?;
    let demo = if a.demo {
        Some(demo::prepare(
            &mut settings,
            config.server.data != std::path::Path::new(crate::ops::config::DEFAULT_DATA),
        )?)
    } else {
        None
    };
    actix_web::rt::System::new().block_on(async move {
        let app = Application::build(&settings).map_err(|e| start_error(e, &settings))?;
        let url = app.listening_on().to_owned();
        println!("tipseal listening on {url}");
        let _ = std::io::stdout().flush();
        if let Some(d) = demo {
            std::thread::spawn(move || demo::show_flow(&d, &url));
        }
        app.run_until_stopped()
            .await
            .map_err(|e| CliError::Usage(format!("server stopped: {e}")))
    })
}

/// A start failure in words an operator acts on: a data directory another server holds
/// is said so (sled 0.34 reports a held lock only as I/O text, `storage::open_sled`).
fn start_error(e: crate::http::StartError, settings: &ServerSettings) -> CliError {
    match e {
        crate::http::StartError::Storage(s) if s.to_string().contains("could not acquire lock") => {
            CliError::Usage(format!(
                "another tipseal server is using the data directory {}: stop it, or choose \
                 another directory with --data",
                settings.data_dir.display()
            ))
        }
        other => other.into(),
    }
}

/// Logs go to stderr, without timestamps (the log must not time a witness's request;
/// supervisors add their own clock to what they keep), filtered by `TIPSEAL_LOG`.
fn init_logging() {
    let filter = EnvFilter::try_from_env("TIPSEAL_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .without_time()
        .with_ansi(false)
        .with_target(false)
        .with_env_filter(filter)
        .try_init();
}
