//! `tipseal serve`: logging set-up and the server's start.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use tracing_subscriber::EnvFilter;

use crate::domain::retention::RetentionPolicy;
use crate::http::{
    Application, Budget, Listen, OperatorText, RateSettings, ServerSettings, DEFAULT_MAX_BODY_BYTES,
};

use super::keys::read_public;
use super::{demo, CliError};

/// Arguments of `tipseal serve`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Where to listen: HOST:PORT, or unix:PATH for a Unix socket (mode 0660) that the
    /// onion service reaches with no TCP port. Keep TCP on loopback (see deploy/).
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: Listen,
    /// Data directory (sled database). One server process per directory.
    #[arg(long, default_value = "tipseal-data")]
    data: PathBuf,
    /// Keyring file to start with (needed once; later keyrings arrive by `admin publish`).
    #[arg(long)]
    keyring: Option<PathBuf>,
    /// Pin the admin key(s) (.pub files, repeat for each): the keyring's genesis must list
    /// exactly these admins and be signed by each of them.
    #[arg(long = "admin-pub")]
    admin_pub: Vec<PathBuf>,
    /// Zero-configuration demo: throwaway identities in ./tipseal-demo/, then a full
    /// submit-and-review run against this server.
    #[arg(long)]
    demo: bool,
    /// Seconds allowed to receive a whole request body (later bodies get 408).
    #[arg(long, default_value_t = crate::http::DEFAULT_BODY_TIMEOUT.as_secs())]
    body_timeout_secs: u64,
    /// Seconds to the first body byte, and the window of the minimum rate: a body that
    /// brings less than --body-min-rate × this in any such window gets 408.
    #[arg(long, default_value_t = crate::http::DEFAULT_BODY_STALL.as_secs())]
    body_stall_secs: u64,
    /// Slowest accepted request body, in bytes per second (per --body-stall-secs window).
    #[arg(long, default_value_t = crate::http::DEFAULT_BODY_MIN_BYTES_PER_SEC)]
    body_min_rate: usize,
    /// Request-body bytes held in memory at once, all routes and connections together
    /// (beyond it: 503 with Retry-After).
    #[arg(long, default_value_t = crate::http::DEFAULT_BODY_BUDGET_BYTES)]
    body_budget_bytes: usize,
    /// Largest whole tip (bundle plus uploads) in bytes; at most the built-in maximum
    /// that reviewers' clients read (docs/limits.md). Larger tips get 413.
    #[arg(long, default_value_t = crate::domain::limits::MAX_TIP_BYTES)]
    max_tip_bytes: usize,
    /// Declared bytes all unfinished uploads may reserve together (beyond it: 503 with
    /// Retry-After).
    #[arg(long, default_value_t = crate::http::DEFAULT_UPLOAD_BUDGET_BYTES)]
    upload_budget_bytes: u64,
    /// Seconds after which an upload whose bytes have not grown is freed (requests that
    /// add no bytes do not count).
    #[arg(long, default_value_t = crate::http::DEFAULT_UPLOAD_IDLE.as_secs())]
    upload_idle_secs: u64,
    /// Bytes per second of its age an unfinished upload must have received once its
    /// grace (10 minutes, at most --upload-idle-secs) is over, or it is freed (0: none).
    #[arg(long, default_value_t = crate::http::DEFAULT_UPLOAD_MIN_BYTES_PER_SEC)]
    upload_min_rate: u64,
    /// Largest accepted tip bundle in bytes (larger get 413).
    #[arg(long, default_value_t = DEFAULT_MAX_BODY_BYTES)]
    max_body_bytes: usize,
    /// Worker threads (default: one per core).
    #[arg(long, default_value_t = 0)]
    workers: usize,
    /// The onion address to show witnesses on the page, e.g. abc…xyz.onion.
    #[arg(long)]
    onion: Option<String>,
    /// Where the page's quick-exit button leaves for (http or https URL).
    #[arg(long, default_value = crate::http::DEFAULT_EXIT_URL)]
    exit_url: String,
    /// The organisation's name, shown to witnesses (default: "the organisation", in
    /// the page's language). One line, at most 300 characters.
    #[arg(long)]
    org_name: Option<String>,
    /// What a witness in danger should do or whom to contact, shown on the page as
    /// written (default: a sentence in the page's language advising local emergency
    /// services). One line, at most 300 characters.
    #[arg(long)]
    safety_contact: Option<String>,
    /// What happens to a reply once its witness has read it: `keep` or
    /// `delete-after-read` (the witness is told which applies).
    #[arg(long, default_value = "keep", value_parser = ["keep", "delete-after-read"])]
    reply_retention: String,
    /// Free bytes the data directory's disk must keep: below this, new tips, uploads and
    /// follow-ups are refused with 507 until space is freed (0 turns the floor off).
    #[arg(long, default_value_t = crate::http::DEFAULT_MIN_FREE_BYTES)]
    min_free_bytes: u64,
    /// Also write access-log lines for witness routes (the page, submissions, uploads,
    /// the mailbox). Debugging only: a supervisor such as journald timestamps every
    /// line, which would time witnesses' requests. Reviewers' and admins' routes are
    /// always logged.
    #[arg(long)]
    log_witness_requests: bool,
    /// Seconds between operator notices (keyring expiry, counts of refused requests, an
    /// unreadable disk statistic). They are written on this timer from start-up, never
    /// from a request, so their times say nothing about when witnesses came.
    #[arg(long, default_value_t = 60)]
    notice_interval_secs: u64,
    /// Budget of anonymous submissions (tips, uploads, the no-JavaScript form and mailbox
    /// page), shared by every witness: PER_SECOND:BURST, or `off`. Beyond it: 429.
    #[arg(long, default_value_t = RateSettings::default().intake)]
    rate_intake: Budget,
    /// Budget of anonymous reads (pages, assets, keyring, health): PER_SECOND:BURST or `off`.
    #[arg(long, default_value_t = RateSettings::default().reads)]
    rate_reads: Budget,
    /// Budget of keyring uploads (`admin publish`): PER_SECOND:BURST or `off`.
    #[arg(long, default_value_t = RateSettings::default().publish)]
    rate_publish: Budget,
    /// Each reviewer's or admin's own budget, per key, which anonymous traffic cannot
    /// spend: PER_SECOND:BURST or `off`.
    #[arg(long, default_value_t = RateSettings::default().staff)]
    rate_staff: Budget,
    /// Each witness mailbox's own budget (logins, reads, messages): PER_SECOND:BURST or `off`.
    #[arg(long, default_value_t = RateSettings::default().mailbox)]
    rate_mailbox: Budget,
    /// Retention: days after closing before reviewers' clients delete a closed or
    /// dismissed tip (0: never). Reviewers' clients read it; the server cannot see status.
    #[arg(long, default_value_t = RetentionPolicy::default().closed_tip_days)]
    retention_closed_tip_days: u32,
    /// Retention: days an unread reply waits in a witness's mailbox before it is deleted
    /// (0: never).
    #[arg(long, default_value_t = RetentionPolicy::default().unread_reply_days)]
    retention_unread_reply_days: u32,
    /// Retention: hours an unfinished upload is kept before its chunks are deleted
    /// (0: never by age; the idle and rate rules still apply).
    #[arg(long, default_value_t = RetentionPolicy::default().unfinished_upload_hours)]
    retention_unfinished_upload_hours: u32,
    /// Retention: days after receipt before any tip is deleted, whatever its status
    /// (0, the default: never).
    #[arg(long, default_value_t = RetentionPolicy::default().max_tip_age_days)]
    retention_max_tip_age_days: u32,
    /// Retention: minutes between the server's retention sweeps (0: no sweep).
    #[arg(long, default_value_t = RetentionPolicy::default().schedule_minutes)]
    retention_schedule_minutes: u32,
}

/// Runs `tipseal serve`.
pub fn run(a: Args) -> Result<(), CliError> {
    init_logging();
    let mut settings = ServerSettings::new(a.listen.clone(), a.data.clone());
    settings.keyring_file = a.keyring.clone();
    settings.body_timeout = Duration::from_secs(a.body_timeout_secs.max(1));
    settings.max_body_bytes = a.max_body_bytes;
    settings.body_stall = Duration::from_secs(a.body_stall_secs.max(1));
    settings.body_min_bytes_per_sec = a.body_min_rate;
    settings.body_budget_bytes = a.body_budget_bytes;
    settings.max_tip_bytes = a.max_tip_bytes;
    settings.upload_budget_bytes = a.upload_budget_bytes;
    settings.upload_idle = Duration::from_secs(a.upload_idle_secs.max(1));
    settings.upload_min_bytes_per_sec = a.upload_min_rate;
    settings.workers = a.workers;
    settings.min_free_bytes = a.min_free_bytes;
    settings.log_witness_requests = a.log_witness_requests;
    settings.notice_interval = Duration::from_secs(a.notice_interval_secs.max(1));
    settings.rate = RateSettings {
        intake: a.rate_intake,
        reads: a.rate_reads,
        publish: a.rate_publish,
        staff: a.rate_staff,
        mailbox: a.rate_mailbox,
    };
    settings.retention = RetentionPolicy {
        closed_tip_days: a.retention_closed_tip_days,
        unread_reply_days: a.retention_unread_reply_days,
        unfinished_upload_hours: a.retention_unfinished_upload_hours,
        max_tip_age_days: a.retention_max_tip_age_days,
        schedule_minutes: a.retention_schedule_minutes,
    };
    if !(a.exit_url.starts_with("https://") || a.exit_url.starts_with("http://")) {
        return Err(CliError::Usage(
            "--exit-url must be an http:// or https:// URL".into(),
        ));
    }
    settings.web.onion = a.onion.clone().filter(|o| !o.trim().is_empty());
    settings.web.exit_url = a.exit_url.clone();
    let operator_text = |flag, v: &Option<String>| {
        v.as_deref()
            .map(|v| OperatorText::parse(flag, v))
            .transpose()
            .map_err(|e| CliError::Usage(e.to_string()))
    };
    settings.web.org_name = operator_text("--org-name", &a.org_name)?;
    settings.web.safety_contact = operator_text("--safety-contact", &a.safety_contact)?;
    settings.reply_retention =
        crate::http::ReplyRetention::parse(&a.reply_retention).unwrap_or_default();
    if !a.admin_pub.is_empty() {
        let ids = a
            .admin_pub
            .iter()
            .map(|p| read_public(p).map(|k| k.id))
            .collect::<Result<Vec<_>, _>>()?;
        settings.pinned_admins = Some(ids);
    }
    let demo = if a.demo {
        Some(demo::prepare(
            &mut settings,
            a.data != std::path::Path::new("tipseal-data"),
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
