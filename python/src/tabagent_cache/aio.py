"""The asyncio twins of ModelCache's blocking calls.

Waiting for a job's events runs on a small thread pool of the cache object (the GIL released in
the core while it waits); cancelling the awaiting task cancels the job at once.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import time
from typing import TYPE_CHECKING, Any, AsyncIterator, Dict, Optional, Sequence, Tuple, List, cast

from .progress import MIN_INTERVAL, ProgressArg, make_reporter
from .types import DownloadResult, ProgressEvent

if TYPE_CHECKING:
    from . import _core

__all__ = ["AsyncMixin"]

#: One wait of a pool thread; a cancelled task leaves its thread busy for at most this long.
_ASYNC_SLICE = 0.1


class AsyncMixin:
    """``adownload_quant``, ``adownload_file``, ``averify``, ``await_job`` and ``events``."""

    def __init__(self) -> None:
        self._pool: Optional[concurrent.futures.ThreadPoolExecutor] = None

    def _c(self) -> "_core.Core":  # pragma: no cover - ModelCache defines it
        raise NotImplementedError

    def _executor(self) -> concurrent.futures.ThreadPoolExecutor:
        if self._pool is None:
            self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=16, thread_name_prefix="tabagent-wait")
        return self._pool

    def _close_async(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)

    async def _next_batch(self, job_id: str, cursor: int, hold: float) -> Tuple[List[Dict[str, Any]], int, bool]:
        loop = asyncio.get_running_loop()
        core = self._c()
        return await loop.run_in_executor(self._executor(), core.wait_events, job_id, cursor, _ASYNC_SLICE, hold)

    async def events(self, job_id: str) -> AsyncIterator[ProgressEvent]:
        """``async for event in cache.events(job_id)``: every event of the job until its last.
        Cancelling the task that iterates cancels the job."""
        cursor, terminal = 0, False
        try:
            while not terminal:
                events, cursor, terminal = await self._next_batch(job_id, cursor, 0.0)
                for event in events:
                    yield cast(ProgressEvent, event)
        except asyncio.CancelledError:
            self._cancel_quietly(job_id)
            raise

    async def await_job(self, job_id: str, *, progress: ProgressArg = None, title: str = "") -> Dict[str, Any]:
        """Waits for a job without blocking the event loop; returns its result or raises its error.
        ``task.cancel()`` cancels the job."""
        reporter = make_reporter(progress, title or job_id)
        cursor, last, terminal = 0, float("-inf"), False
        try:
            while not terminal:
                hold = max(0.0, last + MIN_INTERVAL - time.monotonic())
                events, cursor, terminal = await self._next_batch(job_id, cursor, hold)
                if events and reporter is not None:
                    reporter(cast(ProgressEvent, events[-1]))
                    last = time.monotonic()
                if not events and cursor == 0:
                    self._c().get_job(job_id)  # NotFound for an unknown job id
        except asyncio.CancelledError:
            self._cancel_quietly(job_id)
            raise
        finally:
            if reporter is not None:
                reporter.close()
        return self._c().job_result(job_id)

    def _cancel_quietly(self, job_id: str) -> None:
        from .errors import CacheError

        try:
            self._c().cancel(job_id)
        except CacheError:
            pass

    async def adownload_quant(self, repo: str, quant: Optional[str] = None, revision: str = "main", *,
                              progress: ProgressArg = None) -> DownloadResult:
        """``await cache.adownload_quant(repo, quant)``: :meth:`ModelCache.download_quant` for asyncio."""
        job = str(self._c().submit("download_quant", repo, revision, quant or "", [])["jobId"])
        return cast(DownloadResult, await self.await_job(job, progress=progress, title=repo))

    async def adownload_file(self, repo: str, file: str, revision: str = "main", *,
                             progress: ProgressArg = None) -> DownloadResult:
        job = str(self._c().submit("download_files", repo, revision, "", [file])["jobId"])
        return cast(DownloadResult, await self.await_job(job, progress=progress, title=file))

    async def adownload_files(self, repo: str, files: Sequence[str], revision: str = "main", *,
                              progress: ProgressArg = None) -> DownloadResult:
        job = str(self._c().submit("download_files", repo, revision, "", list(files))["jobId"])
        return cast(DownloadResult, await self.await_job(job, progress=progress, title=repo))

    async def averify(self, repo: Optional[str] = None, *, progress: ProgressArg = None) -> Dict[str, Any]:
        job = str(self._c().submit("verify", repo or "*", "main", "", [])["jobId"])
        return await self.await_job(job, progress=progress, title="verify " + (repo or "cache"))
