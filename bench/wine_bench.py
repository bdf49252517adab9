#!/usr/bin/env python3
"""Windows under Wine vs native Linux, in one run (issue 14, informative): the same host source
built twice (the `ci` preset and the mingw-w64 `windows` preset) against the same native fake hub.

  handshake-cold   process start -> handshake reply (a new host per run: what the browser waits
                   for when the extension opens its port)
  handshake-warm   handshake round trip on a running host
  download-256M    download_file of a 256 MiB file: request -> `done` event (fresh cache per run)

Prints median, min and max per case and binary, and the Wine/native ratio of the medians.

    cmake --build --preset ci && cmake --build --preset windows
    python3 bench/wine_bench.py [--runs 10] [--download-runs 3]
"""
import argparse
import os
import pathlib
import shutil
import statistics
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
REPO_ROOT = HERE.parent
sys.path.insert(0, str(REPO_ROOT / "tests" / "fakehub"))
sys.path.insert(0, str(REPO_ROOT / "tests" / "integration"))
from fakehub import FakeHub, generate  # noqa: E402
import hostproc  # noqa: E402

REPO, FILE = "bench/wine", "model.safetensors"


def start(binary, root, endpoint):
    home, cache = root / "home", root / "cache"
    shutil.rmtree(root, ignore_errors=True)
    cache.mkdir(parents=True)
    return hostproc.HostProcess(hostproc.clean_env(home, cache, HF_ENDPOINT=endpoint), binary=binary)


def handshake_cold(binary, root, endpoint):
    t0 = time.perf_counter()
    host = start(binary, root, endpoint)
    host.call("handshake", timeout=120)
    elapsed = time.perf_counter() - t0
    host.close()
    return elapsed


def handshake_warm(binary, root, endpoint, runs):
    host = start(binary, root, endpoint)
    host.call("handshake", timeout=120)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        host.call("handshake")
        times.append(time.perf_counter() - t0)
    host.close()
    return times


def download(binary, root, endpoint):
    host = start(binary, root, endpoint)
    host.call("handshake", timeout=120)
    t0 = time.perf_counter()
    reply = host.call("download_file", repo=REPO, file=FILE)
    events = host.events(reply["payload"]["jobId"], timeout=600)
    elapsed = time.perf_counter() - t0
    status = events[-1]["payload"]["status"]
    host.close()
    if status != "done":
        raise SystemExit(f"{binary}: download ended {status}: {events[-1]}")
    return elapsed


def row(name, label, times):
    med = statistics.median(times)
    print(f"| {name} | {label} | {med * 1000:.1f} | {min(times) * 1000:.1f} | {max(times) * 1000:.1f} | {len(times)} |")
    return med


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--native", default=str(REPO_ROOT / "build/ci/src/host/tabagent-host"))
    ap.add_argument("--windows", default=str(REPO_ROOT / "build/windows/src/host/tabagent-host.exe"))
    ap.add_argument("--fakehub", default=str(REPO_ROOT / "build/ci/tests/fakehub/fakehub"))
    ap.add_argument("--fakehub-gen", default=str(REPO_ROOT / "build/ci/tests/fakehub/fakehub-gen"))
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--download-runs", type=int, default=3)
    a = ap.parse_args()
    binaries = [("native", a.native), ("wine", a.windows)]
    with tempfile.TemporaryDirectory(prefix="wine-bench-") as tmp:
        tmp = pathlib.Path(tmp)
        generate(a.fakehub_gen, tmp / "hub", REPO, files={FILE: "256M"})
        with FakeHub(a.fakehub, tmp / "hub") as hub:
            print("| case | binary | median ms | min ms | max ms | runs |")
            print("|---|---|---|---|---|---|")
            medians = {}
            for case in ("handshake-cold", "handshake-warm", "download-256M"):
                for label, binary in binaries:
                    root = tmp / f"{label}-{case}"
                    if case == "handshake-cold":
                        times = [handshake_cold(binary, root, hub.url) for _ in range(a.runs)]
                    elif case == "handshake-warm":
                        times = handshake_warm(binary, root, hub.url, a.runs)
                    else:
                        times = [download(binary, root, hub.url) for _ in range(a.download_runs)]
                    medians[(case, label)] = row(case, label, times)
            print()
            for case in ("handshake-cold", "handshake-warm", "download-256M"):
                print(f"{case}: wine/native = {medians[(case, 'wine')] / medians[(case, 'native')]:.2f}x")


if __name__ == "__main__":
    os.environ.setdefault("WINEDEBUG", "-all")
    main()
