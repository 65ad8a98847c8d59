#!/usr/bin/env bash
# Server memory after a flood, and after a restart over the same tips (issue 11's "back
# to idle"; BENCHMARKS.md, "Session 27"). Starts `tipseal serve` on a fresh directory,
# floods it with `tipseal bench --server` (CLIENTS clients, SECONDS), reads RSS from
# /proc/PID/smaps_rollup 5 and 15 s after the load, then restarts the server on the same
# directory and reads its idle RSS 3 s after start-up. Figures only; it asserts nothing.
#
#   scripts/idle-after-flood.sh [CACHE_BYTES] [SECONDS] [CLIENTS]
#                                       defaults: the server's, 10, 64
#
# TIPSEAL_BIN overrides the binary (default: a release build); TIPSEAL_BENCH_DATA names
# the directory to work in (default: the system's temporary directory).
set -euo pipefail
cd "$(dirname "$0")/.."

cache=${1:-}
seconds=${2:-10}
clients=${3:-64}
if [ -z "${TIPSEAL_BIN:-}" ]; then
  cargo build --quiet --release --bin tipseal
  TIPSEAL_BIN=target/release/tipseal
fi
bin=$(realpath "$TIPSEAL_BIN")
work=$(mktemp -d "${TIPSEAL_BENCH_DATA:-${TMPDIR:-/tmp}}/idle-after-flood.XXXXXX")
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
cd "$work"

# A throwaway team: the server needs a keyring, the flood seals to it.
export TIPSEAL_PASSPHRASE='idle-after-flood, throwaway keys'
"$bin" keygen --out admin.key --name admin --kdf interactive >/dev/null
"$bin" keygen --out reviewer.key --name reviewer --kdf interactive >/dev/null
"$bin" admin init --admin-key admin.key --keyring keyring.json >/dev/null
"$bin" admin add-reviewer --admin-key admin.key --keyring keyring.json \
  --reviewer reviewer.key.pub >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url="http://127.0.0.1:$port"

serve() {
  "$bin" serve --listen "127.0.0.1:$port" --data data --keyring keyring.json \
    --rate-intake off --rate-reads off --rate-staff off --rate-mailbox off \
    ${cache:+--cache-bytes "$cache"} >>serve.log 2>&1 &
  pid=$!
  for _ in $(seq 100); do
    curl -fs -o /dev/null "$url/api/v1/health" && return 0
    sleep 0.1
  done
  echo "idle-after-flood.sh: the server did not start (serve.log):" >&2
  cat serve.log >&2
  exit 1
}
rss() {
  awk '/^(Rss|Anonymous|Pss_File):/ { printf "%s %.1f MiB  ", $1, $2 / 1024 } END { print "" }' \
    "/proc/$pid/smaps_rollup"
}
stop() { kill "$pid"; wait "$pid" 2>/dev/null || true; pid=; }

serve
echo "cache_bytes ${cache:-default}; idle before:     $(rss)"
"$bin" bench --server "$url" --clients "$clients" --seconds "$seconds" --json
sleep 5
echo "5 s after the flood:  $(rss)"
sleep 10
echo "15 s after the flood: $(rss)"
stop
serve
sleep 3
echo "restarted, idle:      $(rss)"
stop
