#!/bin/sh
# run-fuzz.sh TARGET SECONDS [BINARY]
# Runs a libFuzzer target for SECONDS over tests/fuzz/corpus/TARGET (seeds) and
# tests/fuzz/regressions/TARGET (every input that once crashed: they must all pass first).
# New corpus entries and crash artifacts go under $BERTH_FUZZ_WORK (default build-fuzz/work),
# never into the source tree. A crash fails the run; copy its artifact into regressions/.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
target=$1
seconds=$2
bin=${3:-$here/../../build-asan/bin/$target}
work=${BERTH_FUZZ_WORK:-$here/../../build-asan/fuzz-work}/$target
mkdir -p "$work/corpus" "$work/artifacts" "$here/corpus/$target" "$here/regressions/$target"
# leaks in a fuzz run are reported by the unit tests under ASan; here only crashes count
exec "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -detect_leaks=0 -artifact_prefix="$work/artifacts/" \
    "$work/corpus" "$here/corpus/$target" "$here/regressions/$target"
