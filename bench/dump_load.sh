#!/usr/bin/env bash
# Dump/load benchmark on a metadata-only volume shaped like JuiceFS's own
# (jfsbr bench gen): wall time and peak RSS of each step, and the time of a
# raw scan of every key for the ratio. Usage: bench/dump_load.sh [FILES] [JFSBR]
set -euo pipefail
N=${1:-1100000}
J=${2:-$(dirname "$0")/../build/jfsbr}
W=$(mktemp -d /tmp/jfsbr-dumpbench-XXXXXX)
trap 'rm -rf "$W"' EXIT

source "$(dirname "$0")/measure.sh"

echo "volume: $N files ($(nproc) cores)"
measure "bench gen" "$J" bench gen "rocksdb://$W/src" --files "$N"
# The first open after a bulk write compacts the level-0 files (~0.8 s): do it
# once here so that neither the scan nor the dump is timed with it.
"$J" bench scan "rocksdb://$W/src" >/dev/null 2>&1
measure "raw scan of all keys" "$J" bench scan "rocksdb://$W/src"
measure "dump JSON" "$J" dump "rocksdb://$W/src" "$W/dump.json"
measure "dump JSON -p 2" "$J" dump -p 2 "rocksdb://$W/src" "$W/dump2.json"
measure "dump JSON .gz" "$J" dump "rocksdb://$W/src" "$W/dump.json.gz"
measure "load JSON" "$J" load "rocksdb://$W/dst" "$W/dump.json"
measure "load JSON -p 2" "$J" load -p 2 "rocksdb://$W/dst2" "$W/dump.json"
measure "load JSON --no-verify" "$J" load --no-verify "rocksdb://$W/dst3" "$W/dump.json"
measure "check (after load)" "$J" check "rocksdb://$W/dst"
measure "dump binary" "$J" dump --binary "rocksdb://$W/src" "$W/dump.bin"
measure "load binary" "$J" load --binary "rocksdb://$W/dstb" "$W/dump.bin"
measure "load binary --no-verify" "$J" load --binary --no-verify "rocksdb://$W/dstb2" "$W/dump.bin"
"$J" dump --binary "rocksdb://$W/dstb" "$W/again.bin" 2>/dev/null
cmp -s "$W/dump.bin" "$W/again.bin" && echo "binary dump -> load -> dump: byte-identical" \
  || { echo "binary dump -> load -> dump: DIFFERENT"; exit 1; }
"$J" dump "rocksdb://$W/dst" "$W/again.json" 2>/dev/null
cmp -s "$W/dump.json" "$W/again.json" && echo "dump -> load -> dump: byte-identical" \
  || { echo "dump -> load -> dump: DIFFERENT"; exit 1; }
ls -l "$W/dump.json" "$W/dump.json.gz" "$W/dump.bin" | awk '{print $5, $9}'
