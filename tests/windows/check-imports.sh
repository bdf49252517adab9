#!/usr/bin/env bash
# Fails unless every given PE file imports only Windows' own DLLs (issue 14: "need no DLL besides
# Windows' own, check with x86_64-w64-mingw32-objdump -p"); with --manifest (the shipped executables)
# also that each carries the project's application manifest (long paths, asInvoker).
# Usage: check-imports.sh [--manifest] FILE.exe...
# The allow-list is the system32 set every Windows 10/11 has (Wine ships each too); api-ms-win-*
# are the UCRT's API sets, in case the runtime is switched to UCRT later. A mingw runtime DLL
# (libstdc++-6, libgcc_s_seh-1, libwinpthread-1) or any third-party DLL fails the check.
set -euo pipefail
allowed='^(kernel32|ntdll|msvcrt|ucrtbase|api-ms-win-[a-z0-9-]+|advapi32|ws2_32|crypt32|secur32|sspicli|bcrypt|ncrypt|user32|gdi32|shell32|ole32|oleaut32|shlwapi|iphlpapi|userenv|wldap32|normaliz|rpcrt4|dbghelp)\.dll$'
manifest=""
if [ "${1:-}" = --manifest ]; then manifest=1; shift; fi
[ $# -gt 0 ] || { echo "usage: $0 [--manifest] FILE.exe..." >&2; exit 2; }
bad=0
for exe in "$@"; do
  echo "--- imports of $(basename "$exe")"
  dlls=$(x86_64-w64-mingw32-objdump -p "$exe" | sed -n 's/^[[:space:]]*DLL Name: //p')
  [ -n "$dlls" ] || { echo "FAIL no imports read from $exe"; bad=1; continue; }
  # The application manifest (cmake/windows/app.manifest) is stored as is in the resources.
  if [ -n "$manifest" ]; then
    if grep -aq '<longPathAware xmlns="http://schemas.microsoft.com/SMI/2016/WindowsSettings">true</longPathAware>' "$exe" \
       && grep -aq 'level="asInvoker"' "$exe"; then
      echo "ok   manifest: longPathAware, asInvoker"
    else
      echo "FAIL no application manifest with longPathAware and asInvoker"; bad=1
    fi
  fi
  for dll in $dlls; do
    if tr '[:upper:]' '[:lower:]' <<<"$dll" | grep -Eq "$allowed"; then
      echo "ok   $dll"
    else
      echo "FAIL $dll (not a Windows system DLL)"; bad=1
    fi
  done
done
exit "$bad"
