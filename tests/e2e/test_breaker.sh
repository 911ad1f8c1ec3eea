#!/usr/bin/env bash
# End-to-end test of passive outlier ejection in the lab (scripts/lab.sh):
# the real fast path on ep-lb's eth0 (net_af_packet) and the slow path,
# a NAT service with no active checks and "outlier_detection"
# (consecutive_failures 3, base_ejection_ms 5000, max_ejection_ms 7000,
# half_open_flows 1, max_ejection_percent the default 10: one of three).
# be1 refuses with TCP resets (an nft rule in its namespace) while a curl
# loop (a new connection each) runs:
#   - be1 is ejected (open) after its failures: the fast path counted the
#     resets, and no new flow reaches it while it is open;
#   - after base_ejection_ms it is half open, admits one flow, which is
#     refused again: open once more (2 ejections), for 2 x 5 s capped to
#     7 s; only one of the three backends is ever out;
#   - the rule removed, the next half-open flow succeeds: closed, and the
#     loop reaches be1 again. /metrics and `edgectl backends` show it.
# Then priority tiers (config.md, "Priority tiers"): a new document puts
# be3 in tier 1 (max_ejection_percent 70: two of three); be1 and be2
# both refusing are ejected, and new connections all go to be3 (an
# ejection is "not healthy" for the tier plan); the rules removed, both
# close again through half open and tier 0 takes every new connection.
# Leaves no lab, process, nft table or hugepage file behind. Needs root.
# Last line: "N passed, N failed".
set -uo pipefail

NAME=test_breaker
PREFIX=ep-e2e-breaker             # DPDK --file-prefix, unique to this test
E2E_NEEDS="curl python3 timeout nft"
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
CURL_TIMEOUT=1
CONSECUTIVE=3
BASE_MS=5000
MAX_MS=7000
HO_TIMEOUT_MS=2000
MAX_ERRS=20                       # the first run, two half-open probes, in-flight
LOOP_PID=
e2e_extra_cleanup() {
    stop_pid "$LOOP_PID" 5 TERM
    ip netns exec ep-be1 nft delete table inet brk >/dev/null 2>&1 || true
    ip netns exec ep-be2 nft delete table inet brk >/dev/null 2>&1 || true
}
e2e_init

# be_stat SERVICE ID COUNTER: a backend counter from /v1/stats
be_stat() { stats_get "svc=$1" "be=$2" "$3"; }

# be_outlier SERVICE ADDR:PORT FIELD: a field of that backend's breaker
be_outlier() {
    api "/v1/services/$1/backends" | python3 -c '
import json, sys
try:
    h = json.load(sys.stdin)["outlier"]
    print([b for b in h["backends"] if b["id"] == sys.argv[2]][0][sys.argv[3]])
except Exception:
    print("")' "$1" "$2" "$3"
}

# wait_outlier SERVICE ID FIELD VALUE MS: wall-clock ms it took, or fails
wait_outlier() {
    local t0 end
    t0=$(now_ms); end=$((t0 + $5))
    until [[ $(be_outlier "$1" "$2" "$3") == "$4" ]]; do
        (($(now_ms) < end)) || return 1
        sleep 0.05
    done
    echo $(($(now_ms) - t0))
}

# ===========================================================================
e2e_lab_up

python3 - "$ROOT/configs/lab.json" "$API" "$CFG" "$CONSECUTIVE" "$BASE_MS" "$MAX_MS" "$HO_TIMEOUT_MS" <<'EOF'
import json, sys
src, api, out = sys.argv[1:4]
consec, base, mx, hot = map(int, sys.argv[4:8])
doc = json.load(open(src))
doc["api"] = {"listeners": [{"unix": api}]}
for s in doc["services"]:
    s.pop("health_check", None)
    if s["name"] == "web-nat":
        s["outlier_detection"] = {"consecutive_failures": consec,
                                  "base_ejection_ms": base,
                                  "max_ejection_ms": mx,
                                  "half_open_flows": 1,
                                  "half_open_timeout_ms": hot}
json.dump(doc, open(out, "w"), indent=2)
EOF

e2e_start_lb

VIP=10.99.100.2
BE1=10.99.0.11:80
seen=$(ip netns exec ep-client bash -c 'for ((i = 0; i < 40; i++)); do curl -s --max-time 2 http://'$VIP'/; done' | sort -u | tr '\n' ' ')
[[ $seen == "be1 be2 be3 " ]]
expect "warm-up: the NAT VIP reaches be1, be2, be3" $? "$seen"
[[ $(be_outlier web-nat "$BE1" state) == closed ]]
expect "be1's breaker is closed" $?
S0=$(be_stat web-nat "$BE1" outlier_successes)
((${S0:-0} > 0))
expect "the fast path counted be1's SYN-ACKs as successes" $? "$S0"

# --- the curl loop: a new connection each, until $TMP/loop.stop -----------
ip netns exec ep-client bash -c '
    while [[ ! -e $1/loop.stop ]]; do
        t=${EPOCHREALTIME/./}
        if b=$(curl -s --max-time '"$CURL_TIMEOUT"' http://'$VIP'/); then r=$b; else r=ERR$?; fi
        e=${EPOCHREALTIME/./}
        echo "$((t / 1000)) $r $((e / 1000))"
        sleep 0.02
    done >"$1/loop.out"' loop "$TMP" &
LOOP_PID=$!
sleep 1

# --- be1 refuses with TCP resets ---------------------------------------------
ip netns exec ep-be1 nft -f - <<'EOF'
table inet brk {
    chain in {
        type filter hook input priority 0;
        tcp dport 80 reject with tcp reset
    }
}
EOF
expect "be1 refuses port 80 with TCP resets (nft table inet brk)" $?
t=$(wait_outlier web-nat "$BE1" state open 10000)
expect "be1 ejected (open) after its failures" $? "${t:-never} ms"
T_OPEN=$(now_ms)
R=$(be_stat web-nat "$BE1" outlier_resets)
((${R:-0} >= CONSECUTIVE))
expect "the fast path counted be1's resets (>= $CONSECUTIVE)" $? "outlier_resets $R"
[[ $(be_outlier web-nat "$BE1" ejections) == 1 ]]
expect "1 ejection" $?
has "^edgepath_backend_breaker_state{service=\"web-nat\",backend=\"$BE1\"} 1" -- api /metrics
expect "/metrics: edgepath_backend_breaker_state of be1 is 1 (open)" $?
[[ $(be_stat web-nat "$BE1" breaker_state) == open && $(be_stat web-nat "$BE1" ejections) == 1 ]]
expect "/v1/stats: be1 breaker_state open, 1 ejection" $?
sleep 0.3  # flows started before the fast path had the change
NF0=$(be_stat web-nat "$BE1" new_flows)
sleep 2
NF1=$(be_stat web-nat "$BE1" new_flows)
st=$(be_outlier web-nat "$BE1" state)
# (still open with one ejection: the window ended before its half-open turn)
[[ -n $NF0 && $NF0 == "$NF1" && $st == open && $(be_outlier web-nat "$BE1" ejections) == 1 ]]
expect "no new flow reaches be1 while it is open" $? "new_flows $NF0 -> $NF1, $st"

# --- half open: one flow admitted, refused again: open, 2 ejections ----------
t=$(wait_outlier web-nat "$BE1" ejections 2 $((BASE_MS + 4000)))
rc=$?
T_OPEN2=$(now_ms)
expect "after base_ejection_ms: half open, its flow refused, open again" $rc "${t:-never} ms"
grep -q "breaker: web-nat 10.99.0.11:80 half_open" "$TMP/slowpath.log"
expect "the slow path logged the half-open state" $?
[[ $(be_outlier web-nat "$BE1" state) == open ]]
expect "be1 open for the second time" $?
ms=$(be_outlier web-nat "$BE1" ms_until_half_open)
((${ms:-0} > BASE_MS && ${ms:-0} <= MAX_MS))
expect "second ejection: 2 x base capped to max_ejection_ms" $? "${ms} ms left"
for be in 10.99.0.12:80 10.99.0.13:80; do
    [[ $(be_outlier web-nat "$be" state) == closed ]]
    expect "max_ejection_percent: $be stays closed" $?
done

# --- be1 recovers --------------------------------------------------------------
ip netns exec ep-be1 nft delete table inet brk
expect "nft rule removed: be1 answers again" $?
T_FIX=$(now_ms)
t=$(wait_outlier web-nat "$BE1" state closed $((MAX_MS + 4000)))
expect "be1 closed again after a half-open success" $? "${t:-never} ms"
T_CLOSED=$(now_ms)
sleep 2
touch "$TMP/loop.stop"
wait "$LOOP_PID" 2>/dev/null
LOOP_PID=

# --- what the loop saw ------------------------------------------------------
total=$(grep -c . "$TMP/loop.out")
errs=$(grep -c ' ERR' "$TMP/loop.out")
# errors while be1 was open: from 300 ms after the first ejection until
# shortly before its half-open turn, and from 300 ms after the second
# ejection to the fix
open_errs=$(awk -v a="$((T_OPEN + 300))" -v b="$((T_OPEN + BASE_MS - 1000))" \
    -v c="$((T_OPEN2 + 300))" -v d="$T_FIX" \
    '$2 ~ /^ERR/ && (($1 >= a && $3 <= b) || ($1 >= c && $3 <= d))' "$TMP/loop.out" | wc -l)
be1_back=$(awk -v c="$T_CLOSED" '$2 == "be1" && $1 > c' "$TMP/loop.out" | wc -l)
echo "curl loop: $total requests, $errs errors, $open_errs while be1 was open"
((errs > 0 && errs <= MAX_ERRS))
expect "errors only around the ejections (at most $MAX_ERRS; be1 had a third of the loop)" $? "$errs"
((open_errs == 0))
expect "no error while be1 was open" $? "$open_errs"
((be1_back > 0))
expect "after it closed, the loop reaches be1 again" $? "$be1_back"
out=$(ip netns exec ep-lb "$ROOT/build/slowpath/edgectl" --socket "$API" backends web-nat 2>&1)
grep -qE "^10\.99\.0\.11:80 +closed +2 " <<<"$out"
expect "edgectl backends: be1 closed, 2 ejections" $? "$(grep -m1 -E '^10\.99\.0\.11:80 +(closed|open|half_open)' <<<"$out")"

# --- priority tiers: ejecting all of tier 0 moves new flows to tier 1 ---------
BE2=10.99.0.12:80
BE3=10.99.0.13:80
TIER_BASE_MS=5000
python3 - "$CFG" "$TMP/tiers.json" "$TIER_BASE_MS" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
base = int(sys.argv[3])
for s in doc["services"]:
    if s["name"] == "web-nat":
        s["outlier_detection"] = {"consecutive_failures": 2,
                                  "base_ejection_ms": base,
                                  "max_ejection_ms": base,
                                  "max_ejection_percent": 70,
                                  "half_open_flows": 1}
        for b in s["backends"]:
            if b["address"].endswith(".13"):
                b["priority"] = 1
json.dump(doc, open(sys.argv[2], "w"), indent=2)
EOF
code=$(curl -s --max-time 5 --unix-socket "$API" -o "$TMP/put.out" -w '%{http_code}' \
    -X PUT -H 'Content-Type: application/json' --data-binary @"$TMP/tiers.json" \
    http://edgepath/v1/config)
[[ $code == 200 ]]
expect "PUT /v1/config: be3 in tier 1, max_ejection_percent 70" $? "$code $(head -c 200 "$TMP/put.out")"
sleep 0.5

# tier_load PRIORITY: that tier's load_percent of web-nat
tier_load() {
    api /v1/services/web-nat/backends | python3 -c '
import json, sys
try:
    t = json.load(sys.stdin)["health"]["tiers"]
    print([x for x in t if x["priority"] == int(sys.argv[1])][0]["load_percent"])
except Exception:
    print("")' "$1"
}
# answers N: N new connections to the VIP, one answer (or ERR) a line
answers() {
    ip netns exec ep-client bash -c 'for ((i = 0; i < '"$1"'; i++)); do curl -s --max-time 1 http://'$VIP'/ || echo ERR; done'
}
# both_are STATE: be1's and be2's breakers are both in STATE
both_are() {
    [[ $(be_outlier web-nat "$BE1" state) == "$1" && $(be_outlier web-nat "$BE2" state) == "$1" ]]
}
seen=$(answers 20 | sort | uniq -c | tr -s ' \n' ' ')
[[ $seen == *be1* && $seen == *be2* && $seen != *be3* && $seen != *ERR* ]]
expect "tiers: new connections reach be1 and be2, not be3 (tier 1)" $? "$seen"
rc=0
for ns in ep-be1 ep-be2; do
    ip netns exec "$ns" nft -f - <<'EOF' || rc=1
table inet brk {
    chain in {
        type filter hook input priority 0;
        tcp dport 80 reject with tcp reset
    }
}
EOF
done
expect "be1 and be2 refuse port 80 with TCP resets" $rc
# connections until both are open (each refused one is a failure)
end=$(($(now_ms) + 10000))
until both_are open || (($(now_ms) >= end)); do
    answers 2 >/dev/null
done
both_are open
expect "be1 and be2 (all of tier 0) ejected: 2 of 3, max_ejection_percent 70" $? \
    "$(be_outlier web-nat "$BE1" state) $(be_outlier web-nat "$BE2" state)"
[[ $(tier_load 0) == 0 && $(tier_load 1) == 100 ]]
expect "API: tier 0 0 %, tier 1 100 % (ejected backends are not healthy)" $? "$(tier_load 0) / $(tier_load 1)"
sleep 0.3  # flows started before the fast path had the change
seen=$(answers 10 | sort | uniq -c | tr -s ' \n' ' ')
# (checked while both are still open: their half-open turn is TIER_BASE_MS on)
st="$(be_outlier web-nat "$BE1" state) $(be_outlier web-nat "$BE2" state)"
[[ $seen == " 10 be3 " && $st == "open open" ]]
expect "tier 0 ejected: all 10 new connections go to be3" $? "$seen; $st"
ip netns exec ep-be1 nft delete table inet brk && ip netns exec ep-be2 nft delete table inet brk
expect "nft rules removed: be1 and be2 answer again" $?
# connections until both closed: half open admits, the trial flow succeeds
end=$(($(now_ms) + TIER_BASE_MS + 8000))
until both_are closed || (($(now_ms) >= end)); do
    answers 2 >/dev/null
    sleep 0.1
done
both_are closed
expect "be1 and be2 closed again through half open" $? \
    "$(be_outlier web-nat "$BE1" state) $(be_outlier web-nat "$BE2" state)"
sleep 0.3
NF3=$(be_stat web-nat "$BE3" new_flows)
seen=$(answers 20 | sort | uniq -c | tr -s ' \n' ' ')
[[ $seen == *be1* && $seen == *be2* && $seen != *be3* && $seen != *ERR* ]]
expect "tier 0 back: new connections reach be1 and be2, not be3" $? "$seen"
[[ $(be_stat web-nat "$BE3" new_flows) == "$NF3" && $(tier_load 0) == 100 ]]
expect "be3 got no new flow since; API: tier 0 at 100 %" $?
finish
