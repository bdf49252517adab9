"""Runs tabagent-host as the browser does, for integration tests: frames in, frames out."""
import json
import os
import pathlib
import select
import struct
import subprocess
import sys
import tempfile
import time
import shutil
import unittest

import target

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "fakehub"))
sys.path.insert(0, str(HERE.parent / "replay"))

TABAGENT_ORIGIN = "chrome-extension://fkkeoobeahalebjpbockfedlncckobjb/"
HOST = os.environ.get("TABAGENT_HOST", str(HERE.parents[1] / "build/ci/src/host/tabagent-host"))
SANITIZED = bool(os.environ.get("TABAGENT_SANITIZED"))
WINDOWS = target.is_windows(HOST)  # a Windows .exe under Wine (tests/windows/run-wine-tests.sh)
# Hang guards are longer under Wine: starting a process there costs seconds on a loaded machine.
# They only turn a hang into a failure; no test passes or fails by how long a step took.
GUARD = 4 if WINDOWS else 1


def clean_env(home, cache, **extra):
    # TABAGENT_LOG_LEVEL passes through, so a run can ask for debug logs (printed when a test fails).
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("HF_", "TABAGENT_")) or k == "TABAGENT_LOG_LEVEL"}
    env.update(TABAGENT_HOME=str(home), TABAGENT_CACHE=str(cache), HF_ENDPOINT="http://127.0.0.1:9",
               TABAGENT_AUTO_RESUME="0")
    env.update({k: str(v) for k, v in extra.items()})
    return env


class HostProcess:
    """A running host with a frame reader. Frames are read on demand with timeouts."""

    def __init__(self, env, args=(TABAGENT_ORIGIN,), binary=HOST):
        self.proc = subprocess.Popen(target.command(binary, *args), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=target.target_env(env, binary))
        self._buf = b""
        self._next_id = 0
        self.pending = []  # frames read but not yet consumed

    def send(self, obj):
        body = json.dumps(obj).encode()
        self.proc.stdin.write(struct.pack("=I", len(body)) + body)
        self.proc.stdin.flush()

    def request(self, action, **fields):
        self._next_id += 1
        mid = f"t{self._next_id}"
        self.send({"action": action, "messageId": mid, **fields})
        return mid

    # Every timeout here is a hang guard (>= 30 s): it only turns a host that never answers into a
    # failure. No test bounds how fast the host answers; bench/latency_bench.py measures that.
    def read_frame(self, timeout=30.0):
        return self._read_frame_until(time.monotonic() + timeout * GUARD)

    def _read_frame_until(self, deadline):
        fd = self.proc.stdout.fileno()
        while True:
            if len(self._buf) >= 4:
                (n,) = struct.unpack_from("=I", self._buf)
                if len(self._buf) >= 4 + n:
                    body, self._buf = self._buf[4:4 + n], self._buf[4 + n:]
                    return json.loads(body)
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no frame from the host")
            r, _, _ = select.select([fd], [], [], left)
            if r:
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    raise EOFError("host closed stdout")
                self._buf += chunk

    def wait_for(self, pred, timeout=30.0):
        """Returns the first frame (pending or new) matching pred; others stay pending."""
        for i, f in enumerate(self.pending):
            if pred(f):
                return self.pending.pop(i)
        deadline = time.monotonic() + timeout * GUARD
        while True:
            f = self._read_frame_until(max(deadline, time.monotonic() + 0.01))
            if pred(f):
                return f
            self.pending.append(f)

    def reply(self, mid, timeout=30.0):
        return self.wait_for(lambda f: f.get("messageId") == mid and "type" not in f, timeout)

    def call(self, action, timeout=30.0, **fields):
        return self.reply(self.request(action, **fields), timeout)

    def events(self, job_id, until_terminal=True, timeout=60.0):
        out = []
        while True:
            f = self.wait_for(lambda f: f.get("type") and f.get("jobId") == job_id, timeout)
            out.append(f)
            if until_terminal and f["payload"].get("status") in ("done", "error", "cancelled"):
                return out

    def close(self, timeout=30.0):
        if self.proc.stdin and not self.proc.stdin.closed:
            self.proc.stdin.close()
        rc = self.proc.wait(timeout * GUARD)
        self.stderr = drain(self.proc.stderr).decode("utf-8", "replace")
        self.proc.stdout.close()
        self.proc.stderr.close()
        return rc

    def kill(self):
        self.proc.kill()
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            try:
                stream.close()
            except (OSError, ValueError):
                pass


def drain(pipe):
    """What an exited process left in its pipe, without waiting for EOF: under Wine the processes
    the first program of a session starts (services.exe, explorer.exe...) inherit its pipes and
    outlive it, so EOF may never come."""
    os.set_blocking(pipe.fileno(), False)
    out = b""
    while True:
        try:
            chunk = os.read(pipe.fileno(), 1 << 16)
        except BlockingIOError:
            return out
        if not chunk:
            return out
        out += chunk


def local(path, binary=None):
    """A path the host reported, as this machine spells it (a Windows host under Wine says Z:\\...)."""
    return target.from_target_path(path, binary or HOST)


def test_failed(test):
    """Whether `test` has failed so far (read in a cleanup, before its folders go)."""
    outcome = getattr(test, "_outcome", None)
    result = getattr(outcome, "result", None)
    if outcome is None or result is None:
        return False
    if not getattr(outcome, "success", True):
        return True
    return any(t is test for t, _ in list(result.errors) + list(result.failures))


def print_logs_if_failed(test, home):
    """A failed test shows the end of each host log it left (CI keeps no temp dirs)."""
    if not test_failed(test):
        return
    for log in sorted(pathlib.Path(home).glob("logs/*.log")):
        lines = log.read_text(errors="replace").splitlines()
        sys.stderr.write("--- last %d lines of %s\n" % (min(len(lines), 80), log))
        sys.stderr.write("\n".join(lines[-80:]) + "\n")


def temp_dirs(test):
    tmp = tempfile.TemporaryDirectory(prefix="tabagent-it-")
    test.addCleanup(tmp.cleanup)
    root = pathlib.Path(tmp.name)
    (root / "home").mkdir()
    (root / "cache").mkdir()
    test.addCleanup(print_logs_if_failed, test, root / "home")  # runs before the cleanup above
    return root, root / "home", root / "cache"


FAKEHUB = os.environ.get("FAKEHUB", str(HERE.parents[1] / "build/ci/tests/fakehub/fakehub"))
FAKEHUB_GEN = os.environ.get("FAKEHUB_GEN", str(HERE.parents[1] / "build/ci/tests/fakehub/fakehub-gen"))


class SharedHubTestCase(unittest.TestCase):
    """One fake hub per test class, serving the repos `make_repos(root)` generates (with tokens
    HUB_TOKENS), its log and faults reset before each test. Each test gets its own directory
    (self.dir) with a cache dir (self.cache, created) and a data dir path (self.home, left for the
    host to create); hosts started with start_host() are killed when the test ends."""
    HUB_TOKENS = ()

    @classmethod
    def make_repos(cls, root):
        raise NotImplementedError

    @classmethod
    def setUpClass(cls):
        import fakehub as fh  # tests/fakehub, put on sys.path above
        cls.tmp = tempfile.mkdtemp(prefix=f"tabagent-{cls.__name__}-")
        cls.root = pathlib.Path(cls.tmp) / "hub"
        cls.make_repos(cls.root)
        cls.hub = fh.FakeHub(FAKEHUB, cls.root, tokens=cls.HUB_TOKENS).__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.hub.__exit__(None, None, None)
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        self.hub.reset()
        self.dir = pathlib.Path(tempfile.mkdtemp(prefix="case-", dir=self.tmp))
        self.home, self.cache = self.dir / "home", self.dir / "cache"
        self.cache.mkdir()
        self.hosts = []
        self.addCleanup(print_logs_if_failed, self, self.home)  # after the hosts stop (LIFO)
        self.addCleanup(self.stop_hosts)

    def stop_hosts(self):
        for h in self.hosts:
            h.kill()  # also closes the pipes of hosts that already exited

    def start_host(self, args=None, **env):
        env.setdefault("HF_ENDPOINT", self.hub.url)
        h = HostProcess(clean_env(self.home, self.cache, **env), **({"args": args} if args else {}))
        self.hosts.append(h)
        return h


def wait_until(cond, what, guard=30.0):
    """Polls cond() until it is true. The guard only turns a hang into a failure naming `what`;
    tests wait for events this way instead of asserting how long something took."""
    deadline = time.monotonic() + guard * GUARD
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError("hang (%.0f s guard): %s" % (guard, what))
        time.sleep(0.01)


def sha256_of(path):
    import hashlib
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def progress_values(events):
    return [e["payload"]["progress"] for e in events]
