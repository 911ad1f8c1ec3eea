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
#   - the same over IPv6: a NAT service web6-nat (fd99:100::2, added to
#     the lab's configuration) with "syn_proxy": true, curl -6 from the
#     client's IPv6 NAT source;
#   - a spoofed-source SYN flood (hping3 --flood --rand-source, bounded
#     by `timeout`) at the VIP while wrk runs: wrk keeps working (no
#     error), the flood is answered with cookies (counted), and it makes
#     no connection entries (ct_inserts grows by wrk's connections only);
#   - ACKs with made-up cookies (hping3 -A) are dropped and counted.
# Leaves no lab, process or hugepage file behind. Needs root and hping3
# (scripts/setup.sh). Last line: "N passed, N failed".
set -uo pipefail

NAME=test_synproxy
PREFIX=ep-e2e-synproxy            # DPDK --file-prefix, unique to this test
E2E_NEEDS="hping3 wrk curl python3 timeout"
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
CURL_TIMEOUT=3
N_CURL=40
WRK_S=4
FLOOD_S=5                         # hping3 runs this long (timeout)
VIP=10.99.100.2
VIP6=fd99:100::2
SECRET=00112233445566778899aabbccddeeff
WRK_PID=
e2e_extra_cleanup() { stop_pid "$WRK_PID" 5 TERM; }
e2e_init

# stat KIND NAME: a worker counter (KIND counters|drops) or, with KIND
# svc, a counter of web-nat, from /v1/stats; empty if none.
stat() {
    if [[ $1 == svc ]]; then stats_get svc=web-nat "$2"; else stats_get "$1" "$2"; fi
}

# ===========================================================================
e2e_lab_up

python3 - "$ROOT/configs/lab.json" "$API" "$CFG" "$SECRET" "$VIP6" <<'EOF'
import json, sys
src, api, out, secret, vip6 = sys.argv[1:6]
doc = json.load(open(src))
doc["api"] = {"listeners": [{"unix": api}]}
for s in doc["services"]:
    if s["name"] == "web-nat":
        s["syn_proxy"] = True
doc["services"].append({
    "name": "web6-nat", "vip": vip6, "port": 80, "protocol": "tcp",
    "forwarding": "nat", "scheduler": "maglev", "syn_proxy": True,
    "backends": [{"address": "fd99::1%d" % i, "port": 80} for i in (1, 2, 3)]})
doc["policing"] = {"syn_cookie": {"secret": secret}}
json.dump(doc, open(out, "w"), indent=2)
EOF

e2e_start_lb
has '"syn_proxy":true' -- api /v1/services
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
has -E '^edgepath_service_syn_proxy_established_total\{service="web-nat"\} [1-9]' -- api /metrics
expect "/metrics: edgepath_service_syn_proxy_established_total of web-nat" $?

# --- the same over IPv6 ------------------------------------------------------
out=$(ip netns exec ep-client bash -c 'for ((i = 0; i < '$N_CURL'; i++)); do curl -s -6 --max-time '$CURL_TIMEOUT' "http://['$VIP6']/" || echo "ERR $?"; done')
n_ok=$(grep -cE '^be[123]$' <<<"$out")
seen=$(grep -E '^be[123]$' <<<"$out" | sort -u | tr '\n' ' ')
echo "curl -6: $n_ok of $N_CURL answered, backends $seen; $(grep -c ERR <<<"$out") errors" >>"$LOG"
((n_ok == N_CURL))
expect "curl -6 through the IPv6 syn_proxy VIP: $N_CURL of $N_CURL answered" $? "$n_ok, backends $seen"
sent=$(stats_get svc=web6-nat syn_cookie_sent)
est=$(stats_get svc=web6-nat syn_proxy_established)
((${sent:-0} >= N_CURL && ${est:-0} >= N_CURL))
expect "IPv6 counted: syn_cookie_sent >= $N_CURL, syn_proxy_established >= $N_CURL" $? "sent ${sent:-?}, established ${est:-?}"

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
