"""Stdlib-only helper for tests: start/stop the fake hub, drive its control API, generate repos.

    with FakeHub(fakehub_bin, root, tokens=["hf_good"]) as hub:
        generate(gen_bin, root, "onnx-community/Tiny", preset="onnx")
        hub.add_fault(path_contains="model.onnx", kind="drop", after_fraction=0.5)
        ... point the client at hub.url ...
        assert any(r["status"] == 206 for r in hub.requests())
"""
import http.client
import json
import os
import selectors
import subprocess
import threading
import time
import urllib.parse


class FakeHubError(RuntimeError):
    pass


class FakeHub:
    def __init__(self, binary, root, *, host="127.0.0.1", port=0, page_size=None, tokens=(),
                 rate_per_connection=None, cdn_base=None, log_requests=False, threads=None,
                 keep_alive=None, extra_args=(), env=None, startup_timeout=15.0, stderr=None):
        self.binary = str(binary)
        self.root = str(root)
        self.args = [self.binary, "--root", self.root, "--host", host, "--port", str(port)]
        if page_size is not None:
            self.args += ["--page-size", str(page_size)]
        for token in tokens:
            self.args += ["--token", token]
        if rate_per_connection is not None:
            self.args += ["--rate-per-connection", str(int(rate_per_connection))]
        if cdn_base is not None:
            self.args += ["--cdn-base", cdn_base]
        if log_requests:
            self.args.append("--log-requests")
        if threads is not None:
            self.args += ["--threads", str(threads)]
        if keep_alive is not None:
            self.args += ["--keep-alive", str(keep_alive)]
        self.args += list(extra_args)
        self.env = env
        self.startup_timeout = startup_timeout
        self.stderr = stderr
        self.proc = None
        self.url = None
        self.host = host
        self.port = None
        self._drain = None

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self):
        self.proc = subprocess.Popen(self.args, stdout=subprocess.PIPE, stderr=self.stderr, env=self.env)
        line = self._first_line()
        prefix = "fakehub listening on "
        if not line.startswith(prefix):
            self.stop()
            raise FakeHubError("fakehub did not start: %r" % line)
        self.url = line[len(prefix):].strip()
        self.port = int(self.url.rsplit(":", 1)[1])
        # Keep reading stdout so the server can never block on a full pipe.
        self._drain = threading.Thread(target=self.proc.stdout.read, daemon=True)
        self._drain.start()
        return self

    def _first_line(self):
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + self.startup_timeout
        buf = b""
        fd = self.proc.stdout.fileno()
        while b"\n" not in buf:
            left = deadline - time.monotonic()
            if left <= 0 or not sel.select(left):
                raise FakeHubError("fakehub printed no banner within %.0fs" % self.startup_timeout)
            chunk = os.read(fd, 1)  # byte by byte: nothing past the banner is taken from the pipe
            if not chunk:
                raise FakeHubError("fakehub exited with %s before listening" % self.proc.wait())
            buf += chunk
        sel.close()
        return buf.decode()

    def stop(self, timeout=10.0):
        """Shutdown endpoint first, then SIGTERM, then SIGKILL. Returns the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None and self.url:
            try:
                self._call("POST", "/__fakehub/shutdown", {}, timeout=2)
            except (OSError, http.client.HTTPException, FakeHubError):
                pass
        for action in (None, self.proc.terminate, self.proc.kill):
            if action:
                action()
            try:
                self.proc.wait(timeout)
                break
            except subprocess.TimeoutExpired:
                continue
        code = self.proc.returncode
        if self.proc.stdout:
            self.proc.stdout.close()
        self.proc = None
        return code

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -- plain HTTP -------------------------------------------------------------------------
    def request(self, method, path, headers=None, body=None, timeout=30):
        """One request without following redirects: (status, {lower-case header: value}, bytes)."""
        conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            if isinstance(body, (dict, list)):
                body = json.dumps(body).encode()
                headers = dict(headers or {}, **{"Content-Type": "application/json"})
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            data = resp.read()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
        finally:
            conn.close()

    def _call(self, method, path, body=None, timeout=30):
        status, _, data = self.request(method, path, body=body if body is not None else b"", timeout=timeout)
        if status >= 400:
            raise FakeHubError("%s %s -> %d %s" % (method, path, status, data[:200]))
        return json.loads(data) if data else None

    # -- control API ------------------------------------------------------------------------
    def add_fault(self, **rule):
        """kind=status|drop|stall|corrupt|ignore_range|rate|truncate|wrong_length|hold|change_content|
        redirect_loop|redirect_other_host|first_byte_delay|content_encoding, path_contains=...,
        times=1 (-1 forever), params..."""
        return self._call("POST", "/__fakehub/faults", rule)["id"]

    def hold(self, path_contains, after_bytes=0, **rule):
        """Holds the bodies of matching GETs once `after_bytes` (shared by all of them) are sent,
        until release_hold/remove_fault/clear_faults/reset. Returns the rule id."""
        return self.add_fault(kind="hold", path_contains=path_contains, after_bytes=after_bytes, **rule)

    def release_hold(self, rule_id, bytes=None):
        """Lets `bytes` more through a hold rule, or releases and removes it (bytes=None)."""
        return self._call("POST", "/__fakehub/faults/%d/release" % rule_id, {} if bytes is None else {"bytes": bytes})

    def remove_fault(self, rule_id):
        return self._call("DELETE", "/__fakehub/faults/%d" % rule_id)

    def fault(self, rule_id):
        """The rule as GET faults lists it (a hold adds "left" and "waiting"), or None."""
        return next((f for f in self.faults() if f["id"] == rule_id), None)

    def faults(self):
        return self._call("GET", "/__fakehub/faults")

    def clear_faults(self):
        return self._call("DELETE", "/__fakehub/faults")

    def requests(self, wait_ms=2000):
        return self._call("GET", "/__fakehub/requests?wait_ms=%d" % wait_ms)

    def stats(self):
        return self._call("GET", "/__fakehub/stats")

    def reset(self):
        return self._call("POST", "/__fakehub/reset", {})

    def mode(self, **settings):
        """Xet bridge behaviour: xet=bool, signed_url_ttl=seconds, ranged_only_above=bytes (only the
        ones given change; reset() restores the flags'). Returns the whole mode; mode() reads it."""
        if not settings:
            return self._call("GET", "/__fakehub/mode")
        return self._call("POST", "/__fakehub/mode", settings)

    def rate_limit(self, budget, window, endpoints=None):
        """Rate-limit mode: `budget` requests per fixed `window` seconds on api and resolve (or
        `endpoints`), RateLimit/RateLimit-Policy headers on each, 429 + Retry-After past it."""
        body = {"budget": budget, "window": window}
        if endpoints is not None:
            body["endpoints"] = list(endpoints)
        return self._call("POST", "/__fakehub/ratelimit", body)

    def rate_limit_status(self):
        """{"enabled","budget","window","endpoints","windows":[{"index","requests","refused"}],
        "max_requests","refused"}: every arrival counts, refused ones too."""
        return self._call("GET", "/__fakehub/ratelimit")

    def clear_rate_limit(self):
        return self._call("DELETE", "/__fakehub/ratelimit")

    def change_content(self, repo, path):
        return self._call("POST", "/__fakehub/change", {"repo": repo, "path": path})

    def resolve_url(self, repo, path, revision="main"):
        return "%s/%s/resolve/%s/%s" % (self.url, repo, revision, urllib.parse.quote(path))


def generate(gen_binary, root, repo, files=None, texts=None, preset=None, seed=None, scale=None,
             gated=False, private=False, pipeline_tag=None, library_name=None, lfs_threshold=None,
             clean=False, no_hash=False):
    """Runs fakehub-gen. files: {path: size} (int bytes or "16K"/"20M"/"2G"); texts: {path: str}.
    Returns the repo's commit sha."""
    args = [str(gen_binary), "--root", str(root), "--repo", repo]
    for path, size in (files or {}).items():
        args += ["--file", "%s:%s" % (path, size)]
    for path, content in (texts or {}).items():
        args += ["--text", "%s:%s" % (path, content)]
    if preset:
        args += ["--preset", preset]
    if seed is not None:
        args += ["--seed", str(seed)]
    if scale is not None:
        args += ["--scale", str(scale)]
    if gated:
        args.append("--gated")
    if private:
        args.append("--private")
    if pipeline_tag:
        args += ["--pipeline-tag", pipeline_tag]
    if library_name:
        args += ["--library-name", library_name]
    if lfs_threshold is not None:
        args += ["--lfs-threshold", str(lfs_threshold)]
    if clean:
        args.append("--clean")
    if no_hash:
        args.append("--no-hash")
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout.split()
    return out[1]
