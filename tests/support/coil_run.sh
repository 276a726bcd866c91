# shellcheck shell=bash disable=SC2034 # (coil_run_* are set for the scripts that source this)
# Starting `coil run CONTEXT` from a test script, waiting until it serves,
# and stopping it. Sourced (bash 4.1 or later) by the scripts that test a
# `coil run` server end to end: samples/birthday/remote_test.sh and
# cluster_test.sh, samples/chat/remote_test.sh and named_test.sh,
# samples/naming/run_test.sh and tests/run_drain_test.sh. ctest runs them
# by their path in the source tree, from the build directory; they find
# this file relative to their own path, whatever the working directory:
#
#   source "$(dirname "${BASH_SOURCE[0]}")/../../tests/support/coil_run.sh"
#
# No sleeps: once its exporters listen, `coil run` prints a line
# `OBJECT at URL` for each on its standard output (cli/run.c).
# coil_run_start reads the first of them from a FIFO, with a timeout: when
# it returns, the server takes calls at that URL.
#
# Every process started here is recorded until it is waited for. Call
# coil_run_cleanup from the script's EXIT trap: whatever way the script
# ends (a failed check, a timeout, `set -e`), no `coil run` is left behind.
#
#   trap 'coil_run_cleanup; rm -rf "$tmp"' EXIT
#
# Failures print "FAIL: ..." on standard error and exit 1, as the scripts'
# own fail() does.

# How long coil_run_start waits for the endpoint line, in seconds.
coil_run_timeout=${COIL_RUN_TIMEOUT:-30}

# What the last coil_run_start started: its pid, the fd its standard output
# is read from (held open: it may print more), the fd its standard error is
# read from with -e (else empty), the endpoint line and its URL.
coil_run_pid='' coil_run_fd='' coil_run_err_fd='' coil_run_line='' coil_run_url=''

coil_run_pids=()          # started, not yet waited for
declare -gA coil_run_fds=() # pid -> the fds opened for it

coil_run_fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# coil_run_start [-l LABEL] [-e] PREFIX COIL ARGS...
#   Runs `COIL run ARGS...` in the background (ARGS: the context, then
#   options such as --set NAME=VALUE) with its standard output going to the
#   FIFO PREFIX.out and its standard error to the file PREFIX.err (both
#   replaced if they exist: PREFIX can be started again once stopped).
#   Waits up to $coil_run_timeout seconds for its first line, which must
#   end in " at http://...", and sets coil_run_pid, coil_run_fd,
#   coil_run_line and coil_run_url (see above).
#   -l LABEL  names it in failure messages ("no endpoint line from LABEL");
#             the default is PREFIX's last component.
#   -e        PREFIX.err is a FIFO too, read on coil_run_err_fd: for a test
#             that follows the log line by line (it must then read it, or
#             coil run blocks once the pipe is full).
#   Fails, after killing the process, when no line comes: coil run exited
#   first (the message quotes its standard error) or printed nothing in
#   time; and when the line is not an endpoint line.
coil_run_start() {
    local label='' err_fifo=false
    while (($#)); do
        case $1 in
        -l) label=$2; shift 2 ;;
        -e) err_fifo=true; shift ;;
        *) break ;;
        esac
    done
    local prefix=$1 coil=$2
    shift 2
    label=${label:-${prefix##*/}}
    rm -f "$prefix.out" "$prefix.err"
    mkfifo "$prefix.out"
    if $err_fifo; then mkfifo "$prefix.err"; fi
    "$coil" run "$@" >"$prefix.out" 2>"$prefix.err" &
    coil_run_pid=$!
    coil_run_pids+=("$coil_run_pid")
    # Opening a FIFO waits for its other end: the shell opens coil run's
    # redirections before it runs, standard output first; the same order
    # here. A coil run that fails to start still opens them, then exits:
    # the read below sees the end of its output.
    exec {coil_run_fd}<"$prefix.out"
    coil_run_err_fd=''
    if $err_fifo; then exec {coil_run_err_fd}<"$prefix.err"; fi
    coil_run_fds[$coil_run_pid]="$coil_run_fd $coil_run_err_fd"
    coil_run_line='' coil_run_url=''
    local status=0
    read -r -t "$coil_run_timeout" coil_run_line <&"$coil_run_fd" || status=$?
    if ((status)); then
        local when=''
        ((status > 128)) && when=" in $coil_run_timeout s"   # timed out: still running
        kill -KILL "$coil_run_pid" 2>/dev/null || true
        # With the process gone, its standard error ends: a FIFO too.
        local err
        if $err_fifo; then err=$(cat <&"$coil_run_err_fd"); else err=$(cat "$prefix.err"); fi
        coil_run_wait "$coil_run_pid" 2>/dev/null || true # no "Killed" notice
        coil_run_fail "no endpoint line from $label$when${err:+: $err}"
    fi
    [[ $coil_run_line =~ \ at\ (http://[^ ]+)$ ]] ||
        coil_run_fail "unexpected endpoint line from $label: $coil_run_line"
    coil_run_url=${BASH_REMATCH[1]}
}

# coil_run_wait PID: waits for a process coil_run_start started (after
# a signal the script sent it), closes the fds opened for it and forgets
# it; returns its exit status.
coil_run_wait() {
    local pid=$1 status=0 fd p kept=()
    wait "$pid" || status=$?
    for fd in ${coil_run_fds[$pid]-}; do exec {fd}<&-; done
    unset "coil_run_fds[$pid]"
    for p in "${coil_run_pids[@]}"; do [[ $p == "$pid" ]] || kept+=("$p"); done
    coil_run_pids=("${kept[@]}")
    return "$status"
}

# coil_run_stop PID: SIGTERM (coil run stops cleanly: it unregisters, waits
# for the calls in progress), then coil_run_wait PID: returns its exit
# status, 0 for a clean stop.
#   status=0; coil_run_stop "$pid" || status=$?
coil_run_stop() {
    kill -TERM "$1" || true
    coil_run_wait "$1"
}

# coil_run_cleanup: SIGKILL to every process started here and not waited
# for yet, and waits for them. For the script's EXIT trap.
coil_run_cleanup() {
    local p
    for p in "${coil_run_pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
    for p in "${coil_run_pids[@]}"; do wait "$p" 2>/dev/null || true; done
    coil_run_pids=()
}
