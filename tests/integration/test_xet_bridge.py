"""Xet bridge downloads (issue 13 item 1): the host against a fake hub that answers the way the Hub
serves Xet-backed files to clients that do not speak Xet. Sources of each behaviour:
- slow first byte: the bridge (cas-bridge.xethub.hf.co, *.cdn.hf.co) rebuilds the file before it
  answers (issue 13, measured 30-60 s); hub-docs docs/xet/file-id.md: following the resolve 302
  of a Xet file downloads it "via the old LFS compatible route";
- signed URLs that expire: huggingface_hub file_download.py downloads from the redirect's
  Location (a presigned URL, X-Amz-Expires=3600); S3 answers an expired one with 403;
- Accept-Encoding: identity: huggingface_hub get_hf_file_metadata sends it ("prevent any
  compression => we want to know the real size of the file");
- ranges only above 50 GB: xet-core issue 238 and huggingface_hub issues 2991/3868 (the CDN
  answers a whole-file GET of such a file with 400 Bad Request).
Short timeouts come from TABAGENT_STALL_TIMEOUT_MS / TABAGENT_FIRST_BYTE_TIMEOUT_MS; the 60 s
case itself runs in engine time (tests/unit/download_xet_bridge_test.cpp) and in bench/.
"""
import re
import unittest

from engine_kit import MiB, EngineCase

REPO = "o/xet"
FILE = "model-Q4_K_M.gguf"


def cdn_gets(hub):
    return [r for r in hub.requests() if r["endpoint"] == "cdn" and r["method"] == "GET"]


def range_start(entry):
    m = re.match(r"bytes=(\d+)-", entry["range"] or "")
    return int(m.group(1)) if m else None


def twice_fetched(entries):
    """Bytes that crossed the wire more than once: overlaps of the [start, start + bytes_sent)
    spans of the ranged responses."""
    spans = sorted((range_start(e), range_start(e) + e["bytes_sent"]) for e in entries
                   if e["status"] == 206 and e["bytes_sent"])
    twice, reach = 0, 0
    for begin, end in spans:
        twice += max(0, min(end, reach) - begin)
        reach = max(reach, end)
    return twice


class XetBridgeTest(EngineCase):
    def download(self, host, timeout=120.0):
        job = self.submit(host, repo=REPO, file=FILE)
        return self.wait_terminal(host, job, timeout=timeout)[1]

    def test_slow_first_byte_is_not_a_stall(self):
        size = 16 * MiB
        self.make_repo(REPO, {FILE: size})
        self.start_hub()
        self.hub.mode(xet=True)
        # Every CDN request waits 3 s before its status line; a body that stops would be dropped
        # after 2 s (not 1: a loaded CI machine can pause a healthy body that long), the first
        # byte may take up to the default 120 s.
        self.hub.add_fault(kind="first_byte_delay", endpoint="cdn", times=-1, delay_ms=3000)
        last = self.download(self.start_host(TABAGENT_STALL_TIMEOUT_MS=2000))
        self.assertEqual(last["status"], "done", last)
        self.assert_same_bytes(REPO, FILE)
        gets = cdn_gets(self.hub)
        self.assertTrue(all(r["fault"] == "first_byte_delay" and r["status"] == 206 for r in gets), gets)
        # No request was abandoned while it waited: every one delivered its whole range.
        self.assertEqual(sum(r["bytes_sent"] for r in gets), size, [(r["range"], r["bytes_sent"], r["status"]) for r in gets])
        self.assertLessEqual(self.wire_bytes(), 1.15 * size)

    def test_first_byte_timeout_is_configurable(self):
        # The same bridge with the first-byte bound set below its delay: every attempt is dropped
        # before its first byte and the job fails with NETWORK once the attempts are spent (what
        # the host did before the bound existed, with the 10 s stall bound, at 40 s per byte).
        self.make_repo(REPO, {FILE: 8 * MiB})
        self.start_hub()
        self.hub.add_fault(kind="first_byte_delay", endpoint="cdn", times=-1, delay_ms=3000)
        host = self.start_host(TABAGENT_STALL_TIMEOUT_MS=1000, TABAGENT_FIRST_BYTE_TIMEOUT_MS=500)
        last = self.download(host)
        self.assertEqual(last["status"], "error", last)
        self.assertEqual(last["error"]["code"], "NETWORK", last)

    def test_body_that_stops_resumes_on_a_new_ranged_request(self):
        # The bridge stops sending mid-body and never goes on on that connection; the host drops
        # it after the stall bound and asks a new request for the rest, from its journal.
        size = 8 * MiB
        self.make_repo(REPO, {FILE: size})
        self.start_hub()
        self.hub.mode(xet=True)
        self.hub.add_fault(kind="stall", endpoint="cdn", times=1, after_bytes=1 * MiB, stall_ms=4000, then="close")
        last = self.download(self.start_host(TABAGENT_STALL_TIMEOUT_MS=1000))
        self.assertEqual(last["status"], "done", last)
        self.assert_same_bytes(REPO, FILE)
        self.wait_hub_idle()  # the stopped response is logged once the hub closes it
        gets = cdn_gets(self.hub)
        stopped = [r for r in gets if r["fault"] == "stall"]
        self.assertEqual(len(stopped), 1, gets)
        resume_at = range_start(stopped[0]) + stopped[0]["bytes_sent"]
        self.assertIn(resume_at, [range_start(r) for r in gets if r["id"] > stopped[0]["id"]], gets)
        self.assertLessEqual(self.wire_bytes(), 1.15 * size)

    def test_expired_signed_url_is_resolved_again_without_refetching(self):
        # Two connections, 16 MiB pieces at 8 MB/s each: a piece outlives the 1 s URL, so the
        # third piece is asked with an expired URL, refused (403), and asked again through the
        # resolve URL; nothing fetched before is fetched again.
        size = 48 * MiB
        self.make_repo(REPO, {FILE: size})
        self.start_hub(rate_per_connection=8_000_000)
        self.hub.mode(xet=True, signed_url_ttl=1)
        last = self.download(self.start_host(TABAGENT_MAX_CONNECTIONS=2))
        self.assertEqual(last["status"], "done", last)
        self.assert_same_bytes(REPO, FILE)
        gets = cdn_gets(self.hub)
        self.assertTrue(any(r["status"] == 403 for r in gets), gets)
        self.assertTrue(all("X-Amz-Expires=1" in r["query"] for r in gets), gets)
        resolves = [r for r in self.hub.requests() if r["endpoint"] == "resolve"]
        self.assertGreater(len(resolves), 1, resolves)
        self.assertLessEqual(twice_fetched(gets), 0.15 * size)
        self.assertLessEqual(self.wire_bytes(), 1.15 * size)

    def test_every_file_request_asks_identity_and_a_compressed_body_is_refused(self):
        self.make_repo(REPO, {FILE: 4 * MiB, "config.json": 300})
        self.start_hub()
        host = self.start_host()
        job = self.submit(host, repo=REPO, file="config.json")
        self.assertEqual(self.wait_terminal(host, job)[1]["status"], "done")
        self.hub.add_fault(kind="content_encoding", endpoint="cdn", times=-1, encoding="gzip")
        last = self.download(host)
        self.assertEqual(last["status"], "error", last)
        self.assertEqual(last["error"]["code"], "INTEGRITY", last)
        self.assertIn("Content-Encoding: gzip", last["error"]["message"])
        self.assertFalse(list((self.repo_dir(REPO) / "snapshots").glob("*/" + FILE)))
        files = [r for r in self.hub.requests() if r["endpoint"] in ("resolve", "cdn")]
        self.assertTrue(files)
        for r in files:  # GETs too, not only HEAD
            self.assertEqual(r["accept_encoding"], "identity", r)
        refused = [r for r in files if r["fault"] == "content_encoding"]
        self.assertEqual(len(refused), 1, "refused at once, not retried: %r" % refused)

    def test_single_connection_asks_ranges_from_a_ranged_only_bridge(self):
        # Over the threshold the bridge refuses a GET without Range (400); one connection whose
        # body is cut must still ask "bytes=N-" for the rest.
        size = 8 * MiB
        self.make_repo(REPO, {FILE: size})
        self.start_hub()
        self.hub.mode(xet=True, ranged_only_above=1 * MiB)
        self.hub.add_fault(kind="drop", endpoint="cdn", times=1, after_fraction=0.5)
        last = self.download(self.start_host(TABAGENT_MAX_CONNECTIONS=1))
        self.assertEqual(last["status"], "done", last)
        self.assert_same_bytes(REPO, FILE)
        gets = cdn_gets(self.hub)
        self.assertGreaterEqual(len(gets), 2, gets)
        for r in gets:
            self.assertIsNotNone(range_start(r), r)
            self.assertNotEqual(r["status"], 400, r)

    def test_xet_resolve_headers_and_redirect_body(self):
        size = 3 * MiB
        self.make_repo(REPO, {FILE: size})
        self.start_hub()
        self.hub.mode(xet=True)
        status, h, _ = self.hub.request("HEAD", "/%s/resolve/main/%s" % (REPO, FILE),
                                        headers={"Accept-Encoding": "identity"})
        self.assertEqual(status, 302)
        self.assertEqual(int(h["x-linked-size"]), size)
        self.assertLess(int(h["content-length"]), 1000)  # the redirect's own text, not the file
        self.assertRegex(h["x-xet-hash"], "^[0-9a-f]{64}$")
        self.assertIn('rel="xet-auth"', h["link"])
        self.assertIn("/xet-read-token/", h["x-xet-refresh-route"])
        last = self.download(self.start_host())
        self.assertEqual(last["status"], "done", last)
        self.assert_same_bytes(REPO, FILE)


if __name__ == "__main__":
    unittest.main()
