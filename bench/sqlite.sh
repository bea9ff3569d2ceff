#!/usr/bin/env bash
# jfsbr beside the real juicefs on SQLite (sqlite3://, JuiceFS's SQL tables),
# the same database and dump files, and beside SQLite's own `.dump` as the
# floor: dump and load, JSON and binary, wall time and peak RSS of each.
# juicefs's JSON dump must equal jfsbr's; every load must dump as the source.
# Usage: bench/sqlite.sh [FILES]
set -euo pipefail
N=${1:-1100000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
J=$ROOT/build/jfsbr
JFS=$ROOT/.tools/juicefs/bin/juicefs
W=$(mktemp -d /tmp/jfsbr-sqlitebench-XXXXXX)
trap 'rm -rf "$W"' EXIT

source "$(dirname "$0")/measure.sh"

echo "volume: $N files; $("$JFS" version); SQLite $(sqlite3 --version | cut -d' ' -f1) ($(nproc) cores)"
measure "jfsbr bench gen" "$J" bench gen "sqlite3://$W/src.db" --files "$N"
measure "sqlite3 .dump (the floor)" sh -c "sqlite3 '$W/src.db' .dump > '$W/floor.sql'"
measure "jfsbr dump JSON" "$J" dump "sqlite3://$W/src.db" "$W/j.json"
measure "juicefs dump JSON" "$JFS" dump "sqlite3://$W/src.db" "$W/g.json"
cmp -s "$W/j.json" "$W/g.json" && echo "  the two dumps: byte-identical" \
  || { echo "  the two dumps DIFFER"; exit 1; }
measure "jfsbr dump binary" "$J" dump --binary "sqlite3://$W/src.db" "$W/j.bin"
measure "juicefs dump binary" "$JFS" dump --binary "sqlite3://$W/src.db" "$W/g.bin"
measure "jfsbr check" "$J" check "sqlite3://$W/src.db"
measure "jfsbr load JSON" "$J" load "sqlite3://$W/lj.db" "$W/j.json"
measure "juicefs load JSON" "$JFS" load "sqlite3://$W/lg.db" "$W/j.json"
measure "jfsbr load binary" "$J" load --binary "sqlite3://$W/lbj.db" "$W/j.bin"
measure "juicefs load binary (jfsbr's)" "$JFS" load --binary "sqlite3://$W/lbg.db" "$W/j.bin"
# A binary dump of a TKV volume (etcd, TiKV, RocksDB) lists inodes in the
# order of their little-endian keys, not in inode order: a migration's load.
"$J" load --binary "rocksdb://$W/tkv" "$W/j.bin" 2>/dev/null
"$J" dump --binary "rocksdb://$W/tkv" "$W/t.bin" 2>/dev/null
measure "jfsbr load binary (a TKV volume's)" "$J" load --binary "sqlite3://$W/ltj.db" "$W/t.bin"
measure "juicefs load binary (the same)" "$JFS" load --binary "sqlite3://$W/ltg.db" "$W/t.bin"
for db in lj lbj lbg ltj ltg; do
  "$J" dump "sqlite3://$W/$db.db" 2>/dev/null | cmp -s - "$W/j.json" \
    || { echo "  the load into $db DIFFERS"; exit 1; }
done
echo "  jfsbr's loads and juicefs's binary load dump as the source: byte-identical"
