#!/usr/bin/env bash
# `coil run`, SIGTERM during a call: the call completes with its result,
# then the host exits 0. Only blocking waits, no sleeps:
# - opening the gate FIFO for writing returns once the service opened it
#   for reading, so the call is in progress;
# - the host's "SIGTERM: stopping" line says the signal was taken;
# - the host cannot exit before the call is released.
# Usage: run_drain_test.sh COIL TESTBIN CONTEXT
set -euo pipefail
coil=$1 testbin=$2 context=$3
tmp=$(mktemp -d)
host= caller=
cleanup() {
    for p in $host $caller; do kill -KILL "$p" 2>/dev/null || true; done
    rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

mkfifo "$tmp/out" "$tmp/err" "$tmp/gate"
"$coil" run "$context" --set TESTBIN="$testbin" >"$tmp/out" 2>"$tmp/err" &
host=$!
exec 3<"$tmp/out" 4<"$tmp/err"
read -r -t 30 line <&3 || fail "no endpoint line"
[[ $line == "gatekeeper at http://127.0.0.1:"*/gate ]] || fail "unexpected endpoint line: $line"
url=${line#* at }
echo "host: $line"

# The call, from another process: it waits at the gate.
curl -sS --max-time 60 -H 'Content-Type: application/json' \
     -d "{\"jsonrpc\":\"2.0\",\"method\":\"pass\",\"params\":[\"$tmp/gate\"],\"id\":1}" \
     "$url" >"$tmp/reply" &
caller=$!
exec 5>"$tmp/gate"                    # returns when the service has opened it

kill -TERM "$host"
while read -r -t 30 log <&4; do       # the host's log, up to the stop line
    [[ $log == *"SIGTERM: stopping"* ]] && break
done
[[ ${log:-} == *"SIGTERM: stopping"* ]] || fail "no stopping line"
kill -0 "$host" 2>/dev/null || fail "the host exited with a call in progress"

echo "let it pass" >&5                # release the call
exec 5>&-
wait "$caller" || fail "the call failed: $(cat "$tmp/reply")"
reply=$(cat "$tmp/reply")
[[ $reply == '{"jsonrpc":"2.0","result":"let it pass","id":1}' ||
   $reply == *'"result":"let it pass"'* ]] || fail "unexpected reply: $reply"
status=0
wait "$host" || status=$?
host=
[[ $status == 0 ]] || fail "the host exited $status"
echo "the call completed during shutdown: $reply; the host exited 0"
