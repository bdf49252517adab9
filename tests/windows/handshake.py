#!/usr/bin/env python3
"""The Windows executables under Wine, as Chrome and a user start them (issue 14 item 2):

  tabagent-host.exe --version
  tabagent-host.exe <origin>   a handshake framed over stdin/stdout pipes, then frames whose bytes a
                               C runtime in text mode would corrupt: a request body with "\\r\\n"
                               whose length is 0x0A0D (header bytes 0D 0A 00 00), and a reply whose
                               length has a 0x0A byte (text mode would write 0D 0A for it)
  tabagent-cache.exe --help, stats --json, and --cache-dir naming a non-ASCII folder (argv is
                               read as UTF-16, not in the ANSI code page; the root is reported back
                               with '\\' only)

Usage: tests/windows/handshake.py BUILD_DIR     (e.g. build/windows; exit 0 = every check passed)
Wine runs with WINEPREFIX=${TABAGENT_WINEPREFIX:-~/.cache/tabagent/wine} as tests/windows/smoke.sh.
Every timeout is a hang guard for Wine's start (seconds on a cold prefix), not a speed bound."""
import json
import os
import pathlib
import select
import struct
import subprocess
import sys
import tempfile
import time

ORIGIN = "chrome-extension://fkkeoobeahalebjpbockfedlncckobjb/"
TIMEOUT = 120.0


def wine_env(home, cache):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "TABAGENT_"))}
    prefix = os.environ.get("TABAGENT_WINEPREFIX") or str(pathlib.Path(
        os.environ.get("XDG_CACHE_HOME", pathlib.Path.home() / ".cache")) / "tabagent" / "wine")
    env.update(WINEPREFIX=prefix, WINEDEBUG="-all", WINEDLLOVERRIDES="mscoree,mshtml=",
               # Wine maps the Linux root to drive Z:.
               TABAGENT_HOME="Z:" + str(home).replace("/", "\\"),
               TABAGENT_CACHE="Z:" + str(cache).replace("/", "\\"),
               HF_ENDPOINT="http://127.0.0.1:9", HF_HUB_OFFLINE="1", TABAGENT_AUTO_RESUME="0")
    return env


class Frames:
    """Reads length-prefixed frames from the host's stdout (raw bytes, to check lengths too)."""

    def __init__(self, proc):
        self.proc = proc
        self.buf = b""

    def send_body(self, body: bytes):
        self.proc.stdin.write(struct.pack("<I", len(body)) + body)
        self.proc.stdin.flush()

    def read(self):
        deadline = time.monotonic() + TIMEOUT
        fd = self.proc.stdout.fileno()
        while True:
            if len(self.buf) >= 4:
                (n,) = struct.unpack_from("<I", self.buf)
                if len(self.buf) >= 4 + n:
                    body, self.buf = self.buf[4:4 + n], self.buf[4 + n:]
                    return n, body
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no frame from the host")
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    raise EOFError(f"host closed stdout; buffered {self.buf[:64]!r}")
                self.buf += chunk


FAILURES = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        FAILURES.append(what)


def run(args, env):
    return subprocess.run(["wine", *args], env=env, capture_output=True, timeout=TIMEOUT)


def check_host(host, env):
    version = run([host, "--version"], env)
    check(version.returncode == 0 and version.stdout.startswith(b"tabagent-host "),
          f"tabagent-host.exe --version: {version.stdout.strip()!r}")

    proc = subprocess.Popen(["wine", host, ORIGIN], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env)
    frames = Frames(proc)
    try:
        frames.send_body(json.dumps({"action": "handshake", "messageId": "1"}).encode())
        _, body = frames.read()
        reply = json.loads(body)
        check(reply.get("messageId") == "1" and reply.get("status") == "success" and "version" in reply,
              f"handshake: version {reply.get('version')}, pid {reply.get('pid')}")

        frames.send_body(json.dumps({"action": "get_system_info", "messageId": "2"}).encode())
        _, body = frames.read()
        info = json.loads(body)
        check(info.get("messageId") == "2" and str(info.get("os", "")).startswith("Windows ") and info.get("ram", 0) > 0,
              f"get_system_info: {info.get('os')}, {info.get('arch')}, {info.get('cpu')!r}, ram {info.get('ram')}")

        # A body with CR LF (JSON whitespace) whose length is 0x0A0D: header 0D 0A 00 00.
        head = b'{"action":"ping",\r\n"messageId":"crlf"'
        padded = head + b" " * (0x0A0D - len(head) - 1) + b"}"
        frames.send_body(padded)
        _, body = frames.read()
        reply = json.loads(body)
        check(reply.get("messageId") == "crlf" and reply.get("status") == "success",
              "a request of 0x0A0D bytes with CR LF inside arrives whole")

        # A reply whose length has a 0x0A byte: measure one ping reply, then size the messageId.
        frames.send_body(json.dumps({"action": "ping", "messageId": "x"}).encode())
        base, _ = frames.read()
        extra = (0x0A - (base & 0xFF)) % 256 or 256
        mid = "y" * (1 + extra)
        frames.send_body(json.dumps({"action": "ping", "messageId": mid}).encode())
        length, body = frames.read()
        reply = json.loads(body)
        check(length & 0xFF == 0x0A and reply.get("messageId") == mid,
              f"a reply of {length:#x} bytes (a 0x0A length byte) arrives whole")
    finally:
        proc.stdin.close()
        code = proc.wait(timeout=TIMEOUT)
        proc.stdout.close()
        proc.stderr.close()
    check(code == 0, f"the host exits 0 when stdin closes (got {code})")


def check_cache(cache_exe, env):
    helped = run([cache_exe, "--help"], env)
    check(helped.returncode == 0 and b"stats" in helped.stdout, "tabagent-cache.exe --help lists the commands")
    stats = run([cache_exe, "stats", "--json"], env)
    try:
        doc = json.loads(stats.stdout)
    except ValueError:
        doc = None
    check(stats.returncode == 0 and isinstance(doc, dict),
          f"tabagent-cache.exe stats --json: {stats.stdout.strip()[:200]!r} {stats.stderr.strip()[:200]!r}")


def check_non_ascii_cache_dir(cache_exe, env, tmp):
    # CJK letters have no ANSI (code page 1252) form: mingw's narrow argv would turn them into '?'.
    cache = pathlib.Path(tmp) / "cach\u00e9-\u6a21\u578b"
    snapshot = cache / "models--org--model" / "snapshots" / ("a" * 40)
    snapshot.mkdir(parents=True)
    (snapshot / "config.json").write_text("{}")
    windows_cache = "Z:" + str(cache).replace("/", "\\")
    stats = run([cache_exe, "--cache-dir", windows_cache, "stats", "--json"], dict(env, LC_ALL="C.UTF-8"))
    try:
        doc = json.loads(stats.stdout.decode("utf-8"))
    except ValueError:
        doc = {}
    check(stats.returncode == 0 and doc.get("cacheRoot") == windows_cache and doc.get("totalRepos") == 1,
          f"tabagent-cache.exe --cache-dir <non-ASCII> stats --json: cacheRoot {doc.get('cacheRoot')!r}, "
          f"totalRepos {doc.get('totalRepos')} {stats.stderr.strip()[:200]!r}")


def main():
    build = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "build/windows").resolve()
    with tempfile.TemporaryDirectory(prefix="tabagent-wine-") as tmp:
        home, cache = pathlib.Path(tmp) / "home", pathlib.Path(tmp) / "cache"
        cache.mkdir()
        env = wine_env(home, cache)
        check_host(str(build / "src/host/tabagent-host.exe"), env)
        check_cache(str(build / "src/cli/tabagent-cache.exe"), env)
        check_non_ascii_cache_dir(str(build / "src/cli/tabagent-cache.exe"), env, tmp)
    print("handshake: all checks passed" if not FAILURES else f"handshake: {len(FAILURES)} failed")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
