#!/usr/bin/env bash
# TabAgent native host installer for Linux and macOS.
#
#   installer/install.sh [options]            build Release, install, register with every browser present
#   installer/install.sh --uninstall          remove exactly the files a previous install wrote
#   installer/install.sh --uninstall --purge  also remove the host's data dir (logs, jobs, token)
#   installer/install.sh --check              per browser: is the host registered, does it answer?
#
# Per-user by default, also when run as root (everything under $HOME); --system is an explicit choice.
# Idempotent: running it again rewrites the same files. Every file and directory it creates is listed in
# <prefix>/installed-files.txt, which --uninstall reads. The self-check and --check start the host with a
# scratch data dir (removed afterwards), so installing leaves no host state (logs, jobs) behind.
set -euo pipefail

readonly HOST_NAME="com.tabagent.host"
readonly TABAGENT_ID="fkkeoobeahalebjpbockfedlncckobjb"
readonly FIREFOX_ID="tabagent@tabagent.com"
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
readonly SCRIPT_DIR
readonly REPO_ROOT="${SCRIPT_DIR%/*}"
readonly TEMPLATE_DIR="$REPO_ROOT/manifest"

usage() {
  cat <<EOF
Usage: $0 [options]

Modes (default: install):
  --uninstall            remove every file the install wrote (read from <prefix>/installed-files.txt);
                         keeps the host's own data dir (logs, jobs, token, saved listings: written by
                         tabagent-host while in use) and says where it is
  --purge                with --uninstall: also remove the host's data dir (\$TABAGENT_HOME or
                         ~/.local/share/TabAgent). Never touches the model cache.
  --check                report per browser whether the host is registered and answers a handshake
  --demo                 after installing, run the bundled fake hub with a sample repo and download a
                         variant with tabagent-cache (needs fakehub, fakehub-gen, tabagent-cache)

Options:
  --prefix DIR           install root (default: \$XDG_DATA_HOME/TabAgent or ~/.local/share/TabAgent;
                         macOS: ~/Library/Application Support/TabAgent); binaries go to DIR/bin
  --system               install for all users (/opt/tabagent, system manifest dirs); needs root
  --prebuilt DIR         register already-built binaries from DIR (a flat dir or a CMake build tree)
                         instead of building Release from this checkout
  --extension-id ID      also allow this extension (32 letters a-p for Chrome-family browsers, or a
                         Firefox add-on id such as name@domain); repeatable
  --browser-dir DIR      write the Chrome-style manifest into DIR (a NativeMessagingHosts folder, e.g.
                         <user-data-dir>/NativeMessagingHosts) instead of the detected browsers;
                         'firefox:DIR' writes the Firefox flavour; repeatable. Env: TABAGENT_BROWSER_DIRS
                         (colon-separated)
  --all-browsers         register with every known browser, even those whose profile dir is absent
  --no-deps              do not try to install build dependencies
  --no-handshake         --check and the self-check validate manifests but do not start the host
  --jobs N               parallel build jobs (default 2)
  --demo-variant V       variant the demo downloads (default q4f16)
  -h, --help             this text

Exit status: 0 success, 1 a check failed or a step failed, 2 bad usage.
EOF
}

die() { echo "install.sh: error: $*" >&2; exit 1; }
info() { echo "==> $*"; }
warn() { echo "install.sh: warning: $*" >&2; }

MODE=install
PURGE=0
PREFIX=""
SYSTEM=0
PREBUILT=""
EXTRA_IDS=()
BROWSER_DIRS=()
ALL_BROWSERS=0
INSTALL_DEPS=1
HANDSHAKE=1
JOBS=2
DEMO=0
DEMO_VARIANT="q4f16"

while [[ $# -gt 0 ]]; do
  case "$1" in
    --uninstall) MODE=uninstall ;;
    --purge) PURGE=1 ;;
    --check) MODE=check ;;
    --demo) DEMO=1 ;;
    --prefix) [[ $# -ge 2 ]] || { usage >&2; exit 2; }; PREFIX="$2"; shift ;;
    --prefix=*) PREFIX="${1#*=}" ;;
    --system) SYSTEM=1 ;;
    --prebuilt) [[ $# -ge 2 ]] || { usage >&2; exit 2; }; PREBUILT="$2"; shift ;;
    --prebuilt=*) PREBUILT="${1#*=}" ;;
    --extension-id) [[ $# -ge 2 ]] || { usage >&2; exit 2; }; EXTRA_IDS+=("$2"); shift ;;
    --extension-id=*) EXTRA_IDS+=("${1#*=}") ;;
    --browser-dir) [[ $# -ge 2 ]] || { usage >&2; exit 2; }; BROWSER_DIRS+=("$2"); shift ;;
    --browser-dir=*) BROWSER_DIRS+=("${1#*=}") ;;
    --all-browsers) ALL_BROWSERS=1 ;;
    --no-deps) INSTALL_DEPS=0 ;;
    --no-handshake) HANDSHAKE=0 ;;
    --jobs) [[ $# -ge 2 ]] || { usage >&2; exit 2; }; JOBS="$2"; shift ;;
    --demo-variant) [[ $# -ge 2 ]] || { usage >&2; exit 2; }; DEMO_VARIANT="$2"; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "install.sh: unknown option: $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done

if [[ $PURGE -eq 1 && "$MODE" != uninstall ]]; then
  echo "install.sh: --purge goes with --uninstall" >&2; usage >&2; exit 2
fi

if [[ ${#BROWSER_DIRS[@]} -eq 0 && -n "${TABAGENT_BROWSER_DIRS:-}" ]]; then
  IFS=':' read -r -a BROWSER_DIRS <<<"$TABAGENT_BROWSER_DIRS"
fi

OS="$(uname -s)"
case "$OS" in
  Linux|Darwin) ;;
  *) die "unsupported system '$OS' (on Windows use installer/install.ps1)" ;;
esac
[[ -n "${HOME:-}" ]] || die "HOME is not set"

# ---------------------------------------------------------------- ids and origins
CHROME_IDS=("$TABAGENT_ID")
FIREFOX_IDS=("$FIREFOX_ID")
for id in "${EXTRA_IDS[@]+"${EXTRA_IDS[@]}"}"; do
  if [[ "$id" =~ ^chrome-extension://([a-p]{32})/?$ ]]; then id="${BASH_REMATCH[1]}"; fi
  if [[ "$id" =~ ^[a-p]{32}$ ]]; then
    [[ " ${CHROME_IDS[*]} " == *" $id "* ]] || CHROME_IDS+=("$id")
  elif [[ "$id" =~ ^[A-Za-z0-9._+-]*@[A-Za-z0-9._-]+$ || "$id" =~ ^\{[0-9a-fA-F-]{36}\}$ ]]; then
    [[ " ${FIREFOX_IDS[*]} " == *" $id "* ]] || FIREFOX_IDS+=("$id")
  else
    echo "install.sh: '$id' is neither a Chrome extension id (32 letters a-p) nor a Firefox add-on id" >&2
    exit 2
  fi
done

# ---------------------------------------------------------------- locations
if [[ -z "$PREFIX" ]]; then
  if [[ $SYSTEM -eq 1 ]]; then
    if [[ "$OS" == Darwin ]]; then PREFIX="/Library/Application Support/TabAgent"; else PREFIX="/opt/tabagent"; fi
  elif [[ "$OS" == Darwin ]]; then
    PREFIX="$HOME/Library/Application Support/TabAgent"
  else
    PREFIX="${XDG_DATA_HOME:-$HOME/.local/share}/TabAgent"
  fi
fi
[[ "$PREFIX" == /* ]] || PREFIX="$PWD/$PREFIX"
readonly BIN_DIR="$PREFIX/bin"
readonly RECORD="$PREFIX/installed-files.txt"
# The host's own origin check (DESIGN §3) reads extra ids from <data dir>/config.json
# "allowed_extension_ids"; the data dir is resolved exactly as the host does (core/config.cpp).
if [[ -n "${TABAGENT_HOME:-}" ]]; then DATA_DIR="$TABAGENT_HOME"
elif [[ "$OS" == Darwin ]]; then DATA_DIR="$HOME/Library/Application Support/TabAgent"
else DATA_DIR="${XDG_DATA_HOME:-$HOME/.local/share}/TabAgent"
fi
readonly DATA_DIR
readonly HOST_CONFIG="$DATA_DIR/config.json"
# The model cache, resolved as the host does; --purge must never remove it.
if [[ -n "${TABAGENT_CACHE:-}" ]]; then CACHE_ROOT="$TABAGENT_CACHE"
elif [[ -n "${HF_HUB_CACHE:-}" ]]; then CACHE_ROOT="$HF_HUB_CACHE"
elif [[ -n "${HF_HOME:-}" ]]; then CACHE_ROOT="$HF_HOME/hub"
elif [[ -n "${XDG_CACHE_HOME:-}" ]]; then CACHE_ROOT="$XDG_CACHE_HOME/huggingface/hub"
else CACHE_ROOT="$HOME/.cache/huggingface/hub"
fi
readonly CACHE_ROOT

if [[ $SYSTEM -eq 1 && "$MODE" != check && $(id -u) -ne 0 ]]; then
  die "--system writes to system directories and needs root (or drop --system for a per-user install)"
fi

# Browser table: label|kind|manifest dir|presence marker (a dir that exists once the browser has run).
browser_table() {
  local cfg="${XDG_CONFIG_HOME:-$HOME/.config}" as="$HOME/Library/Application Support"
  if [[ $SYSTEM -eq 1 && "$OS" == Linux ]]; then
    echo "Google Chrome|chrome|/etc/opt/chrome/native-messaging-hosts|cmd:google-chrome"
    echo "Chromium|chrome|/etc/chromium/native-messaging-hosts|cmd:chromium"
    echo "Microsoft Edge|chrome|/etc/opt/edge/native-messaging-hosts|cmd:microsoft-edge"
    echo "Firefox|firefox|/usr/lib/mozilla/native-messaging-hosts|cmd:firefox"
  elif [[ $SYSTEM -eq 1 ]]; then
    echo "Google Chrome|chrome|/Library/Google/Chrome/NativeMessagingHosts|/Applications/Google Chrome.app"
    echo "Chromium|chrome|/Library/Application Support/Chromium/NativeMessagingHosts|/Applications/Chromium.app"
    echo "Microsoft Edge|chrome|/Library/Microsoft/Edge/NativeMessagingHosts|/Applications/Microsoft Edge.app"
    echo "Firefox|firefox|/Library/Application Support/Mozilla/NativeMessagingHosts|/Applications/Firefox.app"
  elif [[ "$OS" == Linux ]]; then
    echo "Google Chrome|chrome|$cfg/google-chrome/NativeMessagingHosts|$cfg/google-chrome"
    echo "Chromium|chrome|$cfg/chromium/NativeMessagingHosts|$cfg/chromium"
    echo "Brave|chrome|$cfg/BraveSoftware/Brave-Browser/NativeMessagingHosts|$cfg/BraveSoftware/Brave-Browser"
    echo "Microsoft Edge|chrome|$cfg/microsoft-edge/NativeMessagingHosts|$cfg/microsoft-edge"
    echo "Vivaldi|chrome|$cfg/vivaldi/NativeMessagingHosts|$cfg/vivaldi"
    echo "Firefox|firefox|$HOME/.mozilla/native-messaging-hosts|$HOME/.mozilla"
  else
    echo "Google Chrome|chrome|$as/Google/Chrome/NativeMessagingHosts|$as/Google/Chrome"
    echo "Chromium|chrome|$as/Chromium/NativeMessagingHosts|$as/Chromium"
    echo "Brave|chrome|$as/BraveSoftware/Brave-Browser/NativeMessagingHosts|$as/BraveSoftware/Brave-Browser"
    echo "Microsoft Edge|chrome|$as/Microsoft Edge/NativeMessagingHosts|$as/Microsoft Edge"
    echo "Vivaldi|chrome|$as/Vivaldi/NativeMessagingHosts|$as/Vivaldi"
    echo "Firefox|firefox|$as/Mozilla/NativeMessagingHosts|$as/Firefox"
  fi
}

browser_present() {
  local marker="$1"
  if [[ "$marker" == cmd:* ]]; then command -v "${marker#cmd:}" >/dev/null 2>&1; else [[ -d "$marker" ]]; fi
}

# A browser counts as present when its profile dir exists or it is installed but never started
# (a clean HOME): its program is on PATH (Linux) or its app is in /Applications (macOS).
browser_installed() {
  local cmd
  case "$1" in
    "Google Chrome") set -- google-chrome google-chrome-stable "/Applications/Google Chrome.app" ;;
    Chromium) set -- chromium chromium-browser "/Applications/Chromium.app" ;;
    Brave) set -- brave-browser brave "/Applications/Brave Browser.app" ;;
    "Microsoft Edge") set -- microsoft-edge microsoft-edge-stable "/Applications/Microsoft Edge.app" ;;
    Vivaldi) set -- vivaldi vivaldi-stable "/Applications/Vivaldi.app" ;;
    Firefox) set -- firefox "/Applications/Firefox.app" ;;
    *) return 1 ;;
  esac
  for cmd in "$@"; do
    if [[ "$cmd" == /* ]]; then [[ -d "$cmd" ]] && return 0; else command -v "$cmd" >/dev/null 2>&1 && return 0; fi
  done
  return 1
}

# Targets for this run: "label|kind|dir" lines.
targets() {
  if [[ ${#BROWSER_DIRS[@]} -gt 0 ]]; then
    local d kind
    for d in "${BROWSER_DIRS[@]}"; do
      [[ -n "$d" ]] || continue
      kind=chrome
      case "$d" in firefox:*) kind=firefox; d="${d#firefox:}" ;; chrome:*) d="${d#chrome:}" ;; esac
      [[ "$d" == /* ]] || d="$PWD/$d"
      echo "$d|$kind|$d"
    done
    return
  fi
  local label kind dir marker
  while IFS='|' read -r label kind dir marker; do
    if [[ $ALL_BROWSERS -eq 1 ]] || browser_present "$marker" || browser_installed "$label"; then
      echo "$label|$kind|$dir"
    fi
  done < <(browser_table)
}

# ---------------------------------------------------------------- the record of written files
RECORDED=()
load_record() {
  RECORDED=()
  [[ -f "$RECORD" ]] || return 0
  local line
  while IFS= read -r line; do [[ -n "$line" ]] && RECORDED+=("$line"); done <"$RECORD"
}
save_record() {
  local tmp="$RECORD.tmp.$$"
  printf '%s\n' "${RECORDED[@]+"${RECORDED[@]}"}" | awk '!seen[$0]++' >"$tmp"
  mv -f "$tmp" "$RECORD"
}
# record KIND PATH; kinds: dir, file, chrome, firefox (the last two are manifests).
record() {
  local entry="$1"$'\t'"$2" e
  for e in "${RECORDED[@]+"${RECORDED[@]}"}"; do [[ "$e" == "$entry" ]] && return 0; done
  RECORDED+=("$entry")
  [[ -d "$PREFIX" ]] && save_record
  return 0
}

# mkdir -p that records each directory it creates (and only those), so uninstall can remove them.
make_dir() {
  local dir="$1" missing=() d
  d="$dir"
  while [[ ! -d "$d" ]]; do missing+=("$d"); d="$(dirname "$d")"; done
  [[ ${#missing[@]} -gt 0 ]] || return 0
  mkdir -p "$dir"
  for d in "${missing[@]}"; do record dir "$d"; done
}

# write_file DEST KIND MODE < content: atomic replace (a running host keeps its old inode).
write_file() {
  local dest="$1" kind="$2" mode="$3" tmp
  make_dir "$(dirname "$dest")"
  tmp="$(dirname "$dest")/.$(basename "$dest").tmp.$$"
  cat >"$tmp"
  chmod "$mode" "$tmp"
  mv -f "$tmp" "$dest"
  record "$kind" "$dest"
}

json_string() {
  local s="$1"
  [[ "$s" != *$'\n'* ]] || die "a path with a newline cannot go into a manifest: $s"
  s="${s//\\/\\\\}"; s="${s//\"/\\\"}"
  printf '"%s"' "$s"
}

render_manifest() {
  local kind="$1" host="$2" list="" id template
  template="$TEMPLATE_DIR/$HOST_NAME.$kind.json"
  [[ -f "$template" ]] || die "manifest template missing: $template"
  if [[ "$kind" == chrome ]]; then
    for id in "${CHROME_IDS[@]}"; do list+="${list:+, }\"chrome-extension://$id/\""; done
  else
    for id in "${FIREFOX_IDS[@]}"; do list+="${list:+, }$(json_string "$id")"; done
  fi
  local path_json
  path_json="$(json_string "$host")"
  # Placeholders sit inside JSON strings; replace the quoted forms so the result stays valid JSON.
  local text
  text="$(cat "$template")"
  text="${text//\"@HOST_PATH@\"/$path_json}"
  text="${text//\"@ALLOWED_ORIGINS@\"/$list}"
  text="${text//\"@ALLOWED_EXTENSIONS@\"/$list}"
  printf '%s\n' "$text"
}

# ---------------------------------------------------------------- build / locate binaries
find_binary() { # find_binary DIR NAME -> path or nothing
  local root="$1" name="$2" c
  for c in "$root/$name" "$root/bin/$name" "$root/src/host/$name" "$root/src/cli/$name" \
           "$root/tests/fakehub/$name"; do
    if [[ -f "$c" && -x "$c" ]]; then echo "$c"; return 0; fi
  done
  return 1
}

install_deps() {
  if [[ "$OS" == Darwin ]]; then
    echo "install.sh: on macOS install the build dependencies with Homebrew first:"
    echo "  brew install cmake ninja pkg-config curl openssl nlohmann-json spdlog tl-expected cli11"
    return 0
  fi
  if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg-query >/dev/null 2>&1; then
    echo "install.sh: not a Debian/Ubuntu system; install these yourself: a C++20 compiler (g++ >= 12),"
    echo "  cmake >= 3.25, ninja, pkg-config, libcurl (OpenSSL), OpenSSL, nlohmann-json, spdlog, tl-expected,"
    echo "  CLI11 (cpp-httplib and doctest only for the tests)"
    return 0
  fi
  local pkgs=(g++ cmake ninja-build pkg-config libcurl4-openssl-dev libssl-dev nlohmann-json3-dev
              libspdlog-dev libexpected-dev libcli11-dev) missing=() p
  # --demo also builds the fake hub (cpp-httplib), which is configured with the tests (doctest).
  [[ $DEMO -eq 1 ]] && pkgs+=(libcpp-httplib-dev doctest-dev)
  for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
  done
  [[ ${#missing[@]} -gt 0 ]] || return 0
  # Root (a fresh container, often without sudo) runs apt-get itself; a user goes through sudo,
  # which may ask for a password on a terminal (never off one: sudo -n then fails clearly).
  local sudo=()
  if [[ $(id -u) -ne 0 ]]; then
    if ! command -v sudo >/dev/null 2>&1; then
      die "missing build dependencies: ${missing[*]}; as root run: apt-get update && apt-get install -y ${missing[*]} (or pass --no-deps)"
    fi
    if [[ -t 0 ]]; then sudo=(sudo); else sudo=(sudo -n); fi
  fi
  info "installing build dependencies: ${missing[*]}"
  # A fresh system has no package lists yet: update first then, else only when install fails.
  if ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
    "${sudo[@]+"${sudo[@]}"}" apt-get update || die "apt-get update failed"
  fi
  "${sudo[@]+"${sudo[@]}"}" apt-get install -y --no-install-recommends "${missing[@]}" ||
    { "${sudo[@]+"${sudo[@]}"}" apt-get update && "${sudo[@]+"${sudo[@]}"}" apt-get install -y --no-install-recommends "${missing[@]}"; } ||
    die "could not install build dependencies: ${missing[*]} (install them yourself, then rerun with --no-deps)"
}

build_release() {
  [[ -f "$REPO_ROOT/CMakeLists.txt" && -f "$REPO_ROOT/CMakePresets.json" ]] ||
    die "no checkout found at $REPO_ROOT; pass --prebuilt DIR to register built binaries"
  command -v cmake >/dev/null 2>&1 || die "cmake not found (install build dependencies, see --help)"
  local extra=()
  # The demo needs the fake hub, which only builds with the test tools.
  [[ $DEMO -eq 1 ]] && extra+=(-DTABAGENT_BUILD_TESTS=ON)
  info "configuring Release build in $REPO_ROOT/build/release"
  (cd "$REPO_ROOT" && cmake --preset release "${extra[@]+"${extra[@]}"}" >/dev/null) || die "cmake configure failed"
  local targets=(tabagent-host) t available
  available="$( (cd "$REPO_ROOT" && cmake --build build/release --target help) 2>/dev/null)" || available=""
  for t in tabagent-cache fakehub fakehub-gen; do
    if grep -q "^$t:" <<<"$available"; then
      [[ "$t" == fakehub* && $DEMO -eq 0 ]] || targets+=("$t")
    fi
  done
  info "building ${targets[*]} (Release, -j$JOBS)"
  (cd "$REPO_ROOT" && cmake --build build/release -j "$JOBS" --target "${targets[@]}") || die "build failed"
  PREBUILT="$REPO_ROOT/build/release"
}

# ---------------------------------------------------------------- check
# Runs "$@" with the host's data dir pointed at a scratch copy (its config.json included, so the host
# starts as the browser would start it); the host's logs and job dir go there and are removed after.
with_scratch_data_dir() {
  local scratch rc=0
  scratch="$(mktemp -d "${TMPDIR:-/tmp}/tabagent-check.XXXXXX")" || die "mktemp failed"
  if [[ -f "$HOST_CONFIG" ]]; then cp "$HOST_CONFIG" "$scratch/config.json" 2>/dev/null || true; fi
  TABAGENT_HOME="$scratch" "$@" || rc=$?
  rm -rf "$scratch"
  return "$rc"
}

# Frames one handshake to the host (no python3 needed) and looks for a success reply.
handshake_smoke_test() {
  local host="$1" request='{"action":"handshake","messageId":"install-check"}' reply
  [[ $HANDSHAKE -eq 1 ]] || return 0
  # 4-byte little-endian length (every supported platform is little-endian), then the JSON.
  reply="$(printf "\\x$(printf '%02x' ${#request})\\x00\\x00\\x00%s" "$request" |
           with_scratch_data_dir "$host" 2>/dev/null | tr -d '\000-\037')" || true
  if [[ "$reply" == *'"messageId":"install-check"'* && "$reply" == *'"status":"success"'* ]]; then
    echo "  $host answers a handshake"
    return 0
  fi
  echo "  PROBLEM: $host did not answer a handshake (run it from a terminal for diagnostics)"
  return 1
}

CHECK_FAILED=0
check_one() { # label kind manifest
  local label="$1" kind="$2" manifest="$3" out rc=0 args=()
  [[ $HANDSHAKE -eq 1 ]] || args+=(--no-handshake)
  if ! command -v python3 >/dev/null 2>&1; then
    # Without python3, fall back to the host's own diagnosis.
    local host
    host="$(sed -n 's/^ *"path": *"\(.*\)",*$/\1/p' "$manifest" | head -n1)"
    if [[ -x "$host" ]] && with_scratch_data_dir "$host" --check --manifest "$manifest" </dev/null >/dev/null 2>&1; then
      printf '  %-16s ok       %s (checked by tabagent-host --check)\n' "$label" "$manifest"
    else
      printf '  %-16s PROBLEM  %s: python3 missing and tabagent-host --check failed\n' "$label" "$manifest"
      CHECK_FAILED=1
    fi
    return
  fi
  out="$(with_scratch_data_dir python3 "$SCRIPT_DIR/nmcheck.py" --kind "$kind" "${args[@]+"${args[@]}"}" "$manifest" 2>&1)" || rc=$?
  if [[ $rc -eq 0 ]]; then
    printf '  %-16s ok       %s\n' "$label" "$manifest"
  else
    printf '  %-16s PROBLEM  %s\n' "$label" "$manifest"
    CHECK_FAILED=1
  fi
  local line
  while IFS= read -r line; do printf '                            %s\n' "$line"; done <<<"$out"
}

run_check() {
  CHECK_FAILED=0
  local label kind dir seen=" " registered=0 entry
  echo "TabAgent host registration (prefix $PREFIX):"
  while IFS='|' read -r label kind dir; do
    local m="$dir/$HOST_NAME.json"
    seen+="$m "
    if [[ -f "$m" ]]; then registered=$((registered + 1)); check_one "$label" "$kind" "$m"
    else printf '  %-16s missing  %s (not registered)\n' "$label" "$m"
    fi
  done < <(targets)
  # Manifests written by an earlier install into places this run does not target (e.g. --browser-dir).
  load_record
  for entry in "${RECORDED[@]+"${RECORDED[@]}"}"; do
    kind="${entry%%$'\t'*}"; local path="${entry#*$'\t'}"
    [[ "$kind" == chrome || "$kind" == firefox ]] || continue
    [[ "$seen" == *" $path "* ]] && continue
    seen+="$path "
    if [[ -f "$path" ]]; then registered=$((registered + 1)); check_one "$(basename "$(dirname "$path")")" "$kind" "$path"
    else printf '  %-16s missing  %s (recorded but gone)\n' "recorded" "$path"; CHECK_FAILED=1
    fi
  done
  if [[ $registered -eq 0 ]]; then
    echo "  no browser has the host registered"
    CHECK_FAILED=1
  fi
  [[ $CHECK_FAILED -eq 0 ]]
}

# ---------------------------------------------------------------- uninstall
# Deepest first; only directories this installer created and that are now empty.
remove_empty_dirs() {
  [[ $# -gt 0 ]] || return 0
  local path
  while IFS= read -r path; do
    if [[ -d "$path" ]]; then rmdir "$path" 2>/dev/null || true; fi
  done < <(printf '%s\n' "$@" | awk '{ print length($0) "\t" $0 }' | sort -rn | cut -f2-)
}

run_uninstall() {
  local entry kind path removed=0 dirs=() had_record=0 rc=0
  if [[ -f "$RECORD" ]]; then
    had_record=1
    load_record
    for entry in "${RECORDED[@]+"${RECORDED[@]}"}"; do
      kind="${entry%%$'\t'*}"; path="${entry#*$'\t'}"
      case "$kind" in
        file|chrome|firefox) if [[ -e "$path" || -L "$path" ]]; then rm -f "$path"; removed=$((removed + 1)); fi ;;
        dir) dirs+=("$path") ;;
        edited) [[ $PURGE -eq 1 && "$path" == "$DATA_DIR"/* ]] ||
                  echo "left $path in place (it existed before the install; it may list ids the install added)" ;;
      esac
    done
    rm -f "$RECORD"
  fi
  remove_empty_dirs "${dirs[@]+"${dirs[@]}"}"
  # The data dir may be the prefix (the default) or inside a directory the install made: once it is
  # purged, remove those too.
  host_data_dir || rc=$?
  remove_empty_dirs "${dirs[@]+"${dirs[@]}"}"
  # Directories the install made that still exist hold the kept data dir: keep them on record, so
  # that a later --uninstall --purge removes them too.
  RECORDED=()
  for path in "${dirs[@]+"${dirs[@]}"}"; do [[ -d "$path" ]] && RECORDED+=("dir"$'\t'"$path"); done
  if [[ ${#RECORDED[@]} -gt 0 && -d "$PREFIX" ]]; then save_record; fi
  if [[ $had_record -eq 1 ]]; then echo "uninstalled: removed $removed files"
  else echo "nothing to uninstall: $RECORD not found"
  fi
  return "$rc"
}

# The host's data dir holds what tabagent-host wrote while the browser used it (logs/, jobs/, the
# stored token, saved listings, config.json): user data, not installer output. Kept and reported,
# removed with --purge. The model cache is never removed (it may be shared with other HF tools).
host_data_dir() {
  if [[ ! -d "$DATA_DIR" ]]; then
    [[ $PURGE -eq 1 ]] && echo "purge: no host data dir at $DATA_DIR"
    return 0
  fi
  local entries
  entries="$(cd "$DATA_DIR" && find . -mindepth 1 -maxdepth 1 -printf '%f%y\n' 2>/dev/null | sed 's#d$#/#; s#[a-z]$##' | LC_ALL=C sort | tr '\n' ' ')"
  [[ -n "$entries" || $PURGE -eq 1 ]] || return 0
  if [[ $PURGE -eq 0 ]]; then
    echo "kept the host's data dir $DATA_DIR (${entries% }): written by tabagent-host while in use;"
    echo "  remove it too with: $0 --uninstall --purge (the model cache $CACHE_ROOT is never removed)"
    return 0
  fi
  local data cache
  data="$(cd "$DATA_DIR" && pwd -P)"
  cache="$CACHE_ROOT"
  [[ -d "$cache" ]] && cache="$(cd "$cache" && pwd -P)"
  if [[ "$cache/" == "$data/"* || "$data/" == "$cache/"* ]]; then
    echo "install.sh: not purging $DATA_DIR: the model cache $CACHE_ROOT is inside it (or contains it); remove the host's files by hand" >&2
    return 1
  fi
  rm -rf -- "$data"
  echo "purged the host's data dir $DATA_DIR (${entries% }); the model cache $CACHE_ROOT was left alone"
}

# ---------------------------------------------------------------- demo
run_demo() {
  local fakehub fakehub_gen cli
  cli="$(find_binary "$BIN_DIR" tabagent-cache || true)"
  [[ -n "$cli" ]] || cli="$(find_binary "${PREBUILT:-/nonexistent}" tabagent-cache || true)"
  [[ -n "$cli" ]] || die "--demo needs the tabagent-cache CLI, which was not built or found (looked in $BIN_DIR${PREBUILT:+ and $PREBUILT})"
  fakehub="$(find_binary "${PREBUILT:-/nonexistent}" fakehub || true)"
  fakehub_gen="$(find_binary "${PREBUILT:-/nonexistent}" fakehub-gen || true)"
  [[ -n "$fakehub" && -n "$fakehub_gen" ]] ||
    die "--demo needs the fake hub (fakehub, fakehub-gen from tests/fakehub), not found in ${PREBUILT:-the build}"
  local demo repo="demo/tiny-onnx" fifo url hub_pid line
  demo="$(mktemp -d "${TMPDIR:-/tmp}/tabagent-demo.XXXXXX")"
  info "demo: generating sample repo $repo in $demo/hub"
  "$fakehub_gen" --root "$demo/hub" --repo "$repo" --preset onnx || die "fakehub-gen failed"
  fifo="$demo/fakehub.out"; mkfifo "$fifo"
  "$fakehub" --root "$demo/hub" --port 0 >"$fifo" 2>"$demo/fakehub.log" &
  hub_pid=$!
  # shellcheck disable=SC2064
  trap "kill $hub_pid 2>/dev/null || true" EXIT
  exec 3<"$fifo"
  IFS= read -r -t 20 line <&3 || die "fake hub did not start (see $demo/fakehub.log)"
  url="${line##* }"
  [[ "$url" == http://127.0.0.1:* ]] || die "unexpected fake hub banner: $line"
  # Keep draining its stdout so it never blocks on a full pipe.
  cat <&3 >/dev/null &
  exec 3<&-
  info "demo: fake hub at $url; downloading $repo $DEMO_VARIANT into $demo/cache"
  "$cli" download "$repo" "$DEMO_VARIANT" --endpoint "$url" --cache-dir "$demo/cache" || die "demo download failed"
  "$cli" list --cache-dir "$demo/cache" || die "tabagent-cache list failed"
  "$cli" verify "$repo" --cache-dir "$demo/cache" || die "tabagent-cache verify found a problem"
  kill "$hub_pid" 2>/dev/null || true
  wait "$hub_pid" 2>/dev/null || true
  trap - EXIT
  info "demo done: cache in $demo/cache (remove $demo when finished)"
}

# ---------------------------------------------------------------- host config (extra ids)
is_recorded() { local e; for e in "${RECORDED[@]+"${RECORDED[@]}"}"; do [[ "$e" == "$1"$'\t'"$2" ]] && return 0; done; return 1; }

# Adds the --extension-id ids to the host's allowlist. A config.json that existed before the first
# install is merged into and recorded as "edited": uninstall leaves it (it is the user's file).
write_host_config() {
  local ids=() i
  for ((i = 1; i < ${#CHROME_IDS[@]}; i++)); do ids+=("${CHROME_IDS[$i]}"); done
  for ((i = 1; i < ${#FIREFOX_IDS[@]}; i++)); do ids+=("${FIREFOX_IDS[$i]}"); done
  [[ ${#ids[@]} -gt 0 ]] || return 0
  if [[ $SYSTEM -eq 1 ]]; then
    warn "--system: extra ids are read per user from $HOST_CONFIG or TABAGENT_ALLOWED_EXTENSIONS; set one of them for: ${ids[*]}"
    return 0
  fi
  local kind=file text
  if [[ -f "$HOST_CONFIG" ]] && ! is_recorded file "$HOST_CONFIG"; then kind=edited; fi
  if command -v python3 >/dev/null 2>&1; then
    text="$(python3 - "$HOST_CONFIG" "${ids[@]}" <<'PY'
import json, sys
path, ids = sys.argv[1], sys.argv[2:]
try:
    with open(path) as f:
        cfg = json.load(f)
    if not isinstance(cfg, dict):
        sys.exit("%s is not a JSON object" % path)
except FileNotFoundError:
    cfg = {}
except ValueError as e:
    sys.exit("%s is not valid JSON: %s" % (path, e))
have = [i for i in cfg.get("allowed_extension_ids", []) if isinstance(i, str)]
cfg["allowed_extension_ids"] = have + [i for i in ids if i not in have]
print(json.dumps(cfg, indent=2))
PY
)" || die "cannot update $HOST_CONFIG"
  elif [[ ! -f "$HOST_CONFIG" || $kind == file ]]; then
    local list="" id
    for id in "${ids[@]}"; do list+="${list:+, }$(json_string "$id")"; done
    text="{\"allowed_extension_ids\": [$list]}"
  else
    die "python3 is needed to merge ids into the existing $HOST_CONFIG (or set TABAGENT_ALLOWED_EXTENSIONS=${ids[*]})"
  fi
  write_file "$HOST_CONFIG" "$kind" 644 <<<"$text"
  info "allowed extension ids added to $HOST_CONFIG: ${ids[*]}"
}

# ---------------------------------------------------------------- install
run_install() {
  if [[ -z "$PREBUILT" ]]; then
    [[ $INSTALL_DEPS -eq 1 ]] && install_deps
    build_release
  fi
  [[ -d "$PREBUILT" ]] || die "--prebuilt: $PREBUILT is not a directory"
  PREBUILT="$(cd "$PREBUILT" && pwd -P)"
  local host cli
  host="$(find_binary "$PREBUILT" tabagent-host)" || die "tabagent-host not found in $PREBUILT"
  cli="$(find_binary "$PREBUILT" tabagent-cache || true)"

  load_record
  make_dir "$PREFIX"
  save_record
  info "installing into $BIN_DIR"
  write_file "$BIN_DIR/tabagent-host" file 755 <"$host"
  if [[ -n "$cli" ]]; then write_file "$BIN_DIR/tabagent-cache" file 755 <"$cli"
  else warn "tabagent-cache not found in $PREBUILT; installing the host only"
  fi
  write_host_config

  local label kind dir count=0
  while IFS='|' read -r label kind dir; do
    local text
    text="$(render_manifest "$kind" "$BIN_DIR/tabagent-host")"
    write_file "$dir/$HOST_NAME.json" "$kind" 644 <<<"$text"
    info "registered with $label: $dir/$HOST_NAME.json"
    count=$((count + 1))
  done < <(targets)
  save_record
  echo
  local ok=0
  if [[ $count -eq 0 ]]; then
    # A machine without a browser (a server, a fresh container) is not an install failure: the host
    # is installed and answers; registering waits until a browser is there.
    warn "no browser profile found; nothing registered. Once a browser has run, rerun $0 (or use --all-browsers / --browser-dir DIR now)"
    handshake_smoke_test "$BIN_DIR/tabagent-host" || ok=$?
  else
    run_check || ok=$?
  fi
  if [[ $DEMO -eq 1 ]]; then run_demo; fi
  if [[ $ok -ne 0 ]]; then
    echo "install.sh: installed, but the self-check found problems (see above)" >&2
    return 1
  fi
  info "installed; uninstall with: $0 --uninstall${PREFIX:+ --prefix \"$PREFIX\"}"
}

case "$MODE" in
  install) run_install ;;
  uninstall) run_uninstall ;;
  check) run_check ;;
esac
