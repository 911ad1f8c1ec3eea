#!/usr/bin/env bash
# What the lab tests (tests/e2e/test_*.sh that run the real fast path and
# slow path inside scripts/lab.sh's ep-lb) share: counting, the checks
# before anything starts, clean-up, the lab, both processes and the API.
#
# A test sets NAME (its file name without .sh) and PREFIX (its DPDK
# --file-prefix), sources this file, then calls e2e_init. It may define
# e2e_extra_cleanup() (stop its own helpers; called first on exit) and
# append commands it needs to E2E_NEEDS. It ends with finish.
# shellcheck disable=SC2034 # the variables set here are the test's

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LAB=$ROOT/scripts/lab.sh
FP_BIN=${EDGEPATH_FASTPATH:-$ROOT/build/fastpath/edgepath-fastpath}
SP_BIN=${EDGEPATH_SLOWPATH:-$ROOT/build/slowpath/edgepath-slowpath}
LAB_TIMEOUT=120
START=$SECONDS
E2E_NEEDS=${E2E_NEEDS:-curl python3 timeout}

# stop_pid PID [SECONDS [SIGNAL]] and pid_alive PID
# shellcheck source=scripts/lib/procs.sh
. "$ROOT/scripts/lib/procs.sh"
# exc_tap_addr NS TAP TENTHS ADDR/LEN...
# shellcheck source=scripts/lib/exc_net.sh
. "$ROOT/scripts/lib/exc_net.sh"

passed=0
failed=0
ok()   { passed=$((passed + 1)); printf 'ok   %s\n' "$*"; }
fail() { failed=$((failed + 1)); printf 'FAIL %s\n' "$*"; }
expect() {  # expect "description" CONDITION-STATUS [detail]
    if [[ $2 == 0 ]]; then ok "$1${3:+ ($3)}"; else fail "$1${3:+ ($3)}"; fi
}
refuse_start() { echo "$NAME.sh: $*" >&2; echo "0 passed, 1 failed"; exit 1; }

# e2e_init: the checks before anything starts, the scratch folder, traps.
e2e_init() {
    local f c
    [[ $(id -u) -eq 0 ]] || refuse_start "must run as root"
    for f in "$LAB" "$FP_BIN" "$SP_BIN"; do
        [[ -x $f ]] || refuse_start "missing $f"
    done
    for c in $E2E_NEEDS; do
        command -v "$c" >/dev/null || refuse_start "missing $c (scripts/setup.sh)"
    done
    if pgrep -f -- "--file-prefix=$PREFIX" >/dev/null; then
        refuse_start "processes with --file-prefix=$PREFIX are running"
    fi
    TMP=$(mktemp -d "/tmp/$NAME.XXXXXX")
    LOG=$TMP/test.log
    CFG=$TMP/config.json
    API=$TMP/api.sock
    FP_PID=
    SP_PID=
    CPU=$(($(nproc) - 1))
    CLEANED=0
    trap 'cleanup' EXIT
    trap 'cleanup; exit 1' INT TERM
    echo "$NAME.sh: logs in $TMP"
}

cleanup() {
    local left
    ((CLEANED)) && return 0
    CLEANED=1
    trap - EXIT INT TERM
    if declare -F e2e_extra_cleanup >/dev/null; then e2e_extra_cleanup; fi
    stop_pid "$SP_PID" 5 TERM
    stop_pid "$FP_PID" 5 INT
    timeout "$LAB_TIMEOUT" "$LAB" down >>"$LOG" 2>&1 || true
    left=$(pgrep -f -- "--file-prefix=$PREFIX" || true)
    # shellcheck disable=SC2086 # a list of PIDs of this test's prefix
    [[ -z $left ]] || kill -KILL $left 2>/dev/null || true
    rm -f /dev/hugepages/"$PREFIX"* 2>/dev/null
    rm -rf "/var/run/dpdk/$PREFIX"
    expect "cleanup: no edgepath process with prefix $PREFIX left" \
        "$([[ -z $left ]] && echo 0 || echo 1)"
}

finish() {
    cleanup
    echo "runtime: $((SECONDS - START)) s"
    if ((failed > 0)); then echo "logs kept in $TMP"; else rm -rf "$TMP"; fi
    echo "$passed passed, $failed failed"
    ((failed == 0))
    exit
}

now_ms() { local t=${EPOCHREALTIME/./}; echo $((t / 1000)); }
api() { curl -s --max-time 2 --unix-socket "$API" "http://edgepath$1"; }

# has GREP-ARGS... -- COMMAND...: grep -q over the whole output of COMMAND.
# Under pipefail `COMMAND | grep -q` fails at random: grep exits at the
# first match and a COMMAND still writing (curl of /metrics) dies of SIGPIPE.
has() {
    local -a g=()
    local out
    while (($# > 0)) && [[ $1 != -- ]]; do g+=("$1"); shift; done
    shift
    out=$("$@") || return 1
    grep -q "${g[@]}" <<<"$out"
}

# e2e_lab_up: scripts/lab.sh up, or the test ends here.
e2e_lab_up() {
    if ! timeout "$LAB_TIMEOUT" "$LAB" up >>"$LOG" 2>&1; then
        fail "lab up (see $LOG)"; finish
    fi
    ok "lab up"
}

# e2e_exception_tap ADDR/LEN...: before e2e_start_lb, the node's slow
# path gets its network through the exception path: the fast path runs
# with --exception-tap (the lab's LAB_LB_TAP) and the tap holds these
# addresses before the slow path starts, so the slow path's sockets
# (health probes, listeners on a node address) go through the fast path
# and ep-lb's eth0 (docs/fastpath.md "Exception path").
E2E_EXC_ADDRS=()
E2E_FP_ARGS=()                    # more fast-path options, set by a test
e2e_exception_tap() { E2E_EXC_ADDRS=("$@"); }

# e2e_lab_tap: the name the lab gives the fast path's exception tap.
e2e_lab_tap() { sed -n 's/^LAB_LB_TAP=//p' /run/edgepath-lab/env 2>/dev/null; }

# e2e_start_lb [SLOWPATH-OPTION...]: the fast path on ep-lb's eth0
# (net_af_packet, both lcores on the last CPU, idle back-off; with
# E2E_FP_ARGS and the exception tap of e2e_exception_tap) and the slow
# path with $CFG; checks that the API answers ready.
e2e_start_lb() {
    local i tap exc=()
    if ((${#E2E_EXC_ADDRS[@]} > 0)); then
        tap=$(e2e_lab_tap)
        exc=(--exception-tap "${tap:-eptap0}")
    fi
    ip netns exec ep-lb "$FP_BIN" --lcores="0@$CPU,1@$CPU" --no-pci \
        --file-prefix="$PREFIX" --log-level=user1,info \
        --vdev="net_af_packet0,iface=eth0" -- \
        --stats-interval 0 --idle-sleep-us 100 --ct-entries 65536 \
        "${exc[@]}" "${E2E_FP_ARGS[@]}" >>"$TMP/fastpath.log" 2>&1 &
    FP_PID=$!
    if ((${#exc[@]} > 0)); then
        exc_tap_addr ep-lb "${exc[1]}" 150 "${E2E_EXC_ADDRS[@]}"
        expect "exception tap ${exc[1]} in ep-lb up, holding ${E2E_EXC_ADDRS[*]}" $?
    fi
    ip netns exec ep-lb "$SP_BIN" --proc-type=secondary --no-pci \
        --file-prefix="$PREFIX" -l 0 --log-level=error -- --config "$CFG" \
        --status-interval 0 "$@" >>"$TMP/slowpath.log" 2>&1 &
    SP_PID=$!
    for ((i = 0; i < 150; i++)); do
        [[ -S $API ]] && [[ $(api /readyz) == *\"ready\"* ]] && break
        sleep 0.1
    done
    [[ $(api /readyz) == *\"ready\"* ]]
    expect "fast path and slow path up, API ready" $?
}

# stats_get PATH...: a member of GET /v1/stats; a path element "svc=NAME"
# picks a service, "be=ID" a backend; empty when absent.
# (stats_get counters ct_inserts; stats_get svc=web-nat be=10.99.0.11:80 new_flows)
stats_get() {
    api /v1/stats | python3 -c '
import json, sys
try:
    v = json.load(sys.stdin)
    for p in sys.argv[1:]:
        if p.startswith("svc="):
            v = [s for s in v["services"] if s["name"] == p[4:]][0]
        elif p.startswith("be="):
            v = [b for b in v["backends"] if b["id"] == p[3:]][0]
        else:
            v = v[p]
    print(v)
except Exception:
    print("")' "$@"
}

# wrk_ok FILE: 0 when wrk ran, answered > 0 requests/s and saw no error.
wrk_ok() {
    local rps errs
    rps=$(awk '/^Requests\/sec:/ {print $2}' "$1")
    errs=$(sed -n 's/.*Socket errors: //p' "$1")
    echo "wrk: ${rps:-none} req/s${errs:+, socket errors: $errs}"
    [[ -n $rps ]] && awk -v r="$rps" 'BEGIN {exit !(r > 0)}' || return 1
    [[ -z $errs ]] || return 1
    ! grep -q 'Non-2xx' "$1"
}

nginx_stop() {  # nginx_stop NS: stop a lab backend's nginx
    local pid t=50
    pid=$(cat "/run/edgepath-lab/$1/nginx.pid" 2>/dev/null) || return 1
    kill -TERM "$pid" && while pid_alive "$pid" && ((t-- > 0)); do sleep 0.1; done
    ! pid_alive "$pid"
}
nginx_start() {  # nginx_start NS
    local d=/run/edgepath-lab/$1
    ip netns exec "$1" /usr/sbin/nginx -p "$d/" -e "$d/error.log" -c "$d/nginx.conf"
}
