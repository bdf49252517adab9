#!/bin/sh
# Runs a libFuzzer target for N seconds (default 60).
#   cmake --preset asan && cmake --build --preset asan && tests/fuzz/run.sh 60 [fuzz_host|fuzz_http_head]
# (the asan preset is clang's ASan + UBSan with coverage for libFuzzer: its build has the fuzzers)
# fuzz_host (framing + parsing + router) starts from the replay-derived seed corpus; fuzz_http_head
# (the loopback server's request-head parser) from its dictionary alone.
# Exit status is libFuzzer's: non-zero when it found a crash (the input is saved under
# build/asan/artifacts/; for fuzz_host turn it into a replay fixture with make_corpus.py --to-replay).
set -eu
seconds=${1:-60}
target=${2:-fuzz_host}
here=$(cd "$(dirname "$0")" && pwd)
build=${TABAGENT_FUZZ_BUILD:-$here/../../build/asan}
bin=$build/tests/fuzz/$target
[ -x "$bin" ] || { echo "no $bin: cmake --preset asan && cmake --build --preset asan" >&2; exit 2; }
work=$build/corpus-$target
mkdir -p "$work" "$build/artifacts"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
case $target in
  fuzz_host)
    seeds=$build/fuzz-seeds
    python3 "$here/make_corpus.py" "$seeds"
    exec "$bin" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=3072 -max_len=65536 \
      -dict="$here/host.dict" -artifact_prefix="$build/artifacts/" -print_final_stats=1 "$work" "$seeds" ;;
  fuzz_http_head)
    exec "$bin" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=3072 -max_len=40000 \
      -dict="$here/http.dict" -artifact_prefix="$build/artifacts/" -print_final_stats=1 "$work" ;;
  *) echo "unknown target $target" >&2; exit 2 ;;
esac
