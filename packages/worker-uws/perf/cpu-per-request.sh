#!/bin/sh
# CPU µs per request of one pre uws worker (-w 1; /proc/PID/stat, the worker only, not the arbiter) and of
# the arbiter, under the bench loads, ROUNDS rounds of SECONDS each.
#   sh perf/cpu-per-request.sh [SECONDS] [ROUNDS] [SCENARIOS] [APP]    (extra env reaches pre and its workers;
#   WORKER_CLASS=path/to/dist/index.js:default measures another build of this class, for an A/B;
#   PRE_ARGS='--log-level debug' adds arguments to pre's command line)
set -eu
seconds=${1:-2} rounds=${2:-2} scenarios=${3:-hello body64k post1m}
root=$(cd "$(dirname "$0")/../../.." && pwd)
app=${4:-$root/bench/apps/pre-fetch-app.js}
out=$(mktemp -d)
port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
PRE_CMD_ARGS=${PRE_ARGS:-} WEB_CONCURRENCY= node "$root/packages/core/bin/pre.js" -k "${WORKER_CLASS:-uws}" -w 1 -b "127.0.0.1:$port" "$app" 2>"$out/pre.log" &
pid=$!
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
worker=$(sed -n "s/.*Booting worker with pid: \([0-9]*\).*/\1/p" "$out/pre.log" | head -1)
printf 'wrk.method = "POST"\nwrk.body = string.rep("x", %d)\nwrk.headers["Content-Type"] = "application/octet-stream"\n' 1048576 >"$out/post.lua"
ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; } # after the comm field, which may hold spaces (process.title)
hz=$(getconf CLK_TCK)
echo "arbiter $pid, worker $worker, $(ticks "$worker") ticks"
for round in $(seq "$rounds"); do
  for scenario in $scenarios; do
    case $scenario in
      hello) set -- -c64 "http://127.0.0.1:$port/" ;;
      body64k) set -- -c32 "http://127.0.0.1:$port/64k" ;;
      post1m) set -- -c8 -s "$out/post.lua" "http://127.0.0.1:$port/upload" ;;
    esac
    w0=$(ticks "$worker") a0=$(ticks "$pid")
    n=$(wrk -t1 -d"${seconds}s" "$@" | sed -n 's/^ *\([0-9]*\) requests in.*/\1/p')
    w1=$(ticks "$worker") a1=$(ticks "$pid")
    echo "$scenario: $n requests, worker $(echo "scale=2; ($w1-$w0)*1000000/$hz/$n" | bc) µs/req, arbiter $(echo "scale=2; ($a1-$a0)*1000000/$hz/$n" | bc) µs/req"
  done
done
kill -TERM $pid
wait $pid || true
rm -rf "$out"
