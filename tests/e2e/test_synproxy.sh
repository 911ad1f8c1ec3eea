#!/usr/bin/env bash
# End-to-end test of the SYN proxy in the lab (scripts/lab.sh): the real
# fast path on ep-lb's eth0 (net_af_packet) and the slow path, with the
# lab's NAT service (web-nat, 10.99.100.2:80) set to "syn_proxy": true and
# a configured SYN-cookie secret. Real kernel clients and servers:
#   - curl, a new connection each: every request answered (the kernel's
#     handshake completes against the fast path's cookie SYN-ACK, the
#     backend's connection is opened behind it), counted as cookies sent
#     and connections established;
#   - wrk for a few seconds: no socket error, no timeout;
#   - a spoofed-source SYN flood (hping3 --flood --rand-source, bounded
#     by `timeout`) at the VIP while wrk runs: wrk keeps working (no
#     error), the flood is answered with cookies (counted), and it makes
#     no connection entries (ct_inserts grows by wrk's connections only);
#   - ACKs with made-up cookies (hping3 -A) are dropped and counted.
# Leaves no lab, process or hugepage file behind. Needs root and hping3
# (scripts/setup.sh). Last line: "N passed, N failed".
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LAB=$ROOT/scripts/lab.sh
FP_BIN=${EDGEPATH_FASTPATH:-$ROOT/build/fastpath/edgepath-fastpath}
SP_BIN=${EDGEPATH_SLOWPATH:-$ROOT/build/slowpath/edgepath-slowpath}
PREFIX=ep-e2e-synproxy            # DPDK --file-prefix, unique to this test
LAB_TIMEOUT=120
CURL_TIMEOUT=3
N_CURL=40
WRK_S=4
FLOOD_S=5                         # hping3 runs this long (timeout)
VIP=10.99.100.2
SECRET=00112233445566778899aabbccddeeff
START=$SECONDS

passed=0
failed=0
ok()   { passed=$((passed + 1)); printf 'ok   %s\n' "$*"; }
fail() { failed=$((failed + 1)); printf 'FAIL %s\n' "$*"; }
expect() {  # expect "description" CONDITION-STATUS [detail]
    if [[ $2 == 0 ]]; then ok "$1${3:+ ($3)}"; else fail "$1${3:+ ($3)}"; fi
}

if [[ $(id -u) -ne 0 ]]; then
    echo "test_synproxy.sh: must run as root" >&2
    echo "0 passed, 1 failed"; exit 1
fi
for f in "$LAB" "$FP_BIN" "$SP_BIN"; do
    [[ -x $f ]] || { echo "test_synproxy.sh: missing $f" >&2; echo "0 passed, 1 failed"; exit 1; }
done
for c in hping3 wrk curl python3 timeout; do
    command -v "$c" >/dev/null || { echo "test_synproxy.sh: missing $c (scripts/setup.sh)" >&2; echo "0 passed, 1 failed"; exit 1; }
done
if pgrep -f -- "--file-prefix=$PREFIX" >/dev/null; then
    echo "test_synproxy.sh: processes with --file-prefix=$PREFIX are running" >&2
    echo "0 passed, 1 failed"; exit 1
fi

TMP=$(mktemp -d /tmp/test_synproxy.XXXXXX)
LOG=$TMP/test.log
CFG=$TMP/config.json
API=$TMP/api.sock
FP_PID=
SP_PID=
WRK_PID=
CPU=$(($(nproc) - 1))

# stop_pid PID [SECONDS [SIGNAL]] and pid_alive PID
# shellcheck source=scripts/lib/procs.sh
. "$ROOT/scripts/lib/procs.sh"

CLEANED=0
cleanup() {
    local left
    ((CLEANED)) && return 0
    CLEANED=1
    trap - EXIT INT TERM
    stop_pid "$WRK_PID" 5 TERM
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
trap 'cleanup' EXIT
trap 'cleanup; exit 1' INT TERM

api() { curl -s --max-time 2 --unix-socket "$API" "http://edgepath$1"; }

# stat KIND NAME: a worker counter (KIND counters|drops) or, with KIND
# svc, a counter of web-nat, from /v1/stats; empty if none.
stat() {
    api /v1/stats | python3 -c '
import json, sys
try:
    d = json.load(sys.stdin)
    if sys.argv[1] == "svc":
        print([s for s in d["services"] if s["name"] == "web-nat"][0][sys.argv[2]])
    else:
        print(d[sys.argv[1]][sys.argv[2]])
except Exception:
    print("")' "$1" "$2"
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

# ===========================================================================
echo "test_synproxy.sh: logs in $TMP"
if ! timeout "$LAB_TIMEOUT" "$LAB" up >>"$LOG" 2>&1; then
    fail "lab up (see $LOG)"; finish
fi
ok "lab up"

python3 - "$ROOT/configs/lab.json" "$API" "$CFG" "$SECRET" <<'EOF'
import json, sys
src, api, out, secret = sys.argv[1:5]
doc = json.load(open(src))
doc["api"] = {"listeners": [{"unix": api}]}
for s in doc["services"]:
    if s["name"] == "web-nat":
        s["syn_proxy"] = True
doc["policing"] = {"syn_cookie": {"secret": secret}}
json.dump(doc, open(out, "w"), indent=2)
EOF

ip netns exec ep-lb "$FP_BIN" --lcores="0@$CPU,1@$CPU" --no-pci \
    --file-prefix="$PREFIX" --log-level=user1,info \
    --vdev="net_af_packet0,iface=eth0" -- \
    --stats-interval 0 --idle-sleep-us 100 --ct-entries 65536 \
    >>"$TMP/fastpath.log" 2>&1 &
FP_PID=$!
ip netns exec ep-lb "$SP_BIN" --proc-type=secondary --no-pci \
    --file-prefix="$PREFIX" -l 0 --log-level=error -- --config "$CFG" \
    --status-interval 0 >>"$TMP/slowpath.log" 2>&1 &
SP_PID=$!
for ((i = 0; i < 150; i++)); do [[ -S $API ]] && [[ $(api /readyz) == *\"ready\"* ]] && break; sleep 0.1; done
[[ $(api /readyz) == *\"ready\"* ]]
expect "fast path and slow path up, API ready" $?
api /v1/services | grep -q '"syn_proxy":true'
expect "GET /v1/services shows web-nat's syn_proxy" $?

# --- curl: a new connection each --------------------------------------------
# (The first SYN towards a backend whose MAC the fast path does not know
# yet is dropped; the client's zero-window probe makes the SYN again.)
out=$(ip netns exec ep-client bash -c 'for ((i = 0; i < '$N_CURL'; i++)); do curl -s --max-time '$CURL_TIMEOUT' http://'$VIP'/ || echo "ERR $?"; done')
n_ok=$(grep -cE '^be[123]$' <<<"$out")
seen=$(grep -E '^be[123]$' <<<"$out" | sort -u | tr '\n' ' ')
echo "curl: $n_ok of $N_CURL answered, backends $seen" >>"$LOG"
((n_ok == N_CURL))
expect "curl through the syn_proxy VIP: $N_CURL of $N_CURL answered" $? "$n_ok, backends $seen"
[[ $seen == "be1 be2 be3 " ]]
expect "every backend reached" $? "$seen"
sent=$(stat svc syn_cookie_sent)
est=$(stat svc syn_proxy_established)
((${sent:-0} >= N_CURL && ${est:-0} >= N_CURL))
expect "counted: syn_cookie_sent >= $N_CURL, syn_proxy_established >= $N_CURL" $? "sent ${sent:-?}, established ${est:-?}"
api /metrics | grep -qE '^edgepath_service_syn_proxy_established_total\{service="web-nat"\} [1-9]'
expect "/metrics: edgepath_service_syn_proxy_established_total of web-nat" $?

# --- wrk ---------------------------------------------------------------------
timeout $((WRK_S + 15)) ip netns exec ep-client wrk -t1 -c20 -d"${WRK_S}s" --timeout 2s "http://$VIP/" >"$TMP/wrk.plain" 2>&1
cat "$TMP/wrk.plain" >>"$LOG"
fig=$(wrk_ok "$TMP/wrk.plain")
expect "wrk -c20 ${WRK_S}s through the syn_proxy VIP: no error" $? "$fig"

# --- a spoofed-source SYN flood while wrk runs -------------------------------
sent0=$(stat svc syn_cookie_sent)
ins0=$(stat counters ct_inserts)
est0=$(stat svc syn_proxy_established)
timeout $((FLOOD_S + 20)) ip netns exec ep-client wrk -t1 -c20 -d"$((FLOOD_S + 4))s" --timeout 3s "http://$VIP/" >"$TMP/wrk.flood" 2>&1 &
WRK_PID=$!
sleep 2
timeout "$FLOOD_S" ip netns exec ep-client hping3 -q -S -p 80 --flood --rand-source "$VIP" >>"$LOG" 2>&1
wait "$WRK_PID" 2>/dev/null
WRK_PID=
cat "$TMP/wrk.flood" >>"$LOG"
fig=$(wrk_ok "$TMP/wrk.flood")
expect "wrk during a ${FLOOD_S} s spoofed SYN flood: no error" $? "$fig"
sent1=$(stat svc syn_cookie_sent)
ins1=$(stat counters ct_inserts)
est1=$(stat svc syn_proxy_established)
flood=$((${sent1:-0} - ${sent0:-0} - (${est1:-0} - ${est0:-0})))
conns=$((${est1:-0} - ${est0:-0}))
inserts=$((${ins1:-0} - ${ins0:-0}))
echo "flood: $flood cookie SYN-ACKs beyond wrk's $conns connections; ct_inserts +$inserts" | tee -a "$LOG"
((flood > 1000))
expect "the flood is answered with cookies and counted (syn_cookie_sent)" $? "$flood"
# a connection is two entries (forward and NAT reply)
((inserts <= 2 * conns + 10))
expect "the flood made no connection entries" $? "ct_inserts +$inserts for $conns connections"

# --- made-up cookies -----------------------------------------------------------
inv0=$(stat svc syn_cookie_invalid)
timeout 10 ip netns exec ep-client hping3 -q -A -p 80 -c 200 -i u1000 --rand-source "$VIP" >>"$LOG" 2>&1
sleep 0.3
inv1=$(stat svc syn_cookie_invalid)
drop=$(stat drops syn_cookie_invalid)
# (hping3's first packets may leave before the namespace's ARP answer)
((${inv1:-0} - ${inv0:-0} >= 150 && ${drop:-0} >= ${inv1:-0}))
expect "200 ACKs with made-up cookies: dropped and counted (syn_cookie_invalid)" $? "+$((${inv1:-0} - ${inv0:-0})), drops ${drop:-?}"
finish
