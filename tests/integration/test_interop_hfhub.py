"""Interop with npm @huggingface/hub, an independent client of the same cache layout.

- a cache written by tabagent is read by its scanCacheDir (which needs refs/);
- a file its downloadFileToCacheDir put into a cache (it writes no refs/) is found by has_file and
  served by get_file without any request to the hub.
Note: scanCacheDir of @huggingface/hub 2.17.5 does not descend into snapshot sub-folders (its
scanSnapshotDir skips directories), so only root-level files are compared.
"""
import base64
import hashlib
import json
import pathlib
import shutil
import subprocess
import tempfile
import unittest

from hostproc import FAKEHUB, FAKEHUB_GEN, HostProcess, clean_env, sha256_of
import fakehub as fh  # noqa: E402

INTEROP = pathlib.Path(__file__).resolve().parents[1] / "interop"
REPO = "onnx-community/interop"


def hfhub(*args):
    if not (INTEROP / "node_modules" / "@huggingface" / "hub").exists():
        raise AssertionError("run `npm ci` in tests/interop first (.ci/run does)")
    out = subprocess.run(["node", str(INTEROP / "hfhub.mjs"), *map(str, args)], capture_output=True, text=True,
                         timeout=120)
    if out.returncode != 0:
        raise AssertionError(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])  # the library logs to stdout first


class InteropTest(unittest.TestCase):
    def setUp(self):
        self.tmp = pathlib.Path(tempfile.mkdtemp(prefix="interop-"))
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.root = self.tmp / "hub"
        fh.generate(FAKEHUB_GEN, self.root, REPO, preset="onnx")
        self.hub = fh.FakeHub(FAKEHUB, self.root).__enter__()
        self.addCleanup(self.hub.__exit__, None, None, None)
        (self.tmp / "home").mkdir()
        self.cache = self.tmp / "cache"
        self.cache.mkdir()
        self.env = clean_env(self.tmp / "home", self.cache, HF_ENDPOINT=self.hub.url)

    def test_scan_cache_dir_reads_a_cache_written_by_tabagent(self):
        host = HostProcess(self.env)
        reply = host.call("download_quant", repo=REPO, quant="q4f16")
        self.assertEqual(host.events(reply["payload"]["jobId"])[-1]["payload"]["status"], "done")
        present = {}
        for f in ("config.json", "tokenizer.json", "tokenizer_config.json", "generation_config.json",
                  "special_tokens_map.json", "onnx/model_q4f16.onnx"):
            has = host.call("has_file", repo=REPO, file=f)["payload"]
            self.assertTrue(has["exists"], f)
            present[f] = has
        host.close()
        scan = hfhub("scan", self.cache)
        self.assertEqual(scan["warnings"], [])
        self.assertEqual([r["repo"] for r in scan["repos"]], [REPO])
        repo = scan["repos"][0]
        self.assertEqual(repo["type"], "model")
        self.assertEqual(len(repo["revisions"]), 1)
        rev = repo["revisions"][0]
        commit = (self.cache / "models--onnx-community--interop" / "refs" / "main").read_text()
        self.assertEqual(rev["commit"], commit)
        self.assertEqual(rev["refs"], ["main"])
        seen = {pathlib.Path(f["path"]).name: f for f in rev["files"]}
        for name in ("config.json", "tokenizer.json", "tokenizer_config.json"):
            self.assertIn(name, seen)
            self.assertEqual(seen[name]["size"], present[name]["size"])
            self.assertEqual(pathlib.Path(seen[name]["blob"]).resolve(), pathlib.Path(present[name]["path"]).resolve())

    def test_a_file_downloaded_by_hfhub_is_served_without_a_download(self):
        out = hfhub("download", self.hub.url, self.cache, REPO, "tokenizer.json")
        self.assertFalse((self.cache / "models--onnx-community--interop" / "refs").exists(),
                         "downloadFileToCacheDir is expected to write no refs/")
        self.hub.reset()
        host = HostProcess(self.env)
        has = host.call("has_file", repo=REPO, file="tokenizer.json")["payload"]
        self.assertTrue(has["exists"])
        data = b""
        offset = 0
        while True:
            p = host.call("get_file", repo=REPO, file="tokenizer.json", offset=offset)["payload"]
            chunk = base64.b64decode(p["data"])
            data += chunk
            offset += len(chunk)
            if p["eof"]:
                break
        host.close()
        self.assertEqual(hashlib.sha256(data).hexdigest(), sha256_of(self.root / REPO / "tokenizer.json"))
        self.assertEqual(pathlib.Path(out["path"]).resolve(), pathlib.Path(has["path"]).resolve())
        self.assertEqual(self.hub.requests(), [])


if __name__ == "__main__":
    unittest.main()
