#!/usr/bin/env python3
"""Download benchmark: tabagent-host (through native-messaging frames, request -> terminal `done`
event, verification included) against curl, aria2c and @huggingface/hub on one machine, all on
127.0.0.1. Tools alternate run by run; medians with min/max are printed as a markdown table. Every
case starts from an empty cache.

Servers (`--servers nginx,fakehub`, each case runs once per server; the table's `server` column):
  nginx    the fake hub answers the listing and /resolve and redirects LFS files to nginx (Debian
           `nginx-light`, started here with a generated config, bench/nginx_cdn.py), which serves
           the bytes: `limit_rate` per request for the capped case, none for the others,
           sendfile, keep-alive, 2 workers.
  fakehub  the fake hub serves everything (its own CDN route, `--rate-per-connection` for capped).

Cases (sizes and counts are flags):
  capped   2 GiB, the server caps every connection (default 20 MiB/s): aria2c -x16 -s16 -k1M vs ours
           pinned at 16 connections and ours with the defaults (adaptive count, ceiling 32; the
           count it settled on is printed), with bytes on the wire and peak RSS; curl (one
           connection) on the 256 MiB file for the record. --variant adds rows with other settings.
  loopback 256 MiB uncapped: curl -o (and curl -o + fsync) vs ours (vs aria2c, @huggingface/hub
           for reference).
  small    200 files of 16 KiB: one curl process (keep-alive, -K config) vs aria2c -j16 vs ours
           (download_quant of a 200-shard safetensors variant).
  jobs     (only when asked) the 2 GiB and the 256 MiB file requested at once on the capped server:
           ours with 2 jobs at once (the default) vs TABAGENT_MAX_JOBS=1.

    python3 bench/download_bench.py [--runs 3] [--big 2G] [--mid 256M] [--servers nginx,fakehub]
    python3 bench/download_bench.py --smoke      # every case and server once, small sizes (CI)
"""

import argparse
import contextlib
import json
import os
import pathlib
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
REPO_ROOT = HERE.parent
sys.path.insert(0, str(REPO_ROOT / "tests" / "fakehub"))
sys.path.insert(0, str(REPO_ROOT / "tests" / "integration"))
from fakehub import FakeHub, generate  # noqa: E402
import hostproc  # noqa: E402
from nginx_cdn import NginxCdn, find_nginx, link_blobs  # noqa: E402

MiB = 1 << 20


def parse_size(s):
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    return int(float(s[:-1]) * units[s[-1].upper()]) if s[-1].upper() in units else int(s)


class Served:
    """One server set-up of a case: the fake hub answering the listing and /resolve, and the
    server of the file bytes (the same fake hub, or nginx behind its redirects)."""

    def __init__(self, name, hub, cdn=None, cdn_port=None):
        self.name, self.hub, self.cdn, self.cdn_port = name, hub, cdn, cdn_port
        self.url = hub.url

    def resolve_url(self, repo, path):
        return self.hub.resolve_url(repo, path)

    def bytes_sent(self):
        """Body bytes sent so far: the fake hub's (small files, redirects) plus nginx's."""
        n = self.hub.stats()["bytes_sent_total"]
        return n + (self.cdn.bytes_sent(self.cdn_port) if self.cdn else 0)

    def mark(self):
        """Where nginx's access log ends now (None without nginx), for cdn_use()."""
        return self.cdn.log_offset() if self.cdn else None

    def cdn_use(self, mark):
        """(requests, distinct connections) nginx served on this set-up's port since `mark`:
        how far a client reused its keep-alive connections. None without nginx."""
        return self.cdn.connections_since(self.cdn_port, mark) if self.cdn else None

    def settle(self):
        """Waits for requests a finished client left in flight to be counted."""
        self.hub.requests(wait_ms=2000)
        if self.cdn:
            self.cdn.settle()


def wait_rusage(proc):
    """Waits for a child; returns (exit code, peak RSS in KiB)."""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, usage.ru_maxrss


def peak_connections(home):
    """The connection count the engine settled on, from the host's log line "transfer N verified
    (...); at most X connections, engine limit Y" of the run's largest file: "Y" (the adaptive
    limit when the file was verified), or "Y (peak X)" when the file had more open at some point
    (a probe the engine undid)."""
    best = None
    for log in (pathlib.Path(home) / "logs").glob("*.log*"):
        for m in re.finditer(r"verified \((\d+) bytes\); at most (\d+) connections, engine limit (\d+)",
                             log.read_text(errors="replace")):
            size, peak, limit = (int(g) for g in m.groups())
            if best is None or size >= best[0]:
                best = (size, peak, limit)
    if best is None:
        return None
    _, peak, limit = best
    return str(limit) if peak <= limit else "%d (peak %d)" % (limit, peak)


PINNED = "ours (16 connections)"
ADAPTIVE = "ours (adaptive, ceiling 32)"


def parse_variant(text):
    """LABEL:K=V[,K=V...] -> (label, {K: V}); K without a TABAGENT_ prefix gets one."""
    label, _, settings = text.partition(":")
    env = {}
    for pair in filter(None, settings.split(",")):
        k, _, v = pair.partition("=")
        env[k if k.startswith("TABAGENT_") else "TABAGENT_" + k] = v
    if not label or not env:
        raise argparse.ArgumentTypeError("expected LABEL:KEY=VALUE[,KEY=VALUE], e.g. ceiling8:MAX_CONNECTIONS=8")
    return label, env


class Bench:
    def __init__(self, args):
        self.args = args
        self.tmp = pathlib.Path(tempfile.mkdtemp(prefix="tabagent-bench-", dir=args.tmp))
        self.hub_root = self.tmp / "hub"
        self.hub_root.mkdir()
        self.results = {}  # (case, server, tool) -> list of dicts {seconds, fsync, wire, rss_kib}
        self.notes = []
        self.kept = 0

    # -- setup ------------------------------------------------------------------------------
    def generate(self):
        a = self.args
        t0 = time.monotonic()
        generate(a.fakehub_gen, self.hub_root, "bench/big", files={"model.safetensors": a.big})
        generate(a.fakehub_gen, self.hub_root, "bench/mid", files={"model.safetensors": a.mid})
        n = a.small_count
        shards = {"model-%05d-of-%05d.safetensors" % (i + 1, n): a.small_size for i in range(n)}
        generate(a.fakehub_gen, self.hub_root, "bench/small", files=shards)
        if "nginx" in a.servers:
            n = link_blobs(self.hub_root, self.tmp / "www" / "cdn")
            print("linked %d blobs for nginx" % n, file=sys.stderr)
        print("generated repos in %.1fs" % (time.monotonic() - t0), file=sys.stderr)

    def fresh_dir(self, name):
        """An empty folder for one run. With --keep-outputs a new one each time, and drop() keeps
        it to the end: on ext4 without a journal the allocator skips every inode freed less than
        5 s ago (300 s while its inode-table block is dirty, which creating files makes it:
        fs/ext4/ialloc.c, recently_deleted), so after a run deleted its hundreds of files each
        file the next run creates costs up to a millisecond, per file created (ours creates
        three per downloaded file: partial, lock, link; curl one)."""
        if self.args.keep_outputs:
            self.dir_serial = getattr(self, "dir_serial", 0) + 1
            name = "%s-%d" % (name, self.dir_serial)
        d = self.tmp / name
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True)
        return d

    def drop(self, d):
        """Deletes a run's output now, or with --keep-outputs at the end of the whole run."""
        if not self.args.keep_outputs:
            shutil.rmtree(d, ignore_errors=True)

    # -- tools ------------------------------------------------------------------------------
    def run_ours(self, srv, action, fields, binary=None, also=(), **env_extra):
        """One fresh host and cache; `action` with `fields`, after the requests in `also` (each
        (action, fields), sent first, at once): seconds from the first request until `action`'s
        job is done (`all`: until every job is). env_extra: TABAGENT_* settings of this row (none =
        the defaults: adaptive, ceiling 32)."""
        cache = self.fresh_dir("cache-ours")
        home = self.fresh_dir("home-ours")
        env = hostproc.clean_env(home, cache, HF_ENDPOINT=srv.url, **env_extra)
        host = hostproc.HostProcess(env, binary=binary or self.args.host)
        try:
            host.call("ping")
            before = srv.bytes_sent()
            mark = srv.mark()
            t0 = time.monotonic()
            jobs = [host.call(a, **f)["payload"]["jobId"] for a, f in list(also) + [(action, fields)]]
            finished = {}
            while len(finished) < len(jobs):
                frame = host.wait_for(lambda f: f.get("type") and f.get("jobId") in jobs
                                      and f["payload"].get("status") in ("done", "error", "cancelled"), timeout=600)
                if frame["payload"]["status"] != "done":
                    raise RuntimeError("ours: %r" % frame["payload"])
                finished[frame["jobId"]] = time.monotonic() - t0
            with open("/proc/%d/status" % host.proc.pid) as f:
                hwm = next(int(l.split()[1]) for l in f if l.startswith("VmHWM:"))
            srv.settle()
            wire = srv.bytes_sent() - before
        finally:
            host.close()
        self.drop(cache)
        self.keep_log(home, list(fields.values()) + ["%s=%s" % kv for kv in env_extra.items()])
        return {"seconds": finished[jobs[-1]], "all": max(finished.values()), "fsync": 0.0, "wire": wire,
                "rss_kib": hwm, "connections": peak_connections(home), "cdn": srv.cdn_use(mark)}

    def keep_log(self, home, words):
        """--keep-logs DIR: the host log of each run, for bench/timeline.py."""
        if not self.args.keep_logs:
            return
        out = pathlib.Path(self.args.keep_logs)
        out.mkdir(parents=True, exist_ok=True)
        self.kept += 1
        name = "%02d-%s.log" % (self.kept, re.sub(r"[^\w.-]+", "_", "-".join(str(w) for w in words)))
        for log in sorted((pathlib.Path(home) / "logs").glob("*.log")):
            shutil.copy(log, out / name)

    def run_listing(self, srv, repo, binary=None):
        """The listing alone: `scan_repo` (the model info and tree calls a download starts with,
        parsed and saved) on a fresh host and cache, request -> reply."""
        cache = self.fresh_dir("cache-ours")
        home = self.fresh_dir("home-ours")
        env = hostproc.clean_env(home, cache, HF_ENDPOINT=srv.url)
        host = hostproc.HostProcess(env, binary=binary or self.args.host)
        try:
            host.call("ping")
            t0 = time.monotonic()
            reply = host.call("scan_repo", repo=repo)
            seconds = time.monotonic() - t0
            if not reply.get("success", True) or "error" in reply:
                raise RuntimeError("scan_repo: %r" % reply)
        finally:
            host.close()
        self.drop(cache)
        return seconds

    def run_cmd(self, srv, argv, cwd, parse_seconds=None, written=None):
        """Runs a reference tool; then fsyncs what it wrote (`written` dir, default cwd), timed
        apart: ours fsyncs every blob before publishing it (DESIGN §4), the others never do."""
        before = srv.bytes_sent()
        mark = srv.mark()
        t0 = time.monotonic()
        proc = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        out = proc.stdout.read()
        code, rss = wait_rusage(proc)
        seconds = time.monotonic() - t0
        if code != 0:
            raise RuntimeError("%s exited with %d" % (argv[0], code))
        t1 = time.monotonic()
        for dirpath, _, names in os.walk(written or cwd):
            for name in names:
                path = os.path.join(dirpath, name)
                if os.path.islink(path):
                    continue
                fd = os.open(path, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
        fsync_seconds = time.monotonic() - t1
        srv.settle()
        return {"seconds": parse_seconds(out) if parse_seconds else seconds, "fsync": fsync_seconds,
                "wire": srv.bytes_sent() - before, "rss_kib": rss, "cdn": srv.cdn_use(mark)}

    def run_curl(self, srv, urls):
        d = self.fresh_dir("out-curl")
        cfg = d / "urls.cfg"
        cfg.write_text("".join('url = "%s"\noutput = "f%d"\n' % (u, i) for i, u in enumerate(urls)))
        r = self.run_cmd(srv, ["curl", "-sS", "-L", "--fail", "-K", str(cfg)], d)
        self.drop(d)
        return r

    def run_aria2(self, srv, urls, split):
        d = self.fresh_dir("out-aria2")
        lst = d / "urls.txt"
        lst.write_text("".join("%s\n  out=f%d\n" % (u, i) for i, u in enumerate(urls)))
        argv = ["aria2c", "-q", "--allow-overwrite=true", "--auto-file-renaming=false",
                "--file-allocation=none", "--check-certificate=false", "-d", str(d), "-i", str(lst)]
        argv += ["-x16", "-s16", "-k1M"] if split else ["-j16", "-x1", "-s1"]
        r = self.run_cmd(srv, argv, d)
        self.drop(d)
        return r

    def run_node(self, srv, repo, path):
        cache = self.fresh_dir("cache-node")
        node_dir = HERE / "node"
        r = self.run_cmd(srv, ["node", str(node_dir / "hub_download.mjs"), srv.url, repo, path, str(cache)],
                         node_dir, parse_seconds=lambda out: json.loads(out.decode().strip().splitlines()[-1])["seconds"],
                         written=cache)
        self.drop(cache)
        return r

    # -- cases ------------------------------------------------------------------------------
    def measure(self, case, server, tools):
        """tools: [(name, callable)], alternated run by run. With --compare-host, every "ours" row
        gets a twin row right after it that runs the other binary (before/after in one run)."""
        other = self.args.compare_host
        if other:
            twins = []
            for name, fn in tools:
                twins.append((name, fn))
                if name.startswith("ours"):
                    twins.append(("%s [%s]" % (name, self.args.compare_label),
                                  lambda fn=fn: fn(binary=other)))
            tools = twins
        for run in range(self.args.runs):
            for name, fn in tools:
                r = fn()
                self.results.setdefault((case, server, name), []).append(r)
                conns = " connections %s" % r["connections"] if r.get("connections") else ""
                cdn = r.get("cdn")
                print("%-9s %-7s %-34s run %d: %6.3fs (+fsync %.2fs) wire %.3fx rss %d KiB%s%s" %
                      (case, server, name, run + 1, r["seconds"], r["fsync"],
                       r["wire"] / max(1, self.case_bytes[case]), r["rss_kib"], conns,
                       " nginx %d requests on %d connections" % cdn if cdn else ""), file=sys.stderr)

    def start_servers(self, stack):
        """[(capped, free)] Served pairs, one per --servers entry, in that order."""
        a = self.args
        pairs = []
        for server in a.servers:
            if server == "nginx":
                cdn = stack.enter_context(NginxCdn(a.nginx, self.tmp / "www", self.tmp / "nginx",
                                                   rates={"capped": a.rate, "free": 0}))
                capped = stack.enter_context(FakeHub(a.fakehub, self.hub_root, cdn_base=cdn.base("capped")))
                free = stack.enter_context(FakeHub(a.fakehub, self.hub_root, cdn_base=cdn.base("free")))
                pairs.append((Served("nginx", capped, cdn, "capped"), Served("nginx", free, cdn, "free")))
            else:
                capped = stack.enter_context(FakeHub(a.fakehub, self.hub_root, rate_per_connection=a.rate))
                free = stack.enter_context(FakeHub(a.fakehub, self.hub_root))
                pairs.append((Served("fakehub", capped), Served("fakehub", free)))
        return pairs

    def run_case(self, case, capped, free, node_ok):
        a = self.args
        big = ("bench/big", "model.safetensors")
        mid = ("bench/mid", "model.safetensors")
        server = capped.name
        if case == "capped":
            fields = {"repo": big[0], "file": big[1]}
            tools = [("aria2c -x16 -s16 -k1M", lambda: self.run_aria2(capped, [capped.resolve_url(*big)], True))]
            if not a.variant:
                tools.append((PINNED, lambda binary=None: self.run_ours(
                    capped, "download_file", fields, binary=binary, TABAGENT_MAX_CONNECTIONS=16)))
            tools.append((ADAPTIVE, lambda binary=None: self.run_ours(capped, "download_file", fields, binary=binary)))
            for label, settings in a.variant:
                tools.append(("ours (%s)" % label, lambda binary=None, settings=settings: self.run_ours(
                    capped, "download_file", fields, binary=binary, **settings)))
            self.measure("capped", server, tools)
            if a.curl_capped:
                self.measure("capped-1", server, [("curl (1 connection, mid file)",
                                                   lambda: self.run_curl(capped, [capped.resolve_url(*mid)]))])
        elif case == "jobs":
            # The 2 GiB file asked for first, the 256 MiB one right after: the row's time is the
            # small one's, what a user waiting for it sees.
            big_first = [("download_file", {"repo": big[0], "file": big[1]})]
            mid_fields = {"repo": mid[0], "file": mid[1]}
            self.measure("jobs", server, [
                ("ours, 2 jobs at once (default)", lambda binary=None: self.run_ours(
                    capped, "download_file", mid_fields, binary=binary, also=big_first)),
                ("ours, TABAGENT_MAX_JOBS=1", lambda binary=None: self.run_ours(
                    capped, "download_file", mid_fields, binary=binary, also=big_first, TABAGENT_MAX_JOBS=1)),
            ])
        elif case == "loopback":
            tools = [
                ("curl -o", lambda: self.run_curl(free, [free.resolve_url(*mid)])),
                ("ours (incl. sha256)", lambda binary=None: self.run_ours(free, "download_file",
                                                              {"repo": mid[0], "file": mid[1]}, binary=binary)),
                ("aria2c -x16 -s16 -k1M", lambda: self.run_aria2(free, [free.resolve_url(*mid)], True)),
            ]
            if node_ok:
                tools.append(("@huggingface/hub downloadFileToCacheDir", lambda: self.run_node(free, *mid)))
            self.measure("loopback", server, tools)
        elif case == "small":
            n = a.small_count
            urls = [free.resolve_url("bench/small", "model-%05d-of-%05d.safetensors" % (i + 1, n)) for i in range(n)]
            self.measure("small", server, [
                ("curl -K (1 process, keep-alive)", lambda: self.run_curl(free, urls)),
                ("aria2c -j16", lambda: self.run_aria2(free, urls, False)),
                ("ours (download_quant)", lambda binary=None: self.run_ours(free, "download_quant",
                                                                {"repo": "bench/small", "quant": "safetensors"},
                                                                binary=binary)),
                # Not a table row: printed under it, the share of ours' time that is the listing.
                ("ours: listing alone (scan_repo)", lambda binary=None: {
                    "seconds": self.run_listing(free, "bench/small", binary=binary), "fsync": 0.0, "wire": 0,
                    "rss_kib": 0, "cdn": None, "listing": True}),
            ])

    def run(self):
        a = self.args
        started = time.monotonic()
        self.generate()
        self.case_bytes = {"capped": a.big, "loopback": a.mid, "small": a.small_count * a.small_size,
                           "capped-1": a.mid, "jobs": a.big + a.mid}
        node_ok = (HERE / "node" / "node_modules" / "@huggingface" / "hub").is_dir() and not a.skip_node
        if not node_ok:
            self.notes.append("@huggingface/hub skipped (run `npm ci` in bench/node)")
        with contextlib.ExitStack() as stack:
            pairs = self.start_servers(stack)
            for case in ("capped", "loopback", "small", "jobs"):
                if case in a.cases:
                    for capped, free in pairs:
                        self.run_case(case, capped, free, node_ok)
        shutil.rmtree(self.tmp, ignore_errors=True)
        self.report(time.monotonic() - started)

    def median(self, case, server, tool, durable=False):
        rs = self.results.get((case, server, tool))
        if not rs:
            return None
        return statistics.median(r["seconds"] + (r["fsync"] if durable else 0) for r in rs)

    def report(self, wall_seconds):
        a = self.args
        print("\n| case | server | tool | median | min | max | rate (median) | + fsync of its output (median) "
              "| wire/file | peak RSS |")
        print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|")
        listings = []
        for (case, server, tool), rs in self.results.items():
            if rs[0].get("listing"):
                listings.append((case, server, tool, rs))
                continue
            secs = [r["seconds"] for r in rs]
            med = statistics.median(secs)
            size = self.case_bytes[case]
            if case == "small":
                rate = "%.0f files/s" % (a.small_count / med)
            elif case == "jobs":
                rate = "both done in %.2f s" % statistics.median(r["all"] for r in rs)
            else:
                rate = "%.0f MB/s" % (size / med / 1e6)
            wire = statistics.median(r["wire"] for r in rs) / size
            rss = max(r["rss_kib"] for r in rs) / 1024
            durable = statistics.median(r["seconds"] + r["fsync"] for r in rs)
            durable_text = "(included)" if tool.startswith("ours") else ("%.3f s" if case == "small" else "%.2f s") % durable
            fmt = "%.3f s" if case == "small" else "%.2f s"  # the small case takes tenths of a second
            print(("| %s | %s | %s | " + fmt + " | " + fmt + " | " + fmt + " | %s | %s | %.3fx | %.1f MiB |") %
                  (case, server, tool, med, min(secs), max(secs), rate, durable_text, wire, rss))
        ratios = []
        for server in a.servers:
            for case, ours, ref in (("capped", PINNED, "aria2c -x16 -s16 -k1M"),
                                    ("capped", ADAPTIVE, "aria2c -x16 -s16 -k1M"),
                                    ("small", "ours (download_quant)", "curl -K (1 process, keep-alive)")):
                m, n = self.median(case, server, ours), self.median(case, server, ref)
                if m and n:
                    ratios.append("%s [%s]: %s is %.2fx %s" % (case, server, ours, n / m, ref))
            # Issue 15 item 6: both durable (curl -o + fsync of its file), and bare curl -o beside it.
            m = self.median("loopback", server, "ours (incl. sha256)")
            n = self.median("loopback", server, "curl -o")
            n_durable = self.median("loopback", server, "curl -o", durable=True)
            if m and n:
                ratios.append("loopback [%s]: ours is %.2fx curl -o + fsync (both durable), %.2fx bare curl -o"
                              % (server, n_durable / m, n / m))
            for tool in ("ours, 2 jobs at once (default)", "ours, TABAGENT_MAX_JOBS=1"):
                rs = self.results.get(("jobs", server, tool))
                if rs:
                    ratios.append("jobs [%s]: %s: the file asked last done after %.2f s, both after %.2f s (medians)"
                                  % (server, tool, statistics.median(r["seconds"] for r in rs),
                                     statistics.median(r["all"] for r in rs)))
            # Issue 15 item 3: the connection count the adaptive engine settled on, run by run.
            for case, tool in (("capped", ADAPTIVE), ("loopback", "ours (incl. sha256)")):
                counts = [r.get("connections") for r in self.results.get((case, server, tool), [])]
                if counts:
                    ratios.append("%s [%s]: %s settled at %s connections (runs in order; ceiling 32)"
                                  % (case, server, tool, ", ".join(str(c) for c in counts)))
        print("\n" + "\n".join(ratios))
        for case, server, tool, rs in listings:
            secs = [r["seconds"] for r in rs]
            print("%s [%s] %s: median %.1f ms (min %.1f, max %.1f); part of the ours rows above" %
                  (case, server, tool, 1000 * statistics.median(secs), 1000 * min(secs), 1000 * max(secs)))
        for (case, server, tool), rs in self.results.items():
            use = [r["cdn"] for r in rs if r.get("cdn")]
            if use:
                print("%s [%s] %s: nginx served %s requests on %s connections (per run)" %
                      (case, server, tool, "/".join(str(u[0]) for u in use), "/".join(str(u[1]) for u in use)))
        print("\nruns per tool: %d, alternating; capped = %d B/s per connection; big %d MiB, mid %d MiB, "
              "small %d x %d KiB; servers: %s; whole run %.0f s" %
              (a.runs, a.rate, a.big // MiB, a.mid // MiB, a.small_count, a.small_size // 1024,
               ", ".join(a.servers), wall_seconds))
        for n in self.notes:
            print("note: " + n)


def main():
    build = REPO_ROOT / "build" / "ci"
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--big", type=parse_size, default=parse_size("2G"))
    p.add_argument("--mid", type=parse_size, default=parse_size("256M"))
    p.add_argument("--small-count", type=int, default=200)
    p.add_argument("--small-size", type=parse_size, default=parse_size("16K"))
    p.add_argument("--rate", type=parse_size, default=parse_size("20M"), help="per-connection cap, capped case")
    p.add_argument("--cases", default="capped,loopback,small",
                   help="capped, loopback, small; and jobs (not by default): the 2 GiB and the 256 MiB file "
                        "asked at once on the capped server, 2 jobs at once vs TABAGENT_MAX_JOBS=1 (the "
                        "row's time is until the 256 MiB file is done)")
    p.add_argument("--servers", default="nginx,fakehub",
                   help="who serves the file bytes, each case once per server: nginx (behind the fake "
                        "hub's redirects), fakehub (its own CDN route)")
    p.add_argument("--smoke", action="store_true",
                   help="a quick check that every case still runs: --runs 1 --big 256M --mid 64M")
    p.add_argument("--no-curl-capped", dest="curl_capped", action="store_false",
                   help="skip the single-connection curl run on the capped server")
    p.add_argument("--skip-node", action="store_true")
    p.add_argument("--host", default=os.environ.get("TABAGENT_HOST", str(build / "src/host/tabagent-host")))
    p.add_argument("--fakehub", default=os.environ.get("FAKEHUB", str(build / "tests/fakehub/fakehub")))
    p.add_argument("--fakehub-gen", default=os.environ.get("FAKEHUB_GEN", str(build / "tests/fakehub/fakehub-gen")))
    p.add_argument("--nginx", default=None, help="nginx binary (default: $NGINX, PATH, /usr/sbin/nginx)")
    p.add_argument("--compare-host", default=None, metavar="PATH",
                   help="a second tabagent-host (e.g. a build of an older commit): each 'ours' row is "
                        "followed by the same download with this binary, alternating in one run")
    p.add_argument("--compare-label", default="compare", help="label of the --compare-host rows")
    p.add_argument("--tmp", default=None, help="where files are written (default: $TMPDIR)")
    p.add_argument("--keep-logs", metavar="DIR", default=None,
                   help="copy each 'ours' run's host log here (with TABAGENT_LOG_LEVEL=debug in the "
                        "environment, bench/timeline.py reads where the time went from them)")
    p.add_argument("--variant", action="append", type=parse_variant, default=[], metavar="LABEL:K=V[,K=V]",
                   help="an extra 'ours (LABEL)' row in the capped case with these TABAGENT_ settings, "
                        "e.g. ceiling8:MAX_CONNECTIONS=8 or rate:RATE_LIMIT=100M (repeatable; replaces the "
                        "pinned 16-connection row)")
    p.add_argument("--keep-outputs", action="store_true",
                   help="every run writes into a new folder and nothing is deleted before the end of the "
                        "whole run (see Bench.fresh_dir; for the small case: the big ones need the disk)")
    args = p.parse_args()
    if args.smoke:
        args.runs, args.big, args.mid = 1, parse_size("256M"), parse_size("64M")
    args.cases = set(args.cases.split(","))
    args.servers = [s for s in args.servers.split(",") if s]
    unknown = set(args.servers) - {"nginx", "fakehub"}
    if unknown:
        p.error("unknown server(s): %s" % ", ".join(sorted(unknown)))
    if "nginx" in args.servers:
        args.nginx = find_nginx(args.nginx)
        if not args.nginx:
            p.error("nginx not found: `apt-get install nginx-light` (Debian), or pass --servers fakehub")
    Bench(args).run()


if __name__ == "__main__":
    main()
