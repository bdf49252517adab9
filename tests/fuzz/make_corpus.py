#!/usr/bin/env python3
"""Seed corpus for fuzz_host, and crash -> replay fixture.

    make_corpus.py OUT_DIR                 every tests/replay/cases/*.in as one framed stream, plus
                                           a few streams that reach the fuzzer's planted cache
    make_corpus.py --to-replay CRASH NAME  writes tests/replay/cases/fuzz_NAME.in (raw bytes);
                                           then run run_replay.py --update and check the output
"""
import json
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
CASES = HERE.parent / "replay" / "cases"
sys.path.insert(0, str(HERE.parent / "replay"))
import nmframe  # noqa: E402

# The fuzzer's cache holds org/tiny (config.json, onnx/model.onnx) and org/evil (links that lead
# outside the cache: secret.bin, rel.bin, dir/secret, blob.bin).
EXTRA = {
    "tiny_reads": [
        {"action": "has_file", "messageId": 1, "repo": "org/tiny", "file": "config.json"},
        {"action": "get_file", "messageId": 2, "repo": "org/tiny", "file": "onnx/model.onnx", "offset": 100, "length": 50},
        {"action": "get_file_path", "messageId": 3, "repo": "org/tiny", "file": "onnx/model.onnx"},
        {"action": "get_manifest", "messageId": 4, "repo": "org/tiny", "format": "extension"},
        {"action": "list_models", "messageId": 5},
        {"action": "get_stats", "messageId": 6},
    ],
    "evil_reads": [
        {"action": "get_file", "messageId": "a", "repo": "org/evil", "file": f}
        for f in ("secret.bin", "rel.bin", "dir/secret", "blob.bin", "../outside/secret")
    ] + [{"action": "has_file", "request_id": "b", "repo": "org/evil", "file": "dir/secret", "revision": "main"},
         {"action": "load_model", "messageId": "c", "modelPath": "org/evil/secret.bin"}],
    "jobs": [
        {"action": "download_file", "messageId": 1, "repo": "org/tiny", "file": "config.json"},
        {"action": "download_quant", "messageId": 2, "repo": "org/tiny", "quant": "fp32"},
        {"action": "pull_model", "messageId": 3, "model_id": "org/tiny/onnx/model.onnx"},
        {"action": "verify", "messageId": 4, "repo": "org/tiny"},
        {"action": "list_downloads", "messageId": 5},
        {"action": "pause_download", "messageId": 6, "jobId": "j_0"},
        {"action": "cancel_download", "messageId": 7, "jobId": "j_0"},
    ],
    "mutating": [
        {"action": "set_hf_token", "messageId": 1, "token": "hf_fuzz"},
        {"action": "get_hf_token_status", "messageId": 2},
        {"action": "clean", "messageId": 3, "maxBytes": 0, "dryRun": True},
        {"action": "delete_model", "messageId": 4, "repo": "org/tiny", "quant": "fp32"},
        {"action": "delete_model", "messageId": 5, "model_id": "org/tiny"},
        {"action": "clear_hf_token", "messageId": 6},
        {"action": "get_logs", "messageId": 7, "lines": "5"},
    ],
}


def make_corpus(out):
    out.mkdir(parents=True, exist_ok=True)
    n = 0
    for case in sorted(CASES.glob("*.in")):
        (out / f"replay_{case.stem}").write_bytes(nmframe.encode(case.read_text()))
        n += 1
    for name, reqs in EXTRA.items():
        (out / f"seed_{name}").write_bytes(b"".join(nmframe.frame(json.dumps(r).encode()) for r in reqs))
        n += 1
    print(f"{n} seed streams in {out}")


def to_replay(crash, name):
    data = pathlib.Path(crash).read_bytes()
    lines = [f"# found by fuzz_host ({pathlib.Path(crash).name}); raw input bytes"]
    lines += ["!bytes " + data[i:i + 64].hex() for i in range(0, len(data), 64)]
    target = CASES / f"fuzz_{name}.in"
    target.write_text("\n".join(lines) + "\n")
    print(f"wrote {target}; now: run_replay.py --host ... --update, check fuzz_{name}.expected by hand")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--to-replay":
        to_replay(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 2:
        make_corpus(pathlib.Path(sys.argv[1]))
    else:
        sys.exit(__doc__)
