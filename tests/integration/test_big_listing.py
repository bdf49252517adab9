"""Big listings (issue 13 item 5): a sharded, dataset-like repo of 5 000 files listed whole through
the tree API's pagination.

Paging follows huggingface_hub src/huggingface_hub/utils/_pagination.py `paginate`: the next page
is the URL of the `Link: <...>; rel="next"` header (`response.links["next"]["url"]`, GitHub's
format), which already carries its query; no header ends the listing. How fast the scan is, is a
benchmark figure (bench/scan_bench.py), not asserted here.
"""
import json
import os
import pathlib
import shutil
import subprocess
import tempfile
import unittest
import urllib.parse

from hostproc import FAKEHUB, FAKEHUB_GEN, clean_env

import fakehub as fh  # noqa: E402  (hostproc puts tests/fakehub on the path)

REPO = "datasets-like/shards-5000"
COUNT = 5000
PAGE = 100
CLI = os.environ.get("TABAGENT_CLI", str(pathlib.Path(__file__).resolve().parents[2] / "build/ci/src/cli/tabagent-cache"))


def shard_files(count=COUNT):
    """data/train-00000-of-05000.parquet ...: small shards, as a dataset repo holds them."""
    return {"data/train-%05d-of-%05d.parquet" % (i, count): 64 for i in range(count)}


class BigListingTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="tabagent-biglisting-")
        cls.root = pathlib.Path(cls.tmp) / "hub"
        fh.generate(FAKEHUB_GEN, cls.root, REPO, files=shard_files(), texts={"README.md": "# shards"})
        cls.hub = fh.FakeHub(FAKEHUB, cls.root, page_size=PAGE).__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.hub.__exit__(None, None, None)
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_a_5000_file_repo_is_listed_whole_following_every_page(self):
        home = pathlib.Path(self.tmp) / "home"
        cache = pathlib.Path(self.tmp) / "cache"
        cache.mkdir(exist_ok=True)
        env = clean_env(home, cache, HF_ENDPOINT=self.hub.url, HOME=str(home))
        out = subprocess.run([CLI, "scan", REPO, "--json"], capture_output=True, text=True, timeout=120, env=env,
                             stdin=subprocess.DEVNULL)
        self.assertEqual(out.returncode, 0, out.stderr)
        listing = json.loads(out.stdout)
        paths = [f["path"] for f in listing["files"]]
        self.assertEqual(len(paths), COUNT + 1)
        self.assertEqual(len(set(paths)), len(paths))
        self.assertEqual(set(paths), set(shard_files()) | {"README.md"})
        # Every page was asked for, each once, by the URL its predecessor's Link header named.
        trees = [r for r in self.hub.requests() if "/tree/" in r["path"]]
        self.assertEqual(len(trees), (COUNT + 1 + 1 + PAGE - 1) // PAGE)  # files + the "data" folder
        cursors = [urllib.parse.parse_qs(r["query"]).get("cursor", [None])[0] for r in trees]
        self.assertEqual(cursors, [None] + [str(PAGE * i) for i in range(1, len(trees))])
        self.assertTrue(all("recursive=true" in r["query"] for r in trees))


if __name__ == "__main__":
    unittest.main()
