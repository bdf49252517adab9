#!/usr/bin/env python3
"""Bytes per second of a cached file read through the loopback file server, next to get_file chunks
over native messaging, in the same run (DESIGN §3 "Why a loopback server").

Readers: curl (when installed) and python http.client through the server; a python native-messaging
client sending get_file frames (700 KiB each, base64 in JSON) one at a time and with 4 in flight.
Each is run --runs times; the table shows the median, min and max in MB/s (10^6 bytes/s).
The in-browser figure (fetch() in an extension page) is measured by the e2e suite.
Usage: bench/file_server_bench.py [--host build/ci/src/host/tabagent-host] [--size-mib 256] [--runs 3]
"""
import argparse
import base64
import hashlib
import http.client
import json
import os
import pathlib
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
ORIGIN = "chrome-extension://fkkeoobeahalebjpbockfedlncckobjb/"
REPO = "bench/big"
PATH = "onnx/model.onnx"
COMMIT = "b" * 40
CHUNK = 700 * 1024


def make_cache(cache, size):
    repo_dir = cache / "models--bench--big"
    (repo_dir / "blobs").mkdir(parents=True)
    (repo_dir / "refs").mkdir()
    (repo_dir / "refs" / "main").write_text(COMMIT)
    h = hashlib.sha256()
    tmp = repo_dir / "blobs" / "tmp"
    with open(tmp, "wb") as f:
        left = size
        block = os.urandom(4 << 20)
        while left:
            piece = block[:min(left, len(block))]
            f.write(piece)
            h.update(piece)
            left -= len(piece)
    etag = h.hexdigest()
    tmp.rename(repo_dir / "blobs" / etag)
    link = repo_dir / "snapshots" / COMMIT / PATH
    link.parent.mkdir(parents=True)
    link.symlink_to(os.path.relpath(repo_dir / "blobs" / etag, link.parent))


class Host:
    def __init__(self, binary, env):
        self.p = subprocess.Popen([binary, ORIGIN], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
        self.n = 0

    def send(self, action, **fields):
        self.n += 1
        body = json.dumps({"action": action, "messageId": "b%d" % self.n, **fields}).encode()
        self.p.stdin.write(struct.pack("=I", len(body)) + body)
        self.p.stdin.flush()

    def read(self):
        while True:
            (n,) = struct.unpack("=I", self.p.stdout.read(4))
            frame = json.loads(self.p.stdout.read(n))
            if "type" not in frame:  # replies only; events are not expected here
                return frame

    def call(self, action, **fields):
        self.send(action, **fields)
        return self.read()

    def close(self):
        self.p.stdin.close()
        self.p.wait(10)


def via_curl(url, size):
    start = time.perf_counter()
    out = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{size_download}", url],
                         check=True, capture_output=True, text=True).stdout
    elapsed = time.perf_counter() - start
    assert int(float(out)) == size, out
    return size / elapsed


def via_python(port, target, size):
    buf = bytearray(1 << 20)
    view = memoryview(buf)
    start = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port)
    conn.request("GET", target)
    resp = conn.getresponse()
    got = 0
    while True:
        n = resp.readinto(view)
        if not n:
            break
        got += n
    elapsed = time.perf_counter() - start
    conn.close()
    assert resp.status == 200 and got == size, (resp.status, got)
    return size / elapsed


def via_get_file(host, size, window):
    start = time.perf_counter()
    offset, got, in_flight = 0, 0, 0
    while got < size:
        while in_flight < window and offset < size:
            host.send("get_file", repo=REPO, file=PATH, offset=offset, length=CHUNK)
            offset += CHUNK
            in_flight += 1
        reply = host.read()
        in_flight -= 1
        assert reply["status"] == "success", reply
        got += len(base64.b64decode(reply["payload"]["data"]))
    elapsed = time.perf_counter() - start
    assert got == size
    return size / elapsed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default=str(ROOT / "build/ci/src/host/tabagent-host"))
    ap.add_argument("--size-mib", type=int, default=256)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    size = args.size_mib * 1024 * 1024

    with tempfile.TemporaryDirectory(prefix="tabagent-fsbench-") as tmp:
        tmp = pathlib.Path(tmp)
        (tmp / "home").mkdir()
        make_cache(tmp / "cache", size)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "TABAGENT_"))}
        env.update(TABAGENT_HOME=str(tmp / "home"), TABAGENT_CACHE=str(tmp / "cache"), HF_HUB_OFFLINE="1")
        host = Host(args.host, env)
        info = host.call("open_file_server")["payload"]
        target = "/%s/%s/resolve/main/%s" % (info["token"], REPO, PATH)
        url = "http://127.0.0.1:%d%s" % (info["port"], target)

        readers = []
        if shutil.which("curl"):
            readers.append(("loopback server, curl", lambda: via_curl(url, size)))
        readers.append(("loopback server, python http.client", lambda: via_python(info["port"], target, size)))
        readers.append(("get_file frames, 1 in flight", lambda: via_get_file(host, size, 1)))
        readers.append(("get_file frames, 4 in flight", lambda: via_get_file(host, size, 4)))

        print("file: %d MiB from the page cache; %d runs each; MB/s = 10^6 bytes/s" % (args.size_mib, args.runs))
        print("| reader | median MB/s | min | max |")
        print("|---|---:|---:|---:|")
        for name, fn in readers:
            rates = [fn() / 1e6 for _ in range(args.runs)]
            print("| %s | %.0f | %.0f | %.0f |" % (name, statistics.median(rates), min(rates), max(rates)))
            sys.stdout.flush()
        host.close()


if __name__ == "__main__":
    main()
