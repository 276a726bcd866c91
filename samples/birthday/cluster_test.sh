#!/usr/bin/env bash
# The birthday cluster end to end, as docs/scaling.md tells it: a name
# server, three nodes (`coil run cluster.yaml` on free ports) registered
# under `birthday`, and the unchanged client on cluster-client.yaml singing
# through them; one node SIGKILLed, the client still sings; the others stop
# cleanly and unregister, and the client then says no node is registered.
# Usage: cluster_test.sh COIL CLIENT DIR NAMING_YAML
set -euo pipefail
coil=$1 client=$2 dir=$3 naming_yaml=$4
tmp=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
    rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# start NAME FD CONTEXT --set ...: `coil run` with its stdout on fd FD (held
# open: it may write more); sets $url to its endpoint and $pid.
start() {
    local name=$1 fd=$2; shift 2
    mkfifo "$tmp/$name.out"
    "$coil" run "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
    pid=$!
    pids+=("$pid")
    eval "exec $fd<\"$tmp/$name.out\""
    local line
    read -r -t 30 line <&"$fd" || fail "no endpoint line from $name: $(cat "$tmp/$name.err")"
    [[ $line =~ \ at\ (http://[^ ]+)$ ]] || fail "unexpected endpoint line from $name: $line"
    url=${BASH_REMATCH[1]}
}

start names 3 "$naming_yaml" --set NAMING_LISTEN=127.0.0.1:0
export NAMING_URL=$url
node_pids=()
for i in 1 2 3; do
    start node$i $((3 + i)) "$dir/cluster.yaml" --set NODE_LISTEN=127.0.0.1:0
    node_pids+=("$pid")
    echo "node $i at $url"
done

song=$(VERSES= "$client" "$dir/local.yaml" Greg)
for i in 1 2 3 4; do
    out=$("$client" "$dir/cluster-client.yaml" Greg) || fail "call $i failed"
    [[ $out == "$song" ]] || fail "not the song: $out"
done

kill -KILL "${node_pids[1]}"
wait "${node_pids[1]}" 2>/dev/null || true
for i in 1 2 3 4 5 6; do
    out=$("$client" "$dir/cluster-client.yaml" Greg) || fail "call $i after the kill failed"
    [[ $out == "$song" ]] || fail "not the song after the kill: $out"
done

for p in "${node_pids[0]}" "${node_pids[2]}"; do
    kill -TERM "$p"
    status=0
    wait "$p" || status=$?
    [[ $status == 0 ]] || fail "a node exited $status after SIGTERM"
done
# The killed node's lease has not run out yet (30 s): the client tries it,
# is refused, and reports that every endpoint failed.
if out=$("$client" "$dir/cluster-client.yaml" Greg 2>&1); then
    fail "a client sang with every node stopped: $out"
fi
[[ $out == *COIL_ECONNECT* ]] || fail "not a connect error: $out"
echo "sang through three nodes, and through two after a SIGKILL; stopped nodes unregistered"
