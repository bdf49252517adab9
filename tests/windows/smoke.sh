#!/usr/bin/env bash
# Windows smoke check (issue 14 item 1): cross-builds tests/windows/smoke.cpp with
# cmake/toolchains/mingw-w64-x86_64.cmake against the prefix of scripts/windows-deps.sh, checks that
# the .exe imports only Windows' own DLLs, and runs it under Wine. Exits non-zero on any failure.
# Usage: bash tests/windows/smoke.sh [deps-prefix]   (without one, runs scripts/windows-deps.sh)
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
host=x86_64-w64-mingw32
prefix="${1:-$(bash scripts/windows-deps.sh | tail -n 1)}"
build="$root/build/windows-smoke"

nice -n 19 cmake -S tests/windows -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_TOOLCHAIN_FILE="$root/cmake/toolchains/mingw-w64-x86_64.cmake" \
  -DTABAGENT_WINDOWS_DEPS="$prefix" >/dev/null
nice -n 19 cmake --build "$build" -j2
exe="$build/smoke.exe"

# Imports: Windows' own DLLs only (the system32 set every Windows 10/11 has; Wine ships each too).
# api-ms-win-* are the UCRT's API sets, in case the runtime is switched to UCRT later.
allowed='^(kernel32|ntdll|msvcrt|ucrtbase|api-ms-win-[a-z0-9-]+|advapi32|ws2_32|crypt32|secur32|sspicli|bcrypt|ncrypt|user32|gdi32|shell32|ole32|oleaut32|shlwapi|iphlpapi|userenv|wldap32|normaliz|rpcrt4|dbghelp)\.dll$'
echo "--- imports of smoke.exe"
dlls=$("$host-objdump" -p "$exe" | sed -n 's/^[[:space:]]*DLL Name: //p')
bad=0
for dll in $dlls; do
  if echo "$dll" | tr '[:upper:]' '[:lower:]' | grep -Eq "$allowed"; then
    echo "ok   $dll"
  else
    echo "FAIL $dll (not a Windows system DLL)"; bad=1
  fi
done
[ -n "$dlls" ] || { echo "FAIL no imports read from $exe"; bad=1; }
[ "$bad" -eq 0 ] || exit 1

# Wine: a prefix of our own (created on first use, ~20 s), no debug chatter, and no Mono/Gecko
# installers (mscoree/mshtml disabled) since a console program needs neither.
export WINEPREFIX="${TABAGENT_WINEPREFIX:-${XDG_CACHE_HOME:-$HOME/.cache}/tabagent/wine}"
export WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
mkdir -p "$WINEPREFIX"
echo "--- wine $(wine --version 2>/dev/null) ($WINEPREFIX)"
nice -n 19 wine "$exe"
