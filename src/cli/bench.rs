//! `tipseal bench`: arguments of the load generator (`crate::loadgen`), and its output.
//!
//! Presentation only: every measurement lives in `loadgen`.

use std::path::PathBuf;

use crate::loadgen::{self, Http, LoadgenError, Mode, Options};

use super::CliError;

/// Arguments of `tipseal bench`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Concurrent clients, each with its own keep-alive connection.
    #[arg(long, default_value_t = 64)]
    clients: usize,
    /// Seconds of load.
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
    /// What to measure.
    #[arg(long, value_enum, default_value_t = Mode::Text)]
    mode: Mode,
    /// Target this running server (text mode only) instead of starting one; it must
    /// not rate-limit intake (`serve --rate-intake off`) or its 429s count as errors.
    #[arg(long)]
    server: Option<String>,
    /// Directory on the disk to measure: the run's temporary data directory and the
    /// disk probe go under it (default: the system's temporary directory).
    #[arg(long)]
    data: Option<PathBuf>,
    /// Tips stored before the server starts (modes stored, startup, listing).
    #[arg(long, default_value_t = 1_000_000)]
    stored: u64,
    /// The clients' HTTP library: `raw`, a minimal HTTP/1.1 client (measured at ~2.6×
    /// less CPU per request than ureq: BENCHMARKS.md), or `ureq`, as the commands use.
    #[arg(long, value_enum, default_value_t = Http::Raw)]
    http: Http,
    /// Print exactly one line of JSON.
    #[arg(long)]
    json: bool,
}

/// Runs `tipseal bench`.
pub fn run(a: Args) -> Result<(), CliError> {
    if !(a.seconds > 0.0 && a.seconds.is_finite()) || a.clients == 0 {
        return Err(CliError::Usage(
            "--seconds must be above 0 and --clients at least 1".into(),
        ));
    }
    let opts = Options {
        clients: a.clients,
        seconds: a.seconds,
        mode: a.mode,
        server: a.server,
        data: a.data,
        stored: a.stored,
        http: a.http,
    };
    let report = loadgen::run(&opts).map_err(|e| match e {
        LoadgenError::Usage(m) => CliError::Usage(m),
        other => CliError::Bench(Box::new(other)),
    })?;
    if a.json {
        println!("{}", report.to_json_line());
    } else {
        print!("{}", report.to_table());
    }
    Ok(())
}
