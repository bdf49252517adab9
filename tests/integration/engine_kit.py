"""Shared setup for the download-engine integration tests (tests/integration/test_engine_*.py):
a fake hub with generated repos, hosts started as processes against it, and checks on the cache.
"""
import hashlib
import json
import os
import pathlib
import tempfile
import time
import unittest

from hostproc import HOST, SANITIZED, HostProcess, clean_env, wait_until  # noqa: F401  (re-exported)
from fakehub import FakeHub, generate

HERE = pathlib.Path(__file__).resolve().parent
FAKEHUB = os.environ.get("FAKEHUB", str(HERE.parents[1] / "build/ci/tests/fakehub/fakehub"))
FAKEHUB_GEN = os.environ.get("FAKEHUB_GEN", str(HERE.parents[1] / "build/ci/tests/fakehub/fakehub-gen"))
MiB = 1 << 20
TERMINAL = ("done", "error", "cancelled")


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(1 << 20)
            if not b:
                return h.hexdigest()
            h.update(b)


class EngineCase(unittest.TestCase):
    """One temp tree per test: <tmp>/hub (fake hub root), <tmp>/home (data dir), <tmp>/cache."""

    def setUp(self):
        tmp = tempfile.TemporaryDirectory(prefix="tabagent-engine-")
        self.addCleanup(tmp.cleanup)
        self.root = pathlib.Path(tmp.name)
        self.hub_root = self.root / "hub"
        self.home = self.root / "home"
        self.cache = self.root / "cache"
        for d in (self.hub_root, self.home, self.cache):
            d.mkdir()
        self.hub = None

    # -- fake hub ------------------------------------------------------------------------------
    def start_hub(self, **kw):
        self.hub = FakeHub(FAKEHUB, self.hub_root, **kw).start()
        self.addCleanup(self.hub.stop)
        return self.hub

    def make_repo(self, repo, files, **kw):
        """files: {path: size}; returns the commit sha."""
        return generate(FAKEHUB_GEN, self.hub_root, repo, files=files, **kw)

    def hub_file(self, repo, path):
        return self.hub_root / repo / path

    def wire_bytes(self):
        return self.hub.stats()["bytes_sent_total"]

    def wait_hub_idle(self):
        """Until the hub has no request in flight (e.g. bodies a killed or paused host left behind,
        once their hold is released): its byte counter then stays put."""
        wait_until(lambda: self.hub.stats()["in_flight"] == 0, "requests still in flight at the hub")

    # -- hosts ---------------------------------------------------------------------------------
    def env(self, home=None, cache=None, **extra):
        return clean_env(home or self.home, cache or self.cache, HF_ENDPOINT=self.hub.url, **extra)

    def start_host(self, env=None, **extra):
        host = HostProcess(env or self.env(**extra))
        self.addCleanup(self._stop_host, host)
        return host

    @staticmethod
    def _stop_host(host):
        if host.proc.poll() is None:
            host.kill()
        for s in (host.proc.stdin, host.proc.stdout, host.proc.stderr):
            try:
                s.close()
            except OSError:
                pass

    def submit(self, host, action="download_file", **fields):
        reply = host.call(action, **fields)
        self.assertEqual(reply.get("status"), "success", reply)
        return reply["payload"]["jobId"]

    def wait_terminal(self, host, job_id, timeout=60.0):
        events = host.events(job_id, timeout=timeout)
        return events, events[-1]["payload"]

    def wait_event(self, host, job_id, pred, timeout=30.0):
        """First event of the job matching pred(payload); earlier ones are consumed."""
        deadline = time.monotonic() + timeout
        while True:
            f = host.wait_for(lambda f: f.get("type") and f.get("jobId") == job_id,
                              max(0.05, deadline - time.monotonic()))
            if pred(f["payload"]):
                return f["payload"]
            if f["payload"].get("status") in TERMINAL:
                self.fail("job ended before the awaited event: %r" % f["payload"])

    # -- cache checks --------------------------------------------------------------------------
    def repo_dir(self, repo, cache=None):
        return (cache or self.cache) / ("models--" + repo.replace("/", "--"))

    def snapshot_file(self, repo, path, cache=None):
        snaps = list((self.repo_dir(repo, cache) / "snapshots").glob("*/" + path))
        self.assertEqual(len(snaps), 1, "expected one snapshot entry for %s: %r" % (path, snaps))
        return snaps[0]

    def assert_same_bytes(self, repo, path, cache=None, flipped=False):
        got = self.snapshot_file(repo, path, cache).read_bytes()
        want = self.hub_file(repo, path).read_bytes()
        if flipped:
            want = want.translate(bytes(255 - i for i in range(256)))
        self.assertEqual(len(got), len(want))
        self.assertTrue(got == want, "cached bytes of %s differ from the hub's" % path)

    def partials(self, repo, cache=None):
        return sorted((self.repo_dir(repo, cache) / "blobs").glob("*.incomplete*"))

    def journaled(self, repo, cache=None):
        """Bytes the partial's journal names as written (0 without a readable journal)."""
        for path in self.partials(repo, cache):
            if path.name.endswith(".journal"):
                try:
                    return sum(end - begin for begin, end in json.loads(path.read_text())["done"])
                except (OSError, ValueError, KeyError):
                    return 0  # being replaced right now (temp + rename): look again
        return 0
