#!/usr/bin/env bash
# The Python package's CI stage: build the wheel with Debian's tools, install it into a fresh
# virtual environment (Debian's pytest, tqdm, mypy and Sphinx visible through
# --system-site-packages), run the tests, mypy --strict and the Sphinx docs with warnings as
# errors; then check that `pip install ./python --no-build-isolation` builds and installs too.
#
# Needs the ci preset built first (the tests run against build/ci's fakehub, tabagent-cache and
# tabagent-host): cmake --preset ci && cmake --build --preset ci -j2.
# Environment: PYTHON (default /usr/bin/python3, Debian's), TABAGENT_PYTHON_CI_DIR (default
# build/python-ci), CMAKE_BUILD_PARALLEL_LEVEL (default 2).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
python=${PYTHON:-/usr/bin/python3}
out=${TABAGENT_PYTHON_CI_DIR:-$root/build/python-ci}
export CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-2}
export TABAGENT_PYTHON_BUILD_DIR=${TABAGENT_PYTHON_BUILD_DIR:-$root/build/python}
for bin in tests/fakehub/fakehub tests/fakehub/fakehub-gen src/cli/tabagent-cache src/host/tabagent-host; do
  [ -x "$root/build/ci/$bin" ] || { echo "python/ci.sh: build the ci preset first (missing build/ci/$bin)" >&2; exit 2; }
done
step() { printf '\n== python: %s\n' "$*"; }
rm -rf "$out" "$here/build" "$here"/src/*.egg-info  # no stale setuptools output in the wheel
mkdir -p "$out"

step "wheel (python3 -m build --no-isolation --wheel)"
(cd "$here" && "$python" -m build --no-isolation --wheel --outdir "$out/dist")
wheel=$(ls "$out"/dist/tabagent_cache-*.whl)

step "fresh venv with the wheel"
"$python" -m venv --system-site-packages "$out/venv"
"$out/venv/bin/pip" install --quiet --no-deps --no-index "$wheel"
"$out/venv/bin/python" -c 'import tabagent_cache, sys; print("tabagent_cache", tabagent_cache.__version__, "from", tabagent_cache.__file__)'

step "pytest (against the fake hub)"
(cd "$here" && "$out/venv/bin/python" -m pytest -p no:cacheprovider -ra tests)

step "mypy --strict on the package's sources (tests/test_typing.py checked examples/ and tests/)"
(cd "$here" && "$python" -m mypy --strict --no-incremental --cache-dir /dev/null src/tabagent_cache)

step "sphinx -W (API docs from the docstrings)"
"$out/venv/bin/python" -m sphinx -W --keep-going -q -b html "$here/docs" "$out/docs"

step "pip install ./python --no-build-isolation"
"$python" -m venv --system-site-packages "$out/venv-pip"
(cd "$root" && "$out/venv-pip/bin/pip" install --quiet --no-deps --no-build-isolation ./python)
"$out/venv-pip/bin/python" -c 'import tabagent_cache; tabagent_cache.ModelCache(offline=True).close(); print("ok")'
echo "python/ci.sh: ok"
