"""nginx as the CDN behind the fake hub's redirects, for the benchmarks (issue 15).

The fake hub answers the listing and `/resolve`, and redirects every LFS file to
`{cdn-base}/cdn/{sha256}?repo=…&file=…&rev=…`. With `--cdn-base http://127.0.0.1:<port>` that
request reaches nginx, which serves `/cdn/<sha256>` from a directory of hard links to the files
`fakehub-gen` wrote (named by the sha256 it caches in each repo's `.fakehub.json`); nginx's static
module maps `$uri` to a file, so the query string is ignored.

Debian's nginx (`apt-get install nginx-light`) runs as the current user, in the foreground
(`daemon off`), with `-p <dir> -c <dir>/nginx.conf -e <dir>/error.log`: pid file, logs and temp
paths all inside a temp dir, never the system service or a root-owned path. One `server` per
port: each has its own `limit_rate` (per request, which is per connection for a client that asks
one range at a time; 0 = none), `sendfile`, keep-alive. Bytes on the wire come from the access
log (`$body_bytes_sent` per request, by port).

    with NginxCdn(nginx_binary, www_dir, workdir, rates={"capped": 20 << 20, "free": 0}) as cdn:
        cdn.base("capped")            # http://127.0.0.1:PORT, the fake hub's --cdn-base
        cdn.bytes_sent("capped")      # body bytes sent so far on that port
"""
import json
import os
import pathlib
import pwd
import grp
import shutil
import signal
import socket
import subprocess
import time


class NginxError(RuntimeError):
    pass


def find_nginx(explicit=None):
    """The nginx binary: `explicit`, $NGINX, PATH, /usr/sbin/nginx; None when absent."""
    for candidate in (explicit, os.environ.get("NGINX"), shutil.which("nginx"), "/usr/sbin/nginx"):
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def link_blobs(hub_root, cdn_dir):
    """Makes `cdn_dir/<sha256>` a hard link (a symlink across file systems) to every LFS file of
    every repo under `hub_root`, named as the fake hub's redirect names it: the sha256 fakehub-gen
    caches in `.fakehub.json` ("files": {path: {"sha256": …}}; non-LFS files have only a git sha1
    and are served by the fake hub itself). Returns the number of links made."""
    cdn_dir = pathlib.Path(cdn_dir)
    cdn_dir.mkdir(parents=True, exist_ok=True)
    made = 0
    for meta in sorted(pathlib.Path(hub_root).glob("*/*/.fakehub.json")):
        for rel, entry in json.loads(meta.read_text()).get("files", {}).items():
            sha = entry.get("sha256")
            if not sha:
                continue
            dst = cdn_dir / sha
            if dst.exists():
                continue
            src = meta.parent / rel
            try:
                os.link(src, dst)
            except OSError:
                os.symlink(src, dst)
            made += 1
    return made


class NginxCdn:
    def __init__(self, binary, www, workdir, rates, worker_processes=2):
        """rates: {name: bytes per second per request, 0 = uncapped}, one listening port each."""
        self.binary = binary
        self.www = pathlib.Path(www)
        self.dir = pathlib.Path(workdir)
        self.rates = dict(rates)
        self.workers = worker_processes
        self.ports = {}
        self.proc = None
        self.access_log = self.dir / "access.log"
        self.error_log = self.dir / "error.log"
        self.conf = self.dir / "nginx.conf"

    # -- config -------------------------------------------------------------------------------
    def _compiled_modules(self):
        """The temp-path directives this build knows (a module built out has no directive)."""
        out = subprocess.run([self.binary, "-V"], capture_output=True, text=True).stderr
        return [m for m in ("fastcgi", "uwsgi", "scgi") if "--without-http_%s_module" % m not in out]

    def config(self):
        d = self.dir
        tmp = d / "tmp"
        tmp.mkdir(parents=True, exist_ok=True)
        # Debian's build has absolute temp paths under /var/lib/nginx (root's): name ours, so a
        # user without root can start it and nothing is written outside `d`.
        temp_paths = ["client_body_temp_path %s;" % (tmp / "body"), "proxy_temp_path %s;" % (tmp / "proxy")]
        temp_paths += ["%s_temp_path %s;" % (m, tmp / m) for m in self._compiled_modules()]
        user = ""
        if os.geteuid() == 0:
            # As root, nginx would run its workers as nobody, who cannot read our 0700 temp dirs.
            user = "user %s %s;" % (pwd.getpwuid(os.geteuid()).pw_name, grp.getgrgid(os.getegid()).gr_name)
        servers = []
        for name, port in self.ports.items():
            rate = int(self.rates[name])
            servers.append("""
    server {
        listen 127.0.0.1:%d;
        server_name %s;
        root %s;
        location /cdn/ {
            limit_rate %d;
        }
        location / {
            return 404;
        }
    }""" % (port, name, self.www, rate))
        return """# generated by bench/nginx_cdn.py
%s
daemon off;
master_process on;
worker_processes %d;
pid %s;
error_log %s warn;
events {
    worker_connections 4096;
}
http {
    default_type application/octet-stream;
    log_format bench '$server_port $status $body_bytes_sent $request_time $connection $connection_requests';
    access_log %s bench;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_timeout 65s;
    keepalive_requests 100000;
    server_tokens off;
    %s
%s
}
""" % (user, self.workers, d / "nginx.pid", self.error_log, self.access_log, "\n    ".join(temp_paths),
       "\n".join(servers))

    # -- lifecycle ----------------------------------------------------------------------------
    def _argv(self, *extra):
        return [self.binary, "-p", str(self.dir), "-c", str(self.conf), "-e", str(self.error_log)] + list(extra)

    def start(self, timeout=15.0):
        self.dir.mkdir(parents=True, exist_ok=True)
        self.ports = {name: free_port() for name in self.rates}
        self.conf.write_text(self.config())
        check = subprocess.run(self._argv("-t", "-q"), capture_output=True, text=True)
        if check.returncode != 0:
            raise NginxError("nginx -t failed: %s%s" % (check.stderr, self._error_tail()))
        with open(self.dir / "stderr.log", "wb") as err:
            self.proc = subprocess.Popen(self._argv(), stdout=subprocess.DEVNULL, stderr=err)
        deadline = time.monotonic() + timeout
        pending = set(self.ports.values())
        while pending:
            if self.proc.poll() is not None:
                stderr = (self.dir / "stderr.log").read_text(errors="replace")
                raise NginxError("nginx exited with %d: %s%s" % (self.proc.returncode, stderr, self._error_tail()))
            if time.monotonic() > deadline:
                self.stop()
                raise NginxError("nginx did not listen within %.0fs%s" % (timeout, self._error_tail()))
            for port in list(pending):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    pending.discard(port)
                except OSError:
                    pass
            if pending:
                time.sleep(0.02)
        return self

    def _error_tail(self):
        try:
            return "\n" + self.error_log.read_text()[-2000:]
        except OSError:
            return ""

    def stop(self, timeout=10.0):
        if not self.proc or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)  # fast shutdown: the master stops its workers
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        (self.dir / "nginx.pid").unlink(missing_ok=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -- measurements -------------------------------------------------------------------------
    def base(self, name):
        return "http://127.0.0.1:%d" % self.ports[name]

    def bytes_sent(self, name):
        """Body bytes nginx logged on `name`'s port (a request is logged when it ends)."""
        port = str(self.ports[name])
        total = 0
        try:
            with open(self.access_log) as f:
                for line in f:
                    parts = line.split()
                    if len(parts) >= 3 and parts[0] == port:
                        total += int(parts[2])
        except FileNotFoundError:
            pass
        return total

    def log_offset(self):
        """Where the access log ends now: connections_since() counts from here."""
        return self.access_log.stat().st_size if self.access_log.exists() else 0

    def connections_since(self, name, offset):
        """(requests, distinct connections) nginx logged on `name`'s port after `offset` (bytes of
        the access log): how far a client reused its keep-alive connections."""
        port = str(self.ports[name])
        requests, conns = 0, set()
        try:
            with open(self.access_log) as f:
                f.seek(offset)
                for line in f:
                    parts = line.split()
                    if len(parts) >= 5 and parts[0] == port:
                        requests += 1
                        conns.add(parts[4])
        except FileNotFoundError:
            pass
        return requests, len(conns)

    def settle(self, guard=2.0):
        """Waits until the access log stops growing (the last request of a client that just
        exited may not be logged yet); the guard only bounds the wait."""
        deadline = time.monotonic() + guard
        size = -1
        while time.monotonic() < deadline:
            now = self.access_log.stat().st_size if self.access_log.exists() else 0
            if now == size:
                return
            size = now
            time.sleep(0.05)
