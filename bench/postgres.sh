#!/usr/bin/env bash
# jfsbr beside the real juicefs on PostgreSQL 15 (postgres://, JuiceFS's SQL
# tables), the same server, databases and dump files, and beside pg_dump of
# the tables as the floor: dump and load, JSON and binary, wall time and peak
# RSS of each. The server runs with PostgreSQL's own durable settings
# (fsync on). juicefs's JSON dump must equal jfsbr's; every load must dump
# as the source.
# Usage: bench/postgres.sh [FILES]
set -euo pipefail
N=${1:-1100000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=$ROOT/build
J=$B/jfsbr
JFS=$ROOT/.tools/juicefs/bin/juicefs
W=$(mktemp -d /tmp/jfsbr-pgbench-XXXXXX)
trap '"$B/jfsbr_fixture" pg stop "$W/pg.txt" >/dev/null 2>&1 || true; rm -rf "$W"' EXIT

source "$(dirname "$0")/measure.sh"

line=$("$B/jfsbr_fixture" pg start "$W/pg.txt" durable)
PORT=$(sed -E 's/.*127\.0\.0\.1:([0-9]+).*/\1/' <<<"$line")
SOCK=$(sed -E 's/.*\((.*)\)$/\1/' <<<"$line")
psql_() { psql -h "$SOCK" -p "$PORT" -U postgres -v ON_ERROR_STOP=1 -qAt "$@"; }
psql_ -c "CREATE ROLE bench LOGIN PASSWORD 'bench'"
url() {
  psql_ -c "CREATE DATABASE $1 OWNER bench"
  echo "postgres://bench:bench@127.0.0.1:$PORT/$1?sslmode=disable"
}
SRC=$(url src)

echo "volume: $N files; $("$JFS" version); $(psql_ -c 'SHOW server_version' | cut -d' ' -f1)" \
  "PostgreSQL, fsync $(psql_ -c 'SHOW fsync') ($(nproc) cores)"
measure "jfsbr bench gen" "$J" bench gen "$SRC" --files "$N"
measure "pg_dump of the tables (the floor)" sh -c \
  "pg_dump -h '$SOCK' -p $PORT -U postgres -t 'jfs_*' src > '$W/floor.sql'"
measure "jfsbr dump JSON" "$J" dump "$SRC" "$W/j.json"
measure "juicefs dump JSON --fast" "$JFS" dump --fast "$SRC" "$W/g.json"
cmp -s "$W/j.json" "$W/g.json" && echo "  the two dumps: byte-identical" \
  || { echo "  the two dumps DIFFER"; exit 1; }
measure "jfsbr dump binary" "$J" dump --binary "$SRC" "$W/j.bin"
measure "juicefs dump binary" "$JFS" dump --binary "$SRC" "$W/g.bin"
measure "jfsbr check" "$J" check "$SRC"
LJ=$(url lj) LG=$(url lg) LBJ=$(url lbj) LBG=$(url lbg)
measure "jfsbr load JSON" "$J" load "$LJ" "$W/j.json"
measure "juicefs load JSON" "$JFS" load "$LG" "$W/j.json"
measure "jfsbr load binary" "$J" load --binary "$LBJ" "$W/j.bin"
measure "juicefs load binary (jfsbr's)" "$JFS" load --binary "$LBG" "$W/j.bin"
for u in "$LJ" "$LBJ" "$LBG"; do
  "$J" dump "$u" 2>/dev/null | cmp -s - "$W/j.json" \
    || { echo "  the load into $u DIFFERS"; exit 1; }
done
echo "  jfsbr's loads and juicefs's binary load dump as the source: byte-identical"
if [ "${JUICEFS_SLOW_DUMP:-}" = 1 ]; then
  # juicefs's default JSON dump reads PostgreSQL row by row (hours at 1.1 M).
  measure "juicefs dump JSON (default)" "$JFS" dump "$SRC" "$W/g2.json"
fi
