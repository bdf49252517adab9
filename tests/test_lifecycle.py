"""Closing: a with-block's end stops the jobs and threads and keeps the running download
resumable; a process that exits without closing ends cleanly too."""
from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import threading

from conftest import BIG, Hub, Workspace
from tabagent_cache import ModelCache, ProgressEvent


def test_closing_mid_download_keeps_it_resumable(hub: Hub, ws: Workspace) -> None:
    threads_before = threading.active_count()
    rule = hub.hub.hold("model.safetensors", after_bytes=512 * 1024)
    moving = threading.Event()
    with ModelCache() as cache:
        job = cache.start_download_files(BIG, ["model.safetensors"])
        for event in cache.iter_events(job):
            if event["loaded"] > 0:
                break
    assert threading.active_count() == threads_before
    hub.hub.remove_fault(rule)

    def progress(event: ProgressEvent) -> None:
        moving.set()

    with ModelCache() as cache:
        assert [(j["jobId"], j["status"]) for j in cache.list_downloads()] == [(job, "paused")]
        result = cache.download_file(BIG, "model.safetensors", progress=progress)
        assert result["jobId"] == job and result["status"] == "done"
    assert moving.is_set()


def test_exit_without_close_during_a_download(hub: Hub, ws: Workspace) -> None:
    rule = hub.hub.hold("model.safetensors", after_bytes=512 * 1024)
    script = textwrap.dedent("""
        from tabagent_cache import ModelCache
        cache = ModelCache()
        job = cache.start_download_files("%s", ["model.safetensors"])
        for event in cache.iter_events(job):
            if event["loaded"] > 0:
                break
        print(job)
    """ % BIG)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=ws.env, timeout=120)
    hub.hub.remove_fault(rule)
    assert out.returncode == 0, out.stderr
    with ModelCache() as cache:
        assert [j["jobId"] for j in cache.list_downloads()] == [out.stdout.strip()]


def test_ctrl_c_during_a_blocking_download_pauses_the_job(hub: Hub, ws: Workspace) -> None:
    rule = hub.hub.hold("model.safetensors", after_bytes=512 * 1024)
    script = textwrap.dedent("""
        import signal, sys
        from tabagent_cache import ModelCache
        # A process started in the background by a non-interactive shell (CI scripts) inherits
        # SIGINT ignored, and Python then installs no KeyboardInterrupt handler: install it.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        def progress(event):
            if event["loaded"] > 0:
                print("moving", flush=True)
        with ModelCache() as cache:
            try:
                cache.download_file("%s", "model.safetensors", progress=progress)
            except KeyboardInterrupt:
                print(cache.list_downloads()[0]["status"], flush=True)
    """ % BIG)
    proc = subprocess.Popen([sys.executable, "-c", script], env=ws.env, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "moving"
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    hub.hub.remove_fault(rule)
    assert proc.returncode == 0
    assert out.split()[-1] == "paused"
    with ModelCache() as cache:
        assert cache.download_file(BIG, "model.safetensors")["status"] == "done"
