//! `tipseal bench`, the load generator: it must produce every figure it promises, count
//! only tips the server really stored, and work against a server it did not start.
//!
//! These tests assert that the instrument works, never a performance target: figures
//! on a shared CI machine are not a verdict (BENCHMARKS.md).

mod common;

use std::ffi::OsStr;

use common::*;
use serde_json::Value;

/// Every key the one-line JSON report carries (issue 11's list and the run's context).
const FIELDS: &[&str] = &[
    "mode",
    "clients",
    "seconds",
    "http",
    "bundle_bytes",
    "stored_tips",
    "tips",
    "tips_per_s",
    "p50_ms",
    "p99_ms",
    "max_ms",
    "errors",
    "tips_listed",
    "server_idle_rss_kib",
    "server_peak_rss_kib",
    "server_final_rss_kib",
    "server_final_rss_anon_kib",
    "server_final_rss_file_kib",
    "disk_bytes_per_tip",
    "disk_ratio_to_bundle",
    "disk_limit_records_per_s",
    "disk_single_fdatasync_per_s",
    "ratio_to_disk_limit",
    "client_cpu_ms_per_tip",
    "server_cpu_ms_per_tip",
    "cores",
    "preload_s",
    "startup_ms",
    "restart_ms",
    "listing_ms",
    "listing_max_ms",
    "listing_rows",
    "listing_walk_ms",
    "fetch_p50_ms",
    "attachment_bytes",
    "attachment_mb_per_s",
    "attachment_rss_growth_kib",
    "attachment_patch_ms",
    "attachment_post_ms",
    "attachment_patch_rss_growth_kib",
    "target",
];

/// Runs `tipseal bench ARGS… --json`; its one line of JSON, after checking there is
/// exactly one line and every field is present.
fn bench_json(args: &[&str]) -> Value {
    let mut all: Vec<&OsStr> = vec![OsStr::new("bench"), OsStr::new("--json")];
    all.extend(args.iter().map(OsStr::new));
    let out = tipseal_ok(all);
    let stdout = String::from_utf8(out.stdout).expect("UTF-8 output");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "--json prints exactly one line: {stdout}");
    let v: Value = serde_json::from_str(lines[0]).expect("the line is JSON");
    for f in FIELDS {
        assert!(v.get(f).is_some(), "the report lacks {f}: {v}");
    }
    v
}

fn num(v: &Value, field: &str) -> f64 {
    v[field]
        .as_f64()
        .unwrap_or_else(|| panic!("{field} is not a number: {v}"))
}

#[test]
fn a_one_second_run_reports_every_figure_and_the_reviewers_list_shows_each_acknowledged_tip() {
    let v = bench_json(&["--seconds", "1", "--clients", "2"]);
    assert_eq!(v["mode"], "text");
    assert_eq!(v["http"], "raw");
    assert_eq!(v["target"], "own server");
    assert!(num(&v, "tips_per_s") > 0.0, "{v}");
    assert_eq!(v["errors"], serde_json::json!({}), "no failed request: {v}");
    let tips = v["tips"].as_u64().expect("tips");
    assert!(tips > 0);
    // The generator's reviewer logged in after the load and counted the listing: every
    // 201 is a stored tip, and nothing else was stored.
    assert_eq!(v["tips_listed"].as_u64(), Some(tips), "{v}");
    assert!(num(&v, "p50_ms") > 0.0 && num(&v, "p50_ms") <= num(&v, "p99_ms"));
    assert!(num(&v, "p99_ms") <= num(&v, "max_ms"));
    // A real separate process was measured.
    assert!(num(&v, "server_peak_rss_kib") >= num(&v, "server_idle_rss_kib"));
    assert!(num(&v, "server_final_rss_kib") > 0.0);
    // The final figure's parts come from the same read of /proc/PID/status: the server's
    // own memory and the mapped executable, which together cannot exceed it.
    let (anon, file) = (
        num(&v, "server_final_rss_anon_kib"),
        num(&v, "server_final_rss_file_kib"),
    );
    assert!(anon > 0.0 && file > 0.0, "{v}");
    assert!(anon + file <= num(&v, "server_final_rss_kib"), "{v}");
    assert!(num(&v, "startup_ms") > 0.0);
    // Sealed ~16 KiB bundles went to sled, which wrote at least their bytes.
    let bundle = num(&v, "bundle_bytes");
    assert!((16_384.0..20_000.0).contains(&bundle), "{v}");
    assert!(num(&v, "disk_bytes_per_tip") > 0.0, "{v}");
    assert!(num(&v, "ratio_to_disk_limit") > 0.0);
    assert!(v["cores"].as_u64().unwrap_or(0) >= 1);
}

#[test]
fn the_disk_probe_returns_positive_rates_in_the_directory_given() {
    let dir = tempfile::TempDir::new().expect("temp dir");
    let v = bench_json(&[
        "--mode",
        "startup",
        "--stored",
        "50",
        "--data",
        dir.path().to_str().expect("UTF-8 temp path"),
    ]);
    assert!(num(&v, "disk_limit_records_per_s") > 0.0, "{v}");
    assert!(num(&v, "disk_single_fdatasync_per_s") > 0.0, "{v}");
    // The same run started a server over 50 stored tips and timed it, then timed a
    // restart on the same data.
    assert_eq!(v["stored_tips"].as_u64(), Some(50));
    assert!(num(&v, "startup_ms") > 0.0, "{v}");
    assert!(num(&v, "restart_ms") > 0.0, "{v}");
    // The run cleaned up after itself: its directory under --data is gone.
    let left: Vec<_> = std::fs::read_dir(dir.path()).expect("read dir").collect();
    assert!(left.is_empty(), "the run left {left:?}");
}

#[test]
fn the_generator_drives_a_server_it_did_not_start_whose_reviewer_then_sees_every_acknowledged_tip()
{
    let team = setup_team();
    let server = team.spawn_server(&["--rate-intake", "off"]);
    // Through ureq here; the other runs use the default minimal client.
    let v = bench_json(&[
        "--server",
        &server.url,
        "--seconds",
        "1",
        "--clients",
        "2",
        "--http",
        "ureq",
    ]);
    assert_eq!(v["target"], server.url.as_str());
    assert_eq!(v["http"], "ureq");
    assert_eq!(v["errors"], serde_json::json!({}), "{v}");
    let tips = v["tips"].as_u64().expect("tips");
    assert!(tips > 0 && num(&v, "tips_per_s") > 0.0, "{v}");
    // Its memory is not this run's to see.
    assert!(v["server_peak_rss_kib"].is_null());
    assert!(v["server_final_rss_anon_kib"].is_null() && v["server_final_rss_file_kib"].is_null());
    assert_eq!(
        review_list(&server.url, &team.reviewer_key).len() as u64,
        tips
    );
}

#[test]
fn a_mode_that_needs_its_own_data_cannot_target_another_server() {
    let out = tipseal([
        "bench",
        "--server",
        "http://127.0.0.1:9",
        "--mode",
        "stored",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--server URL measures text tips only"),
        "{err}"
    );
}

#[test]
fn preloaded_tips_are_served_to_the_runs_reviewer_in_the_listing_mode() {
    let v = bench_json(&["--mode", "listing", "--stored", "30"]);
    assert_eq!(v["stored_tips"].as_u64(), Some(30));
    // Tips stored straight through the storage layer are whole tips the server lists
    // and serves, not rows the figures merely assume.
    assert_eq!(v["listing_rows"].as_u64(), Some(30), "{v}");
    // Walking the pages to the end sees every stored tip once.
    assert_eq!(v["tips_listed"].as_u64(), Some(30), "{v}");
    assert!(
        num(&v, "listing_ms") > 0.0 && num(&v, "fetch_p50_ms") > 0.0,
        "{v}"
    );
    assert!(num(&v, "preload_s") > 0.0);
    assert_eq!(v["errors"], serde_json::json!({}));
}
