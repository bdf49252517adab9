"""Concurrent operations on one repo through the real host (ARCHITECTURE.md, "Concurrent
operations on one repo"; docs/PROTOCOL.md, delete_model): deletes in one stream serialize, each
seeing what the one before left; a delete while a download of the repo runs is LOCKED and names
the job, in the host and from the CLI (another process)."""
import json
import os
import subprocess
import unittest

from clitest import CLI
from hostproc import FAKEHUB_GEN, SharedHubTestCase
import fakehub as fh  # noqa: E402  (hostproc puts tests/fakehub on the path)

REPO = "onnx-community/tiny-model"
BIG = "org/big-file"
GONE = {"code": "NOT_FOUND", "message": "model is not in the cache"}


def regular_bytes(folder):
    total = 0
    for dirpath, _, files in os.walk(folder):
        for name in files:
            path = os.path.join(dirpath, name)
            if not os.path.islink(path):
                total += os.path.getsize(path)
    return total


class RepoConcurrencyTest(SharedHubTestCase):
    @classmethod
    def make_repos(cls, root):
        fh.generate(FAKEHUB_GEN, root, REPO, preset="onnx")
        fh.generate(FAKEHUB_GEN, root, BIG, files={"weights.bin": "24M"}, texts={"config.json": '{"model_type":"x"}'})

    def repo_dir(self, repo):
        return self.cache / ("models--" + repo.replace("/", "--"))

    def download(self, host, action, **fields):
        reply = host.call(action, **fields)
        self.assertEqual(reply["status"], "success", reply)
        events = host.events(reply["payload"]["jobId"])
        self.assertEqual(events[-1]["payload"]["status"], "done", events[-1])

    def batch(self, host, *requests):
        """Sends every request before reading any reply: the host runs them on its worker pool."""
        ids = [host.request("delete_model", **fields) for fields in requests]
        return [host.reply(mid) for mid in ids]

    def assert_gone(self, reply):
        self.assertEqual(reply["status"], "error", reply)
        self.assertEqual({k: reply["error"][k] for k in GONE}, GONE)

    def test_two_repo_deletes_in_one_stream_one_frees_the_other_finds_it_gone(self):
        host = self.start_host()
        for _ in range(3):
            self.download(host, "download_quant", repo=REPO, quant="q4")
            size = regular_bytes(self.repo_dir(REPO))
            replies = self.batch(host, {"repo": REPO}, {"model_id": REPO})
            won = [r for r in replies if r["status"] == "success"]
            self.assertEqual(len(won), 1, replies)
            self.assertEqual(won[0]["payload"]["freedBytes"], size)
            self.assert_gone(next(r for r in replies if r is not won[0]))
            self.assertFalse(self.repo_dir(REPO).exists())

    def test_two_variant_deletes_in_one_stream_one_frees_the_other_frees_nothing(self):
        host = self.start_host()
        self.download(host, "download_quant", repo=REPO, quant="q4")
        self.download(host, "download_quant", repo=REPO, quant="int8")
        q4 = os.path.getsize(self.root / REPO / "onnx" / "model_q4.onnx")
        replies = self.batch(host, {"repo": REPO, "quant": "q4"}, {"repo": REPO, "quant": "q4"})
        self.assertEqual([r["status"] for r in replies], ["success", "success"], replies)
        self.assertEqual(sorted(r["payload"]["freedBytes"] for r in replies), [0, q4])
        self.assertFalse(host.call("has_file", repo=REPO, file="onnx/model_q4.onnx")["payload"]["exists"])
        self.assertTrue(host.call("has_file", repo=REPO, file="onnx/model_int8.onnx")["payload"]["exists"])

    def test_a_variant_and_a_repo_delete_in_one_stream_free_the_repo_once(self):
        host = self.start_host()
        self.download(host, "download_quant", repo=REPO, quant="q4")
        size = regular_bytes(self.repo_dir(REPO))
        replies = self.batch(host, {"repo": REPO, "quant": "q4"}, {"repo": REPO})
        freed = 0
        for reply in replies:
            if reply["status"] == "success":
                freed += reply["payload"]["freedBytes"]
            else:  # the repo delete ran first
                self.assert_gone(reply)
        self.assertEqual(replies[1]["status"], "success", replies)
        self.assertEqual(freed, size)
        self.assertFalse(self.repo_dir(REPO).exists())

    def start_slow_download(self, host):
        # Held after 1 MiB (until setUp's reset): the download is still running when the deletes
        # and the cancel come, however slowly the test gets there.
        self.hub.hold("weights.bin", after_bytes=1 << 20)
        reply = host.call("download_file", repo=BIG, file="weights.bin")
        job = reply["payload"]["jobId"]
        # Bytes on disk, not merely a started job: the first progress event may come before any
        # byte is written, and the delete after the cancel must find a partial to free.
        host.wait_for(lambda f: f.get("jobId") == job and f["payload"]["status"] == "progress"
                      and f["payload"].get("loaded", 0) > 0, timeout=60)
        return job

    def cancel(self, host, job):
        host.call("cancel_download", jobId=job)
        self.assertEqual(host.events(job)[-1]["payload"]["status"], "cancelled")

    def test_a_delete_while_the_repo_downloads_is_locked_and_names_the_job(self):
        host = self.start_host()
        job = self.start_slow_download(host)
        for fields in ({"repo": BIG}, {"repo": BIG, "quant": "safetensors"}):
            reply = host.call("delete_model", **fields)
            self.assertEqual(reply["status"], "error", reply)
            self.assertEqual(reply["error"]["code"], "LOCKED", reply)
            self.assertIn(job, reply["message"])
            self.assertEqual(reply["error"]["details"]["jobId"], job)
        self.assertTrue(self.repo_dir(BIG).exists())
        self.cancel(host, job)
        # Once the download stopped, the delete goes through (its partial included).
        reply = host.call("delete_model", repo=BIG)
        self.assertEqual(reply["status"], "success", reply)
        self.assertGreater(reply["payload"]["freedBytes"], 0)

    def test_a_cli_delete_while_the_host_downloads_is_locked(self):
        host = self.start_host()
        job = self.start_slow_download(host)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "TABAGENT_"))}
        env.update(TABAGENT_HOME=str(self.home), TABAGENT_CACHE=str(self.cache), HF_ENDPOINT=self.hub.url)
        out = subprocess.run([CLI, "delete", BIG, "--yes", "--json"], capture_output=True, text=True, timeout=60,
                             env=env, stdin=subprocess.DEVNULL)
        self.assertEqual(out.returncode, 1, out.stderr)
        doc = json.loads(out.stdout)
        self.assertEqual(doc["error"]["code"], "LOCKED", doc)
        self.assertIn("another process", doc["error"]["message"])
        self.assertTrue(self.repo_dir(BIG).exists())
        self.cancel(host, job)


if __name__ == "__main__":
    unittest.main()
