#!/bin/sh
# Worker CPU µs per request (/proc/PID/stat) for hello and 64 KiB, side by side: raw uWebSockets.js
# (bench/peers/uws.js), the minimal fetch adapter (perf/minimal-adapter.mjs) and a pre uws worker.
#   sh perf/compare-hello.sh [SECONDS] [ROUNDS]
set -eu
seconds=${1:-2} rounds=${2:-2}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }
hz=$(getconf CLK_TCK)
freeport() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
run() { # label pid port
  for path in / /64k; do
    c=64; [ "$path" = /64k ] && c=32
    t0=$(ticks "$2")
    n=$(wrk -t1 -c$c -d"${seconds}s" "http://127.0.0.1:$3$path" | sed -n 's/^ *\([0-9]*\) requests in.*/\1/p')
    t1=$(ticks "$2")
    printf '%-18s %-5s %8s req  %6s µs/req\n' "$1" "$path" "$n" "$(echo "scale=2; ($t1-$t0)*1000000/$hz/$n" | bc)"
  done
}
wait_up() { for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$1/" && return; sleep 0.1; done; }
for round in $(seq "$rounds"); do
  p=$(freeport); PORT=$p node "$root/bench/peers/uws.js" >/dev/null & pid=$!; wait_up "$p"; run raw-uws $pid "$p"; kill $pid; wait $pid || true
  p=$(freeport); PORT=$p node "$here/minimal-adapter.mjs" >/dev/null & pid=$!; wait_up "$p"; run minimal-adapter $pid "$p"; kill $pid; wait $pid || true
  p=$(freeport); log=$(mktemp)
  PRE_CMD_ARGS= WEB_CONCURRENCY= node "$root/packages/core/bin/pre.js" -k uws -w 1 -b "127.0.0.1:$p" "$root/bench/apps/pre-fetch-app.js" 2>"$log" & pid=$!
  wait_up "$p"; worker=$(sed -n "s/.*Booting worker with pid: \([0-9]*\).*/\1/p" "$log" | head -1)
  run pre-uws-worker "$worker" "$p"; kill -TERM $pid; wait $pid || true; rm -f "$log"
done
