"""Hostile input through the host (issue 8): names that try to leave the cache, links planted in the
cache that point outside it, callers outside the allowlist, the token's secrecy, file modes."""
import json
import os
import shutil
import stat
import subprocess
import unittest

from hostproc import FAKEHUB_GEN, WINDOWS, SharedHubTestCase
import fakehub as fh  # noqa: E402

REPO = "org/safe"
PRIVATE = "org/secret-model"
TOKEN_SET = "hf_SetViaActionQ7mZ2xK9pL4wT8vB3n"
TOKEN_ENV = "hf_FromEnvironmentR5yU1iO6aS0dF2g"
COMMIT = "0123456789abcdef0123456789abcdef01234567"
CACHE_ACTIONS = ("has_file", "get_file", "get_file_path")


class SecurityTest(SharedHubTestCase):
    HUB_TOKENS = (TOKEN_SET, TOKEN_ENV)

    @classmethod
    def make_repos(cls, root):
        fh.generate(FAKEHUB_GEN, root, REPO, files={"model.bin": "64K"}, texts={"config.json": "{}"})
        fh.generate(FAKEHUB_GEN, root, PRIVATE, files={"w.bin": "32K"}, texts={"config.json": "{}"}, private=True)

    def setUp(self):
        super().setUp()
        self.frames = []  # every frame any host of this test sent

    def call(self, h, action, **fields):
        r = h.call(action, **fields)
        self.frames.append(r)
        return r

    def code(self, reply):
        return reply.get("error", {}).get("code") if reply.get("status") != "success" else "success"

    # -- names -------------------------------------------------------------------------------
    def test_traversal_in_names_is_refused_before_any_work(self):
        h = self.start_host()
        bad_files = ["../config.json", "../../../../etc/passwd", "/etc/passwd", "a/../../b", "a\\..\\b",
                     "..\\..\\etc\\passwd", "x\u0000.bin", "onnx/./model", "a//b", "", "." , "..", "x" * 1025]
        for f in bad_files:
            for action in CACHE_ACTIONS + ("download_file",):
                r = self.call(h, action, repo=REPO, file=f)
                want = ("BAD_REQUEST",) if f == "" else ("INVALID_PATH",)
                self.assertIn(self.code(r), want, (action, f, r))
        bad_repos = ["../etc", "org/../x", "/abs/x", "org\\x", "org/x\u0000", "org/x--y", "org/.x", "a/b/c",
                     "org%2f..%2fx", "..%2f..%2fetc", "org/" + "x" * 97]
        for repo in bad_repos:
            for action in CACHE_ACTIONS + ("download_file", "get_manifest", "delete_model", "scan_repo"):
                fields = {"repo": repo, "file": "config.json"} if action != "get_manifest" else {"repo": repo}
                r = self.call(h, action, **fields)
                self.assertEqual(self.code(r), "INVALID_REPO", (action, repo, r))
        # Percent-encoding is not decoded into a traversal: the name is taken literally.
        for f in ("%2e%2e%2fconfig.json", "%2e%2e/%2e%2e/etc/passwd", "..%2fconfig.json"):
            self.assertFalse(self.call(h, "has_file", repo=REPO, file=f)["payload"]["exists"], f)
            r = self.call(h, "download_file", repo=REPO, file=f)
            if r["status"] == "success":
                final = h.events(r["payload"]["jobId"])[-1]["payload"]
                self.assertEqual(final["status"], "error", final)
                self.assertEqual(final["error"]["code"], "NOT_FOUND", final)
            else:
                self.assertIn(self.code(r), ("INVALID_PATH", "NOT_FOUND"), r)
        for r in self.hub.requests():  # nothing outside the repo was asked for
            self.assertNotIn("/../", r["path"])
            self.assertNotIn("etc/passwd", r["path"].replace("%2e%2e/%2e%2e/etc/passwd", ""))
        self.assertEqual(h.call("ping")["status"], "success")
        self.assertEqual(list(self.dir.glob("config.json")), [])

    # -- planted links -----------------------------------------------------------------------
    def plant(self):
        outside = self.dir / "outside"
        outside.mkdir()
        (outside / "secret.txt").write_text("TOP-SECRET outside the cache\n")
        repo = self.cache / "models--org--evil"
        snap = repo / "snapshots" / COMMIT
        (snap / "sub").mkdir(parents=True)
        (repo / "blobs").mkdir()
        (repo / "refs").mkdir()
        (repo / "refs" / "main").write_text(COMMIT)
        os.symlink("/etc/passwd", snap / "passwd")
        os.symlink("../../../../outside/secret.txt", snap / "relative.txt")
        os.symlink(str(outside), snap / "dir")
        os.symlink(str(outside / "secret.txt"), repo / "blobs" / ("b" * 64))
        os.symlink("../../blobs/" + "b" * 64, snap / "via_blob.txt")
        os.symlink("../../../models--org--other/blobs/x", snap / "other_repo.txt")
        (self.cache / "models--org--other" / "blobs").mkdir(parents=True)
        (self.cache / "models--org--other" / "blobs" / "x").write_text("another repo's blob\n")
        os.symlink(str(outside / "secret.txt"), snap / "sub" / "abs.txt")
        # A whole repo folder that is a link out of the cache.
        fake = outside / "models--org--linked" / "snapshots" / COMMIT
        fake.mkdir(parents=True)
        (outside / "models--org--linked" / "refs").mkdir()
        (outside / "models--org--linked" / "refs" / "main").write_text(COMMIT)
        (fake / "secret.txt").write_text("TOP-SECRET via a linked repo folder\n")
        return ["passwd", "relative.txt", "dir/secret.txt", "via_blob.txt", "other_repo.txt", "sub/abs.txt"]

    def test_links_out_of_the_cache_are_never_served(self):
        names = self.plant()
        h = self.start_host()
        for f in names:
            has = self.call(h, "has_file", repo="org/evil", file=f)
            self.assertEqual(has["status"], "success", has)
            self.assertFalse(has["payload"]["exists"], (f, has))
            for action in ("get_file", "get_file_path"):
                r = self.call(h, action, repo="org/evil", file=f)
                self.assertEqual(self.code(r), "NOT_FOUND", (action, f, r))
            r = self.call(h, "load_model", modelPath=f"org/evil/{f}")
            self.assertFalse(r.get("payload", {}).get("isReady", False), r)
        r = self.call(h, "verify", repo="org/evil")
        self.frames.extend(h.events(r["payload"]["jobId"]))
        self.assertTrue(os.path.exists(self.dir / "outside" / "secret.txt"))  # verify deleted nothing outside
        self.assertTrue(os.path.exists("/etc/passwd"))
        dump = json.dumps(self.frames) + json.dumps(h.pending)
        self.assertNotIn("TOP-SECRET", dump)
        self.assertNotIn("root:", dump)
        self.assertNotIn("another repo", dump)

    # -- caller allowlist ---------------------------------------------------------------------
    def test_origin_not_in_the_allowlist_is_refused(self):
        for args in (["chrome-extension://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/"], ["/some/manifest.json", "evil@addon"],
                     ["chrome-extension://fkkeoobeahalebjpbockfedlncckobjbX/"]):
            with self.subTest(args=args):
                h = self.start_host(args=args)
                mid = h.request("list_models")
                r = h.reply(mid, timeout=30)
                self.assertEqual(r["error"]["code"], "FORBIDDEN_ORIGIN", r)
                self.assertNotIn("payload", r)
                self.assertEqual(h.proc.wait(30), 1)

    # -- token secrecy ------------------------------------------------------------------------
    def assert_token_nowhere(self, h, token):
        self.assertNotIn(token, json.dumps(self.frames))
        self.assertNotIn(token, json.dumps(h.pending))
        with open(f"/proc/{h.proc.pid}/cmdline", "rb") as f:
            self.assertNotIn(token.encode(), f.read())
        for path in self.home.rglob("*"):
            if path.is_file() and path.name != "token":
                self.assertNotIn(token.encode(), path.read_bytes(), path)
        for path in self.cache.rglob("*"):
            if path.is_file() and not path.is_symlink():
                self.assertNotIn(token.encode(), path.read_bytes(), path)

    def test_token_set_by_action_is_never_echoed_logged_or_in_argv(self):
        h = self.start_host(TABAGENT_LOG_LEVEL="trace", args=["chrome-extension://fkkeoobeahalebjpbockfedlncckobjb/",
                                                            "--verbose"])
        r = self.call(h, "set_hf_token", token=TOKEN_SET)
        self.assertEqual(r["payload"], {"hasToken": True, "source": "stored"})
        self.call(h, "get_hf_token_status")
        d = self.call(h, "download_file", repo=PRIVATE, file="w.bin")
        for e in h.events(d["payload"]["jobId"]):
            self.frames.append(e)
        self.assertEqual(self.frames[-1]["payload"]["status"], "done", self.frames[-1])
        self.assertTrue(any(x["authorization_present"] for x in self.hub.requests()))
        self.call(h, "get_logs", lines=2000)
        self.call(h, "handshake")
        self.call(h, "list_downloads")
        self.call(h, "set_hf_token", token=TOKEN_SET, validate=True)
        self.assert_token_nowhere(h, TOKEN_SET)
        token_file = self.home / "token"
        if not WINDOWS:  # Windows: the ACL inherited from %LOCALAPPDATA%, no mode bits (Wine enforces none)
            self.assertEqual(stat.S_IMODE(token_file.stat().st_mode), 0o600)
            self.assertEqual(stat.S_IMODE(self.home.stat().st_mode), 0o700)
        h.close()
        self.assertNotIn(TOKEN_SET, h.stderr)
        leftovers = [p.name for p in self.home.iterdir() if p.name.startswith(".token")]
        self.assertEqual(leftovers, [])

    def test_token_from_environment_is_never_echoed_or_logged(self):
        h = self.start_host(HF_TOKEN=TOKEN_ENV, TABAGENT_LOG_LEVEL="trace",
                            args=["chrome-extension://fkkeoobeahalebjpbockfedlncckobjb/", "--verbose"])
        self.assertEqual(self.call(h, "get_hf_token_status")["payload"], {"hasToken": True, "source": "env"})
        d = self.call(h, "download_file", repo=PRIVATE, file="w.bin")
        self.frames.extend(h.events(d["payload"]["jobId"]))
        self.assertEqual(self.frames[-1]["payload"]["status"], "done", self.frames[-1])
        self.call(h, "download_file", repo=PRIVATE, file="missing.bin")  # error paths log too
        self.call(h, "get_logs", lines=2000)
        self.assert_token_nowhere(h, TOKEN_ENV)
        h.close()
        self.assertNotIn(TOKEN_ENV, h.stderr)

    def test_the_cli_token_flag_stays_out_of_the_hosts_argv(self):
        # The host never re-executes itself or a child with the token on a command line.
        h = self.start_host(HF_TOKEN=TOKEN_ENV)
        self.call(h, "ping")
        children = subprocess.run(["ps", "-o", "args=", "--ppid", str(h.proc.pid)], capture_output=True, text=True)
        self.assertNotIn(TOKEN_ENV, children.stdout)

    # -- modes -------------------------------------------------------------------------------
    def test_data_dir_created_by_the_host_is_private(self):
        self.assertFalse(self.home.exists())
        h = self.start_host()
        self.call(h, "ping")
        self.assertEqual(stat.S_IMODE(self.home.stat().st_mode), 0o700)
        self.call(h, "set_hf_token", token=TOKEN_SET)
        self.assertEqual(stat.S_IMODE((self.home / "token").stat().st_mode), 0o600)
        h.close()
        # An existing data dir keeps the mode its owner chose.
        shutil.rmtree(self.home)
        self.home.mkdir(mode=0o755)
        os.chmod(self.home, 0o755)
        h = self.start_host()
        self.call(h, "ping")
        self.assertEqual(stat.S_IMODE(self.home.stat().st_mode), 0o755)


if __name__ == "__main__":
    unittest.main()
