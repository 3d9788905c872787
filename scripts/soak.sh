#!/usr/bin/env bash
# The whole test suite N times in a row (default 20) beside a port churner: another process that
# binds and releases loopback ports as fast as it can, as a busy machine does. Stops at the first
# failure or at a short count (a file whose results did not all arrive). Logs in $SOAK_LOGS.
set -u
cd "$(dirname "$0")/.."
runs=${1:-20}
logs=${SOAK_LOGS:-$(mktemp -d)}
npm run --silent build && npm run --silent build:examples && npm run --silent build:test || exit 1
expected=""
fifo="$logs/churner-stdin"
mkfifo "$fifo"
sleep 100000 > "$fifo" &
holder=$!
node build/test/fixtures/port-churner.js 7200000 1000 < "$fifo" > "$logs/churner.log" 2>&1 &
churner=$!
trap 'kill $churner $holder 2>/dev/null' EXIT
status=0
for i in $(seq 1 "$runs"); do
  start=$(date +%s)
  node --test --test-timeout=300000 --test-reporter=spec build/test/*.test.js build/test/wine/*.test.js > "$logs/run-$i.log" 2>&1
  rc=$?
  tests=$(grep -E '^ℹ tests' "$logs/run-$i.log" | awk '{print $3}')
  fails=$(grep -E '^ℹ fail' "$logs/run-$i.log" | awk '{print $3}')
  echo "run $i: exit $rc, $tests tests, $fails failed, $(( $(date +%s) - start )) s"
  [ -z "$expected" ] && expected=$tests
  if [ "$rc" -ne 0 ] || [ "$tests" != "$expected" ]; then status=1; echo "stopped: see $logs/run-$i.log"; break; fi
done
echo "logs: $logs"
exit $status
