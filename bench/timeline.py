#!/usr/bin/env python3
"""Where a download's time goes, from the host's own debug log (TABAGENT_LOG_LEVEL=debug).

    TABAGENT_LOG_LEVEL=debug python3 bench/download_bench.py --runs 1 --cases capped --keep-logs /tmp/logs
    python3 bench/timeline.py /tmp/logs/capped-nginx-ours*.log

Per transfer it prints: the listing (the job's first state change to the transfer's start), the
body (start to the last request's end), the requests (count, bytes, per-request rate and first
byte: median and min/max), the most connections open at once, the hash tail (last byte to
"verified": what hashing had left when the bytes were in), and the publish (verified to the
file's "done": fsync, rename, link, ref). The engine writes one line per request
("download: transfer N request [a, b) done: X bytes, first byte F s, body B s, K open")."""
import argparse
import datetime
import re
import statistics
import sys

LINE = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}) \S+ \[\d+\] (.*)$")
START = re.compile(r"download: transfer (\d+) starts: (\d+) bytes")
REQUEST = re.compile(r"download: transfer (\d+) request \[(\d+), (\d+)\) (done|failed): (\d+) bytes, "
                     r"first byte (-?[\d.]+) s, body ([\d.]+) s, (\d+) open")
VERIFIED = re.compile(r"download: transfer (\d+) verified \((\d+) bytes\); at most (\d+) connections, engine limit (\d+)")
STATE = re.compile(r"^(\S+) (\S+): (\w+) -> (\w+)$")


def stamp(text):
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f").timestamp()


def spread(values, fmt):
    if not values:
        return "-"
    return (fmt + " (min " + fmt + ", max " + fmt + ")") % (statistics.median(values), min(values), max(values))


def analyse(path):
    job_start = None
    transfers = {}  # id -> dict
    done_at = []
    for raw in open(path, errors="replace"):
        m = LINE.match(raw.rstrip("\n"))
        if not m:
            continue
        t, msg = stamp(m.group(1)), m.group(2)
        if (s := STATE.match(msg)) and job_start is None:
            job_start = t
        if s and s.group(4) == "done":
            done_at.append(t)
        if s := START.search(msg):
            transfers[s.group(1)] = {"start": t, "size": int(s.group(2)), "requests": [], "verified": None}
        elif (r := REQUEST.search(msg)) and r.group(1) in transfers:
            transfers[r.group(1)]["requests"].append({
                "end": t, "bytes": int(r.group(5)), "first_byte": float(r.group(6)), "body": float(r.group(7)),
                "failed": r.group(4) == "failed", "open": int(r.group(8))})
        elif (v := VERIFIED.search(msg)) and v.group(1) in transfers:
            transfers[v.group(1)].update(verified=t, peak=int(v.group(3)), limit=int(v.group(4)))
    for tid, x in transfers.items():
        reqs = x["requests"]
        last = max((r["end"] for r in reqs), default=x["start"])
        rates = [r["bytes"] / r["body"] / 1e6 for r in reqs if r["body"] > 0 and not r["failed"]]
        firsts = [r["first_byte"] * 1000 for r in reqs if r["first_byte"] >= 0]
        print("%s, transfer %s: %d MiB" % (path, tid, x["size"] >> 20))
        if job_start is not None:
            print("  listing, lock, plan  %.3f s" % (x["start"] - job_start))
        body = last - x["start"]
        print("  body                 %.3f s (%.0f MB/s), %d requests (%d failed), at most %s connections (engine "
              "limit %s)" % (body, x["size"] / max(body, 1e-9) / 1e6, len(reqs), sum(r["failed"] for r in reqs),
                             x.get("peak", "?"), x.get("limit", "?")))
        print("  per request          %s MB/s, first byte %s ms, %s MiB" % (
            spread(rates, "%.1f"), spread(firsts, "%.0f"), spread([r["bytes"] / 2**20 for r in reqs], "%.1f")))
        if x["verified"]:
            print("  hash tail            %.3f s" % (x["verified"] - last))
            after = [d for d in done_at if d >= x["verified"]]
            if after:
                print("  publish              %.3f s (fsync, rename, link, ref)" % (min(after) - x["verified"]))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("logs", nargs="+")
    for path in p.parse_args().logs:
        analyse(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
