"""The cache shared with other tools (issue 13 items 2 and 3), through the real binaries.

- llama.cpp as a peer: a GGUF repo laid down the way llama.cpp does it (common/hf-cache.cpp
  `get_repo_files` / `finalize_file`, common/download.cpp `common_download_file_single_online`)
  is found by `list`, `has_file`, `get_file_path` and the file server with no network; what we
  download is found by llama.cpp's own rules (`get_cached_files`, `find_best_model`), ported below.
- huggingface_hub 1.x extras: after a listing we write trees/<commit>.json
  (_tree_cache.py `write_tree_cache`), CACHEDIR.TAG (_local_folder.py `_create_cachedir_tag`); a
  file the Hub lacks leaves .no_exist/<commit>/<path> (file_download.py
  `_get_metadata_or_catch_error`), after which has_file and the file server answer with no network.
- Partials of other writers count as unfinished and survive `clean` while their lock is held.
"""
import fcntl
import hashlib
import json
import os
import pathlib
import re
import shutil
import tempfile
import unittest
import urllib.request

from clitest import CLI, Workspace
from hostproc import FAKEHUB, FAKEHUB_GEN, HostProcess, clean_env
from test_file_server import http_request
import fakehub as fh  # noqa: E402

COMMIT = "c0ffee" + "0" * 34
GGUF_REPO = "bartowski/Tiny-GGUF"
ALLOWED_AT_ROOT = {".locks", "version.txt", "CACHEDIR.TAG"}


def repo_dir(cache, repo):
    return pathlib.Path(cache) / ("models--" + repo.replace("/", "--"))


def lay_down_like_llama_cpp(cache, repo, files, commit=COMMIT, symlinks=True):
    """llama.cpp's layout (common/hf-cache.cpp): blobs/<oid> where oid is lfs.oid (sha256) for LFS
    files, else the git oid; snapshots/<rev>/<path> a link made with fs::relative(blob, link dir)
    (`finalize_file`); refs/<branch> = commit, no newline (`write_ref`: `file << commit`). Without
    symlinks ("degraded mode") the file itself sits at the snapshot path and there are no blobs."""
    d = repo_dir(cache, repo)
    (d / "refs").mkdir(parents=True, exist_ok=True)
    (d / "refs" / "main").write_text(commit)
    snap = d / "snapshots" / commit
    for path, data in files.items():
        target = snap / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if not symlinks:
            target.write_bytes(data)
            continue
        oid = hashlib.sha256(data).hexdigest()
        blob = d / "blobs" / oid
        blob.parent.mkdir(parents=True, exist_ok=True)
        blob.write_bytes(data)
        target.symlink_to(os.path.relpath(blob, target.parent))
    return d


# --- llama.cpp's lookup rules, ported from common/hf-cache.cpp and common/download.cpp ---------
def llama_get_cached_files(cache, repo_id):
    """hf_cache::get_cached_files: commit = first regular file in refs/ (`get_cached_ref`, getline),
    then every regular file or symlink under snapshots/<commit>."""
    d = repo_dir(cache, repo_id)
    refs = d / "refs"
    commit = ""
    if not refs.is_dir():
        return []
    with os.scandir(refs) as entries:  # directory order, as fs::directory_iterator
        for entry in entries:
            if entry.is_file():
                with open(entry.path) as f:
                    commit = f.readline().rstrip("\n")
                if commit:
                    break
    rev = d / "snapshots" / commit
    if not commit or not rev.is_dir():
        return []
    out = []
    for path in sorted(rev.rglob("*")):
        if path.is_file() or path.is_symlink():
            out.append({"path": path.relative_to(rev).as_posix(), "local_path": str(path)})
    return out


def llama_find_best_model(files, tag):
    """common/download.cpp `find_best_model`: the first .gguf (not mmproj/imatrix/...) whose path
    matches `<tag>[.-]` case-insensitively, first split only."""
    for f in files:
        name = f["path"].rsplit("/", 1)[-1]
        if not f["path"].endswith(".gguf") or any(k in name for k in ("mmproj", "imatrix", "mtp-")):
            continue
        if re.search(re.escape(tag) + r"[.-]", f["path"], re.I):
            m = re.search(r"-(\d{5})-of-(\d{5})\.gguf$", f["path"])
            if m and int(m.group(1)) != 1:
                continue
            return f
    return None


class LlamaCppLaidDown(unittest.TestCase):
    """No hub at all: HF_ENDPOINT is a closed port and the host/CLI run offline."""

    def setUp(self):
        self.ws = Workspace(self, "http://127.0.0.1:9")
        self.cache = self.ws.cache
        self.q4 = os.urandom(300_000)
        self.readme = b"# Tiny\n"
        # A split model: llama.cpp downloads every part (download.cpp `get_split_files`).
        self.shards = {"Tiny-Q6_K-00001-of-00002.gguf": b"6" * 1000, "Tiny-Q6_K-00002-of-00002.gguf": b"7" * 500}
        self.d = lay_down_like_llama_cpp(self.cache, GGUF_REPO, {"Tiny-Q4_K_M.gguf": self.q4, **self.shards})
        # llama.cpp is downloading another quant right now: path + ".downloadInProgress".
        self.q8_oid = hashlib.sha256(b"q8").hexdigest()
        self.partial = self.d / "blobs" / (self.q8_oid + ".downloadInProgress")
        self.partial.write_bytes(b"p" * 4096)
        # Windows without symlink rights: the same repo layout with real files, no blobs.
        self.flat = lay_down_like_llama_cpp(self.cache, "bartowski/Flat-GGUF", {"Flat-Q8_0.gguf": b"f" * 5000},
                                            symlinks=False)
        self.ws.env["HF_HUB_OFFLINE"] = "1"

    def test_cli_list_and_stats_see_the_repo_and_the_unfinished_download(self):
        listed = {m["repo"]: m for m in self.ws.json("list")["models"]}
        self.assertIn(GGUF_REPO, listed)
        self.assertIn("Q4_K_M", listed[GGUF_REPO]["variants"])
        self.assertIn("Q6_K", listed[GGUF_REPO]["variants"])  # both parts present: one unit
        self.assertEqual(listed[GGUF_REPO]["size"], len(self.q4) + 1500)
        self.assertEqual(listed[GGUF_REPO]["partialBytes"], 4096)
        self.assertIn("Q8_0", listed["bartowski/Flat-GGUF"]["variants"])
        stats = self.ws.json("stats")
        self.assertEqual(stats["partialBytes"], 4096)
        self.assertEqual(stats["totalSize"], len(self.q4) + 1500 + 5000)
        self.assertEqual(stats["warnings"], [])

    def test_host_finds_the_files_with_no_network(self):
        host = HostProcess(clean_env(self.ws.home, self.cache, HF_HUB_OFFLINE="1"))
        self.addCleanup(host.kill)
        has = host.call("has_file", repo=GGUF_REPO, file="Tiny-Q4_K_M.gguf")["payload"]
        self.assertEqual((has["exists"], has["size"]), (True, len(self.q4)))
        path = host.call("get_file_path", repo=GGUF_REPO, file="Tiny-Q4_K_M.gguf")["payload"]
        self.assertEqual(path["path"], str(self.d / "snapshots" / COMMIT / "Tiny-Q4_K_M.gguf"))
        self.assertEqual(pathlib.Path(path["blobPath"]).read_bytes(), self.q4)
        self.assertEqual(path["commit"], COMMIT)
        # The file llama.cpp is still downloading is not there yet.
        self.assertFalse(host.call("has_file", repo=GGUF_REPO, file="Tiny-Q8_0.gguf")["payload"]["exists"])
        flat = host.call("get_file_path", repo="bartowski/Flat-GGUF", file="Flat-Q8_0.gguf")["payload"]
        self.assertEqual(pathlib.Path(flat["path"]).read_bytes(), b"f" * 5000)

        info = host.call("open_file_server")["payload"]
        target = "/%s/%s/resolve/main/Tiny-Q4_K_M.gguf" % (info["token"], GGUF_REPO)
        status, headers, body = http_request(info["port"], "GET", target)
        self.assertEqual((status, body == self.q4), (200, True))
        self.assertEqual(headers["x-repo-commit"], COMMIT)
        status, _, body = http_request(info["port"], "GET", "/%s/%s/resolve/main/Tiny-Q8_0.gguf" % (info["token"], GGUF_REPO))
        self.assertEqual(status, 404)
        self.assertEqual(host.close(), 0)

    def test_clean_keeps_a_held_partial_and_drops_a_stale_free_one(self):
        old = 40 * 86400
        os.utime(self.partial, (os.path.getmtime(self.partial) - old,) * 2)
        # Another process (this one) holds the blob lock, as huggingface_hub's filelock and
        # llama.cpp's common_file_lock do: flock(LOCK_EX) on .locks/models--o--n/<blob>.lock.
        lock_path = self.cache / ".locks" / self.d.name / (self.q8_oid + ".lock")
        lock_path.parent.mkdir(parents=True)
        with open(lock_path, "w") as held:
            fcntl.flock(held, fcntl.LOCK_EX)
            report = self.ws.json("clean", "--older-than", "14d")
            self.assertEqual(report["removedPartials"], [])
            self.assertTrue(self.partial.exists())
        report = self.ws.json("clean", "--older-than", "14d")
        self.assertEqual([(p["writer"], p["bytes"]) for p in report["removedPartials"]], [("llama.cpp", 4096)])
        self.assertFalse(self.partial.exists())
        self.assertTrue((self.d / "snapshots" / COMMIT / "Tiny-Q4_K_M.gguf").exists())


class DownloadsSeenByPeers(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = pathlib.Path(tempfile.mkdtemp(prefix="tabagent-peers-"))
        cls.root = cls.tmp / "hub"
        fh.generate(FAKEHUB_GEN, cls.root, GGUF_REPO, preset="gguf")
        cls.hub = fh.FakeHub(FAKEHUB, cls.root).__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.hub.__exit__(None, None, None)
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        self.hub.reset()
        self.ws = Workspace(self, self.hub.url)
        self.cache = self.ws.cache

    def hub_tree(self):
        url = "%s/api/models/%s/tree/main?recursive=true" % (self.hub.url, GGUF_REPO)
        with urllib.request.urlopen(url) as r:
            return [e for e in json.load(r) if e["type"] == "file"]

    def test_download_writes_trees_tag_and_nothing_else_at_the_root(self):
        self.ws.json("download", GGUF_REPO, "Q4_K_M")
        d = repo_dir(self.cache, GGUF_REPO)
        commit = (d / "refs" / "main").read_text()
        tree = json.loads((d / "trees" / (commit + ".json")).read_text())
        self.assertEqual(tree["format_version"], 1)
        expected = {}
        for e in self.hub_tree():
            info = {"size": e["size"], "blob_id": e["oid"]}
            if "lfs" in e:
                info.update(lfs_sha256=e["lfs"]["oid"], lfs_size=e["lfs"]["size"])
            expected[e["path"]] = info
        self.assertEqual(tree["files"], expected)  # the whole listing, as huggingface_hub needs it
        self.assertEqual(list(tree["files"]), sorted(tree["files"]))
        self.assertTrue((self.cache / "CACHEDIR.TAG").read_text().startswith(
            "Signature: 8a477f597d28d172789f06886806bc55\n"))
        for name in os.listdir(self.cache):
            self.assertTrue(name.startswith("models--") or name in ALLOWED_AT_ROOT, name)

        # llama.cpp's rules find what we downloaded, and it is the Hub's file.
        files = llama_get_cached_files(self.cache, GGUF_REPO)
        best = llama_find_best_model(files, "Q4_K_M")
        self.assertIsNotNone(best, files)
        want = next(e for e in self.hub_tree() if e["path"] == best["path"])
        self.assertEqual(hashlib.sha256(pathlib.Path(best["local_path"]).read_bytes()).hexdigest(), want["lfs"]["oid"])
        # The default tag (Q4_K_M, then Q8_0) picks it too.
        self.assertEqual(llama_find_best_model(files, "Q4_K_M")["path"], best["path"])

    def test_offline_manifest_from_trees_of_another_tool(self):
        # A repo huggingface_hub downloaded (only one file present) with its listing saved: the
        # manifest offline knows every variant, not only the one present.
        self.ws.json("download", GGUF_REPO, "Q4_K_M")
        shutil.rmtree(self.ws.home / "manifests", ignore_errors=True)
        self.ws.env["HF_HUB_OFFLINE"] = "1"
        manifest = self.ws.json("manifest", GGUF_REPO)
        quants = manifest.get("manifest", manifest)["quants"]
        self.assertIn("Q8_0", quants)
        self.assertEqual(quants["Q4_K_M"]["status"], "downloaded")
        self.assertEqual(quants["Q8_0"]["status"], "unavailable")  # known, not present, offline

    def test_missing_file_leaves_no_exist_and_is_answered_without_network(self):
        env = clean_env(self.ws.home, self.cache, HF_ENDPOINT=self.hub.url)
        host = HostProcess(env)
        self.addCleanup(host.kill)
        info = host.call("open_file_server")["payload"]
        # A file of a repo nothing of which is cached: 404, and no trace (the repo does not show in `list`).
        status, _, _ = http_request(info["port"], "GET", "/%s/%s/resolve/main/tokenizer.json" % (info["token"], GGUF_REPO))
        self.assertEqual(status, 404)
        self.assertFalse(repo_dir(self.cache, GGUF_REPO).exists())
        # transformers.js: a file that exists first (fetched), then an optional one the Hub lacks.
        status, _, _ = http_request(info["port"], "GET", "/%s/%s/resolve/main/README.md" % (info["token"], GGUF_REPO))
        self.assertEqual(status, 200)
        target = "/%s/%s/resolve/main/tokenizer.json" % (info["token"], GGUF_REPO)
        status, _, body = http_request(info["port"], "GET", target)
        self.assertEqual(status, 404, body)
        d = repo_dir(self.cache, GGUF_REPO)
        commit = (d / "refs" / "main").read_text()
        marker = d / ".no_exist" / commit / "tokenizer.json"
        self.assertTrue(marker.is_file())
        self.assertEqual(marker.stat().st_size, 0)
        self.hub.reset()
        status, _, body = http_request(info["port"], "GET", target)  # asked again: no job, no request
        self.assertEqual(status, 404)
        self.assertTrue(json.loads(body)["error"]["knownMissing"])
        has = host.call("has_file", repo=GGUF_REPO, file="tokenizer.json")["payload"]
        self.assertEqual((has["exists"], has.get("knownMissing")), (False, True))
        self.assertEqual(host.close(), 0)
        self.assertEqual(self.hub.requests(), [])

        offline = HostProcess(clean_env(self.ws.home, self.cache, HF_HUB_OFFLINE="1"))
        self.addCleanup(offline.kill)
        has = offline.call("has_file", repo=GGUF_REPO, file="tokenizer.json")["payload"]
        self.assertEqual((has["exists"], has.get("knownMissing")), (False, True))
        reply = offline.call("get_file_path", repo=GGUF_REPO, file="tokenizer.json")
        self.assertEqual(reply["error"]["code"], "NOT_FOUND")
        self.assertTrue(reply["error"]["details"]["knownMissing"])
        info = offline.call("open_file_server")["payload"]
        status, _, body = http_request(info["port"], "GET", "/%s/%s/resolve/main/tokenizer.json" % (info["token"], GGUF_REPO))
        self.assertEqual(status, 404)
        self.assertTrue(json.loads(body)["error"]["knownMissing"])
        self.assertEqual(offline.close(), 0)

    def test_scan_writes_trees_only_for_a_cached_repo(self):
        self.ws.json("scan", GGUF_REPO)
        self.assertFalse(repo_dir(self.cache, GGUF_REPO).exists())  # a listing alone adds no repo
        self.assertEqual(self.ws.json("list")["models"], [])
        self.ws.json("download", GGUF_REPO, "--file", "README.md")
        d = repo_dir(self.cache, GGUF_REPO)
        commit = (d / "refs" / "main").read_text()
        tree = d / "trees" / (commit + ".json")
        tree.unlink()
        self.ws.json("scan", GGUF_REPO)
        self.assertEqual(len(json.loads(tree.read_text())["files"]), len(self.hub_tree()))


if __name__ == "__main__":
    unittest.main()
