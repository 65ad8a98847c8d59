#!/usr/bin/env python3
"""Where one lone tip's time goes inside the server, from a `perf trace -T --comm` of it.

Reads the trace (scripts/lone-tip-timeline.sh takes it during `tipseal bench --clients 1`)
and rebuilds each request of the one connection: from the first `recvfrom` of its bytes to
the end of the `sendto` of its answer. Inside that window it finds the storage work of the
batch that made the tip durable:
  index path:   a `sled-io` thread's `pwrite` + `sync_file_range` of sled's log, then
                the commit thread's `fdatasync` of that log;
  segment path: the commit-log thread's `pwrite` of the bundle-log record, `utimensat`,
                and the segment's `fdatasync`.
and prints the median of every interval, so that the parts add up to the whole:
  read      first recvfrom start -> last recvfrom end (the request's bytes)
  handle    -> first storage system call (parse, checks, sled inserts, hand-off, wake-ups)
  storage   -> the later of the two paths' last fdatasync end (the commit thread's wait)
  answer    -> sendto start (the batch answered, the worker woken, the response built)
  send      the sendto itself
Prints figures only; it checks nothing.

Usage: lone_tip_timeline.py TRACE [--json]
"""
import json
import re
import statistics
import sys

LINE = re.compile(
    r"^\s*(?P<ts>[\d.]+|\?) \(\s*(?P<dur>[\d.]*) ms\): (?P<comm>.+?)/(?P<tid>\d+) +"
    r"(?P<rest>.*)$"
)
CALL = re.compile(r"^(?P<name>\w+)\((?P<args>.*)$")
CONTINUED = re.compile(r"^\.\.\. \[continued\]: (?P<name>\w+)\(\)")
FD = re.compile(r"fd: (?P<fd>\d+)(?:<(?P<what>[^>]*)>)?")


def events(path):
    """(start_ms, end_ms, tid, comm, name, fd, what) for every finished system call."""
    open_calls = {}  # tid -> (name, args) of a call printed as unfinished
    out = []
    with open(path, errors="replace") as f:
        for raw in f:
            m = LINE.match(raw)
            if not m:
                continue
            tid, comm, rest = int(m["tid"]), m["comm"], m["rest"].strip()
            c = CONTINUED.match(rest)
            if c:
                name = c["name"]
                args = open_calls.pop(tid, (name, ""))[1]
            else:
                c = CALL.match(rest)
                if not c:
                    continue
                name, args = c["name"], c["args"]
                if not m["dur"]:
                    open_calls[tid] = (name, args)
                    continue
            if m["ts"] == "?" or not m["dur"]:
                continue
            start = float(m["ts"])
            fd = FD.search(args)
            out.append(
                (
                    start,
                    start + float(m["dur"]),
                    tid,
                    comm,
                    name,
                    int(fd["fd"]) if fd else None,
                    (fd["what"] or "") if fd else "",
                )
            )
    out.sort()
    return out


def requests(evs):
    """Windows (start, recv_end, send_start, send_end) of the one client's requests."""
    sock = None
    for e in evs:
        if e[4] == "recvfrom" and e[6].startswith("socket:"):
            sock = e[5]
            break
    if sock is None:
        return []
    wins, first, last = [], None, None
    for start, end, _tid, _comm, name, fd, _what in evs:
        if fd != sock:
            continue
        if name == "recvfrom":
            if first is None:
                first = start
            last = end
        elif name in ("sendto", "writev", "write") and first is not None:
            wins.append((first, last, start, end))
            first = last = None
    return wins


def analyse(evs):
    # Roles by thread, not by descriptor: perf prints a call that spans a context switch
    # in two lines, and only the first carries the arguments.
    side_tids = {e[2] for e in evs if e[4] == "utimensat"}
    commit_tids = {e[2] for e in evs if e[3].startswith("tipseal-commit")} - side_tids
    rows = []
    wins = requests(evs)
    # The first and last windows may be cut by the trace's start and end.
    for begin, recv_end, send_start, send_end in wins[1:-1]:
        inside = [e for e in evs if begin <= e[0] and e[1] <= send_start]
        sled_writes = [e for e in inside if e[3].startswith("sled-io") and e[4] in ("pwrite64", "sync_file_range")]
        log_syncs = [e for e in inside if e[2] in commit_tids and e[4] == "fdatasync"]
        seg = [e for e in inside if e[2] in side_tids and e[4] in ("pwrite64", "utimensat", "fdatasync")]
        seg_syncs = [e for e in seg if e[4] == "fdatasync"]
        if not sled_writes or not log_syncs or not seg_syncs:
            continue  # not a tip answered by its own batch (or cut by the trace)
        first_io = min(e[0] for e in sled_writes + seg)
        index_end = max(e[1] for e in log_syncs)
        seg_end = max(e[1] for e in seg_syncs)
        durable = max(index_end, seg_end)
        sfr = [e for e in sled_writes if e[4] == "sync_file_range"]
        rows.append(
            {
                "total": send_end - begin,
                "read": recv_end - begin,
                "handle": first_io - recv_end,
                "storage": durable - first_io,
                "answer": send_start - durable,
                "send": send_end - send_start,
                "index_path": index_end - min(e[0] for e in sled_writes),
                "index_sync_file_range": sum(e[1] - e[0] for e in sfr),
                "index_fdatasync": sum(e[1] - e[0] for e in log_syncs),
                "segment_path": seg_end - min(e[0] for e in seg),
                "segment_fdatasync": sum(e[1] - e[0] for e in seg_syncs),
                "segment_is_later": 1.0 if seg_end > index_end else 0.0,
            }
        )
    return len(wins), rows


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if not args:
        sys.exit(__doc__)
    windows, rows = analyse(events(args[0]))
    if not rows:
        sys.exit(f"lone_tip_timeline.py: no whole request found in {args[0]} ({windows} windows)")
    keys = list(rows[0].keys())
    med = {k: statistics.median(r[k] for r in rows) * 1000 for k in keys}
    med["segment_is_later"] = statistics.mean(r["segment_is_later"] for r in rows)
    if "--json" in sys.argv:
        print(json.dumps({"requests": len(rows), "median_us": med}))
        return
    print(f"{len(rows)} whole requests of {windows} (median µs; the first five add up to ~total)")
    for k in ("total", "read", "handle", "storage", "answer", "send"):
        print(f"  {k:9} {med[k]:7.0f}")
    print("  inside storage, the two paths side by side:")
    for k in ("index_path", "index_sync_file_range", "index_fdatasync", "segment_path", "segment_fdatasync"):
        print(f"    {k:23} {med[k]:7.0f}")
    print(f"  the segment path finished last in {med['segment_is_later']:.0%} of them")


if __name__ == "__main__":
    main()
