#!/usr/bin/env bash
# Runs EVERY test of tipseal, the browser tests included, on a fresh Debian machine with
# Rust (cargo), a C compiler and Node.js. Installs what is missing, quietly and only once:
#   - Debian's Chromium and the Noto fonts (CJK, Arabic, …) for the browser tests
#     (as root, or through sudo); the browser tests never download a browser;
#   - playwright-core, at the version pinned in tests/browser/package-lock.json (npm ci);
# then runs `cargo test --locked` with the browser tests required (no silent skip).
# Extra arguments go to cargo test, e.g.  bash scripts/test-all.sh --test browser
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '== %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else
    echo "test-all.sh: need root (or sudo) to run: $*" >&2
    return 1
  fi
}

# --- Debian packages ------------------------------------------------------------------
pkgs=()
if ! command -v cc >/dev/null 2>&1 || ! command -v make >/dev/null 2>&1; then
  pkgs+=(build-essential pkg-config)          # libsodium-sys builds libsodium from source
fi
[ -x /usr/bin/chromium ] || pkgs+=(chromium)
# Firefox ESR (what Tor Browser is built on): tests/browser/shared-phone.test.mjs.
[ -x /usr/bin/firefox-esr ] || pkgs+=(firefox-esr)
for p in fonts-noto-cjk fonts-noto-core; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || pkgs+=("$p")
done
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  pkgs+=(nodejs npm)
fi
if [ "${#pkgs[@]}" -gt 0 ]; then
  say "installing ${pkgs[*]} (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq
  as_root apt-get install -y -qq "${pkgs[@]}" >/dev/null
fi

node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
  echo "test-all.sh: Node.js $(node --version) is too old: playwright-core needs Node 20 or later" >&2
  exit 1
fi

# --- playwright-core and puppeteer-core (pinned) -------------------------------------
# npm ci when either is missing or not at the version the lock pins.
stale=()
for pkg in playwright-core puppeteer-core; do
  want=$(node -p "require('./tests/browser/package-lock.json').packages['node_modules/$pkg'].version")
  have=$(node -p "try { require('./tests/browser/node_modules/$pkg/package.json').version } catch (_) { '' }")
  [ "$want" = "$have" ] || stale+=("$pkg $want")
done
if [ "${#stale[@]}" -gt 0 ]; then
  say "installing ${stale[*]} (npm ci --prefix tests/browser)"
  npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error >/dev/null
fi

# --- every test -----------------------------------------------------------------------
say "cargo test --locked (browser tests required)"
TIPSEAL_BROWSER_TESTS=require cargo test --locked "$@"
