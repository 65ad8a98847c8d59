#!/bin/sh
# Vendors libsodium (the standard build, not sumo: wasm with a pure-JS wasm2js fallback) for
# the witness page. The page calls only functions the standard build has (docs/web.md, "On a
# slow link": sealed boxes, secretstream, generichash, kdf, sign; SHA-256 for the receipt
# checksum is in receipt.js); sumo adds argon2/scrypt and others the page never calls, and
# ~290 kB on the wire.
#
#   web/vendor-libsodium.sh            re-fetch the pinned version; fail unless it matches
#                                      web/static/sodium.js.sha384 byte for byte
#   web/vendor-libsodium.sh --update   (after changing VERSION) write the new file and hash
#
# The npm packages ship no self-contained browser file, so this script makes one:
# libsodium's UMD module (which embeds the wasm as base64 and needs no fetch) followed
# by libsodium-wrappers' UMD module. Loaded as a classic <script>, they define
# `window.libsodium` and then `window.sodium`. Neither uses eval or new Function: the page
# works under `script-src 'self' 'wasm-unsafe-eval'`. The check at the end refuses a bundle
# that grows an eval.
set -eu
VERSION=0.8.4
cd "$(dirname "$0")"
OUT=static/sodium.js
UPDATE=0
[ "${1:-}" = "--update" ] && UPDATE=1

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "libsodium@$VERSION" "libsodium-wrappers@$VERSION" >/dev/null)
mkdir "$tmp/core" "$tmp/wrappers"
tar xzf "$tmp/libsodium-$VERSION.tgz" -C "$tmp/core"
tar xzf "$tmp/libsodium-wrappers-$VERSION.tgz" -C "$tmp/wrappers"
core="$tmp/core/package/dist/modules/libsodium.js"
wrap="$tmp/wrappers/package/dist/modules/libsodium-wrappers.js"

{
  printf '/* libsodium %s + libsodium-wrappers %s (npm), ISC licence: see sodium.js.LICENSE.\n' "$VERSION" "$VERSION"
  printf '   Vendored by web/vendor-libsodium.sh. Defines window.sodium. */\n'
  cat "$core"
  printf '\n'
  cat "$wrap"
  printf '\n'
} > "$tmp/sodium.js"

if grep -Eq '(^|[^A-Za-z0-9_$.])eval\(|new Function\(' "$tmp/sodium.js"; then
  echo "refusing: the bundle calls eval or new Function (the page's CSP forbids it)" >&2
  exit 1
fi

{
  printf 'libsodium.js %s (libsodium and libsodium-wrappers), from the npm registry.\n\n' "$VERSION"
  cat "$tmp/core/package/LICENSE"
} > "$tmp/sodium.js.LICENSE"

hash=$(sha384sum "$tmp/sodium.js" | cut -d' ' -f1)
if [ "$UPDATE" = 1 ] || [ ! -f static/sodium.js.sha384 ]; then
  cp "$tmp/sodium.js" "$OUT"
  cp "$tmp/sodium.js.LICENSE" static/sodium.js.LICENSE
  printf '%s  sodium.js\n' "$hash" > static/sodium.js.sha384
  echo "wrote $OUT ($VERSION), sha384 $hash"
else
  want=$(cut -d' ' -f1 static/sodium.js.sha384)
  if [ "$hash" != "$want" ]; then
    echo "MISMATCH: libsodium $VERSION from the registry hashes to $hash, recorded $want" >&2
    echo "(run with --update only if you changed VERSION on purpose and reviewed the diff)" >&2
    exit 1
  fi
  cp "$tmp/sodium.js" "$OUT"
  cp "$tmp/sodium.js.LICENSE" static/sodium.js.LICENSE
  echo "ok: $OUT matches the recorded sha384 ($VERSION)"
fi
(cd static && sha384sum -c --quiet sodium.js.sha384)
