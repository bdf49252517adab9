"""Progress: callbacks batched (at most 10 per second, on the waiting thread, never on a job
thread), tqdm bars, two Python threads downloading at once."""
from __future__ import annotations

import io
import threading
import time
from typing import List, Tuple

import pytest

from conftest import BIG, TINY, Hub
from tabagent_cache import ModelCache, ProgressEvent


def test_callback_batches_at_most_ten_per_second_on_the_calling_thread(hub: Hub, cache: ModelCache) -> None:
    hub.hub.add_fault(kind="rate", bytes_per_second=4 << 20, path_contains="model.safetensors", times=-1)
    calls: List[Tuple[float, int, ProgressEvent]] = []
    started = time.monotonic()
    result = cache.download_file(BIG, "model.safetensors",
                                 progress=lambda e: calls.append((time.monotonic(), threading.get_ident(), e)))
    elapsed = time.monotonic() - started
    assert result["status"] == "done"
    assert {ident for _, ident, _ in calls} == {threading.get_ident()}
    assert calls[-1][2]["status"] == "done"
    loaded = [e["loaded"] for _, _, e in calls]
    assert loaded == sorted(loaded) and loaded[-1] == calls[-1][2]["total"]
    # The bound the issue names: at most 10 calls a second (the final event may follow sooner).
    gaps = [b[0] - a[0] for a, b in zip(calls, calls[1:-1])]
    assert all(gap >= 0.095 for gap in gaps), gaps
    assert len(calls) <= elapsed * 10 + 2
    assert len(calls) >= 3  # ~2 s of transfer: several batches, not just the last
    event = calls[len(calls) // 2][2]
    for field in ("jobId", "status", "kind", "repo", "file", "loaded", "total", "progress", "filesDone",
                  "filesTotal", "bytesPerSecond", "etaSeconds", "message", "activeFiles"):
        assert field in event


def test_tqdm_bars_per_file_and_total(hub: Hub, cache: ModelCache, monkeypatch: pytest.MonkeyPatch) -> None:
    tqdm_auto = pytest.importorskip("tqdm.auto")
    import tqdm as tqdm_module

    stream = io.StringIO()
    real = tqdm_module.tqdm

    class Captured(real):  # type: ignore[misc, valid-type]
        def __init__(self, *args: object, **kwargs: object) -> None:
            kwargs["file"] = stream
            kwargs["mininterval"] = 0
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(tqdm_auto, "tqdm", Captured)
    hub.hub.add_fault(kind="rate", bytes_per_second=512 << 10, path_contains="model_q4f16", times=-1)
    result = cache.download_quant(TINY, "q4f16", progress=True)
    text = stream.getvalue()
    assert TINY in text  # the total bar
    assert "model_q4f16.onnx" in text  # the bar of the file in flight
    assert "files" in text
    assert result["status"] == "done"


def test_two_threads_download_at_once_and_both_progress(hub: Hub, cache: ModelCache) -> None:
    rule_a = hub.hub.hold("model.safetensors", after_bytes=256 * 1024)
    rule_b = hub.hub.hold("model_fp16.onnx", after_bytes=256 * 1024)
    moving = {"a": threading.Event(), "b": threading.Event()}
    results = {}

    def run(name: str, fetch: object) -> None:
        def progress(event: ProgressEvent) -> None:
            if event["loaded"] > 0:
                moving[name].set()
        results[name] = fetch(progress)  # type: ignore[operator]

    threads = [
        threading.Thread(target=run, args=("a", lambda p: cache.download_file(BIG, "model.safetensors", progress=p))),
        threading.Thread(target=run, args=("b", lambda p: cache.download_file(TINY, "onnx/model_fp16.onnx",
                                                                              progress=p))),
    ]
    for t in threads:
        t.start()
    # Both are mid-transfer at the same time: each thread waits with the GIL released.
    assert moving["a"].wait(60) and moving["b"].wait(60)
    hub.hub.release_hold(rule_a)
    hub.hub.release_hold(rule_b)
    for t in threads:
        t.join(60)
    assert results["a"]["status"] == "done" and results["b"]["status"] == "done"
