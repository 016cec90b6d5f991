#!/bin/sh
# CPU µs per 1 MiB POST for each route of perf/post-floor.mjs (wrk -c8 as the bench, SECONDS each, ROUNDS rounds).
# Extra env reaches the server (e.g. GLIBC_TUNABLES).   sh perf/post-floor.sh [SECONDS] [ROUNDS]
set -eu
seconds=${1:-2} rounds=${2:-3}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
printf 'wrk.method = "POST"\nwrk.body = string.rep("x", %d)\nwrk.headers["Content-Type"] = "application/octet-stream"\n' 1048576 >"$tmp/post.lua"
port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
PORT=$port node "$here/post-floor.mjs" >/dev/null & pid=$!
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/cpu" && break; sleep 0.1; done
for round in $(seq "$rounds"); do
  for route in sum reused fresh; do
    c0=$(curl -s "http://127.0.0.1:$port/cpu")
    n=$(wrk -t1 -c8 -d"${seconds}s" -s "$tmp/post.lua" "http://127.0.0.1:$port/$route" | sed -n 's/^ *\([0-9]*\) requests in.*/\1/p')
    c1=$(curl -s "http://127.0.0.1:$port/cpu")
    printf '/%s %s  ' "$route" "$(echo "scale=1; ($c1-$c0)/$n" | bc)"
  done
  echo
done
kill $pid
wait $pid || true
rm -rf "$tmp"
