"""Every error class: raised by the core's error code, carrying message and details; job errors too."""
from __future__ import annotations

import builtins

import pytest

import tabagent_cache as tc
from conftest import BIG, GATED, TINY, TOKEN, Hub, Workspace
from tabagent_cache import ModelCache
from tabagent_cache.errors import ERROR_CLASSES, error_from_core

PROTOCOL_CODES = ["BAD_REQUEST", "MESSAGE_TOO_LARGE", "UNKNOWN_ACTION", "FORBIDDEN_ORIGIN", "INVALID_REPO",
                  "INVALID_PATH", "NOT_FOUND", "AUTH_REQUIRED", "RATE_LIMITED", "NETWORK", "INTEGRITY", "DISK_FULL",
                  "CANCELLED", "OFFLINE", "LOCKED", "REPLY_TOO_LARGE", "INTERNAL"]


def test_one_class_per_protocol_code() -> None:
    assert sorted(ERROR_CLASSES) == sorted(PROTOCOL_CODES)
    assert len(set(ERROR_CLASSES.values())) == len(PROTOCOL_CODES)
    for code, cls in ERROR_CLASSES.items():
        err = error_from_core(code, "m", {"repo": "a/b"}, 404)
        assert type(err) is cls and isinstance(err, tc.CacheError)
        assert (err.code, err.message, err.details, err.http_status) == (code, "m", {"repo": "a/b"}, 404)
        assert str(err) == "m"
    assert issubclass(tc.NotFound, builtins.FileNotFoundError)
    assert issubclass(tc.InvalidRepo, tc.InvalidName) and issubclass(tc.InvalidPath, tc.InvalidName)
    for cls in (tc.NetworkError, tc.IntegrityError, tc.DiskFull, tc.RateLimited, tc.AuthRequired, tc.Offline):
        assert issubclass(cls, tc.DownloadError)
    assert error_from_core("RATE_LIMITED", "slow down", {"retry_after": 12}).retry_after == 12.0  # type: ignore[attr-defined]
    assert isinstance(error_from_core("SOMETHING_NEW", "x"), tc.CacheError)


def test_invalid_names_raise_before_any_access(cache: ModelCache) -> None:
    with pytest.raises(tc.InvalidRepo) as err:
        cache.scan_repo("not-a-repo")
    assert err.value.code == "INVALID_REPO"
    with pytest.raises(tc.InvalidPath):
        cache.has_file(TINY, "../etc/passwd")
    with pytest.raises(ValueError):  # InvalidName is a ValueError
        cache.download_file(TINY, "/abs")


def test_not_found_is_a_file_not_found_error(cache: ModelCache) -> None:
    with pytest.raises(FileNotFoundError):
        cache.get_file_path(TINY, "config.json")
    with pytest.raises(tc.NotFound) as err:
        cache.download_quant(TINY, "no-such-variant")
    assert err.value.details.get("jobId")
    with pytest.raises(tc.NotFound):
        cache.scan_repo("nobody/nothing")
    with pytest.raises(tc.NotFound):
        cache.get_download("j_nope")


def test_auth_required_then_a_token_works(ws: Workspace, cache: ModelCache) -> None:
    with pytest.raises(tc.AuthRequired) as err:
        cache.download_quant(GATED)
    assert err.value.code == "AUTH_REQUIRED"
    with ModelCache(token=TOKEN) as authed:
        assert authed.download_quant(GATED)["status"] == "done"


def test_offline_and_network(ws: Workspace) -> None:
    with ModelCache(offline=True) as offline:
        with pytest.raises(tc.Offline):
            offline.scan_repo(TINY)
    with ModelCache(endpoint="http://127.0.0.1:9") as unreachable:
        with pytest.raises(tc.NetworkError):
            unreachable.scan_repo(TINY)
    with pytest.raises(tc.BadRequest):
        ModelCache(endpoint="ftp://example.org")


def test_rate_limited_carries_retry_after(hub: Hub, cache: ModelCache) -> None:
    hub.hub.add_fault(kind="status", status=429, retry_after=1, endpoint="api", path_contains=BIG, times=-1)
    with pytest.raises(tc.RateLimited) as err:
        cache.scan_repo(BIG)
    assert err.value.code == "RATE_LIMITED"
    assert err.value.retry_after == 1.0


def test_integrity_error(hub: Hub, cache: ModelCache) -> None:
    hub.hub.add_fault(kind="corrupt", path_contains="model.safetensors", times=-1)
    with pytest.raises(tc.IntegrityError):
        cache.download_file(BIG, "model.safetensors")


def test_cancelled_job_raises_cancelled(hub: Hub, cache: ModelCache) -> None:
    rule = hub.hub.hold("model.safetensors", after_bytes=1024)
    job = cache.start_download_files(BIG, ["model.safetensors"])
    for event in cache.iter_events(job):
        if event["loaded"] > 0 or event["status"] == "progress":
            cache.cancel(job)
    with pytest.raises(tc.Cancelled):
        cache.wait(job)
    hub.hub.release_hold(rule)
