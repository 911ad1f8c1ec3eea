#!/usr/bin/env bash
# End-to-end test of the exception path (fastpath/exception.c) in its own
# two namespaces (exc-cli, exc-lb, a veth between them; not the lab's):
# the real fast path on exc-lb's veth (net_af_packet) with
# --exception-tap exctap0, the kernel's tap holding the node address
# 10.77.0.1/24, and the kernel kept off the veth itself (no ARP, no IPv6,
# nft drops its input), so everything the node's kernel gets came through
# the fast path. From exc-cli:
#   - ping answers; an HTTP server on the tap's address answers curl (a
#     small file and 1 MiB, checked by digest); the same over IPv6
#     (fd77::1 on the tap: ND punted to the kernel, its advert sent out);
#   - the slow path's API, a TLS listener on the node address, answers;
#   - during an hping3 --flood of SYNs to the API's port from another
#     source, the API still answers (answers counted) and the per-source
#     rate-limit drops rise;
#   - with the slow path killed, ping and HTTP still answer (the path is
#     the fast path's alone), and the restarted slow path's API answers.
# Needs root, hping3, nft, python3, openssl. Last line: "N passed, N failed".
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
FP_BIN=${EDGEPATH_FASTPATH:-$ROOT/build/fastpath/edgepath-fastpath}
SP_BIN=${EDGEPATH_SLOWPATH:-$ROOT/build/slowpath/edgepath-slowpath}
PREFIX=ep-e2e-exc                 # DPDK --file-prefix, unique to this test
CLI_NS=exc-cli
LB_NS=exc-lb
CLI_IF=excc0
LB_IF=excl0
TAP=exctap0
NODE=10.77.0.1
CLIENT=10.77.0.2
NODE6=fd77::1                     # on the tap too: ND and ICMPv6 punted
CLIENT6=fd77::2
FLOODER=10.77.0.3                 # hping3's (spoofed) source
HTTP_PORT=8080
API_PORT=8443
FLOOD_S=6
N_API=10                          # API requests during the flood
START=$(date +%s)

passed=0
failed=0
say()  { printf '# %s\n' "$*"; }
ok()   { passed=$((passed + 1)); printf 'ok   %s\n' "$*"; }
fail() { failed=$((failed + 1)); printf 'FAIL %s\n' "$*"; }
expect() {  # expect "description" CONDITION-STATUS [detail]
    if [[ $2 == 0 ]]; then ok "$1${3:+ ($3)}"; else fail "$1${3:+ ($3)}"; fi
}

if [[ $(id -u) -ne 0 ]]; then
    echo "test_exception.sh: must run as root" >&2
    echo "0 passed, 1 failed"; exit 1
fi
for f in "$FP_BIN" "$SP_BIN"; do
    [[ -x $f ]] || { echo "test_exception.sh: missing $f" >&2; echo "0 passed, 1 failed"; exit 1; }
done
for c in hping3 nft curl python3 openssl ping ethtool timeout; do
    command -v "$c" >/dev/null || { echo "test_exception.sh: missing $c (scripts/setup.sh)" >&2; echo "0 passed, 1 failed"; exit 1; }
done
if pgrep -f -- "--file-prefix=$PREFIX" >/dev/null; then
    echo "test_exception.sh: processes with --file-prefix=$PREFIX are running" >&2
    echo "0 passed, 1 failed"; exit 1
fi

TMP=$(mktemp -d /tmp/test_exception.XXXXXX)
LOG=$TMP/test.log
CFG=$TMP/config.json
API=$TMP/api.sock
FP_PID=
SP_PID=
HTTP_PID=
HTTP6_PID=
FLOOD_PID=
CPU=$(($(nproc) - 1))

# stop_pid PID [SECONDS [SIGNAL]] and pid_alive PID
# shellcheck source=scripts/lib/procs.sh
. "$ROOT/scripts/lib/procs.sh"
# shellcheck source=scripts/lib/exc_net.sh
. "$ROOT/scripts/lib/exc_net.sh"

CLEANED=0
cleanup() {
    local left
    ((CLEANED)) && return 0
    CLEANED=1
    trap - EXIT INT TERM
    stop_pid "$FLOOD_PID" 3 TERM
    stop_pid "$HTTP_PID" 3 TERM
    stop_pid "$HTTP6_PID" 3 TERM
    stop_pid "$SP_PID" 5 TERM
    local t0=$SECONDS
    stop_pid "$FP_PID" 10 INT
    say "fast path stopped in $((SECONDS - t0)) s"
    left=$(pgrep -f -- "--file-prefix=$PREFIX" || true)
    # shellcheck disable=SC2086 # a list of PIDs of this test's prefix
    [[ -z $left ]] || kill -KILL $left 2>/dev/null || true
    exc_net_down "$CLI_NS" "$LB_NS"
    rm -f /dev/hugepages/"$PREFIX"* 2>/dev/null
    rm -rf "/var/run/dpdk/$PREFIX"
    expect "cleanup: no edgepath process with prefix $PREFIX left" \
        "$([[ -z $left ]] && echo 0 || echo 1)"
    expect "cleanup: no exc-* namespace left" \
        "$(ip netns list | awk '{print $1}' | grep -q '^exc-' && echo 1 || echo 0)"
}
finish() {
    cleanup
    echo "runtime: $(($(date +%s) - START)) s"
    if ((failed > 0)); then echo "logs kept in $TMP"; else rm -rf "$TMP"; fi
    echo "$passed passed, $failed failed"
    ((failed == 0))
    exit
}
trap 'cleanup' EXIT
trap 'cleanup; exit 1' INT TERM

in_cli() { ip netns exec "$CLI_NS" "$@"; }
in_lb() { ip netns exec "$LB_NS" "$@"; }
api() { curl -s --max-time 2 --unix-socket "$API" "http://edgepath$1"; }

# stat KIND NAME: /v1/stats counters|drops NAME, or with KIND top a
# top-level key; empty if none.
stat() {
    api /v1/stats | python3 -c '
import json, sys
try:
    d = json.load(sys.stdin)
    print(d[sys.argv[2]] if sys.argv[1] == "top" else d[sys.argv[1]][sys.argv[2]])
except Exception:
    print("")' "$1" "$2"
}

setup_net() { exc_net_up "$CLI_NS" "$LB_NS" "$CLI_IF" "$LB_IF" "$CLIENT/24"; }

write_config() {
    python3 - "$CFG" "$API" "$NODE" "$API_PORT" "$TMP/certs" <<'EOF'
import json, sys
cfg, api, node, port, certs = sys.argv[1:]
doc = {"node": {"addresses": [{"address": node, "port": 0}]},
       "services": [],
       "api": {"listeners": [{"unix": api},
                             {"address": node, "port": int(port), "tls": True}],
               "tls": {"certificate": certs + "/server.crt",
                       "private_key": certs + "/server.key"}}}
json.dump(doc, open(cfg, "w"), indent=1)
EOF
}

start_fastpath() {
    # ip netns exec itself (not a function in a subshell): $! is the
    # process that gets the signals.
    ip netns exec "$LB_NS" "$FP_BIN" --lcores="0@$CPU,1@$CPU" --no-pci \
        --file-prefix="$PREFIX" --log-level=user1,info \
        --vdev="net_af_packet0,iface=$LB_IF" -- \
        --stats-interval 0 --idle-sleep-us 100 --ct-entries 65536 \
        --exception-tap "$TAP" >>"$TMP/fastpath.log" 2>&1 &
    FP_PID=$!
}

start_slowpath() {
    ip netns exec "$LB_NS" "$SP_BIN" --proc-type=secondary --no-pci --file-prefix="$PREFIX" \
        -l 0 --log-level=error -- --config "$CFG" --status-interval 0 \
        >>"$TMP/slowpath.log" 2>&1 &
    SP_PID=$!
}

tap_up() { in_lb ip link show "$TAP" 2>/dev/null | grep -q "state UP\|LOWER_UP"; }
api_up() {
    [[ $(curl -s --max-time 2 --unix-socket "$API" -o /dev/null \
        -w '%{http_code}' http://edgepath/healthz) == 200 ]]
}
node_api() {  # HTTP status of the TLS listener on the node address
    in_cli curl -sk --max-time "${1:-3}" -o /dev/null -w '%{http_code}' \
        "https://$NODE:$API_PORT/healthz"
}
http_ok() {
    [[ $(in_cli curl -s --max-time 3 "http://$NODE:$HTTP_PORT/hello.txt") == hello-exception ]]
}
pings() {  # pings N [ADDRESS]: replies of N pings
    in_cli ping -c "$1" -i 0.2 -W 2 "${2:-$NODE}" 2>/dev/null |
        sed -n 's/.* \([0-9]*\) received.*/\1/p'
}
http6_ok() {
    [[ $(in_cli curl -sg --max-time 3 "http://[$NODE6]:$HTTP_PORT/hello.txt") == hello-exception ]]
}

bash "$ROOT/tests/certs/make-certs.sh" "$TMP/certs" >>"$LOG" 2>&1
mkdir -p "$TMP/www"
echo hello-exception >"$TMP/www/hello.txt"
head -c 1048576 /dev/urandom >"$TMP/www/big.bin"
write_config

setup_net >>"$LOG" 2>&1
expect "namespaces $CLI_NS and $LB_NS with a veth, kernel off $LB_IF" $?
start_fastpath
wait_for "tap $TAP" 20 tap_up >>"$LOG" 2>&1
expect "fast path created tap $TAP in $LB_NS and it is up" $?
in_lb ip addr add "$NODE/24" dev "$TAP" >>"$LOG" 2>&1
expect "node address $NODE/24 on $TAP" $?
start_slowpath
wait_for "slow path API" 30 api_up >>"$LOG" 2>&1
expect "slow path attached (API on its unix socket)" $?
ip netns exec "$LB_NS" /usr/bin/python3 -m http.server "$HTTP_PORT" --bind "$NODE" \
    --directory "$TMP/www" >>"$TMP/http.log" 2>&1 &
HTTP_PID=$!

n=$(pings 5)
expect "ping $NODE through the fast path: ${n:-0}/5 answered" \
    "$( ((${n:-0} >= 4)) && echo 0 || echo 1)"
wait_for "HTTP server" 10 http_ok >>"$LOG" 2>&1
expect "HTTP server on the tap's address answers curl" $?
got=$(in_cli curl -s --max-time 10 "http://$NODE:$HTTP_PORT/big.bin" | sha256sum | cut -d' ' -f1)
want=$(sha256sum <"$TMP/www/big.bin" | cut -d' ' -f1)
expect "1 MiB over HTTP through the exception path, digest equal" \
    "$([[ $got == "$want" ]] && echo 0 || echo 1)"
code=$(node_api 5)
expect "slow path API (TLS) on the node address answers" \
    "$([[ $code == 200 ]] && echo 0 || echo 1)" "$code"

# IPv6: neighbour discovery (the fast path punts solicitations for
# addresses it does not answer itself), ICMPv6 and TCP over the tap.
in_cli ip addr add "$CLIENT6/64" dev "$CLI_IF" nodad >>"$LOG" 2>&1 &&
    in_lb ip addr add "$NODE6/64" dev "$TAP" nodad >>"$LOG" 2>&1
expect "IPv6: $CLIENT6/64 on the client, $NODE6/64 on $TAP" $?
ip netns exec "$LB_NS" /usr/bin/python3 -m http.server "$HTTP_PORT" --bind "$NODE6" \
    --directory "$TMP/www" >>"$TMP/http6.log" 2>&1 &
HTTP6_PID=$!
n=$(pings 5 "$NODE6")
expect "IPv6: ping $NODE6 through the fast path: ${n:-0}/5 answered" \
    "$( ((${n:-0} >= 4)) && echo 0 || echo 1)"
wait_for "HTTP server on $NODE6" 10 http6_ok >>"$LOG" 2>&1
expect "IPv6: HTTP server on the tap's IPv6 address answers curl" $?
in_cli ip -6 neigh show "$NODE6" dev "$CLI_IF" | grep -q 'lladdr' # small output
expect "IPv6: the client learnt $NODE6's link-layer address (the kernel's advert, sent out by the fast path)" $?

to_k=$(stat counters exception_to_kernel)
from_k=$(stat counters exception_from_kernel)
tap_tx=$(stat top exception_tap_tx_packets)
tap_rx=$(stat top exception_tap_rx_packets)
expect "counters: to kernel $to_k, tap written $tap_tx, tap read $tap_rx, sent out $from_k" \
    "$( ((${to_k:-0} > 100 && ${tap_tx:-0} > 100 && ${tap_rx:-0} > 100 && ${from_k:-0} > 100)) && echo 0 || echo 1)"
punted=$(stat counters punted_packets)
expect "nothing went over the slow path's punt ring (punted_packets ${punted:-?})" \
    "$([[ ${punted:-x} == 0 ]] && echo 0 || echo 1)"

# A SYN flood at the API's port from another source.
src0=$(stat drops exception_rate_source)
ip netns exec "$CLI_NS" timeout "$FLOOD_S" hping3 --flood -q -S -p "$API_PORT" -a "$FLOODER" \
    "$NODE" >>"$LOG" 2>&1 &
FLOOD_PID=$!
sleep 1
answered=0
for ((i = 0; i < N_API; i++)); do
    [[ $(node_api 3) == 200 ]] && answered=$((answered + 1))
    pid_alive "$FLOOD_PID" || break
done
flood_alive=$(pid_alive "$FLOOD_PID" && echo 1 || echo 0)
src1=$(stat drops exception_rate_source)
stop_pid "$FLOOD_PID" 3 TERM
FLOOD_PID=
echo "# API answers during the flood: $answered of $i; exception_rate_source $src0 -> $src1" | tee -a "$LOG"
expect "flood still running after the API requests" "$((flood_alive == 1 ? 0 : 1))"
expect "API answered during the flood: $answered of $N_API" \
    "$( ((answered >= N_API * 8 / 10)) && echo 0 || echo 1)"
expect "per-source rate-limit drops rose during the flood (${src0:-?} -> ${src1:-?})" \
    "$( ((${src1:-0} - ${src0:-0} > 1000)) && echo 0 || echo 1)"

# The slow path goes away: the exception path is the fast path's own.
stop_pid "$SP_PID" 3 KILL
SP_PID=
n=$(pings 5)
expect "slow path killed: ping still answered ${n:-0}/5" \
    "$( ((${n:-0} >= 4)) && echo 0 || echo 1)"
http_ok
expect "slow path killed: HTTP still answers" $?
start_slowpath
wait_for "slow path API" 30 api_up >>"$LOG" 2>&1
expect "slow path restarted and attached" $?
code=000
for ((i = 0; i < 20; i++)); do
    code=$(node_api 2)
    [[ $code == 200 ]] && break
    sleep 0.5
done
expect "restarted slow path's API answers on the node address" \
    "$([[ $code == 200 ]] && echo 0 || echo 1)" "$code"

finish
