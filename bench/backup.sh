#!/usr/bin/env bash
# Backup benchmark: a metadata-only volume of FILES files (jfsbr bench gen) on
# RocksDB whose store is a local s3rver bucket; one backup by the daemon
# (--interval 1h: nothing skipped, whatever the size), a one-shot backup of
# each format, verify and restore. Wall time and peak RSS of each.
# Usage: bench/backup.sh [FILES] [BUILD-DIR]
set -euo pipefail
N=${1:-1100000}
B=${2:-$(dirname "$0")/../build}
J=$B/jfsbr
W=$(mktemp -d /tmp/jfsbr-backupbench-XXXXXX)
trap '"$B/jfsbr_fixture" s3 stop "$W/s3.txt" >/dev/null 2>&1 || true; rm -rf "$W"' EXIT
source "$(dirname "$0")/measure.sh"

"$B/jfsbr_fixture" s3 start "$W/s3.txt" >/dev/null
PORT=$(sed -n 2p "$W/s3.txt" | cut -d' ' -f1)
META="rocksdb://$W/meta"
echo "volume: $N files ($(nproc) cores), store: s3rver on 127.0.0.1:$PORT"
measure "bench gen" "$J" bench gen "$META" --files "$N" --storage s3 \
  --bucket "http://127.0.0.1:$PORT/bench" --access-key S3RVER --secret-key S3RVER
"$J" bench scan "$META" >/dev/null 2>&1  # the first open compacts; not timed below

# The daemon: started, stopped (SIGTERM) once its first backup is listed.
/usr/bin/time -v -o "$W/time" "$J" backup daemon "$META" --interval 1h 2>"$W/daemon.log" &
TPID=$!
until grep -q 'backup meta/\|failed' "$W/daemon.log"; do sleep 0.2; done
pkill -TERM -P "$TPID" || true
wait "$TPID" || true
printf '%-34s %10s wall %6d MiB peak RSS   %s\n' "backup daemon (first backup)" \
  "$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$W/time")" \
  "$(awk -F': ' '/Maximum resident set size/ {print int($2/1024)}' "$W/time")" \
  "$(grep 'backup meta/' "$W/daemon.log" | sed 's/^.*backup meta/meta/')"
sleep 1  # a new name
measure "backup (JSON, gzip)" "$J" backup "$META"
sleep 1
measure "backup --binary (zstd)" "$J" backup --binary "$META"
"$J" backup list "$META"
measure "backup verify latest" "$J" backup verify "$META" latest
measure "restore latest JSON" "$J" restore "$META" --to "rocksdb://$W/restored" \
  --from "$("$J" backup list "$META" | awk '/json/ {n=$1} END {print n}')"
measure "restore latest binary" "$J" restore "$META" --to "rocksdb://$W/restored-bin" --from latest
"$J" dump "$META" "$W/source.json" 2>/dev/null
"$J" dump "rocksdb://$W/restored-bin" "$W/restored.json" 2>/dev/null  # the latest backup
cmp -s "$W/source.json" "$W/restored.json" && echo "restored latest backup: dump byte-identical to the source" \
  || { echo "restored latest backup: dump DIFFERENT"; exit 1; }
