#!/usr/bin/env bash
# tipseal as an onion service over a private Tor network on 127.0.0.1 (tests/tor_network.rs):
# three directory authorities, three relays, a client and the onion service (deploy/torrc
# as shipped, over `serve --listen unix:…`), then a witness submits and a reviewer reads
# with the real CLI through Tor's SOCKS port. Nothing leaves 127.0.0.0/8 (checked with ss).
# Takes about a minute; prints a `TOR_NETWORK {...}` line with the times measured.
#
#   scripts/tor-network-test.sh
#
# Installs Debian's tor (and iproute2 for ss) first when missing, as root or through sudo.
# The package's own tor service is not needed: the test starts and stops its own tors.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else
    echo "tor-network-test.sh: need root (or sudo) to run: $*" >&2
    return 1
  fi
}

pkgs=()
command -v tor >/dev/null 2>&1 && command -v tor-gencert >/dev/null 2>&1 || pkgs+=(tor)
command -v ss >/dev/null 2>&1 || pkgs+=(iproute2)
if [ "${#pkgs[@]}" -gt 0 ]; then
  echo "== installing ${pkgs[*]} (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq
  as_root apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
fi
tor --version | head -n 1

exec cargo test --locked -q --test tor_network -- --ignored --nocapture "$@"
