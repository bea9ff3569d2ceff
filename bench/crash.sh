#!/usr/bin/env bash
# The power-cut trials at full length: every write path of tests/crash_test.cc
# with TRIALS random cut points (default 100) plus one right after success.
# Needs root, /dev/fuse and a built tree (scripts/build.sh); starts its own
# etcd. Prints one crash-report line per path and the verdict.
# Usage: bench/crash.sh [TRIALS] [BUILD_DIR]
set -euo pipefail
TRIALS=${1:-100}
BUILD=${2:-$(dirname "$0")/../build}
OUT=$(mktemp /tmp/jfsbr-crash-XXXXXX.log)
trap 'rm -f "$OUT"' EXIT
start=$(date +%s)
status=0
JFSBR_CRASH_TRIALS=$TRIALS "$BUILD/jfsbr_tests" --gtest_filter='*Crash*' >"$OUT" 2>&1 || status=$?
grep '^crash-report' "$OUT" | sed 's/^crash-report /  /'
grep -E '^\[  (PASSED|FAILED) ' "$OUT" || true
echo "$(grep -c '^crash-report' "$OUT") paths, $TRIALS cuts each, $(( $(date +%s) - start )) s"
if [ "$status" -ne 0 ]; then
  grep -B2 -A12 'Failure' "$OUT" | head -80
  exit "$status"
fi
