# Sourced by the bench scripts. measure NAME COMMAND...: runs the command
# under /usr/bin/time -v (output discarded; $W is the script's work dir) and
# prints its wall time, peak RSS and the last line it wrote to stderr; returns
# non-zero (after printing its stderr) when the command fails.
measure() {
  local name=$1; shift
  /usr/bin/time -v -o "$W/time" "$@" 2>"$W/err" >/dev/null || { cat "$W/err" >&2; return 1; }
  local wall rss
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$W/time")
  rss=$(awk -F': ' '/Maximum resident set size/ {print int($2/1024)}' "$W/time")
  printf '%-34s %10s wall %6d MiB peak RSS   %s\n' "$name" "$wall" "$rss" "$(tail -1 "$W/err")"
}
