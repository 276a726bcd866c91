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
# coil_run_start, coil_run_wait, coil_run_cleanup: tests/support/coil_run.sh.
# shellcheck source=SCRIPTDIR/support/coil_run.sh
source "$(dirname "${BASH_SOURCE[0]}")/support/coil_run.sh"
tmp=$(mktemp -d)
caller=
cleanup() {
    coil_run_cleanup
    for p in $caller; do kill -KILL "$p" 2>/dev/null || true; done
    rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

mkfifo "$tmp/gate"
# The host's log is a FIFO too, read line by line on fd $log_fd.
coil_run_start -l "coil run" -e "$tmp/host" "$coil" "$context" --set TESTBIN="$testbin"
host=$coil_run_pid line=$coil_run_line log_fd=$coil_run_err_fd
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
while read -r -t 30 log <&"$log_fd"; do # the host's log, up to the stop line
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
coil_run_wait "$host" || status=$?
[[ $status == 0 ]] || fail "the host exited $status"
echo "the call completed during shutdown: $reply; the host exited 0"
