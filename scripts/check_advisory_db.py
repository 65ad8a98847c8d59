#!/usr/bin/env python3
"""Validates the vendored advisory snapshot in .ci/advisory-db before cargo-deny reads it.

cargo-deny silently skips an advisory file it cannot parse, so a typo in the snapshot
would quietly remove that advisory from the check. This script fails instead, naming the
file and what is wrong. It checks the form only (RustSec's format as cargo-deny reads it);
whether an advisory applies to our tree is cargo-deny's job. It never edits anything.

Usage: python3 scripts/check_advisory_db.py [DB_CRATES_DIR] [CRATES_LIST]
"""

import re
import sys
import tomllib
from pathlib import Path

DB = Path(sys.argv[1] if len(sys.argv) > 1 else ".ci/advisory-db/advisory-db-3157b0e258782691/crates")
CRATES = Path(sys.argv[2] if len(sys.argv) > 2 else ".ci/advisory-db/CRATES")

ID = re.compile(r"^RUSTSEC-\d{4}-\d{4}$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# One comparator of a semver requirement as RustSec writes them (">= 1.2.3", "^0.10.4",
# "0.20", "< 0.104.0-alpha.1"); a requirement is one or more, comma-separated.
COMPARATOR = re.compile(r"^\s*(>=|<=|>|<|=|\^|~)?\s*\d+(\.\d+){0,2}(-[0-9A-Za-z.-]+)?\s*$")
INFORMATIONAL = {"unmaintained", "unsound", "notice"}
# RustSec's keys. cargo-deny ignores unknown ones, so a misspelt key ("unafected") would
# quietly change what an advisory matches.
KEYS = {
    "advisory": {"id", "package", "date", "url", "categories", "keywords", "aliases", "related",
                 "cvss", "informational", "references", "source", "withdrawn", "license"},
    "versions": {"patched", "unaffected"},
    "affected": {"functions", "os", "arch"},
}


def requirement_errors(reqs, where):
    if not isinstance(reqs, list):
        return [f"{where} must be a list of version requirements"]
    errors = []
    for req in reqs:
        if not isinstance(req, str) or not all(COMPARATOR.match(p) for p in req.split(",")):
            errors.append(f"{where} has an unreadable version requirement {req!r}")
    return errors


def check(path, covered):
    text = path.read_text(encoding="utf-8")
    match = re.match(r"```toml\n(.*?)\n```\n\s*# \S", text, re.S)
    if not match:
        return ["must open with a ```toml block followed by a '# title' line"]
    try:
        doc = tomllib.loads(match.group(1))
    except tomllib.TOMLDecodeError as e:
        return [f"front matter is not valid TOML ({e})"]
    adv, versions = doc.get("advisory", {}), doc.get("versions")
    errors = []
    for section, value in doc.items():
        if section not in KEYS:
            errors.append(f"unknown section [{section}]")
        elif isinstance(value, dict):
            errors += [f"unknown key {key!r} in [{section}]" for key in value if key not in KEYS[section]]
    if adv.get("id") != path.stem or not ID.match(path.stem):
        errors.append("[advisory] id must be the file's RUSTSEC id")
    if adv.get("package") != path.parent.name:
        errors.append("[advisory] package must name the crate folder it sits in")
    if path.parent.name not in covered:
        errors.append("its crate is missing from the CRATES list")
    if not DATE.match(str(adv.get("date", ""))):
        errors.append("[advisory] date must be YYYY-MM-DD")
    if adv.get("url") != f"https://rustsec.org/advisories/{path.stem}.html":
        errors.append("[advisory] url must point at the advisory's rustsec.org page")
    if "informational" in adv and adv["informational"] not in INFORMATIONAL:
        errors.append("[advisory] informational must be unmaintained, unsound or notice")
    if not isinstance(versions, dict) or "patched" not in versions:
        errors.append("[versions] patched is required (an empty list if there is no fix)")
    else:
        for key in ("patched", "unaffected"):
            if key in versions:
                errors += requirement_errors(versions[key], f"[versions] {key}")
    functions = doc.get("affected", {}).get("functions", {})
    for name, reqs in functions.items():
        errors += requirement_errors(reqs, f"[affected.functions] {name}")
    return errors


def main():
    if not DB.is_dir() or not CRATES.is_file():
        print(f"check_advisory_db: {DB} or {CRATES} is missing", file=sys.stderr)
        return 1
    covered = {l.strip() for l in CRATES.read_text().splitlines() if l.strip() and not l.startswith("#")}
    files = sorted(DB.glob("*/*.md"))
    failures = 0
    for path in files:
        for error in check(path, covered):
            print(f"{path}: {error}", file=sys.stderr)
            failures += 1
    stray = sorted(p for p in DB.rglob("*") if p.is_file() and p.suffix != ".md")
    for path in stray:
        print(f"{path}: only RUSTSEC-*.md advisory files belong here", file=sys.stderr)
        failures += 1
    if failures:
        print("check_advisory_db: fix the snapshot files above (format: .ci/advisory-db/README.md)", file=sys.stderr)
        return 1
    print(f"advisory snapshot: {len(files)} advisories for {len(covered)} crates, all well-formed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
