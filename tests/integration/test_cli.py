"""tabagent-cache against the fake hub: every subcommand, its JSON shape and its exit code."""
import json
import os
import pty
import select
import signal
import subprocess
import tempfile
import time
import unittest

from clitest import CLI, FAKEHUB, FAKEHUB_GEN, SANITIZED, Workspace
from fakehub import FakeHub, generate

TINY = "onnx-community/Tiny"
GGUF = "bartowski/Small-GGUF"
GATED = "meta-org/Gated"
TOKEN = "hf_good_token"


class CliAgainstFakeHub(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="tabagent-cli-hub-")
        root = cls.tmp.name
        generate(FAKEHUB_GEN, root, TINY, preset="onnx", scale=0.25)
        generate(FAKEHUB_GEN, root, GGUF, preset="gguf", scale=0.25)
        generate(FAKEHUB_GEN, root, GATED, preset="gguf", scale=0.1, gated=True)
        cls.hub = FakeHub(FAKEHUB, root, tokens=[TOKEN]).start()

    @classmethod
    def tearDownClass(cls):
        cls.hub.stop()
        cls.tmp.cleanup()

    def setUp(self):
        self.ws = Workspace(self, self.hub.url)

    # -- list / stats on an empty cache ---------------------------------------------------------
    def test_list_and_stats_on_an_empty_cache(self):
        doc = self.ws.json("list")
        self.assertEqual(doc["models"], [])
        self.assertEqual(doc["cacheRoot"], str(self.ws.cache))
        out = self.ws.run("list")
        self.assertEqual(out.returncode, 0)
        self.assertIn("No models", out.stdout)
        stats = self.ws.json("stats")
        self.assertEqual(stats["total_repos"], 0)
        self.assertEqual(stats["total_size"], 0)
        self.assertIsInstance(stats["disk_free"], int)
        # One naming rule (docs/PROTOCOL.md): camelCase, legacy snake_case names kept beside their twins.
        for camel, legacy in (("cacheRoot", "cache_root"), ("totalRepos", "total_repos"),
                              ("totalSize", "total_size"), ("diskFree", "disk_free"),
                              ("partialBytes", "partial_bytes")):
            self.assertEqual(stats[camel], stats[legacy], camel)
        self.assertEqual(stats["cacheRoot"], str(self.ws.cache))
        self.assertEqual(doc["cache_root"], doc["cacheRoot"])

    # -- scan -------------------------------------------------------------------------------------
    def test_scan_lists_variants_and_recommends_one(self):
        doc = self.ws.json("scan", TINY)
        self.assertEqual(doc["repo"], TINY)
        self.assertRegex(doc["commit"], r"^[0-9a-f]{40}$")
        names = [v["name"] for v in doc["variants"]]
        for v in ("fp32", "fp16", "q4f16", "q4", "int8", "uint8", "bnb4", "quantized"):
            self.assertIn(v, names)
        self.assertEqual(doc["recommended"], "q4f16")
        self.assertIn("config.json", doc["common"]["files"])
        q4f16 = next(v for v in doc["variants"] if v["name"] == "q4f16")
        self.assertEqual(q4f16["files"], ["onnx/model_q4f16.onnx"])
        self.assertEqual(q4f16["downloadSize"], q4f16["size"] + doc["common"]["size"])
        self.assertTrue(all({"path", "size", "etag", "lfs"} <= set(f) for f in doc["files"]))
        human = self.ws.run("scan", TINY)
        self.assertEqual(human.returncode, 0, human.stderr)
        self.assertRegex(human.stdout, r"VARIANT\s+FAMILY\s+FILES\s+SIZE")
        self.assertRegex(human.stdout, r"q4f16\s+onnx\s+1\s+.*recommended")

    # -- download, then everything that reads the cache ---------------------------------------------
    def test_download_variant_then_list_stats_manifest(self):
        doc = self.ws.json("download", TINY, "q4f16")
        self.assertEqual(doc["status"], "done")
        self.assertEqual(doc["variant"], "q4f16")
        self.assertFalse(doc["cached"])
        self.assertRegex(doc["jobId"], r"^j_")
        paths = {f["path"]: f for f in doc["files"]}
        self.assertIn("onnx/model_q4f16.onnx", paths)
        self.assertIn("tokenizer.json", paths)
        self.assertNotIn("onnx/model.onnx", paths)
        for f in doc["files"]:
            self.assertTrue(os.path.isfile(f["localPath"]), f)
            self.assertEqual(os.path.getsize(f["localPath"]), f["size"])
        self.assertEqual(doc["totalBytes"], sum(f["size"] for f in doc["files"]))
        self.assertTrue(doc["snapshot"].startswith(str(self.ws.repo_dir(TINY))))

        again = self.ws.json("download", TINY, "q4f16")
        self.assertTrue(again["cached"])

        listing = self.ws.json("list")
        self.assertEqual([m["repo"] for m in listing["models"]], [TINY])
        model = listing["models"][0]
        self.assertIn("q4f16", model["variants"])
        self.assertEqual(model["size"], doc["totalBytes"])
        self.assertEqual(model["revisions"][0]["refs"], ["main"])
        human = self.ws.run("list")
        self.assertRegex(human.stdout, r"REPO\s+SIZE\s+FILES\s+REVISIONS\s+VARIANTS\s+LAST ACCESSED")
        self.assertRegex(human.stdout, TINY + r"\s+\d+(\.\d+)? (kB|MB)\s+%d\s+1\s+q4f16" % len(doc["files"]))

        stats = self.ws.json("stats")
        self.assertEqual(stats["total_repos"], 1)
        self.assertEqual(stats["total_size"], doc["totalBytes"])
        self.assertEqual(stats["repos"][0]["repo"], TINY)
        self.assertRegex(stats["repos"][0]["lastAccess"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertEqual(stats["repos"][0]["last_access"], stats["repos"][0]["lastAccess"])
        self.assertEqual(model["lastModified"], model["last_modified"])

        native = self.ws.json("manifest", TINY)
        self.assertEqual(native["format"], "native")
        self.assertEqual(native["manifest"]["quants"]["q4f16"]["status"], "downloaded")
        self.assertEqual(native["manifest"]["quants"]["fp32"]["status"], "available")
        ext = self.ws.json("manifest", TINY, "--format", "extension")
        self.assertEqual(ext["manifest"]["manifestVersion"], 1)
        self.assertEqual(ext["manifest"]["quants"]["onnx/model_q4f16.onnx"]["dtype"], "q4f16")
        human = self.ws.run("manifest", TINY)
        self.assertRegex(human.stdout, r"q4f16\s+downloaded")

    def test_download_recommended_gguf_and_files_with_flags_after_the_subcommand(self):
        doc = self.ws.json("download", GGUF)
        self.assertEqual(doc["variant"], "Q4_K_M")
        self.assertEqual([f["path"] for f in doc["files"]], ["Small-Q4_K_M.gguf"])
        # Global flags after the subcommand, and a cache given by flag instead of the environment.
        other = self.ws.root / "other-cache"
        out = self.ws.run("download", TINY, "--file", "config.json", "--file", "tokenizer.json",
                          "--cache-dir", other, "--json", "--endpoint", self.hub.url)
        self.assertEqual(out.returncode, 0, out.stderr)
        files = json.loads(out.stdout)["files"]
        self.assertEqual(sorted(f["path"] for f in files), ["config.json", "tokenizer.json"])
        self.assertTrue(files[0]["localPath"].startswith(str(other)))
        # The same flags before the subcommand.
        doc = self.ws.json("--cache-dir", other, "list")
        self.assertEqual([m["repo"] for m in doc["models"]], [TINY])

    def test_plain_progress_lines_when_stderr_is_not_a_terminal(self):
        out = self.ws.run("download", TINY, "fp16")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertNotIn("\r", out.stderr)
        self.assertRegex(out.stderr, r"onnx-community/Tiny fp16: 100% [\d.]+ kB / [\d.]+ kB.*\(6/6 files\)\n$")
        self.assertIn("Downloaded onnx-community/Tiny fp16", out.stdout)
        quiet = self.ws.run("download", TINY, "int8", "--quiet")
        self.assertEqual(quiet.returncode, 0)
        self.assertEqual(quiet.stderr, "")

    # -- exit codes ---------------------------------------------------------------------------------
    def test_not_found_exits_3(self):
        self.ws.json("manifest", TINY, expect=3)  # never scanned, nothing cached
        doc = self.ws.json("download", "nobody/nothing", expect=3)
        self.assertEqual(doc["error"]["code"], "NOT_FOUND")
        self.assertEqual(doc["exitCode"], 3)
        doc = self.ws.json("download", TINY, "q9_nonsense", expect=3)
        self.assertIn("q4f16", doc["error"]["details"]["available"])
        out = self.ws.run("download", TINY, "q9_nonsense")
        self.assertEqual(out.returncode, 3)
        self.assertIn("hint: available variants:", out.stderr)
        self.ws.json("delete", TINY, "--yes", expect=3)
        self.ws.json("verify", TINY, expect=3)
        self.ws.json("jobs", "resume", "j_doesnotexist", expect=3)
        self.ws.json("download", TINY, "--file", "no/such/file.bin", expect=3)

    def test_gated_repo_needs_a_token_exits_4(self):
        doc = self.ws.json("download", GATED, expect=4)
        self.assertEqual(doc["error"]["code"], "AUTH_REQUIRED")
        out = self.ws.run("download", GATED)
        self.assertEqual(out.returncode, 4)
        self.assertIn("hint:", out.stderr)
        self.assertIn("token", out.stderr)
        scan = self.ws.json("scan", GATED)  # the listing is public, as on the Hub
        self.assertTrue(scan["gated"])
        doc = self.ws.json("download", GATED, "--token", TOKEN)
        self.assertEqual(doc["status"], "done")

    def test_network_and_offline_exit_5(self):
        with socket_closed_port() as port:
            doc = self.ws.json("scan", TINY, "--endpoint", "http://127.0.0.1:%d" % port, expect=5)
        self.assertEqual(doc["error"]["code"], "NETWORK")
        doc = self.ws.json("download", TINY, "q4", "--offline", expect=5)
        self.assertEqual(doc["error"]["code"], "OFFLINE")
        self.ws.json("download", TINY, "q4")
        doc = self.ws.json("download", TINY, "q4", "--offline")  # cached: fine offline
        self.assertTrue(doc["cached"])

    def test_bad_arguments_exit_2_with_a_usage_message(self):
        cases = [
            (),
            ("frobnicate",),
            ("list", "--no-such-flag"),
            ("download",),
            ("scan", "not a repo"),
            ("download", "a/b--c"),
            ("download", "../etc"),
            ("download", TINY, "q4", "--file", "config.json"),
            ("download", TINY, "--file", "../escape"),
            ("clean",),
            ("clean", "--max-size", "lots"),
            ("clean", "--older-than", "soon"),
            ("manifest", TINY, "--format", "yaml"),
            ("jobs", "resume"),
            ("list", "--limit-rate", "fast"),
            ("list", "--endpoint", "ftp://example.invalid"),
            ("delete", TINY),  # not a terminal and no --yes
        ]
        for args in cases:
            with self.subTest(args=args):
                out = self.ws.run(*args)
                self.assertEqual(out.returncode, 2, "%r: %s" % (args, out.stderr))
                self.assertIn("error", out.stderr.lower())
                self.assertNotIn("terminate called", out.stderr)
                self.assertNotIn("Traceback", out.stderr)
                self.assertEqual(out.stdout, "")
        doc = self.ws.json("frobnicate", expect=2)
        self.assertEqual(doc["error"]["code"], "BAD_REQUEST")
        doc = self.ws.json("scan", "not a repo", expect=2)
        self.assertEqual(doc["error"]["code"], "INVALID_REPO")
        help_out = self.ws.run("--help")
        self.assertEqual(help_out.returncode, 0)
        for sub in ("list", "scan", "download", "verify", "clean", "stats", "delete", "manifest", "jobs"):
            self.assertIn(sub, help_out.stdout)
        sub_help = self.ws.run("download", "--help")
        self.assertEqual(sub_help.returncode, 0)
        self.assertIn("--file", sub_help.stdout)
        version = self.ws.run("--version")
        self.assertRegex(version.stdout, r"^tabagent-cache \d+\.\d+\.\d+")

    # -- verify ---------------------------------------------------------------------------------------
    def test_verify_finds_a_flipped_byte_and_removes_it_on_request(self):
        doc = self.ws.json("download", TINY, "q4")
        ok = self.ws.json("verify")
        self.assertEqual(ok["bad"], 0)
        self.assertEqual(ok["ok"], len(doc["files"]))
        self.assertEqual(ok["exitCode"], 0)
        target = next(f for f in doc["files"] if f["path"] == "onnx/model_q4.onnx")
        blob = os.path.realpath(target["localPath"])
        with open(blob, "r+b") as fh:
            fh.seek(1000)
            byte = fh.read(1)
            fh.seek(1000)
            fh.write(bytes([byte[0] ^ 0x01]))
        bad = self.ws.json("verify", TINY, expect=6)
        self.assertEqual(bad["bad"], 1)
        self.assertEqual(bad["removed"], 0)
        self.assertEqual(bad["problems"][0]["state"], "bad")
        self.assertEqual(bad["problems"][0]["files"], ["onnx/model_q4.onnx"])
        self.assertEqual(os.path.realpath(bad["problems"][0]["path"]), blob)
        self.assertEqual(bad["problems"][0]["size"], target["size"])
        self.assertEqual(bad["warnings"], [])
        self.assertTrue(os.path.exists(blob))
        human = self.ws.run("verify")
        self.assertEqual(human.returncode, 6)
        self.assertRegex(human.stdout, r"1 bad")
        removed = self.ws.json("verify", "--remove", expect=6)  # non-zero even though removed
        self.assertEqual(removed["removed"], 1)
        self.assertFalse(os.path.exists(blob))
        after = self.ws.json("verify")
        self.assertEqual(after["bad"], 0)
        self.assertEqual(after["missing"], 1)
        repaired = self.ws.json("download", TINY, "q4")
        self.assertFalse(repaired["cached"])
        self.assertEqual(self.ws.json("verify")["missing"], 0)

    # -- clean / delete ---------------------------------------------------------------------------------
    def test_clean_dry_run_then_for_real(self):
        self.ws.json("download", TINY, "q4f16")
        self.ws.json("download", GGUF, "Q4_K_S")
        os.utime(self.ws.repo_dir(TINY), (1, 1))
        for blob in (self.ws.repo_dir(TINY) / "blobs").iterdir():
            os.utime(blob, (1_000_000, 1_000_000))  # TINY was used long ago: evicted first
        dry = self.ws.json("clean", "--max-size", "1K", "--dry-run")
        self.assertTrue(dry["dryRun"])
        self.assertEqual(dry["removedPartials"], [])
        self.assertEqual(dry["skippedBusy"], [])
        self.assertEqual(dry["removed"][0]["lastAccess"], dry["removed"][0]["last_access"])
        self.assertEqual([r["repo"] for r in dry["removed"]], [TINY, GGUF])
        self.assertEqual(dry["totalAfter"], 0)
        self.assertEqual(len(self.ws.json("list")["models"]), 2)
        old = self.ws.json("clean", "--older-than", "30d")
        self.assertEqual([r["repo"] for r in old["removed"]], [TINY])
        self.assertEqual(old["removed"][0]["reason"], "older_than")
        self.assertGreater(old["freedBytes"], 0)
        self.assertEqual([m["repo"] for m in self.ws.json("list")["models"]], [GGUF])
        human = self.ws.run("clean", "--max-size", "0")
        self.assertEqual(human.returncode, 0, human.stderr)
        self.assertIn("Freed", human.stdout)
        self.assertEqual(self.ws.json("list")["models"], [])

    def test_delete_a_variant_then_the_repo(self):
        self.ws.json("download", TINY, "q4f16")
        self.ws.json("download", TINY, "int8")
        doc = self.ws.json("delete", TINY, "int8", "--yes")
        self.assertEqual(doc["variant"], "int8")
        self.assertGreater(doc["freedBytes"], 0)
        variants = self.ws.json("list")["models"][0]["variants"]
        self.assertIn("q4f16", variants)
        self.assertNotIn("int8", variants)
        out = self.ws.run("delete", TINY, "-y")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("Deleted onnx-community/Tiny", out.stdout)
        self.assertFalse(self.ws.repo_dir(TINY).exists())
        self.ws.json("delete", TINY, "--yes", expect=3)

    def test_delete_asks_on_a_terminal(self):
        self.ws.json("download", TINY, "--file", "config.json")
        out = run_in_pty([CLI, "delete", TINY], self.ws.env, answer=b"n\n")
        self.assertEqual(out[0], 0)
        self.assertIn(b"[y/N]", out[1])
        self.assertTrue(self.ws.repo_dir(TINY).exists())
        out = run_in_pty([CLI, "delete", TINY], self.ws.env, answer=b"y\n")
        self.assertEqual(out[0], 0)
        self.assertFalse(self.ws.repo_dir(TINY).exists())

    # -- jobs -------------------------------------------------------------------------------------------
    def test_jobs_lists_journal_entries_and_cancel_removes_them(self):
        self.assertEqual(self.ws.json("jobs")["jobs"], [])
        jobs_dir = self.ws.home / "jobs"
        jobs_dir.mkdir(exist_ok=True)
        spec = {"kind": "download_quant", "repo": TINY, "revision": "main", "quant": "q4", "files": []}
        (jobs_dir / "j_0000000a0001.json").write_text(json.dumps({"jobId": "j_0000000a0001", "spec": spec, "status": "queued"}))
        doc = self.ws.json("jobs")
        self.assertEqual([j["jobId"] for j in doc["jobs"]], ["j_0000000a0001"])
        self.assertEqual(doc["jobs"][0]["repo"], TINY)
        human = self.ws.run("jobs", "list")
        self.assertRegex(human.stdout, r"j_0000000a0001\s+download_quant\s+onnx-community/Tiny\s+q4\s+main\s+resumable")
        resumed = self.ws.json("jobs", "resume", "j_0000000a0001")
        self.assertEqual(resumed["status"], "done")
        self.assertEqual(resumed["variant"], "q4")
        self.assertEqual(self.ws.json("jobs")["jobs"], [])
        (jobs_dir / "j_0000000b0002.json").write_text(json.dumps({"jobId": "j_0000000b0002", "spec": spec, "status": "paused"}))
        cancelled = self.ws.json("jobs", "cancel", "j_0000000b0002")
        self.assertTrue(cancelled["cancelled"])
        self.assertFalse((jobs_dir / "j_0000000b0002.json").exists())
        self.ws.json("jobs", "cancel", "j_0000000b0002", expect=3)


class socket_closed_port:
    """A port on 127.0.0.1 that nothing listens on (bound, then closed)."""

    def __enter__(self):
        import socket
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        self.port = s.getsockname()[1]
        s.close()
        return self.port

    def __exit__(self, *exc):
        return False


def run_in_pty(argv, env, answer=None, timeout=60, on_output=None):
    """Runs argv with stdin/stdout/stderr on a pseudo-terminal. Returns (exit code, all output)."""
    pid, fd = pty.fork()
    if pid == 0:
        try:
            os.execve(argv[0], argv, env)
        finally:
            os._exit(127)
    out = b""
    deadline = time.monotonic() + timeout
    answered = answer is None
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                os.kill(pid, signal.SIGKILL)
                raise TimeoutError("no exit within %ss; output so far: %r" % (timeout, out[-500:]))
            r, _, _ = select.select([fd], [], [], left)
            if not r:
                continue
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            out += chunk
            if on_output:
                on_output(out, pid)
            if not answered and b"[y/N]" in out:
                os.write(fd, answer)
                answered = True
    finally:
        os.close(fd)
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    return code, out


if __name__ == "__main__":
    unittest.main()
