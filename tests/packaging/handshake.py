#!/usr/bin/env python3
"""Start the host a manifest names, the way the browser does, and check its framed handshake reply.

Used by tests/packaging/deb.sh (installed .deb, possibly under a scratch root) and nsis.sh (the
setup.exe's install under Wine).

  handshake.py --kind chrome|firefox MANIFEST [--root DIR] [--wine] [--manifest-arg TEXT] [--label L]

The manifest must be the packaged one (name com.tabagent.host, type stdio, the default origins /
add-on id). MANIFEST and its "path" are taken as the browser would: absolute paths are looked up
under --root (a package installed into a scratch root), links included; on Windows "path" may be
relative to the manifest's folder. Arguments as the
browsers pass them: Chrome the origin (on Windows also --parent-window=<hwnd>), Firefox the manifest
path (--manifest-arg: as the browser spells it, e.g. a Windows path) and the add-on id.
Exit status 0 when the host replied success to our messageId.
"""
import argparse
import json
import os
import struct
import subprocess
import sys

ORIGIN = "chrome-extension://fkkeoobeahalebjpbockfedlncckobjb/"
ADDON = "tabagent@tabagent.com"


def in_root(root, path):
    """The file `path` names on a system whose / is `root`, following links inside it."""
    for _ in range(40):
        real = root + path
        if not os.path.islink(real):
            return real
        target = os.readlink(real)
        path = target if os.path.isabs(target) else os.path.join(os.path.dirname(path), target)
    raise OSError("too many links: " + path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("manifest")
    ap.add_argument("--kind", choices=["chrome", "firefox"], required=True)
    ap.add_argument("--root", default="")
    ap.add_argument("--wine", action="store_true")
    ap.add_argument("--manifest-arg")
    ap.add_argument("--label", default="")
    ap.add_argument("--timeout", type=float, default=120)
    a = ap.parse_args()

    manifest_file = in_root(a.root, a.manifest) if a.root else a.manifest
    with open(manifest_file, encoding="utf-8") as f:
        m = json.load(f)
    problems = []
    if m.get("name") != "com.tabagent.host" or m.get("type") != "stdio":
        problems.append("name/type: %r/%r" % (m.get("name"), m.get("type")))
    if a.kind == "chrome" and m.get("allowed_origins") != [ORIGIN]:
        problems.append("allowed_origins %r" % m.get("allowed_origins"))
    if a.kind == "firefox" and m.get("allowed_extensions") != [ADDON]:
        problems.append("allowed_extensions %r" % m.get("allowed_extensions"))
    path = m.get("path", "")
    if os.path.isabs(path):
        exe = in_root(a.root, path)
    elif a.wine:
        exe = os.path.join(os.path.dirname(os.path.realpath(a.manifest)), path)
    else:
        problems.append("path %r is relative (Linux needs an absolute one)" % path)
        exe = ""
    if exe and not (os.path.isfile(exe) and os.access(exe, os.X_OK)):
        problems.append("path %r: %s is not an executable file" % (path, exe))
    if problems:
        print("FAIL %s: %s" % (a.label or a.manifest, "; ".join(problems)))
        return 1

    if a.kind == "chrome":
        args = [ORIGIN] + (["--parent-window=0"] if a.wine else [])
    else:
        args = [a.manifest_arg or a.manifest, ADDON]
    cmd = (["wine"] if a.wine else []) + [exe] + args
    body = json.dumps({"action": "handshake", "messageId": "pkg_1"}).encode()
    p = subprocess.run(cmd, input=struct.pack("=I", len(body)) + body, cwd=os.path.dirname(exe),
                       capture_output=True, timeout=a.timeout)
    out, frames = p.stdout, []
    while len(out) >= 4:
        (n,) = struct.unpack_from("=I", out)
        frames.append(json.loads(out[4:4 + n]))
        out = out[4 + n:]
    reply = [f for f in frames if isinstance(f, dict) and f.get("messageId") == "pkg_1"]
    if not reply or reply[0].get("status") != "success":
        print("FAIL %s: no successful handshake reply (exit %s): %r %r"
              % (a.label or a.manifest, p.returncode, frames, p.stderr[-400:]))
        return 1
    version = (reply[0].get("payload") or {}).get("version")
    print("ok   %s: %s -> %s answers a handshake (version %s)"
          % (a.label or a.kind, os.path.basename(a.manifest), path, version))
    return 0


if __name__ == "__main__":
    sys.exit(main())
