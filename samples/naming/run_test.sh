#!/usr/bin/env bash
# End to end: `coil run naming.yaml` on a free port with a store; register,
# look up and list with curl; SIGTERM; a second server on the same store
# still has the registration; SIGTERM exits 0.
# Usage: run_test.sh COIL NAMING_YAML    (exits 77, skipped, without curl)
set -euo pipefail
coil=$1 context=$2
command -v curl >/dev/null || { echo "curl not found: skipped"; exit 77; }
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

# Starts the server (its log in $tmp/server.err); sets $server and $url.
start() {
    coil_run_start -l "coil run" "$tmp/server" "$coil" "$context" \
        --set NAMING_LISTEN=127.0.0.1:0 --set NAMING_STORE="$tmp/store.json"
    server=$coil_run_pid line=$coil_run_line
    [[ $line =~ ^naming\ at\ (http://127\.0\.0\.1:[0-9]+/naming)$ ]] ||
        fail "unexpected endpoint line: $line"
    url=${BASH_REMATCH[1]}
    echo "server: $line"
}

stop() {
    local status=0
    coil_run_stop "$server" || status=$?
    [[ $status == 0 ]] || fail "coil run exited $status after SIGTERM: $(cat "$tmp/server.err")"
}

# call METHOD PARAMS: prints the JSON-RPC reply.
call() {
    curl -s --noproxy '*' -H 'Content-Type: application/json' "$url" \
        -d "{\"jsonrpc\": \"2.0\", \"method\": \"$1\", \"params\": $2, \"id\": 1}"
}

expect() {   # expect WHAT REPLY TEXT: the reply contains TEXT
    [[ $2 == *"$3"* ]] || fail "$1: unexpected reply: $2 (expected $3)"
    echo "$1: $2"
}

calc='{"name":"calc","url":"http://127.0.0.1:7001/calc","metadata":{"zone":"a"},"expires_in":'
start
expect register \
    "$(call register '["calc", "http://127.0.0.1:7001/calc", {"zone": "a"}]')" \
    '{"jsonrpc":"2.0","result":30,"id":1}'
expect lookup "$(call lookup '["calc"]')" "\"result\":[$calc"
expect list "$(call list '{"prefix": ""}')" "\"result\":[$calc"
not_found="renew: http://h/ is not registered under 'nobody' (or its lease ended): "
not_found+='register it again'
expect renew "$(call renew '["nobody", "http://h/"]')" \
    "\"error\":{\"code\":18,\"message\":\"$not_found\",\"data\":{\"coil\":\"COIL_ENOTFOUND\"}}"
bad_url="register: parameter 'url' must be an http:// or https:// URL"
expect bad_url "$(call register '["calc", "ftp://h/"]')" \
    "\"error\":{\"code\":10,\"message\":\"$bad_url\""
stop

# Restarted on the same store: the registration is still there.
start
expect lookup_after_restart "$(call lookup '["calc"]')" "\"result\":[$calc"
expect unregister "$(call unregister '["calc", "http://127.0.0.1:7001/calc"]')" '"result":true'
expect lookup_empty "$(call lookup '["calc"]')" '"result":[]'
stop
echo "register, lookup, list, renew, errors; kept across a restart; SIGTERM exits 0"
