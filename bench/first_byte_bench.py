#!/usr/bin/env python3
"""First-byte benchmark (issue 13 item 1): a Xet bridge that rebuilds the file before it answers
(every CDN request waits --delay seconds, default 60, before its status line), served through
the fake hub's --xet mode with a per-connection cap. Measures, alternating in one run:
  - an ideal client that waits: one `curl -L` request, no timeout, one connection;
  - ours: tabagent-host, request -> terminal event (sha256 and fsync included);
  - ours with the first byte bounded by the stall timeout (TABAGENT_FIRST_BYTE_TIMEOUT_MS=10000),
    which is what the host did before the first-byte bound existed (--no-old-bound skips it);
  - optionally another tabagent-host (--compare-host, e.g. a build of an older commit).
Time, bytes on the wire (fakehub stats) per file byte and CDN requests are printed as a table.

    python3 bench/first_byte_bench.py                       # 60 s first byte, 1 GiB, 1 run
    python3 bench/first_byte_bench.py --delay 5 --size 256M # a quick run
"""
import argparse
import os
import pathlib
import shutil
import statistics
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from download_bench import Bench, generate, hostproc, parse_size, FakeHub, MiB  # noqa: E402

CASE = "first-byte"


class FirstByteBench(Bench):
    def generate(self):
        generate(self.args.fakehub_gen, self.hub_root, "bench/bridge", files={"model.safetensors": self.args.size})

    def cdn_requests(self, hub):
        return sum(1 for r in hub.requests(wait_ms=2000) if r["endpoint"] == "cdn")

    def run_curl_counted(self, hub, url):
        before = self.cdn_requests(hub)
        r = self.run_curl(hub, [url])
        r["requests"] = self.cdn_requests(hub) - before
        r["status"] = "done"
        return r

    def run_host(self, hub, binary=None, **extra_env):
        cache, home = self.fresh_dir("cache-ours"), self.fresh_dir("home-ours")
        env = hostproc.clean_env(home, cache, HF_ENDPOINT=hub.url, **extra_env)
        host = hostproc.HostProcess(env, binary=binary or self.args.host)
        try:
            host.call("ping")
            before, requests = hub.stats()["bytes_sent_total"], self.cdn_requests(hub)
            t0 = time.monotonic()
            job = host.call("download_file", repo="bench/bridge", file="model.safetensors")["payload"]["jobId"]
            last = host.events(job, timeout=3600)[-1]["payload"]
            seconds = time.monotonic() - t0
            status = last["status"] if last["status"] == "done" else last.get("error", {}).get("code", last["status"])
            wire = hub.stats()["bytes_sent_total"] - before
        finally:
            host.close()
        shutil.rmtree(cache, ignore_errors=True)
        return {"seconds": seconds, "fsync": 0.0, "wire": wire, "rss_kib": 0, "status": status,
                "requests": self.cdn_requests(hub) - requests}

    def run(self):
        a = self.args
        self.generate()
        self.case_bytes = {CASE: a.size}
        with FakeHub(a.fakehub, self.hub_root, rate_per_connection=a.rate) as hub:
            hub.mode(xet=True)
            hub.add_fault(kind="first_byte_delay", endpoint="cdn", times=-1, delay_ms=int(a.delay * 1000))
            url = hub.resolve_url("bench/bridge", "model.safetensors")
            tools = [("curl -L (1 request, waits)", lambda: self.run_curl_counted(hub, url)),
                     ("ours", lambda binary=None: self.run_host(hub, binary))]
            if a.old_bound:
                tools.append(("ours, first byte bounded by the 10 s stall timeout (as before)",
                              lambda: self.run_host(hub, TABAGENT_FIRST_BYTE_TIMEOUT_MS=10000)))
            self.measure(CASE, tools)
        shutil.rmtree(self.tmp, ignore_errors=True)
        self.report()

    def report(self):
        a = self.args
        print("\n| case | tool | outcome | median | min | max | wire/file | CDN requests |")
        print("|---|---|---|---:|---:|---:|---:|---:|")
        for (case, tool), rs in self.results.items():
            secs = [r["seconds"] for r in rs]
            outcome = "/".join(sorted({r["status"] for r in rs}))
            wire = statistics.median(r["wire"] for r in rs) / a.size
            print("| %s | %s | %s | %.2f s | %.2f s | %.2f s | %.3fx | %s |" %
                  (case, tool, outcome, statistics.median(secs), min(secs), max(secs), wire,
                   "/".join(str(r["requests"]) for r in rs)))
        print("\nfirst byte after %.0f s on every CDN request; %d MiB file; %d B/s per connection; "
              "runs per tool: %d, alternating" % (a.delay, a.size // MiB, a.rate, a.runs))


def main():
    build = HERE.parent / "build" / "ci"
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=1)
    p.add_argument("--delay", type=float, default=60.0, help="seconds before each CDN answer")
    p.add_argument("--size", type=parse_size, default=parse_size("1G"))
    p.add_argument("--rate", type=parse_size, default=parse_size("20M"), help="per-connection cap")
    p.add_argument("--host", default=os.environ.get("TABAGENT_HOST", str(build / "src/host/tabagent-host")))
    p.add_argument("--fakehub", default=os.environ.get("FAKEHUB", str(build / "tests/fakehub/fakehub")))
    p.add_argument("--fakehub-gen", default=os.environ.get("FAKEHUB_GEN", str(build / "tests/fakehub/fakehub-gen")))
    p.add_argument("--no-old-bound", dest="old_bound", action="store_false",
                   help="skip the run with the first byte bounded like a stall")
    p.add_argument("--compare-host", default=None, metavar="PATH")
    p.add_argument("--compare-label", default="compare")
    p.add_argument("--tmp", default=None)
    FirstByteBench(p.parse_args()).run()


if __name__ == "__main__":
    main()
