#!/usr/bin/env bash
# CTest entry of the type-check of extension-sample against docs/protocol.d.ts:
#   tests/e2e/typecheck.sh check      tsc --noEmit (strict, checkJs) on the sample must pass
#   tests/e2e/typecheck.sh mistakes   tsc must reject a copy of the sample with injected mistakes
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
command -v node >/dev/null 2>&1 || { echo "typecheck: node not found" >&2; exit 1; }
"$HERE/ensure_node_modules.sh"
exec node "$HERE/typecheck.mjs" "${1:-check}"
