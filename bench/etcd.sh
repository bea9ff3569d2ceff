#!/usr/bin/env bash
# Dump/load of the benchmark volume on a single local etcd member (started
# here on free ports, stopped at the end), beside `etcdctl get --prefix` over
# the same keys (etcd's own read limit). Usage: bench/etcd.sh [FILES]
set -euo pipefail
N=${1:-1100000}
B=$(cd "$(dirname "$0")/../build" && pwd)
J=$B/jfsbr
W=$(mktemp -d /tmp/jfsbr-etcdbench-XXXXXX)
trap '"$B/jfsbr_fixture" etcd stop "$W/etcd.txt" >/dev/null 2>&1 || true; rm -rf "$W"' EXIT

source "$(dirname "$0")/measure.sh"

"$J" bench gen "rocksdb://$W/src" --files "$N" >/dev/null 2>&1
"$J" dump "rocksdb://$W/src" "$W/src.json" 2>/dev/null
"$J" dump --binary "rocksdb://$W/src" "$W/src.bin" 2>/dev/null
"$B/jfsbr_fixture" etcd start "$W/etcd.txt" 1 >/dev/null
EP=127.0.0.1:$(sed -n 2p "$W/etcd.txt" | awk '{print $2}')
echo "volume: $N files; etcd $(etcd --version | head -1 | awk '{print $3}') single member at $EP ($(nproc) cores)"
measure "load JSON" "$J" load "etcd://$EP/bench" "$W/src.json"
measure "etcdctl get --prefix" etcdctl --command-timeout 1200s --endpoints "$EP" get --prefix /bench
measure "raw scan (bench scan)" "$J" bench scan "etcd://$EP/bench"
measure "dump JSON" "$J" dump "etcd://$EP/bench" "$W/e.json"
cmp -s "$W/e.json" "$W/src.json" && echo "  = the RocksDB source's dump, byte for byte" || { echo "  DIFFERENT"; exit 1; }
measure "dump JSON -p 8" "$J" dump -p 8 "etcd://$EP/bench" "$W/e8.json"
measure "dump binary" "$J" dump --binary "etcd://$EP/bench" "$W/e.bin"
measure "load binary" "$J" load --binary "etcd://$EP/bench2" "$W/src.bin"
"$J" dump --binary "etcd://$EP/bench2" "$W/e2.bin" 2>/dev/null
cmp -s "$W/e2.bin" "$W/src.bin" && echo "  binary load -> dump = the source's binary dump" || { echo "  DIFFERENT"; exit 1; }
etcdctl --endpoints "$EP" endpoint status -w table

# The floor for loads: etcdctl, the client etcd ships, writing keys of the
# volume's average sizes, one process a key (`put`) and 128 keys a process
# (`txn`, etcd's default --max-txn-ops); a sample, extrapolated to the
# volume's keys.
read -r KEYS VBYTES < <("$J" bench scan "rocksdb://$W/src" 2>&1 | tail -1 |
  sed -E 's/.*scanned ([0-9]+) records \(([0-9]+) bytes.*/\1 \2/')
VAL=$(head -c $((VBYTES / KEYS)) /dev/zero | tr '\0' v)
floor() {  # NAME KEYS-WRITTEN SECONDS
  awk -v n="$1" -v k="$2" -v s="$3" -v all="$KEYS" 'BEGIN {
    printf "%-34s %7.0f keys/s: %s keys would take %.0f s\n", n, k / s, all, all / (k / s) }'
}
start=$(date +%s.%N)
for i in $(seq 1 500); do
  etcdctl --endpoints "$EP" put "/floor/put/$(printf %012d "$i")" "$VAL" >/dev/null
done
floor "etcdctl put (500 keys)" 500 "$(awk -v a="$(date +%s.%N)" -v b="$start" 'BEGIN { print a - b }')"
start=$(date +%s.%N)
for t in $(seq 1 20); do
  { echo; for i in $(seq 1 128); do echo "put /floor/txn/$(printf %06d%06d "$t" "$i") $VAL"; done
    echo; echo; } | etcdctl --endpoints "$EP" txn >/dev/null
done
floor "etcdctl txn (20 x 128 keys)" 2560 "$(awk -v a="$(date +%s.%N)" -v b="$start" 'BEGIN { print a - b }')"
