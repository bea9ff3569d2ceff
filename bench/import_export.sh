#!/usr/bin/env bash
# Times `jfsbr import` and `jfsbr export` (wall time, peak RSS) on two trees:
# /usr/share/doc (many small real files) and 1 GiB in 8 large files, with
# 1 and 4 threads.
# Usage: bench/import_export.sh [JFSBR_BINARY]
set -euo pipefail
J=${1:-$(dirname "$0")/../build/jfsbr}
W=$(mktemp -d /tmp/jfsbr-bench-XXXXXX)
trap 'rm -rf "$W"' EXIT
mkdir "$W/big"
for i in $(seq 1 8); do head -c $((128 << 20)) /dev/urandom > "$W/big/f$i"; done

measure() {  # name, command...
  local name=$1; shift
  /usr/bin/time -f "%e %M" -o "$W/time" "$@" >/dev/null 2>&1
  read -r secs kib < "$W/time"
  printf '%-28s %8.2f s %8d MiB peak RSS\n' "$name" "$secs" $((kib / 1024))
}

for tree in /usr/share/doc "$W/big"; do
  label=$(basename "$tree")
  files=$(find "$tree" -type f | wc -l)
  mib=$(( $(du -sb "$tree" | cut -f1) >> 20 ))
  echo "tree $tree: $files files, $mib MiB"
  for threads in 1 4; do
    rm -rf "$W/meta" "$W/bucket" "$W/out"
    "$J" format "rocksdb://$W/meta" bench --bucket "$W/bucket" >/dev/null
    sync
    measure "import $label -p $threads" "$J" import -p "$threads" "$tree" "rocksdb://$W/meta"
    measure "export $label -p $threads" "$J" export -p "$threads" "rocksdb://$W/meta" "$W/out"
    measure "rerun import $label" "$J" import "$tree" "rocksdb://$W/meta"
  done
done
