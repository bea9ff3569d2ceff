#!/usr/bin/env bash
# The main job as it stands: a JuiceFS-format volume on embedded RocksDB and a
# local bucket; /usr/share/doc imported, exported back and compared.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh
J=$PWD/build/jfsbr
W=$(mktemp -d /tmp/jfsbr-demo-XXXXXX)
META=rocksdb://$W/meta
trap '"$PWD/build/jfsbr_fixture" etcd stop "$W/etcd.txt" >/dev/null 2>&1 || true' EXIT
set -x
"$J" format "$META" myjfs --storage file --bucket "$W/bucket"
"$J" import /usr/share/doc "$META"
"$J" export "$META" "$W/export"
diff -r --no-dereference /usr/share/doc "$W/export"
F=$(cd /usr/share/doc && find . -type f -size +4M | sort | head -1)
"$J" info "$META" "/${F#./}"
"$J" status "$META"
"$J" dump "$META" "$W/dump.json.gz"                  # JuiceFS's JSON format, one snapshot
"$J" load "rocksdb://$W/copy" "$W/dump.json.gz"      # into a new, empty engine
"$J" check "rocksdb://$W/copy"                        # links, usage, counters, refs
"$J" dump "rocksdb://$W/copy" | cmp - <(gzip -dc "$W/dump.json.gz")
# A 3-member etcd cluster on free loopback ports (etcd-server), then the volume moved onto it.
build/jfsbr_fixture etcd start "$W/etcd.txt" 3
EP=$(sed -n '2,$p' "$W/etcd.txt" | awk '{printf "%s127.0.0.1:%s", (NR>1?",":""), $2}')
"$J" dump "$META" | "$J" load "etcd://$EP/myjfs"
"$J" check "etcd://$EP/myjfs"
"$J" status "etcd://$EP/myjfs"
"$J" dump "etcd://$EP/myjfs" | cmp - <("$J" dump "$META")
"$J" export "etcd://$EP/myjfs" "$W/export-etcd"       # the blocks, through etcd's metadata
diff -r --no-dereference /usr/share/doc "$W/export-etcd"
set +x
echo "OK: /usr/share/doc and its exports (RocksDB and etcd) are identical; dump -> load -> dump is byte-identical (in $W)"
