#!/usr/bin/env bash
# Tests installer/install.sh in a temporary HOME with fake browser profile dirs (no browser needed):
# manifests are valid for the browser, a second run is idempotent, --check talks to the real host,
# broken manifests are diagnosed, and --uninstall leaves nothing behind.
#
# Usage: tests/e2e/installer_test.sh <build-dir>     (e.g. build/ci; needs src/host/tabagent-host)
# Prints "N passed, N failed"; exits non-zero when a check failed.
set -uo pipefail

BUILD_DIR="${1:-}"
[[ -n "$BUILD_DIR" ]] || { echo "usage: $0 <build-dir>" >&2; exit 2; }
BUILD_DIR="$(cd "$BUILD_DIR" && pwd -P)" || exit 2
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
INSTALL="$ROOT/installer/install.sh"
SAMPLE_ID="$(sed -n 's/^Extension id: `\([a-p]\{32\}\)`.*/\1/p' "$ROOT/extension-sample/README.md")"
[[ "$SAMPLE_ID" =~ ^[a-p]{32}$ ]] || { echo "cannot read the sample extension id from extension-sample/README.md" >&2; exit 2; }

PASSED=0 FAILED=0
pass() { PASSED=$((PASSED + 1)); echo "ok   - $*"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL - $*"; }
# Returns the check's status so that "check ... || echo details" prints details on failure.
check() { local name="$1"; shift; if "$@"; then pass "$name"; else fail "$name"; return 1; fi; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/tabagent-installer-test.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
H="$WORK/home"
mkdir -p "$H/.config/google-chrome" "$H/.config/chromium/NativeMessagingHosts" \
         "$H/.config/BraveSoftware/Brave-Browser" "$H/.mozilla"
echo '{"name":"org.other.host"}' >"$H/.config/chromium/NativeMessagingHosts/org.other.host.json"

# A clean environment: only this HOME, no inherited XDG or TabAgent settings.
# TABAGENT_HOME keeps the host's own files (logs) apart from what the installer writes.
run_installer() {
  env -i PATH="$PATH" HOME="$H" TABAGENT_HOME="$H/tabagent-data" TABAGENT_CACHE="$WORK/cache" \
    bash "$INSTALL" "$@"
}
# tabagent-data is the host's data dir (logs, state it writes itself); config.json there is checked apart.
snapshot() { (cd "$H" && find . -path ./tabagent-data -prune -o -print | LC_ALL=C sort); }
BEFORE="$(snapshot)"
PREFIX="$H/.local/share/TabAgent"
HOSTBIN="$PREFIX/bin/tabagent-host"
CHROME_DIRS=("$H/.config/google-chrome" "$H/.config/chromium" "$H/.config/BraveSoftware/Brave-Browser")
FIREFOX_MANIFEST="$H/.mozilla/native-messaging-hosts/com.tabagent.host.json"

# manifest_ok FILE KIND: the rules the browser applies silently, asserted here.
manifest_ok() {
  python3 - "$1" "$2" "$HOSTBIN" "$SAMPLE_ID" <<'PY'
import json, os, re, sys
path, kind, host, sample = sys.argv[1:5]
m = json.load(open(path))
assert m["name"] == "com.tabagent.host", m["name"]
assert os.path.basename(path) == m["name"] + ".json"
assert m["type"] == "stdio"
assert os.path.isabs(m["path"]) and m["path"] == host, m["path"]
assert os.path.isfile(m["path"]) and os.access(m["path"], os.X_OK)
if kind == "chrome":
    o = m["allowed_origins"]
    assert all(re.fullmatch(r"chrome-extension://[a-p]{32}/", x) for x in o), o
    assert "chrome-extension://fkkeoobeahalebjpbockfedlncckobjb/" in o, o
    assert "chrome-extension://%s/" % sample in o, o
    assert len(o) == len(set(o)), "duplicate origins"
    assert "allowed_extensions" not in m
else:
    e = m["allowed_extensions"]
    assert e[0] == "tabagent@tabagent.com" and "demo@example.org" in e, e
    assert "allowed_origins" not in m
PY
}

out="$(run_installer --prebuilt "$BUILD_DIR" --extension-id "$SAMPLE_ID" --extension-id demo@example.org 2>&1)"
rc=$?
check "first install exits 0" test "$rc" -eq 0 || echo "$out"
for d in "${CHROME_DIRS[@]}"; do
  check "chrome-style manifest valid in ${d#"$H"/}" manifest_ok "$d/NativeMessagingHosts/com.tabagent.host.json" chrome
done
check "firefox manifest valid" manifest_ok "$FIREFOX_MANIFEST" firefox
check "no manifest for absent browsers (Edge, Vivaldi)" \
  test ! -e "$H/.config/microsoft-edge" -a ! -e "$H/.config/vivaldi"
check "host config lists the extra ids" python3 -c '
import json, sys
ids = json.load(open(sys.argv[1]))["allowed_extension_ids"]
assert sys.argv[2] in ids and "demo@example.org" in ids, ids' "$H/tabagent-data/config.json" "$SAMPLE_ID"
check "self-check reported every browser ok" test "$(grep -c ' ok  ' <<<"$out")" -eq 4

sums() { (cd "$H" && find . -path ./tabagent-data/logs -prune -o -type f -print | LC_ALL=C sort | xargs -d '\n' sha256sum); }
FIRST="$(sums)"
out="$(run_installer --prebuilt "$BUILD_DIR" --extension-id "$SAMPLE_ID" --extension-id demo@example.org 2>&1)"
rc=$?
check "second install exits 0" test "$rc" -eq 0 || echo "$out"
check "second install is idempotent (same files, same bytes)" test "$FIRST" == "$(sums)"

out="$(run_installer --check 2>&1)"
rc=$?
check "--check exits 0" test "$rc" -eq 0 || echo "$out"
check "--check: the real host answered a handshake for all 4 browsers" \
  test "$(grep -c 'answers handshake' <<<"$out")" -eq 4 || echo "$out"

# A manifest broken the way people break them: --check must name the mistake.
CHROMIUM_MANIFEST="$H/.config/chromium/NativeMessagingHosts/com.tabagent.host.json"
cp "$CHROMIUM_MANIFEST" "$WORK/saved.json"
sed -i 's#fkkeoobeahalebjpbockfedlncckobjb/#fkkeoobeahalebjpbockfedlncckobjb#' "$CHROMIUM_MANIFEST"
out="$(run_installer --check 2>&1)"; rc=$?
check "--check fails on an origin without trailing slash" test "$rc" -ne 0
check "--check names the missing trailing slash" grep -q "lacks the trailing '/'" <<<"$out"
cp "$WORK/saved.json" "$CHROMIUM_MANIFEST"
chmod -x "$HOSTBIN"
out="$(run_installer --check --no-handshake 2>&1)"; rc=$?
check "--check fails on a host that is not executable" test "$rc" -ne 0
check "--check says so" grep -q "is not executable" <<<"$out"
chmod +x "$HOSTBIN"
out="$(run_installer --check 2>&1)"; rc=$?
check "--check is ok again after the repair" test "$rc" -eq 0

# An explicit NativeMessagingHosts dir (what the browser test uses for its --user-data-dir).
PROFILE="$H/profile/NativeMessagingHosts"
out="$(run_installer --prebuilt "$BUILD_DIR" --extension-id "$SAMPLE_ID" --extension-id demo@example.org \
  --browser-dir "$PROFILE" 2>&1)"; rc=$?
check "--browser-dir install exits 0" test "$rc" -eq 0 || echo "$out"
check "--browser-dir manifest valid" manifest_ok "$PROFILE/com.tabagent.host.json" chrome
out="$(run_installer --check 2>&1)"; rc=$?
check "--check also covers the recorded --browser-dir manifest" \
  grep -q "$PROFILE/com.tabagent.host.json" <<<"$out"

check "bad --extension-id is rejected with exit 2" \
  bash -c '"$@" >/dev/null 2>&1; test $? -eq 2' _ env -i PATH="$PATH" HOME="$H" bash "$INSTALL" --prebuilt "$BUILD_DIR" --extension-id 'not an id'

out="$(run_installer --uninstall 2>&1)"; rc=$?
check "--uninstall exits 0" test "$rc" -eq 0 || echo "$out"
AFTER="$(snapshot)"
check "--uninstall leaves no file behind (HOME as before the install)" test "$BEFORE" == "$AFTER" ||
  diff <(echo "$BEFORE") <(echo "$AFTER")
check "--uninstall removed the config.json it created" test ! -e "$H/tabagent-data/config.json"
check "--uninstall kept the other host's manifest" \
  test -f "$H/.config/chromium/NativeMessagingHosts/org.other.host.json"
out="$(run_installer --uninstall 2>&1)"; rc=$?
check "a second --uninstall is a no-op" test "$rc" -eq 0

# A config.json the user had before the install is merged into, and left in place by uninstall.
mkdir -p "$H/tabagent-data"
echo '{"allowed_extension_ids": ["mine@example.org"], "other": 1}' >"$H/tabagent-data/config.json"
out="$(run_installer --prebuilt "$BUILD_DIR" --extension-id "$SAMPLE_ID" 2>&1)"; rc=$?
check "install over an existing config.json exits 0" test "$rc" -eq 0 || echo "$out"
check "existing config.json keeps its keys and gains the id" python3 -c '
import json, sys
c = json.load(open(sys.argv[1]))
assert c["other"] == 1 and c["allowed_extension_ids"] == ["mine@example.org", sys.argv[2]], c' \
  "$H/tabagent-data/config.json" "$SAMPLE_ID"
run_installer --uninstall >/dev/null 2>&1
check "uninstall leaves the user's config.json" test -f "$H/tabagent-data/config.json"
check "uninstall removed the binaries" test ! -e "$PREFIX"

echo "installer: $PASSED passed, $FAILED failed"
[[ $FAILED -eq 0 ]]
