#!/usr/bin/env bash
# jfsbr beside the real juicefs on MariaDB 10.11 (mysql://, JuiceFS's SQL
# tables), the same server, databases and dump files, and beside
# mariadb-dump --single-transaction of the tables as the floor: dump and
# load, JSON and binary, wall time and peak RSS of each. The server runs with
# InnoDB's own durable settings (a log flush at every commit) and a 1 GiB buffer
# pool (the fixture's durable mode). juicefs's JSON
# dump must equal jfsbr's; every load must dump as the source.
# Usage: bench/mariadb.sh [FILES]
set -euo pipefail
N=${1:-1100000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=$ROOT/build
J=$B/jfsbr
JFS=$ROOT/.tools/juicefs/bin/juicefs
W=$(mktemp -d /tmp/jfsbr-mybench-XXXXXX)
trap '"$B/jfsbr_fixture" mariadb stop "$W/my.txt" >/dev/null 2>&1 || true; rm -rf "$W"' EXIT

source "$(dirname "$0")/measure.sh"

line=$("$B/jfsbr_fixture" mariadb start "$W/my.txt" durable)
PORT=$(sed -E 's/.*127\.0\.0\.1:([0-9]+).*/\1/' <<<"$line")
SOCK=$(sed -E 's/.*\((.*)\)$/\1/' <<<"$line")/sock
sql() { mariadb --no-defaults -S "$SOCK" -u root --batch --skip-column-names -e "$1"; }
sql "CREATE USER bench@'%' IDENTIFIED BY 'bench'"
url() {
  sql "CREATE DATABASE $1; GRANT ALL ON $1.* TO bench@'%'"
  echo "mysql://bench:bench@(127.0.0.1:$PORT)/$1"
}
SRC=$(url src)

echo "volume: $N files; $("$JFS" version); MariaDB $(sql 'SELECT version()'), " \
  "innodb_flush_log_at_trx_commit $(sql 'SELECT @@innodb_flush_log_at_trx_commit')," \
  "buffer pool $(( $(sql 'SELECT @@innodb_buffer_pool_size') >> 20 )) MiB ($(nproc) cores)"
# Waits (60 s at most) until InnoDB has written back what the last step
# dirtied, so that its flushing does not land on the next step's time.
settle() {
  for _ in $(seq 60); do
    [ "$(sql "SHOW GLOBAL STATUS LIKE 'Innodb_buffer_pool_pages_dirty'" | cut -f2)" -lt 100 ] && return
    sleep 1
  done
}
measure "jfsbr bench gen" "$J" bench gen "$SRC" --files "$N"
settle
measure "mariadb-dump --single-transaction (the floor)" sh -c \
  "mariadb-dump --no-defaults -S '$SOCK' -u root --single-transaction src > '$W/floor.sql'"
measure "jfsbr dump JSON" "$J" dump "$SRC" "$W/j.json"
# juicefs prints its SQL library's log on stdout: the dumps go to files.
measure "juicefs dump JSON --fast" "$JFS" dump --fast "$SRC" "$W/g.json"
cmp -s "$W/j.json" "$W/g.json" && echo "  the two dumps: byte-identical" \
  || { echo "  the two dumps DIFFER"; exit 1; }
measure "jfsbr dump binary" "$J" dump --binary "$SRC" "$W/j.bin"
measure "juicefs dump binary" "$JFS" dump --binary "$SRC" "$W/g.bin"
measure "jfsbr check" "$J" check "$SRC"
LJ=$(url lj) LG=$(url lg) LBJ=$(url lbj) LBG=$(url lbg)
measure "jfsbr load JSON" "$J" load "$LJ" "$W/j.json"
settle
measure "juicefs load JSON" "$JFS" load "$LG" "$W/j.json"
settle
measure "jfsbr load binary" "$J" load --binary "$LBJ" "$W/j.bin"
settle
measure "juicefs load binary (jfsbr's)" "$JFS" load --binary "$LBG" "$W/j.bin"
for u in "$LJ" "$LBJ" "$LBG"; do
  "$J" dump "$u" 2>/dev/null | cmp -s - "$W/j.json" \
    || { echo "  the load into $u DIFFERS"; exit 1; }
done
echo "  jfsbr's loads and juicefs's binary load dump as the source: byte-identical"
if [ "${JUICEFS_SLOW_DUMP:-}" = 1 ]; then
  # juicefs's default JSON dump reads row by row, with a transaction per entry.
  measure "juicefs dump JSON (default)" "$JFS" dump "$SRC" "$W/g2.json"
fi
