"""Memory: 10 000 calls leave RSS flat; streaming a 1 GiB file with iter_file stays under 64 MiB."""
from __future__ import annotations

import gc
import hashlib
import os
import pathlib
import subprocess
import sys
import textwrap

import pytest

from conftest import TINY, Workspace
from tabagent_cache import ModelCache, NotFound


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def test_ten_thousand_calls_leave_rss_flat(cache: ModelCache) -> None:
    cache.download_quant(TINY, "q4f16")

    def round_of_calls(n: int) -> None:
        for i in range(n):
            cache.has_file(TINY, "onnx/model_q4f16.onnx")
            cache.list_models()
            cache.get_file(TINY, "config.json", 0, 64)
            try:
                cache.get_file_path(TINY, "missing-%d.bin" % (i % 10))
            except NotFound:
                pass

    round_of_calls(1000)  # warm-up: allocator pools, caches
    gc.collect()
    before = rss_bytes()
    round_of_calls(10000)
    gc.collect()
    grown = rss_bytes() - before
    print("RSS growth over 10 000 rounds (40 000 calls): %d KiB" % (grown // 1024))
    assert grown < 4 << 20, "RSS grew by %d bytes over 10 000 rounds" % grown


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_iter_file_over_one_gib_keeps_rss_under_64_mib(ws: Workspace, tmp_path: pathlib.Path) -> None:
    # A 1 GiB blob placed as huggingface_hub lays it out (sparse: no disk used), read in a fresh
    # process so the peak RSS (VmHWM) is the stream's alone.
    repo_dir = ws.cache / "models--big--one-gib"
    commit = "a" * 40
    (repo_dir / "refs").mkdir(parents=True)
    (repo_dir / "refs" / "main").write_text(commit)
    blobs = repo_dir / "blobs"
    blobs.mkdir()
    etag = "b" * 64
    with open(blobs / etag, "wb") as f:
        f.truncate(1 << 30)
    snapshot = repo_dir / "snapshots" / commit
    snapshot.mkdir(parents=True)
    (snapshot / "model.bin").symlink_to(os.path.relpath(blobs / etag, snapshot))
    script = textwrap.dedent("""
        import hashlib, sys
        from tabagent_cache import ModelCache
        with ModelCache() as cache:
            digest = hashlib.sha256()
            total = 0
            for chunk in cache.iter_file("big/one-gib", "model.bin", chunk_size=4 << 20):
                digest.update(chunk)
                total += len(chunk)
        peak = [l for l in open("/proc/self/status") if l.startswith("VmHWM:")][0].split()[1]
        print(total, int(peak) * 1024, digest.hexdigest())
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=ws.env, timeout=600,
                         check=True)
    total, peak, digest = out.stdout.split()
    print("iter_file over 1 GiB: peak RSS %.1f MiB" % (int(peak) / (1 << 20)))
    assert int(total) == 1 << 30
    assert int(peak) < 64 << 20, "peak RSS %d bytes" % int(peak)
    expected = hashlib.sha256()
    zeros = bytes(4 << 20)
    for _ in range(256):
        expected.update(zeros)
    assert digest == expected.hexdigest()
