#!/usr/bin/env bash
# Cross-builds the Windows (x86_64-w64-mingw32) static libraries the host links that Debian does not
# ship for mingw: OpenSSL's libcrypto (hashing) and libcurl with Schannel (Windows' TLS and certificate
# store). Sources come only from Debian's own source packages (`apt-get source`, with the Debian
# patches applied), so nothing is downloaded from elsewhere. Issue 14 item 1.
#
# Usage: bash scripts/windows-deps.sh        (root or passwordless sudo, like .ci/run)
# Prints the install prefix on its last line. The prefix is cached by the two source versions:
#   ${TABAGENT_WINDOWS_DEPS:-${XDG_CACHE_HOME:-$HOME/.cache}/tabagent/windows-deps}/<openssl>_<curl>/
# so a machine builds them once; a second run only prints the prefix.
# Pin a version with TABAGENT_OPENSSL_VERSION / TABAGENT_CURL_VERSION (Debian version strings).
set -euo pipefail
cd "$(dirname "$0")/.."
cache="${TABAGENT_WINDOWS_DEPS:-${XDG_CACHE_HOME:-$HOME/.cache}/tabagent/windows-deps}"
host=x86_64-w64-mingw32
jobs="${TABAGENT_JOBS:-2}"
# Bump when the build recipe below changes: a prefix built by another recipe is rebuilt.
recipe=1
log() { printf 'windows-deps: %s\n' "$*" >&"${logfd:-2}"; }

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive

# Packages: only touch apt when something in the list is missing.
packages=$(grep -v '^#' .ci/apt-packages-windows.txt)
missing=$(for p in $packages; do
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"
done)
need_update=""
[ -z "$missing" ] || need_update=1

# Debian's source packages for the suite this machine runs (bookworm): deb-src next to the deb entries.
suite=$(. /etc/os-release && echo "$VERSION_CODENAME")
src_list=/etc/apt/sources.list.d/tabagent-src.sources
# (Output captured first: `grep -q` closing the pipe early would fail the pipeline under pipefail.)
known_src=$(apt-cache showsrc openssl 2>/dev/null || true)
if ! grep -q '^Version:' <<<"$known_src"; then
  log "adding deb-src for $suite in $src_list"
  $SUDO tee "$src_list" >/dev/null <<EOF
# Added by TabAgent scripts/windows-deps.sh: Debian's own source packages for the Windows cross build.
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: $suite $suite-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: $suite-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  need_update=1
fi
if [ -n "$need_update" ]; then
  $SUDO apt-get update -qq
fi
if [ -n "$missing" ]; then
  log "installing: $(echo $missing)"
  $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

# Source versions apt knows, newest first.
versions() {
  apt-cache showsrc "$1" | sed -n 's/^Version: //p' | sort -u -r -V
}
# The newest version whose source is already in the cache or downloads completely. A mirror can
# list a security update whose files it does not serve yet (seen: openssl 3.0.22-1~deb12u2 on
# debian-security answered 404 for its .dsc); then the next older one is used and said so.
pick_source() {
  local pkg=$1 pin=$2 v dir
  mkdir -p "$cache/src"
  for v in ${pin:-$(versions "$pkg")}; do
    dir="$cache/src/${pkg}_$v"
    if [ -f "$dir/.complete" ]; then echo "$v"; return; fi
    rm -rf "$dir" && mkdir -p "$dir"
    if (cd "$dir" && apt-get source -qq --download-only "$pkg=$v" >/dev/null 2>&1); then
      touch "$dir/.complete"; echo "$v"; return
    fi
    log "$pkg $v: source not downloadable from the mirror, trying an older one"
    rm -rf "$dir"
  done
  log "no source for $pkg could be downloaded"; exit 1
}

# ---- Header libraries from Debian's -dev packages (nlohmann/json, tl::expected, CLI11, doctest,
# spdlog, fmt): include/ gets links to exactly their folders of /usr/include (never /usr/include
# itself: glibc's headers would shadow mingw's), and lib/cmake/ gets small package files so the
# project's find_package() calls find them under the toolchain's find root. spdlog and fmt are not
# taken as Debian's compiled libraries (ELF): the project compiles them from these headers itself
# (src/core/util/spdlog_build.cpp), on Windows as on Linux. Cheap, so refreshed on every run.
header_shims() {
  local p=$1 dir name version target pkg
  mkdir -p "$p/include"
  for dir in nlohmann tl CLI doctest spdlog fmt; do
    [ -d "/usr/include/$dir" ] || { log "/usr/include/$dir missing (its -dev package)"; exit 1; }
    ln -sfn "/usr/include/$dir" "$p/include/$dir"
  done
  while read -r name version target pkg; do
    mkdir -p "$p/lib/cmake/$name"
    cat >"$p/lib/cmake/$name/${name}Config.cmake" <<CONFIG
# Written by scripts/windows-deps.sh: $pkg's headers (Debian $version) for the mingw-w64 build.
foreach(t $target)
  if(NOT TARGET \${t})
    add_library(\${t} INTERFACE IMPORTED)
    set_target_properties(\${t} PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "$p/include")
  endif()
endforeach()
CONFIG
    cat >"$p/lib/cmake/$name/${name}ConfigVersion.cmake" <<CONFIG
set(PACKAGE_VERSION "$version")
if(PACKAGE_FIND_VERSION VERSION_GREATER PACKAGE_VERSION)
  set(PACKAGE_VERSION_COMPATIBLE FALSE)
else()
  set(PACKAGE_VERSION_COMPATIBLE TRUE)
  if(PACKAGE_FIND_VERSION VERSION_EQUAL PACKAGE_VERSION)
    set(PACKAGE_VERSION_EXACT TRUE)
  endif()
endif()
CONFIG
  done <<LIST
nlohmann_json $(upstream nlohmann-json3-dev) nlohmann_json::nlohmann_json nlohmann-json3-dev
tl-expected $(upstream libexpected-dev) tl::expected libexpected-dev
CLI11 $(upstream libcli11-dev) CLI11::CLI11 libcli11-dev
doctest $(upstream doctest-dev) doctest::doctest doctest-dev
spdlog $(upstream libspdlog-dev) spdlog::spdlog;spdlog::spdlog_header_only libspdlog-dev
fmt $(upstream libfmt-dev) fmt::fmt;fmt::fmt-header-only libfmt-dev
LIST
  # doctest_discover_tests() and friends: doctest-dev's own CMake scripts are architecture-free.
  echo 'include(/usr/lib/cmake/doctest/doctest.cmake OPTIONAL)' >>"$p/lib/cmake/doctest/doctestConfig.cmake"
  httplib_header "$p"
}

# ---- cpp-httplib for the Windows unit tests (their in-process test servers). Debian's -dev package
# holds only the declarations of its compiled (Linux, OpenSSL) library; the source package holds the
# single header upstream ships, usable header-only. Without CPPHTTPLIB_OPENSSL_SUPPORT it needs only
# Winsock (the tests serve plain HTTP on 127.0.0.1). Unpacked once (Debian's patches applied).
httplib_header() {
  local p=$1 v dir
  v=$(pick_source cpp-httplib "${TABAGENT_HTTPLIB_VERSION:-}")
  dir="$cache/src/cpp-httplib_$v"
  if [ ! -f "$dir/tree/httplib.h" ]; then
    rm -rf "$dir/tree"
    (cd "$dir" && dpkg-source -x ./*.dsc tree >/dev/null 2>&1) || { log "cpp-httplib $v: dpkg-source failed"; exit 1; }
  fi
  mkdir -p "$p/include" "$p/lib/pkgconfig"
  ln -sfn "$dir/tree/httplib.h" "$p/include/httplib.h"
  cat >"$p/lib/pkgconfig/cpp-httplib.pc" <<PC
# Written by scripts/windows-deps.sh: cpp-httplib $v (Debian source package), header-only, no TLS.
Name: cpp-httplib
Description: A C++ HTTP server and client library (header-only, Winsock)
Version: $(echo "$v" | sed -e 's/-[^-]*$//' -e 's/[~+].*$//')
Cflags: -I$p/include
Libs: -lws2_32
PC
}
# Debian version -> upstream version (drop epoch, revision and ~dfsg/+ds suffixes).
upstream() {
  dpkg-query -W -f='${Version}' "$1" | sed -e 's/^[0-9]*://' -e 's/-[^-]*$//' -e 's/[~+].*$//'
}

openssl_v=$(pick_source openssl "${TABAGENT_OPENSSL_VERSION:-}")
curl_v=$(pick_source curl "${TABAGENT_CURL_VERSION:-}")
prefix="$cache/${openssl_v}_${curl_v}"
if [ -f "$prefix/.complete" ] && grep -qx "recipe $recipe" "$prefix/VERSIONS"; then
  header_shims "$prefix"
  log "cached: openssl $openssl_v, curl $curl_v"
  echo "$prefix"; exit 0
fi

work=$(mktemp -d "$cache/build.XXXXXX")
# Upstream's own warnings (mingw builds of OpenSSL print several) go to a log shown on failure.
trap 'rc=$?; if [ $rc -ne 0 ]; then tail -n 40 "$work/build.log" >&3; fi; rm -rf "$work"' EXIT
exec 3>&2 2>>"$work/build.log"
logfd=3
rm -rf "$prefix" && mkdir -p "$prefix/lib" "$prefix/include"
unpack() {  # dpkg-source -x applies debian/patches (security fixes included)
  (cd "$work" && dpkg-source -x --no-check "$cache/src/${1}_$2/${1}_$2.dsc" "$1" >/dev/null)
}

# ---- OpenSSL: libcrypto only. `mingw64` is the Configure target (Configurations/10-main.conf:
# inherits mingw-common, winthreads, ex_libs -lws2_32 -lgdi32 -lcrypt32). The host only hashes,
# so no modules, legacy provider, engines or DSO; the apps and libssl are never built.
log "building openssl $openssl_v (libcrypto)"
unpack openssl "$openssl_v"
(
  cd "$work/openssl"
  nice -n 19 ./Configure mingw64 --cross-compile-prefix="$host-" CC=gcc-posix \
    --prefix="$prefix" --libdir=lib no-shared no-tests no-module no-legacy no-engine no-dso \
    -O2 >/dev/null  # -O2 as Debian's own build (dpkg-buildflags), not upstream's -O3
  nice -n 19 make -s -j"$jobs" build_generated >/dev/null
  nice -n 19 make -s -j"$jobs" libcrypto.a >/dev/null
  mkdir -p "$prefix/include/openssl"
  cp include/openssl/*.h "$prefix/include/openssl/"
  cp libcrypto.a "$prefix/lib/"
  # pkg-config file for consumers that prefer it; the Windows libraries libcrypto needs.
  mkdir -p "$prefix/lib/pkgconfig"
  cat >"$prefix/lib/pkgconfig/libcrypto.pc" <<EOF
prefix=$prefix
libdir=\${prefix}/lib
includedir=\${prefix}/include
Name: OpenSSL-libcrypto
Description: OpenSSL cryptography library (Debian source $openssl_v, static, mingw64)
Version: ${openssl_v%%-*}
Libs: -L\${libdir} -lcrypto
Libs.private: -lws2_32 -lgdi32 -lcrypt32
Cflags: -I\${includedir}
EOF
)

# ---- curl: static libcurl with Schannel. Debian's series ends with 90_gnutls and 99_nss, which
# rename the library for the other flavours; debian/rules pops them for the OpenSSL flavour, and so
# do we (in reverse order), then regenerates the build system as dh_autoreconf does.
log "building curl $curl_v (libcurl, Schannel)"
unpack curl "$curl_v"
(
  cd "$work/curl"
  patch -s -R -p1 <debian/patches/99_nss.patch
  patch -s -R -p1 <debian/patches/90_gnutls.patch
  nice -n 19 autoreconf -fi >/dev/null 2>&1
  # --with-schannel: Windows' TLS and certificate store (corporate CAs work); SSPI comes with it.
  # Everything optional is off so the static library needs only Windows' own DLLs. No CA bundle or
  # path: the build machine's /etc/ssl must not leak into a Windows binary.
  nice -n 19 ./configure --host="$host" --prefix="$prefix" CC="$host-gcc-posix" \
    --disable-shared --enable-static --disable-dependency-tracking \
    --with-schannel --without-openssl --without-ca-bundle --without-ca-path \
    --without-libpsl --without-libidn2 --without-winidn --without-brotli --without-zstd \
    --without-zlib --without-nghttp2 --without-ngtcp2 --without-nghttp3 --without-quiche \
    --without-msh3 --without-libssh2 --without-libssh --without-librtmp --without-hyper \
    --without-gssapi --without-libgsasl --disable-ldap --disable-ldaps --disable-manual \
    >/dev/null
  nice -n 19 make -s -j"$jobs" -C lib >/dev/null
  make -s -C lib install >/dev/null
  make -s -C include install >/dev/null
  make -s install-pkgconfigDATA >/dev/null
  grep -q '^#define USE_SCHANNEL 1' lib/curl_config.h || { echo "curl: Schannel not enabled" >&2; exit 1; }
)

cat >"$prefix/VERSIONS" <<EOF
recipe $recipe
openssl $openssl_v (Debian source package, libcrypto only, static)
curl $curl_v (Debian source package, Schannel, static; consumers define CURL_STATICLIB)
built $(date -u +%FT%TZ) with $("$host-gcc-posix" --version | head -1)
EOF
rm -f "$prefix"/lib/*.la
header_shims "$prefix"
touch "$prefix/.complete"
log "installed into $prefix"
echo "$prefix"
