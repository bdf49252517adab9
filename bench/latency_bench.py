#!/usr/bin/env python3
"""Latency benchmark: the response times that tests no longer bound (a loaded CI machine can make
any of them slow, so tests wait for the event and this script measures how long it took).

Each case runs the real tabagent-host (or tabagent-cache) against the fake hub on 127.0.0.1 and
prints median, min and max over its runs as a markdown table, next to a reference where one means
something (the same ping with no download running, `cat` exiting on EOF, the same download
without the fault) and the goal DESIGN.md pins where it pins one:

  ping          ping round trip (request -> reply), idle host vs 1 and 8 rate-limited downloads
                running (DESIGN §3: within 50 ms while downloads run)
  cancel        cancel_download -> `cancelled` event, download running (DESIGN §7: 200 ms)
  pause         pause_download -> `paused` event, download running (DESIGN §7: 200 ms)
  eof-exit      stdin closed -> process exit: idle, mid-download, file server open with an idle
                keep-alive connection; `cat` as the floor (DESIGN §3: <= 1 s)
  cli-ctrl-c    SIGINT to `tabagent-cache download` mid-download -> exit 130
  rate-limit    12 MiB with TABAGENT_RATE_LIMIT=6M: request -> `done`, vs the ideal 2.0 s
  stall         a connection stalls for good after 10 %: request -> `done`, for a one-connection
                file (the 10 s stall timeout) and a 4-connection one (a free connection takes the
                range over), vs the same download without the stall
  tail          48 MiB at 6 MB/s per connection, one connection at 200 kB/s: request -> `done` and
                90 % -> `done`, vs no slow connection
  lock          another process holds the blob lock: unlock -> first CDN request (poll <= 200 ms)
  give-up       429 forever -> RATE_LIMITED; unreachable endpoint (DNS failure, refused) -> NETWORK;
                offline mode -> OFFLINE: request -> terminal event

    cmake --preset ci && cmake --build --preset ci --target tabagent-host tabagent-cache fakehub fakehub-gen
    python3 bench/latency_bench.py [--runs 20] [--slow-runs 3] [--cases ping,cancel,...]
"""
import argparse
import fcntl
import hashlib
import os
import pathlib
import signal
import socket
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

MiB = 1 << 20
REPO = "bench/latency"
RUNNING = "running.bin"  # a download that outlives every measurement (rate fault, 8 MiB/s)
CASES = ("ping", "cancel", "pause", "eof-exit", "cli-ctrl-c", "rate-limit", "stall", "tail", "lock", "give-up")
CLI = os.environ.get("TABAGENT_CLI", str(REPO_ROOT / "build/ci/src/cli/tabagent-cache"))


def ms(seconds):
    return seconds * 1000.0


class Bench:
    def __init__(self, args):
        self.args = args
        self.tmp = pathlib.Path(tempfile.mkdtemp(prefix="latency-bench-"))
        self.rows = []  # (case, what, samples in ms, reference text)
        files = {RUNNING: "256M", "small.bin": "12M", "stall.bin": "16M", "one.bin": "3M", "tail.bin": "48M",
                 "lock.bin": "8M"}
        for i in range(8):
            files[f"load{i}.bin"] = "64M"
        print("generating the fake hub's repo ...", file=sys.stderr)
        generate(args.fakehub_gen, self.tmp / "hub", REPO, files=files, texts={"config.json": "{}"})
        # Two hubs on one repo: `capped` paces every connection at 2 MiB/s, so the downloads that
        # must be running while something is measured last for seconds (16 connections: 32 MiB/s);
        # `hub` is uncapped, for the cases that shape their own bodies with faults.
        self.capped = FakeHub(args.fakehub, self.tmp / "hub", rate_per_connection=2 * MiB).start()
        self.hub = FakeHub(args.fakehub, self.tmp / "hub").start()
        self.runs = 0

    def close(self):
        self.capped.stop()
        self.hub.stop()
        subprocess.run(["rm", "-rf", str(self.tmp)], check=False)

    # -- helpers ---------------------------------------------------------------------------------
    def fresh(self):
        """A new data dir and cache (nothing cached, no journal)."""
        self.runs += 1
        root = self.tmp / f"run{self.runs}"
        (root / "home").mkdir(parents=True)
        (root / "cache").mkdir()
        return root

    def host(self, root, hub=None, **env):
        env.setdefault("HF_ENDPOINT", (hub or self.hub).url)
        return hostproc.HostProcess(hostproc.clean_env(root / "home", root / "cache", **env), binary=self.args.host)

    def running_host(self, **env):
        """A fresh host whose downloads come from the capped hub."""
        return self.host(self.fresh(), self.capped, **env)

    @staticmethod
    def start_running(host, file=RUNNING):
        """A download from the capped hub (seconds long): running while something is measured."""
        reply = host.call("download_file", repo=REPO, file=file)
        job = reply["payload"]["jobId"]
        host.wait_for(lambda f: f.get("jobId") == job and f["payload"].get("loaded", 0) > 0, timeout=60)
        return job

    @staticmethod
    def timed_download(host, file):
        """Request -> terminal event: (seconds, [(arrival, payload)])."""
        t0 = time.perf_counter()
        job = host.call("download_file", repo=REPO, file=file)["payload"]["jobId"]
        seen = []
        while not seen or seen[-1][1].get("status") not in ("done", "error", "cancelled"):
            f = host.wait_for(lambda f: f.get("type") and f.get("jobId") == job, 300)
            seen.append((time.perf_counter() - t0, f["payload"]))
        return seen[-1][0], seen

    def add(self, case, what, seconds, reference=""):
        self.rows.append((case, what, [ms(s) for s in seconds], reference))
        xs = self.rows[-1][2]
        print(f"  {case:<10} {what:<44} median {statistics.median(xs):9.1f} ms", file=sys.stderr)


    # -- cases -----------------------------------------------------------------------------------
    def case_ping(self):
        def pings(host, n):
            out = []
            for _ in range(n):
                t0 = time.perf_counter()
                host.call("ping")
                out.append(time.perf_counter() - t0)
                time.sleep(0.005)
            return out

        n = self.args.runs * 10
        samples = {"idle": [], "1": [], "8": []}
        for _ in range(self.args.slow_runs):
            h = self.running_host()
            samples["idle"] += pings(h, n)
            self.start_running(h)
            samples["1"] += pings(h, n)
            h.close()
            h = self.running_host(TABAGENT_MAX_JOBS="8")
            for i in range(8):
                self.start_running(h, f"load{i}.bin")
            samples["8"] += pings(h, n)
            h.close()
        self.add("ping", "idle host (reference)", samples["idle"])
        self.add("ping", "1 download running (16 connections)", samples["1"], "goal < 50 ms (DESIGN §3)")
        self.add("ping", "8 downloads running (16 connections)", samples["8"], "goal < 50 ms (DESIGN §3)")

    def case_job_control(self, case, action, status):
        h = self.running_host()
        samples = []
        for _ in range(self.args.runs):
            job = self.start_running(h)
            t0 = time.perf_counter()
            h.request(action, jobId=job)
            h.wait_for(lambda f: f.get("jobId") == job and f["payload"].get("status") == status, timeout=60)
            samples.append(time.perf_counter() - t0)
            if status != "cancelled":
                h.call("cancel_download", jobId=job)
                h.wait_for(lambda f: f.get("jobId") == job and f["payload"].get("status") == "cancelled", timeout=60)
            h.call("delete_model", repo=REPO)
        h.close()
        self.add(case, f"{action} -> `{status}`, download running", samples, "goal < 200 ms (DESIGN §7)")

    def case_cancel(self):
        self.case_job_control("cancel", "cancel_download", "cancelled")

    def case_pause(self):
        self.case_job_control("pause", "pause_download", "paused")

    def case_eof_exit(self):
        def exit_time(proc_stdin, proc):
            t0 = time.perf_counter()
            proc_stdin.close()
            proc.wait(60)
            return time.perf_counter() - t0

        floor, idle, busy, server = [], [], [], []
        for _ in range(self.args.runs):
            cat = subprocess.Popen(["cat"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
            floor.append(exit_time(cat.stdin, cat))
            h = self.running_host()
            h.call("ping")
            idle.append(exit_time(h.proc.stdin, h.proc))
            h = self.running_host()
            self.start_running(h)
            busy.append(exit_time(h.proc.stdin, h.proc))
            h = self.running_host()
            info = h.call("open_file_server")["payload"]
            conn = socket.create_connection(("127.0.0.1", info["port"]), timeout=30)
            conn.sendall(b"GET /%s/%s/resolve/main/none HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" %
                         (info["token"].encode(), REPO.encode()))
            conn.recv(65536)  # answered; the connection stays open (keep-alive)
            server.append(exit_time(h.proc.stdin, h.proc))
            conn.close()
        self.add("eof-exit", "`cat` (floor)", floor)
        self.add("eof-exit", "idle host", idle, "goal <= 1 s (DESIGN §3)")
        self.add("eof-exit", "mid-download", busy, "goal <= 1 s (DESIGN §3)")
        self.add("eof-exit", "file server open, idle keep-alive connection", server, "goal <= 1 s (DESIGN §3)")

    def case_cli_ctrl_c(self):
        samples = []
        for _ in range(self.args.runs):
            root = self.fresh()
            env = hostproc.clean_env(root / "home", root / "cache", HF_ENDPOINT=self.capped.url)
            proc = subprocess.Popen([self.args.cli, "download", REPO, "--file", RUNNING], env=env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            blobs = root / "cache" / ("models--" + REPO.replace("/", "--")) / "blobs"
            hostproc.wait_until(lambda: blobs.is_dir() and any(
                p.stat().st_blocks > 0 for p in blobs.glob("*.incomplete")), "the CLI started writing")
            t0 = time.perf_counter()
            proc.send_signal(signal.SIGINT)
            proc.wait(60)
            samples.append(time.perf_counter() - t0)
        self.add("cli-ctrl-c", "SIGINT mid-download -> exit 130", samples)

    def case_rate_limit(self):
        self.hub.reset()
        samples = []
        for _ in range(self.args.slow_runs):
            h = self.host(self.fresh(), TABAGENT_RATE_LIMIT="6M")
            seconds, events = self.timed_download(h, "small.bin")
            assert events[-1][1]["status"] == "done", events[-1]
            samples.append(seconds)
            h.close()
        self.add("rate-limit", "12 MiB at TABAGENT_RATE_LIMIT=6M, request -> done", samples, "ideal 2000 ms")

    def with_and_without(self, file, faults, reference_faults=lambda: None):
        """The download of `file` with `faults` and with `reference_faults`, alternating:
        two lists of (seconds, [(arrival, payload)])."""
        faulty, clean = [], []
        for _ in range(self.args.slow_runs):
            for add_faults, out in ((faults, faulty), (reference_faults, clean)):
                self.hub.reset()
                add_faults()
                h = self.host(self.fresh())
                seconds, events = self.timed_download(h, file)
                assert events[-1][1]["status"] == "done", events[-1]
                out.append((seconds, events))
                h.close()
        return faulty, clean

    def case_stall(self):
        for file, what, ref in (("one.bin", "3 MiB (one connection)", "stall timeout 10 000 ms + the rest"),
                                ("stall.bin", "16 MiB (4 connections)", "a free connection takes the range over")):
            def stall(file=file):
                self.hub.add_fault(kind="stall", endpoint="cdn", path_contains=file, times=1,
                                   after_fraction=0.1, stall_ms=600_000)
            faulty, clean = self.with_and_without(file, stall)
            self.add("stall", f"{what}, a connection stalls for good at 10 %", [s for s, _ in faulty], ref)
            self.add("stall", f"{what}, no stall (reference)", [s for s, _ in clean])

    def case_tail(self):
        size = 48 * MiB

        def even():
            self.hub.add_fault(kind="rate", path_contains="tail.bin", bytes_per_second=6_000_000, times=-1)

        def slow_one():  # the first body request takes the slow rule, the others the even one
            self.hub.add_fault(kind="rate", endpoint="cdn", path_contains="tail.bin", times=1, bytes_per_second=200_000)
            even()

        def last_tenth(events):  # progress events come at most 10 a second: a percent is too fine
            return events[-1][0] - next(t for t, p in events if p.get("loaded", 0) >= 0.9 * size)
        faulty, clean = self.with_and_without("tail.bin", slow_one, even)
        self.add("tail", "48 MiB, one connection at 200 kB/s: request -> done", [s for s, _ in faulty],
                 "unsplit, the slow range alone needs tens of seconds")
        self.add("tail", "the same: 90 % -> done", [last_tenth(e) for _, e in faulty], "compare the reference below")
        self.add("tail", "48 MiB, all at 6 MB/s (reference): request -> done", [s for s, _ in clean])
        self.add("tail", "the same: 90 % -> done", [last_tenth(e) for _, e in clean])

    def case_lock(self):
        self.hub.reset()
        etag = hashlib.sha256((self.tmp / "hub" / REPO / "lock.bin").read_bytes()).hexdigest()
        samples = []
        for _ in range(self.args.runs):
            root = self.fresh()
            lock_path = root / "cache" / ".locks" / ("models--" + REPO.replace("/", "--")) / (etag + ".lock")
            lock_path.parent.mkdir(parents=True)
            with open(lock_path, "a+b") as holder:
                fcntl.flock(holder, fcntl.LOCK_EX)
                h = self.host(root)
                job = h.call("download_file", repo=REPO, file="lock.bin")["payload"]["jobId"]
                h.wait_for(lambda f: f.get("jobId") == job and f["payload"].get("status") == "queued", timeout=60)
                self.hub.reset()
                unlocked = time.time()
                fcntl.flock(holder, fcntl.LOCK_UN)
            h.events(job, timeout=120)
            cdn = [r["time"] for r in self.hub.requests() if r["endpoint"] == "cdn"]
            samples.append(min(cdn) - unlocked)
            h.close()
        self.add("lock", "unlock -> first CDN request", samples, "lock poll backoff <= 200 ms")

    def case_give_up(self):
        def give_up(what, env, faults=lambda: None, code=None):
            samples = []
            for _ in range(self.args.slow_runs):
                self.hub.reset()
                faults()
                h = self.host(self.fresh(), **env)
                seconds, events = self.timed_download(h, "small.bin")
                final = events[-1][1]
                assert final["status"] == "error" and final["error"]["code"] == code, final
                samples.append(seconds)
                h.close()
            self.add("give-up", what, samples)

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            refused = s.getsockname()[1]
        give_up("429 forever (Retry-After 0.1 s) -> RATE_LIMITED", {},
                lambda: self.hub.add_fault(kind="status", status=429, retry_after=0.1, path_contains="small.bin",
                                           endpoint="resolve", times=-1), "RATE_LIMITED")
        give_up("DNS failure -> NETWORK", {"HF_ENDPOINT": "http://nohost.invalid:1"}, code="NETWORK")
        give_up("connection refused -> NETWORK", {"HF_ENDPOINT": f"http://127.0.0.1:{refused}"}, code="NETWORK")
        give_up("offline mode -> OFFLINE", {"HF_HUB_OFFLINE": "1"}, code="OFFLINE")

    def run(self):
        for case in self.args.cases:
            print(f"{case} ...", file=sys.stderr)
            getattr(self, "case_" + case.replace("-", "_"))()

    def report(self):
        load = os.getloadavg()
        print(f"Latencies in ms; {self.args.runs} runs ({self.args.slow_runs} for slow cases); "
              f"load average at the end {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1 / 5 / 15 min), "
              f"{os.cpu_count()} CPUs.\n")
        print("| case | what | n | median | min | max | reference / goal |")
        print("|---|---|---:|---:|---:|---:|---|")
        for case, what, xs, ref in self.rows:
            print(f"| {case} | {what} | {len(xs)} | {statistics.median(xs):.1f} | {min(xs):.1f} | "
                  f"{max(xs):.1f} | {ref} |")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=20, help="runs of the quick cases")
    ap.add_argument("--slow-runs", type=int, default=3, help="runs of the cases that take seconds each")
    ap.add_argument("--cases", default=",".join(CASES))
    ap.add_argument("--host", default=hostproc.HOST)
    ap.add_argument("--cli", default=CLI)
    ap.add_argument("--fakehub", default=hostproc.FAKEHUB)
    ap.add_argument("--fakehub-gen", default=hostproc.FAKEHUB_GEN)
    args = ap.parse_args()
    args.cases = [c for c in args.cases.split(",") if c]
    unknown = set(args.cases) - set(CASES)
    if unknown:
        ap.error("unknown cases: " + ", ".join(sorted(unknown)))
    bench = Bench(args)
    try:
        bench.run()
    finally:
        bench.close()
    bench.report()


if __name__ == "__main__":
    main()
