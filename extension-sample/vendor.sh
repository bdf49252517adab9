#!/usr/bin/env bash
# Copies the transformers.js browser build into vendor/ (MV3 extensions may only run code they ship).
# The npm package is installed by tests/e2e (`npm ci --ignore-scripts`, committed lock file); the big
# file is copied at build/test time rather than committed.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
NODE_MODULES="${1:-$HERE/../tests/e2e/node_modules}"
SRC="$NODE_MODULES/@huggingface/transformers/dist/transformers.min.js"
[[ -f "$SRC" ]] || { echo "vendor.sh: $SRC not found; run 'npm ci --ignore-scripts' in tests/e2e first" >&2; exit 1; }
mkdir -p "$HERE/vendor"
cp "$SRC" "$HERE/vendor/transformers.min.js"
echo "vendor.sh: copied transformers.js $(node -p "require('$NODE_MODULES/@huggingface/transformers/package.json').version" 2>/dev/null || echo '?') into $HERE/vendor/"
