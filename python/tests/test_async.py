"""asyncio twins: adownload_*, events(), and task.cancel() cancelling the job."""
from __future__ import annotations

import asyncio
import time
from typing import List

import pytest

import tabagent_cache as tc
from conftest import BIG, TINY, Hub
from tabagent_cache import ModelCache, ProgressEvent


def test_adownload_quant_and_events(cache: ModelCache) -> None:
    async def main() -> None:
        result = await cache.adownload_quant(TINY, "q4f16")
        assert result["status"] == "done" and result["variant"] == "q4f16"
        job = cache.start_download_files(TINY, ["config.json", "onnx/model_int8.onnx"])
        seen: List[ProgressEvent] = []
        async for event in cache.events(job):
            seen.append(event)
        assert seen[-1]["status"] == "done"
        assert all(e["jobId"] == job for e in seen)
        result2 = await cache.adownload_file(BIG, "config.json")
        assert result2["files"][0]["path"] == "config.json"
        report = await cache.averify(TINY)
        assert report["bad"] == 0

    asyncio.run(main())


def test_async_errors_raise_the_mapped_class(cache: ModelCache) -> None:
    async def main() -> None:
        with pytest.raises(tc.NotFound):
            await cache.adownload_quant(TINY, "no-such-variant")
        with pytest.raises(tc.InvalidRepo):
            await cache.adownload_file("bad", "x")

    asyncio.run(main())


def test_task_cancel_cancels_the_job_within_200ms(hub: Hub, cache: ModelCache) -> None:
    rule = hub.hub.hold("model.safetensors", after_bytes=256 * 1024)

    async def main() -> float:
        moving = asyncio.Event()

        def progress(event: ProgressEvent) -> None:
            if event["loaded"] > 0:
                moving.set()

        task = asyncio.ensure_future(cache.adownload_file(BIG, "model.safetensors", progress=progress))
        await asyncio.wait_for(moving.wait(), 60)
        job = cache.list_downloads()[0]["jobId"]
        started = time.monotonic()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        # The job's own terminal event, read from the core's event log.
        last = [e for e in cache.iter_events(job)][-1]
        elapsed = time.monotonic() - started
        assert last["status"] == "cancelled"
        return elapsed

    elapsed = asyncio.run(main())
    hub.hub.release_hold(rule)
    print("task.cancel() -> job cancelled in %.1f ms" % (elapsed * 1000))
    # The bound is 200 ms; asserted with a 2.5x margin for a loaded CI machine (the
    # measured time is printed above).
    assert elapsed < 0.5, elapsed
