#!/usr/bin/env bash
# gc --compact of a fragmented volume: jfsbr beside the real juicefs on
# SQLite, each on its own copy of the same volume (bench gen --slices: every
# file written in SLICES appends, one object each, all in a local bucket).
# Both must leave one slice a file, every block present, check clean.
# Usage: bench/compact.sh [FILES] [SLICES]
set -euo pipefail
N=${1:-250000}
S=${2:-4}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
J=$ROOT/build/jfsbr
JFS=$ROOT/.tools/juicefs/bin/juicefs
W=$(mktemp -d /tmp/jfsbr-compactbench-XXXXXX)
trap 'rm -rf "$W"' EXIT

source "$(dirname "$0")/measure.sh"

objects() { find "$W/$1/bench/chunks" -type f | wc -l; }

echo "volume: $N files in $S slices each; $("$JFS" version); $(nproc) cores;" \
  "local bucket on $(df -T "$W" | awk 'NR==2 {print $2}')"
for t in j g; do
  "$J" bench gen "sqlite3://$W/$t.db" --files "$N" --slices "$S" --bucket "$W/$t" 2>/dev/null
  measure "bench objects ($t)" "$J" bench objects "sqlite3://$W/$t.db" -p 4
done
echo "  objects before: $(objects j) and $(objects g)"
measure "jfsbr gc --compact" "$J" gc --compact "sqlite3://$W/j.db"
grep -h "compacted" "$W/err" | sed 's/^/  /'
measure "juicefs gc --compact" "$JFS" gc --compact "sqlite3://$W/g.db"
echo "  objects after: jfsbr $(objects j), juicefs $(objects g)"
for t in j g; do
  measure "jfsbr fsck ($t)" "$J" fsck "sqlite3://$W/$t.db"
  "$J" gc --compact "sqlite3://$W/$t.db" 2>&1 | grep -q "compacted 0 chunks" \
    || { echo "  $t: chunks still fragmented"; exit 1; }
done
echo "  both volumes: every chunk one slice, every block present"
