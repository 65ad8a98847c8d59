#!/usr/bin/env bash
# Checks that Cargo.toml's `rust-version` is true: no locked dependency declares a newer
# minimum Rust than we do. (Our own code is held to it by clippy's `incompatible_msrv`
# lint, which reads `rust-version` and runs with -D warnings in CI.) Only one toolchain
# can be installed on these machines, so building with the MSRV itself is not possible
# here; this is the check that can be made, and it is exact for the dependency graph.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo metadata --format-version 1 --locked | python3 -c '
import json, sys
meta = json.load(sys.stdin)
def v(s): return tuple(int(x) for x in s.split("."))
root = next(p for p in meta["packages"] if p["name"] == "tipseal" and p["source"] is None)
ours = root.get("rust_version")
if not ours:
    sys.exit("Cargo.toml: set rust-version")
newer = sorted(((p["rust_version"], p["name"], p["version"]) for p in meta["packages"]
                if p.get("rust_version") and p["source"] and v(p["rust_version"]) > v(ours)),
               key=lambda t: v(t[0]), reverse=True)
if newer:
    for rv, name, ver in newer[:10]:
        print(f"  {name} {ver} needs Rust {rv}", file=sys.stderr)
    sys.exit(f"Cargo.toml says rust-version = {ours}, but locked dependencies need "
             f"{newer[0][0]}: raise rust-version (or pin older dependencies)")
print(f"rust-version {ours}: no locked dependency needs a newer Rust")
'
