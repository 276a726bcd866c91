#!/usr/bin/env bash
# End to end, the Pyro way: a name server (`coil run naming.yaml`), the
# room registered with it (`coil run server-named.yaml` on a free port),
# and two scripted clients that know only the name server's URL
# (client-named.yaml) holding a conversation. Then the room stops: it
# unregisters, and a client is told no room is registered.
# Usage: named_test.sh COIL CLIENT DIR NAMING_YAML
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
naming=$coil_run_url
coil_run_start "$tmp/room" "$coil" "$dir/server-named.yaml" --set NAMING_URL="$naming"
room=$coil_run_url room_pid=$coil_run_pid
echo "name server at $naming; room at $room"
grep -q "chat registered as 'chat'" "$tmp/room.err" || fail "no registration line: $(cat "$tmp/room.err")"

cat >"$tmp/ann.txt" <<'SCRIPT'
wait-members 2
say hello bo
expect bo hello ann
SCRIPT
cat >"$tmp/bo.txt" <<'SCRIPT'
wait-members 1
join
expect ann hello bo
say hello ann
SCRIPT
export NAMING_URL=$naming
"$client" "$dir/client-named.yaml" ann --script "$tmp/ann.txt" >"$tmp/ann.out" 2>"$tmp/ann.err" &
ann=$!
"$client" "$dir/client-named.yaml" bo --script "$tmp/bo.txt" >"$tmp/bo.out" 2>"$tmp/bo.err" &
bo=$!
ann_status=0 bo_status=0
wait "$ann" || ann_status=$?
wait "$bo" || bo_status=$?
echo "--- ann:"; cat "$tmp/ann.out" "$tmp/ann.err"
echo "--- bo:"; cat "$tmp/bo.out" "$tmp/bo.err"
[[ $ann_status == 0 && $bo_status == 0 ]] || fail "the clients exited $ann_status and $bo_status"
[[ $(cat "$tmp/ann.out") == $'[*] ann joined\n[*] bo joined\n[ann] hello bo\n[bo] hello ann' ]] ||
    fail "ann's transcript differs"

# A clean stop unregisters: the next client finds no room.
status=0
coil_run_stop "$room_pid" || status=$?
[[ $status == 0 ]] || fail "the room's coil run exited $status: $(cat "$tmp/room.err")"
printf 'who\n' >"$tmp/who.txt"
if out=$("$client" "$dir/client-named.yaml" cy --script "$tmp/who.txt" 2>&1); then
    fail "a client found a room after it stopped: $out"
fi
[[ $out == *"no endpoint"*chat* ]] || fail "not a 'nothing registered' error: $out"
echo "two clients found the room by name and talked; a stopped room unregistered"
