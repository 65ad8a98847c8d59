#!/usr/bin/env bash
# The witness page on a slow Tor-like link (benches/page-tor.mjs): bytes transferred, time
# to "encryption ready" and time to submit a text tip, for the form and mailbox pages.
# Prints a table and a `BENCH {...}` JSON line; fails only if a page does not work.
#
#   scripts/bench-page-tor.sh            ko, ar, en; three runs each (medians)
#   scripts/bench-page-tor.sh --quick    Korean, one run (CI)
#
# TIPSEAL_BIN overrides the binary (default: target/debug/tipseal, built here first).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${TIPSEAL_BIN:-}" ]; then
  cargo build --quiet --bin tipseal
  export TIPSEAL_BIN=target/debug/tipseal
fi
[ -d tests/browser/node_modules/playwright-core ] || (cd tests/browser && npm ci --silent)
exec node benches/page-tor.mjs "$@"
