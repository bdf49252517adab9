"""``ModelCache``: the Python face of the core the native host and ``tabagent-cache`` run."""
from __future__ import annotations

import atexit
import datetime
import os
import pathlib
import threading
import time
import weakref
from typing import Any, Dict, Iterator, List, Optional, Sequence, Union, cast

from . import _core
from .aio import AsyncMixin
from .errors import CacheError, NotFound, error_from_core
from .files import CachedFile, iter_path, read_range
from .progress import MIN_INTERVAL, ProgressArg, Reporter, make_reporter
from .types import DownloadResult, FileInfo, JobInfo, ProgressEvent, ScanResult, TokenStatus

__all__ = ["ModelCache"]

_core.set_error_factory(error_from_core)

PathArg = Union[str, "os.PathLike[str]"]
#: How long one wait for events blocks before Python looks at signals (Ctrl-C) again.
_WAIT_SLICE = 0.25
#: Caches still open: closed at interpreter exit so that no job thread outlives Python.
_OPEN: "weakref.WeakSet[ModelCache]" = weakref.WeakSet()


@atexit.register
def _close_open_caches() -> None:
    for cache in list(_OPEN):
        cache.close()


class ModelCache(AsyncMixin):
    """The model cache: the Hugging Face hub cache the host and ``tabagent-cache`` share.

    :param cache_dir: the hub cache folder; default as the CLI resolves it (``TABAGENT_CACHE``,
        ``HF_HUB_CACHE``, ``HF_HOME``/hub, ``~/.cache/huggingface/hub``).
    :param endpoint: the Hub's URL; default ``HF_ENDPOINT`` or https://huggingface.co.
    :param token: a Hugging Face token; default the stored token, then ``HF_TOKEN``.
    :param offline: no network at all; default ``HF_HUB_OFFLINE``.

    Use it as a context manager: closing stops its jobs and threads (a running download keeps its
    journal and partial file, so the next request for it resumes). Downloads are jobs in the job
    journal the host and the CLI share.
    """

    def __init__(self, cache_dir: Optional[PathArg] = None, endpoint: Optional[str] = None,
                 token: Optional[str] = None, offline: Optional[bool] = None) -> None:
        self._core: Optional[_core.Core] = None
        self._core = _core.Core(os.fspath(cache_dir) if cache_dir is not None else None, endpoint, token, offline)
        self._lock = threading.Lock()
        AsyncMixin.__init__(self)
        _OPEN.add(self)
        settings = self._core.config()
        self.cache_dir: pathlib.Path = pathlib.Path(settings["cacheDir"])
        self.data_dir: pathlib.Path = pathlib.Path(settings["dataDir"])
        self.endpoint: str = settings["endpoint"]
        self.offline: bool = bool(settings["offline"])

    # -- lifecycle ---------------------------------------------------------------------------
    def close(self) -> None:
        """Stops the jobs and threads of this cache object. Safe to call twice."""
        with self._lock:
            core, self._core = self._core, None
        self._close_async()
        if core is not None:
            core.close()

    @property
    def closed(self) -> bool:
        return self._core is None

    def __enter__(self) -> "ModelCache":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # pragma: no cover - interpreter shutdown
            pass

    def _c(self) -> _core.Core:
        core = self._core
        if core is None:
            raise error_from_core("BAD_REQUEST", "the ModelCache is closed")
        return core

    # -- Hub and cache queries -----------------------------------------------------------------
    def scan_repo(self, repo: str, revision: str = "main") -> ScanResult:
        """Lists the repo on the Hub once, stores the listing and returns its manifest."""
        return cast(ScanResult, self._c().scan_repo(repo, revision))

    def get_manifest(self, repo: str, format: str = "native") -> Dict[str, Any]:
        """The repo's manifest (``"native"`` or ``"extension"`` dialect), without the network."""
        return self._c().get_manifest(repo, format)

    def list_models(self) -> Dict[str, Any]:
        """The cached repos: ``{cacheRoot, models: [{repo, size, revisions, variants, ...}]}``."""
        return self._c().list_models()

    def file_info(self, repo: str, file: str, revision: str = "main") -> FileInfo:
        """Whether the cache holds the file, its size and paths (the host's ``has_file``)."""
        return cast(FileInfo, self._c().has_file(repo, file, revision))

    def has_file(self, repo: str, file: str, revision: str = "main") -> bool:
        """True when the cache holds the file complete."""
        return bool(self.file_info(repo, file, revision)["exists"])

    def get_file_path(self, repo: str, file: str, revision: str = "main") -> pathlib.Path:
        """The file's snapshot path (what ``huggingface_hub`` hands out); :class:`NotFound` if absent."""
        return pathlib.Path(self._c().file_path(repo, file, revision)["path"])

    def _blob(self, repo: str, file: str, revision: str) -> str:
        return str(self._c().file_path(repo, file, revision)["blobPath"])

    def get_file(self, repo: str, file: str, offset: int = 0, length: Optional[int] = None,
                 revision: str = "main") -> bytes:
        """``length`` bytes of the file from ``offset`` (to the end when ``None``)."""
        return read_range(self._blob(repo, file, revision), offset, length)

    def open_file(self, repo: str, file: str, revision: str = "main") -> CachedFile:
        """The file opened read-only; :meth:`CachedFile.memoryview` maps it without a copy."""
        return CachedFile(self._blob(repo, file, revision), repo=repo, file=file)

    def iter_file(self, repo: str, file: str, chunk_size: int = 1 << 20, revision: str = "main") -> Iterator[bytes]:
        """The file in chunks of ``chunk_size`` bytes; memory stays flat whatever its size."""
        return iter_path(self._blob(repo, file, revision), chunk_size)

    def delete_model(self, repo: str, quant: Optional[str] = None) -> int:
        """Deletes the repo, or one variant's own files; returns the bytes freed."""
        return int(self._c().delete_model(repo, quant or "")["freedBytes"])

    def get_stats(self) -> Dict[str, Any]:
        """Cache statistics: ``{cacheRoot, totalRepos, totalSize, partialBytes, diskFree, repos, ...}``."""
        return self._c().get_stats()

    def clean(self, max_bytes: Optional[int] = None,
              older_than: Union[None, float, datetime.timedelta] = None, dry_run: bool = False) -> Dict[str, Any]:
        """Evicts least recently used repos until the cache fits ``max_bytes`` and/or removes
        repos (and stale partials) unused for ``older_than`` (seconds or a timedelta)."""
        seconds = older_than.total_seconds() if isinstance(older_than, datetime.timedelta) else older_than
        return self._c().clean(max_bytes, None if seconds is None else float(seconds), dry_run)

    # -- token -------------------------------------------------------------------------------
    def set_token(self, token: str, validate: bool = False) -> TokenStatus:
        """Stores a Hugging Face token for the host, the CLI and this package."""
        return cast(TokenStatus, self._c().set_token(token, validate))

    def token_status(self) -> TokenStatus:
        return cast(TokenStatus, self._c().token_status())

    def clear_token(self) -> TokenStatus:
        return cast(TokenStatus, self._c().clear_token())

    # -- jobs --------------------------------------------------------------------------------
    def start_download_quant(self, repo: str, quant: Optional[str] = None, revision: str = "main") -> str:
        """Starts (or joins) the download of a variant (the recommended one when ``None``); returns the job id."""
        return str(self._c().submit("download_quant", repo, revision, quant or "", [])["jobId"])

    def start_download_files(self, repo: str, files: Sequence[str], revision: str = "main") -> str:
        """Starts (or joins) the download of files of a repo; returns the job id."""
        return str(self._c().submit("download_files", repo, revision, "", list(files))["jobId"])

    def start_verify(self, repo: Optional[str] = None) -> str:
        """Starts verifying the hashes of one repo's blobs, or of the whole cache; returns the job id."""
        return str(self._c().submit("verify", repo or "*", "main", "", [])["jobId"])

    def download_quant(self, repo: str, quant: Optional[str] = None, revision: str = "main", *,
                       progress: ProgressArg = None) -> DownloadResult:
        """Downloads a variant (default: the recommended one) and waits for it."""
        job = self.start_download_quant(repo, quant, revision)
        return cast(DownloadResult, self.wait(job, progress=progress, title=repo + (" " + quant if quant else "")))

    def download_file(self, repo: str, file: str, revision: str = "main", *,
                      progress: ProgressArg = None) -> DownloadResult:
        """Downloads one file and waits for it."""
        job = self.start_download_files(repo, [file], revision)
        return cast(DownloadResult, self.wait(job, progress=progress, title=file))

    def download_files(self, repo: str, files: Sequence[str], revision: str = "main", *,
                       progress: ProgressArg = None) -> DownloadResult:
        """Downloads files of a repo and waits for them."""
        job = self.start_download_files(repo, files, revision)
        return cast(DownloadResult, self.wait(job, progress=progress, title=repo))

    def verify(self, repo: Optional[str] = None, *, progress: ProgressArg = None) -> Dict[str, Any]:
        """Verifies blob hashes (removing bad blobs) and returns the report."""
        return self.wait(self.start_verify(repo), progress=progress, title="verify " + (repo or "cache"))

    def wait(self, job_id: str, *, progress: ProgressArg = None, title: str = "") -> Dict[str, Any]:
        """Waits for a job to end and returns its result; raises its error if it failed.

        A ``KeyboardInterrupt`` while waiting pauses the job (its partial files stay) and is re-raised.
        """
        reporter = make_reporter(progress, title or job_id)
        try:
            self._wait_terminal(job_id, reporter)
        except KeyboardInterrupt:
            self._pause_settled(job_id)
            raise
        finally:
            if reporter is not None:
                reporter.close()
        return self._c().job_result(job_id)

    def _pause_settled(self, job_id: str, guard: float = 10.0) -> None:
        """Pauses the job and waits (up to ``guard`` seconds) until its runner has stopped."""
        try:
            self.pause(job_id)
            deadline = time.monotonic() + guard
            cursor = 0
            while time.monotonic() < deadline:
                _, cursor, terminal = self._c().wait_events(job_id, cursor, _WAIT_SLICE, 0.0)
                if terminal or self._c().get_job(job_id)["status"] != "running":
                    return
        except CacheError:
            pass

    def _wait_terminal(self, job_id: str, reporter: Optional[Reporter]) -> None:
        cursor, last, known = 0, float("-inf"), False
        while True:
            hold = max(0.0, last + MIN_INTERVAL - time.monotonic())
            events, cursor, terminal = self._c().wait_events(job_id, cursor, _WAIT_SLICE, hold)
            if events:
                known = True
                if reporter is not None:
                    reporter(cast(ProgressEvent, events[-1]))
                    last = time.monotonic()
            if terminal:
                return
            if not known:
                self._c().get_job(job_id)  # NotFound for an unknown job id
                known = True

    def iter_events(self, job_id: str) -> Iterator[ProgressEvent]:
        """Every event of a job (consecutive progress events merged), until its last one."""
        cursor = 0
        while True:
            events, cursor, terminal = self._c().wait_events(job_id, cursor, _WAIT_SLICE, 0.0)
            for event in events:
                yield cast(ProgressEvent, event)
            if terminal:
                return

    def list_downloads(self) -> List[JobInfo]:
        """The jobs this cache object knows: running, queued, paused (journaled ones included)."""
        return cast(List[JobInfo], self._c().list_downloads())

    def get_download(self, job_id: str) -> JobInfo:
        return cast(JobInfo, self._c().get_job(job_id))

    def cancel(self, job_id: str) -> JobInfo:
        """Cancels a job; its partial files stay until ``clean(older_than=...)``."""
        return cast(JobInfo, self._c().cancel(job_id))

    def pause(self, job_id: str) -> JobInfo:
        return cast(JobInfo, self._c().pause(job_id))

    def resume(self, job_id: str) -> JobInfo:
        return cast(JobInfo, self._c().resume(job_id))
