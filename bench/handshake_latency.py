#!/usr/bin/env python3
"""Start-to-first-reply of tabagent-host for a handshake, next to `cat` as the floor.

Each run spawns the program, writes one framed handshake, and stops the clock when the first
whole frame is back on stdout. Runs alternate host / cat. Prints median, min and max in ms.
Usage: bench/handshake_latency.py [--host build/ci/src/host/tabagent-host] [--runs 50]
"""
import argparse
import json
import os
import pathlib
import statistics
import struct
import subprocess
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
ORIGIN = "chrome-extension://fkkeoobeahalebjpbockfedlncckobjb/"


def one_run(argv, frame, env):
    start = time.perf_counter()
    p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
    p.stdin.write(frame)
    p.stdin.flush()
    head = p.stdout.read(4)
    (n,) = struct.unpack("=I", head)
    body = p.stdout.read(n)
    elapsed = time.perf_counter() - start
    p.stdin.close()
    p.wait()
    assert json.loads(body)["messageId"] == "m1"
    return elapsed * 1000


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default=str(ROOT / "build/ci/src/host/tabagent-host"))
    ap.add_argument("--runs", type=int, default=50)
    args = ap.parse_args()
    body = json.dumps({"action": "handshake", "messageId": "m1"}).encode()
    frame = struct.pack("=I", len(body)) + body
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, TABAGENT_HOME=f"{tmp}/home", TABAGENT_CACHE=f"{tmp}/cache")
        results = {"tabagent-host": [], "cat (floor)": []}
        for _ in range(args.runs):
            results["tabagent-host"].append(one_run([args.host, ORIGIN], frame, env))
            results["cat (floor)"].append(one_run(["cat"], frame, env))
    print(f"handshake start-to-first-reply, {args.runs} runs each, alternating")
    print(f"{'program':<16}{'median ms':>10}{'min':>8}{'max':>8}")
    for name, xs in results.items():
        print(f"{name:<16}{statistics.median(xs):>10.2f}{min(xs):>8.2f}{max(xs):>8.2f}")
    ratio = statistics.median(results["tabagent-host"]) / statistics.median(results["cat (floor)"])
    print(f"host / cat median ratio: {ratio:.2f}")


if __name__ == "__main__":
    main()
