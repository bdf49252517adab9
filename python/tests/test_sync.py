"""Every synchronous method of ModelCache against the fake hub."""
from __future__ import annotations

import hashlib
import os
import pathlib

import pytest

from conftest import BIG, GGUF, TINY, Hub, Workspace
from tabagent_cache import CachedFile, ModelCache, NotFound


def test_settings_resolve_like_the_cli(ws: Workspace, cache: ModelCache) -> None:
    assert cache.cache_dir == ws.cache
    assert cache.endpoint == ws.endpoint
    assert cache.data_dir == ws.home
    assert not cache.offline
    other = ws.root / "other"
    with ModelCache(cache_dir=other, endpoint=ws.endpoint + "/", offline=True) as explicit:
        assert explicit.cache_dir == other
        assert explicit.endpoint == ws.endpoint  # trailing slash dropped, as --endpoint
        assert explicit.offline


def test_scan_then_manifest_without_network(cache: ModelCache) -> None:
    scanned = cache.scan_repo(TINY)
    assert scanned["files"] > 0
    assert len(scanned["commit"]) == 40
    assert "q4f16" in scanned["manifest"]["quants"]
    native = cache.get_manifest(TINY)
    assert native["quants"]["q4f16"]["status"] == "available"
    ext = cache.get_manifest(TINY, format="extension")
    assert ext["manifestVersion"] == 1


def test_download_quant_then_read_it_every_way(cache: ModelCache) -> None:
    result = cache.download_quant(TINY, "q4f16")
    assert result["status"] == "done" and result["variant"] == "q4f16" and not result["cached"]
    paths = {f["path"]: f for f in result["files"]}
    assert "onnx/model_q4f16.onnx" in paths and "onnx/model.onnx" not in paths
    for f in result["files"]:
        assert f["localPath"] is not None and os.path.getsize(f["localPath"]) == f["size"]
    assert cache.download_quant(TINY, "q4f16")["cached"]

    name = "onnx/model_q4f16.onnx"
    assert cache.has_file(TINY, name)
    assert not cache.has_file(TINY, "onnx/model.onnx")
    info = cache.file_info(TINY, name)
    assert info["exists"] and info["size"] == paths[name]["size"]
    path = cache.get_file_path(TINY, name)
    assert str(path) == paths[name]["localPath"]
    whole = path.read_bytes()

    assert cache.get_file(TINY, name) == whole
    assert cache.get_file(TINY, name, offset=10, length=100) == whole[10:110]
    assert cache.get_file(TINY, name, offset=len(whole) - 3, length=100) == whole[-3:]
    assert cache.get_file(TINY, name, offset=len(whole) + 5) == b""

    with cache.open_file(TINY, name) as opened:
        assert isinstance(opened, CachedFile) and not opened.writable()
        opened.seek(5)
        assert opened.read(7) == whole[5:12]
        view = opened.memoryview()
        assert view.readonly and view.nbytes == len(whole)
        assert view[100:200] == whole[100:200]
        view.release()

    digest = hashlib.sha256()
    chunks = 0
    for chunk in cache.iter_file(TINY, name, chunk_size=64 * 1024):
        assert len(chunk) <= 64 * 1024
        digest.update(chunk)
        chunks += 1
    assert digest.hexdigest() == hashlib.sha256(whole).hexdigest()
    assert chunks == -(-len(whole) // (64 * 1024))


def test_download_file_and_files(cache: ModelCache) -> None:
    one = cache.download_file(BIG, "config.json")
    assert [f["path"] for f in one["files"]] == ["config.json"]
    both = cache.download_files(TINY, ["config.json", "tokenizer.json"])
    assert sorted(f["path"] for f in both["files"]) == ["config.json", "tokenizer.json"]


def test_list_stats_delete(cache: ModelCache) -> None:
    assert cache.list_models()["models"] == []
    result = cache.download_quant(GGUF)  # the recommended variant
    assert result["variant"]
    listing = cache.list_models()
    assert [m["repo"] for m in listing["models"]] == [GGUF]
    assert listing["models"][0]["size"] == result["totalBytes"]
    stats = cache.get_stats()
    assert stats["totalRepos"] == 1 and stats["totalSize"] == result["totalBytes"]
    assert cache.delete_model(GGUF) >= result["totalBytes"]  # blobs, plus refs and snapshot entries
    assert cache.list_models()["models"] == []
    with pytest.raises(NotFound):
        cache.delete_model(GGUF)


def test_delete_one_variant(cache: ModelCache) -> None:
    cache.download_quant(TINY, "q4f16")
    cache.download_quant(TINY, "int8")
    freed = cache.delete_model(TINY, "int8")
    assert freed > 0
    assert cache.has_file(TINY, "onnx/model_q4f16.onnx")
    assert not cache.has_file(TINY, "onnx/model_int8.onnx")


def test_verify_finds_a_flipped_byte(cache: ModelCache) -> None:
    cache.download_quant(TINY, "q4f16")
    report = cache.verify(TINY)
    assert report["bad"] == 0 and report["ok"] > 0
    blob = pathlib.Path(cache.file_info(TINY, "onnx/model_q4f16.onnx")["blobPath"])
    data = bytearray(blob.read_bytes())
    data[0] ^= 0xFF
    blob.chmod(0o644)
    blob.write_bytes(bytes(data))
    report = cache.verify()
    assert report["bad"] == 1


def test_clean_dry_run_then_for_real(cache: ModelCache) -> None:
    result = cache.download_quant(TINY, "q4f16")
    dry = cache.clean(max_bytes=0, dry_run=True)
    assert dry["dryRun"] and dry["freedBytes"] == result["totalBytes"]
    assert cache.has_file(TINY, "onnx/model_q4f16.onnx")
    real = cache.clean(max_bytes=0)
    assert real["freedBytes"] >= dry["freedBytes"]
    assert cache.list_models()["models"] == []


def test_token_store_and_clear(cache: ModelCache) -> None:
    assert not cache.token_status()["hasToken"]
    status = cache.set_token("hf_some_token")
    assert status["hasToken"] and status["source"] == "stored"
    assert not cache.clear_token()["hasToken"]


def test_closing_twice_and_calls_after_close(ws: Workspace) -> None:
    c = ModelCache()
    c.close()
    c.close()
    assert c.closed
    with pytest.raises(Exception) as err:
        c.list_models()
    assert "closed" in str(err.value)
