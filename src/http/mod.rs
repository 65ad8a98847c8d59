//! The HTTP server: actix-web routes over storage, with limits, auth and a safe log.
//!
//! Built as an [`Application`] from a bound listener, so tests start the real server on
//! port 0. It must never: read or log a client's address or User-Agent, set a cookie,
//! hold a key that opens a tip, or answer 201 before the tip is flushed to disk.

mod access_log;
pub mod audit_log;
mod body;
pub mod control;
mod disk;
mod error;
mod form_tokens;
mod in_flight;
mod intake;
mod intake_budget;
pub mod listen;
pub mod memory;
pub mod openapi;
mod periodic;
mod rate;
mod refusal_log;
mod retention;
mod routes;
mod sessions;
mod state;
mod watch;
mod web;

use std::path::PathBuf;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::{from_fn, DefaultHeaders};
use actix_web::{web as aweb, App, HttpServer};

pub use body::{BodyBudget, BodyRules};
pub use disk::{DiskFloor, DEFAULT_MIN_FREE_BYTES};
pub use error::ApiError;
pub use listen::{BindError, Listen, ListenParseError};
pub use rate::{Budget, RateSettings};
pub use routes::mailbox::ReplyRetention;
pub use state::{AppState, Limits};
pub use web::{OperatorText, OperatorTextError, WebSettings, DEFAULT_EXIT_URL, PAGE_CSP};

use crate::crypto::keyring::{check_extends, verify_chain, VerifiedKeyring};
use crate::domain::keyring::KeyringFile;
use crate::domain::limits::MAX_TIP_BYTES;
use crate::domain::KeyId;
use crate::storage::Store;

use periodic::{spawn_periodic, Periodic};

/// Default cap on a tip bundle: 32 MiB holds a report with a handful of photos; larger
/// files belong to chunked uploads.
pub const DEFAULT_MAX_BODY_BYTES: usize = 32 * 1024 * 1024;
/// Cap on JSON bodies (keyring, login): a keyring of hundreds of reviewers fits easily.
pub const MAX_JSON_BYTES: usize = 1024 * 1024;
/// Time allowed for a whole body: 32 MiB over a slow Tor circuit (~20 kB/s) takes ~28 min.
/// The minimum rate below, not this, is what frees a connection from a slow sender.
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(1800);
/// The first body byte must arrive within this, and every window this long must bring
/// at least [`DEFAULT_BODY_MIN_BYTES_PER_SEC`] × its length, or the request gets 408.
pub const DEFAULT_BODY_STALL: Duration = Duration::from_secs(10);
/// Slowest accepted body: 2 KiB/s, a tenth of a slow Tor circuit (~20–60 kB/s).
pub const DEFAULT_BODY_MIN_BYTES_PER_SEC: usize = 2048;
/// Request-body bytes held in memory at once, across every route and connection (plus
/// the uploads a submission reads back): a full budget answers 503 with Retry-After.
/// Three of the largest bodies fit in the three quarters bodies over 1 MiB may use; the
/// last quarter is kept for upload chunks and small bodies. It bounds memory under a
/// flood of held bodies
/// (a multipart form costs up to ~3× its bytes while parsed: `docs/limits.md`).
pub const DEFAULT_BODY_BUDGET_BYTES: usize = 128 * 1024 * 1024;
/// Declared bytes all unfinished uploads may reserve on disk: 4 GiB.
pub const DEFAULT_UPLOAD_BUDGET_BYTES: u64 = 4 * 1024 * 1024 * 1024;
/// An upload whose bytes have not grown for this long is freed (the sweep runs on a
/// timer). Requests that add no bytes (empty, wrong offset, past the end) do not count.
pub const DEFAULT_UPLOAD_IDLE: Duration = Duration::from_secs(3600);
/// After [`UPLOAD_GRACE`], an unfinished upload must have received 1 KiB per second of its
/// age, or it is freed: the largest (32 MiB) must then be done within ~9 h 20 min, where a
/// slow Tor circuit (~20 kB/s) needs half an hour. A byte now and then no longer keeps an
/// upload (and its share of the upload budget) for ever.
pub const DEFAULT_UPLOAD_MIN_BYTES_PER_SEC: u64 = 1024;
/// How long an upload may sit before [`DEFAULT_UPLOAD_MIN_BYTES_PER_SEC`] applies (at most
/// the idle time): a witness who creates an upload and loses the connection has this long
/// to start sending.
pub const UPLOAD_GRACE: Duration = Duration::from_secs(600);
/// Days an `Idempotency-Key` answers a retry with the first submission's id. A client
/// retries a lost answer within minutes or hours (a Tor circuit that dropped, a phone that
/// slept); a week covers a witness who comes back days later to resend, and then the key
/// is forgotten (swept at start-up) so the table does not grow for ever.
pub const IDEMPOTENCY_DAYS: i64 = 7;
/// Concurrent connections per worker: bounds memory under a flood.
pub const MAX_CONNECTIONS: usize = 1024;
/// Submissions processed at once; beyond this, 503 with Retry-After.
pub const INTAKE_SLOTS: usize = 64;

/// How to run the server.
#[derive(Clone, Debug)]
pub struct ServerSettings {
    /// Where to listen: TCP `HOST:PORT` or a Unix socket.
    pub listen: Listen,
    /// The sled data directory.
    pub data_dir: PathBuf,
    /// A keyring file to start from (or to update the stored one with).
    pub keyring_file: Option<PathBuf>,
    /// Admin key ids the genesis manifest must list exactly, each with a valid signature.
    pub pinned_admins: Option<Vec<KeyId>>,
    /// Largest accepted tip bundle.
    pub max_body_bytes: usize,
    /// Time allowed for a whole body.
    pub body_timeout: Duration,
    /// Deadline for the first body byte, and the window of the minimum rate.
    pub body_stall: Duration,
    /// Slowest accepted body, bytes per second (measured per `body_stall` window).
    pub body_min_bytes_per_sec: usize,
    /// Request-body bytes held in memory at once, all routes together.
    pub body_budget_bytes: usize,
    /// Largest whole tip (bundle plus uploads); capped at
    /// [`crate::domain::limits::MAX_TIP_BYTES`] so reviewers can always read it.
    pub max_tip_bytes: usize,
    /// Declared bytes all unfinished uploads may reserve.
    pub upload_budget_bytes: u64,
    /// An upload whose bytes have not grown for this long is freed.
    pub upload_idle: Duration,
    /// Bytes per second of its age an unfinished upload must have received after the
    /// grace, or it is freed (0: no minimum).
    pub upload_min_bytes_per_sec: u64,
    /// Worker threads (0 = one per core).
    pub workers: usize,
    /// What the witness page shows (onion address, quick-exit URL).
    pub web: WebSettings,
    /// What happens to a reply once the witness has read it.
    pub reply_retention: ReplyRetention,
    /// Free bytes the data directory's filesystem must keep; below it new submissions get
    /// 507 (0: no floor).
    pub min_free_bytes: u64,
    /// Bytes of the database's page cache.
    pub cache_bytes: u64,
    /// Write access-log lines for witness routes too (default off: a supervisor's
    /// timestamps on them would time witnesses' requests).
    pub log_witness_requests: bool,
    /// Token-bucket budgets per endpoint class (429 beyond them).
    pub rate: RateSettings,
    /// How often operator notices (keyring expiry, refusal counts, disk statistics) are
    /// written, on a timer from start-up, never from a request.
    pub notice_interval: Duration,
    /// How long things are kept before the retention sweep destroys them.
    pub retention: crate::domain::retention::RetentionPolicy,
}

impl ServerSettings {
    /// Defaults for a data directory.
    pub fn new(listen: Listen, data_dir: impl Into<PathBuf>) -> Self {
        Self {
            listen,
            data_dir: data_dir.into(),
            keyring_file: None,
            pinned_admins: None,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            body_timeout: DEFAULT_BODY_TIMEOUT,
            body_stall: DEFAULT_BODY_STALL,
            body_min_bytes_per_sec: DEFAULT_BODY_MIN_BYTES_PER_SEC,
            body_budget_bytes: DEFAULT_BODY_BUDGET_BYTES,
            max_tip_bytes: MAX_TIP_BYTES,
            upload_budget_bytes: DEFAULT_UPLOAD_BUDGET_BYTES,
            upload_idle: DEFAULT_UPLOAD_IDLE,
            upload_min_bytes_per_sec: DEFAULT_UPLOAD_MIN_BYTES_PER_SEC,
            workers: 0,
            web: WebSettings::default(),
            reply_retention: ReplyRetention::Keep,
            min_free_bytes: DEFAULT_MIN_FREE_BYTES,
            cache_bytes: crate::storage::DEFAULT_CACHE_BYTES,
            log_witness_requests: false,
            rate: RateSettings::default(),
            notice_interval: watch::DEFAULT_INTERVAL,
            retention: crate::domain::retention::RetentionPolicy::default(),
        }
    }
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// No keyring stored and none given.
    #[error("no keyring: create one with `tipseal admin init` and start with --keyring FILE (or try `tipseal serve --demo`)")]
    NoKeyring,
    /// The keyring file could not be read.
    #[error("cannot read the keyring file {0}: {1}")]
    KeyringFile(PathBuf, std::io::Error),
    /// The keyring did not verify.
    #[error("the keyring was refused: {0}")]
    Keyring(#[from] crate::crypto::CryptoError),
    /// Storage could not be opened.
    #[error("cannot open the data directory: {0}")]
    Storage(#[from] crate::storage::StorageError),
    /// The address could not be bound.
    #[error(transparent)]
    Bind(#[from] BindError),
}

/// A bound, ready-to-run server.
pub struct Application {
    port: u16,
    listening_on: String,
    socket_file: Option<listen::SocketFile>,
    server: Server,
    notice_interval: Duration,
}

impl Application {
    /// Opens storage, settles the keyring, binds the listener.
    pub fn build(settings: &ServerSettings) -> Result<Self, StartError> {
        crate::crypto::init()?;
        let store = Store::open_with_cache(
            &settings.data_dir,
            crate::crypto::random_bytes(),
            settings.cache_bytes,
        )?;
        let keyring = settle_keyring(&store, settings)?;
        sweep_uploads(&store)?;
        let limits = Limits {
            max_body_bytes: settings.max_body_bytes,
            max_json_bytes: MAX_JSON_BYTES,
            body_rules: BodyRules {
                overall: settings.body_timeout,
                stall: settings.body_stall,
                min_bytes_per_sec: settings.body_min_bytes_per_sec,
            },
            max_tip_bytes: settings.max_tip_bytes.min(MAX_TIP_BYTES),
            upload_budget_bytes: settings.upload_budget_bytes,
        };
        let state = aweb::Data::new(
            AppState::new(
                store,
                Some(keyring),
                settings.pinned_admins.clone(),
                limits,
                INTAKE_SLOTS,
                settings.body_budget_bytes,
            )
            .with_reply_retention(settings.reply_retention)
            .with_rate_limits(rate::RateLimits::new(&settings.rate))
            .with_disk_floor(DiskFloor::new(
                settings.data_dir.clone(),
                settings.min_free_bytes,
            )),
        );
        spawn_upload_sweep(
            state.clone(),
            crate::storage::UploadSweep {
                idle: settings.upload_idle,
                min_bytes_per_sec: settings.upload_min_bytes_per_sec,
                grace: UPLOAD_GRACE.min(settings.upload_idle),
            },
        );
        spawn_idempotency_sweep(state.clone());
        memory::spawn(state.clone());
        watch::spawn(state.clone(), settings.notice_interval);
        retention::spawn(state.clone(), settings.retention);
        // Without it the server still serves; only a live backup needs it (a path too
        // long for a Unix socket, a read-only directory): say so and go on.
        if let Err(e) = control::spawn(state.store.downgrade(), &settings.data_dir) {
            tracing::warn!(
                error = %e,
                "no control socket in the data directory: `tipseal admin backup` works \
                 only with the server stopped"
            );
        }
        let bound = settings.listen.bind()?;
        let (port, listening_on) = match (&bound, &settings.listen) {
            (listen::Bound::Tcp(l), Listen::Tcp { host, .. }) => {
                let port = l
                    .local_addr()
                    .map_err(|e| BindError::Tcp(settings.listen.to_string(), e))?
                    .port();
                (port, format!("http://{host}:{port}"))
            }
            _ => (0, settings.listen.to_string()),
        };
        let web_settings = aweb::Data::new(settings.web.clone());
        let access_log = aweb::Data::new(access_log::AccessLog {
            witness_routes: settings.log_witness_requests,
        });
        let json_limit = MAX_JSON_BYTES;
        let mut server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .app_data(
                    aweb::JsonConfig::default()
                        .limit(json_limit)
                        .error_handler(|_, _| {
                            ApiError::BadRequest("the JSON body is malformed or too large").into()
                        }),
                )
                .app_data(
                    aweb::PathConfig::default()
                        .error_handler(|_, _| ApiError::BadRequest("the path is malformed").into()),
                )
                .wrap(from_fn(rate::limit))
                .app_data(aweb::QueryConfig::default().error_handler(|_, _| {
                    ApiError::BadRequest("the query string is malformed").into()
                }))
                .wrap(security_headers())
                .wrap(from_fn(access_log::log_request))
                .wrap(from_fn(web::head_as_get))
                .app_data(access_log.clone())
                .app_data(web_settings.clone())
                .configure(routes::configure)
                .configure(web::configure)
                .default_service(aweb::to(web::fallback))
        })
        .max_connections(MAX_CONNECTIONS)
        // Without it a streamed answer (a tip fetched in stored pieces) waits on Nagle's
        // algorithm meeting the client's delayed ACK: ~20 ms per fetch on loopback, which
        // made a reviewer's sync of 10,000 tips take a minute. (A Unix socket has no Nagle
        // delay; the timeouts and the connection cap below apply to both listeners.)
        .tcp_nodelay(true)
        .keep_alive(Duration::from_secs(5))
        .client_request_timeout(Duration::from_secs(10))
        .client_disconnect_timeout(Duration::from_secs(2))
        .shutdown_timeout(10);
        if settings.workers > 0 {
            server = server.workers(settings.workers);
        }
        let (server, socket_file) = match bound {
            listen::Bound::Tcp(l) => (server.listen(l), None),
            listen::Bound::Unix(l, file) => (server.listen_uds(l), Some(file)),
        };
        let server = server
            .map_err(|e| match &settings.listen {
                Listen::Unix(path) => BindError::Unix(path.clone(), e),
                Listen::Tcp { .. } => BindError::Tcp(settings.listen.to_string(), e),
            })?
            .run();
        Ok(Self {
            port,
            listening_on,
            socket_file,
            server,
            notice_interval: settings.notice_interval,
        })
    }

    /// The bound port (useful with port 0); 0 on a Unix socket.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Where it listens, as the start-up line says it: `http://HOST:PORT` (the bound
    /// port) or `unix:PATH`.
    pub fn listening_on(&self) -> &str {
        &self.listening_on
    }

    /// Runs until SIGTERM/SIGINT, then drains in-flight requests.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let result = self.server.await;
        // Refusals since the last summary tick.
        refusal_log::flush(self.notice_interval);
        if let Some(file) = &self.socket_file {
            file.remove();
        }
        result
    }
}

/// Headers on every response. No cookies are ever set; nothing is cacheable; nothing
/// may frame or fetch on our behalf.
fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add(("Cache-Control", "no-store"))
        .add(("Referrer-Policy", "no-referrer"))
        .add(("X-Content-Type-Options", "nosniff"))
        .add((
            "Content-Security-Policy",
            "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
        ))
        .add(("X-Frame-Options", "DENY"))
        .add(("Cross-Origin-Resource-Policy", "same-origin"))
}

/// Chooses the keyring to serve: the stored one, a newer one from `--keyring`, or the
/// file's on a fresh start. Refuses to start without one.
fn settle_keyring(store: &Store, s: &ServerSettings) -> Result<VerifiedKeyring, StartError> {
    let pins = s.pinned_admins.as_deref();
    let stored = match store.keyring()? {
        Some(bytes) => Some(verify_chain(&parse_keyring(&bytes)?, pins)?),
        None => None,
    };
    let from_file = match &s.keyring_file {
        Some(path) => {
            let bytes =
                std::fs::read(path).map_err(|e| StartError::KeyringFile(path.clone(), e))?;
            Some(verify_chain(&parse_keyring(&bytes)?, pins)?)
        }
        None => None,
    };
    let chosen = match (stored, from_file) {
        (None, None) => return Err(StartError::NoKeyring),
        (Some(st), None) => return Ok(st),
        (None, Some(f)) => f,
        (Some(st), Some(f)) => {
            if f.epoch() <= st.epoch() {
                tracing::info!(
                    stored = st.epoch().get(),
                    file = f.epoch().get(),
                    "keeping the stored keyring: the file is not newer"
                );
                return Ok(st);
            }
            check_extends(&st, &f)?;
            f
        }
    };
    let old = store.keyring()?;
    store.replace_keyring(old.as_deref(), &chosen.to_json())?;
    audit_log::record(
        store,
        "keyring_loaded",
        None,
        format!(
            "epoch {} from the --keyring file at start-up",
            chosen.epoch()
        ),
    )?;
    store.durable_blocking()?;
    Ok(chosen)
}

/// Start-up: removes uploads older than a day. (What an interrupted removal left, files
/// without a record and records without a file, was removed when the store opened.)
fn sweep_uploads(store: &Store) -> Result<(), StartError> {
    let yesterday = crate::domain::Day::today().plus_days(-1);
    let sweep =
        || -> Result<usize, crate::storage::UploadError> { store.expire_uploads(yesterday) };
    match sweep() {
        Ok(_) => Ok(store.durable_blocking()?),
        Err(crate::storage::UploadError::Storage(e)) => Err(e.into()),
        Err(_) => Ok(()),
    }
}

/// Frees idle uploads and unfinished ones behind the minimum rate, on a timer (not only
/// at creation or start-up), so abandoned or barely fed uploads cannot hold the upload
/// budget for long. Runs on the server's runtime until it stops.
fn spawn_upload_sweep(state: aweb::Data<AppState>, rules: crate::storage::UploadSweep) {
    let every =
        (rules.idle.min(rules.grace) / 4).clamp(Duration::from_secs(1), Duration::from_secs(300));
    let periodic = Periodic {
        what: "the upload sweep",
        every,
        changed: |n: &usize| *n > 0,
        report: |n: &usize| tracing::info!(uploads = *n, "freed idle unfinished uploads"),
    };
    spawn_periodic(state, periodic, move |store| {
        // Idle ones, and (as at start-up) any created before yesterday.
        let yesterday = crate::domain::Day::today().plus_days(-1);
        Ok::<_, crate::storage::UploadError>(
            store.sweep_idle_uploads(rules, std::time::Instant::now())?
                + store.expire_uploads(yesterday)?,
        )
    });
}

/// How often idempotency keys older than [`IDEMPOTENCY_DAYS`] are forgotten.
const IDEMPOTENCY_SWEEP_EVERY: Duration = Duration::from_secs(24 * 3600);

/// Forgets idempotency keys of tips older than [`IDEMPOTENCY_DAYS`]: right after start-up
/// unless a sweep already ran that UTC day, then daily, on a blocking thread of the
/// server's runtime. Not before the server listens: the sweep walks every key (a week of
/// keyed tips), and start-up must not grow with what is stored. Serving meanwhile is
/// safe: a key the sweep has not reached yet answers a retry as it did before the
/// restart, which is what a week's grace means.
fn spawn_idempotency_sweep(state: aweb::Data<AppState>) {
    let periodic = Periodic {
        what: "the idempotency sweep",
        every: IDEMPOTENCY_SWEEP_EVERY,
        changed: |n: &Option<usize>| n.is_some_and(|n| n > 0),
        report: |n: &Option<usize>| {
            tracing::info!(
                keys = n.unwrap_or(0),
                "forgot idempotency keys older than a week"
            )
        },
    };
    spawn_periodic(state, periodic, |store| {
        store.expire_idempotency_daily(crate::domain::Day::today(), IDEMPOTENCY_DAYS)
    });
}

fn parse_keyring(bytes: &[u8]) -> Result<KeyringFile, StartError> {
    KeyringFile::from_json(bytes).map_err(|e| StartError::Keyring(e.into()))
}

#[cfg(test)]
mod tests {
    use super::MAX_CONNECTIONS;

    /// `deploy/tipseal.service` must give the process enough file descriptors for every
    /// worker's connection cap, with room for storage and the listener.
    #[test]
    fn the_systemd_unit_has_file_descriptors_for_the_connection_cap() {
        let unit = include_str!("../../deploy/tipseal.service");
        let value = |key: &str| -> Option<usize> {
            unit.lines()
                .filter(|l| !l.trim_start().starts_with('#'))
                .find_map(|l| l.split(key).nth(1))
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|v| v.parse().ok())
        };
        let workers = value("--workers ").expect("the unit pins --workers");
        let nofile = value("LimitNOFILE=").expect("the unit sets LimitNOFILE");
        assert!(
            nofile >= workers * MAX_CONNECTIONS + 256,
            "LimitNOFILE={nofile} is too low for {workers} workers of {MAX_CONNECTIONS} connections"
        );
    }
}
