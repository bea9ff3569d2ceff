#!/usr/bin/env bash
# Redis log backup: its RPO (the lag between a write's end and the moment the
# log storage's checkpoint covers it, i.e. it is restorable) under steady
# writes (a mkdir every 100 ms) and bursts (an import of 2,000 files every
# 5 s), the capture's start (the base snapshot) and the restore point's
# replay rate. Usage: bench/redis_pitr.sh [FILES] [SECONDS] [FLUSH]
set -euo pipefail
N=${1:-100000}
SECS=${2:-30}
FLUSH=${3:-1s}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=$ROOT/build
J=$B/jfsbr
W=$(mktemp -d /tmp/jfsbr-redispitr-XXXXXX)
trap 'kill $CAP $POLL 2>/dev/null || true; "$B/jfsbr_fixture" redis stop "$W/redis.txt" >/dev/null 2>&1 || true; rm -rf "$W"' EXIT
CAP= POLL=
line=$("$B/jfsbr_fixture" redis start "$W/redis.txt")
PORT=$(sed -E 's/.*127\.0\.0\.1:([0-9]+).*/\1/' <<<"$line")
URL=redis://127.0.0.1:$PORT/1
ms() { date +%s%3N; }
offset() { redis-cli -p "$PORT" info replication | tr -d '\r' | awk -F: '/^master_repl_offset/ {print $2}'; }

"$J" bench gen "$URL" --files "$N" --bucket "$W/bucket" 2>/dev/null
mkdir -p "$W/tree/t"; for i in $(seq 2000); do echo "$i" > "$W/tree/t/f$i"; done
echo "volume: $N files; $(redis-server --version | cut -d' ' -f1-3); flush interval $FLUSH ($(nproc) cores)"
t0=$(ms)
"$J" log start "$URL" -s "file://$W/log" --flush-interval "$FLUSH" 2>"$W/capture.err" & CAP=$!
while [ ! -f "$W/log/redis/base.info" ]; do sleep 0.05; done
echo "capture start (base snapshot stored): $(( $(ms) - t0 )) ms, $(( $(stat -c %s "$W/log/redis/base.rdb") >> 20 )) MiB"
# The checkpoint as seen every 20 ms: "ms offset".
( while true; do echo "$(ms) $(cut -d' ' -f1 "$W/log/redis/checkpoint" 2>/dev/null || echo 0)"; sleep 0.02; done ) > "$W/seen" & POLL=$!

rpo() {  # $1: file of "write_end_ms offset" -> p50 / p99 / max lag in ms
  awk 'NR==FNR { t[NR]=$1; o[NR]=$2; n=NR; next }
       { for (i = 1; i <= n; i++) if (!(i in lag) && $2 >= o[i] && $1 >= t[i]) lag[i] = $1 - t[i] }
       END { for (i = 1; i <= n; i++) print ((i in lag) ? lag[i] : "never") }' "$1" "$W/seen" \
    | sort -n > "$W/lags"
  if grep -q never "$W/lags"; then echo "a write was never covered"; return; fi
  local m; m=$(wc -l < "$W/lags")
  echo "$m writes: lag p50 $(sed -n "$(( m / 2 + 1 ))p" "$W/lags") ms," \
    "p99 $(sed -n "$(( (m * 99 + 99) / 100 ))p" "$W/lags") ms, max $(tail -1 "$W/lags") ms"
}
: > "$W/steady"
end=$(( $(ms) + SECS * 1000 ))
i=0
while [ "$(ms)" -lt "$end" ]; do
  i=$((i + 1)); "$J" mkdir "$URL" "/steady$i" 2>/dev/null
  echo "$(ms) $(offset)" >> "$W/steady"; sleep 0.1
done
: > "$W/bursts"
end=$(( $(ms) + SECS * 1000 ))
i=0
while [ "$(ms)" -lt "$end" ]; do
  i=$((i + 1)); "$J" import "$W/tree" "$URL" --dest "/" 2>/dev/null || true
  "$J" mkdir "$URL" "/burst$i" 2>/dev/null  # (the import's tree exists after the first)
  echo "$(ms) $(offset)" >> "$W/bursts"; sleep 5
done
sleep 3
echo "steady (a mkdir every 100 ms): $(rpo "$W/steady")"
echo "bursts (2,000-file import every 5 s): $(rpo "$W/bursts")"
kill -TERM $CAP; wait $CAP || true
echo "log: $(ls "$W/log/redis/log" | wc -l) data files, $(( $(du -sb "$W/log/redis/log" | cut -f1) >> 10 )) KiB"
t0=$(ms)
"$J" restore point -s "file://$W/log" --to "redis://127.0.0.1:$PORT/2" 2>"$W/restore.err"
echo "restore point to the checkpoint: $(( $(ms) - t0 )) ms: $(tail -1 "$W/restore.err")"
"$J" dump "redis://127.0.0.1:$PORT/2" 2>/dev/null | cmp -s - <("$J" dump "$URL" 2>/dev/null) \
  && echo "  the restored volume dumps as the live one" || { echo "  the restored volume DIFFERS"; exit 1; }
