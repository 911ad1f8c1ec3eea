#!/usr/bin/env bash
# End-to-end test of active health checks in the lab (scripts/lab.sh):
# the real fast path on ep-lb's eth0 (net_af_packet) with its exception
# path (--exception-tap, the tap holding the node address 10.99.0.1) and
# the slow path, run inside ep-lb. ep-lb has no other way out: its probes
# leave by kernel sockets through the tap, the fast path and eth0, and the
# backends' answers come back the same way (the fast path's exception
# counters rise with the probes, nothing is dropped or punted to the slow
# path's ring). A NAT service with a tcp check (interval 1 s, timeout
# 500 ms, fall 3, rise 2):
#   - stop be1's nginx while a curl loop (a new connection each) runs:
#     be1 is down within fall x interval + timeout (+ the republish), the
#     loop's errors all fall inside that window (counted), and be1 gets no
#     new flow afterwards (its new_flows counter in /v1/stats);
#   - GET /v1/services/NAME/backends and /metrics show it down (refused);
#     the configuration file is not rewritten;
#   - stop be2 as well: 1 of 3 healthy is below the 50 % panic threshold,
#     the service shows "panic" and be1/be2 take flows again;
#   - start both again: up after rise x interval (+ one interval of
#     phase), and the loop reaches be1 again.
# Leaves no lab, process or hugepage file behind. Needs root. Last line:
# "N passed, N failed".
set -uo pipefail

NAME=test_health
PREFIX=ep-e2e-health              # DPDK --file-prefix, unique to this test
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
CURL_TIMEOUT=1
INTERVAL_MS=1000
TIMEOUT_MS=500
FALL=3
RISE=2
REPUBLISH_MS=500                  # slack: apply to the fast path, loop wait
NODE_IP=10.99.0.1                 # the node address: the tap holds it
LOOP_PID=
e2e_extra_cleanup() { stop_pid "$LOOP_PID" 5 TERM; }
e2e_init

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
new_flows() { stats_get "svc=$1" "be=$2" new_flows; }

# exc_counts: the exception path's counters, "to_kernel from_kernel"
exc_counts() {
    echo "$(stats_get counters exception_to_kernel) $(stats_get counters exception_from_kernel)"
}

# exc_drops: the exception path's drops (budgets and rings), summed
exc_drops() {
    api /v1/stats | python3 -c '
import json, sys
try:
    d = json.load(sys.stdin)
    print(sum(d["drops"][k] for k in ("exception_rate", "exception_rate_source",
          "exception_rate_neighbour", "exception_ring_full")) +
          d["exception_tap_tx_drops"] + d["exception_tap_rx_drops"])
except Exception:
    print("")'
}

# ===========================================================================
e2e_lab_up
# The slow path's network is the fast path's exception tap: ep-lb's eth0
# belongs to the fast path (no address, the kernel kept off it by the lab).
e2e_exception_tap "$NODE_IP/24"

python3 - "$ROOT/configs/lab.json" "$API" "$CFG" "$INTERVAL_MS" "$TIMEOUT_MS" "$FALL" "$RISE" <<'EOF'
import json, sys
src, api, out = sys.argv[1:4]
interval, timeout, fall, rise = map(int, sys.argv[4:8])
doc = json.load(open(src))
doc["api"] = {"listeners": [{"unix": api}]}
for s in doc["services"]:
    if s["name"] == "web-nat":
        s["health_check"] = {"type": "tcp", "interval_ms": interval,
                             "timeout_ms": timeout, "fall": fall, "rise": rise}
    if s["name"] == "web-dsr":
        s["health_check"] = {"type": "http", "path": "/",
                             "expect_status": "200", "body_contains": "be"}
json.dump(doc, open(out, "w"), indent=2)
EOF
CFG_SUM=$(md5sum <"$CFG")

e2e_start_lb

VIP=10.99.100.2
BE1=10.99.0.11:80
BE2=10.99.0.12:80
# warm-up: ARP of the backends; every backend answers
seen=$(ip netns exec ep-client bash -c 'for ((i = 0; i < 40; i++)); do curl -s --max-time 2 http://'$VIP'/; done' | sort -u | tr '\n' ' ')
[[ $seen == "be1 be2 be3 " ]]
expect "warm-up: the NAT VIP reaches be1, be2, be3" $? "$seen"
t=$(wait_health web-nat "$BE1" last_result ok 3000)
expect "tcp check of be1 ran: up, last result ok" $? "after ${t:-?} ms"
t=$(wait_health web-dsr 10.99.0.11:0 last_result ok 3000)
expect "http check (status 200, body \"be\") of the DSR service: ok" $?

# --- the probes cross the exception path -------------------------------------
# 6 checks a second (3 backends x 2 services), each at least a SYN-ACK in
# and a SYN and an ACK out: over 2 s, at least 10 each way.
read -r TK0 FK0 <<<"$(exc_counts)"
sleep 2
read -r TK1 FK1 <<<"$(exc_counts)"
((TK1 - TK0 >= 10 && FK1 - FK0 >= 10))
expect "the probes cross the exception path (2 s: exception_to_kernel +$((TK1 - TK0)), exception_from_kernel +$((FK1 - FK0)))" $?
[[ $(stats_get counters punted_packets) == 0 ]]
expect "nothing for the node went over the slow path's punt ring (punted_packets 0)" $?

# --- the curl loop: a new connection each, until $TMP/loop.stop -----------
ip netns exec ep-client bash -c '
    while [[ ! -e $1/loop.stop ]]; do
        t=${EPOCHREALTIME/./}
        if b=$(curl -s --max-time '"$CURL_TIMEOUT"' http://'$VIP'/); then r=$b; else r=ERR$?; fi
        e=${EPOCHREALTIME/./}
        echo "$((t / 1000)) $r $((e / 1000))"
    done >"$1/loop.out"' loop "$TMP" &
LOOP_PID=$!
sleep 1.5

# --- stop be1's nginx -------------------------------------------------------
# the window opens with the signal: nginx refuses from then on, and
# nginx_stop returns only once the process has gone (100 ms polls)
T_STOP=$(now_ms)
nginx_stop ep-be1
expect "be1's nginx stopped" $?
BOUND=$((FALL * INTERVAL_MS + TIMEOUT_MS + REPUBLISH_MS))
t=$(wait_health web-nat "$BE1" state down $((BOUND + 2000)))
rc=$?
T_DOWN=$(now_ms)
expect "be1 down by its check within fall x interval + timeout + ${REPUBLISH_MS} ms ($BOUND ms)" \
    "$([[ $rc == 0 ]] && ((t <= BOUND)) && echo 0 || echo 1)" "${t:-never} ms"
[[ $(be_health web-nat "$BE1" reason) == refused ]]
expect "reason: refused" $?
[[ $(be_health web-nat - state) == ok && $(be_health web-nat - healthy) == 2 ]]
expect "service web-nat: ok, 2 healthy" $?
has "^edgepath_backend_health_up{service=\"web-nat\",backend=\"$BE1\"} 0" -- api /metrics
expect "/metrics: edgepath_backend_health_up of be1 is 0" $?
has -E '^edgepath_health_transitions_down_total [1-9]' -- api /metrics
expect "/metrics: a down transition counted" $?
sleep 0.3  # flows started before the fast path had the change
NF_DOWN=$(new_flows web-nat "$BE1")
sleep 3
NF_LATER=$(new_flows web-nat "$BE1")
[[ -n $NF_DOWN && $NF_DOWN == "$NF_LATER" ]]
expect "no new flow reaches be1 after it is down" $? "new_flows $NF_DOWN -> $NF_LATER"

# --- panic: be2 down too, 1 of 3 healthy < 50 % -----------------------------
T_STOP2=$(now_ms)
nginx_stop ep-be2
t=$(wait_health web-nat - state panic $((BOUND + 2000)))
expect "be2 stopped too: service web-nat in panic (1 of 3 healthy)" $? "${t:-never} ms"
sleep 0.5
NF_P0=$(new_flows web-nat "$BE1")
sleep 2
NF_P1=$(new_flows web-nat "$BE1")
[[ -n $NF_P0 && $NF_P1 -gt $NF_P0 ]]
expect "in panic, be1 takes new flows again" $? "new_flows $NF_P0 -> $NF_P1"
has '^edgepath_service_health_panic{service="web-nat"} 1' -- api /metrics
expect "/metrics: edgepath_service_health_panic of web-nat is 1" $?

# --- start both again --------------------------------------------------------
nginx_start ep-be2 && nginx_start ep-be1
expect "nginx of be1 and be2 started again" $?
T_START=$(now_ms)
UP_BOUND=$(((RISE + 1) * INTERVAL_MS + REPUBLISH_MS))
t=$(wait_health web-nat "$BE1" state up $((UP_BOUND + 2000)))
rc=$?
expect "be1 up within (rise + 1) x interval + ${REPUBLISH_MS} ms ($UP_BOUND ms)" \
    "$([[ $rc == 0 ]] && ((t <= UP_BOUND)) && echo 0 || echo 1)" "${t:-never} ms"
t=$(wait_health web-nat - state ok 3000)
expect "service web-nat out of panic" $?
sleep 2
touch "$TMP/loop.stop"
wait "$LOOP_PID" 2>/dev/null
LOOP_PID=

# --- what the loop saw ------------------------------------------------------
total=$(grep -c . "$TMP/loop.out")
errs=$(grep -c ' ERR' "$TMP/loop.out")
# errors between the stop and be1's down (+ the republish)
win_end=$((T_DOWN + REPUBLISH_MS))
# (a line is: start ms, answer, end ms; a request is in the window when
# it was still running at the stop or started before the window's end)
in_win=$(awk -v a="$T_STOP" -v b="$win_end" '$2 ~ /^ERR/ && $3 >= a && $1 <= b' "$TMP/loop.out" | wc -l)
after=$(awk -v c="$T_START" -v u="$UP_BOUND" '$2 ~ /^ERR/ && $1 > c + u' "$TMP/loop.out" | wc -l)
be1_back=$(awk -v c="$T_START" -v u="$UP_BOUND" '$2 == "be1" && $1 > c + u' "$TMP/loop.out" | wc -l)
echo "curl loop: $total requests, $errs errors; $in_win between the stop of be1 and its down (+${REPUBLISH_MS} ms), $after after be1 and be2 were back"
((errs > 0 && in_win > 0))
expect "the loop saw errors while be1 was stopped but not yet down" $? "$in_win"
# before be2's stop, errors only in that window
before_p=$(awk -v a="$T_STOP" -v b="$win_end" -v d="$T_STOP2" '$2 ~ /^ERR/ && ($3 < a || ($1 > b && $3 < d))' "$TMP/loop.out" | wc -l)
((before_p == 0))
expect "no error outside that window (before the panic step)" $? "$before_p"
((before_p == 0)) || echo "# stop $T_STOP, window end $win_end; outside: $(awk -v a="$T_STOP" -v b="$win_end" \
    -v d="$T_STOP2" '$2 ~ /^ERR/ && ($3 < a || ($1 > b && $3 < d))' "$TMP/loop.out" | tr '\n' ';')"
((after == 0 && be1_back > 0))
expect "after the restart: no error, be1 answers again" $? "errors $after, be1 $be1_back"
[[ $(md5sum <"$CFG") == "$CFG_SUM" ]]
expect "the configuration file is not rewritten by health changes" $?
grep -q "health: web-nat 10.99.0.11:80 down (refused" "$TMP/slowpath.log"
expect "the slow path logs the transition" $?
read -r TK2 FK2 <<<"$(exc_counts)"
((TK2 > TK1 && FK2 > FK1))
expect "the exception path carried the probes to the end (exception_to_kernel $TK2, exception_from_kernel $FK2)" $?
d=$(exc_drops)
[[ $d == 0 ]]
expect "the exception path dropped none of the node's packets (budgets, rings, tap)" $? "${d:-?}"
finish
