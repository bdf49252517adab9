"""Download engine through the real host on a small tmpfs cache: free space checked before
starting, ENOSPC mid-way -> DISK_FULL with the partial kept, resumed once space is back
(issue 5, item 5). Needs root for `mount -t tmpfs`; skipped with a message otherwise."""
import os
import subprocess
import unittest

from engine_kit import MiB, EngineCase, wait_until

REPO = "o/disk"


class DiskTest(EngineCase):
    def setUp(self):
        super().setUp()
        self.small = self.root / "small-cache"
        self.small.mkdir()
        try:
            subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(self.small)],
                           check=True, capture_output=True, timeout=10)
        except (OSError, subprocess.SubprocessError) as e:
            self.skipTest("cannot mount a small tmpfs (needs root): %s" % e)
        # Cleanups run last-in first-out: this unmount runs before the temp tree is removed.
        self.addCleanup(subprocess.run, ["umount", "-l", str(self.small)], check=False, timeout=10)

    def free_bytes(self):
        st = os.statvfs(self.small)
        return st.f_bavail * st.f_frsize

    def test_not_enough_space_fails_before_fetching_anything(self):
        self.make_repo(REPO, {"big.safetensors": 12 * MiB})
        self.start_hub()
        host = self.start_host(self.env(cache=self.small))
        job = self.submit(host, repo=REPO, file="big.safetensors")
        events, last = self.wait_terminal(host, job)
        self.assertEqual(last["status"], "error", last)
        self.assertEqual(last["error"]["code"], "DISK_FULL", last)
        self.assertEqual([r for r in self.hub.requests() if r["endpoint"] == "cdn"], [])
        self.assertEqual(self.partials(REPO, self.small), [], "nothing started")

    def test_enospc_mid_way_keeps_the_partial_and_resumes_later(self):
        size = 6 * MiB
        self.make_repo(REPO, {"mid.safetensors": size})
        self.start_hub(rate_per_connection=2_500_000)
        # The hub holds the body at 3 MiB; once the journal names those bytes, the space is taken
        # away and the rest let through: ENOSPC hits mid-way at a known point, whatever the load.
        hold = self.hub.hold("mid.safetensors", after_bytes=3 * MiB)
        host = self.start_host(self.env(cache=self.small))
        job = self.submit(host, repo=REPO, file="mid.safetensors")
        wait_until(lambda: self.journaled(REPO, self.small) == 3 * MiB, "the journal names the first 3 MiB")
        filler = self.small / "filler"
        with open(filler, "wb") as f:
            left = self.free_bytes() - 256 * 1024
            chunk = b"\0" * MiB
            while left > 0:
                f.write(chunk[:min(left, len(chunk))])
                left -= len(chunk)
        self.hub.remove_fault(hold)
        events, last = self.wait_terminal(host, job)
        self.assertEqual(last["status"], "error", last)
        self.assertEqual(last["error"]["code"], "DISK_FULL", last)
        kept = [p.name for p in self.partials(REPO, self.small)]
        self.assertTrue(any(n.endswith(".incomplete") for n in kept), kept)
        self.assertTrue(any(n.endswith(".journal") for n in kept), kept)
        self.wait_hub_idle()  # the interrupted request has ended on the hub's side
        first_run = self.wire_bytes()

        filler.unlink()
        self.hub.reset()  # fresh request log and byte counter
        job = self.submit(host, repo=REPO, file="mid.safetensors")
        events, last = self.wait_terminal(host, job)
        self.assertEqual(last["status"], "done", last)
        self.assert_same_bytes(REPO, "mid.safetensors", cache=self.small)
        cdn = [r for r in self.hub.requests() if r["endpoint"] == "cdn"]
        self.assertNotIn("bytes=0-", " ".join(r["range"] or "" for r in cdn), "resumed, not restarted")
        self.assertLess(self.wire_bytes(), size - 2 * MiB, "the second run fetched only the rest")
        self.assertLess(first_run + self.wire_bytes(), 1.5 * size)
        self.assertEqual(host.close(), 0)


if __name__ == "__main__":
    unittest.main()
