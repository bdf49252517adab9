#!/usr/bin/env python3
"""`tabagent-cache list --json` on a cache of 1 000 repos / 20 000 files, against
@huggingface/hub's scanCacheDir (node) on the same cache.

    (cd bench/node && npm ci)      # once, from the committed lock file
    python3 bench/cli_list_bench.py [--cli build/ci/src/cli/tabagent-cache] [--runs 7]

The cache is built with symlinks to small blobs (real HF layout: blobs/<sha256>,
snapshots/<commit>/<path> -> ../../blobs/<sha256>, refs/main). Reports wall time per run of each
process (start-up included; both read the whole cache), median/min/max and the ratio of medians,
plus scanCacheDir's own in-process time.
"""
import argparse
import hashlib
import json
import os
import pathlib
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
DEFAULT_CLI = HERE.parent / "build/ci/src/cli/tabagent-cache"


def build_cache(root, repos, files_per_repo):
    for r in range(repos):
        repo_dir = root / ("models--bench-org--model-%04d" % r)
        blobs = repo_dir / "blobs"
        commit = hashlib.sha1(b"commit %d" % r).hexdigest()
        snap = repo_dir / "snapshots" / commit
        (snap / "onnx").mkdir(parents=True)
        blobs.mkdir()
        (repo_dir / "refs").mkdir()
        (repo_dir / "refs" / "main").write_text(commit)
        for f in range(files_per_repo):
            content = b"repo %d file %d\n" % (r, f)
            etag = hashlib.sha256(content).hexdigest()
            (blobs / etag).write_bytes(content)
            rel = "onnx/model_%02d.onnx" % f if f % 2 else "file_%02d.json" % f
            os.symlink("../../../blobs/" + etag if "/" in rel else "../../blobs/" + etag, snap / rel)


def time_runs(argv, runs, env=None):
    """Wall and CPU (user + sys of the child) milliseconds per run. On a loaded machine the CPU
    time is the figure that compares the two programs; wall time includes waiting for a core."""
    walls, cpus, outputs = [], [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        out = subprocess.run(argv, capture_output=True, text=True, env=env, check=True)
        walls.append((time.perf_counter() - start) * 1000)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)) * 1000)
        outputs.append(out.stdout)
    return walls, cpus, outputs


def summary(name, ms):
    return "%-34s median %7.1f ms   min %7.1f   max %7.1f   (%d runs)" % (
        name, statistics.median(ms), min(ms), max(ms), len(ms))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cli", default=os.environ.get("TABAGENT_CLI", str(DEFAULT_CLI)))
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--repos", type=int, default=1000)
    ap.add_argument("--files", type=int, default=20)
    ap.add_argument("--keep", help="build the cache here and keep it (reused by the next run)")
    args = ap.parse_args()

    tmp = None
    if args.keep:
        root = pathlib.Path(args.keep)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="tabagent-list-bench-")
        root = pathlib.Path(tmp.name)
    cache = root / "hub"
    marker = root / ("built-%d-%d" % (args.repos, args.files))
    if marker.exists():
        print("reusing %s" % cache, flush=True)
    else:
        if root.exists():
            shutil.rmtree(root)
        cache.mkdir(parents=True)
        t0 = time.perf_counter()
        build_cache(cache, args.repos, args.files)
        marker.touch()
        print("built %d repos / %d files in %.1f s: %s" % (args.repos, args.repos * args.files,
                                                           time.perf_counter() - t0, cache), flush=True)

    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "TABAGENT_"))}
    env["TABAGENT_HOME"] = str(root / "data")
    cli_ms, cli_cpu, cli_out = time_runs([args.cli, "list", "--json", "--cache-dir", str(cache)], args.runs, env)
    doc = json.loads(cli_out[-1])
    cli_files = sum(m["files"] for m in doc["models"])
    print("tabagent-cache: %d repos, %d files" % (len(doc["models"]), cli_files))

    node_dir = HERE / "node"
    if not (node_dir / "node_modules/@huggingface/hub").exists():
        sys.exit("run `npm ci` in %s first" % node_dir)
    node_ms, node_cpu, node_out = time_runs(["node", str(node_dir / "scan_cache.mjs"), str(cache)], args.runs, env)
    inproc = [json.loads(o)["ms"] for o in node_out]
    last = json.loads(node_out[-1])
    print("scanCacheDir:   %d repos, %d files" % (last["repos"], last["files"]))

    print()
    print("load average before the runs: %.1f %.1f %.1f on %d cores" % (*os.getloadavg(), os.cpu_count()))
    print(summary("tabagent-cache list --json (wall)", cli_ms))
    print(summary("tabagent-cache list --json (cpu)", cli_cpu))
    print(summary("node scanCacheDir (wall)", node_ms))
    print(summary("node scanCacheDir (cpu)", node_cpu))
    print(summary("  scanCacheDir in-process only", inproc))
    print("ratio of medians, node / tabagent-cache: wall %.1fx, cpu %.1fx, in-process only %.1fx" % (
        statistics.median(node_ms) / statistics.median(cli_ms), statistics.median(node_cpu) / statistics.median(cli_cpu),
        statistics.median(inproc) / statistics.median(cli_ms)))
    if last["files"] != args.repos * args.files:
        print("note: scanCacheDir counted %d files of %d: it does not descend into snapshot sub-folders "
              "(onnx/...), so it did less work than tabagent-cache" % (last["files"], args.repos * args.files))
    ok = len(doc["models"]) == args.repos and cli_files == args.repos * args.files
    if not ok:
        sys.exit("tabagent-cache saw a different cache than was built")
    if statistics.median(cli_cpu) >= 1000:
        sys.exit("tabagent-cache list used a second of CPU or more")
    if tmp:
        tmp.cleanup()


if __name__ == "__main__":
    main()
