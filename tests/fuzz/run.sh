#!/bin/sh
# Runs the libFuzzer target for N seconds (default 60) from the replay-derived seed corpus.
#   cmake --preset fuzz && cmake --build --preset fuzz && tests/fuzz/run.sh 60
# Exit status is libFuzzer's: non-zero when it found a crash (the input is saved under
# build/fuzz/artifacts/; turn it into a replay fixture with make_corpus.py --to-replay).
set -eu
seconds=${1:-60}
here=$(cd "$(dirname "$0")" && pwd)
build=${TABAGENT_FUZZ_BUILD:-$here/../../build/fuzz}
bin=$build/tests/fuzz/fuzz_host
[ -x "$bin" ] || { echo "no $bin: cmake --preset fuzz && cmake --build --preset fuzz" >&2; exit 2; }
seeds=$build/fuzz-seeds
work=$build/fuzz-corpus
mkdir -p "$work" "$build/artifacts"
python3 "$here/make_corpus.py" "$seeds"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
exec "$bin" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=3072 -max_len=65536 \
  -dict="$here/host.dict" -artifact_prefix="$build/artifacts/" -print_final_stats=1 \
  "$work" "$seeds"
