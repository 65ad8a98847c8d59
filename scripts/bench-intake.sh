#!/usr/bin/env bash
# Intake figures with the load generator (`tipseal bench`, src/loadgen/, BENCHMARKS.md):
# the real server as a separate process, durable acknowledgements only, each figure with
# the disk's own fdatasync limit measured in the same run and directory.
#
#   scripts/bench-intake.sh --quick   CI: 2 s of 8 clients, then 1 s over 2,000 stored tips
#                                     (which also times the start-up), then the reviewers'
#                                     listing over 5,000 stored tips. Checks that each
#                                     JSON line has every field and no request failed;
#                                     asserts no timing. Under a minute.
#   scripts/bench-intake.sh           the figures of BENCHMARKS.md (release build; each of
#                                     the three 1,000,000-tip runs preloads its own data
#                                     and needs ~30 GB free under --data)
#
# TIPSEAL_BIN overrides the binary. TIPSEAL_BENCH_DATA names the directory on the disk to
# measure (default: the system's temporary directory).
set -euo pipefail
cd "$(dirname "$0")/.."

quick=0
[ "${1:-}" = "--quick" ] && quick=1
if [ -z "${TIPSEAL_BIN:-}" ]; then
  if [ "$quick" = 1 ]; then
    cargo build --quiet --bin tipseal
    TIPSEAL_BIN=target/debug/tipseal
  else
    cargo build --quiet --release --bin tipseal
    TIPSEAL_BIN=target/release/tipseal
  fi
fi
data=()
[ -n "${TIPSEAL_BENCH_DATA:-}" ] && data=(--data "$TIPSEAL_BENCH_DATA")

# Runs one bench, prints its line, and checks it: every field present, errors empty,
# and the mode's own figure positive.
run() {
  local check=$1
  shift
  local line
  line=$("$TIPSEAL_BIN" bench --json "${data[@]}" "$@")
  echo "BENCH $line"
  python3 - "$check" "$line" <<'PY'
import json, sys
check, line = sys.argv[1], sys.argv[2]
r = json.loads(line)
fields = """mode clients seconds http bundle_bytes stored_tips tips tips_per_s p50_ms p99_ms max_ms
errors tips_listed server_idle_rss_kib server_peak_rss_kib server_final_rss_kib
disk_bytes_per_tip disk_ratio_to_bundle disk_limit_records_per_s
disk_single_fdatasync_per_s ratio_to_disk_limit client_cpu_ms_per_tip
server_cpu_ms_per_tip cores preload_s startup_ms restart_ms listing_ms listing_max_ms
listing_rows listing_walk_ms fetch_p50_ms attachment_bytes attachment_mb_per_s attachment_rss_growth_kib
target""".split()
missing = [f for f in fields if f not in r]
problems = []
if missing:
    problems.append("missing fields: " + ", ".join(missing))
if r.get("errors"):
    problems.append("failed requests: %s" % r["errors"])
if not (r.get(check) or 0) > 0:
    problems.append("%s is not positive" % check)
if not r.get("disk_limit_records_per_s", 0) > 0:
    problems.append("the disk probe measured nothing")
if problems:
    sys.exit("bench-intake: " + "; ".join(problems))
PY
}

if [ "$quick" = 1 ]; then
  run tips_per_s --seconds 2 --clients 8
  run startup_ms --mode stored --stored 2000 --seconds 1 --clients 4
  # Tips spread over a year, walked a thousand at a time: pages that cross days.
  run listing_ms --mode listing --stored 5000
  echo "bench-intake --quick: OK (figures only; no target is checked)"
  exit 0
fi

run tips_per_s --clients 1 --seconds 10
run tips_per_s --clients 64 --seconds 10
run tips_per_s --clients 200 --seconds 10
run attachment_mb_per_s --mode attachment
run tips_per_s --mode stored --stored 1000000 --clients 64 --seconds 10
run startup_ms --mode startup --stored 1000000
run listing_ms --mode listing --stored 1000000
