#!/bin/sh
# run-all.sh: build Berth twice and run the whole test suite.
#
#   build/       gcc, RelWithDebInfo: unit, lint, e2e and vm tests
#   build-asan/  clang with ASan + UBSan and libFuzzer: the unit tests again under the
#                sanitizers, and a short run of every fuzz target
#
# Needs the packages of installer/install-deps.sh and, for e2e and vm tests, root.
# Extra arguments go to both ctest runs (e.g. -R archive, --output-on-failure is always on).
set -eu
cd "$(dirname "$0")/.."
jobs=${BERTH_JOBS:-2}

echo "== build (gcc)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBERTH_TESTS=ON
cmake --build build -j"$jobs"

echo "== build (clang, ASan+UBSan, libFuzzer)"
CC=clang cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DBERTH_SANITIZE=ON -DBERTH_FUZZ=ON \
    -DBERTH_TESTS=ON
cmake --build build-asan -j"$jobs"

status=0
echo "== tests: unit, lint, e2e, vm"
(cd build && ctest --output-on-failure -j"$jobs" -L 'unit|lint|e2e|vm' "$@") || status=1
echo "== tests under ASan/UBSan: unit, fuzz"
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j"$jobs" -L 'unit|fuzz' "$@") ||
    status=1
[ "$status" -eq 0 ] && echo "== all tests passed" || echo "== some tests FAILED"
exit "$status"
