"""open_file_server: the loopback HTTP server for bulk reads (DESIGN §3 "Why a loopback server").

Runs the host as the browser does, asks for the server, then talks HTTP to it."""
import hashlib
import http.client
import json
import os
import pathlib
import socket
import threading
import time
import unittest

from hostproc import GUARD, HostProcess, clean_env, temp_dirs

HERE = pathlib.Path(__file__).resolve().parent
BUILD = HERE.parents[1] / "build/ci/tests/fakehub"
FAKEHUB = os.environ.get("FAKEHUB", str(BUILD / "fakehub"))
FAKEHUB_GEN = os.environ.get("FAKEHUB_GEN", str(BUILD / "fakehub-gen"))
EXTENSION_ORIGIN = "chrome-extension://fkkeoobeahalebjpbockfedlncckobjb"
COMMIT = "a" * 40


def put_in_cache(cache, repo, files, commit=COMMIT, revision="main"):
    """Writes files into the HF cache layout: blobs named by sha256, relative snapshot links, a ref."""
    repo_dir = pathlib.Path(cache) / ("models--" + repo.replace("/", "--"))
    (repo_dir / "blobs").mkdir(parents=True, exist_ok=True)
    (repo_dir / "refs").mkdir(parents=True, exist_ok=True)
    (repo_dir / "refs" / revision).write_text(commit)
    snap = repo_dir / "snapshots" / commit
    etags = {}
    for path, data in files.items():
        etag = hashlib.sha256(data).hexdigest()
        (repo_dir / "blobs" / etag).write_bytes(data)
        link = snap / path
        link.parent.mkdir(parents=True, exist_ok=True)
        rel = os.path.relpath(repo_dir / "blobs" / etag, link.parent)
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(rel)
        etags[path] = etag
    return repo_dir, etags


def http_request(port, method, target, headers=None, host=None, timeout=30):
    """One request with full control over the target and the Host header: (status, headers, body).
    The timeout is a hang guard, scaled like the host's (GUARD: a host under Wine on a loaded
    machine answered a fetch through the engine after more than 30 s once)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout * GUARD)
    try:
        conn.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
        conn.putheader("Host", host if host is not None else "127.0.0.1:%d" % port)
        for k, v in (headers or {}).items():
            conn.putheader(k, v)
        conn.endheaders()
        resp = conn.getresponse()
        body = resp.read()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, body
    finally:
        conn.close()


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class FileServerBase(unittest.TestCase):
    env_extra = {}

    def setUp(self):
        self.root, self.home, self.cache = temp_dirs(self)
        self.env = clean_env(self.home, self.cache, **self.env_extra)

    def start_host(self, env=None):
        host = HostProcess(env or self.env)
        self.addCleanup(self.finish_host, host)
        reply = host.call("open_file_server")
        self.assertEqual(reply["status"], "success", reply)
        return host, reply["payload"]

    @staticmethod
    def finish_host(host):
        if host.proc.poll() is None:
            try:
                host.close()
            except Exception:
                host.kill()
        for pipe in (host.proc.stdin, host.proc.stdout, host.proc.stderr):
            if pipe and not pipe.closed:
                pipe.close()

    def get(self, target, method="GET", **kw):
        return http_request(self.port, method, target, **kw)

    def url(self, repo, path, revision="main"):
        return "/%s/%s/resolve/%s/%s" % (self.token, repo, revision, path)


class CachedFiles(FileServerBase):
    """Serving what the cache holds; the host is offline so nothing can come from elsewhere."""
    env_extra = {"HF_HUB_OFFLINE": "1"}

    def setUp(self):
        super().setUp()
        self.repo = "onnx-community/Tiny"
        self.model = os.urandom(3 * 1024 * 1024 + 17)
        self.config = b'{"model_type": "bert"}'
        _, self.etags = put_in_cache(self.cache, self.repo, {"onnx/model.onnx": self.model, "config.json": self.config})
        self.host, self.info = self.start_host()
        self.port, self.token = self.info["port"], self.info["token"]

    def test_reply_shape_and_same_server_on_second_call(self):
        self.assertRegex(self.token, r"^[0-9a-f]{32}$")
        self.assertEqual(self.info["baseUrl"], "http://127.0.0.1:%d/%s/" % (self.port, self.token))
        again = self.host.call("open_file_server")["payload"]
        self.assertEqual(again["baseUrl"], self.info["baseUrl"])
        caps = self.host.call("handshake")["payload"]["capabilities"]
        self.assertIn("open_file_server", caps)

    def test_get_returns_the_cached_bytes_with_hub_headers(self):
        status, headers, body = self.get(self.url(self.repo, "onnx/model.onnx"))
        self.assertEqual(status, 200)
        self.assertEqual(hashlib.sha256(body).hexdigest(), hashlib.sha256(self.model).hexdigest())
        self.assertEqual(int(headers["content-length"]), len(self.model))
        self.assertEqual(headers["etag"], '"%s"' % self.etags["onnx/model.onnx"])
        self.assertEqual(headers["accept-ranges"], "bytes")
        self.assertEqual(headers["x-repo-commit"], COMMIT)
        self.assertEqual(headers["content-type"], "application/octet-stream")
        status, headers, body = self.get(self.url(self.repo, "config.json"))
        self.assertEqual((status, body, headers["content-type"]), (200, self.config, "application/json"))
        # By commit as well as by ref.
        status, _, body = self.get(self.url(self.repo, "config.json", revision=COMMIT))
        self.assertEqual((status, body), (200, self.config))

    def test_ranges(self):
        url = self.url(self.repo, "onnx/model.onnx")
        size = len(self.model)
        status, headers, body = self.get(url, headers={"Range": "bytes=10-19"})
        self.assertEqual((status, body), (206, self.model[10:20]))
        self.assertEqual(headers["content-range"], "bytes 10-19/%d" % size)
        self.assertEqual(headers["content-length"], "10")
        status, headers, body = self.get(url, headers={"Range": "bytes=-5"})
        self.assertEqual((status, body), (206, self.model[-5:]))
        status, headers, body = self.get(url, headers={"Range": "bytes=%d-" % (size - 1000)})
        self.assertEqual((status, body), (206, self.model[-1000:]))
        status, headers, body = self.get(url, headers={"Range": "bytes=1048570-%d" % (size + 100)})
        self.assertEqual((status, body), (206, self.model[1048570:]))
        status, headers, body = self.get(url, headers={"Range": "bytes=%d-" % size})
        self.assertEqual(status, 416)
        self.assertEqual(headers["content-range"], "bytes */%d" % size)
        self.assertEqual(body, b"")
        # A Range on a missing file does not slice or hide the 404.
        status, _, body = self.get(self.url(self.repo, "nope.json"), headers={"Range": "bytes=1-2"})
        self.assertEqual(status, 404)
        self.assertEqual(json.loads(body)["error"]["code"], "NOT_FOUND")

    def test_head(self):
        status, headers, body = self.get(self.url(self.repo, "onnx/model.onnx"), method="HEAD")
        self.assertEqual((status, body), (200, b""))
        self.assertEqual(int(headers["content-length"]), len(self.model))
        self.assertEqual(headers["etag"], '"%s"' % self.etags["onnx/model.onnx"])

    def test_only_get_and_head(self):
        for method in ("POST", "PUT", "DELETE", "PATCH"):
            status, headers, _ = self.get(self.url(self.repo, "config.json"), method=method)
            self.assertEqual(status, 405, method)

    def test_bad_token_is_a_plain_404(self):
        for target in ("/%s/%s/resolve/main/config.json" % ("0" * 32, self.repo),
                       "/%s/resolve/main/config.json" % self.repo, "/", "/" + self.token[:-1] + "/x",
                       "/%s%s/%s/resolve/main/config.json" % (self.token, "0", self.repo)):
            status, _, body = self.get(target)
            self.assertEqual((status, body), (404, b""), target)

    def test_host_header_must_be_loopback(self):
        url = self.url(self.repo, "config.json")
        for host in ("evil.com", "evil.com:%d" % self.port, "127.0.0.1", "127.0.0.2:%d" % self.port, ""):
            status, _, body = self.get(url, host=host)
            self.assertEqual(status, 403, host)
            self.assertNotIn(self.config, body)
        self.assertEqual(self.get(url, host="localhost:%d" % self.port)[0], 200)

    def test_cors_only_for_allowed_extensions(self):
        url = self.url(self.repo, "config.json")
        status, headers, body = self.get(url, headers={"Origin": EXTENSION_ORIGIN})
        self.assertEqual((status, body), (200, self.config))
        self.assertEqual(headers["access-control-allow-origin"], EXTENSION_ORIGIN)
        self.assertEqual(headers["vary"], "Origin")
        for h in ("Content-Length", "Content-Range", "ETag", "Accept-Ranges", "X-Repo-Commit"):
            self.assertIn(h, headers["access-control-expose-headers"])
        for origin in ("https://evil.com", "chrome-extension://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "null"):
            status, headers, body = self.get(url, headers={"Origin": origin})
            self.assertEqual(status, 403, origin)
            self.assertNotIn("access-control-allow-origin", headers)
            self.assertNotIn(self.config, body)
        status, headers, _ = self.get(url, method="OPTIONS", headers={
            "Origin": EXTENSION_ORIGIN, "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "range"})
        self.assertEqual(status, 204)
        self.assertEqual(headers["access-control-allow-origin"], EXTENSION_ORIGIN)
        self.assertIn("GET", headers["access-control-allow-methods"])
        self.assertIn("Range", headers["access-control-allow-headers"])
        status, headers, _ = self.get(url, method="OPTIONS", headers={"Origin": "https://evil.com"})
        self.assertEqual(status, 403)
        self.assertNotIn("access-control-allow-origin", headers)
        # Errors carry CORS headers too, or the page could not tell a 404 from a network failure.
        status, headers, _ = self.get(self.url(self.repo, "missing.json"), headers={"Origin": EXTENSION_ORIGIN})
        self.assertEqual(status, 404)
        self.assertEqual(headers["access-control-allow-origin"], EXTENSION_ORIGIN)

    def test_traversal_never_leaves_the_cache(self):
        outside = self.root / "secret.txt"
        outside.write_bytes(b"TOP-SECRET")
        t = self.token
        cases = {
            "/%s/o/n/resolve/main/../../../../../../../etc/passwd" % t: 400,
            "/%s/o/n/resolve/main/%%2e%%2e/%%2e%%2e/%%2e%%2e/etc/passwd" % t: 400,
            "/%s/o/n/resolve/main/a%%2F..%%2F..%%2F..%%2Fetc%%2Fpasswd" % t: 400,
            "/%s/o/n/resolve/main//etc/passwd" % t: 400,
            "/%s/o/n/resolve/main/%%2Fetc%%2Fpasswd" % t: 400,
            "/%s/o/n/resolve/main/..%%5c..%%5csecret.txt" % t: 400,
            "/%s/../../resolve/main/etc/passwd" % t: 400,
            "/%s/%s/resolve/..%%2F..%%2F..%%2F/secret.txt" % (t, self.repo): 400,
            "/%s/%s/resolve/main/onnx/%%00model.onnx" % (t, self.repo): 400,
            "/%s/%s/resolve/main/onnx/model.onnx%%zz" % (t, self.repo): 400,
            "/%s/../../../etc/passwd" % t: 404,
            "/../%s/o/n/resolve/main/etc/passwd" % t: 404,
            "//etc/passwd": 404,
        }
        for target, expected in cases.items():
            status, _, body = self.get(target)
            self.assertEqual(status, expected, target)
            self.assertNotIn(b"root:", body)
            self.assertNotIn(b"TOP-SECRET", body)

    def test_symlinks_out_of_the_cache_are_not_served(self):
        repo_dir = self.cache / ("models--" + self.repo.replace("/", "--"))
        snap = repo_dir / "snapshots" / COMMIT
        (snap / "abs.txt").symlink_to("/etc/passwd")
        (snap / "rel.txt").symlink_to("../../../../../../../../../../etc/passwd")
        (repo_dir / "blobs" / ("b" * 64)).symlink_to("/etc/passwd")
        (snap / "via_blob.txt").symlink_to("../../blobs/" + "b" * 64)
        (snap / "dir").symlink_to("/etc")
        for path in ("abs.txt", "rel.txt", "via_blob.txt", "dir/passwd"):
            status, _, body = self.get(self.url(self.repo, path))
            self.assertEqual(status, 404, path)
            self.assertNotIn(b"root:", body)

    def test_offline_missing_file_is_404(self):
        status, headers, body = self.get(self.url(self.repo, "tokenizer_config.json"))
        self.assertEqual(status, 404)
        self.assertEqual(json.loads(body)["error"]["code"], "NOT_FOUND")
        status, _, _ = self.get(self.url("someone/else", "config.json"))
        self.assertEqual(status, 404)

    def test_server_stops_with_the_host_even_with_idle_connections(self):
        idle = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        idle.request("GET", self.url(self.repo, "config.json"))
        self.assertEqual(idle.getresponse().read(), self.config)  # keep-alive connection stays open
        # The events: exit 0 on EOF although a keep-alive connection is open (close() waits 30 s,
        # only to catch a hang), then the port refuses. How fast: bench/latency_bench.py
        # ("eof-exit, file server open").
        self.assertEqual(self.host.close(), 0)
        with self.assertRaises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", self.port), timeout=30).close()
        idle.close()


class LargeFile(FileServerBase):
    env_extra = {"HF_HUB_OFFLINE": "1"}

    def test_100_mib_streams_without_growing_the_host(self):
        repo = "big/model"
        repo_dir = self.cache / "models--big--model"
        etag = "c" * 64
        (repo_dir / "blobs").mkdir(parents=True)
        size = 100 * 1024 * 1024
        with open(repo_dir / "blobs" / etag, "wb") as f:  # sparse: fast to make, read like any file
            f.truncate(size)
        (repo_dir / "refs").mkdir()
        (repo_dir / "refs" / "main").write_text(COMMIT)
        (repo_dir / "snapshots" / COMMIT).mkdir(parents=True)
        (repo_dir / "snapshots" / COMMIT / "model.bin").symlink_to("../../blobs/" + etag)
        host, info = self.start_host()
        self.port, self.token = info["port"], info["token"]
        self.get(self.url(repo, "model.bin"), headers={"Range": "bytes=0-1048575"})  # warm up the pool
        base = rss_kib(host.proc.pid)
        peak = [base]
        done = threading.Event()

        def sample():
            while not done.is_set():
                peak[0] = max(peak[0], rss_kib(host.proc.pid))
                done.wait(0.005)

        sampler = threading.Thread(target=sample)
        sampler.start()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        conn.request("GET", self.url(repo, "model.bin"))
        resp = conn.getresponse()
        got = 0
        while True:
            chunk = resp.read(256 * 1024)
            if not chunk:
                break
            got += len(chunk)
            time.sleep(0.0005)  # a slow reader: the host must not buffer ahead
        done.set()
        sampler.join()
        conn.close()
        self.assertEqual((resp.status, got), (200, size))
        growth_mib = (peak[0] - base) / 1024
        self.assertLess(growth_mib, 32, "RSS grew by %.1f MiB" % growth_mib)


@unittest.skipUnless(os.path.exists(FAKEHUB) and os.path.exists(FAKEHUB_GEN), "fake hub not built")
class FetchThroughEngine(FileServerBase):
    """A missing file is downloaded through the host's download engine, then served; later reads come
    from the cache."""

    def setUp(self):
        super().setUp()
        from fakehub import FakeHub, generate
        self.hub_root = self.root / "hub"
        self.hub_root.mkdir()
        self.repo = "org/Mirror"
        generate(FAKEHUB_GEN, self.hub_root, self.repo, files={"onnx/model.onnx": "3M"},
                 texts={"config.json": '{"model_type":"bert"}'})
        self.hub = FakeHub(FAKEHUB, self.hub_root).start()
        self.addCleanup(self.hub.stop)
        self.env = clean_env(self.home, self.cache, HF_ENDPOINT=self.hub.url)
        self.host, info = self.start_host()
        self.port, self.token = info["port"], info["token"]

    def file_transfers(self, path, etag):
        """Hub requests that carried the file's bytes (resolve, or the CDN it redirects to)."""
        return [e for e in self.hub.requests() if e["method"] == "GET" and
                (e["path"].endswith("/resolve/main/" + path) or e["path"] == "/cdn/" + etag)]

    def test_missing_file_is_fetched_once_then_served_from_cache(self):
        self.hub.reset()
        url = self.url(self.repo, "onnx/model.onnx")
        status, headers, body = self.get(url, headers={"Origin": EXTENSION_ORIGIN})
        self.assertEqual(status, 200, body[:200])
        self.assertEqual(len(body), 3 * 1024 * 1024)
        self.assertEqual(headers["etag"], '"%s"' % hashlib.sha256(body).hexdigest())
        self.assertEqual(headers["access-control-allow-origin"], EXTENSION_ORIGIN)
        log = self.hub.requests()
        sent = sum(e["bytes_sent"] for e in self.file_transfers("onnx/model.onnx", hashlib.sha256(body).hexdigest()))
        self.assertGreaterEqual(sent, len(body))  # really came from the hub
        self.assertLessEqual(sent, int(len(body) * 1.15))  # once
        # Now present: served from the cache, the hub sees nothing more.
        status, _, again = self.get(url, headers={"Range": "bytes=0-99"})
        self.assertEqual((status, again), (206, body[:100]))
        status, _, again = self.get(url)
        self.assertEqual(again, body)
        self.assertEqual(len(self.hub.requests()), len(log))
        has = self.host.call("has_file", repo=self.repo, file="onnx/model.onnx")["payload"]
        self.assertTrue(has["exists"])

    def test_small_git_file_and_optional_missing_file(self):
        status, headers, body = self.get(self.url(self.repo, "config.json"))
        self.assertEqual((status, body), (200, b'{"model_type":"bert"}'))
        self.assertEqual(headers["content-type"], "application/json")
        # transformers.js probes optional files and expects a 404 for those the repo lacks.
        status, _, body = self.get(self.url(self.repo, "tokenizer_config.json"))
        self.assertEqual(status, 404)
        self.assertEqual(json.loads(body)["error"]["code"], "NOT_FOUND")
        status, _, _ = self.get(self.url("org/DoesNotExist", "config.json"))
        self.assertIn(status, (401, 404))

    def test_concurrent_requests_for_one_missing_file_share_the_download(self):
        self.hub.reset()
        url = self.url(self.repo, "onnx/model.onnx")
        results = []

        def fetch():
            results.append(self.get(url))

        threads = [threading.Thread(target=fetch) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual([r[0] for r in results], [200, 200, 200])
        self.assertEqual(len({r[2] for r in results}), 1)
        etag = hashlib.sha256(results[0][2]).hexdigest()
        sent = sum(e["bytes_sent"] for e in self.file_transfers("onnx/model.onnx", etag))
        self.assertLessEqual(sent, int(3 * 1024 * 1024 * 1.15))


if __name__ == "__main__":
    unittest.main()
