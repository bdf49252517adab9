#!/usr/bin/env python3
"""Replays framed fixtures against the real tabagent-host binary.

Each case is tests/replay/cases/<name>.in (readable lines, see nmframe.py) with the expected,
normalised output frames in <name>.expected (one JSON object per line). Optional files:
  <name>.args      JSON array of arguments (default: the TabAgent origin)
  <name>.exit      expected exit code (default 0)
  <name>.env       JSON object of extra environment variables
  <name>.setup     JSON: {"repos":[{"repo":..,"preset":..,"files":[..]}], "cache":[{"repo":..,"files":[..]}]}
                   repos are generated on a fake hub started for the case; "cache" repos are
                   downloaded into the cache before the case runs (needs --fakehub).
Volatile fields (pid, version, machine facts, timestamps, temp paths) are normalised.
Frames are compared per request (replies in input order, then events per job).
Run with --update to rewrite the .expected files after checking the diff by hand.
"""
import argparse
import json
import os
import pathlib
import select
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "fakehub"))
sys.path.insert(0, str(HERE.parent / "integration"))
import nmframe  # noqa: E402
import target  # noqa: E402  (native, or a Windows .exe under Wine)

TABAGENT_ORIGIN = "chrome-extension://fkkeoobeahalebjpbockfedlncckobjb/"
VOLATILE = {
    "commit", "sha", "created_at", "last_access",
    "pid", "version", "os", "arch", "cpu", "cpu_cores", "ram", "ram_available", "gpu", "vram",
    "cache_disk_free", "disk_free", "total_lines", "created_at", "updated_at", "last_updated",
    "last_access", "last_modified", "bytesPerSecond", "etaSeconds", "elapsedSeconds", "uptime",
    # camelCase twins of the legacy names above (docs/PROTOCOL.md, "Field names")
    "lastAccess", "lastModified", "diskFree",
}
HOST_BINARY = [""]  # set by main(): paths a Windows host reports are compared in Unix form
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "runtime error:", "ERROR: LeakSanitizer",
                   "WARNING: ThreadSanitizer")


def normalise(value, paths, key=None):
    if key in VOLATILE and value is not None:
        return "<volatile>"
    if key == "lines" and isinstance(value, list):
        return "<log lines>"
    if isinstance(value, dict):
        return {k: normalise(v, paths, k) for k, v in value.items()}
    if isinstance(value, list):
        return [normalise(v, paths) for v in value]
    if isinstance(value, str):
        value = target.from_target_path(value, HOST_BINARY[0])
        for real, token in paths:
            value = value.replace(real, token)
        return value
    return value


def order_key(frame, ids):
    if "type" in frame:  # events after replies, grouped by the request that started the job
        rid = frame.get("requestId")
        return (1, ids.index(rid) if rid in ids else len(ids), frame.get("type") != "modelWorkerLoadingProgress")
    mid = frame.get("messageId", frame.get("request_id"))
    return (0, ids.index(mid) if mid in ids else len(ids), False)


def request_ids(text):
    ids = []
    for line in text.splitlines():
        if line.startswith("{"):
            obj = json.loads(line)
            if isinstance(obj, dict):
                ids.append(obj.get("messageId", obj.get("request_id")))
    return ids


def run_case(case: pathlib.Path, args) -> list:
    problems = []
    text = case.read_text()
    stem = case.with_suffix("")
    argv_file, exit_file, env_file = (stem.with_suffix(s) for s in (".args", ".exit", ".env"))
    argv = json.loads(argv_file.read_text()) if argv_file.exists() else [TABAGENT_ORIGIN]
    want_exit = int(exit_file.read_text()) if exit_file.exists() else 0
    with tempfile.TemporaryDirectory(prefix="replay-") as tmp:
        home, cache = pathlib.Path(tmp, "home"), pathlib.Path(tmp, "cache")
        home.mkdir()
        cache.mkdir()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "TABAGENT_"))}
        env.update(TABAGENT_HOME=str(home), TABAGENT_CACHE=str(cache), HOME=tmp,
                   HF_ENDPOINT="http://127.0.0.1:9", TABAGENT_AUTO_RESUME="0")
        if env_file.exists():
            env.update({k: str(v).replace("{tmp}", tmp) for k, v in json.loads(env_file.read_text()).items()})
        hub = None
        setup_file = stem.with_suffix(".setup")
        if setup_file.exists():
            hub = start_setup(json.loads(setup_file.read_text()), pathlib.Path(tmp), env, args)
        try:
            # No bound on how long a case takes: run_host's waits (60 s per !await, 30 s for the
            # exit) only catch a hang. Start-up and reply latencies live in bench/.
            proc = run_host([args.host, *argv], text, env)
        finally:
            if hub:
                hub.__exit__(None, None, None)
        frames, rest = nmframe.decode(proc.stdout)
        if rest:
            problems.append(f"partial frame on stdout ({len(rest)} bytes)")
        if proc.returncode != want_exit:
            problems.append(f"exit code {proc.returncode}, expected {want_exit}")
        stderr = proc.stderr.decode("utf-8", "replace")
        if any(m in stderr for m in SANITIZER_MARKS):
            problems.append("sanitizer report on stderr:\n" + stderr[-4000:])
        paths = [(str(cache), "<cache>"), (str(home), "<home>"), (tmp, "<tmp>")]
        if hub:
            paths.insert(0, (hub.url, "<hub>"))
        ids = request_ids(text)
        # Progress counts depend on timing; initiate and the terminal event do not.
        frames = [f for f in frames if not (f.get("type") == "modelWorkerLoadingProgress"
                                            and f["payload"]["status"] in ("progress", "queued"))]
        actual = [normalise(f, paths) for f in frames]
        actual.sort(key=lambda f: order_key(f, ids))
        job_names = {}
        for f in actual:
            for holder in (f, f.get("payload") if isinstance(f.get("payload"), dict) else {}):
                if isinstance(holder.get("jobId"), str):
                    holder["jobId"] = job_names.setdefault(holder["jobId"], f"<job{len(job_names) + 1}>")
        expected_file = stem.with_suffix(".expected")
        lines = [json.dumps(f, sort_keys=True) for f in actual]
        if args.update:
            expected_file.write_text("\n".join(lines) + "\n")
        else:
            expected = [json.dumps(json.loads(l), sort_keys=True)
                        for l in expected_file.read_text().splitlines() if l.strip()]
            if expected != lines:
                problems.append("output differs:\n  expected:\n    " + "\n    ".join(expected) +
                                "\n  actual:\n    " + "\n    ".join(lines))
    return problems


class Finished:
    def __init__(self, returncode, stdout, stderr):
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


def run_host(argv, text, env, await_seconds=60, exit_seconds=30):
    """Feeds the fixture to the host. `!await` waits (up to await_seconds) until every request so
    far is answered and every job started so far has sent its terminal event (the host would
    otherwise stop the jobs at EOF), then feeding goes on."""
    env = target.target_env(env, argv[0])
    argv = target.command(argv[0], *argv[1:])
    if "!await" not in text:
        p = subprocess.run(argv, input=nmframe.encode(text), env=env, capture_output=True, timeout=exit_seconds)
        return Finished(p.returncode, p.stdout, p.stderr)
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    out = b""
    sent = set()
    for line in text.splitlines():
        if line.strip() != "!await":
            if line.startswith("{"):
                sent.add(json.loads(line).get("messageId"))
            proc.stdin.write(nmframe.encode_line(line))
            proc.stdin.flush()
            continue
        deadline = time.monotonic() + await_seconds
        while time.monotonic() < deadline:
            frames, _ = nmframe.decode(out)
            replied = {f.get("messageId") for f in frames if "type" not in f}
            jobs = {f["payload"]["jobId"] for f in frames if "type" not in f and isinstance(f.get("payload"), dict)
                    and "jobId" in f["payload"]}
            ended = {f["jobId"] for f in frames if f.get("type") == "modelWorkerLoadingProgress"
                     and f["payload"]["status"] in ("done", "error", "cancelled")}
            if sent <= replied and jobs <= ended:
                break
            r, _, _ = select.select([proc.stdout], [], [], 0.5)
            if r:
                chunk = os.read(proc.stdout.fileno(), 1 << 20)
                if not chunk:
                    break
                out += chunk
    proc.stdin.close()
    rest = proc.stdout.read()
    err = proc.stderr.read()
    proc.wait(timeout=exit_seconds)
    proc.stdout.close()
    proc.stderr.close()
    return Finished(proc.returncode, out + rest, err)


def start_setup(setup, tmp: pathlib.Path, env, args):
    if not args.fakehub:
        raise SystemExit("this case needs --fakehub")
    import fakehub as fh  # tests/fakehub/fakehub.py
    root = tmp / "hub"
    for repo in setup.get("repos", []):
        fh.generate(args.fakehub_gen, root, **repo)
    hub = fh.FakeHub(args.fakehub, root).__enter__()
    env["HF_ENDPOINT"] = hub.url
    for item in setup.get("cache", []):
        lines = [json.dumps({"action": "download_quant" if "quant" in item else "download_file",
                             "messageId": "setup", "repo": item["repo"],
                             **({"quant": item["quant"]} if "quant" in item else {"file": item["files"][0]})}),
                 "!await"]
        run_host([args.host, TABAGENT_ORIGIN], "\n".join(lines), env)
    return hub


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", required=True)
    ap.add_argument("--fakehub")
    ap.add_argument("--fakehub-gen")
    ap.add_argument("--cases", default=str(HERE / "cases"))
    ap.add_argument("--update", action="store_true")
    ap.add_argument("only", nargs="*")
    args = ap.parse_args()
    HOST_BINARY[0] = args.host
    cases = sorted(pathlib.Path(args.cases).glob("*.in"))
    if args.only:
        cases = [c for c in cases if c.stem in args.only]
    passed = failed = 0
    for case in cases:
        problems = run_case(case, args)
        if problems:
            failed += 1
            print(f"FAIL {case.stem}")
            for p in problems:
                print("  " + p)
        else:
            passed += 1
            print(f"ok   {case.stem}")
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed or not cases else 0)


if __name__ == "__main__":
    main()
