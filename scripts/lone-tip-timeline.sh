#!/usr/bin/env bash
# Where one lone tip's time goes (issue 11's one-client target; BENCHMARKS.md "Session 25").
# Runs `tipseal bench --clients 1` twice on the disk under test: once untouched, for the
# latency the client sees, and once with `perf trace` on the server for a few seconds,
# whose system calls scripts/lone_tip_timeline.py turns into the median of each step of a
# request (read, handle, the two storage paths, answer, send). Then the disk's own floor
# for the same device operations, without tipseal (examples/lone_tip_floor.rs).
# Figures only; it asserts nothing. Needs root (or perf_event_paranoid ≤ -1) for perf.
#
#   scripts/lone-tip-timeline.sh [SECONDS]      default 8; release build
#
# TIPSEAL_BIN overrides the binary; TIPSEAL_BENCH_DATA names the directory on the disk to
# measure (default: the system's temporary directory).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-8}
command -v perf >/dev/null || { echo "lone-tip-timeline.sh: needs perf (apt-get install linux-perf)" >&2; exit 1; }
if [ -z "${TIPSEAL_BIN:-}" ]; then
  cargo build --quiet --release --bin tipseal
  TIPSEAL_BIN=target/release/tipseal
fi
dir=${TIPSEAL_BENCH_DATA:-${TMPDIR:-/tmp}}
work=$(mktemp -d "$dir/lone-tip.XXXXXX")
trap 'rm -rf "$work"' EXIT

echo "== untraced: $TIPSEAL_BIN bench --clients 1 --seconds $seconds"
"$TIPSEAL_BIN" bench --clients 1 --seconds "$seconds" --json --data "$work"

echo "== traced: perf trace on the server for $((seconds / 2)) s in the middle of the run"
"$TIPSEAL_BIN" bench --clients 1 --seconds "$seconds" --json --data "$work" > "$work/traced.json" &
bench=$!
server=
for _ in $(seq 100); do
  server=$(pgrep -n -f 'exe serve --listen' || true)
  [ -n "$server" ] && break
  sleep 0.1
done
[ -n "$server" ] || { echo "lone-tip-timeline.sh: the bench's server did not start" >&2; exit 1; }
sleep 2
timeout "$((seconds / 2))" perf trace -T --comm -p "$server" -o "$work/trace.txt" 2>/dev/null || true
wait "$bench"
cat "$work/traced.json"
python3 scripts/lone_tip_timeline.py "$work/trace.txt"

echo "== the disk's floor for the same operations (examples/lone_tip_floor.rs)"
cargo run --quiet --release --example lone_tip_floor -- "$work" 2000
