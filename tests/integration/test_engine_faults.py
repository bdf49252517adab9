"""Download engine through the real host against a misbehaving hub: Range ignored, corrupted
bytes, 429/503 storms with Retry-After, final HTTP errors, a stalled connection, a lagging tail
(issue 5, items 1, 3, 4 and 8)."""
import time
import unittest

from engine_kit import MiB, EngineCase

REPO = "o/faulty"
FILE = "model.safetensors"
SIZE = 16 * MiB


class FaultTest(EngineCase):
    def setUp(self):
        super().setUp()
        self.make_repo(REPO, {FILE: SIZE, "config.json": 300})

    def download(self, host=None, file=FILE, timeout=60.0):
        host = host or self.start_host()
        job = self.submit(host, repo=REPO, file=file)
        events, last = self.wait_terminal(host, job, timeout=timeout)
        return events, last

    def test_server_ignoring_range_still_works(self):
        self.start_hub()
        self.hub.add_fault(kind="ignore_range", endpoint="cdn", times=-1)
        events, last = self.download()
        self.assertEqual(last["status"], "done", last)
        self.assert_same_bytes(REPO, FILE)
        cdn = [r for r in self.hub.requests() if r["endpoint"] == "cdn"]
        self.assertTrue(any(r["status"] == 200 for r in cdn), cdn)
        # One stream carries the file; the other connections were dropped early. What a dropped
        # stream got on the wire is bounded by the socket buffers it never drained (the host
        # aborts it at its first body bytes), not by how quickly the host reacted.
        self.assertLess(self.wire_bytes(), 2.0 * SIZE)

    def test_small_git_file_without_range(self):
        self.start_hub()
        self.hub.add_fault(kind="ignore_range", endpoint="resolve", times=-1)
        events, last = self.download(file="config.json")
        self.assertEqual(last["status"], "done", last)
        self.assert_same_bytes(REPO, "config.json")

    def test_corrupted_segment_is_fetched_again(self):
        self.start_hub()
        self.hub.add_fault(kind="corrupt", endpoint="cdn", times=1)
        events, last = self.download()
        self.assertEqual(last["status"], "done", last)
        self.assert_same_bytes(REPO, FILE)
        self.assertEqual(self.partials(REPO), [])

    def test_corruption_every_time_is_integrity_and_leaves_nothing(self):
        self.start_hub()
        self.hub.add_fault(kind="corrupt", endpoint="cdn", times=-1)
        events, last = self.download()
        self.assertEqual(last["status"], "error", last)
        self.assertEqual(last["error"]["code"], "INTEGRITY", last)
        self.assertEqual(self.partials(REPO), [], "bad data is removed")
        self.assertFalse(list((self.repo_dir(REPO) / "snapshots").glob("*/" + FILE)))

    def test_503_storm_with_retry_after_is_waited_out(self):
        self.start_hub()
        self.hub.add_fault(kind="status", status=503, retry_after=0.4, endpoint="cdn", times=4)
        t0 = time.monotonic()
        events, last = self.download()
        self.assertEqual(last["status"], "done", last)
        self.assert_same_bytes(REPO, FILE)
        cdn = [r for r in self.hub.requests() if r["endpoint"] == "cdn"]
        failed = [r for r in cdn if r["status"] == 503]
        self.assertEqual(len(failed), 4, cdn)
        ok = [r for r in cdn if r["status"] == 206]
        # No successful retry before Retry-After elapsed after the first refusal.
        self.assertGreaterEqual(min(r["time"] for r in ok) - min(r["time"] for r in failed), 0.35)
        self.assertGreaterEqual(time.monotonic() - t0, 0.4)

    def test_429_forever_gives_rate_limited_after_capped_attempts(self):
        self.start_hub()
        self.hub.add_fault(kind="status", status=429, retry_after=0.05, endpoint="cdn", times=-1)
        events, last = self.download(timeout=30)
        self.assertEqual(last["status"], "error", last)
        self.assertEqual(last["error"]["code"], "RATE_LIMITED", last)
        attempts = [r for r in self.hub.requests() if r["endpoint"] == "cdn"]
        self.assertLessEqual(len(attempts), 40, "attempts are capped")
        waiting = [e for e in events if e["payload"]["status"] in ("progress", "queued")]
        self.assertTrue(waiting)
        # The partial stays for a later resume (a RATE_LIMITED run is not a bad download).
        self.assertFalse(list((self.repo_dir(REPO) / "snapshots").glob("*/" + FILE)))

    def test_final_http_answers_map_to_protocol_codes(self):
        self.start_hub()
        self.hub.add_fault(kind="status", status=404, endpoint="cdn", times=-1)
        events, last = self.download(timeout=30)
        self.assertEqual(last["status"], "error", last)
        self.assertEqual(last["error"]["code"], "NOT_FOUND", last)
        self.hub.clear_faults()
        self.hub.add_fault(kind="status", status=403, endpoint="resolve", times=-1, path_contains=FILE)
        events, last = self.download(timeout=30)
        self.assertEqual(last["status"], "error", last)
        self.assertIn(last["error"]["code"], ("AUTH_REQUIRED",), last)

    def test_stalled_connection_is_replaced(self):
        self.start_hub()
        # One CDN response stops sending for good (10 minutes, until the hub stops) after 10 % of
        # its range: the download can only finish if the host replaces that connection, so "done"
        # within the 120 s hang guard is the event. How soon after the 10 s stall timeout:
        # bench/latency_bench.py ("stall"); in engine time, the unit test "download: a stalled
        # connection is reconnected" (fake clock).
        self.hub.add_fault(kind="stall", endpoint="cdn", times=1, after_fraction=0.1, stall_ms=600_000)
        events, last = self.download(timeout=120)
        self.assertEqual(last["status"], "done", last)
        self.assert_same_bytes(REPO, FILE)
        self.assertLess(self.wire_bytes(), 1.15 * SIZE)


class TailTest(EngineCase):
    """One deliberately slow connection must not hold the download at 99 %."""

    def test_slow_tail_connection_is_split(self):
        size = 48 * MiB
        self.make_repo(REPO, {FILE: size})
        self.start_hub(rate_per_connection=6_000_000)
        # The last piece's connection crawls at 1/30 of the others' speed.
        self.hub.add_fault(kind="rate", endpoint="cdn", times=1, bytes_per_second=200_000,
                           path_contains="")
        host = self.start_host()
        job = self.submit(host, repo=REPO, file=FILE)
        events, last = self.wait_terminal(host, job, timeout=90)
        self.assertEqual(last["status"], "done", last)
        self.assert_same_bytes(REPO, FILE)
        self.assertLess(self.wire_bytes(), 1.15 * size)
        # The split as an event, not as seconds: another connection asked for bytes inside the
        # slowed range (alone, unsplit, it needs tens of seconds). Time to 100 % and the last percent are
        # bench/latency_bench.py's "tail" row; the planner's arithmetic is unit-tested in "download:
        # a lagging last piece is split onto another connection" (fake clock).
        cdn = [r for r in self.hub.requests() if r["endpoint"] == "cdn"]
        slow = [r for r in cdn if r["fault"] == "rate"]
        self.assertEqual(len(slow), 1, cdn)
        first, end = (int(x) for x in slow[0]["range"][len("bytes="):].split("-"))
        starts = [int(r["range"][len("bytes="):].split("-")[0]) for r in cdn if r is not slow[0]]
        self.assertTrue(any(first < s <= end for s in starts), "the slow range was not split: %r" % cdn)

if __name__ == "__main__":
    unittest.main()
