"""Fixtures: the fake hub (tests/fakehub, built by the ci preset) with a few generated repos, and
a fresh cache + data dir per test with the environment the CLI tests use (tests/integration)."""
from __future__ import annotations

import os
import pathlib
import sys
import tempfile
from typing import Iterator

import pytest

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "tests" / "fakehub"))

from fakehub import FakeHub, generate  # type: ignore[import]  # noqa: E402

from tabagent_cache import ModelCache  # noqa: E402

BUILD = pathlib.Path(os.environ.get("TABAGENT_BUILD", ROOT / "build" / "ci"))
FAKEHUB = os.environ.get("FAKEHUB", str(BUILD / "tests/fakehub/fakehub"))
FAKEHUB_GEN = os.environ.get("FAKEHUB_GEN", str(BUILD / "tests/fakehub/fakehub-gen"))
CLI = os.environ.get("TABAGENT_CLI", str(BUILD / "src/cli/tabagent-cache"))
HOST = os.environ.get("TABAGENT_HOST", str(BUILD / "src/host/tabagent-host"))

TINY = "onnx-community/Tiny"
GGUF = "bartowski/Small-GGUF"
GATED = "meta-org/Gated"
BIG = "test-org/Big"  # one file large enough to be held mid-transfer
TOKEN = "hf_good_token"


class Hub:
    def __init__(self, hub: FakeHub, root: pathlib.Path) -> None:
        self.hub = hub
        self.root = root
        self.url: str = hub.url


@pytest.fixture(scope="session")
def hub() -> Iterator[Hub]:
    with tempfile.TemporaryDirectory(prefix="tabagent-py-hub-") as root:
        generate(FAKEHUB_GEN, root, TINY, preset="onnx", scale=0.25)
        generate(FAKEHUB_GEN, root, GGUF, preset="gguf", scale=0.25)
        generate(FAKEHUB_GEN, root, GATED, preset="gguf", scale=0.1, gated=True)
        generate(FAKEHUB_GEN, root, BIG, files={"model.safetensors": "8M", "config.json": "1K"})
        server = FakeHub(FAKEHUB, root, tokens=[TOKEN]).start()
        try:
            yield Hub(server, pathlib.Path(root))
        finally:
            server.stop()


@pytest.fixture(autouse=True)
def _clear_faults(hub: Hub) -> Iterator[None]:
    yield
    hub.hub.clear_faults()


class Workspace:
    def __init__(self, root: pathlib.Path, endpoint: str) -> None:
        self.root = root
        self.home = root / "home"
        self.cache = root / "cache"
        self.home.mkdir()
        self.cache.mkdir()
        self.endpoint = endpoint
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "TABAGENT_"))}
        self.env.update(TABAGENT_HOME=str(self.home), TABAGENT_CACHE=str(self.cache), HF_ENDPOINT=endpoint,
                        TABAGENT_AUTO_RESUME="0", HOME=str(self.home), NO_COLOR="1",
                        # A `hold` keeps a connection silent until the test acts; on a loaded CI
                        # machine that can outlast the 10 s stall detector, which would then retry
                        # and fail the job before the test's cancel/pause/Ctrl-C is seen.
                        TABAGENT_STALL_TIMEOUT_MS="600000")


@pytest.fixture()
def ws(hub: Hub, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    """A fresh cache and data dir; the process environment points at them and the fake hub."""
    workspace = Workspace(tmp_path, hub.url)
    for key in list(os.environ):
        if key.startswith(("HF_", "TABAGENT_")):
            monkeypatch.delenv(key)
    for key, value in workspace.env.items():
        monkeypatch.setenv(key, value)
    return workspace


@pytest.fixture()
def cache(ws: Workspace) -> Iterator[ModelCache]:
    with ModelCache() as c:
        yield c
