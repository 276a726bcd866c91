#!/usr/bin/env bash
# End to end: `coil run server.yaml` on a free port; two scripted clients on
# client.yaml, run at the same time, hold a conversation in which each waits
# for the other (no sleeps: every step waits for a message or a member), and
# each prints the same conversation every run; an interactive client talks
# with a scripted one; SIGTERM stops the server
# cleanly (exit 0); with the server gone, a client fails with COIL_ECONNECT.
# Usage: remote_test.sh COIL CLIENT DIR   (DIR: where the yaml files and the module are)
set -euo pipefail
coil=$1 client=$2 dir=$3
# coil_run_start, coil_run_stop, coil_run_cleanup: tests/support/coil_run.sh.
# shellcheck source=SCRIPTDIR/../../tests/support/coil_run.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../tests/support/coil_run.sh"
tmp=$(mktemp -d)
cleanup() {
    coil_run_cleanup
    rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# The server's endpoint line, and its log in $tmp/server.err.
coil_run_start -l "coil run" "$tmp/server" "$coil" "$dir/server.yaml" --set PORT=0
server=$coil_run_pid line=$coil_run_line
[[ $line =~ ^chat\ at\ http://127\.0\.0\.1:([0-9]+)/chat$ ]] ||
    fail "unexpected endpoint line: $line"
port=${BASH_REMATCH[1]}
echo "server: $line"

# ann joins first (no join line: at the start) and waits for bo; bo waits
# until ann is in before joining, so the room's order is fixed.
cat >"$tmp/ann.txt" <<'SCRIPT'
wait-members 2
say hello bo
expect bo hello ann
who
say bye
expect bo bye
SCRIPT
cat >"$tmp/bo.txt" <<'SCRIPT'
wait-members 1
join
expect ann hello bo
say hello ann
expect ann bye
say bye
expect bo bye
SCRIPT

PORT=$port "$client" "$dir/client.yaml" ann --script "$tmp/ann.txt" >"$tmp/ann.out" 2>"$tmp/ann.err" &
ann=$!
PORT=$port "$client" "$dir/client.yaml" bo --script "$tmp/bo.txt" >"$tmp/bo.out" 2>"$tmp/bo.err" &
bo=$!
ann_status=0 bo_status=0
wait "$ann" || ann_status=$?
wait "$bo" || bo_status=$?
echo "--- ann:"; cat "$tmp/ann.out" "$tmp/ann.err"
echo "--- bo:"; cat "$tmp/bo.out" "$tmp/bo.err"
[[ $ann_status == 0 ]] || fail "ann's client exited $ann_status"
[[ $bo_status == 0 ]] || fail "bo's client exited $bo_status"
[[ ! -s $tmp/ann.err && ! -s $tmp/bo.err ]] || fail "the clients wrote errors"

expected_ann='[*] ann joined
[*] bo joined
[ann] hello bo
[bo] hello ann
members: ann, bo
[ann] bye
[bo] bye'
expected_bo='[*] bo joined
[ann] hello bo
[bo] hello ann
[ann] bye
[bo] bye'
[[ $(cat "$tmp/ann.out") == "$expected_ann" ]] || fail "ann's transcript differs; expected:
$expected_ann"
[[ $(cat "$tmp/bo.out") == "$expected_bo" ]] || fail "bo's transcript differs; expected:
$expected_bo"

# Both left at the end of their scripts: the room is empty again.
printf 'who\n' >"$tmp/who.txt"
out=$(PORT=$port "$client" "$dir/client.yaml" cy --script "$tmp/who.txt")
[[ $out == 'members: cy' ]] || fail "after the conversation: $out"

# Interactive mode: ann types, bo runs a script. The test reads ann's output
# line by line and types only after what it waits for has been printed.
mkfifo "$tmp/ann.in" "$tmp/ann.log"
PORT=$port "$client" "$dir/client.yaml" ann <"$tmp/ann.in" >"$tmp/ann.log" 2>"$tmp/ann.err" &
ann=$!
exec 4>"$tmp/ann.in" 5<"$tmp/ann.log"
expect_line() {   # the next line ann prints must be $1
    local got
    read -r -t 10 got <&5 || fail "ann printed nothing; waited for: $1 ($(cat "$tmp/ann.err"))"
    [[ $got == "$1" ]] || fail "ann printed '$got', expected '$1'"
}
expect_line '[*] ann joined'
printf 'say hi ann\nexpect ann hello bo\n' >"$tmp/bo.txt"
PORT=$port "$client" "$dir/client.yaml" bo --script "$tmp/bo.txt" >"$tmp/bo.out" 2>"$tmp/bo.err" &
bo=$!
expect_line '[*] bo joined'
expect_line '[bo] hi ann'
echo 'hello bo' >&4
bo_status=0
wait "$bo" || bo_status=$?
[[ $bo_status == 0 ]] || fail "bo's script exited $bo_status: $(cat "$tmp/bo.err")"
[[ $(cat "$tmp/bo.out") == $'[*] bo joined\n[bo] hi ann\n[ann] hello bo' ]] ||
    fail "bo's transcript: $(cat "$tmp/bo.out")"
expect_line '[*] bo left'       # ann's own line was not printed back to it
echo '/who' >&4
expect_line 'members: ann'
echo '/quit' >&4
ann_status=0
wait "$ann" || ann_status=$?
[[ $ann_status == 0 ]] || fail "ann's client exited $ann_status: $(cat "$tmp/ann.err")"
rest=$(cat <&5)
[[ -z $rest ]] || fail "ann printed more after /quit: $rest"
exec 4>&- 5<&-
echo "interactive: ann saw bo's line, bo saw ann's, /who and /quit work"

status=0
coil_run_stop "$server" || status=$?
[[ $status == 0 ]] || fail "coil run exited $status after SIGTERM: $(cat "$tmp/server.err")"
grep -q "SIGTERM: stopping" "$tmp/server.err" || fail "no stopping line: $(cat "$tmp/server.err")"
grep -q "stopped" "$tmp/server.err" || fail "no stopped line: $(cat "$tmp/server.err")"
! grep -q "Sanitizer\|runtime error" "$tmp/server.err" || fail "the server's sanitizer report: $(cat "$tmp/server.err")"

# With the server gone the proxy fails fast and clearly.
if out=$(PORT=$port "$client" "$dir/client.yaml" ann --script "$tmp/who.txt" 2>&1); then
    fail "a call to a stopped server succeeded"
fi
[[ $out == *COIL_ECONNECT* ]] || fail "not a connect error: $out"
echo "two scripted clients talked over HTTP; SIGTERM exits 0; a gone server is COIL_ECONNECT"
