#!/usr/bin/env python3
"""`tabagent-cache scan` of a sharded, dataset-like repo of 5 000 files on the fake hub, with the
tree API paginated (Link rel="next") at several page sizes. Target (issue 13 item 5): the whole
listing in under 2 s.

    python3 bench/scan_bench.py [--cli build/ci/src/cli/tabagent-cache] [--runs 5] [--files 5000]

Reports wall time per scan (process start-up included) as median/min/max, the pages fetched, and
the fake hub's own time answering them (the sum of its log's duration_ms: model info and every
tree page), so a slow server shows as such.
"""
import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests/fakehub"))
import fakehub as fh  # noqa: E402

BUILD = HERE.parent / "build/ci"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", default=str(BUILD / "src/cli/tabagent-cache"))
    ap.add_argument("--fakehub", default=str(BUILD / "tests/fakehub/fakehub"))
    ap.add_argument("--gen", default=str(BUILD / "tests/fakehub/fakehub-gen"))
    ap.add_argument("--files", type=int, default=5000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--page-sizes", default="1000,100,50")
    args = ap.parse_args()
    repo = "datasets-like/shards-%d" % args.files
    with tempfile.TemporaryDirectory(prefix="tabagent-scan-bench-") as tmp:
        tmp = pathlib.Path(tmp)
        files = {"data/train-%05d-of-%05d.parquet" % (i, args.files): 64 for i in range(args.files)}
        fh.generate(args.gen, tmp / "hub", repo, files=files, texts={"README.md": "# shards"})
        # The fake hub keeps a repo's scan only once its folders are 2 s old (tests/fakehub/README.md):
        # let the freshly generated repo settle, so the figures are the client's, not the rescans'.
        time.sleep(2.5)
        print("scan of %s (%d files) through tabagent-cache, %d runs each" % (repo, args.files + 1, args.runs))
        for page in [int(p) for p in args.page_sizes.split(",")]:
            with fh.FakeHub(args.fakehub, tmp / "hub", page_size=page) as hub:
                env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "TABAGENT_"))}
                env.update(HF_ENDPOINT=hub.url, TABAGENT_HOME=str(tmp / "home"), TABAGENT_CACHE=str(tmp / "cache"))
                walls, pages, server_ms = [], 0, []
                subprocess.run([args.cli, "scan", repo, "--json"], capture_output=True, env=env, check=True)  # warm-up
                for _ in range(args.runs):
                    hub.reset()
                    start = time.perf_counter()
                    out = subprocess.run([args.cli, "scan", repo, "--json"], capture_output=True, text=True,
                                         env=env, check=True)
                    walls.append(time.perf_counter() - start)
                    listed = len(json.loads(out.stdout)["files"])
                    assert listed == args.files + 1, listed
                    trees = [r for r in hub.requests() if "/tree/" in r["path"]]
                    pages = len(trees)
                    server_ms.append(sum(r["duration_ms"] for r in hub.requests()))
                print("  page size %4d: %3d pages, scan %.3f s median (min %.3f, max %.3f); fake hub %.0f ms of it"
                      % (page, pages, statistics.median(walls), min(walls), max(walls), statistics.median(server_ms)))
        print("load average: %.1f %.1f %.1f" % os.getloadavg())


if __name__ == "__main__":
    main()
