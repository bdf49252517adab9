"""Load (issue 8): 8 download jobs running the whole time (rate-limited on the fake hub) while the
test sends 1 000 pings per second for TABAGENT_LOAD_SECONDS (default 20). Every ping is answered,
each job's events are complete and in order, and the host's memory stays flat. Ping latencies are
printed, not judged: a loaded CI machine can make any of them slow; bench/latency_bench.py
measures them ("ping" rows, DESIGN §3's 50 ms)."""
import os
import pathlib
import shutil
import struct
import json
import tempfile
import threading
import time
import unittest

from hostproc import FAKEHUB, FAKEHUB_GEN, SANITIZED, HostProcess, clean_env
import fakehub as fh  # noqa: E402

SECONDS = float(os.environ.get("TABAGENT_LOAD_SECONDS", "20"))
JOBS = 8
PINGS_PER_SECOND = 1000
RATE = 256 << 10  # bytes/s per connection: each file would need SECONDS + 15 s
TERMINAL = ("done", "error", "cancelled")


def vm_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class LoadTest(unittest.TestCase):
    def setUp(self):
        self.tmp = pathlib.Path(tempfile.mkdtemp(prefix="tabagent-load-"))
        self.addCleanup(shutil.rmtree, self.tmp, True)
        size = int(RATE * (SECONDS + 15))
        fh.generate(FAKEHUB_GEN, self.tmp / "hub", "org/load",
                    files={f"part{i}.bin": str(size) for i in range(JOBS)})
        self.hub = fh.FakeHub(FAKEHUB, self.tmp / "hub", rate_per_connection=RATE, threads=32).__enter__()
        self.addCleanup(self.hub.__exit__, None, None, None)
        # Each file stops 64 KiB short of its end until the hub stops: no job can finish before the
        # test cancels it, however slowly the pings go out.
        for i in range(JOBS):
            self.hub.hold(f"part{i}.bin", after_bytes=size - (64 << 10))
        (self.tmp / "home").mkdir()
        (self.tmp / "cache").mkdir()
        env = clean_env(self.tmp / "home", self.tmp / "cache", HF_ENDPOINT=self.hub.url, TABAGENT_MAX_JOBS=JOBS)
        self.host = HostProcess(env)
        self.addCleanup(self.host.kill)

    def test_pings_jobs_and_memory_under_load(self):
        h = self.host
        job_ids = []
        for i in range(JOBS):
            r = h.call("download_file", repo="org/load", file=f"part{i}.bin")
            self.assertEqual(r["status"], "success", r)
            job_ids.append(r["payload"]["jobId"])

        sent = {}  # ping id -> send time
        lock = threading.Lock()
        stop = threading.Event()

        total = int(PINGS_PER_SECOND * SECONDS)  # exactly this many, paced at PINGS_PER_SECOND

        def pinger():
            n, start = 0, time.monotonic()
            while n < total and not stop.is_set():
                due = min(total, int((time.monotonic() - start) * PINGS_PER_SECOND))
                batch = b""
                while n < due:
                    n += 1
                    mid = f"p{n}"
                    body = json.dumps({"action": "ping", "messageId": mid}).encode()
                    batch += struct.pack("=I", len(body)) + body
                    with lock:
                        sent[mid] = time.monotonic()
                if batch:
                    h.proc.stdin.write(batch)
                    h.proc.stdin.flush()
                time.sleep(0.005)

        latencies, events, rss = [], {j: [] for j in job_ids}, []
        for f in h.pending:  # events that arrived while the jobs were being submitted
            self.collect(f, sent, lock, latencies, events)
        h.pending.clear()
        thread = threading.Thread(target=pinger, daemon=True)
        started = time.monotonic()
        next_sample = started
        thread.start()
        try:
            while time.monotonic() - started < SECONDS or thread.is_alive():
                now = time.monotonic()
                if now >= next_sample:
                    rss.append((now - started, vm_rss_kib(h.proc.pid)))
                    next_sample += 1.0
                try:
                    f = h.read_frame(timeout=1.0)
                except TimeoutError:
                    continue
                self.collect(f, sent, lock, latencies, events)
        finally:
            stop.set()
            thread.join()
        # Drain the pings still in flight.
        deadline = time.monotonic() + 30
        while len(latencies) < len(sent) and time.monotonic() < deadline:
            self.collect(h.read_frame(timeout=max(0.01, deadline - time.monotonic())), sent, lock, latencies, events)
        self.assertEqual(len(sent), total)
        self.assertEqual(len(latencies), len(sent), "pings without a reply")

        # The jobs ran the whole time: cancel them, then every job has exactly one terminal event.
        for j in job_ids:
            st = [e["payload"]["status"] for e in events[j]]
            self.assertNotIn("error", st, (j, events[j][-1:]))
            if not any(s in TERMINAL for s in st):
                h.send({"action": "cancel_download", "messageId": f"c_{j}", "jobId": j})
        deadline = time.monotonic() + 30
        while any(not any(e["payload"]["status"] in TERMINAL for e in events[j]) for j in job_ids):
            self.collect(h.read_frame(timeout=max(0.01, deadline - time.monotonic())), sent, lock, latencies, events)
        for j in job_ids:
            statuses = [e["payload"]["status"] for e in events[j]]
            self.assertEqual(statuses.count("initiate"), 1, statuses[:5])
            self.assertEqual(statuses[0], "initiate")
            self.assertEqual(sum(s in TERMINAL for s in statuses), 1)
            self.assertIn(statuses[-1], TERMINAL)
            loaded = [e["payload"]["loaded"] for e in events[j]]
            progress = [e["payload"]["progress"] for e in events[j]]
            self.assertEqual(loaded, sorted(loaded), f"job {j}: loaded went backwards")
            self.assertEqual(progress, sorted(progress), f"job {j}: progress went backwards")
            # Running the whole time: it was still running when the pings ended (the hold makes
            # that certain), so its one terminal event is the cancel this test sent. Progress
            # flowed while it ran; how often (at most 10/s) is pinned by the unit test "jobs:
            # progress is throttled and never goes backwards", not by counting over seconds.
            self.assertEqual(statuses[-1], "cancelled", f"job {j} was not running the whole time")
            self.assertIn("progress", statuses, f"job {j} sent no progress")

        # Memory: flat after a warm-up of a quarter of the run.
        warm = [kib for t, kib in rss if t >= SECONDS / 4]
        growth_mib = (max(warm) - warm[0]) / 1024
        latencies.sort()
        p50, p99 = latencies[len(latencies) // 2], latencies[int(len(latencies) * 0.99)]
        print(f"\nload: {len(sent)} pings in {SECONDS:.0f} s, p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, "
              f"max {latencies[-1] * 1000:.0f} ms; RSS {warm[0] / 1024:.1f} -> {warm[-1] / 1024:.1f} MiB "
              f"(max growth {growth_mib:.1f} MiB)")
        # Under ASan freed memory sits in its quarantine (up to 256 MiB), so RSS says nothing about
        # leaks there; LSan and the valgrind run cover leaks, this check the optimised build.
        if not SANITIZED:
            self.assertLess(growth_mib, 20)

    def collect(self, f, sent, lock, latencies, events):
        now = time.monotonic()
        if f.get("type") == "modelWorkerLoadingProgress":
            if f["jobId"] in events:
                events[f["jobId"]].append(f)
            return
        if "type" in f:
            return
        mid = f.get("messageId")
        if isinstance(mid, str) and mid.startswith("p"):
            self.assertEqual(f["status"], "success", f)
            self.assertEqual(f["response"], "pong")
            with lock:
                latencies.append(now - sent[mid])


if __name__ == "__main__":
    unittest.main()
