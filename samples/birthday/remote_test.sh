#!/usr/bin/env bash
# End to end: `coil run server.yaml` on a free port; the same client binary
# against client.yaml (remote) and local.yaml (in-process) must sing the
# same song; a second server on the same port fails naming the address;
# SIGTERM stops the server cleanly (exit 0).
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
coil_run_start -l "coil run" "$tmp/server" "$coil" "$dir/server.yaml" \
    --set BIRTHDAY_LISTEN=127.0.0.1:0
server=$coil_run_pid line=$coil_run_line
[[ $line =~ ^birthday_service\ at\ (http://127\.0\.0\.1:([0-9]+)/birthday)$ ]] ||
    fail "unexpected endpoint line: $line"
url=${BASH_REMATCH[1]} port=${BASH_REMATCH[2]}
echo "server: $line"

remote=$(BIRTHDAY_URL=$url "$client" "$dir/client.yaml" Greg)
local_song=$(VERSES= "$client" "$dir/local.yaml" Greg)
printf '%s\n' "$remote"
[[ $remote == "$local_song" ]] || fail "remote and local songs differ:
$remote
---
$local_song"
[[ $remote == *"Happy Birthday Dear Greg!"* ]] || fail "not the song: $remote"

# The same port again: an error that names the address, exit 1.
if "$coil" run "$dir/server.yaml" --set BIRTHDAY_LISTEN=127.0.0.1:$port >"$tmp/out2" 2>"$tmp/err2"; then
    fail "a second server on port $port started"
fi
grep -q "cannot listen on 127.0.0.1:$port: Address already in use" "$tmp/err2" ||
    fail "port in use not reported: $(cat "$tmp/err2")"

status=0
coil_run_stop "$server" || status=$?
[[ $status == 0 ]] || fail "coil run exited $status after SIGTERM: $(cat "$tmp/server.err")"
grep -q "SIGTERM: stopping" "$tmp/server.err" || fail "no stopping line: $(cat "$tmp/server.err")"
grep -q "stopped" "$tmp/server.err" || fail "no stopped line: $(cat "$tmp/server.err")"

# With the server gone the proxy fails fast and clearly.
if out=$(BIRTHDAY_URL=$url "$client" "$dir/client.yaml" Greg 2>&1); then
    fail "a call to a stopped server succeeded"
fi
[[ $out == *COIL_ECONNECT* ]] || fail "not a connect error: $out"
echo "remote and local agree; port in use reported; SIGTERM exits 0; a gone server is COIL_ECONNECT"
