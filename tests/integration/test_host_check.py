"""tabagent-host --check diagnoses each browser registration and handshakes with its binary."""
import json
import os
import subprocess
import unittest

from hostproc import HOST, clean_env, temp_dirs

ORIGIN = "chrome-extension://fkkeoobeahalebjpbockfedlncckobjb/"


class HostCheckTest(unittest.TestCase):
    def setUp(self):
        self.root, self.home, self.cache = temp_dirs(self)
        self.env = clean_env(self.home, self.cache, HOME=self.root, TABAGENT_SYSTEM_ROOT=str(self.root / "sysroot"))
        self.env.pop("XDG_CONFIG_HOME", None)

    def write_manifest(self, rel_dir, manifest):
        d = self.root / rel_dir
        d.mkdir(parents=True, exist_ok=True)
        (d / "com.tabagent.host.json").write_text(json.dumps(manifest))

    def check(self):
        return subprocess.run([HOST, "--check"], capture_output=True, text=True, env=self.env, timeout=60)

    def test_nothing_registered(self):
        out = self.check()
        self.assertEqual(out.returncode, 1)
        self.assertIn("No browser has the host registered", out.stdout)

    def test_good_registrations_answer_a_handshake(self):
        good = {"name": "com.tabagent.host", "description": "TabAgent", "path": os.path.abspath(HOST),
                "type": "stdio", "allowed_origins": [ORIGIN]}
        self.write_manifest(".config/chromium/NativeMessagingHosts", good)
        ff = dict(good)
        del ff["allowed_origins"]
        ff["allowed_extensions"] = ["tabagent@tabagent.com"]
        self.write_manifest(".mozilla/native-messaging-hosts", ff)
        out = self.check()
        self.assertEqual(out.returncode, 0, out.stdout)
        self.assertRegex(out.stdout, r"Chromium: OK, answers handshake")
        self.assertRegex(out.stdout, r"Firefox: OK, answers handshake")
        self.assertIn("2 of 2 registrations work", out.stdout)

    def test_each_common_mistake_is_named(self):
        self.write_manifest(".config/google-chrome/NativeMessagingHosts",
                            {"name": "com.tabagent.host", "path": "bin/tabagent-host", "type": "stdio",
                             "allowed_origins": ["chrome-extension://fkkeoobeahalebjpbockfedlncckobjb"]})
        self.write_manifest(".config/BraveSoftware/Brave-Browser/NativeMessagingHosts",
                            {"name": "com.other", "path": "/nonexistent/tabagent-host", "type": "stdio",
                             "allowed_origins": ["chrome-extension://*/"]})
        out = self.check()
        self.assertEqual(out.returncode, 1)
        self.assertIn("Google Chrome: BROKEN", out.stdout)
        self.assertIn('"path" must be absolute', out.stdout)
        self.assertIn("needs chrome-extension://<32 a-p>/ with the slash", out.stdout)
        self.assertIn("Brave: BROKEN", out.stdout)
        self.assertIn('"name" must be com.tabagent.host', out.stdout)
        self.assertIn("binary missing or not executable", out.stdout)

    def test_refused_origin_is_reported(self):
        self.write_manifest(".config/chromium/NativeMessagingHosts",
                            {"name": "com.tabagent.host", "path": os.path.abspath(HOST), "type": "stdio",
                             "allowed_origins": ["chrome-extension://aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/"]})
        out = self.check()
        self.assertEqual(out.returncode, 1)
        self.assertIn("handshake failed: refused", out.stdout)


if __name__ == "__main__":
    unittest.main()
