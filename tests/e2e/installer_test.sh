#!/usr/bin/env bash
# Tests installer/install.sh in a temporary HOME with fake browser profile dirs (no browser needed):
# manifests are valid for the browser, a second run is idempotent, --check talks to the real host,
# broken manifests are diagnosed, installing leaves no host state (the self-check runs the host with a
# scratch data dir), --uninstall leaves nothing behind, and the host's own data dir is kept (and
# reported) by --uninstall and removed by --uninstall --purge.
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

# A clean environment: only this HOME, no inherited XDG or TabAgent settings. TMPDIR is watched: the
# scratch data dirs of the self-check must be gone afterwards.
mkdir -p "$WORK/tmp"
run_installer() {
  env -i PATH="$PATH" HOME="$H" TMPDIR="$WORK/tmp" TABAGENT_HOME="$H/tabagent-data" TABAGENT_CACHE="$WORK/cache" \
    bash "$INSTALL" "$@"
}
# Every path under HOME with its type: what "leaves no file behind" compares.
snapshot() { (cd "$H" && find . -printf '%y %p\n' | LC_ALL=C sort -k2); }
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
check "install and its self-check leave no host state (the data dir holds config.json only)" \
  test "$(cd "$H/tabagent-data" && find . -mindepth 1 | LC_ALL=C sort | tr '\n' ' ')" == "./config.json " ||
  find "$H/tabagent-data"
check "the self-check's scratch data dirs are removed" test -z "$(ls -A "$WORK/tmp")" || ls -la "$WORK/tmp"

sums() { (cd "$H" && find . -type f -print | LC_ALL=C sort | xargs -d '\n' sha256sum); }
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
check "--check runs leave no host state either" test ! -e "$H/tabagent-data/logs" -a -z "$(ls -A "$WORK/tmp")"

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

# ---- A fresh HOME with the defaults: the prefix is also the host's data dir (~/.local/share/TabAgent).
# Its model cache (one cached file) must survive everything below, --purge included.
H2="$WORK/fresh"
D2="$H2/.local/share/TabAgent"
mkdir -p "$H2/.cache/huggingface/hub/models--org--m/blobs"
echo weights >"$H2/.cache/huggingface/hub/models--org--m/blobs/0123"
fresh() { env -i PATH="$PATH" HOME="$H2" TMPDIR="$WORK/tmp" bash "$INSTALL" "$@"; }
listing() { (cd "$H2" && find . -printf '%y %p\n' | LC_ALL=C sort); }
FRESH_BEFORE="$(listing)"
fresh_install() { fresh --prebuilt "$BUILD_DIR" --all-browsers 2>&1; }

out="$(fresh_install)"; rc=$?
check "fresh HOME: one command installs and registers every browser" test "$rc" -eq 0 || echo "$out"
check "fresh HOME: the self-check's handshake succeeded for all 6 browsers" \
  test "$(grep -c 'answers handshake' <<<"$out")" -eq 6 || echo "$out"
check "fresh HOME: installing created no host state (no logs/ or jobs/ in the data dir)" \
  test ! -e "$D2/logs" -a ! -e "$D2/jobs" || find "$D2"
out="$(fresh --uninstall 2>&1)"; rc=$?
check "fresh HOME: --uninstall exits 0" test "$rc" -eq 0 || echo "$out"
check "fresh HOME: install then --uninstall leaves HOME exactly as before" test "$FRESH_BEFORE" == "$(listing)" ||
  diff <(echo "$FRESH_BEFORE") <(listing)
check "fresh HOME: nothing to report when the host never ran" bash -c '! grep -q "kept the host" <<<"$1"' _ "$out"

# The browser used the host: it wrote logs/, jobs/ and a stored token into its data dir.
use_host() {
  env -i PATH="$PATH" HOME="$H2" python3 - "$D2/bin/tabagent-host" <<'PY'
import json, struct, subprocess, sys
host = sys.argv[1]
p = subprocess.Popen([host, "chrome-extension://fkkeoobeahalebjpbockfedlncckobjb/"], stdin=subprocess.PIPE,
                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
def call(msg):
    body = json.dumps(msg).encode()
    p.stdin.write(struct.pack("=I", len(body)) + body)
    p.stdin.flush()
    while True:
        (n,) = struct.unpack("=I", p.stdout.read(4))
        frame = json.loads(p.stdout.read(n))
        if frame.get("messageId") == msg["messageId"]:
            return frame
for i, msg in enumerate([{"action": "handshake"}, {"action": "set_hf_token", "token": "hf_installer_test"}]):
    reply = call(dict(msg, messageId="u%d" % i))
    assert reply["status"] == "success", reply
p.stdin.close()
sys.exit(p.wait())
PY
}
out="$(fresh_install)"; rc=$?
check "fresh HOME: reinstall exits 0" test "$rc" -eq 0 || echo "$out"
check "fresh HOME: the installed host serves a browser-like session" use_host
check "the host wrote its state into its data dir" test -f "$D2/logs/tabagent-host.log" -a -d "$D2/jobs" -a -f "$D2/token"
out="$(fresh --uninstall 2>&1)"; rc=$?
check "--uninstall after use exits 0" test "$rc" -eq 0 || echo "$out"
check "--uninstall keeps the host's data (logs, jobs, token)" \
  test -f "$D2/logs/tabagent-host.log" -a -d "$D2/jobs" -a -f "$D2/token"
check "--uninstall reports the kept data dir, its contents and --purge" \
  grep -q "kept the host's data dir $D2 (jobs/ logs/ token)" <<<"$out" || echo "$out"
check "--uninstall names --purge" grep -q -- "--uninstall --purge" <<<"$out"
# Only the data dir (and the directories holding it) may differ from before the first install.
extra="$(LC_ALL=C comm -13 <(echo "$FRESH_BEFORE") <(listing) | awk '{print $2}' |
         grep -v -x -e ./.local -e ./.local/share -e ./.local/share/TabAgent |
         grep -v -e '^\./\.local/share/TabAgent/\(logs\|jobs\|token\)' -e '^\./\.local/share/TabAgent/installed-files.txt$')"
check "--uninstall removed everything the installer wrote" test -z "$extra" || echo "$extra"
# What stays on record: only the directories the install made that now hold the kept data.
check "the record left behind lists only the directories holding the kept data" \
  test "$(cut -f2 "$D2/installed-files.txt" | LC_ALL=C sort | tr '\n' ' ')" == "$H2/.local $H2/.local/share $D2 " ||
  cat "$D2/installed-files.txt"
check "--uninstall removed nothing that was there before" test -z "$(LC_ALL=C comm -23 <(echo "$FRESH_BEFORE") <(listing))"

check "--purge without --uninstall is a usage error (exit 2)" \
  bash -c '"$@" >/dev/null 2>&1; test $? -eq 2' _ env -i PATH="$PATH" HOME="$H2" bash "$INSTALL" --purge
out="$(env -i PATH="$PATH" HOME="$H2" TABAGENT_CACHE="$D2/hub" bash "$INSTALL" --uninstall --purge 2>&1)"; rc=$?
check "--purge refuses when the model cache is inside the data dir" test "$rc" -ne 0 -a -f "$D2/token" || echo "$out"

log_lines="$(wc -l <"$D2/logs/tabagent-host.log")"
out="$(fresh_install)"; rc=$?
check "fresh HOME: install over the kept data exits 0" test "$rc" -eq 0 || echo "$out"
check "the self-check did not write to the kept log" test "$(wc -l <"$D2/logs/tabagent-host.log")" -eq "$log_lines"
out="$(fresh --uninstall --purge 2>&1)"; rc=$?
check "--uninstall --purge exits 0" test "$rc" -eq 0 || echo "$out"
check "--uninstall --purge says what it removed" grep -q "purged the host's data dir $D2" <<<"$out" || echo "$out"
check "--uninstall --purge leaves HOME exactly as before the first install (model cache kept)" \
  test "$FRESH_BEFORE" == "$(listing)" || diff <(echo "$FRESH_BEFORE") <(listing)
check "the model cache is untouched" grep -qx weights "$H2/.cache/huggingface/hub/models--org--m/blobs/0123"
check "no scratch data dir left in TMPDIR" test -z "$(ls -A "$WORK/tmp")"

# A machine without any browser (a server, a fresh container): installing is not a failure; the
# host is installed and its own handshake is the self-check. PATH keeps every tool but the browsers.
NOBROWSER_BIN="$WORK/nobrowser-bin" H3="$WORK/home-nobrowser"
mkdir -p "$NOBROWSER_BIN" "$H3"
for tool in /usr/local/bin/* /usr/bin/* /bin/*; do
  case "${tool##*/}" in
    chromium*|google-chrome*|brave*|microsoft-edge*|vivaldi*|firefox*) continue ;;
  esac
  [[ -e "$NOBROWSER_BIN/${tool##*/}" ]] || ln -s "$tool" "$NOBROWSER_BIN/${tool##*/}"
done
out="$(env -i PATH="$NOBROWSER_BIN" HOME="$H3" TMPDIR="$WORK/tmp" TABAGENT_CACHE="$WORK/cache"   bash "$INSTALL" --prebuilt "$BUILD_DIR" 2>&1)"; rc=$?
check "no browser at all: install exits 0" test "$rc" -eq 0 || echo "$out"
check "no browser at all: says nothing was registered" grep -q "no browser profile found; nothing registered" <<<"$out" || echo "$out"
check "no browser at all: the installed host answered a handshake" grep -q "tabagent-host answers a handshake" <<<"$out" || echo "$out"
check "no browser at all: no manifest written" test -z "$(find "$H3" -name 'com.tabagent.host.json')"
printf '#!/bin/sh\nexit 0\n' >"$WORK/mute-host" && chmod +x "$WORK/mute-host"
mkdir -p "$WORK/mute" && cp "$WORK/mute-host" "$WORK/mute/tabagent-host"
out="$(env -i PATH="$NOBROWSER_BIN" HOME="$H3" TMPDIR="$WORK/tmp" bash "$INSTALL" --prebuilt "$WORK/mute" 2>&1)"; rc=$?
check "no browser at all: a host that does not answer fails the install" test "$rc" -ne 0 || echo "$out"
env -i PATH="$NOBROWSER_BIN" HOME="$H3" bash "$INSTALL" --uninstall >/dev/null 2>&1

echo "installer: $PASSED passed, $FAILED failed"
[[ $FAILED -eq 0 ]]
