#!/usr/bin/env bash
# Entry point of the browser end-to-end test (CTest-registrable):
#   tests/e2e/run.sh <build-dir>
# Installs the npm packages from the committed lock file when needed (`npm ci --ignore-scripts`),
# copies transformers.js into extension-sample/vendor/, then drives headless Debian Chromium.
# Screenshots and logs go to tests/e2e/artifacts/. Exits non-zero on failure.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
BUILD_DIR="${1:-}"
if [[ -z "$BUILD_DIR" || ! -d "$BUILD_DIR" ]]; then
  echo "usage: $0 <build-dir>   (e.g. build/ci, with src/host/tabagent-host and tests/fakehub/fakehub)" >&2
  exit 2
fi
BUILD_DIR="$(cd "$BUILD_DIR" && pwd -P)"
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
if [[ ! -x "$CHROMIUM" ]]; then
  echo "e2e: $CHROMIUM not found; install Debian's chromium (apt-get install -y chromium)" >&2
  echo "e2e: 0 passed, 1 failed"
  exit 1
fi
command -v node >/dev/null 2>&1 || { echo "e2e: node not found"; echo "e2e: 0 passed, 1 failed"; exit 1; }

# npm ci only when node_modules is missing or older than the lock file.
"$HERE/ensure_node_modules.sh"
exec node "$HERE/e2e.mjs" "$BUILD_DIR"
