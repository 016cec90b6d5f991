#!/bin/sh
# CPU µs per request of each route of perf/adapter-steps.mjs (wrk -c64, SECONDS each, ROUNDS rounds).
#   sh perf/adapter-steps.sh [SECONDS] [ROUNDS]
set -eu
seconds=${1:-2} rounds=${2:-3}
here=$(cd "$(dirname "$0")" && pwd)
port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
PORT=$port node "$here/adapter-steps.mjs" >/dev/null & pid=$!
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/a" && break; sleep 0.1; done
for round in $(seq "$rounds"); do
  for route in a b c d f e; do
    c0=$(curl -s "http://127.0.0.1:$port/cpu")
    n=$(wrk -t1 -c64 -d"${seconds}s" "http://127.0.0.1:$port/$route" | sed -n 's/^ *\([0-9]*\) requests in.*/\1/p')
    c1=$(curl -s "http://127.0.0.1:$port/cpu")
    printf '/%s %s  ' "$route" "$(echo "scale=2; ($c1-$c0)/$n" | bc)"
  done
  echo
done
kill $pid
wait $pid || true
