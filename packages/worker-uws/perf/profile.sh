#!/bin/sh
# Profiles one pre uws worker (-w 1) under one bench load: node --cpu-prof is in the arbiter's execArgv,
# which the workers inherit. Profiles land in OUT (one per process); prints the worker's.
#   sh perf/profile.sh hello|body64k|post1m OUT [SECONDS] [APP]
set -eu
scenario=$1 out=$2 seconds=${3:-5}
root=$(cd "$(dirname "$0")/../../.." && pwd)
app=${4:-$root/bench/apps/pre-fetch-app.js}
port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
mkdir -p "$out"
PRE_CMD_ARGS= WEB_CONCURRENCY= node --cpu-prof --cpu-prof-interval 100 --cpu-prof-dir "$out" "$root/packages/core/bin/pre.js" -k uws -w 1 -b "127.0.0.1:$port" "$app" 2>"$out/pre.log" &
pid=$!
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
case $scenario in
  hello) set -- -c64 "http://127.0.0.1:$port/" ;;
  body64k) set -- -c32 "http://127.0.0.1:$port/64k" ;;
  post1m)
    printf 'wrk.method = "POST"\nwrk.body = string.rep("x", %d)\nwrk.headers["Content-Type"] = "application/octet-stream"\n' 1048576 >"$out/post.lua"
    set -- -c8 -s "$out/post.lua" "http://127.0.0.1:$port/upload" ;;
esac
wrk -t1 -d1s "$@" >"$out/warmup.txt" # warm-up (its requests count too: the profile covers both)
wrk -t1 -d"${seconds}s" "$@" | tee "$out/wrk.txt"
kill -TERM $pid
wait $pid || true
echo "requests: $(cat "$out/warmup.txt" "$out/wrk.txt" | sed -n "s/^ *\([0-9]*\) requests in.*/\1/p" | paste -sd+ | bc)"
worker=$(sed -n "s/.*Booting worker with pid: \([0-9]*\).*/\1/p" "$out/pre.log" | head -1)
ls "$out"/CPU.*."$worker".*.cpuprofile
