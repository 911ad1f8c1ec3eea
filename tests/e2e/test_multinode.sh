#!/usr/bin/env bash
# End-to-end test of scale-out in the multi-node lab (scripts/lab.sh up
# --nodes 2): two edgepath nodes (ep-lb, ep-lb2), each with its fast path on
# its eth0 (net_af_packet), its slow path driving its own BIRD, and a router
# (ep-rt) running BIRD with ECMP in front of them; the client is behind the
# router. A node's kernel has only its fast path's exception tap (holding
# the node address): BIRD's BGP and BFD, the health probes and etcd go
# through the tap, the fast path and eth0. With configs/lab-multinode.json
# (one DSR VIP, maglev_rebuild "fresh"):
#   - each node's namespace has no other way out (lo, eth0 without an
#     address, the tap); the router's BGP sessions and BFD sessions to both
#     node addresses come up; the nodes' exception counters rise and drop
#     nothing;
#   - both nodes announce the VIP (GET /v1/node) and the router holds one
#     ECMP route with both next hops (ip route and birdc show route);
#   - requests from 120 source ports all answer, and both nodes carry new
#     flows (each node's /v1/stats);
#   - the same 5-tuple reaches the same backend through either node: the
#     router's route pinned to node 1, then node 2 (a metric-0 route in
#     front of BIRD's), for 24 source ports;
#   - wrk crosses node 1; `edgectl node drain` on node 1 withdraws its route within 1 s
#     (measured and printed), wrk across the drain has no errors, and
#     `edgectl node undrain` brings the route back within 1 s;
#   - one etcd (in the router namespace) is both nodes' configuration
#     source: a change through node 1's API is in force on node 2 within
#     1 s (measured and printed), with equal Maglev table digests on both;
#     with etcd stopped both nodes keep forwarding on that configuration;
#   - a registry instance (weight 0: no flows) registered through node 1 is
#     in node 2's configuration, heartbeats through node 2 keep it past
#     2 x its ttl, and without them it is gone from both (etcd leases);
#   - SIGTERM to node 1's slow path withdraws first: the route is gone
#     before the process exits, which is not before the grace; the tap is
#     the fast path's: it keeps the node address and BGP stays up.
# Leaves no lab, process or hugepage file behind. Needs root; run it under
# the test lock. Last line: "N passed, N failed".
set -uo pipefail

NAME=test_multinode
PREFIX=ep-e2e-mn                 # node I: --file-prefix=ep-e2e-mnI
E2E_NEEDS="curl python3 timeout bird birdc jq wrk etcd etcdctl"
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
CTL=${EDGECTL:-$ROOT/build/slowpath/edgectl}
TEMPLATE=$ROOT/configs/lab-multinode.json
NODE_PREFIX=$PREFIX
NODE_GRACE_MS=1500
WITHDRAW_BOUND_MS=1000           # docs/scale-out.md: drain -> route gone
ETCD_BOUND_MS=1000               # a change through one node, in force on the other
BE2=10.99.0.12:0
VIP=10.99.100.1
WRK_PID=

e2e_extra_cleanup() {
    stop_pid "$WRK_PID" 5 TERM
    if declare -F node_stop_all >/dev/null; then node_stop_all; fi
}
e2e_init
[[ -x $CTL ]] || refuse_start "missing $CTL"
NODE_DIR=$TMP
NODE_CPU=$CPU

# The router's route to the VIP: its next hops, sorted, one line.
route_hops() {
    ip -n "$LAB_ROUTER_NS" route show "$VIP/32" 2>/dev/null |
        grep -oE 'via [0-9.]+' | awk '{print $2}' | sort | tr '\n' ' '
}

# wait_hops "WANT" TENTHS: until the next hops are WANT; prints the ms it took.
wait_hops() {
    local want=$1 t=$2 t0
    t0=$(now_ms)
    while [[ $(route_hops) != "$want" ]]; do
        ((t-- > 0)) || { echo -1; return 1; }
        sleep 0.02
    done
    echo $(($(now_ms) - t0))
}

# requests PORT...: "PORT BACKEND" per port: one HTTP request from that
# source port, closed with a reset (SO_LINGER 0) so that neither end keeps
# a TIME_WAIT and the same 5-tuple can be sent again.
requests() {
    ip netns exec "$LAB_CLIENT_NS" python3 - "$LAB_CLIENT_IP" "$VIP" "$@" <<'PYEOF'
import errno, socket, struct, sys, time
src, vip, ports = sys.argv[1], sys.argv[2], sys.argv[3:]
for p in ports:
    t0 = time.monotonic()
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
    s.settimeout(3)
    name = "error"
    try:
        s.bind((src, int(p)))
        s.connect((vip, 80))
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        data = b""
        while True:
            head, sep, body = data.partition(b"\r\n\r\n")
            if sep:
                n = [int(l.split(b":")[1]) for l in head.split(b"\r\n")
                     if l.lower().startswith(b"content-length:")]
                if n and len(body) >= n[0]:
                    break
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        name = body.strip().decode() or "empty"
    except Exception as e:
        name = "error:" + type(e).__name__
        if isinstance(e, OSError) and e.errno:  # EADDRINUSE, EHOSTUNREACH...
            name += ":" + errno.errorcode.get(e.errno, str(e.errno))
    s.close()
    if not name.startswith("be"):
        name += "@%dms" % ((time.monotonic() - t0) * 1000)
    print(p, name)
PYEOF
}

# lost_requests_context: one line of what might have lost a request: each
# node's nonzero drop counters, the router's routes and BFD sessions.
lost_requests_context() {
    local i
    for i in 0 1; do
        printf 'node %d drops %s; ' "$((i + 1))" \
            "$(node_get "$i" /v1/stats | jq -c '(.drops | with_entries(select(.value != 0))) +
                {tx_drops: ([.ports[].tx_drops] | add)}' 2>/dev/null)"
    done
    printf 'route %s; ' "$(route_hops)"
    birdc -s "$LAB_ROUTER_BIRD_SOCKET" show bfd sessions 2>/dev/null |
        awk '/^[0-9]/ {printf "bfd %s %s %s; ", $1, $3, $4}'
}

new_flows() {  # new_flows I: the service's new flows on node I
    node_get "$1" /v1/stats | jq -r '[.services[] | select(.name == "web-dsr") | .new_flows] | add // 0' 2>/dev/null || echo 0
}

echo "== lab up --nodes 2"
timeout "$LAB_TIMEOUT" "$LAB" up --nodes 2 >>"$LOG" 2>&1 || { tail -20 "$LOG" >&2; fail "lab up --nodes 2"; finish; }
# shellcheck disable=SC1091
. /run/edgepath-lab/env
# shellcheck source=scripts/lib/nodes.sh
. "$ROOT/scripts/lib/nodes.sh"
((LAB_NODES == 2)) || { fail "the lab has $LAB_NODES nodes"; finish; }
N1=$(node_ip 0)
N2=$(node_ip 1)
# The requests below bind fixed source ports (42000-45039): keep the
# client's own ephemeral ports (curl, wrk) out of their way, so that a
# bind never finds one taken.
ip netns exec "$LAB_CLIENT_NS" sysctl -qw net.ipv4.ip_local_port_range="46000 60999"
BOTH=$(printf '%s\n' "$N1" "$N2" | sort | tr '\n' ' ')

echo "== etcd, then the nodes"
node_etcd_start; expect "etcd in $LAB_ROUTER_NS ($NODE_ETCD)" $?
node_config 0 "$TEMPLATE" && node_etcd_seed "$NODE_DIR/node0/config.json"
expect "the shared document put into etcd (${NODE_ETCD_PREFIX}config)" $?
node_start 0 "$TEMPLATE" || { fail "node 1 did not start"; finish; }
node_start 1 "$TEMPLATE" || { fail "node 2 did not start"; finish; }
node_wait_ready 0 300; expect "node 1 ready" $?
node_wait_ready 1 300; expect "node 2 ready" $?

# --- the nodes' kernels speak through their exception taps ---------------
# node_links I: node I's interfaces other than lo, and eth0's addresses
node_links() {
    local ns
    ns=$(node_ns "$1")
    ip -n "$ns" -o link show | awk -F': ' '{sub(/@.*/, "", $2); print $2}' |
        grep -v '^lo$' | sort | tr '\n' ' '
    ip -n "$ns" -o addr show dev eth0 | grep -c inet
}
want_links="$(printf '%s\n' eth0 "$LAB_LB_TAP" | sort | tr '\n' ' ')0"
for i in 0 1; do
    l=$(node_links "$i")
    [[ $l == "$want_links" ]]
    expect "node $((i + 1)): only eth0 (no address) and the tap $LAB_LB_TAP" $? "$l"
done
node_wait_bgp 300
expect "router: BGP sessions to both node addresses ($N1, $N2), over their taps" $? \
    "$(birdc -s "$LAB_ROUTER_BIRD_SOCKET" show protocols | grep -E '^node' | awk '{print $1, $6}' | tr '\n' ' ')"
bfd_up() {
    local out
    out=$(birdc -s "$LAB_ROUTER_BIRD_SOCKET" show bfd sessions 2>/dev/null)
    grep -qE "^$N1 .* Up " <<<"$out" && grep -qE "^$N2 .* Up " <<<"$out"
}
for ((t = 0; t < 100; t++)); do bfd_up && break; sleep 0.1; done
bfd_up; expect "router: BFD sessions to both node addresses up" $?
# exc_stat I KEY: counters.KEY on node I
exc_stat() { node_get "$1" /v1/stats | jq -r --arg k "$2" '.counters[$k] // 0' 2>/dev/null; }
# exc_drops I: node I's exception-path drops (budgets, rings, tap)
exc_drops() {
    node_get "$1" /v1/stats | jq -r '[.drops.exception_rate, .drops.exception_rate_source,
        .drops.exception_rate_neighbour, .drops.exception_ring_full,
        .exception_tap_tx_drops, .exception_tap_rx_drops] | add' 2>/dev/null
}

# --- both announce, the router holds ECMP --------------------------------
for i in 0 1; do
    a=$(node_get "$i" /v1/node | jq -c '.announced' 2>/dev/null)
    t=100
    while [[ $a != "[\"$VIP\"]" ]] && ((t-- > 0)); do
        sleep 0.1
        a=$(node_get "$i" /v1/node | jq -c '.announced' 2>/dev/null)
    done
    [[ $a == "[\"$VIP\"]" ]]; expect "node $((i + 1)) announces $VIP (GET /v1/node)" $? "$a"
done
ms=$(wait_hops "$BOTH" 150)
expect "router: one ECMP route to $VIP via both nodes" $? "next hops $(route_hops)after ${ms} ms"
bird_route=$(birdc -s "$LAB_ROUTER_BIRD_SOCKET" show route "$VIP/32" 2>&1)
n=$(grep -cE "via ($N1|$N2) " <<<"$bird_route")
[[ $n == 2 ]]; expect "router BIRD: both BGP paths for $VIP/32" $? "$n paths"
has "^edgepath_node_vip_announced{vip=\"$VIP\"} 1" -- node_get 0 /metrics
expect "node 1 /metrics: edgepath_node_vip_announced 1" $?

# --- many source ports through both nodes --------------------------------
f1=$(new_flows 0)
f2=$(new_flows 1)
mapfile -t lines < <(requests $(seq 42000 42119))
good=0 bad=""
for l in "${lines[@]}"; do
    if [[ ${l#* } =~ ^be[123]$ ]]; then good=$((good + 1)); else bad+="port $l; "; fi
done
d1=$(($(new_flows 0) - f1))
d2=$(($(new_flows 1) - f2))
# A failure names the requests that failed and what both nodes and the
# router saw, since the scratch folder does not outlive a CI run.
((good == 120)) || bad+="$(lost_requests_context)"
((good == 120)); expect "120 requests from distinct source ports answered by a backend" $? "$good/120${bad:+; $bad}"
((d1 > 10 && d2 > 10)); expect "both nodes carry new flows (/v1/stats)" $? "node 1 +$d1, node 2 +$d2"

# --- the same flow, the same backend through either node -----------------
PORTS=$(seq 43000 43023)
ip -n "$LAB_ROUTER_NS" route replace "$VIP/32" via "$N1" dev eth0 >>"$LOG" 2>&1
f2=$(new_flows 1)
mapfile -t via1 < <(requests $PORTS)
((d2 = $(new_flows 1) - f2)) || true
ip -n "$LAB_ROUTER_NS" route replace "$VIP/32" via "$N2" dev eth0 >>"$LOG" 2>&1
f1=$(new_flows 0)
mapfile -t via2 < <(requests $PORTS)
((d1 = $(new_flows 0) - f1)) || true
((d1 == 0 && d2 == 0)); expect "pinned routes: each run crossed only its node" $? "node 1 +$d1 while pinned to node 2, node 2 +$d2 while pinned to node 1"
same=0; distinct=$(printf '%s\n' "${via1[@]}" | awk '{print $2}' | sort -u | grep -c '^be')
printf 'via node 1: %s\n' "${via1[@]}" >>"$LOG"
printf 'via node 2: %s\n' "${via2[@]}" >>"$LOG"
differ=""
for k in "${!via1[@]}"; do
    if [[ ${via1[$k]} == "${via2[$k]}" && ${via1[$k]#* } =~ ^be ]]; then
        same=$((same + 1))
    else  # a different backend, or a request that failed (its errno)
        differ+="; ${via1[$k]} / ${via2[$k]#* }"
    fi
done
((same == 24)); expect "24 5-tuples: the same backend via node 1 and via node 2" $? "$same/24 alike, $distinct backends used${differ}"
((distinct >= 2)); expect "those flows spread over several backends" $? "$distinct"
# The pin is a metric-0 route in front of BIRD's (metric 32): remove it.
ip -n "$LAB_ROUTER_NS" route del "$VIP/32" metric 0 >>"$LOG" 2>&1
ms=$(wait_hops "$BOTH" 100)
expect "router: the ECMP route from BIRD again" $? "${ms} ms"

# --- one document through etcd --------------------------------------------
weight_on() {  # weight_on I: BE2's weight as node I has it in force
    node_get "$1" /v1/services/web-dsr/backends |
        jq -r --arg a "${BE2%:*}" '.backends[] | select(.address == $a) | .weight' 2>/dev/null
}
digest_on() {  # digest_on I: web-dsr's Maglev digest on node I, once fresh
    node_get "$1" /v1/stats |
        jq -r '.services[] | select(.name == "web-dsr") | .maglev | select(.state == "fresh") | .digest' 2>/dev/null
}
t0=$(now_ms)
"$CTL" --socket "$(node_api 0)" backend weight web-dsr "$BE2" 3 >>"$LOG" 2>&1
expect "edgectl backend weight on node 1 (written to etcd)" $?
etcd_ms=-1
for ((t = 0; t < 300; t++)); do
    [[ $(weight_on 1) == 3 ]] && { etcd_ms=$(($(now_ms) - t0)); break; }
    sleep 0.01
done
echo "measure: a change through node 1's API in force on node 2 after ${etcd_ms} ms"
((etcd_ms >= 0 && etcd_ms <= ETCD_BOUND_MS))
expect "the change is in force on node 2 within $ETCD_BOUND_MS ms" $? "${etcd_ms} ms"
node_etcdctl get --print-value-only "${NODE_ETCD_PREFIX}config" | jq -e --arg a "${BE2%:*}" \
    '.services[0].backends[] | select(.address == $a) | .weight == 3' >/dev/null
expect "etcd holds the changed document" $?
for ((t = 0; t < 100; t++)); do
    d1=$(digest_on 0); d2=$(digest_on 1)
    [[ -n $d1 && $d1 == "$d2" ]] && break
    sleep 0.05
done
[[ -n $d1 && $d1 == "$d2" ]]
expect "both nodes publish the same Maglev digest for web-dsr" $? "${d1:-none} / ${d2:-none}"
r=$(node_etcdctl get --print-value-only "${NODE_ETCD_PREFIX}nodes/node1" | jq -r .revision)
[[ -n $r && $r == "$(node_get 1 /v1/stats | jq -r .source.applied_revision)" ]]
expect "node 2 reports its applied revision in etcd (${NODE_ETCD_PREFIX}nodes/node1)" $? "${r:-none}"
c2=$(node_get 1 /v1/config | jq -c '[.node.addresses[0].address, .api.listeners[0].unix]')
[[ $c2 == "[\"$N2\",\"$(node_api 1)\"]" ]]
expect "node 2 keeps its own node address and API socket (node-local sections)" $? "$c2"

# --- the registry in etcd: leases as TTLs ----------------------------------
# Weight 0: a backend in the table that takes no flows, so nothing that
# serves the VIP changes.
reg_api() {  # reg_api I CURL-ARGS...: node I's registry API
    local i=$1
    shift
    curl -s --max-time 5 --unix-socket "$(node_api "$i")" "$@" || true
}
reg_on() {  # reg_on I ID: node I has instance ID in force
    node_get "$1" /v1/config | jq -e --arg i "$2" \
        '[.services[].backends[] | select(.registration.id == $i)] | length == 1' >/dev/null 2>&1
}
reg_body=$(reg_api 0 -H 'Content-Type: application/json' \
    -d '{"address": "10.99.0.19", "port": 80, "weight": 0, "ttl": 2}' \
    http://localhost/v1/registry/services/web-dsr/instances)
reg_id=$(jq -r '.id // empty' <<<"$reg_body" 2>/dev/null)
[[ ${#reg_id} == 16 ]]
expect "an instance registered through node 1" $? "${reg_id:-$reg_body}"
for ((t = 0; t < 100; t++)); do reg_on 1 "$reg_id" && break; sleep 0.02; done
reg_on 1 "$reg_id"
expect "the instance is in node 2's configuration within 2 s" $?
beats=''
for ((t = 0; t < 12; t++)); do
    beats+="$(reg_api 1 -o /dev/null -w '%{http_code}' -X PUT \
        "http://localhost/v1/registry/services/web-dsr/instances/$reg_id/heartbeat") "
    sleep 0.5
done
[[ $beats == "$(printf '200 %.0s' $(seq 12))" ]] && reg_on 0 "$reg_id"
expect "heartbeats through node 2 for 6 s (3 x ttl) keep it on node 1" $? "$beats"
for ((t = 0; t < 80; t++)); do
    ! reg_on 0 "$reg_id" && ! reg_on 1 "$reg_id" && break
    sleep 0.1
done
! reg_on 0 "$reg_id" && ! reg_on 1 "$reg_id"
expect "without heartbeats: gone from both nodes within 2 x ttl + 4 s" $?


# --- drain under wrk -------------------------------------------------------
f1=$(new_flows 0)
ip netns exec "$LAB_CLIENT_NS" wrk -t 2 -c 16 -d 6s --timeout 2s "http://$VIP/" >"$NODE_DIR/wrk.txt" 2>&1 &
WRK_PID=$!
sleep 1.5
d1=$(($(new_flows 0) - f1))
((d1 > 0)); expect "wrk's connections cross node 1 before the drain" $? "+$d1 new flows"
t0=$(now_ms)
out=$("$CTL" --socket "$(node_api 0)" node drain 2>&1)
expect "edgectl node drain (node 1)" $? "$(head -1 <<<"$out")"
drain_ms=-1
t=250
while ((t-- > 0)); do
    [[ $(route_hops) == "$N2 " ]] && { drain_ms=$(($(now_ms) - t0)); break; }
    sleep 0.01
done
echo "measure: VIP withdrawn from the router ${drain_ms} ms after edgectl node drain"
((drain_ms >= 0 && drain_ms <= WITHDRAW_BOUND_MS))
expect "drain withdraws node 1's route within $WITHDRAW_BOUND_MS ms" $? "${drain_ms} ms"
v=$(node_get 0 /v1/node)
[[ $(jq -r '.state' <<<"$v") == drained && $(jq -c '.announced' <<<"$v") == "[]" &&
   $(jq -r '.vips[0].reasons[0]' <<<"$v") == drained ]]
expect "node 1 GET /v1/node: drained, nothing announced, reason drained" $?
"$CTL" --socket "$(node_api 0)" node status | grep -q '^node: drained'
expect "edgectl node status shows drained" $?
wait "$WRK_PID"; WRK_PID=
reqs=$(awk '/requests in/ {print $1}' "$NODE_DIR/wrk.txt")
errs=$(grep -E 'Socket errors|Non-2xx' "$NODE_DIR/wrk.txt" | tr '\n' ' ')
[[ ${reqs:-0} -gt 100 && -z $errs ]]
expect "wrk across the drain: no errors" $? "${reqs:-0} requests${errs:+, $errs}"
d1=$(new_flows 0)
requests $(seq 44000 44039) >/dev/null
((d1 == $(new_flows 0))); expect "no new flow reaches the drained node" $?

t0=$(now_ms)
"$CTL" --socket "$(node_api 0)" node undrain >>"$LOG" 2>&1
expect "edgectl node undrain (node 1)" $?
ms=$(wait_hops "$BOTH" 100)
rc=$?
undrain_ms=$(($(now_ms) - t0))
echo "measure: VIP announced again ${undrain_ms} ms after edgectl node undrain"
((rc == 0 && undrain_ms <= WITHDRAW_BOUND_MS)); expect "undrain: both next hops again within $WITHDRAW_BOUND_MS ms" $? "${undrain_ms} ms"

# --- etcd gone: both nodes forward on the configuration in force ----------
node_etcd_stop
for ((t = 0; t < 100; t++)); do
    [[ $(node_get 1 /v1/stats | jq -r .source.connected) == false ]] && break
    sleep 0.1
done
[[ $(node_get 0 /v1/stats | jq -r .source.connected) == false &&
   $(node_get 1 /v1/stats | jq -r .source.connected) == false ]]
expect "etcd stopped: both nodes report the source disconnected" $?
mapfile -t lines < <(requests $(seq 45000 45039))
good=0
for l in "${lines[@]}"; do [[ ${l#* } =~ ^be[123]$ ]] && good=$((good + 1)); done
((good == 40 && $(weight_on 0) == 3 && $(weight_on 1) == 3))
expect "etcd stopped: 40 of 40 requests answered, both nodes on the last document" $? "$good/40"

# --- the exception path carried it all -------------------------------------
for i in 0 1; do
    tk=$(exc_stat "$i" exception_to_kernel)
    fk=$(exc_stat "$i" exception_from_kernel)
    dr=$(exc_drops "$i")
    ((${tk:-0} > 20 && ${fk:-0} > 20)) && [[ $dr == 0 && $(exc_stat "$i" punted_packets) == 0 ]]
    expect "node $((i + 1)): BGP, BFD, probes and etcd through the exception path, none dropped" $? \
        "exception_to_kernel ${tk:-?}, exception_from_kernel ${fk:-?}, drops ${dr:-?}"
done

# --- SIGTERM: withdraw, then exit after the grace --------------------------
sp=${NODE_SP_PIDS[0]}
t0=$(now_ms)
kill -TERM "$sp"
ms=$(wait_hops "$N2 " 100)
rc=$?
pid_alive "$sp"; alive=$?
((rc == 0 && alive == 0)); expect "SIGTERM: node 1's route withdrawn while its slow path still runs" $? "${ms} ms"
t=100
while pid_alive "$sp" && ((t-- > 0)); do sleep 0.05; done
exit_ms=$(($(now_ms) - t0))
! pid_alive "$sp" && ((exit_ms >= NODE_GRACE_MS))
expect "the slow path exits after the ${NODE_GRACE_MS} ms grace" $? "${exit_ms} ms"
has "inet $N1/" -- ip -n "$(node_ns 0)" -o addr show dev "$LAB_LB_TAP" &&
    birdc -s "$LAB_ROUTER_BIRD_SOCKET" show protocols node1 | grep -q Established
expect "slow path gone: node 1's tap keeps $N1, the router's BGP session to it stays up" $? \
    "$(birdc -s "$LAB_ROUTER_BIRD_SOCKET" show protocols node1 2>&1 | awk 'END {print $4, $5, $6, $7}')"

node_stop_all
[[ $(route_hops) == "" ]]; expect "both nodes stopped: no route left on the router" $? "$(route_hops)"
finish
