#!/usr/bin/env bash
# tabagent-host.exe --install / --check / --uninstall under Wine, once the whole host links for
# Windows: the HKCU keys as `wine reg query` shows them, a handshake through the path each key
# names, a manifest whose "path" is relative to its folder, and nothing left after --uninstall.
# Usage: bash tests/windows/registration/host_roundtrip.sh path/to/tabagent-host.exe
set -euo pipefail
exe=$(readlink -f "$1")
export WINEPREFIX="${TABAGENT_WINEPREFIX:-${XDG_CACHE_HOME:-$HOME/.cache}/tabagent/wine}"
export WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
keys=('HKCU\Software\Google\Chrome\NativeMessagingHosts\com.tabagent.host'
      'HKCU\Software\Mozilla\NativeMessagingHosts\com.tabagent.host')
for k in "${keys[@]}"; do
  if wine reg query "$k" /ve >/dev/null 2>&1; then
    echo "SKIP: $k exists in $WINEPREFIX already (another test's registration); not touching it" >&2
    exit 77
  fi
done
work=$(mktemp -d "${TMPDIR:-/tmp}/tabagent-regwine.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/data"
cp "$exe" "$work/tabagent-host.exe"
export TABAGENT_HOME="Z:${work//\//\\}\\data"
failures=0
expect() { # expect NAME PATTERN TEXT
  if grep -qF -- "$2" <<<"$3"; then echo "ok   $1"; else echo "FAIL $1: no '$2' in:"; echo "$3"; failures=$((failures + 1)); fi
}
# Run from another folder, so that a relative "path" can only resolve against the manifest's.
run() { (cd / && wine "$work/tabagent-host.exe" "$@" 2>&1 | tr -d '\r'); }

out=$(run --install --browser chrome --browser firefox)
expect "--install registers Chrome" "Google Chrome: Z:" "$out"
expect "--install ends well" "Installed;" "$out"
for k in "${keys[@]}"; do
  q=$(wine reg query "$k" /ve 2>&1 | tr -d '\r')
  expect "wine reg query $k names the manifest" "\\data\\native-messaging\\com.tabagent.host." "$q"
done
out=$(run --check)
expect "--check: Chrome's key leads to a host that answers" "Google Chrome: OK, answers handshake" "$out"
expect "--check: Firefox's key too" "Firefox: OK, answers handshake" "$out"
expect "--check: all work" "2 of 2 registrations work" "$out"
printf '{"name":"com.tabagent.host","description":"x","path":"tabagent-host.exe","type":"stdio","allowed_origins":["chrome-extension://fkkeoobeahalebjpbockfedlncckobjb/"]}' >"$work/relative.json"
out=$(run --check --manifest "Z:${work//\//\\}\\relative.json")
expect "--check: a path relative to the manifest's folder works on Windows" "manifest: OK, answers handshake" "$out"
out=$(run --uninstall)
expect "--uninstall ends well" "Uninstalled." "$out"
for k in "${keys[@]}"; do
  if wine reg query "$k" /ve >/dev/null 2>&1; then echo "FAIL $k still exists"; failures=$((failures + 1)); else echo "ok   $k gone"; fi
done
left=$(find "$work/data" -name 'com.tabagent.host*' -o -name registrations.json -o -name native-messaging)
if [[ -z "$left" ]]; then echo "ok   no manifest, folder or record left"; else echo "FAIL left: $left"; failures=$((failures + 1)); fi
echo "$failures failure(s)"
[[ $failures -eq 0 ]]
