#!/usr/bin/env bash
# Point-in-time recovery on a single local etcd member (started here on free
# ports, stopped at the end):
#  1. `br backup` of the benchmark volume beside `etcdctl snapshot save` of
#     the same member, and `br restore` of it into RocksDB;
#  2. checkpoint lag (RPO) of a log backup with a 1 s flush interval, sampled
#     every 100 ms from its global checkpoint file, while a second volume takes
#     a steady write load (imports of /usr/share/doc), then a bulk load;
#  3. `restore point` of that volume to the end of the log into RocksDB
#     (the replay rate), checked against a dump of the live volume.
# Usage: bench/pitr.sh [FILES] [STEADY_SECONDS]
set -euo pipefail
N=${1:-1100000}
STEADY=${2:-60}
B=$(cd "$(dirname "$0")/../build" && pwd)
J=$B/jfsbr
W=$(mktemp -d /tmp/jfsbr-pitrbench-XXXXXX)
CAPTURE=
cleanup() {
  [ -n "$CAPTURE" ] && kill "$CAPTURE" 2>/dev/null && wait "$CAPTURE" 2>/dev/null
  "$B/jfsbr_fixture" etcd stop "$W/etcd.txt" >/dev/null 2>&1 || true
  rm -rf "$W"
}
trap cleanup EXIT

source "$(dirname "$0")/measure.sh"

"$J" bench gen "rocksdb://$W/src" --files "$N" >/dev/null 2>&1
"$J" dump --binary "rocksdb://$W/src" "$W/src.bin" 2>/dev/null
# Two 1.1 M-file volumes and their history need more than etcd's default 2 GiB quota.
ETCD_QUOTA_BACKEND_BYTES=$((8 << 30)) "$B/jfsbr_fixture" etcd start "$W/etcd.txt" 1 >/dev/null
EP=127.0.0.1:$(sed -n 2p "$W/etcd.txt" | awk '{print $2}')
echo "volume: $N files; etcd $(etcd --version | head -1 | awk '{print $3}') single member at $EP ($(nproc) cores)"
"$J" load --binary "etcd://$EP/bench" "$W/src.bin" 2>/dev/null

echo "== 1. full backup"
measure "etcdctl snapshot save" etcdctl --endpoints "$EP" snapshot save "$W/snap.db"
measure "br backup" "$J" br backup "etcd://$EP/bench" -s "file://$W/full"
measure "br backup --concurrency 8" "$J" br backup --concurrency 8 "etcd://$EP/bench" -s "file://$W/full8"
echo "  sizes: snapshot $(du -sh "$W/snap.db" | cut -f1), br backup $(du -sh "$W/full" | cut -f1)"
measure "br restore into RocksDB" "$J" br restore -s "file://$W/full" "rocksdb://$W/r1"
"$J" dump --binary "rocksdb://$W/r1" "$W/r1.bin" 2>/dev/null
cmp -s "$W/r1.bin" "$W/src.bin" && echo "  restored volume = the source, byte for byte (binary dump)" ||
  { echo "  DIFFERENT"; exit 1; }

echo "== 2. checkpoint lag (RPO), --flush-interval 1s"
V="etcd://$EP/rpo"
"$J" format "$V" rpo --bucket "$W/bucket" >/dev/null 2>&1
"$J" log start "$V" -s "file://$W/log" --flush-interval 1s 2>"$W/capture.txt" &
CAPTURE=$!
CK=$W/log/v1/global_checkpoint/1.ts
until [ -s "$CK" ]; do sleep 0.1; done
"$J" br backup "$V" -s "file://$W/rfull" >/dev/null 2>&1
# lag NAME: samples (now - checkpoint time) every 100 ms until $W/stop exists.
lag() {
  rm -f "$W/stop" "$W/lag-$1"
  while [ ! -e "$W/stop" ]; do
    echo $(( $(date +%s%3N) - $(od -An -tu8 -j8 -N8 "$CK") )) >>"$W/lag-$1"
    sleep 0.1
  done
}
# report NAME LABEL
report() {
  sort -n "$W/lag-$1" | awk -v name="$2" '{v[NR]=$1} END {
    p99 = int(NR * 0.99) + 1; if (p99 > NR) p99 = NR
    printf "  %-40s %5d samples  p50 %5d ms  p99 %5d ms  max %5d ms\n", name, NR,
      v[int(NR*0.5)+1], v[p99], v[NR]}'
}
lag idle & L=$!; sleep 10; touch "$W/stop"; wait $L; report idle "idle (heartbeats only)"

lag steady & L=$!
T0=$(date +%s); i=0; changes0=$(etcdctl --endpoints "$EP" endpoint status -w json | grep -o '"revision":[0-9]*' | cut -d: -f2)
while [ $(( $(date +%s) - T0 )) -lt "$STEADY" ]; do
  i=$((i + 1))
  "$J" mkdir "$V" "/d$i" >/dev/null 2>&1
  "$J" import /usr/share/doc "$V" --dest "/d$i" >/dev/null 2>&1
done
touch "$W/stop"; wait $L
changes1=$(etcdctl --endpoints "$EP" endpoint status -w json | grep -o '"revision":[0-9]*' | cut -d: -f2)
report steady "steady: $i imports of /usr/share/doc"
echo "  ($((changes1 - changes0)) etcd revisions in $(( $(date +%s) - T0 )) s)"

lag bulk & L=$!
measure "bulk: load --force --binary" "$J" load --force --binary "$V" "$W/src.bin"
touch "$W/stop"; wait $L
report bulk "bulk: load --force of the benchmark volume"

kill -TERM "$CAPTURE"; wait "$CAPTURE"; CAPTURE=
REV=$(od -An -tu8 -N8 "$CK" | tr -d ' ')
echo "  log: $(find "$W/log" -name '*.log' | wc -l) data files, $(du -sh "$W/log" | cut -f1); checkpoint revision $REV"

echo "== 3. restore point (replay into RocksDB)"
measure "restore point" "$J" restore point --full-backup-storage "file://$W/rfull" -s "file://$W/log" \
  --restored-revision "$REV" --to "rocksdb://$W/r2"
grep -h "replayed" "$W/err" | tail -1 | awk '{
  for (i = 1; i <= NF; i++) { if ($(i+1) == "changes)") c = substr($i, 2); if ($i == "in") s = $(i+1) }
  if (s > 0) printf "  replay rate: %d changes in %.2f s = %.0f changes/s\n", c, s, c / s }'
"$J" dump --binary "$V" "$W/live.bin" 2>/dev/null
"$J" dump --binary "rocksdb://$W/r2" "$W/r2.bin" 2>/dev/null
cmp -s "$W/live.bin" "$W/r2.bin" && echo "  restored volume = the live volume, byte for byte (binary dump)" ||
  { echo "  DIFFERENT"; exit 1; }
