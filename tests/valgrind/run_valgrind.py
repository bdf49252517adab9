#!/usr/bin/env python3
"""Runs tabagent-host under valgrind over a generated stream of 1 000 requests (ping, handshake,
list_models, has_file, get_file, get_manifest, bad frames) including 50 download_file jobs of small
files from a fake hub, waiting (like the replay runner's !await) until the downloads finish.
Fails on any valgrind error or definite/indirect leak, a missing or duplicated reply, or a job that
did not end in `done`."""
import argparse
import json
import os
import pathlib
import random
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "replay"))
sys.path.insert(0, str(HERE.parent / "fakehub"))
import nmframe  # noqa: E402
from run_replay import run_host  # noqa: E402
import fakehub as fh  # noqa: E402

ORIGIN = "chrome-extension://fkkeoobeahalebjpbockfedlncckobjb/"
REPO = "org/valgrind"
DOWNLOADS = 50
REQUESTS = 1000
BAD_FRAMES = ["!raw {not json", "!hex 7b22ff22 3a 317d", "!nest 300", "!empty", "!raw [1,2,3]",
              '{"action": 5, "messageId": "bad-action"}', '{"messageId": "no-action"}',
              '{"action": "no_such_action", "messageId": "unknown"}']


def build_stream(files, rng):
    """Two phases split by !await: downloads mixed with light requests, then reads of what arrived."""
    lines, n = [], 0

    def req(action, **fields):
        nonlocal n
        n += 1
        lines.append(json.dumps({"action": action, "messageId": f"m{n}", **fields}))

    light = [lambda: req("ping"), lambda: req("handshake"), lambda: req("list_models"),
             lambda: req("get_manifest", repo=REPO), lambda: req("get_stats"),
             lambda: req("has_file", repo=REPO, file=rng.choice(files))]
    req("handshake")
    for f in files:
        req("download_file", repo=REPO, file=f)
        for _ in range(4):
            rng.choice(light)()
    lines.append("!await")
    while n < REQUESTS - 2 * len(BAD_FRAMES):
        kind = rng.random()
        f = rng.choice(files)
        if kind < 0.3:
            req("get_file", repo=REPO, file=f, offset=rng.randrange(0, 20000), length=rng.randrange(1, 9000))
        elif kind < 0.5:
            req("has_file", repo=REPO, file=f)
        elif kind < 0.6:
            req("get_file_path", repo=REPO, file=f)
        else:
            rng.choice(light)()
    for bad in BAD_FRAMES * 2:  # bad frames count as requests too: each gets one error reply
        lines.append(bad)
    while n < REQUESTS - 2 * len(BAD_FRAMES):
        req("ping")
    lines.append("!await")
    return lines, n


def expected_replies(lines):
    return sum(1 for l in lines if l.strip() and l.strip() != "!await")


def run(args):
    rng = random.Random(8)
    with tempfile.TemporaryDirectory(prefix="valgrind-") as tmp:
        tmp = pathlib.Path(tmp)
        files = {f"f{i:02d}.bin": str(rng.choice([3000, 9000, 20000, 70000])) for i in range(DOWNLOADS)}
        fh.generate(args.fakehub_gen, tmp / "hub", REPO, files=files)
        (tmp / "home").mkdir()
        (tmp / "cache").mkdir()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "TABAGENT_"))}
        env.update(TABAGENT_HOME=str(tmp / "home"), TABAGENT_CACHE=str(tmp / "cache"), HOME=str(tmp),
                   TABAGENT_AUTO_RESUME="0", TABAGENT_MAX_JOBS="4")
        lines, _ = build_stream(sorted(files), rng)
        want = expected_replies(lines)
        log = tmp / "valgrind.log"
        with fh.FakeHub(args.fakehub, tmp / "hub") as hub:
            env["HF_ENDPOINT"] = hub.url
            argv = [args.valgrind, "--error-exitcode=99", "--leak-check=full",
                    "--errors-for-leak-kinds=definite,indirect", "--show-leak-kinds=definite,indirect",
                    "--fair-sched=yes", f"--log-file={log}", args.host, ORIGIN]
            started = time.monotonic()
            run = run_host(argv, "\n".join(lines), env, await_seconds=args.timeout, exit_seconds=120)
            out, rc, err = run.stdout, run.returncode, run.stderr
            took = time.monotonic() - started
        report = log.read_text(errors="replace") if log.exists() else ""
    frames, rest = nmframe.decode(out)
    problems = []
    if rest:
        problems.append(f"partial frame at the end ({len(rest)} bytes)")
    replies = [f for f in frames if "type" not in f]
    requests = [json.loads(l) for l in lines if l.startswith("{")]
    actions = {r["messageId"]: r["action"] for r in requests if str(r.get("messageId", "")).startswith("m")}
    ids = [f.get("messageId") for f in replies if f.get("messageId") in actions]
    if len(replies) != want:
        problems.append(f"{len(replies)} replies for {want} requests")
    if len(ids) != len(set(ids)) or len(ids) != len(actions):
        problems.append("a request was answered twice")
    jobs = {f["payload"]["jobId"] for f in replies if isinstance(f.get("payload"), dict) and "jobId" in f["payload"]}
    done = {f["jobId"] for f in frames if f.get("type") == "modelWorkerLoadingProgress"
            and f["payload"]["status"] == "done"}
    if len(jobs) != DOWNLOADS or jobs != done:
        problems.append(f"{len(jobs)} jobs, {len(jobs & done)} done")
    # get_manifest before the first download finished: the repo is not known yet.
    errors = [f for f in replies if f.get("status") == "error" and f["error"]["code"] not in
              ("BAD_REQUEST", "UNKNOWN_ACTION")
              and not (f["error"]["code"] == "NOT_FOUND" and actions.get(f.get("messageId")) == "get_manifest")]
    if errors:
        problems.append(f"unexpected error replies: {errors[:3]}")
    if rc != 0:
        problems.append(f"exit code {rc} (99 = valgrind found errors or leaks)")
    summary = [l for l in report.splitlines() if "ERROR SUMMARY" in l or "definitely lost" in l
               or "indirectly lost" in l]
    print(f"valgrind: {want} requests, {len(jobs)} downloads, {len(replies)} replies in {took:.0f} s")
    print("\n".join(summary))
    if problems:
        print("\n".join(problems))
        print(report[-6000:])
        print(err.decode(errors="replace")[-2000:])
        return 1
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--host", required=True)
    p.add_argument("--fakehub", required=True)
    p.add_argument("--fakehub-gen", required=True)
    p.add_argument("--valgrind", default="valgrind")
    p.add_argument("--timeout", type=float, default=900)
    sys.exit(run(p.parse_args()))


if __name__ == "__main__":
    main()
