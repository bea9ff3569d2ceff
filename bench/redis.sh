#!/usr/bin/env bash
# jfsbr beside the real juicefs on Redis 7 (redis://, JuiceFS's Redis keys),
# the same server, databases and dump files, and beside `redis-cli --rdb`
# (fetching the snapshot a full sync hands a replica: the floor for a
# consistent dump, which jfsbr's dump starts with): dump and load, JSON and
# binary, wall time and peak RSS of each. juicefs's JSON dump must equal
# jfsbr's; every load must dump as the source. The server keeps no
# snapshot files and no AOF (the fixture's settings).
# Usage: bench/redis.sh [FILES]
set -euo pipefail
N=${1:-1100000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=$ROOT/build
J=$B/jfsbr
JFS=$ROOT/.tools/juicefs/bin/juicefs
W=$(mktemp -d /tmp/jfsbr-redisbench-XXXXXX)
trap '"$B/jfsbr_fixture" redis stop "$W/redis.txt" >/dev/null 2>&1 || true; rm -rf "$W"' EXIT

source "$(dirname "$0")/measure.sh"

line=$("$B/jfsbr_fixture" redis start "$W/redis.txt")
PORT=$(sed -E 's/.*127\.0\.0\.1:([0-9]+).*/\1/' <<<"$line")
cli() { redis-cli -p "$PORT" "$@"; }
SRC=redis://127.0.0.1:$PORT/1

echo "volume: $N files; $("$JFS" version); $(redis-server --version | cut -d' ' -f1-3) ($(nproc) cores)"
measure "jfsbr bench gen" "$J" bench gen "$SRC" --files "$N"
echo "  redis: $(cli -n 1 dbsize) keys, used_memory $(cli info memory | tr -d '\r' | awk -F: '/^used_memory_human/ {print $2}')"
measure "redis-cli --rdb (the floor)" redis-cli -p "$PORT" --rdb "$W/floor.rdb"
echo "  snapshot: $(( $(stat -c %s "$W/floor.rdb") >> 20 )) MiB"
rm -f "$W/floor.rdb"
measure "jfsbr dump JSON" "$J" dump "$SRC" "$W/j.json"
measure "juicefs dump JSON" "$JFS" dump "$SRC" "$W/g.json"
cmp -s "$W/j.json" "$W/g.json" && echo "  the two dumps: byte-identical" \
  || { echo "  the two dumps DIFFER"; exit 1; }
rm -f "$W/g.json"
measure "jfsbr dump binary" "$J" dump --binary "$SRC" "$W/j.bin"
measure "juicefs dump binary" "$JFS" dump --binary "$SRC" "$W/g.bin"
rm -f "$W/g.bin"
measure "jfsbr check" "$J" check "$SRC"
verify() {  # the database dumps as the source; then emptied (memory)
  "$J" dump "redis://127.0.0.1:$PORT/$1" 2>/dev/null | cmp -s - "$W/j.json" \
    || { echo "  the load into db $1 DIFFERS"; exit 1; }
  cli -n "$1" flushdb >/dev/null
}
measure "jfsbr load JSON" "$J" load "redis://127.0.0.1:$PORT/2" "$W/j.json"
verify 2
measure "juicefs load JSON" "$JFS" load "redis://127.0.0.1:$PORT/3" "$W/j.json"
cli -n 3 flushdb >/dev/null  # (juicefs rebuilds the counters: not compared)
measure "jfsbr load binary" "$J" load --binary "redis://127.0.0.1:$PORT/4" "$W/j.bin"
verify 4
measure "juicefs load binary (jfsbr's)" "$JFS" load --binary "redis://127.0.0.1:$PORT/5" "$W/j.bin"
verify 5
echo "  jfsbr's loads and juicefs's binary load dump as the source: byte-identical"
