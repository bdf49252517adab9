#!/usr/bin/env python3
"""Self-test of the fake hub: every endpoint, header, error code and fault kind, plus memory use.
Usage: selftest.py FAKEHUB_BIN FAKEHUB_GEN_BIN"""
import concurrent.futures
import hashlib
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fakehub import FakeHub, generate  # noqa: E402

SANITIZED = os.environ.get("TABAGENT_SANITIZED") == "1"
TOKEN = "hf_good_token"


def sha256(b):
    return hashlib.sha256(b).hexdigest()


def git_sha1(b):
    return hashlib.sha1(b"blob %d\0" % len(b) + b).hexdigest()


def expect(cond, what):
    if not cond:
        raise AssertionError(what)


def fetch(url, headers=None, method="GET"):
    """GET an absolute URL without following redirects; a broken body yields partial bytes."""
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    try:
        conn.request(method, u.path + ("?" + u.query if u.query else ""), headers=headers or {})
        resp = conn.getresponse()
        hdrs = {k.lower(): v for k, v in resp.getheaders()}
        try:
            body, complete = resp.read(), True
        except http.client.IncompleteRead as e:
            body, complete = e.partial, False
        return resp.status, hdrs, body, complete
    finally:
        conn.close()


def wait_until(cond, what, guard=30):
    """Polls cond until true; the guard only catches a hang."""
    deadline = time.monotonic() + guard
    while not cond():
        expect(time.monotonic() < deadline, "hang: " + what)
        time.sleep(0.01)


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class SelfTest:
    def __init__(self, hub_bin, gen_bin, root):
        self.hub_bin, self.gen_bin, self.root = hub_bin, gen_bin, root
        self.sha = {}

    def disk(self, repo, path):
        with open(os.path.join(self.root, repo, path), "rb") as f:
            return f.read()

    def setup(self):
        g = lambda repo, **kw: self.sha.__setitem__(repo, generate(self.gen_bin, self.root, repo, **kw))
        g("onnx-community/Tiny-ONNX", preset="onnx")
        g("onnx-community/Tiny-T5", preset="onnx-encdec", scale=0.25)
        g("bartowski/Tiny-GGUF", preset="gguf-split")
        g("bartowski/Solo-GGUF", preset="gguf", scale=0.25)
        g("org/Tiny-ST", preset="safetensors")
        g("gated/model", files={"model.safetensors": "64K"}, texts={"config.json": '{"a": 1}'}, gated=True)
        g("priv/model", texts={"config.json": "{}"}, private=True)
        g("big/file", files={"big.bin": "64M"}, seed=7)

    def test_generator(self):
        with tempfile.TemporaryDirectory() as other:
            a = generate(self.gen_bin, other, "x/y", preset="onnx")
            expect(a == generate(self.gen_bin, other, "x/y", preset="onnx"), "regenerating gives the same commit")
            b = generate(self.gen_bin, other, "x/z", preset="onnx", seed=1)
            c = generate(self.gen_bin, other, "x/w", preset="onnx", seed=2)
            with open(os.path.join(other, "x/y/onnx/model.onnx"), "rb") as f1, \
                    open(os.path.join(other, "x/z/onnx/model.onnx"), "rb") as f2:
                expect(f1.read() == f2.read(), "same seed and path give the same bytes")
            expect(b != c, "different seeds give different commits")
        tok = json.loads(self.disk("onnx-community/Tiny-ONNX", "tokenizer.json"))
        expect(tok["model"]["type"] == "WordPiece" and tok["model"]["vocab"]["[UNK]"] == 0, "tokenizer.json model")
        expect(tok["pre_tokenizer"]["type"] == "Whitespace", "whitespace pre-tokenizer")
        cfg = json.loads(self.disk("onnx-community/Tiny-ONNX", "tokenizer_config.json"))
        expect(cfg["tokenizer_class"] == "PreTrainedTokenizerFast", "tokenizer class")
        json.loads(self.disk("org/Tiny-ST", "model.safetensors.index.json"))
        expect(self.disk("bartowski/Tiny-GGUF", "Tiny-Q8_0-00001-of-00003.gguf")[:4] == b"GGUF", "GGUF magic")
        st = self.disk("org/Tiny-ST", "model-00001-of-00002.safetensors")
        n = int.from_bytes(st[:8], "little")
        json.loads(st[8:8 + n])
        expect(len(self.disk("big/file", "big.bin")) == 64 << 20, "64M size")
        expect(os.path.getsize(os.path.join(self.root, "onnx-community/Tiny-T5/onnx/encoder_model.onnx")) == 512 << 10,
               "--scale applies")

    def test_revision(self, hub):
        repo = "onnx-community/Tiny-ONNX"
        st, _, body = hub.request("GET", "/api/models/%s/revision/main" % repo)
        info = json.loads(body)
        expect(st == 200, "revision 200")
        for key in ("id", "sha", "pipeline_tag", "gated", "private", "siblings"):
            expect(key in info, "revision has " + key)
        expect(info["sha"] == self.sha[repo] and info["id"] == repo, "sha matches the generator")
        expect(info["pipeline_tag"] == "text-generation" and info["gated"] is False, "card fields")
        names = sorted(s["rfilename"] for s in info["siblings"])
        on_disk = sorted(os.path.relpath(os.path.join(d, f), os.path.join(self.root, repo))
                         for d, _, fs in os.walk(os.path.join(self.root, repo)) for f in fs if f != ".fakehub.json")
        expect(names == on_disk, "siblings = files on disk: %s" % names)
        expect("onnx/model.onnx_data" in names and ".gitattributes" in names, "onnx layout")
        st, _, body2 = hub.request("GET", "/api/models/%s" % repo)
        expect(st == 200 and json.loads(body2)["sha"] == info["sha"], "/api/models/{repo} = revision main")
        st, _, _ = hub.request("GET", "/api/models/%s/revision/%s" % (repo, info["sha"]))
        expect(st == 200, "revision by commit sha")
        st, h, body = hub.request("GET", "/api/models/%s/revision/v9" % repo)
        expect(st == 404 and h.get("x-error-code") == "RevisionNotFound" and "error" in json.loads(body),
               "unknown revision")
        st, h, _ = hub.request("GET", "/api/models/nobody/nothing/revision/main")
        expect(st == 404 and h.get("x-error-code") == "RepoNotFound", "unknown repo")
        st, _, body = hub.request("GET", "/api/models/%s?blobs=true" % repo)
        sib = {s["rfilename"]: s for s in json.loads(body)["siblings"]}
        expect(sib["onnx/model.onnx"]["lfs"]["sha256"] == sha256(self.disk(repo, "onnx/model.onnx")), "blobs=true")

    def test_tree(self, hub):
        repo = "onnx-community/Tiny-ONNX"
        url, pages, entries = "%s/api/models/%s/tree/main?recursive=true" % (hub.url, repo), 0, []
        while url:
            st, h, body, _ = fetch(url)
            expect(st == 200, "tree page 200")
            page = json.loads(body)
            expect(len(page) <= 4, "page size honoured")
            entries += page
            pages += 1
            link = h.get("link")
            url = link[link.index("<") + 1:link.index(">")] if link else None
            if link:
                expect(link.endswith('; rel="next"') and "cursor=" in link and url.startswith("http://"), "Link")
        expect(pages >= 4, "tree paginated (%d pages)" % pages)
        paths = [e["path"] for e in entries]
        expect(len(paths) == len(set(paths)), "no entry twice across pages")
        by = {e["path"]: e for e in entries}
        expect(by["onnx"]["type"] == "directory", "directory entry")
        data = self.disk(repo, "onnx/model.onnx_data")
        e = by["onnx/model.onnx_data"]
        expect(e["type"] == "file" and e["size"] == len(data), "file entry size")
        expect(e["lfs"]["oid"] == sha256(data) and e["lfs"]["size"] == len(data), "lfs oid")
        pointer = "version https://git-lfs.github.com/spec/v1\noid sha256:%s\nsize %d\n" % (sha256(data), len(data))
        expect(e["oid"] == git_sha1(pointer.encode()) and e["lfs"]["pointerSize"] == len(pointer), "pointer oid")
        cfg = self.disk(repo, "config.json")
        expect(by["config.json"]["oid"] == git_sha1(cfg) and "lfs" not in by["config.json"], "git file oid")
        st, _, body = hub.request("GET", "/api/models/%s/tree/main" % repo)
        top = json.loads(body)
        expect(st == 200 and all("/" not in x["path"] for x in top), "non-recursive tree is one level")
        st, _, body = hub.request("GET", "/api/models/%s/tree/main/onnx?recursive=1" % repo)
        expect(st == 200 and all(x["path"].startswith("onnx/") for x in json.loads(body)), "subfolder tree")
        st, h, _ = hub.request("GET", "/api/models/%s/tree/main/nope" % repo)
        expect(st == 404 and h.get("x-error-code") == "EntryNotFound", "tree of a missing folder")

    def test_resolve(self, hub):
        repo = "onnx-community/Tiny-ONNX"
        cfg = self.disk(repo, "config.json")
        st, h, body = hub.request("GET", "/%s/resolve/main/config.json" % repo)
        expect(st == 200 and body == cfg, "small file body")
        expect(h["etag"] == '"%s"' % git_sha1(cfg) and h["x-repo-commit"] == self.sha[repo], "small file headers")
        st, h, body = hub.request("HEAD", "/%s/resolve/main/config.json" % repo)
        expect(st == 200 and body == b"" and int(h["content-length"]) == len(cfg), "HEAD small file")
        data = self.disk(repo, "onnx/model_q4.onnx")
        for method in ("GET", "HEAD"):
            st, h, _ = hub.request(method, "/%s/resolve/main/onnx/model_q4.onnx" % repo)
            expect(st == 302, "LFS resolve redirects")
            expect(h["x-linked-etag"] == '"%s"' % sha256(data) and h["x-linked-size"] == str(len(data)), "X-Linked")
            expect(h["etag"] == '"%s"' % sha256(data) and h["x-repo-commit"] == self.sha[repo], "ETag, commit")
            loc = urllib.parse.urlsplit(h["location"])
            expect(loc.hostname == "localhost" and loc.port == hub.port and loc.path.startswith("/cdn/"), "CDN host")
        st, h, body, _ = fetch(h["location"])
        expect(st == 200 and sha256(body) == sha256(data), "CDN body")
        expect(h["etag"] == '"%s"' % sha256(data) and h["accept-ranges"] == "bytes", "CDN headers")
        expect(int(h["content-length"]) == len(data), "CDN Content-Length")
        st, h, _ = hub.request("GET", "/%s/resolve/main/onnx/missing.onnx" % repo)
        expect(st == 404 and h.get("x-error-code") == "EntryNotFound", "missing file")
        st, h, _ = hub.request("GET", "/%s/resolve/nope/config.json" % repo)
        expect(st == 404 and h.get("x-error-code") == "RevisionNotFound", "missing revision")
        st, h, _ = hub.request("GET", "/%s/resolve/%s/config.json" % (repo, self.sha[repo]))
        expect(st == 200 and h["x-repo-commit"] == self.sha[repo], "resolve by commit")

    def test_scan_cache(self, hub):
        """A repo's scan (and the views built from it) is kept while its folders and .fakehub.json
        keep their mtimes, and redone when one changes. Settled mtimes are set in the past with
        utime instead of waiting out the 2 s guard."""
        repo = "cache/probe"
        generate(self.gen_bin, self.root, repo, files={"model.safetensors": "64K"}, texts={"sub/notes.txt": "one"})
        top = os.path.join(self.root, repo)
        sub = os.path.join(top, "sub")
        meta = os.path.join(top, ".fakehub.json")

        def settle(*paths):
            past = time.time() - 10
            for path in paths:
                os.utime(path, (past, past))

        def notes_etag():
            st, h, body = hub.request("GET", "/%s/resolve/main/sub/notes.txt" % repo)
            expect(st == 200, "resolve notes.txt")
            return h["etag"].strip('"'), body

        settle(top, sub, meta)
        expect(notes_etag() == (git_sha1(b"one"), b"one"), "first scan")
        with open(os.path.join(sub, "notes.txt"), "r+b") as f:  # in place: no folder mtime changes
            f.write(b"two")
        etag, body = notes_etag()
        expect(etag == git_sha1(b"one") and body == b"two", "kept scan: the old etag, bytes read from disk")
        st, _, listing = hub.request("GET", "/api/models/%s/tree/main/sub" % repo)
        expect(st == 200 and json.loads(listing)[0]["oid"] == git_sha1(b"one"), "the tree comes from the kept scan")
        os.utime(sub)  # the folder changed: rescan (the file's mtime changed too: rehash)
        expect(notes_etag() == (git_sha1(b"two"), b"two"), "a touched folder is rescanned")
        st, _, listing = hub.request("GET", "/api/models/%s/tree/main/sub" % repo)
        expect(json.loads(listing)[0]["oid"] == git_sha1(b"two"), "the tree follows the rescan")
        with open(os.path.join(top, "added.txt"), "w") as f:
            f.write("new")
        info = json.loads(hub.request("GET", "/api/models/%s" % repo)[2])
        expect("added.txt" in [x["rfilename"] for x in info["siblings"]], "an added file is listed")
        with open(meta) as f:
            m = json.load(f)
        m["pipeline_tag"] = "fill-mask"
        with open(meta, "w") as f:
            json.dump(m, f)
        settle(top, sub, meta)
        info = json.loads(hub.request("GET", "/api/models/%s" % repo)[2])
        expect(info["pipeline_tag"] == "fill-mask", "an edited .fakehub.json is read again")
        settle(top, sub, meta)
        first = json.loads(hub.request("GET", "/api/models/%s" % repo)[2])
        expect(first == json.loads(hub.request("GET", "/api/models/%s" % repo)[2]), "a kept view answers alike")
        shutil.rmtree(top)
        st, h, _ = hub.request("GET", "/api/models/%s" % repo)
        expect(st == 404 and h.get("x-error-code") == "RepoNotFound", "a removed repo is gone")

    def test_ranges(self, hub):
        repo = "onnx-community/Tiny-ONNX"
        data = self.disk(repo, "onnx/model_int8.onnx")
        _, h, _ = hub.request("GET", "/%s/resolve/main/onnx/model_int8.onnx" % repo)
        cdn, n = h["location"], len(data)
        for rng, lo, hi in (("bytes=10-19", 10, 19), ("bytes=1000-", 1000, n - 1), ("bytes=-5", n - 5, n - 1),
                            ("bytes=0-%d" % (n + 50), 0, n - 1)):
            st, h, body, _ = fetch(cdn, {"Range": rng})
            expect(st == 206 and body == data[lo:hi + 1], "range %s" % rng)
            expect(h["content-range"] == "bytes %d-%d/%d" % (lo, hi, n), "Content-Range %s" % rng)
        st, h, body, _ = fetch(cdn, {"Range": "bytes=%d-" % n})
        expect(st == 416 and h.get("content-range") == "bytes */%d" % n, "416 past the end")
        st, h, body, _ = fetch(cdn, {"Range": "bytes=5-9", "If-Range": '"%s"' % ("0" * 64)})
        expect(st == 200 and body == data, "stale If-Range gives the whole file")
        cfg = self.disk(repo, "config.json")
        st, h, body = hub.request("GET", "/%s/resolve/main/config.json" % repo, {"Range": "bytes=2-6"})
        expect(st == 206 and body == cfg[2:7] and h["content-range"] == "bytes 2-6/%d" % len(cfg), "small file range")

    def test_auth(self, hub):
        good, bad = {"Authorization": "Bearer " + TOKEN}, {"Authorization": "Bearer hf_wrong"}
        path = "/gated/model/resolve/main/config.json"
        st, h, body = hub.request("GET", path)
        expect(st == 401 and h.get("x-error-code") == "GatedRepo" and "error" in json.loads(body), "gated anon 401")
        st, h, _ = hub.request("GET", path, bad)
        expect(st == 403 and h.get("x-error-code") == "GatedRepo", "gated wrong token 403")
        st, h, body = hub.request("GET", path, good)
        expect(st == 200 and body == b'{"a": 1}', "gated good token")
        st, h, _ = hub.request("GET", "/gated/model/resolve/main/model.safetensors", good)
        expect(st == 302, "gated LFS with token")
        st, _, body = hub.request("GET", "/api/models/gated/model")
        expect(st == 200 and json.loads(body)["gated"] == "auto", "gated metadata is public")
        st, h, _ = hub.request("GET", "/api/models/priv/model")
        expect(st == 401 and h.get("x-error-code") == "RepoNotFound", "private anon 401")
        st, h, _ = hub.request("GET", "/api/models/priv/model", bad)
        expect(st == 404 and h.get("x-error-code") == "RepoNotFound", "private other user 404")
        st, _, body = hub.request("GET", "/priv/model/resolve/main/config.json", good)
        expect(st == 200 and body == b"{}", "private with token")
        st, _, body = hub.request("GET", "/api/whoami-v2", good)
        expect(st == 200 and json.loads(body)["name"] == "fake-user", "whoami")
        expect(hub.request("GET", "/api/whoami-v2")[0] == 401, "whoami anon")
        expect(hub.request("GET", "/api/whoami-v2", bad)[0] == 401, "whoami bad token")

    def test_faults(self, hub):
        repo = "onnx-community/Tiny-ONNX"
        hub.reset()
        data = self.disk(repo, "onnx/model_uint8.onnx")
        n = len(data)
        _, h, _ = hub.request("GET", "/%s/resolve/main/onnx/model_uint8.onnx" % repo)
        cdn = h["location"]
        cfg_path = "/%s/resolve/main/config.json" % repo

        hub.add_fault(path_contains="config.json", kind="status", status=503, retry_after=7, times=2)
        for _ in range(2):
            st, h, body = hub.request("GET", cfg_path)
            expect(st == 503 and h.get("retry-after") == "7" and "error" in json.loads(body), "503 + Retry-After")
        expect(hub.request("GET", cfg_path)[0] == 200, "times counts down")
        hub.add_fault(path_contains="/tree/", kind="status", status=429, retry_after=1, error_code="RateLimited")
        st, h, _ = hub.request("GET", "/api/models/%s/tree/main" % repo)
        expect(st == 429 and h.get("x-error-code") == "RateLimited", "429 on the API")

        # Body faults skip the 302 and hit the CDN request (matched through its query).
        hub.add_fault(path_contains="model_uint8.onnx", kind="drop", after_bytes=1000)
        st, _, _ = hub.request("GET", "/%s/resolve/main/onnx/model_uint8.onnx" % repo)
        expect(st == 302, "body fault does not touch the redirect")
        st, h, body, complete = fetch(cdn)
        expect(st == 200 and not complete and len(body) == 1000 and body == data[:1000], "drop after 1000 bytes")
        hub.add_fault(path_contains="model_uint8.onnx", kind="drop", after_fraction=0.25)
        _, _, body, complete = fetch(cdn, {"Range": "bytes=100-"})
        expect(not complete and len(body) == (n - 100) // 4 and body == data[100:100 + len(body)], "drop fraction")

        hub.add_fault(path_contains="model_uint8.onnx", kind="stall", after_bytes=4096, stall_ms=400)
        t = time.monotonic()
        _, _, body, complete = fetch(cdn)
        expect(complete and body == data and time.monotonic() - t >= 0.38, "stall then continue")
        hub.add_fault(path_contains="model_uint8.onnx", kind="stall", after_bytes=4096, stall_ms=100, then="close")
        _, _, body, complete = fetch(cdn)
        expect(not complete and len(body) == 4096, "stall then close")

        hub.add_fault(path_contains="model_uint8.onnx", kind="corrupt", offset=5000)
        _, _, body, complete = fetch(cdn)
        diff = [i for i in range(n) if body[i] != data[i]]
        expect(complete and diff == [5000], "corrupt exactly one byte: %s" % diff[:5])
        hub.add_fault(path_contains="model_uint8.onnx", kind="corrupt")
        _, _, body, _ = fetch(cdn, {"Range": "bytes=0-999"})
        expect(body != data[:1000] and len(body) == 1000, "corrupt inside the served range")

        hub.add_fault(path_contains="model_uint8.onnx", kind="ignore_range")
        st, h, body, _ = fetch(cdn, {"Range": "bytes=10-19"})
        expect(st == 200 and body == data and "content-range" not in h, "ignore_range sends 200 + everything")

        hub.add_fault(path_contains="model_uint8.onnx", kind="truncate", after_bytes=500)
        st, h, body, complete = fetch(cdn)
        expect(int(h["content-length"]) == n and not complete and len(body) == 500, "truncate")
        hub.add_fault(path_contains="model_uint8.onnx", kind="wrong_length", delta=100)
        st, h, body, complete = fetch(cdn)
        expect(int(h["content-length"]) == n + 100 and not complete and body == data, "Content-Length too big")
        hub.add_fault(path_contains="model_uint8.onnx", kind="wrong_length", delta=-100)
        st, h, body, complete = fetch(cdn)
        expect(int(h["content-length"]) == n - 100 and body == data[:n - 100], "Content-Length too small")

        hub.add_fault(path_contains="model_uint8.onnx", kind="rate", bytes_per_second=2 << 20)
        t = time.monotonic()
        _, _, body, _ = fetch(cdn)
        took = time.monotonic() - t
        ideal = n / (2 << 20)
        expect(body == data and ideal * 0.7 <= took, "rate fault: %.2fs for ideal %.2fs" % (took, ideal))  # lower bound only

        hub.add_fault(path_contains="config.json", kind="redirect_loop")
        st, h, _ = hub.request("GET", cfg_path)
        expect(st == 302 and urllib.parse.urlsplit(h["location"]).path == cfg_path, "redirect loop")
        hub.add_fault(path_contains="config.json", kind="redirect_other_host")
        st, h, _ = hub.request("GET", cfg_path)
        cfg = self.disk(repo, "config.json")
        expect(st == 302 and urllib.parse.urlsplit(h["location"]).hostname == "localhost", "small file sent to CDN")
        st, h2, body, _ = fetch(h["location"])
        expect(st == 200 and body == cfg and h2["etag"] == '"%s"' % git_sha1(cfg), "CDN serves the git file")

        rid = hub.add_fault(path_contains="config.json", kind="status", status=500, times=-1)
        expect(all(hub.request("GET", cfg_path)[0] == 500 for _ in range(3)), "times=-1 forever")
        expect(any(f["id"] == rid and f["hits"] == 3 for f in hub.faults()), "fault list counts hits")
        hub.clear_faults()
        expect(hub.request("GET", cfg_path)[0] == 200 and hub.faults() == [], "clear_faults")

        log = hub.requests()
        expect(all(k in log[0] for k in ("method", "path", "query", "range", "status", "bytes_sent",
                                         "authorization_present", "time")), "log fields")
        expect(not any(e["path"].startswith("/__fakehub") for e in log), "control calls not logged")
        drops = [e for e in log if e["fault"] == "drop"]
        expect(len(drops) == 2 and drops[0]["bytes_sent"] == 1000 and drops[0]["endpoint"] == "cdn", "drop logged")
        ranged = [e for e in log if e["range"] == "bytes=100-"]
        expect(ranged and ranged[0]["status"] == 206, "range logged")

    def test_hold(self, hub):
        hub.reset()
        repo = "onnx-community/Tiny-ONNX"
        data = self.disk(repo, "onnx/model_uint8.onnx")
        _, h, _ = hub.request("GET", "/%s/resolve/main/onnx/model_uint8.onnx" % repo)
        cdn = h["location"]
        rid = hub.hold("model_uint8.onnx", after_bytes=10_000)
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            bodies = [pool.submit(fetch, cdn) for _ in range(2)]
            wait_until(lambda: hub.fault(rid)["waiting"] == 2, "both responses held")
            expect(hub.fault(rid)["left"] == 0 and hub.stats()["bytes_sent_total"] == 10_000, "one shared budget")
            hub.release_hold(rid, bytes=3000)
            wait_until(lambda: hub.stats()["bytes_sent_total"] == 13_000 and hub.fault(rid)["waiting"] == 2,
                       "3 000 more bytes, then held again")
            hub.release_hold(rid)
            results = [b.result() for b in bodies]
        expect(all(r[0] == 200 and r[2] == data and r[3] for r in results), "released: both bodies whole")
        expect(hub.fault(rid) is None, "a released hold is gone from the list")
        rid = hub.hold("model_uint8.onnx")
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            body = pool.submit(fetch, cdn)
            wait_until(lambda: hub.fault(rid)["waiting"] == 1, "held before the first byte")
            hub.remove_fault(rid)
            expect(body.result()[2] == data, "removing the rule releases it")
        for bad in ({"times": 1}, {"after_fraction": 0.5}):
            st, _, _ = hub.request("POST", "/__fakehub/faults", body=dict(kind="hold", **bad))
            expect(st == 400, "hold rule refused: %r" % bad)
        st, _, _ = hub.request("POST", "/__fakehub/faults/999/release", body={})
        expect(st == 404, "release of an unknown rule")
        log = [e for e in hub.requests() if e["fault"] == "hold"]
        expect(len(log) == 3 and all(e["last_write"] >= e["time"] for e in log), "held requests logged")

    def test_change_content(self, hub):
        hub.reset()
        repo = "onnx-community/Tiny-ONNX"
        cfg = self.disk(repo, "config.json")
        flipped = bytes(b ^ 0xFF for b in cfg)
        old = self.sha[repo]
        hub.add_fault(path_contains="config.json", kind="change_content", endpoint="resolve")
        st, h, body = hub.request("GET", "/%s/resolve/main/config.json" % repo)
        expect(st == 200 and body == flipped and h["etag"] == '"%s"' % git_sha1(flipped), "changed small file")
        new = h["x-repo-commit"]
        expect(new != old, "a change makes a new commit")
        expect(json.loads(hub.request("GET", "/api/models/%s" % repo)[2])["sha"] == new, "revision follows")
        st, h, body = hub.request("GET", "/%s/resolve/%s/config.json" % (repo, old))
        expect(st == 200 and body == cfg and h["x-repo-commit"] == old, "old commit keeps old bytes")
        data = self.disk(repo, "onnx/model_bnb4.onnx")
        _, h, _ = hub.request("GET", "/%s/resolve/main/onnx/model_bnb4.onnx" % repo)
        old_cdn = h["location"]
        res = hub.change_content(repo, "onnx/model_bnb4.onnx")
        flipped = bytes(b ^ 0xFF for b in data)
        expect(res["etag"] == sha256(flipped), "change endpoint reports the new etag")
        _, h, _ = hub.request("GET", "/%s/resolve/main/onnx/model_bnb4.onnx" % repo)
        expect(h["x-linked-etag"] == '"%s"' % sha256(flipped) and h["x-repo-commit"] == res["sha"], "new LFS etag")
        st, _, body, _ = fetch(h["location"])
        expect(st == 200 and body == flipped, "CDN serves the new bytes")
        st, _, body, _ = fetch(old_cdn)
        expect(st == 200 and body == data, "old CDN URL still serves the old bytes")
        tree = json.loads(hub.request("GET", "/api/models/%s/tree/main/onnx" % repo)[2])
        expect(any(e["path"] == "onnx/model_bnb4.onnx" and e["lfs"]["oid"] == sha256(flipped) for e in tree),
               "tree shows the new oid")
        hub.reset()
        expect(hub.request("GET", "/%s/resolve/main/config.json" % repo)[2] == cfg, "reset undoes changes")
        expect(hub.requests() == [] or len(hub.requests()) == 1, "reset clears the log")

    def test_big_and_parallel(self, hub):
        hub.reset()
        data_sha = sha256(self.disk("big/file", "big.bin"))
        size = 64 << 20
        _, h, _ = hub.request("GET", "/big/file/resolve/main/big.bin")
        cdn = h["location"]
        expect(h["x-linked-etag"] == '"%s"' % data_sha, "64M etag from the generator's cache")
        before = rss_kib(hub.proc.pid)
        u = urllib.parse.urlsplit(cdn)
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
        conn.request("GET", u.path + "?" + u.query)
        resp = conn.getresponse()
        digest, got = hashlib.sha256(), 0
        while True:
            chunk = resp.read(1 << 20)
            if not chunk:
                break
            digest.update(chunk)
            got += len(chunk)
        conn.close()
        after = rss_kib(hub.proc.pid)
        expect(got == size and digest.hexdigest() == data_sha, "64M sha256 over the wire")
        limit = 96 if SANITIZED else 24
        expect(after - before < limit * 1024, "RSS grew %d KiB serving 64 MiB" % (after - before))
        expect(SANITIZED or after < 64 * 1024, "RSS %d KiB" % after)
        expect(hub.stats()["bytes_sent_total"] >= size, "stats count bytes")

        # 32 keep-alive connections, 4 range requests each, assembled into the whole file.
        piece = size // 128

        def worker(i):
            conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
            parts = []
            for k in range(4):
                lo = (i * 4 + k) * piece
                conn.request("GET", u.path + "?" + u.query, headers={"Range": "bytes=%d-%d" % (lo, lo + piece - 1)})
                r = conn.getresponse()
                body = r.read()
                expect(r.status == 206 and len(body) == piece, "parallel piece")
                parts.append((lo, body))
            conn.close()
            return parts

        with concurrent.futures.ThreadPoolExecutor(32) as pool:
            parts = sorted(p for ps in pool.map(worker, range(32)) for p in ps)
        expect(sha256(b"".join(b for _, b in parts)) == data_sha, "parallel ranges rebuild the file")
        log = [e for e in hub.requests() if e["endpoint"] == "cdn"]
        expect(len(log) == 129 and all(e["status"] in (200, 206) for e in log), "parallel requests logged")

    def test_global_rate_and_lifecycle(self):
        data = self.disk("onnx-community/Tiny-ONNX", "onnx/model_fp16.onnx")
        port_file = os.path.join(self.root, "port.txt")
        with FakeHub(self.hub_bin, self.root, rate_per_connection=4 << 20,
                     extra_args=["--port-file", port_file]) as hub:
            with open(port_file) as f:
                expect(int(f.read()) == hub.port, "port file")
            _, h, _ = hub.request("GET", "/onnx-community/Tiny-ONNX/resolve/main/onnx/model_fp16.onnx")
            t = time.monotonic()
            _, _, body, _ = fetch(h["location"])
            took, ideal = time.monotonic() - t, len(data) / (4 << 20)
            # A lower bound only: a busy machine may make any transfer slower.
            expect(body == data and ideal * 0.7 <= took, "global rate cap: %.2fs for ideal %.2fs" % (took, ideal))
            # Neither an idle keep-alive connection nor a held body holds up shutdown: the process
            # exits 0 after the shutdown call (the 60 s wait only catches a hang).
            idle = http.client.HTTPConnection("127.0.0.1", hub.port, timeout=30)
            idle.request("GET", "/api/whoami-v2")
            idle.getresponse().read()
            rid = hub.hold("model_fp16.onnx")
            with concurrent.futures.ThreadPoolExecutor(1) as pool:
                held = pool.submit(fetch, h["location"])
                wait_until(lambda: hub.fault(rid)["waiting"] == 1, "held")
                hub.request("POST", "/__fakehub/shutdown", body={})
                expect(hub.proc.wait(60) == 0, "shutdown endpoint exits 0")
                expect(not held.result()[3], "the held body ends incomplete")
        hub = FakeHub(self.hub_bin, self.root).start()
        hub.proc.send_signal(signal.SIGTERM)
        expect(hub.proc.wait(10) == 0, "SIGTERM exits 0")
        hub.stop()
        hub = FakeHub(self.hub_bin, self.root).start()
        hub.proc.send_signal(signal.SIGINT)
        expect(hub.proc.wait(10) == 0, "SIGINT exits 0")
        hub.stop()

    def test_bridge(self, hub):
        """Xet bridge behaviour: first_byte_delay, content_encoding, the mode switches."""
        import gzip as gz
        repo = "onnx-community/Tiny-ONNX"
        hub.reset()
        data = self.disk(repo, "onnx/model_uint8.onnx")
        res = "/%s/resolve/main/onnx/model_uint8.onnx" % repo
        cdn = hub.request("GET", res)[1]["location"]
        hub.add_fault(path_contains="model_uint8.onnx", endpoint="cdn", kind="first_byte_delay", delay_ms=300)
        t = time.monotonic()
        st, _, body, _ = fetch(cdn, {"Range": "bytes=0-99"})
        expect(st == 206 and body == data[:100] and time.monotonic() - t >= 0.28, "first_byte_delay")
        hub.add_fault(path_contains="model_uint8.onnx", kind="content_encoding")
        st, h, body, _ = fetch(cdn, {"Range": "bytes=10-1009", "Accept-Encoding": "identity"})
        expect(st == 206 and h.get("content-encoding") == "gzip" and gz.decompress(body) == data[10:1010],
               "content_encoding gzips the range")
        log = hub.requests()
        expect(log[-1]["accept_encoding"] == "identity" and log[-1]["fault"] == "content_encoding", "log names it")
        expect(hub.mode() == {"xet": False, "signed_url_ttl": 0, "ranged_only_above": 0}, "mode off by default")
        hub.mode(xet=True, signed_url_ttl=0.3, ranged_only_above=1000)
        st, h, body = hub.request("HEAD", res)
        expect(st == 302 and int(h["x-linked-size"]) == len(data) and int(h["content-length"]) < 1000
               and len(h["x-xet-hash"]) == 64 and 'rel="xet-auth"' in h["link"]
               and "X-Amz-Expires=1" in h["location"], "xet resolve answer")
        cdn = h["location"]
        expect(fetch(cdn)[0] == 400, "ranged only: a whole-file GET is refused")
        expect(fetch(cdn, {"Range": "bytes=0-"})[0] == 206, "ranged only: a ranged GET is served")
        time.sleep(0.35)  # the URL's own lifetime is the event here
        expect(fetch(cdn, {"Range": "bytes=0-"})[0] == 403, "expired signed URL")
        hub.reset()
        expect(hub.mode()["xet"] is False, "reset restores the mode")

    def run(self):
        self.setup()
        self.test_generator()
        with FakeHub(self.hub_bin, self.root, page_size=4, tokens=[TOKEN]) as hub:
            for test in (self.test_revision, self.test_tree, self.test_resolve, self.test_scan_cache, self.test_ranges,
                         self.test_auth, self.test_faults, self.test_hold, self.test_change_content,
                         self.test_big_and_parallel, self.test_bridge):
                t = time.monotonic()
                test(hub)
                print("ok  %-28s %.2fs" % (test.__name__, time.monotonic() - t), flush=True)
        self.test_global_rate_and_lifecycle()
        print("ok  test_global_rate_and_lifecycle", flush=True)


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    with tempfile.TemporaryDirectory(prefix="fakehub-selftest-") as root:
        SelfTest(sys.argv[1], sys.argv[2], root).run()
    print("fakehub selftest passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
