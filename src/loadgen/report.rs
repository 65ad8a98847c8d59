//! The figures of one run, printed as one line of JSON (`--json`) or a readable table.
//!
//! Every key is always present, `null` where the mode or the target does not measure it
//! (e.g. memory when `--server URL` names a process this run cannot see). It must never
//! print anything about the tips' content.

use std::collections::BTreeMap;

use serde::Serialize;

/// One run's figures. Times in milliseconds, memory in KiB, rates per second.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Report {
    /// `text`, `attachment`, `stored`, `startup` or `listing`.
    pub mode: String,
    /// Concurrent clients of the load phase.
    pub clients: usize,
    /// Seconds the load phase was asked to run.
    pub seconds: f64,
    /// The load's HTTP client: `ureq` or `raw`.
    pub http: String,
    /// Bytes of one pre-sealed bundle on the wire.
    pub bundle_bytes: usize,
    /// Tips stored through the storage layer before the server started.
    pub stored_tips: u64,
    /// Durably acknowledged (201) tips of the load phase.
    pub tips: u64,
    /// `tips` per second of wall time.
    pub tips_per_s: Option<f64>,
    /// Median latency of an acknowledged tip.
    pub p50_ms: Option<f64>,
    /// 99th percentile latency.
    pub p99_ms: Option<f64>,
    /// Slowest acknowledged tip.
    pub max_ms: Option<f64>,
    /// Failed requests by HTTP status and error code (`503 busy`), or `transport`.
    pub errors: BTreeMap<String, u64>,
    /// Tips the reviewers' listing shows after the load (text mode, own server).
    pub tips_listed: Option<u64>,
    /// Server's resident memory before the load.
    pub server_idle_rss_kib: Option<u64>,
    /// Highest resident memory of the server during the run (sampled and VmHWM).
    pub server_peak_rss_kib: Option<u64>,
    /// Resident memory a few seconds after the load ended.
    pub server_final_rss_kib: Option<u64>,
    /// Of `server_final_rss_kib`, the server's own memory (`RssAnon`: heap, stacks).
    pub server_final_rss_anon_kib: Option<u64>,
    /// Of `server_final_rss_kib`, pages mapped from the executable and its libraries
    /// (`RssFile`): read-only code and data, not what a burst left behind.
    pub server_final_rss_file_kib: Option<u64>,
    /// Growth of the data directory's allocated bytes per acknowledged tip.
    pub disk_bytes_per_tip: Option<f64>,
    /// `disk_bytes_per_tip` / `bundle_bytes`.
    pub disk_ratio_to_bundle: Option<f64>,
    /// Records of `bundle_bytes` the disk made durable per second, 64 per fdatasync.
    pub disk_limit_records_per_s: f64,
    /// fdatasync per second of one record each.
    pub disk_single_fdatasync_per_s: f64,
    /// `tips_per_s` / `disk_limit_records_per_s`.
    pub ratio_to_disk_limit: Option<f64>,
    /// CPU time (user + system) the load generator spent per acknowledged tip: if it
    /// nears the server's, the client is part of what is measured.
    pub client_cpu_ms_per_tip: Option<f64>,
    /// CPU time the server process spent per acknowledged tip (own server only).
    pub server_cpu_ms_per_tip: Option<f64>,
    /// CPU cores this machine offers (client and server share them).
    pub cores: usize,
    /// Seconds spent storing `stored_tips` before the server started.
    pub preload_s: Option<f64>,
    /// From spawning `serve` to its first 200 on `/api/v1/health` (the first start, in
    /// startup mode).
    pub startup_ms: Option<f64>,
    /// Startup mode: stopping that server and starting it again on the same data, so
    /// sled has nothing left to replay — the server's own start-up work.
    pub restart_ms: Option<f64>,
    /// Median of 20 `GET /api/v1/tips` pages of the default 500 rows, at cursors spread
    /// over the listing, by the run's reviewer (listing mode).
    pub listing_ms: Option<f64>,
    /// The slowest of those pages.
    pub listing_max_ms: Option<f64>,
    /// Rows in the first page.
    pub listing_rows: Option<u64>,
    /// Walking every page to the end, 1,000 rows a page, as a reviewer's sync does
    /// (listing mode); the rows seen are `tips_listed`.
    pub listing_walk_ms: Option<f64>,
    /// Median time to fetch one tip (listing mode).
    pub fetch_p50_ms: Option<f64>,
    /// Bytes of the sealed attachment sent through the uploads API (attachment mode).
    pub attachment_bytes: Option<u64>,
    /// Sealed megabytes (10^6) per second, from the first upload request to the 201.
    pub attachment_mb_per_s: Option<f64>,
    /// Server peak memory during the upload minus its memory before it.
    pub attachment_rss_growth_kib: Option<u64>,
    /// Of the attachment's time, the uploads: creating them and every `PATCH`.
    pub attachment_patch_ms: Option<f64>,
    /// Of the attachment's time, the tip's `POST` (which copies the uploads into the tip).
    pub attachment_post_ms: Option<f64>,
    /// Server peak memory once the uploads were done (before the tip's `POST`) minus its
    /// memory before them.
    pub attachment_patch_rss_growth_kib: Option<u64>,
    /// What the figures were taken against: `own server` or the `--server` URL.
    pub target: String,
}

impl Report {
    /// The one-line JSON form.
    pub fn to_json_line(&self) -> String {
        // A struct of numbers, strings and a string-keyed map always serialises.
        serde_json::to_string(self).unwrap_or_else(|_| "{}".into())
    }

    /// The readable form: one figure per line, with what it means.
    pub fn to_table(&self) -> String {
        let v = serde_json::to_value(self).unwrap_or_default();
        let mut out = format!(
            "tipseal bench — mode {} against {} ({} cores shared by client and server)\n",
            self.mode, self.target, self.cores
        );
        if let Some(map) = v.as_object() {
            for (k, val) in map {
                if matches!(k.as_str(), "mode" | "target" | "cores") || val.is_null() {
                    continue;
                }
                let shown = match val {
                    serde_json::Value::Number(n) => match n.as_f64() {
                        Some(f) if n.is_f64() => format!("{f:.3}"),
                        _ => n.to_string(),
                    },
                    other => other.to_string(),
                };
                out.push_str(&format!("  {k:<30} {shown}\n"));
            }
        }
        out
    }
}
