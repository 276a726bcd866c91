#!/usr/bin/env bash
# End to end: `coil run server.yaml` on a free port; the same client binary
# against client.yaml (remote) and local.yaml (in-process) must sing the
# same song; a second server on the same port fails naming the address;
# SIGTERM stops the server cleanly (exit 0).
# Usage: remote_test.sh COIL CLIENT DIR   (DIR: where the yaml files and the module are)
set -euo pipefail
coil=$1 client=$2 dir=$3
tmp=$(mktemp -d)
server=
cleanup() {
    if [[ -n $server ]] && kill -0 "$server" 2>/dev/null; then
        kill -KILL "$server" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

mkfifo "$tmp/out"
"$coil" run "$dir/server.yaml" --set BIRTHDAY_LISTEN=127.0.0.1:0 >"$tmp/out" 2>"$tmp/err" &
server=$!
exec 3<"$tmp/out"                       # held open: the server may write more
read -r -t 30 line <&3 || fail "no endpoint line from coil run: $(cat "$tmp/err")"
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

kill -TERM "$server"
status=0
wait "$server" || status=$?
server=
[[ $status == 0 ]] || fail "coil run exited $status after SIGTERM: $(cat "$tmp/err")"
grep -q "SIGTERM: stopping" "$tmp/err" || fail "no stopping line: $(cat "$tmp/err")"
grep -q "stopped" "$tmp/err" || fail "no stopped line: $(cat "$tmp/err")"

# With the server gone the proxy fails fast and clearly.
if out=$(BIRTHDAY_URL=$url "$client" "$dir/client.yaml" Greg 2>&1); then
    fail "a call to a stopped server succeeded"
fi
[[ $out == *COIL_ECONNECT* ]] || fail "not a connect error: $out"
echo "remote and local agree; port in use reported; SIGTERM exits 0; a gone server is COIL_ECONNECT"
