#!/usr/bin/env bash
# Builds the fuzz targets with clang (libFuzzer + ASan + UBSan) in build-fuzz/
# and runs each for RUNS executions (default 1,000,000), seeded with the golden
# dumps. Usage: fuzz/run.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-1000000}
CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DJFSBR_FUZZ=ON >/dev/null
cmake --build build-fuzz --target jfsbr_fuzz_json_load
corpus=$(mktemp -d /tmp/jfsbr-fuzz-XXXXXX)
cp tests/golden/*.json "$corpus/"
build-fuzz/jfsbr_fuzz_json_load -runs="$RUNS" -max_len=16384 -timeout=10 "$corpus" 2>&1 | tail -5
