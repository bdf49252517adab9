#!/usr/bin/env python3
"""Diagnose one native-messaging host manifest the way the browser would, then talk to the host.

The browser reports every manifest mistake as "Specified native messaging host not found.", so this
checker names the mistake itself. Stdlib only: it runs wherever install.sh runs.

Usage: nmcheck.py [--kind chrome|firefox] [--no-handshake] [--timeout S] MANIFEST
Prints one line per finding; exits 0 when the manifest is valid and the host answered a handshake,
1 when a problem was found, 2 on bad usage.
"""
import argparse
import json
import os
import re
import select
import struct
import subprocess
import sys
import time

HOST_NAME = "com.tabagent.host"
CHROME_ORIGIN = re.compile(r"^chrome-extension://[a-p]{32}/$")
NAME_RE = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)*$")


def check_manifest(path, kind):
    """Returns (problems, manifest or None)."""
    problems = []
    try:
        with open(path, "rb") as f:
            data = json.loads(f.read().decode("utf-8"))
    except FileNotFoundError:
        return ["manifest missing: %s" % path], None
    except (ValueError, UnicodeDecodeError) as e:
        return ["manifest is not valid JSON: %s" % e], None
    if not isinstance(data, dict):
        return ["manifest is not a JSON object"], None
    name = data.get("name")
    if name != HOST_NAME:
        problems.append("name is %r, expected %r" % (name, HOST_NAME))
    elif not NAME_RE.match(name):
        problems.append("name %r has characters the browser rejects" % name)
    stem = os.path.basename(path)
    if stem != HOST_NAME + ".json":
        problems.append("file is named %r, the browser looks for %r" % (stem, HOST_NAME + ".json"))
    if data.get("type") != "stdio":
        problems.append("type is %r, expected 'stdio'" % data.get("type"))
    host = data.get("path")
    if not isinstance(host, str) or not host:
        problems.append("path is missing")
    elif not os.path.isabs(host):
        problems.append("path %r is relative; Chrome needs an absolute path on Linux and macOS" % host)
    elif not os.path.isfile(host):
        problems.append("path %r does not exist" % host)
    elif not os.access(host, os.X_OK):
        problems.append("path %r is not executable" % host)
    if kind == "chrome":
        origins = data.get("allowed_origins")
        if not isinstance(origins, list) or not origins:
            problems.append("allowed_origins is missing or empty")
        else:
            for o in origins:
                if not isinstance(o, str):
                    problems.append("allowed_origins holds a non-string: %r" % (o,))
                elif "*" in o:
                    problems.append("origin %r has a wildcard, which Chrome rejects" % o)
                elif o.startswith("chrome-extension://") and not o.endswith("/"):
                    problems.append("origin %r lacks the trailing '/'" % o)
                elif not CHROME_ORIGIN.match(o):
                    problems.append("origin %r is not chrome-extension://<32 letters a-p>/" % o)
        if "allowed_extensions" in data:
            problems.append("allowed_extensions is a Firefox key; Chrome-family manifests use allowed_origins")
    else:
        exts = data.get("allowed_extensions")
        if not isinstance(exts, list) or not exts or not all(isinstance(e, str) and e for e in exts):
            problems.append("allowed_extensions is missing, empty or not a list of add-on ids")
    return problems, data


def read_exact(fd, n, deadline):
    buf = b""
    while len(buf) < n:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("no reply within the timeout")
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            continue
        chunk = os.read(fd, n - len(buf))
        if not chunk:
            raise EOFError("host closed stdout after %d of %d bytes" % (len(buf), n))
        buf += chunk
    return buf


def handshake(manifest_path, data, kind, timeout):
    """Starts the host as the browser would and sends a framed handshake. Returns (ok, text)."""
    host = data["path"]
    if kind == "chrome":
        origin = data["allowed_origins"][0]
        argv = [host, origin]
    else:
        argv = [host, manifest_path, data["allowed_extensions"][0]]
    try:
        proc = subprocess.Popen(argv, cwd=os.path.dirname(host), stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    except OSError as e:
        return False, "cannot start host: %s" % e
    try:
        body = json.dumps({"action": "handshake", "messageId": "nmcheck_1"}).encode()
        proc.stdin.write(struct.pack("=I", len(body)) + body)
        proc.stdin.flush()
        deadline = time.monotonic() + timeout
        fd = proc.stdout.fileno()
        # Events may precede the reply (resumed jobs); skip frames until ours arrives.
        while True:
            (length,) = struct.unpack("=I", read_exact(fd, 4, deadline))
            if length > 1024 * 1024:
                return False, "host sent a frame of %d bytes (over Chrome's 1 MiB limit)" % length
            reply = json.loads(read_exact(fd, length, deadline).decode("utf-8"))
            if isinstance(reply, dict) and reply.get("messageId") == "nmcheck_1":
                break
        if reply.get("status") != "success":
            return False, "handshake refused: %s" % (reply.get("message") or json.dumps(reply)[:200])
        payload = reply.get("payload") or {}
        version = payload.get("version") or reply.get("version") or "?"
        # The browser kills a host that lingers ~2 s after EOF; a healthy one exits promptly.
        proc.stdin.close()
        try:
            proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            return False, "handshake ok (version %s) but the host did not exit within 2 s of EOF" % version
        return True, "answers handshake (version %s, protocol %s)" % (
            version, payload.get("protocolVersion", payload.get("protocol_version", "?")))
    except (TimeoutError, EOFError, ValueError, OSError, struct.error) as e:
        return False, "no valid handshake reply: %s" % e
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("manifest")
    ap.add_argument("--kind", choices=["chrome", "firefox"], default="chrome")
    ap.add_argument("--no-handshake", action="store_true")
    ap.add_argument("--timeout", type=float, default=10.0)
    args = ap.parse_args()
    problems, data = check_manifest(args.manifest, args.kind)
    for p in problems:
        print("problem: " + p)
    if problems:
        return 1
    print("manifest ok: %s -> %s" % (args.manifest, data["path"]))
    if args.no_handshake:
        return 0
    ok, text = handshake(args.manifest, data, args.kind, args.timeout)
    print(("host ok: " if ok else "problem: ") + text)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
