#!/usr/bin/env bash
# Installs the dependencies, builds, and runs every test, then a short run of each fuzzer.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh
(cd build && ctest --output-on-failure -j2)
# The fuzzers keep building (clang, libFuzzer, ASan, UBSan) and survive a short run each.
fuzz/run.sh 20000
