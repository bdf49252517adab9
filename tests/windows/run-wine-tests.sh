#!/usr/bin/env bash
# The Windows test set (issue 14 item 5): the cross-built executables of the `windows` preset run
# under Wine, driven by the same Python tests as on Linux; the fake hub and the test drivers stay
# native (tests/integration/target.py starts a .exe through wine and hands it Windows paths).
# Usage: bash tests/windows/run-wine-tests.sh [windows-build-dir] [native-build-dir]
#   defaults: build/windows and build/ci. Exit status 0 when every part passed.
# Tests that cannot run under Wine are listed, with the reason, in docs/WINDOWS.md ("Wine test set").
set -uo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
win="${1:-$root/build/windows}"
native="${2:-$root/build/ci}"
host_exe="$win/src/host/tabagent-host.exe"
cli_exe="$win/src/cli/tabagent-cache.exe"
for f in "$host_exe" "$cli_exe" "$native/tests/fakehub/fakehub"; do
  [ -e "$f" ] || { echo "run-wine-tests: missing $f (build the windows and ci presets first)" >&2; exit 2; }
done

export WINEPREFIX="${TABAGENT_WINEPREFIX:-${XDG_CACHE_HOME:-$HOME/.cache}/tabagent/wine}"
export WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
mkdir -p "$WINEPREFIX"
# One wineserver for the whole run (-p: persistent) instead of one per started program.
wineboot -i >/dev/null 2>&1 || true
wineserver -p
trap 'wineserver -k 2>/dev/null || true' EXIT

failed=()
part() {  # part NAME COMMAND...: runs one part, remembers a failure, goes on with the next
  local name=$1; shift
  printf '\n--- wine: %s\n' "$name"
  if "$@"; then echo "--- wine: $name: ok"; else echo "--- wine: $name: FAILED"; failed+=("$name"); fi
}

tests/windows/check-imports.sh "$host_exe" "$cli_exe" || failed+=("imports")
if [ -e "$win/tests/unit_tests.exe" ]; then
  part "unit tests" wine "$win/tests/unit_tests.exe" $(cat tests/windows/unit-exclusions.txt 2>/dev/null | grep -v '^#' | tr '\n' ' ')
fi
part "replay fixtures" python3 tests/replay/run_replay.py --host "$host_exe" \
  --fakehub "$native/tests/fakehub/fakehub" --fakehub-gen "$native/tests/fakehub/fakehub-gen"
(
  cd tests/integration
  export TABAGENT_HOST="$host_exe" TABAGENT_CLI="$cli_exe" TABAGENT_UNDER_WINE=1 \
    FAKEHUB="$native/tests/fakehub/fakehub" FAKEHUB_GEN="$native/tests/fakehub/fakehub-gen"
  for module in $(grep -v '^#' "$root/tests/windows/wine-integration.txt"); do
    part "integration $module" python3 -m unittest "$module"
  done
  [ ${#failed[@]} -eq 0 ]
) || failed+=("integration")

if [ ${#failed[@]} -ne 0 ]; then
  echo "run-wine-tests: failed: ${failed[*]}"
  exit 1
fi
echo "run-wine-tests: all parts passed"
