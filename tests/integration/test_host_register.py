"""tabagent-host --install / --check / --uninstall, run for real in a temp HOME: the manifests the
browsers read, the record of what was written, a framed handshake with the registered binary, and
an uninstall that leaves HOME as it was."""
import json
import os
import subprocess
import unittest

from hostproc import HOST, clean_env, temp_dirs

ORIGIN = "chrome-extension://fkkeoobeahalebjpbockfedlncckobjb/"


def tree(root):
    """Every path under root (relative), dirs included."""
    out = set()
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            out.add(os.path.relpath(os.path.join(dirpath, name), root))
    return out


class HostRegisterTest(unittest.TestCase):
    def setUp(self):
        self.root, self.data, self.cache = temp_dirs(self)
        self.env = clean_env(self.data, self.cache, HOME=str(self.root), TABAGENT_SYSTEM_ROOT=str(self.root / "sysroot"))
        self.env.pop("XDG_CONFIG_HOME", None)

    def host(self, *args):
        return subprocess.run([HOST, *args], capture_output=True, text=True, env=self.env, timeout=120)

    def test_install_check_uninstall_round_trip(self):
        (self.root / ".config/chromium/Default").mkdir(parents=True)
        (self.root / ".config/google-chrome-beta").mkdir(parents=True)
        (self.root / ".mozilla/firefox").mkdir(parents=True)
        before = tree(self.root / ".config") | tree(self.root / ".mozilla")

        out = self.host("--install")
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        chromium = self.root / ".config/chromium/NativeMessagingHosts/com.tabagent.host.json"
        beta = self.root / ".config/google-chrome-beta/NativeMessagingHosts/com.tabagent.host.json"
        firefox = self.root / ".mozilla/native-messaging-hosts/com.tabagent.host.json"
        for f in (chromium, beta, firefox):
            self.assertTrue(f.exists(), f)
        self.assertFalse((self.root / ".config/google-chrome").exists())
        manifest = json.loads(chromium.read_text())
        self.assertEqual(manifest["name"], "com.tabagent.host")
        self.assertEqual(os.path.realpath(manifest["path"]), os.path.realpath(HOST))
        self.assertEqual(manifest["allowed_origins"], [ORIGIN])
        self.assertEqual(json.loads(firefox.read_text())["allowed_extensions"], ["tabagent@tabagent.com"])
        record = json.loads((self.data / "registrations.json").read_text())
        self.assertEqual(sorted(m["path"] for m in record["manifests"]), sorted(map(str, (chromium, beta, firefox))))

        first = {f: f.read_bytes() for f in (chromium, beta, firefox)}
        again = self.host("--install")
        self.assertEqual(again.returncode, 0, again.stdout)
        self.assertEqual({f: f.read_bytes() for f in first}, first)

        check = self.host("--check")
        self.assertEqual(check.returncode, 0, check.stdout)
        self.assertRegex(check.stdout, r"Chromium: OK, answers handshake \(version ")
        self.assertRegex(check.stdout, r"Google Chrome Beta: OK, answers handshake")
        self.assertRegex(check.stdout, r"Firefox: OK, answers handshake")
        self.assertIn("3 of 3 registrations work", check.stdout)

        out = self.host("--uninstall")
        self.assertEqual(out.returncode, 0, out.stdout)
        self.assertEqual(tree(self.root / ".config") | tree(self.root / ".mozilla"), before)
        self.assertFalse((self.data / "registrations.json").exists())
        self.assertEqual(self.host("--check").returncode, 1)

    def test_extension_id_is_allowed_by_the_host_it_registers(self):
        other = "abcdefghijklmnopabcdefghijklmnop"
        out = self.host("--install", "--browser", "chromium", "--extension-id", other)
        self.assertEqual(out.returncode, 0, out.stdout)
        manifest = json.loads((self.root / ".config/chromium/NativeMessagingHosts/com.tabagent.host.json").read_text())
        self.assertEqual(manifest["allowed_origins"], [ORIGIN, f"chrome-extension://{other}/"])
        # The handshake of --install used TabAgent's origin; the extra id must pass the host's check too.
        manifest["allowed_origins"] = [f"chrome-extension://{other}/"]
        path = self.root / "only-other.json"
        path.write_text(json.dumps(manifest))
        check = self.host("--check", "--manifest", str(path))
        self.assertEqual(check.returncode, 0, check.stdout)
        self.host("--uninstall")
        self.assertFalse((self.data / "config.json").exists())

    def test_flatpak_browser_is_named_not_registered(self):
        (self.root / ".var/app/org.chromium.Chromium/config/chromium").mkdir(parents=True)
        out = self.host("--install")
        self.assertEqual(out.returncode, 0, out.stdout)
        self.assertIn("Chromium Flatpak (org.chromium.Chromium)", out.stdout)
        self.assertIn("No browser found", out.stdout)
        self.assertFalse((self.root / ".config").exists())
        check = self.host("--check")
        self.assertIn("note: Chromium Flatpak", check.stdout)

    def test_bad_usage(self):
        self.assertEqual(self.host("--install", "--browser", "netscape").returncode, 2)
        self.assertEqual(self.host("--install", "--uninstall").returncode, 2)
        self.assertEqual(self.host("--install", "--extension-id", "nope").returncode, 2)
        self.assertEqual(self.host("--uninstall").returncode, 0)  # nothing recorded: nothing to do


if __name__ == "__main__":
    unittest.main()
