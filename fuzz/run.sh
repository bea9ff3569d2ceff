#!/usr/bin/env bash
# Builds the fuzz targets with clang (libFuzzer + ASan + UBSan) in build-fuzz/
# and runs each for RUNS executions (default 1,000,000), seeded with the golden
# dumps (JSON, and binary ones made from them) and the inputs that once failed
# (fuzz/corpus/TARGET/). Usage: fuzz/run.sh [RUNS] [TARGET]
# FUZZ_TIMEOUT (seconds, default 10) is the time one input may take before it
# counts as a hang: raise it for long runs at nice 19 beside other work, where
# a starved process would otherwise report a false one. FUZZ_FLAGS adds
# libFuzzer flags: long runs use "-entropic=0 -rss_limit_mb=8192" (the entropic
# scheduler took 45% of json_load's CPU; ASan's RSS grows ~200 bytes an
# execution on targets that start threads, over the default 2 GiB by ~9 M).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-1000000}
TIMEOUT=${FUZZ_TIMEOUT:-10}
CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DJFSBR_FUZZ=ON >/dev/null
TARGETS=${2:-"json_load binary_load tree_reader formats"}
cmake --build build-fuzz --target jfsbr $(for t in $TARGETS; do echo jfsbr_fuzz_$t; done)
for t in $TARGETS; do
  corpus=$(mktemp -d /tmp/jfsbr-fuzz-XXXXXX)
  if [ "$t" = json_load ] || [ "$t" = tree_reader ]; then
    cp tests/golden/*.json "$corpus/"
  elif [ "$t" = binary_load ]; then
    for f in tests/golden/*.json; do
      rm -rf "$corpus/db" && build-fuzz/jfsbr load "rocksdb://$corpus/db" "$f" 2>/dev/null
      build-fuzz/jfsbr dump --binary "rocksdb://$corpus/db" "$corpus/$(basename "$f" .json).bin" 2>/dev/null
      rm -rf "$corpus/db"
    done
  fi
  # Inputs that once failed (fuzz/corpus/TARGET/): replayed first, every run.
  [ -d "fuzz/corpus/$t" ] && cp "fuzz/corpus/$t"/* "$corpus/"
  echo "== $t"
  # The whole log (progress lines with execution counts) in FUZZ_LOG_DIR if set.
  log=${FUZZ_LOG_DIR:+$FUZZ_LOG_DIR/$t.log}
  build-fuzz/jfsbr_fuzz_$t -runs="$RUNS" -max_len=16384 -timeout="$TIMEOUT" ${FUZZ_FLAGS:-} "$corpus" 2>&1 |
    tee ${log:+"$log"} | tail -4
done
