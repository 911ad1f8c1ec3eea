#!/usr/bin/env bash
# End-to-end test of priority tiers and on_down "reset" in the lab
# (scripts/lab.sh), set up as tests/e2e/test_health.sh is (fast path on
# ep-lb's eth0, slow path probing through the fast path's exception tap,
# which holds the node address 10.99.0.1). The NAT service
# web-nat has be1 and be2 in tier 0 and be3 in tier 1, tcp checks
# (interval 500 ms, timeout 300 ms, fall 2, rise 1):
#   - all healthy: new connections reach be1 and be2 only;
#   - be1 stopped: tier 0 health is 1 of 2 x 1.4 = 70 % (Envoy's rule):
#     30 % spills to be3 (the API says 70 / 30, be3 is reached, less
#     often than be2); edgectl shows TIER and SHARE;
#   - be2 stopped too: every new connection goes to be3;
#   - both started again: back to be1 and be2, be3 reached no more.
# And on_down "reset": a NAT service on port 9000 whose one backend (be1,
# a socat stream; panic threshold 0) is checked on port 9001: stopping
# the 9001 listener takes be1 down, and a client's established stream
# through the VIP is reset (ECONNRESET), counted as flows_reset_on_down.
# And https checks: be2 runs openssl s_server (a self-signed certificate
# for be2.lab) on 8443, checked with verify on (that certificate as
# ca_file, server_name be2.lab): up; stopping it: down.
# Leaves no lab, process or hugepage file behind. Needs root. Last line:
# "N passed, N failed".
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LAB=$ROOT/scripts/lab.sh
FP_BIN=${EDGEPATH_FASTPATH:-$ROOT/build/fastpath/edgepath-fastpath}
SP_BIN=${EDGEPATH_SLOWPATH:-$ROOT/build/slowpath/edgepath-slowpath}
PREFIX=ep-e2e-tiers               # DPDK --file-prefix, unique to this test
LAB_TIMEOUT=120
INTERVAL_MS=500
TIMEOUT_MS=300
FALL=2
RISE=1
REPUBLISH_MS=500                  # slack: apply to the fast path, loop wait
NODE_IP=10.99.0.1                 # the node address: the tap holds it
TAP=eptap0                        # the lab's LAB_LB_TAP
START=$SECONDS

passed=0
failed=0
ok()   { passed=$((passed + 1)); printf 'ok   %s\n' "$*"; }
fail() { failed=$((failed + 1)); printf 'FAIL %s\n' "$*"; }
expect() {  # expect "description" CONDITION-STATUS [detail]
    if [[ $2 == 0 ]]; then ok "$1${3:+ ($3)}"; else fail "$1${3:+ ($3)}"; fi
}

if [[ $(id -u) -ne 0 ]]; then
    echo "test_tiers.sh: must run as root" >&2
    echo "0 passed, 1 failed"; exit 1
fi
for f in "$LAB" "$FP_BIN" "$SP_BIN"; do
    [[ -x $f ]] || { echo "test_tiers.sh: missing $f" >&2; echo "0 passed, 1 failed"; exit 1; }
done
if pgrep -f -- "--file-prefix=$PREFIX" >/dev/null; then
    echo "test_tiers.sh: processes with --file-prefix=$PREFIX are running" >&2
    echo "0 passed, 1 failed"; exit 1
fi

TMP=$(mktemp -d /tmp/test_tiers.XXXXXX)
LOG=$TMP/test.log
CFG=$TMP/config.json
API=$TMP/api.sock
FP_PID=
SP_PID=
LOOP_PID=
STREAM_PID=
HC_PID=
TLS_PID=
CLIENT_PID=
CPU=$(($(nproc) - 1))

# stop_pid PID [SECONDS [SIGNAL]] and pid_alive PID
# shellcheck source=scripts/lib/procs.sh
. "$ROOT/scripts/lib/procs.sh"
# exc_tap_addr NS TAP TENTHS ADDR/LEN...
# shellcheck source=scripts/lib/exc_net.sh
. "$ROOT/scripts/lib/exc_net.sh"

CLEANED=0
cleanup() {
    local left
    ((CLEANED)) && return 0
    CLEANED=1
    trap - EXIT INT TERM
    stop_pid "$LOOP_PID" 5 TERM
    stop_pid "$STREAM_PID" 5 TERM
    stop_pid "$HC_PID" 5 TERM
    stop_pid "$TLS_PID" 5 TERM
    stop_pid "$CLIENT_PID" 5 TERM
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

now_ms() { local t=${EPOCHREALTIME/./}; echo $((t / 1000)); }
api() { curl -s --max-time 2 --unix-socket "$API" "http://edgepath$1"; }

# be_health SERVICE ADDR:PORT FIELD: a field of that backend's health
be_health() {
    api "/v1/services/$1/backends" | python3 -c '
import json, sys
try:
    h = json.load(sys.stdin)["health"]
    if sys.argv[2] == "-":
        print(h[sys.argv[3]])
    else:
        print([b for b in h["backends"] if b["id"] == sys.argv[2]][0][sys.argv[3]])
except Exception:
    print("")' "$1" "$2" "$3"
}

# wait_health SERVICE ID FIELD VALUE MS: wall-clock ms it took, or fails
wait_health() {
    local t0 end
    t0=$(now_ms); end=$((t0 + $5))
    until [[ $(be_health "$1" "$2" "$3") == "$4" ]]; do
        (($(now_ms) < end)) || return 1
        sleep 0.05
    done
    echo $(($(now_ms) - t0))
}

# new_flows SERVICE ID: the backend's new_flows counter from /v1/stats
new_flows() {
    api /v1/stats | python3 -c '
import json, sys
try:
    d = json.load(sys.stdin)
    s = [s for s in d["services"] if s["name"] == sys.argv[1]][0]
    print([b for b in s["backends"] if b["id"] == sys.argv[2]][0]["new_flows"])
except Exception:
    print("")' "$1" "$2"
}

nginx_stop() {  # nginx_stop NS
    local pid
    pid=$(cat "/run/edgepath-lab/$1/nginx.pid" 2>/dev/null) || return 1
    kill -TERM "$pid" && { local t=50; while pid_alive "$pid" && ((t-- > 0)); do sleep 0.1; done; }
    ! pid_alive "$pid"
}
nginx_start() {  # nginx_start NS
    local d=/run/edgepath-lab/$1
    ip netns exec "$1" /usr/sbin/nginx -p "$d/" -e "$d/error.log" -c "$d/nginx.conf"
}


# tier_load SERVICE PRIORITY: that tier's load_percent
tier_load() {
    api "/v1/services/$1/backends" | python3 -c '
import json, sys
try:
    t = json.load(sys.stdin)["health"]["tiers"]
    print([x for x in t if x["priority"] == int(sys.argv[1])][0]["load_percent"])
except Exception:
    print("")' "$2"
}

# answers N: N new connections to the NAT VIP, one answer a line
answers() {
    ip netns exec ep-client bash -c 'for ((i = 0; i < '"$1"'; i++)); do curl -s --max-time 1 http://'$VIP'/ || echo ERR; done'
}

# ===========================================================================
echo "test_tiers.sh: logs in $TMP"
if ! timeout "$LAB_TIMEOUT" "$LAB" up >>"$LOG" 2>&1; then
    fail "lab up (see $LOG)"; finish
fi
ok "lab up"

python3 - "$ROOT/configs/lab.json" "$API" "$CFG" "$INTERVAL_MS" "$TIMEOUT_MS" "$FALL" "$RISE" <<'EOF2'
import json, sys
src, api, out = sys.argv[1:4]
interval, timeout, fall, rise = map(int, sys.argv[4:8])
doc = json.load(open(src))
doc["api"] = {"listeners": [{"unix": api}]}
for s in doc["services"]:
    if s["name"] == "web-nat":
        s["health_check"] = {"type": "tcp", "interval_ms": interval,
                             "timeout_ms": timeout, "fall": fall, "rise": rise}
        for b in s["backends"]:
            if b["address"].endswith(".13"):
                b["priority"] = 1
doc["services"].append({
    "name": "stream", "vip": "10.99.100.2", "port": 9000,
    "protocol": "tcp", "forwarding": "nat", "on_down": "reset",
    "health_check": {"type": "tcp", "port": 9001, "interval_ms": interval,
                     "timeout_ms": timeout, "fall": fall, "rise": rise,
                     "panic_threshold_percent": 0},
    "backends": [{"address": "10.99.0.11", "port": 9000}]})
doc["services"].append({
    "name": "tls", "vip": "10.99.100.2", "port": 8443,
    "protocol": "tcp", "forwarding": "nat",
    "health_check": {"type": "https", "interval_ms": interval,
                     "timeout_ms": timeout, "fall": fall, "rise": rise,
                     "server_name": "be2.lab", "verify": True,
                     "ca_file": out + ".crt", "expect_status": "200"},
    "backends": [{"address": "10.99.0.12", "port": 8443}]})
json.dump(doc, open(out, "w"), indent=2)
EOF2
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$CFG.key" -out "$CFG.crt" -days 1 -subj /CN=be2.lab \
    -addext subjectAltName=DNS:be2.lab >>"$LOG" 2>&1
ip netns exec ep-be2 openssl s_server -accept 8443 -cert "$CFG.crt" \
    -key "$CFG.key" -www -quiet >>"$TMP/s_server.log" 2>&1 &
TLS_PID=$!

ip netns exec ep-lb "$FP_BIN" --lcores="0@$CPU,1@$CPU" --no-pci \
    --file-prefix="$PREFIX" --log-level=user1,info \
    --vdev="net_af_packet0,iface=eth0" -- \
    --stats-interval 0 --idle-sleep-us 100 --ct-entries 65536 \
    --exception-tap "$TAP" >>"$TMP/fastpath.log" 2>&1 &
FP_PID=$!
# The probes' only way out: the fast path's tap, with the node address.
exc_tap_addr ep-lb "$TAP" 150 "$NODE_IP/24"
expect "exception tap $TAP in ep-lb up, holding $NODE_IP/24" $?
ip netns exec ep-lb "$SP_BIN" --proc-type=secondary --no-pci \
    --file-prefix="$PREFIX" -l 0 --log-level=error -- --config "$CFG" \
    --status-interval 0 >>"$TMP/slowpath.log" 2>&1 &
SP_PID=$!
for ((i = 0; i < 150; i++)); do [[ -S $API ]] && [[ $(api /readyz) == *\"ready\"* ]] && break; sleep 0.1; done
[[ $(api /readyz) == *\"ready\"* ]]
expect "fast path and slow path up, API ready" $?

VIP=10.99.100.2
BE1=10.99.0.11:80
BE2=10.99.0.12:80
BE3=10.99.0.13:80
BOUND=$((FALL * INTERVAL_MS + TIMEOUT_MS + REPUBLISH_MS))

# --- all healthy: tier 0 only ------------------------------------------------
answers 6 >/dev/null  # warm-up: the fast path learns the backends' MACs
seen=$(answers 30 | sort | uniq -c | tr -s ' \n' ' ')
[[ $seen == *be1* && $seen == *be2* && $seen != *be3* && $seen != *ERR* ]]
expect "all healthy: new connections reach be1 and be2, never be3 (tier 1)" $? "$seen"
[[ $(tier_load web-nat 0) == 100 && $(tier_load web-nat 1) == 0 ]]
expect "API: tier 0 takes 100 %, tier 1 0 %" $?

# --- be1 down: 70 % stays on tier 0, 30 % spills to be3 -----------------------
nginx_stop ep-be1
t=$(wait_health web-nat "$BE1" state down $((BOUND + 2000)))
expect "be1 stopped: down by its check" $? "${t:-never} ms"
sleep 0.3
[[ $(tier_load web-nat 0) == 70 && $(tier_load web-nat 1) == 30 ]]
expect "API: tier 0 70 %, tier 1 30 % (1 of 2 healthy x 1.4)" $? "$(tier_load web-nat 0) / $(tier_load web-nat 1)"
[[ $(be_health web-nat "$BE3" share_percent) == 30 ]]
expect "API: be3's share of new flows is 30 %" $?
out=$(answers 60)
n2=$(grep -c '^be2$' <<<"$out"); n3=$(grep -c '^be3$' <<<"$out"); n1=$(grep -c '^be1$' <<<"$out")
((n3 >= 6 && n2 > n3 && n1 == 0))
expect "spill: of 60 connections be2 takes most, be3 some, be1 none" $? "be2 $n2, be3 $n3, be1 $n1"
"$ROOT/build/slowpath/edgectl" --socket "$API" backends web-nat >"$TMP/edgectl.out" 2>&1
grep -q 'TIER' "$TMP/edgectl.out" && grep -qE '^10\.99\.0\.13:80 .* 1 +30\.00%' "$TMP/edgectl.out"
expect "edgectl backends: TIER and SHARE columns (be3: tier 1, 30.00%)" $?

# --- be2 down too: all of tier 0 gone, everything on tier 1 -------------------
nginx_stop ep-be2
t=$(wait_health web-nat "$BE2" state down $((BOUND + 2000)))
expect "be2 stopped: down by its check" $? "${t:-never} ms"
sleep 0.3
[[ $(tier_load web-nat 1) == 100 && $(be_health web-nat - state) == ok ]]
expect "API: tier 1 takes 100 %, no panic (tier 1 fully healthy)" $?
seen=$(answers 20 | sort | uniq -c | tr -s ' \n' ' ')
[[ $seen == " 20 be3 " ]]
expect "tier 0 stopped: all 20 new connections go to be3" $? "$seen"

# --- both back: traffic returns to tier 0 -------------------------------------
nginx_start ep-be1 && nginx_start ep-be2
expect "nginx of be1 and be2 started again" $?
t=$(wait_health web-nat "$BE1" state up $((BOUND + 2000))) &&
    t=$(wait_health web-nat "$BE2" state up $((BOUND + 2000)))
expect "be1 and be2 up again" $? "${t:-never} ms"
sleep 0.3
NF3=$(new_flows web-nat "$BE3")
seen=$(answers 30 | sort | uniq -c | tr -s ' \n' ' ')
[[ $seen == *be1* && $seen == *be2* && $seen != *be3* && $seen != *ERR* ]]
expect "tier 0 back: new connections reach be1 and be2 again, not be3" $? "$seen"
[[ $(new_flows web-nat "$BE3") == "$NF3" && $(tier_load web-nat 0) == 100 ]]
expect "be3 got no new flow since; tier 0 at 100 %" $?

# --- on_down "reset": an established stream is reset ---------------------------
printf 'while :; do echo x; sleep 0.05; done\n' >"$TMP/stream.sh"
ip netns exec ep-be1 socat TCP-LISTEN:9000,fork,reuseaddr \
    EXEC:"/bin/sh $TMP/stream.sh" >>"$TMP/socat.log" 2>&1 &
STREAM_PID=$!
ip netns exec ep-be1 socat -u TCP-LISTEN:9001,fork,reuseaddr OPEN:/dev/null \
    >>"$TMP/socat.log" 2>&1 &
HC_PID=$!
t=$(wait_health stream 10.99.0.11:9000 last_result ok 4000)
expect "stream service: be1:9000 checked on 9001, up" $? "${t:-never} ms"
ip netns exec ep-client python3 - "$TMP/stream.out" <<'EOF2' &
import socket, sys, time
out = open(sys.argv[1], "w", buffering=1)
try:
    s = socket.create_connection(("10.99.100.2", 9000), timeout=2)
    got, t0 = 0, time.time()
    while time.time() - t0 < 1.0:
        got += len(s.recv(4096))
    out.write("streaming %d\n" % got)
    s.settimeout(1.0)
    end = time.time() + 12
    while time.time() < end:
        try:
            if not s.recv(4096):
                out.write("eof\n"); break
        except socket.timeout:
            continue
    else:
        out.write("timeout\n")
except ConnectionResetError:
    out.write("reset\n")
except Exception as e:
    out.write("error %r\n" % e)
EOF2
CLIENT_PID=$!
for ((i = 0; i < 40; i++)); do grep -q streaming "$TMP/stream.out" 2>/dev/null && break; sleep 0.1; done
grep -q '^streaming [1-9]' "$TMP/stream.out"
expect "a client streams from be1 through the VIP" $? "$(head -1 "$TMP/stream.out" 2>/dev/null)"
stop_pid "$HC_PID" 5 TERM
HC_PID=
t=$(wait_health stream 10.99.0.11:9000 state down $((BOUND + 2000)))
expect "be1:9000 down by its check (9001 closed), the stream still served" $? "${t:-never} ms"
for ((i = 0; i < 50; i++)); do [[ $(wc -l <"$TMP/stream.out") -ge 2 ]] && break; sleep 0.1; done
res=$(sed -n 2p "$TMP/stream.out")
[[ $res == reset ]]
expect "on_down reset: the established stream is reset (ECONNRESET)" $? "$res"
wait "$CLIENT_PID" 2>/dev/null
CLIENT_PID=
n=$(api /v1/stats | python3 -c '
import json, sys
d = json.load(sys.stdin)
print([s for s in d["services"] if s["name"] == "stream"][0]["flows_reset_on_down"])' 2>/dev/null)
[[ -n $n && $n -ge 1 ]]
expect "/v1/stats: flows_reset_on_down of stream counted" $? "${n:-?}"

# --- https checks ---------------------------------------------------------------
t=$(wait_health tls 10.99.0.12:8443 last_result ok 4000)
expect "https check (verify on, server_name be2.lab) of openssl s_server: ok" $? "${t:-never} ms"
[[ $(be_health tls 10.99.0.12:8443 state) == up && $(be_health tls - check) == https ]]
expect "API: check https, be2:8443 up" $?
stop_pid "$TLS_PID" 5 TERM
TLS_PID=
t=$(wait_health tls 10.99.0.12:8443 state down $((BOUND + 2000)))
expect "s_server stopped: be2:8443 down by its https check" $? "${t:-never} ms"
exc=$(api /v1/stats | python3 -c '
import json, sys
c = json.load(sys.stdin)["counters"]
print(c["exception_to_kernel"], c["exception_from_kernel"], c["punted_packets"])' 2>/dev/null)
read -r tk fk pk <<<"$exc"
((${tk:-0} > 0 && ${fk:-0} > 0)) && [[ $pk == 0 ]]
expect "the probes went through the exception path (to kernel ${tk:-?}, from kernel ${fk:-?}, punted ${pk:-?})" $?
finish
