#!/usr/bin/env bash
# The Windows installer under Wine (issue 14 item 4; docs/PACKAGING.md): builds
# TabAgent-<version>-win64-setup.exe with CPack, installs it silently, checks the registrations,
# the manifests, the Apps entry and a framed handshake through the path each key names, then
# uninstalls silently and checks that no key and no file of the install remain while the model
# cache and the data dir do.
#
#   bash tests/packaging/nsis.sh                 package build/windows (the `windows` preset, built)
#   bash tests/packaging/nsis.sh --stub          package stand-in exes (tests/packaging/nsis-stub)
#   bash tests/packaging/nsis.sh --setup FILE    test an existing setup.exe
# Env: TABAGENT_NSIS_WINEPREFIX (default ~/.cache/tabagent/wine-nsis: a prefix of its own, so the
# registry checks and `wineserver -w` see no other test's keys or processes).
# Exit status 0 = every check passed.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
mode=preset
setup=""
case "${1:-}" in
  --stub) mode=stub ;;
  --setup) mode=file; setup="$(realpath "$2")" ;;
  "") ;;
  *) echo "usage: $0 [--stub | --setup FILE]" >&2; exit 2 ;;
esac

fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok   $*"; }

# ---------------------------------------------------------------- build the installer
if [[ $mode == stub ]]; then
  build="$root/build/nsis-stub"
  mkdir -p "$build-deps" # the toolchain wants a deps prefix; the stubs need none
  nice -n 10 cmake -S tests/packaging/nsis-stub -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_TOOLCHAIN_FILE="$root/cmake/toolchains/mingw-w64-x86_64.cmake" \
    -DTABAGENT_WINDOWS_DEPS="$build-deps" >/dev/null
  nice -n 10 cmake --build "$build" -j2 >/dev/null
  (cd "$build" && nice -n 10 cpack -G NSIS >/dev/null)
elif [[ $mode == preset ]]; then
  build="$root/build/windows"
  [[ -f "$build/tabagent-host.exe" || -f "$build/src/host/tabagent-host.exe" ]] ||
    fail "no tabagent-host.exe in $build: cmake --preset windows && cmake --build --preset windows"
  nice -n 10 cpack --preset nsis >/dev/null
fi
if [[ $mode != file ]]; then
  setup=$(ls -t "$build"/TabAgent-*-win64-setup.exe | head -n 1)
fi
[[ -f "$setup" ]] || fail "no setup.exe"
ok "installer $(basename "$setup") ($(stat -c %s "$setup") bytes)"
if [[ $mode == preset ]]; then
  # The executables the installer carries: nothing but Windows' own DLLs.
  tests/windows/check-imports.sh --manifest $(find "$build" -name 'tabagent-*.exe' ! -path '*/_CPack_Packages/*')
fi

# ---------------------------------------------------------------- Wine
export WINEPREFIX="${TABAGENT_NSIS_WINEPREFIX:-${XDG_CACHE_HOME:-$HOME/.cache}/tabagent/wine-nsis}"
export WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
mkdir -p "$WINEPREFIX"
[[ -f "$WINEPREFIX/system.reg" ]] || { echo "--- creating $WINEPREFIX"; wineboot -i >/dev/null 2>&1; wineserver -w; }
export LC_ALL=C.UTF-8 # Wine's Unix-side strings (paths, arguments) in UTF-8
wine_out() { wine "$@" 2>/dev/null | tr -d '\r'; }
# Console programs (reg, cmd) write to a pipe in the OEM code page, 437 for an en-US prefix.
wine_console() { wine_out "$@" | iconv -f CP437 -t UTF-8; }
# reg_default KEY: the key's default value, or nothing (exit 1) when the key does not exist.
reg_default() { wine_console reg query "$1" /ve | sed -n 's/^ *(Default) *REG_SZ *//p' | grep .; }
reg_value() { wine_console reg query "$1" /v "$2" | sed -n "s/^ *$2 *REG_[A-Z_]* *//p" | grep .; }
reg_exists() { wine reg query "$1" >/dev/null 2>&1; }
unix_path() { wine_out winepath -u "$1"; }

host_name=com.tabagent.host
apps_key='HKCU\Software\Microsoft\Windows\CurrentVersion\Uninstall\TabAgent'
browsers=('Google\Chrome' 'Chromium' 'Microsoft\Edge' 'BraveSoftware\Brave-Browser' 'Vivaldi' 'Mozilla')
localappdata=$(wine_console cmd /c echo %LOCALAPPDATA%)
profile=$(wine_console cmd /c echo %USERPROFILE%)
echo "--- wine $(wine --version 2>/dev/null), prefix $WINEPREFIX"

# A clean start: what a failed earlier run may have left.
if earlier=$(reg_value "$apps_key" InstallLocation); then
  echo "--- removing an earlier install in $earlier"
  wine "$(unix_path "$earlier\\Uninstall.exe")" /S 2>/dev/null || true; wineserver -w
fi
for b in "${browsers[@]}"; do wine reg delete "HKCU\\Software\\$b\\NativeMessagingHosts\\$host_name" /f >/dev/null 2>&1 || true; done
wine reg delete "$apps_key" /f >/dev/null 2>&1 || true
rm -rf "$(unix_path "$localappdata\\Programs\\TabAgent")" "$(unix_path 'C:\\Prögram Tést')"
# What the uninstaller must keep: the model cache and the host's data dir.
cache_marker="$(unix_path "$profile\\.cache\\huggingface\\hub")/tabagent-nsis-test"
data_marker="$(unix_path "$localappdata\\TabAgent")/tabagent-nsis-test"
mkdir -p "$(dirname "$cache_marker")" "$(dirname "$data_marker")"
echo keep >"$cache_marker"; echo keep >"$data_marker"
# One install / check / uninstall cycle into $1 (a Windows path); $2 non-empty: pass it with /D=.
cycle() {
  local instdir_win="$1" custom="$2" instdir
  instdir=$(unix_path "$instdir_win")
  echo "--- install into $instdir_win"
  # Browser keys that exist before the install must survive the uninstall; those created by it must not.
  wine reg add 'HKCU\Software\Google\Chrome\PreferMe' /ve /d kept /f >/dev/null 2>&1
  for k in Vivaldi BraveSoftware; do wine reg delete "HKCU\\Software\\$k" /f >/dev/null 2>&1 || true; done

  # ---------------------------------------------------------------- install
  # Twice: a reinstall (or an upgrade) over an install must leave one consistent install. A chosen
  # folder goes through cmd: NSIS wants /D=<dir> last and unquoted, and wine would quote an argument
  # with a space.
  for run in 1 2; do
    if [[ -n "$custom" ]]; then
      cp "$setup" "$(unix_path 'C:\')tabagent-setup.exe"
      wine cmd /c "C:\tabagent-setup.exe /S /D=$instdir_win" 2>/dev/null
      rm -f "$(unix_path 'C:\')tabagent-setup.exe"
    else
      wine "$setup" /S 2>/dev/null
    fi
    wineserver -w
  done
  [[ -d "$instdir" ]] || fail "install dir $instdir missing after setup.exe /S"
  files=$(cd "$instdir" && find . -mindepth 1 | sort | tr '\n' ' ')
  [[ "$files" == "./Uninstall.exe ./com.tabagent.host.firefox.json ./com.tabagent.host.json ./tabagent-cache.exe ./tabagent-host.exe " ]] ||
    fail "installed files: $files"
  ok "setup.exe /S${custom:+ /D=...} (twice) installed into $instdir_win: $files"

  for b in "${browsers[@]}"; do
    key="HKCU\\Software\\$b\\NativeMessagingHosts\\$host_name"
    manifest_win=$(reg_default "$key") || fail "$key missing"
    [[ $b == Mozilla ]] && want="$instdir_win\\$host_name.firefox.json" || want="$instdir_win\\$host_name.json"
    [[ "$manifest_win" == "$want" ]] || fail "$key = '$manifest_win', expected '$want'"
    ok "$key = $manifest_win"
  done

  declare -A want_apps=([DisplayName]=TabAgent [Publisher]=TabAgent [NoModify]=0x1 [NoRepair]=0x1
    [UninstallString]="\"$instdir_win\\Uninstall.exe\"" [QuietUninstallString]="\"$instdir_win\\Uninstall.exe\" /S"
    [InstallLocation]="$instdir_win")
  for name in "${!want_apps[@]}"; do
    got=$(reg_value "$apps_key" "$name") || fail "$apps_key has no $name"
    [[ "$got" == "${want_apps[$name]}" ]] || fail "$apps_key $name = '$got', expected '${want_apps[$name]}'"
  done
  version=$(reg_value "$apps_key" DisplayVersion) || fail "no DisplayVersion"
  size=$(reg_value "$apps_key" EstimatedSize) || fail "no EstimatedSize"
  (( size > 0 )) || fail "EstimatedSize $size"
  ok "Apps entry: TabAgent $version, EstimatedSize $((size)) KiB, NoModify, NoRepair, quiet uninstall"

  # ---------------------------------------------------------------- the manifests and the host
  # For each registration: the manifest the key names, the executable the manifest names (relative to
  # the manifest's folder on Windows), and a framed handshake started the way the browser starts it:
  # Chrome passes the origin and --parent-window=<hwnd>, Firefox the manifest path and the add-on id.
  export TABAGENT_HOME='C:\tabagent-nsis-test-home'  # Wine passes the environment on; keep logs out
  for b in "${browsers[@]}"; do
    manifest_win=$(reg_default "HKCU\\Software\\$b\\NativeMessagingHosts\\$host_name")
    manifest=$(unix_path "$manifest_win")
    [[ $b == Mozilla ]] && kind=firefox || kind=chrome
    python3 tests/packaging/handshake.py --wine --kind "$kind" "$manifest" --manifest-arg "$manifest_win" \
      --label "$b" || fail "handshake through $b's registration"
  done

  # Another installation's registration (not naming this install's manifest) must survive.
  wine reg add 'HKCU\Software\Chromium\NativeMessagingHosts\com.tabagent.host' /ve /d 'C:\elsewhere\com.tabagent.host.json' /f >/dev/null 2>&1

  # ---------------------------------------------------------------- uninstall
  quiet=$(reg_value "$apps_key" QuietUninstallString)
  uninstaller_win=${quiet#\"}; uninstaller_win=${uninstaller_win%%\"*}
  # An NSIS uninstaller copies itself to %TEMP% and starts the copy, so `wine` returns at once;
  # wineserver -w waits for every process of this prefix, the copy included.
  wine "$(unix_path "$uninstaller_win")" /S 2>/dev/null
  wineserver -w
  ok "uninstalled with the QuietUninstallString ($quiet)"

  [[ ! -e "$instdir" ]] || fail "install dir remains: $(find "$instdir")"
  ! reg_exists "$apps_key" || fail "$apps_key remains"
  for b in "${browsers[@]}"; do
    key="HKCU\\Software\\$b\\NativeMessagingHosts\\$host_name"
    if [[ $b == Chromium ]]; then
      [[ "$(reg_default "$key")" == 'C:\elsewhere\com.tabagent.host.json' ]] || fail "$key of another install removed"
      wine reg delete 'HKCU\Software\Chromium' /f >/dev/null 2>&1
    else
      ! reg_exists "$key" || fail "$key remains"
    fi
  done
  for k in Vivaldi BraveSoftware; do
    ! reg_exists "HKCU\\Software\\$k" || fail "HKCU\\Software\\$k (created by the install) remains"
  done
  [[ "$(reg_default 'HKCU\Software\Google\Chrome\PreferMe')" == kept ]] || fail "a key the user had was removed"
  wine reg delete 'HKCU\Software\Google\Chrome\PreferMe' /f >/dev/null 2>&1
  ok "no registration, no Apps entry, no file of the install left; another install's key kept"
}

cycle "$localappdata\\Programs\\TabAgent" ""
# A folder of the user's choice, with a space and non-ASCII letters (UTF-16 paths, and the
# manifests' relative "path" keeps working wherever they are).
cycle 'C:\Prögram Tést\TabAgent' custom
rmdir "$(unix_path 'C:\Prögram Tést')"
[[ -f "$cache_marker" && -f "$data_marker" ]] || fail "the model cache or the data dir was touched"
rm -f "$cache_marker" "$data_marker"
rm -rf "$(unix_path "$TABAGENT_HOME")"
ok "model cache (%USERPROFILE%\\.cache\\huggingface) and data dir (%LOCALAPPDATA%\\TabAgent) kept"
echo "nsis: all checks passed"
