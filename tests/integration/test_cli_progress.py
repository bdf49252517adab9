"""tabagent-cache downloads on a slow (rate-capped) fake hub: terminal progress bars, Ctrl-C
leaving a resumable partial, and the job journal shared with the host."""
import hashlib
import json
import os
import re
import signal
import subprocess
import tempfile
import time
import unittest

from clitest import CLI, FAKEHUB, FAKEHUB_GEN, Workspace
from fakehub import FakeHub, generate
from test_cli import run_in_pty

BIG = "slow-org/Big-GGUF"
BIG_FILE = "Big-Q4_K_M.gguf"
BIG_SIZE = 3 * 1024 * 1024
RATE = 512 * 1024  # bytes per second per connection


class CliOnASlowHub(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="tabagent-cli-slow-")
        generate(FAKEHUB_GEN, cls.tmp.name, BIG, files={BIG_FILE: BIG_SIZE, "config.json": "1K"})
        cls.hub = FakeHub(FAKEHUB, cls.tmp.name, rate_per_connection=RATE).start()

    @classmethod
    def tearDownClass(cls):
        cls.hub.stop()
        cls.tmp.cleanup()

    def setUp(self):
        self.ws = Workspace(self, self.hub.url)
        self.hub.reset()

    def wait_for_partial(self, proc, at_least, timeout=30):
        """Until the .incomplete file holds at_least bytes of data (allocated blocks: the engine
        writes pieces with pwrite, so the file's length says nothing). The timeout is a hang guard."""
        blobs = self.ws.repo_dir(BIG) / "blobs"
        deadline = time.monotonic() + timeout
        while True:
            held = sum(p.stat().st_blocks * 512 for p in blobs.glob("*.incomplete")) if blobs.exists() else 0
            if held >= at_least:
                return
            self.assertIsNone(proc.poll(), "the download ended before it could be interrupted")
            self.assertLess(time.monotonic(), deadline, "no progress")
            time.sleep(0.02)

    def interrupt_a_download(self, *extra):
        # The hub holds the body at half the file (until setUp's reset): the download is still
        # running when Ctrl-C comes, however slowly this test gets there.
        self.hub.hold(BIG_FILE, after_bytes=BIG_SIZE // 2)
        proc = subprocess.Popen([CLI, "download", BIG, *extra], env=self.ws.env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        self.wait_for_partial(proc, BIG_SIZE // 3)
        proc.send_signal(signal.SIGINT)
        # The event: exit 130 (60 s guard, only for a hang). Seconds from Ctrl-C to exit are
        # bench/latency_bench.py's "cli-ctrl-c" row.
        out, err = proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, 130, "stderr %r stdout %r wire %r" % (err, out, self.hub.stats()))
        self.assertIn("interrupted", out if "--json" in extra else err)
        self.assertNotIn("terminate called", err)
        partials = list((self.ws.repo_dir(BIG) / "blobs").glob("*.incomplete"))
        self.assertEqual(len(partials), 1, list((self.ws.repo_dir(BIG) / "blobs").iterdir()))
        return out, err

    def test_terminal_shows_redrawn_bars_ending_at_100_percent(self):
        # The hub lets the body through 256 KiB at a time and all of it only once the terminal has
        # shown 5 redraws: the redraws are events this test waited for, not a count that depends
        # on how long the transfer happened to take.
        step = 256 * 1024
        hold = self.hub.hold(BIG_FILE, after_bytes=step)
        marker = b"\r\x1b[2K" + BIG.encode()  # every redraw rewrites the total line
        seen = {"frames": 0, "released": False}

        def on_output(out, _pid):
            frames = out.count(marker)
            if seen["released"] or frames <= seen["frames"]:
                return
            seen["frames"] = frames
            if frames >= 5:
                self.hub.remove_fault(hold)
                seen["released"] = True
            else:
                self.hub.release_hold(hold, bytes=step)

        start = time.monotonic()
        code, out = run_in_pty([CLI, "download", BIG], self.ws.env, on_output=on_output)
        elapsed = time.monotonic() - start  # contains the CLI's whole life: a load-proof bound
        text = out.decode("utf-8", "replace")
        self.assertEqual(code, 0, text)
        frames = text.count("\r\x1b[2K" + BIG)
        self.assertGreaterEqual(frames, 5, text)
        self.assertLessEqual(frames, 10 * elapsed + 3, "more than 10 redraws a second")
        last_total = text.rsplit("\r\x1b[2K" + BIG, 1)[1]
        self.assertRegex(last_total, r"\] 100%\s+3\.15 MB / 3\.15 MB")
        self.assertIn(BIG_FILE, text)  # the per-file bar
        self.assertRegex(text, r"\d+(\.\d+)? (kB|MB)/s")
        self.assertIn("ETA", text)
        self.assertIn("Downloaded " + BIG + " Q4_K_M", text)

    def test_ctrl_c_keeps_a_partial_that_the_next_download_resumes(self):
        out, err = self.interrupt_a_download()
        self.assertIn("jobs resume", err)
        jobs = self.ws.json("jobs")["jobs"]
        self.assertEqual(len(jobs), 1)
        self.assertEqual(jobs[0]["repo"], BIG)
        self.hub.reset()
        doc = self.ws.json("download", BIG)
        self.assertEqual(doc["status"], "done")
        self.assertEqual(doc["jobId"], jobs[0]["jobId"])  # the journaled job continued
        on_wire = self.hub.stats()["bytes_sent_total"]
        self.assertLess(on_wire, BIG_SIZE * 0.8, "resumed download re-fetched %d bytes" % on_wire)
        self.assertEqual(self.ws.json("jobs")["jobs"], [])
        path = next(f["localPath"] for f in doc["files"] if f["path"] == BIG_FILE)
        self.assertEqual(os.path.getsize(path), BIG_SIZE)
        self.assertEqual(list((self.ws.repo_dir(BIG) / "blobs").glob("*.incomplete")), [])
        self.assertEqual(self.ws.json("verify")["bad"], 0)

    def test_ctrl_c_then_jobs_resume_in_the_foreground(self):
        self.interrupt_a_download("--json")
        jobs = self.ws.json("jobs")["jobs"]
        self.assertEqual(len(jobs), 1)
        self.hub.reset()
        out = self.ws.run("jobs", "resume", jobs[0]["jobId"])
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("Downloaded " + BIG, out.stdout)
        self.assertLess(self.hub.stats()["bytes_sent_total"], BIG_SIZE * 0.8)
        self.assertEqual(self.ws.json("jobs")["jobs"], [])

    def test_interrupted_json_run_prints_one_error_document(self):
        out, _ = self.interrupt_a_download("--json")
        doc = json.loads(out)
        self.assertEqual(doc["exitCode"], 130)
        self.assertEqual(doc["error"]["code"], "CANCELLED")
        self.assertTrue(doc["resumable"])
        cancelled = self.ws.json("jobs", "cancel", doc["jobId"])
        self.assertTrue(cancelled["cancelled"])
        self.assertEqual(self.ws.json("jobs")["jobs"], [])

    def test_limit_rate_slows_the_download(self):
        start = time.monotonic()
        doc = self.ws.json("download", BIG, "--file", BIG_FILE, "--limit-rate", "2M")
        self.assertEqual(doc["status"], "done")
        # 3 MiB at 2 MiB/s cannot finish in under a second, whatever the hub's own cap allows.
        self.assertGreater(time.monotonic() - start, 1.0)


if __name__ == "__main__":
    unittest.main()
