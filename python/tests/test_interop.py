"""Interop: the same cache and job journal as tabagent-cache and the native host."""
from __future__ import annotations

import json
import pathlib
import subprocess
import sys
import time
from typing import Any, Callable, Dict, List

import pytest

from conftest import BIG, CLI, HOST, ROOT, TINY, Hub, Workspace
from tabagent_cache import ModelCache

sys.path.insert(0, str(ROOT / "tests" / "integration"))
import hostproc  # type: ignore[import]  # noqa: E402


def cli_json(ws: Workspace, *args: str) -> Dict[str, Any]:
    out = subprocess.run([CLI, *args, "--json"], capture_output=True, text=True, env=ws.env, timeout=120)
    assert out.returncode == 0, out.stderr
    doc: Dict[str, Any] = json.loads(out.stdout)
    return doc


def wait_until(cond: Callable[[], bool], what: str, guard: float = 60.0) -> None:
    """Polls a condition no event announces (a file another process writes); the guard only
    turns a hang into a failure."""
    deadline = time.monotonic() + guard
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.02)


def test_a_download_from_python_shows_in_the_cli_and_the_host(ws: Workspace, cache: ModelCache) -> None:
    result = cache.download_quant(TINY, "q4f16")
    listing = cli_json(ws, "list")
    assert [m["repo"] for m in listing["models"]] == [TINY]
    assert "q4f16" in listing["models"][0]["variants"]
    assert listing["models"][0]["size"] == result["totalBytes"]

    host = hostproc.HostProcess(ws.env)
    try:
        reply = host.call("list_models")
        assert reply["status"] == "success"
        models = reply["payload"]["models"]
        assert [m["repo"] for m in models] == [TINY]
        assert models[0]["size"] == result["totalBytes"]
        # The same document shape: the host's payload and ModelCache.list_models() agree.
        ours = cache.list_models()["models"]
        assert ours[0]["variants"] == models[0]["variants"]
    finally:
        host.close()


def test_a_download_by_the_cli_is_read_from_python(ws: Workspace, cache: ModelCache) -> None:
    doc = cli_json(ws, "download", TINY, "q4f16")
    path = cache.get_file_path(TINY, "onnx/model_q4f16.onnx")
    local = {f["path"]: f["localPath"] for f in doc["files"]}
    assert str(path) == local["onnx/model_q4f16.onnx"]
    assert cache.download_quant(TINY, "q4f16")["cached"]


def test_a_partial_left_by_the_cli_resumes_from_python(hub: Hub, ws: Workspace) -> None:
    rule = hub.hub.hold("model.safetensors", after_bytes=1 << 20)
    proc = subprocess.Popen([CLI, "download", BIG, "--file", "model.safetensors", "--json"], env=ws.env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        blobs = ws.cache / ("models--" + BIG.replace("/", "--")) / "blobs"

        def partial_has_bytes() -> bool:
            return any(p.name.endswith(".incomplete") and p.stat().st_size >= (1 << 20)
                       for p in (blobs.iterdir() if blobs.is_dir() else []))
        wait_until(partial_has_bytes, "the CLI's partial")
    finally:
        proc.kill()  # kill -9: the journal and the partial stay
        proc.wait()
    hub.hub.remove_fault(rule)
    journal = list((ws.home / "jobs").glob("*.json"))
    assert journal, "the CLI journaled its job"

    with ModelCache() as cache:
        jobs = cache.list_downloads()
        assert [j["status"] for j in jobs] == ["paused"]
        result = cache.download_file(BIG, "model.safetensors")
        assert result["jobId"] == jobs[0]["jobId"]  # the CLI's job, joined and resumed
        assert result["status"] == "done"
    ranges: List[str] = [r.get("range", "") for r in hub.hub.requests() if r.get("endpoint") == "cdn"]
    assert any(r.startswith("bytes=%d-" % (1 << 20)) or (r.startswith("bytes=") and not r.startswith("bytes=0-"))
               for r in ranges), ranges


def test_a_download_python_left_after_kill_9_resumes_in_the_cli(hub: Hub, ws: Workspace) -> None:
    rule = hub.hub.hold("model.safetensors", after_bytes=1 << 20)
    script = ("from tabagent_cache import ModelCache\n"
              "cache = ModelCache()\n"
              "job = cache.start_download_files(%r, ['model.safetensors'])\n"
              "for event in cache.iter_events(job):\n"
              "    if event['loaded'] > 0:\n"
              "        print(job, flush=True)\n"
              "        break\n"
              "import time\n"
              "time.sleep(3600)\n" % BIG)
    proc = subprocess.Popen([sys.executable, "-c", script], env=ws.env, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        job = proc.stdout.readline().strip()  # the job is transferring
    finally:
        proc.kill()  # kill -9
        proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
    hub.hub.remove_fault(rule)
    doc = cli_json(ws, "download", BIG, "--file", "model.safetensors")
    assert doc["jobId"] == job and doc["status"] == "done"
