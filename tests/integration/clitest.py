"""Helpers for the tabagent-cache tests: run the CLI in a clean environment, parse its JSON."""
import json
import os
import pathlib
import subprocess
import sys
import tempfile

import target

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "fakehub"))

BUILD = HERE.parents[1] / "build/ci"
CLI = os.environ.get("TABAGENT_CLI", str(BUILD / "src/cli/tabagent-cache"))
FAKEHUB = os.environ.get("FAKEHUB", str(BUILD / "tests/fakehub/fakehub"))
FAKEHUB_GEN = os.environ.get("FAKEHUB_GEN", str(BUILD / "tests/fakehub/fakehub-gen"))
SANITIZED = bool(os.environ.get("TABAGENT_SANITIZED"))


def clean_env(home, cache, endpoint="http://127.0.0.1:9", **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "TABAGENT_"))}
    env.update(TABAGENT_HOME=str(home), TABAGENT_CACHE=str(cache), HF_ENDPOINT=endpoint,
               TABAGENT_AUTO_RESUME="0", HOME=str(home), NO_COLOR="1")
    env.update({k: str(v) for k, v in extra.items()})
    return env


class Workspace:
    """A fresh data dir + cache per test, and a runner for the CLI against them."""

    def __init__(self, test, endpoint):
        tmp = tempfile.TemporaryDirectory(prefix="tabagent-cli-")
        test.addCleanup(tmp.cleanup)
        self.root = pathlib.Path(tmp.name)
        self.home = self.root / "home"
        self.cache = self.root / "cache"
        self.home.mkdir()
        self.cache.mkdir()
        self.env = clean_env(self.home, self.cache, endpoint)
        self.test = test

    def run(self, *args, timeout=120, stdin=subprocess.DEVNULL, env=None):
        return subprocess.run(target.command(CLI, *args), capture_output=True, text=True, timeout=timeout,
                              stdin=stdin, env=target.target_env(env or self.env, CLI))

    def json(self, *args, expect=0, **kw):
        """Runs with --json; asserts the exit code and that stdout is exactly one JSON document."""
        out = self.run(*args, "--json", **kw)
        self.test.assertNotIn("Traceback", out.stderr)
        self.test.assertEqual(out.returncode, expect, "exit %d, stderr: %s\nstdout: %s" %
                              (out.returncode, out.stderr[-2000:], out.stdout[-2000:]))
        doc = json.loads(out.stdout)  # raises on anything but one document
        return doc

    def repo_dir(self, repo):
        return self.cache / ("models--" + repo.replace("/", "--"))
