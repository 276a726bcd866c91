#!/usr/bin/env bash
# The birthday cluster end to end, as docs/scaling.md tells it: a name
# server, three nodes (`coil run cluster.yaml` on free ports) registered
# under `birthday`, and the unchanged client on cluster-client.yaml singing
# through them; one node SIGKILLed, the client still sings; the others stop
# cleanly and unregister, and the client then says no node is registered.
# Usage: cluster_test.sh COIL CLIENT DIR NAMING_YAML
set -euo pipefail
coil=$1 client=$2 dir=$3 naming_yaml=$4
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

# Each `coil run` writes $tmp/NAME.out (its endpoint line) and NAME.err.
coil_run_start "$tmp/names" "$coil" "$naming_yaml" --set NAMING_LISTEN=127.0.0.1:0
export NAMING_URL=$coil_run_url
node_pids=()
for i in 1 2 3; do
    coil_run_start "$tmp/node$i" "$coil" "$dir/cluster.yaml" --set NODE_LISTEN=127.0.0.1:0
    node_pids+=("$coil_run_pid")
    echo "node $i at $coil_run_url"
done

song=$(VERSES= "$client" "$dir/local.yaml" Greg)
for i in 1 2 3 4; do
    out=$("$client" "$dir/cluster-client.yaml" Greg) || fail "call $i failed"
    [[ $out == "$song" ]] || fail "not the song: $out"
done

kill -KILL "${node_pids[1]}"
coil_run_wait "${node_pids[1]}" 2>/dev/null || true
for i in 1 2 3 4 5 6; do
    out=$("$client" "$dir/cluster-client.yaml" Greg) || fail "call $i after the kill failed"
    [[ $out == "$song" ]] || fail "not the song after the kill: $out"
done

for p in "${node_pids[0]}" "${node_pids[2]}"; do
    status=0
    coil_run_stop "$p" || status=$?
    [[ $status == 0 ]] || fail "a node exited $status after SIGTERM"
done
# The killed node's lease has not run out yet (30 s): the client tries it,
# is refused, and reports that every endpoint failed.
if out=$("$client" "$dir/cluster-client.yaml" Greg 2>&1); then
    fail "a client sang with every node stopped: $out"
fi
[[ $out == *COIL_ECONNECT* ]] || fail "not a connect error: $out"
echo "sang through three nodes, and through two after a SIGKILL; stopped nodes unregistered"
