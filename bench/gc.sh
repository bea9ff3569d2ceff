#!/usr/bin/env bash
# gc and fsck of a volume with about a million block objects: the benchmark
# volume's metadata (bench gen, one 8 KiB slice per file) with every block
# object written into a local bucket, plus leaked objects no slice uses.
# Usage: bench/gc.sh [FILES] [LEAKED]
set -euo pipefail
N=${1:-1000000}
LEAKED=${2:-10000}
B=$(cd "$(dirname "$0")/../build" && pwd)
J=$B/jfsbr
W=$(mktemp -d /tmp/jfsbr-gcbench-XXXXXX)
trap 'rm -rf "$W"' EXIT

source "$(dirname "$0")/measure.sh"

V="rocksdb://$W/meta"
"$J" bench gen "$V" --files "$N" --bucket "$W/bucket" >/dev/null 2>&1
"$J" bench scan "$V" >/dev/null 2>&1  # the one-time compaction of a fresh database
echo "volume: $N files; $(nproc) cores; local bucket on $(df -T "$W" | awk 'NR==2 {print $2}')"
measure "bench objects" "$J" bench objects "$V" --leaked "$LEAKED" -p 4
echo "  bucket: $(du -sh "$W/bucket" | cut -f1)"
measure "gc (report only)" "$J" gc "$V" --skip-newer 0s
grep -h "scanned" "$W/err" | sed 's/^/  /'
measure "gc -p 2 (report only)" "$J" gc "$V" --skip-newer 0s -p 2
measure "gc --delete" "$J" gc "$V" --delete --skip-newer 0s
grep -h "deleted .* leaked" "$W/err" | sed 's/^/  /'
measure "fsck (one listing)" "$J" fsck "$V"
measure "check (metadata only)" "$J" check "$V"
