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

tests/windows/check-imports.sh "$exe"

# Wine: a prefix of our own (created on first use, ~20 s), no debug chatter, and no Mono/Gecko
# installers (mscoree/mshtml disabled) since a console program needs neither.
export WINEPREFIX="${TABAGENT_WINEPREFIX:-${XDG_CACHE_HOME:-$HOME/.cache}/tabagent/wine}"
export WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
mkdir -p "$WINEPREFIX"
echo "--- wine $(wine --version 2>/dev/null) ($WINEPREFIX)"
nice -n 19 wine "$exe"
