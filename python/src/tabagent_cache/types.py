"""The documents the cache returns, as ``TypedDict`` s: the same fields as the host's replies and
progress events and the CLI's ``--json`` output (docs/PROTOCOL.md), since all of them come from
the core's one wire layer."""
from __future__ import annotations

import sys
from typing import Any, Dict, List, Optional

if sys.version_info >= (3, 11):
    from typing import NotRequired, TypedDict
else:  # pragma: no cover
    from typing_extensions import NotRequired, TypedDict

__all__ = ["ActiveFile", "ProgressEvent", "DownloadResult", "DownloadedFile", "ScanResult", "JobInfo",
           "FileInfo", "TokenStatus", "ErrorInfo"]


class ErrorInfo(TypedDict):
    code: str
    message: str
    details: Dict[str, Any]


class ActiveFile(TypedDict):
    """A file in flight: its path and bytes."""

    path: str
    loaded: int
    total: int
    bytesPerSecond: float


class ProgressEvent(TypedDict):
    """One job event: the payload of the host's ``modelWorkerLoadingProgress`` plus ``jobId`` and
    ``activeFiles``. ``status`` is ``queued``, ``initiate``, ``progress``, ``paused``, ``done``,
    ``error`` or ``cancelled``."""

    jobId: str
    status: str
    kind: str
    repo: str
    revision: str
    quant: str
    file: str
    fileLoaded: int
    fileTotal: int
    progress: float
    loaded: int
    total: int
    filesDone: int
    filesTotal: int
    bytesPerSecond: float
    etaSeconds: Optional[float]
    message: str
    activeFiles: List[ActiveFile]
    retryInSeconds: NotRequired[float]
    error: NotRequired[ErrorInfo]
    cached: NotRequired[bool]
    result: NotRequired[Dict[str, Any]]


class DownloadedFile(TypedDict):
    path: str
    size: int
    localPath: Optional[str]


class DownloadResult(TypedDict):
    """What a finished download job covered (the CLI's ``download --json``)."""

    jobId: str
    kind: str
    repo: str
    revision: str
    variant: Optional[str]
    status: str
    cached: bool
    totalBytes: int
    files: List[DownloadedFile]
    commit: NotRequired[str]
    snapshot: NotRequired[str]


class ScanResult(TypedDict):
    manifest: Dict[str, Any]
    files: int
    commit: str


class FileInfo(TypedDict):
    """``has_file`` of the host: ``path`` (snapshot), ``blobPath`` and ``commit`` when present."""

    exists: bool
    size: int
    knownMissing: bool
    path: NotRequired[str]
    blobPath: NotRequired[str]
    commit: NotRequired[str]


class JobInfo(TypedDict, total=False):
    """One entry of ``list_downloads`` (wire ``to_json(JobInfo)``)."""

    jobId: str
    kind: str
    repo: str
    revision: str
    quant: str
    requestId: Any
    files: List[str]
    status: str
    loaded: int
    total: int
    progress: float
    filesDone: int
    filesTotal: int
    bytesPerSecond: float
    file: str
    message: str
    resumed: bool
    retryInSeconds: float
    error: ErrorInfo


class TokenStatus(TypedDict):
    hasToken: bool
    source: Optional[str]
