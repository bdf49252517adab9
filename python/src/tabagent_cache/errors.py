"""Exceptions: one class per protocol error code, mapped once from the core's error.

Every error the core reports (``Error{code, message, details}`` in C++, the ``error`` object of
the host's replies) becomes an instance of the class :data:`ERROR_CLASSES` names for its code.
All derive from :class:`CacheError`.
"""
from __future__ import annotations

from typing import Any, Dict, Mapping, Optional, Type


class CacheError(Exception):
    """Base of every error the cache reports.

    :ivar code: the protocol's error code, e.g. ``"NOT_FOUND"``.
    :ivar message: the core's message.
    :ivar details: the error's details (repo, file, jobId, ...), a dict.
    :ivar http_status: the Hub's HTTP status when one was involved, else 0.
    """

    code: str = "INTERNAL"

    def __init__(self, message: str, details: Optional[Mapping[str, Any]] = None, *,
                 code: Optional[str] = None, http_status: int = 0) -> None:
        super().__init__(message)
        self.message: str = message
        self.details: Dict[str, Any] = dict(details or {})
        self.http_status: int = http_status
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return "%s(%r, code=%r, details=%r)" % (type(self).__name__, self.message, self.code, self.details)


class DownloadError(CacheError):
    """A transfer failed: the base of the network, integrity, disk, rate-limit and auth errors."""


class ManifestError(CacheError):
    """The request names something no repo listing can hold: the base of :class:`InvalidName`."""


class InvalidName(ManifestError, ValueError):
    """A repo id, file path or revision that breaks the naming rules (nothing was touched)."""


class InvalidRepo(InvalidName):
    """``INVALID_REPO``: not ``owner/name``."""

    code = "INVALID_REPO"


class InvalidPath(InvalidName):
    """``INVALID_PATH``: a file path or revision that is not a safe relative path."""

    code = "INVALID_PATH"


class BadRequest(CacheError, ValueError):
    """``BAD_REQUEST``: an argument the core refuses (an unknown variant kind, a bad endpoint)."""

    code = "BAD_REQUEST"


class NotFound(CacheError, FileNotFoundError):
    """``NOT_FOUND``: no such repo, file, variant or job (also a :class:`FileNotFoundError`)."""

    code = "NOT_FOUND"


class AuthRequired(DownloadError, PermissionError):
    """``AUTH_REQUIRED``: the repo is gated or private; pass ``token=`` or set ``HF_TOKEN``."""

    code = "AUTH_REQUIRED"


class RateLimited(DownloadError):
    """``RATE_LIMITED``: the Hub kept answering 429.

    :ivar retry_after: seconds the Hub asked to wait (``None`` when it did not say).
    """

    code = "RATE_LIMITED"

    @property
    def retry_after(self) -> Optional[float]:
        value = self.details.get("retry_after", self.details.get("retryAfter"))
        return float(value) if isinstance(value, (int, float)) else None


class NetworkError(DownloadError, ConnectionError):
    """``NETWORK``: the Hub could not be reached, or kept failing."""

    code = "NETWORK"


class IntegrityError(DownloadError):
    """``INTEGRITY``: downloaded bytes did not match their hash."""

    code = "INTEGRITY"


class DiskFull(DownloadError):
    """``DISK_FULL``: not enough space; the partial download is kept."""

    code = "DISK_FULL"


class Cancelled(CacheError):
    """``CANCELLED``: the job was cancelled."""

    code = "CANCELLED"


class Offline(DownloadError):
    """``OFFLINE``: offline mode is on (``offline=True`` or ``HF_HUB_OFFLINE=1``)."""

    code = "OFFLINE"


class Locked(CacheError):
    """``LOCKED``: a download of the repo runs (here or in another process)."""

    code = "LOCKED"


class InternalError(CacheError):
    """``INTERNAL``: anything else (an I/O error, libcurl missing)."""

    code = "INTERNAL"


class MessageTooLarge(CacheError):
    """``MESSAGE_TOO_LARGE`` (a protocol code; the Python API never sends messages)."""

    code = "MESSAGE_TOO_LARGE"


class ReplyTooLarge(CacheError):
    """``REPLY_TOO_LARGE`` (a protocol code; the Python API has no reply size limit)."""

    code = "REPLY_TOO_LARGE"


class UnknownAction(CacheError):
    """``UNKNOWN_ACTION`` (a protocol code)."""

    code = "UNKNOWN_ACTION"


class ForbiddenOrigin(CacheError):
    """``FORBIDDEN_ORIGIN`` (a protocol code)."""

    code = "FORBIDDEN_ORIGIN"


#: The one mapping from the protocol's error codes (docs/PROTOCOL.md) to classes.
ERROR_CLASSES: Dict[str, Type[CacheError]] = {
    cls.code: cls
    for cls in (BadRequest, MessageTooLarge, UnknownAction, ForbiddenOrigin, InvalidRepo, InvalidPath,
                NotFound, AuthRequired, RateLimited, NetworkError, IntegrityError, DiskFull, Cancelled,
                Offline, Locked, ReplyTooLarge, InternalError)
}


def error_from_core(code: str, message: str, details: Optional[Mapping[str, Any]] = None,
                    http_status: int = 0) -> CacheError:
    """The exception for one core error (the extension calls this for every error it raises)."""
    cls = ERROR_CLASSES.get(code, CacheError)
    return cls(message, details, code=code, http_status=http_status)


def error_from_json(error: Mapping[str, Any]) -> CacheError:
    """The exception for an ``{"code", "message", "details"}`` object (a job event's error)."""
    return error_from_core(str(error.get("code", "INTERNAL")), str(error.get("message", "")),
                           error.get("details") or {})
