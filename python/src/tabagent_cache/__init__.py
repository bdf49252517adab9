"""tabagent_cache: the TabAgent model cache from Python.

The same C++ core as the TabAgent native host and ``tabagent-cache``: the Hugging Face hub cache,
the Hub client, the download engine and the shared job journal. See :class:`ModelCache`.
"""
from ._core import __version__
from .cache import ModelCache
from .errors import (ERROR_CLASSES, AuthRequired, BadRequest, CacheError, Cancelled, DiskFull, DownloadError,
                     ForbiddenOrigin, IntegrityError, InternalError, InvalidName, InvalidPath, InvalidRepo, Locked,
                     ManifestError, MessageTooLarge, NetworkError, NotFound, Offline, RateLimited, ReplyTooLarge,
                     UnknownAction)
from .files import CachedFile
from .types import DownloadResult, FileInfo, JobInfo, ProgressEvent, ScanResult, TokenStatus

__all__ = [
    "__version__", "ModelCache", "CachedFile", "ERROR_CLASSES", "CacheError", "DownloadError", "ManifestError",
    "InvalidName", "InvalidRepo", "InvalidPath", "BadRequest", "NotFound", "AuthRequired", "RateLimited",
    "NetworkError", "IntegrityError", "DiskFull", "Cancelled", "Offline", "Locked", "InternalError",
    "MessageTooLarge", "ReplyTooLarge", "UnknownAction", "ForbiddenOrigin", "DownloadResult", "FileInfo",
    "JobInfo", "ProgressEvent", "ScanResult", "TokenStatus",
]
