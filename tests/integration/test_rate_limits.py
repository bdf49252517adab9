"""Rate limits as the Hub sends them (issue 13 item 4), against the fake hub's rate-limit mode.

Behaviour followed, with its source:
- 429 with `Retry-After`, and `RateLimit: "api";r=<left>;t=<reset s>` /
  `RateLimit-Policy: "fixed window";"api";q=<budget>;w=<window s>` on responses: huggingface_hub
  >= 1.2, src/huggingface_hub/utils/_http.py (`parse_ratelimit_headers`, `_http_backoff_base`,
  which retries 408/429/5xx on every request, metadata included); hub-docs docs/hub/rate-limits.md
  (budgets per client over fixed windows).
- the budget is per host and shared by listings and file requests (DESIGN §5).
Tests wait for events (job events, the hub's request log), never for a time, and assert no upper
bound on how long anything took.
"""
import http.client
import os
import pathlib
import subprocess
import threading
import unittest

from hostproc import FAKEHUB_GEN, SharedHubTestCase, clean_env

import fakehub as fh  # noqa: E402  (hostproc puts tests/fakehub on the path)

REPO = "org/seven"
# Seven files as transformers.js asks for them through the file server: text files served by
# /resolve itself, weights through the CDN redirect.
# Contents differ: two equal files are one blob, fetched once.
TEXTS = {"config.json": '{"model_type":"x"}', "tokenizer.json": '{"v":1}', "tokenizer_config.json": "{}",
         "generation_config.json": '{"max_length":20}'}
WEIGHTS = {"onnx/model.onnx": "96K", "onnx/model.onnx_data": "200K", "onnx/model_q4.onnx": "64K"}
FILES = list(TEXTS) + list(WEIGHTS)
CLI = os.environ.get("TABAGENT_CLI", str(pathlib.Path(__file__).resolve().parents[2] / "build/ci/src/cli/tabagent-cache"))


def listing_requests(log, repo=REPO):
    return [r for r in log if r["path"].startswith("/api/models/%s/revision/" % repo)]


class RateLimitTest(SharedHubTestCase):
    @classmethod
    def make_repos(cls, root):
        fh.generate(FAKEHUB_GEN, root, REPO, files=WEIGHTS, texts=TEXTS)

    def start_jobs(self, host, files):
        """Sends one download_file per file without waiting in between, then collects the replies."""
        mids = [host.request("download_file", repo=REPO, file=f) for f in files]
        replies = [host.reply(m) for m in mids]
        for r in replies:
            self.assertEqual(r["status"], "success", r)
        return [r["payload"]["jobId"] for r in replies]

    def test_fakehub_rate_limit_mode_answers_like_the_hub(self):
        self.hub.rate_limit(budget=2, window=60)
        answers = [self.hub.request("GET", "/api/models/%s/revision/main" % REPO) for _ in range(3)]
        self.assertEqual([a[0] for a in answers], [200, 200, 429])
        _, headers, _ = answers[0]
        self.assertEqual(headers["ratelimit-policy"], '"fixed window";"api";q=2;w=60')
        self.assertRegex(headers["ratelimit"], r'^"api";r=1;t=\d+$')
        _, refused, _ = answers[2]
        self.assertRegex(refused["ratelimit"], r'^"api";r=0;t=\d+$')
        self.assertGreaterEqual(int(refused["retry-after"]), 1)
        # The CDN is another host: not counted.
        self.hub.request("GET", "/cdn/0")
        status = self.hub.rate_limit_status()
        self.assertEqual((status["max_requests"], status["refused"]), (3, 1))
        self.assertEqual(self.hub.requests()[2]["fault"], "rate_limit")

    def test_seven_download_file_jobs_share_one_listing_and_stay_within_the_budget(self):
        # 7 files: 1 listing (model info + 1 tree page) and 7 resolves = 9 requests on a budget of
        # 4 per 2 s, so the jobs must wait for the budget: never a 429, never more than 4 a window.
        self.hub.rate_limit(budget=4, window=2)
        h = self.start_host()
        jobs = self.start_jobs(h, FILES)
        finals, waits = [], []
        for job in jobs:
            events = h.events(job, timeout=120)
            finals.append(events[-1]["payload"])
            waits += [e["payload"] for e in events if "retryInSeconds" in e["payload"]]
        for final in finals:
            self.assertEqual(final["status"], "done", final)
        log = self.hub.requests()
        self.assertEqual(len(listing_requests(log)), 1, [r["path"] for r in log])
        self.assertEqual(len([r for r in log if "/tree/" in r["path"]]), 1)
        status = self.hub.rate_limit_status()
        self.assertEqual(status["refused"], 0, status)
        self.assertLessEqual(status["max_requests"], 4, status)
        self.assertEqual(sum(w["requests"] for w in status["windows"]), 9, status)
        # The waits for the budget were shown in the jobs' events.
        self.assertTrue(waits, "no event carried retryInSeconds")
        for w in waits:
            self.assertGreater(w["retryInSeconds"], 0)
            self.assertTrue(w["message"].startswith("waiting for the Hub, "), w)
        for f in FILES:
            self.assertTrue(h.call("has_file", repo=REPO, file=f)["payload"]["exists"], f)

    def test_transformers_js_asking_the_file_server_for_seven_files_lists_once(self):
        # transformers.js with env.remoteHost = the file server asks for a model's files at once;
        # each missing one becomes a download_file job inside the host.
        self.hub.rate_limit(budget=4, window=2)
        h = self.start_host()
        info = h.call("open_file_server")["payload"]
        results = {}

        def fetch(path):
            conn = http.client.HTTPConnection("127.0.0.1", info["port"], timeout=120)
            conn.request("GET", "/%s/%s/resolve/main/%s" % (info["token"], REPO, path))
            response = conn.getresponse()
            results[path] = (response.status, response.read())
            conn.close()

        # Requests that arrive after a listing ended list again (a job wants a listing no older
        # than itself); on a loaded machine the seventh request could come after a quick listing,
        # so the listing answers only after 5 s: "at once" is then anything within those 5 s.
        self.hub.add_fault(kind="first_byte_delay", delay_ms=5000, endpoint="api",
                           path_contains="/api/models/%s/revision/" % REPO, times=1)
        threads = [threading.Thread(target=fetch, args=(f,)) for f in FILES]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for f in FILES:
            self.assertEqual(results[f][0], 200, (f, results[f][1][:200]))
            self.assertEqual(results[f][1], (self.root / REPO / f).read_bytes(), f)
        self.assertEqual(len(listing_requests(self.hub.requests())), 1)
        status = self.hub.rate_limit_status()
        self.assertEqual(status["refused"], 0, status)
        self.assertLessEqual(status["max_requests"], 4, status)

    def test_429_on_the_listing_is_retried_after_retry_after_and_the_wait_is_shown(self):
        self.hub.add_fault(kind="status", status=429, retry_after=1, endpoint="api", path_contains="/revision/",
                           times=1)
        h = self.start_host()
        [job] = self.start_jobs(h, ["config.json"])
        events = h.events(job)
        payloads = [e["payload"] for e in events]
        self.assertEqual(payloads[-1]["status"], "done", payloads[-1])
        waits = [p for p in payloads if "retryInSeconds" in p]
        self.assertTrue(waits, payloads)
        self.assertLessEqual(waits[0]["retryInSeconds"], 1.0)
        self.assertEqual(waits[0]["message"], "waiting for the Hub, 1 s")
        # The wait ends before the job goes on: the events after it carry no retryInSeconds.
        self.assertNotIn("retryInSeconds", payloads[-1])
        refused, retried = listing_requests(self.hub.requests())
        self.assertEqual((refused["status"], retried["status"]), (429, 200))
        # Waited as told: the retry arrived at least Retry-After after the refusal was sent.
        self.assertGreaterEqual(retried["time"] - refused["time"], 1.0 - 0.01)

    def test_a_listing_that_keeps_failing_gives_up_after_six_tries(self):
        self.hub.add_fault(kind="status", status=503, endpoint="api", path_contains="/revision/", times=-1)
        h = self.start_host()
        [job] = self.start_jobs(h, ["config.json"])
        final = h.events(job, timeout=120)[-1]["payload"]
        self.assertEqual(final["status"], "error", final)
        self.assertEqual(final["error"]["code"], "NETWORK", final)
        self.assertEqual(final["error"]["details"]["attempts"], 6, final)
        self.assertEqual(len(listing_requests(self.hub.requests())), 6)

    def test_cli_progress_line_shows_the_wait(self):
        self.hub.add_fault(kind="status", status=429, retry_after=2, endpoint="api", path_contains="/revision/",
                           times=1)
        env = clean_env(self.home, self.cache, HF_ENDPOINT=self.hub.url, HOME=str(self.home), NO_COLOR="1")
        out = subprocess.run([CLI, "download", REPO, "--file", "config.json"], capture_output=True,
                             text=True, timeout=120, env=env, stdin=subprocess.DEVNULL)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertRegex(out.stderr, r"waiting for the Hub, [12] s", out.stderr)


if __name__ == "__main__":
    unittest.main()
