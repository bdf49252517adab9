"""Many files of one variant download in parallel, within the global connection limit
(TABAGENT_MAX_CONNECTIONS), and a large file is fetched in bounded Range segments over several
connections (issue 5, item 1)."""
import re
import unittest

from engine_kit import MiB, EngineCase, wait_until

REPO = "o/shards"


def max_overlap(entries):
    """Most requests in flight at once, from the fake hub's log: each from its arrival (`time`) to
    the moment its last body write began (`last_write`). The host sends a request on a freed slot
    only after reading the previous body's last byte, which the hub wrote after `last_write`: so
    back-to-back reuse never counts as overlap, however late any thread ran (no slack in seconds)."""
    points = []
    for e in entries:
        if e["last_write"] is not None:
            points += [(e["time"], 1), (e["last_write"], -1)]
    best = cur = 0
    for _, d in sorted(points, key=lambda p: (p[0], p[1])):
        cur += d
        best = max(best, cur)
    return best


class ParallelTest(EngineCase):
    def test_small_files_in_parallel_within_the_connection_limit(self):
        n = 24
        files = {"model-%05d-of-%05d.safetensors" % (i + 1, n): 512 * 1024 for i in range(n)}
        self.make_repo(REPO, files)
        self.start_hub(rate_per_connection=2_000_000)  # ~0.25 s per file
        # Every body is held before its first byte until 4 requests wait at once: "in parallel"
        # is then a fact the hub saw, not a matter of how fast each file went.
        hold = self.hub.hold("safetensors")
        host = self.start_host(TABAGENT_MAX_CONNECTIONS="4")
        job = self.submit(host, "download_quant", repo=REPO, quant="safetensors")
        wait_until(lambda: self.hub.fault(hold)["waiting"] >= 4, "files are fetched in parallel")
        self.hub.remove_fault(hold)
        events, last = self.wait_terminal(host, job)
        self.assertEqual(last["status"], "done", last)
        self.assertEqual(last["filesDone"], n, last)
        for path in files:
            self.assert_same_bytes(REPO, path)
        body = [e for e in self.hub.requests() if e["endpoint"] in ("resolve", "cdn")
                and e["status"] in (200, 206)]
        self.assertEqual(len(body), n, "each file fetched once")
        overlap = max_overlap(body)
        self.assertLessEqual(overlap, 4, "global connection limit")
        self.assertGreaterEqual(overlap, 3, "files are fetched in parallel")

    def test_large_file_uses_bounded_ranges_on_several_connections(self):
        size = 40 * MiB
        self.make_repo(REPO, {"model.safetensors": size})
        self.start_hub(rate_per_connection=8_000_000)
        hold = self.hub.hold("model.safetensors")  # until 4 ranges wait at once, as above
        host = self.start_host()
        job = self.submit(host, repo=REPO, file="model.safetensors")
        wait_until(lambda: self.hub.fault(hold)["waiting"] >= 4, "several connections at once")
        self.hub.remove_fault(hold)
        events, last = self.wait_terminal(host, job)
        self.assertEqual(last["status"], "done", last)
        self.assert_same_bytes(REPO, "model.safetensors")
        cdn = [e for e in self.hub.requests() if e["endpoint"] == "cdn"]
        ranges = []
        for e in cdn:
            m = re.fullmatch(r"bytes=(\d+)-(\d+)", e["range"] or "")
            self.assertIsNotNone(m, "only bounded ranges: %r" % e["range"])
            ranges.append((int(m.group(1)), int(m.group(2)) + 1))
        self.assertGreaterEqual(max_overlap(cdn), 4, "several connections at once")
        self.assertEqual(min(ranges)[0], 0)
        self.assertEqual(max(r[1] for r in ranges), size)
        # DESIGN §7's bound. Whether a tail gets split (and how many bytes were in flight past the
        # cut) depends on timing here; that equal connections fetch no byte twice is pinned exactly
        # by the unit test "download: a large file is fetched in segments with bounded bytes on the
        # wire" (fake transport: bytes_sent == size).
        self.assertLess(self.wire_bytes(), 1.15 * size, "no byte fetched twice (give or take a split)")

if __name__ == "__main__":
    unittest.main()
