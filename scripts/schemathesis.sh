#!/usr/bin/env bash
# Runs schemathesis (pinned in .ci/requirements-schemathesis.txt) with ALL its checks
# against a live tipseal server described by its own /api/v1/openapi.json.
#
# Installs what is missing (python3 with venv, as root or through sudo), puts schemathesis
# in a virtualenv under target/, builds the binary, then runs the ignored test
# `schemathesis_finds_nothing_wrong_on_a_live_server` (tests/openapi.rs). That test starts
# the real server on 127.0.0.1:0 with a temporary data directory and a real keyring (an
# admin and a reviewer made with `tipseal keygen` / `admin init` / `add-reviewer`),
# submits a tip, logs in a reviewer, an admin and a witness over the wire, and runs
# schemathesis with each one's bearer token (.ci/schemathesis.toml holds its settings).
# Prints the number of test cases; exits non-zero on any failure.
#
#   MAX_EXAMPLES=N   test cases per operation and phase (default 100: about 3,300 cases, ~2 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '== %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else
    echo "schemathesis.sh: need root (or sudo) to run: $*" >&2
    return 1
  fi
}

venv=target/schemathesis-venv
requirements=.ci/requirements-schemathesis.txt

if ! command -v python3 >/dev/null 2>&1 || ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
  say "installing python3 and python3-venv (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq
  as_root apt-get install -y -qq python3 python3-venv >/dev/null
fi

# Reinstalled when the pins changed, or when the venv no longer runs (its scripts hold
# absolute paths: a target/ moved or copied elsewhere breaks them).
if ! cmp -s "$requirements" "$venv/installed-requirements.txt" 2>/dev/null \
  || ! "$venv/bin/schemathesis" --version >/dev/null 2>&1; then
  say "installing $(cat "$requirements") into $venv"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
  cp "$requirements" "$venv/installed-requirements.txt"
fi
"$venv/bin/schemathesis" --version

say "building tipseal"
cargo build --locked --quiet --bin tipseal

say "schemathesis against a live server (all checks)"
log=$(mktemp)
set +e
TIPSEAL_SCHEMATHESIS="$PWD/$venv/bin/schemathesis" \
TIPSEAL_SCHEMATHESIS_MAX_EXAMPLES="${MAX_EXAMPLES:-100}" \
  cargo test --locked --test openapi schemathesis_finds_nothing_wrong_on_a_live_server \
    -- --ignored --nocapture 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
summary=$(grep -E '^schemathesis: [0-9]+ test cases' "$log" || true)
rm -f "$log"
if [ "$status" -ne 0 ] || [ -z "$summary" ]; then
  echo "schemathesis: FAILED (see above)" >&2
  exit 1
fi
echo "$summary"
