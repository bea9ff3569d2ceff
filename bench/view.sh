#!/usr/bin/env bash
# Seeing the past at scale (jfsbr bench gen's volume shape): a backup of N
# files mounted read-only (the time until `ls` answers, counted from the
# command's start, a full `find | wc -l`, the mount's peak RSS), and diff of
# two N-file states beside one dump of each (the issue's bound: 2x). Beside
# it, what JuiceFS needs before it can show that dump: `juicefs load` into
# SQLite (then a mount). Usage: bench/view.sh [FILES] [JFSBR]
set -euo pipefail
N=${1:-1100000}
J=${2:-$(dirname "$0")/../build/jfsbr}
JFS=$(dirname "$0")/../.tools/juicefs/bin/juicefs
W=$(mktemp -d /tmp/jfsbr-viewbench-XXXXXX)
MNT=$W/mnt
trap 'fusermount3 -u "$MNT" 2>/dev/null || true; rm -rf "$W"' EXIT
source "$(dirname "$0")/measure.sh"
now() { date +%s.%N; }

echo "volume: $N files ($(nproc) cores)"
"$J" bench gen "rocksdb://$W/src" --files "$N" --storage file --bucket "$W/bucket" >/dev/null 2>&1
measure "dump JSON .gz (state A)" "$J" dump "rocksdb://$W/src" "$W/a.json.gz"
measure "backup (A, meta/dump-...json.gz)" "$J" backup "rocksdb://$W/src"
mkdir -p "$MNT"
start=$(now)
"$J" mount "rocksdb://$W/src#backup=latest" "$MNT" 2>"$W/mount.log" &
pid=$!
until [ -n "$(ls "$MNT" 2>/dev/null)" ]; do
  kill -0 "$pid" 2>/dev/null || { cat "$W/mount.log"; exit 1; }
  sleep 0.02
done
printf '%-34s %10.2f s from the command\n' "mount backup: first ls answers" "$(echo "$(now) - $start" | bc)"
t=$(now)
n=$(find "$MNT" | wc -l)
printf '%-34s %10.2f s   %d entries\n' "mount backup: find | wc -l" "$(echo "$(now) - $t" | bc)" "$n"
t=$(now)
n=$(find "$MNT" | wc -l)
printf '%-34s %10.2f s   (kernel caches warm)\n' "mount backup: find again" "$(echo "$(now) - $t" | bc)"
rss=$(awk '/VmHWM/ {print int($2/1024)}' "/proc/$pid/status")
fusermount3 -u "$MNT"
wait "$pid"
printf '%-34s %10d MiB peak RSS   %s\n' "mount backup: the mount process" "$rss" "$(tail -1 "$W/mount.log")"

# State B: a directory of the tree removed, new ones made.
first=$("$J" ls "rocksdb://$W/src" / 2>/dev/null | awk '$NF != "" {print $NF}' | head -1)
"$J" rm -r "rocksdb://$W/src" "/$first" >/dev/null 2>&1
for i in 1 2 3; do "$J" mkdir -p "rocksdb://$W/src" "/new$i/sub" >/dev/null 2>&1; done
measure "dump JSON .gz (state B)" "$J" dump "rocksdb://$W/src" "$W/b.json.gz"

measure "diff A B (two dump files)" "$J" diff "$W/a.json.gz" "$W/b.json.gz"
measure "diff backup A, live B" "$J" diff "rocksdb://$W/src#backup=latest" "rocksdb://$W/src"
if [ -x "$JFS" ]; then
  measure "juicefs load A into SQLite" "$JFS" load "sqlite3://$W/jfs.db" "$W/a.json.gz"
fi
