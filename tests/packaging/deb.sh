#!/usr/bin/env bash
# The .deb (issue 14 item 4; docs/PACKAGING.md): builds tabagent_<version>_amd64.deb with CPack,
# runs lintian, installs it with dpkg, checks every file, the manifests and a framed handshake
# through each browser's system manifest, removes it with `dpkg -r` and checks nothing is left.
#
#   bash tests/packaging/deb.sh [--system] [--build-dir DIR | --deb FILE]
#     (default)      build the `release` preset and `cpack --preset deb`
#     --build-dir D  package an already built tree instead (e.g. build/ci)
#     --deb FILE     test an existing package
#     --system       install on this machine itself (`dpkg -i`, root only: for CI, which runs as root
#                    in a throwaway environment) and run the installed `tabagent-host --check` on
#                    the system manifests. Without it the package goes into a scratch root
#                    (`dpkg --root`; unprivileged through fakeroot), which touches nothing outside.
# Exit status 0 = every check passed.
set -euo pipefail
cd "$(dirname "$0")/../.."
root_dir=$(pwd)
system=0
build=""
deb=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --system) system=1 ;;
    --build-dir) build="$(realpath "$2")"; shift ;;
    --deb) deb="$(realpath "$2")"; shift ;;
    *) echo "usage: $0 [--system] [--build-dir DIR | --deb FILE]" >&2; exit 2 ;;
  esac
  shift
done
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok   $*"; }
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/ccache}" CCACHE_BASEDIR="$root_dir" CCACHE_NOHASHDIR=1

# ---------------------------------------------------------------- build
if [[ -z "$deb" ]]; then
  if [[ -z "$build" ]]; then
    build="$root_dir/build/release"
    nice -n 10 cmake --preset release >/dev/null
    nice -n 10 cmake --build --preset release -j2 >/dev/null
    (nice -n 10 cpack --preset deb >/dev/null)
  else
    (cd "$build" && nice -n 10 cpack -G DEB --config CPackConfig.cmake >/dev/null)
  fi
  deb=$(ls -t "$build"/tabagent_*_amd64.deb | head -n 1)
fi
[[ -f "$deb" ]] || fail "no .deb"
version=$(dpkg-deb -f "$deb" Version)
[[ "$(basename "$deb")" == "tabagent_${version}_amd64.deb" ]] || fail "file name $(basename "$deb")"
ok "$(basename "$deb") ($(stat -c %s "$deb") bytes)"
depends=$(dpkg-deb -f "$deb" Depends)
[[ "$depends" == *"libc6 (>="* && "$depends" == *"libcurl4 (>= 7.68.0) | libcurl3-gnutls (>= 7.68.0)"* ]] ||
  fail "Depends: $depends"
ok "Depends: $depends"

# ---------------------------------------------------------------- lintian
# Errors and warnings fail; info and pedantic tags are shown. Overrides ship in the package
# (packaging/deb/lintian-overrides, each with its reason).
# (--show-overrides would make --fail-on count the overridden tags: lintian 2.116 exits 2.)
lintian_out=$(lintian --display-info --fail-on error,warning "$deb" 2>&1) || { echo "$lintian_out"; fail "lintian"; }
echo "$lintian_out" | grep -v 'running with root privileges' | sed 's/^/     lintian: /' || true
ok "lintian $(lintian --version | awk '{print $2}'): no error, no warning"

# Debian's Chromium, started headless with a fresh profile (so no per-user manifest), loads a
# two-line extension that sends a handshake to com.tabagent.host: Chromium must find the host
# through /etc/chromium/native-messaging-hosts (the package's link) and start the installed host.
# The extension carries extension-sample's key (its id is fixed), which the packaged manifest does
# not allow: for this probe only, its origin is added to the installed manifest and to the host's
# own allowlist (config.json in a scratch TABAGENT_HOME); dpkg -r removes the edited file anyway.
chromium_probe() {
  local p="$scratch/chromium" id
  mkdir -p "$p/ext" "$p/profile" "$p/home" "$p/data"
  id=$(python3 - "$p/ext" <<'PY'
import base64, hashlib, json, sys
key = json.load(open("extension-sample/manifest.json"))["key"]
json.dump({"manifest_version": 3, "name": "tabagent deb probe", "version": "1", "key": key,
           "permissions": ["nativeMessaging"], "background": {"service_worker": "bg.js"}},
          open(sys.argv[1] + "/manifest.json", "w"))
open(sys.argv[1] + "/bg.js", "w").write(
    'chrome.runtime.sendNativeMessage("com.tabagent.host", {action: "handshake", messageId: "deb-probe"},\n'
    '  (r) => console.log("PROBE " + JSON.stringify(r) + " " + (chrome.runtime.lastError ? chrome.runtime.lastError.message : "")));\n')
print("".join(chr(ord("a") + int(c, 16)) for c in hashlib.sha256(base64.b64decode(key)).hexdigest()[:32]))
PY
)
  python3 - "$chrome_manifest" "$id" <<'PY'
import json, sys
m = json.load(open(sys.argv[1])); m["allowed_origins"].append("chrome-extension://%s/" % sys.argv[2])
json.dump(m, open(sys.argv[1], "w"), indent=2)
PY
  echo "{\"allowed_extension_ids\": [\"$id\"]}" >"$p/data/config.json"
  : >"$p/chromium.log"
  HOME="$p/home" TABAGENT_HOME="$p/data" chromium --headless=new --no-sandbox --disable-gpu \
    --no-first-run --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$p/profile" --disable-extensions-except="$p/ext" --load-extension="$p/ext" \
    --enable-logging=stderr --v=0 about:blank >"$p/chromium.log" 2>&1 &
  local browser=$!
  # The extension's console line ends the wait (60 s at most); then the browser is stopped.
  timeout 60 tail -n +1 -f "$p/chromium.log" | grep -aq -m1 PROBE || true
  kill "$browser" 2>/dev/null || true
  wait "$browser" 2>/dev/null || true
  grep -aq 'PROBE {"messageId":"deb-probe","payload":{.*"status":"success"' "$p/chromium.log" ||
    { grep -a PROBE "$p/chromium.log"; fail "Chromium did not reach the host through /etc/chromium"; }
  grep -q "started (pid [0-9]*) for chrome-extension://$id/" "$p"/data/logs/*.log ||
    fail "the host's log does not show Chromium's start"
  ok "Chromium $(chromium --version 2>/dev/null | awk '{print $2}') found the host through /etc/chromium/native-messaging-hosts and got a handshake"
}

# ---------------------------------------------------------------- install
host=/usr/libexec/tabagent/tabagent-host
chrome_manifest=/usr/share/tabagent/native-messaging-hosts/com.tabagent.host.json
firefox_manifest=/usr/lib/mozilla/native-messaging-hosts/com.tabagent.host.json
chrome_dirs=(/etc/opt/chrome /etc/opt/chrome_for_testing /etc/chromium /etc/opt/edge)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
export TABAGENT_HOME="$scratch/data" # the host's logs go here, not into a home directory

if [[ $system -eq 1 ]]; then
  [[ $(id -u) -eq 0 ]] || fail "--system installs on this machine and needs root"
  if dpkg-query -W -f '${Status}' tabagent 2>/dev/null | grep -q ' installed'; then
    fail "tabagent is already installed on this machine; --system will not replace it"
  fi
  R=""
  dpkg_() { dpkg "$@"; }
  query() { dpkg-query "$@"; }
  # A failed check must not leave the package on the machine.
  trap 'dpkg -P tabagent >/dev/null 2>&1 || true; rm -rf "$scratch"' EXIT
else
  # A scratch root whose dpkg database starts as a copy of this machine's status file: Depends are
  # checked against what is installed here, while every file goes under the scratch root.
  R="$scratch/root"
  mkdir -p "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/updates" "$R/var/log"
  cp /var/lib/dpkg/status "$R/var/lib/dpkg/status"
  : >"$R/var/lib/dpkg/available"
  if [[ $(id -u) -eq 0 ]]; then
    dpkg_() { dpkg --root="$R" --log="$R/var/log/dpkg.log" "$@"; }
  else
    dpkg_() { fakeroot dpkg --force-not-root --root="$R" --log="$R/var/log/dpkg.log" "$@"; }
  fi
  query() { dpkg-query --admindir="$R/var/lib/dpkg" "$@"; }
fi
# (The scratch database has no file lists: dpkg warns once per package it knows; not shown.)
dpkg_ -i "$deb" 2> >(grep -v 'files list file for package' >&2) >/dev/null
[[ "$(query -W -f '${Status}' tabagent)" == "install ok installed" ]] || fail "dpkg status after -i"
ok "dpkg ${R:+--root=$R }-i: install ok installed"

# ---------------------------------------------------------------- files
mapfile -t listed < <(query -L tabagent)
expected=("$host" /usr/bin/tabagent-cache "$chrome_manifest" "$firefox_manifest"
  /usr/share/doc/tabagent/copyright /usr/share/doc/tabagent/changelog.gz
  /usr/share/man/man1/tabagent-cache.1.gz /usr/share/lintian/overrides/tabagent)
for d in "${chrome_dirs[@]}"; do expected+=("$d/native-messaging-hosts/com.tabagent.host.json"); done
for f in "${expected[@]}"; do
  printf '%s\n' "${listed[@]}" | grep -qx "$f" || fail "$f is not in the package"
  [[ -e "$R$f" || -L "$R$f" ]] || fail "$f not installed"
done
for f in "${listed[@]}"; do [[ -e "$R$f" || -L "$R$f" ]] || fail "listed $f missing"; done
[[ -x "$R$host" && -x "$R/usr/bin/tabagent-cache" ]] || fail "binaries not executable"
for d in "${chrome_dirs[@]}"; do
  link="$d/native-messaging-hosts/com.tabagent.host.json"
  [[ -L "$R$link" && "$(readlink "$R$link")" == "$chrome_manifest" ]] || fail "$link is not a link to $chrome_manifest"
done
ok "${#listed[@]} paths installed; the browsers' system manifests link to $chrome_manifest"
"$R$host" --version | grep -qx "tabagent-host $version" || fail "tabagent-host --version"
"$R/usr/bin/tabagent-cache" --version | grep -qx "tabagent-cache $version" || fail "tabagent-cache --version"
libs=$(ldd "$R$host" | awk '{print $1}' | sed 's/\.so.*//' | sort | tr '\n' ' ')
ok "both run, version $version; tabagent-host loads: $libs"

# ---------------------------------------------------------------- manifests and handshakes
for d in "${chrome_dirs[@]}"; do
  python3 tests/packaging/handshake.py --kind chrome --root "$R" --label "$d" \
    "$d/native-messaging-hosts/com.tabagent.host.json" || fail "handshake through $d"
done
python3 tests/packaging/handshake.py --kind firefox --root "$R" --label /usr/lib/mozilla \
  "$firefox_manifest" || fail "handshake through Firefox's manifest"
if [[ $system -eq 1 ]]; then
  # The installed host diagnoses the same registrations itself (an empty HOME: no per-user ones).
  mkdir -p "$scratch/home"
  dirs=$(printf '%s/native-messaging-hosts:' "${chrome_dirs[@]}")
  check=$(HOME="$scratch/home" XDG_CONFIG_HOME= TABAGENT_BROWSER_DIRS="${dirs%:}" "$host" --check) ||
    { echo "$check"; fail "$host --check"; }
  echo "$check" | sed 's/^/     /'
  for d in "${chrome_dirs[@]}"; do
    echo "$check" | grep -q ": OK, .*($d/native-messaging-hosts/com.tabagent.host.json)" ||
      fail "$host --check did not find $d's manifest working"
  done
  python3 installer/nmcheck.py --kind firefox "$firefox_manifest" | sed 's/^/     /' ||
    fail "installer/nmcheck.py on $firefox_manifest"
  ok "$host --check and installer/nmcheck.py: every system manifest works"
  if [[ -x /usr/bin/chromium ]]; then chromium_probe; fi
fi

# ---------------------------------------------------------------- remove
dpkg_ -r tabagent 2> >(grep -v 'files list file for package' >&2) >/dev/null
status=$(query -W -f '${db:Status-Abbrev}' tabagent 2>/dev/null || true)
[[ -z "$status" || "$status" == un* || "$status" == rc* ]] || fail "dpkg status after -r: '$status'"
for f in "${listed[@]}"; do
  [[ -d "$R$f" && ! -L "$R$f" ]] && continue # shared directories (/usr/bin, ...) stay
  [[ ! -e "$R$f" && ! -L "$R$f" ]] || fail "$f left after dpkg -r"
done
for d in /usr/libexec/tabagent /usr/share/tabagent /usr/share/doc/tabagent; do [[ ! -e "$R$d" ]] || fail "$d left after dpkg -r"; done
if [[ -n "$R" ]]; then
  left=$(cd "$R" && find . -mindepth 1 ! -path './var/lib/dpkg*' ! -path './var/log*' ! -path './var/lib' ! -path './var')
  [[ -z "$left" ]] || fail "left in the scratch root after dpkg -r: $left"
fi
dpkg_ -P tabagent >/dev/null 2>&1 || true
ok "dpkg -r: no file, link or directory of the package left (status '${status:-not installed}')"
echo "deb: all checks passed"
