#!/usr/bin/env bash
# Builds tests/windows/registration with mingw-w64 (no dependency prefix needed) and runs it under
# Wine: the HKCU registry seam and the process seam of tabagent-host --install/--check. Then sets a
# key the way --install does and reads it back with `wine reg query`, as a browser would find it.
# Usage: bash tests/windows/registration/run.sh     (exit status 0 = every check passed)
set -euo pipefail
cd "$(dirname "$0")/../../.."
root=$(pwd)
build="$root/build/windows-registration"

nice -n 10 cmake -S tests/windows/registration -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_SYSTEM_NAME=Windows -DCMAKE_SYSTEM_PROCESSOR=x86_64 \
  -DCMAKE_CXX_COMPILER=x86_64-w64-mingw32-g++-posix >/dev/null
nice -n 10 cmake --build "$build" -j2
tests/windows/check-imports.sh "$build/registration_tests.exe"

export WINEPREFIX="${TABAGENT_WINEPREFIX:-${XDG_CACHE_HOME:-$HOME/.cache}/tabagent/wine}"
export WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
mkdir -p "$WINEPREFIX"
echo "--- wine $(wine --version 2>/dev/null) ($WINEPREFIX)"
nice -n 10 wine "$build/registration_tests.exe"

# What a browser sees: the key --install writes, read by Wine's own reg.exe.
key='HKCU\Software\TabAgentTest\Mozilla\NativeMessagingHosts\com.tabagent.host'
value='C:\Users\test\AppData\Local\TabAgent\native-messaging\com.tabagent.host.firefox.json'
nice -n 10 wine "$build/registration_tests.exe" --keep 'Software\TabAgentTest\Mozilla\NativeMessagingHosts\com.tabagent.host' "$value"
query=$(wine reg query "$key" /ve 2>/dev/null | tr -d '\r')
wine reg delete 'HKCU\Software\TabAgentTest' /f >/dev/null 2>&1 || true
echo "$query"
if ! grep -qF "$value" <<<"$query"; then
  echo "FAIL: wine reg query did not show the value" >&2
  exit 1
fi
echo "ok   wine reg query shows the default value the seam wrote"
