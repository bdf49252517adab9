"""The integration modules (tests/integration/test_*.py) against the Windows executables under Wine.

Usage: python3 tests/windows/run_integration.py --host tabagent-host.exe --cli tabagent-cache.exe
           --fakehub fakehub --fakehub-gen fakehub-gen [--skip tests/windows/integration-skip.txt]
           module [module...]
The modules read the binaries from the environment as CTest hands them (TABAGENT_HOST,
TABAGENT_CLI, FAKEHUB, FAKEHUB_GEN; tests/integration/CMakeLists.txt); a binary ending in ".exe"
is started through wine with Windows paths (tests/integration/target.py). The cases the skip file
names (`module.Class.test  # reason`) are reported as skipped with their reason, not left out
silently. Exit status 0 when every case that ran passed.
"""
import argparse
import importlib
import os
import pathlib
import subprocess
import sys
import time
import unittest

ROOT = pathlib.Path(__file__).resolve().parents[2]
INTEGRATION = ROOT / "tests/integration"


def read_skips(path):
    """{"module.Class.test": reason} from lines `id  # reason` (comment-only lines are ignored)."""
    skips = {}
    for line in pathlib.Path(path).read_text().splitlines():
        name, _, reason = line.partition("#")
        if name.strip():
            skips[name.strip()] = reason.strip() or "listed in " + str(path)
    return skips


def apply_skips(skips, modules):
    for test_id, reason in skips.items():
        module_name, class_name, method = test_id.split(".")
        if module_name not in modules:
            continue
        cls = getattr(importlib.import_module(module_name), class_name)
        setattr(cls, method, unittest.skip("under Wine: " + reason)(getattr(cls, method)))


def start_keeper(exe):
    """A Windows process that lives for the whole run (cmd.exe waiting on its stdin). Without it each
    test's first program starts Wine's system processes again (seconds each on a loaded machine),
    and those inherit that program's pipes (tests/integration/hostproc.py: drain)."""
    sys.path.insert(0, str(INTEGRATION))
    import target
    keeper = subprocess.Popen(target.command("cmd.exe", "/q", "/k", "echo tabagent-keeper-ready"),
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              env=target.target_env(dict(os.environ), exe))
    for line in keeper.stdout:
        if b"tabagent-keeper-ready" in line:
            return keeper
    raise RuntimeError("wine cmd.exe ended before it was ready")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", required=True)
    ap.add_argument("--cli", required=True)
    ap.add_argument("--fakehub", required=True)
    ap.add_argument("--fakehub-gen", required=True)
    ap.add_argument("--skip", default=str(ROOT / "tests/windows/integration-skip.txt"))
    ap.add_argument("modules", nargs="+")
    args = ap.parse_args()
    os.environ.update(TABAGENT_HOST=str(pathlib.Path(args.host).resolve()),
                      TABAGENT_CLI=str(pathlib.Path(args.cli).resolve()),
                      FAKEHUB=str(pathlib.Path(args.fakehub).resolve()),
                      FAKEHUB_GEN=str(pathlib.Path(args.fakehub_gen).resolve()))
    os.chdir(INTEGRATION)  # as CTest runs them (WORKING_DIRECTORY)
    sys.path.insert(0, str(INTEGRATION))
    apply_skips(read_skips(args.skip), {name.split(".")[0] for name in args.modules})
    keeper = start_keeper(args.host)
    ok = True
    for name in args.modules:
        start = time.monotonic()
        suite = unittest.defaultTestLoader.loadTestsFromName(name)
        result = unittest.TextTestRunner(verbosity=2, stream=sys.stdout).run(suite)
        print("=== %s: %d run, %d skipped, %d failed, %d errors, %.0f s" % (
            name, result.testsRun, len(result.skipped), len(result.failures), len(result.errors),
            time.monotonic() - start), flush=True)
        ok = ok and result.wasSuccessful()
    keeper.stdin.close()  # cmd.exe exits at EOF
    keeper.wait()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
