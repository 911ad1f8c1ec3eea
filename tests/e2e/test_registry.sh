#!/usr/bin/env bash
# End-to-end test of the service registry in the lab (scripts/lab.sh):
# the real fast path on ep-lb's eth0 (net_af_packet) and the slow path,
# run inside ep-lb. The NAT service web-nat starts with be1 and be2; be3
# registers itself (POST /v1/registry/...) with a 3 s TTL:
#   - it is a backend at once: new connections to the VIP reach it;
#   - a heartbeat renews its TTL and does not rewrite the configuration
#     file; an unknown instance's heartbeat gets 404;
#   - heartbeats stop: at 3 s it is unhealthy (listing) and gets no new
#     flow (its new_flows counter in /v1/stats, and curl never sees be3);
#     at 6 s it is removed from the service and from the file;
#   - registered again, the slow path restarts (SIGTERM, start): the
#     instance is still there, under the same id, healthy with a fresh
#     TTL, and takes new connections;
#   - over mutual TLS: a client with the registry role (api.tls.
#     registry_subjects) registers and beats, and may not read or change
#     the configuration; a reader may list but not register; a service's
#     registry_clients keeps out a registry client it does not list.
# Leaves no lab, process or hugepage file behind. Needs root. Under 60 s.
# Last line: "N passed, N failed".
set -uo pipefail

NAME=test_registry
PREFIX=ep-e2e-registry            # DPDK --file-prefix, unique to this test
E2E_NEEDS="curl python3 timeout md5sum"
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
TTL_MS=3000
SLACK_MS=600                      # scan (100 ms) + republish + polling
e2e_init

# api_code METHOD PATH [BODY]: the status code; the body in $TMP/last
api_code() {
    curl -s --max-time 2 --unix-socket "$API" -o "$TMP/last" -w '%{http_code}' \
        -X "$1" ${3:+-H 'Content-Type: application/json' -d "$3"} "http://edgepath$2"
}
INST=/v1/registry/services/web-nat/instances

# instance_field ID FIELD: a field of the instance in the listing ("" if none)
instance_field() {
    api "$INST" | python3 -c '
import json, sys
try:
    l = json.load(sys.stdin)["instances"]
    print([i for i in l if i["id"] == sys.argv[1]][0][sys.argv[2]])
except Exception:
    print("")' "$1" "$2"
}

# wait_field ID FIELD VALUE MS: ms since the call it took, or fails
wait_field() {
    local t0 end
    t0=$(now_ms); end=$((t0 + $4))
    until [[ $(instance_field "$1" "$2") == "$3" ]]; do
        (($(now_ms) < end)) || return 1
        sleep 0.05
    done
    echo $(($(now_ms) - t0))
}

new_flows() { stats_get svc="$1" be="$2" new_flows; }

VIP=10.99.100.2
BE3=10.99.0.13:80
# seen N: the distinct answers of N new connections to the VIP
seen() {
    ip netns exec ep-client bash -c 'for ((i = 0; i < '"$1"'; i++)); do curl -s --max-time 1 http://'$VIP'/; echo; done' |
        grep -v '^$' | sort -u | tr '\n' ' '
}

restart_slowpath() {
    ip netns exec ep-lb "$SP_BIN" --proc-type=secondary --no-pci \
        --file-prefix="$PREFIX" -l 0 --log-level=error -- --config "$CFG" \
        --status-interval 0 >>"$TMP/slowpath.log" 2>&1 &
    SP_PID=$!
    for ((i = 0; i < 150; i++)); do [[ -S $API ]] && [[ $(api /readyz) == *\"ready\"* ]] && return 0; sleep 0.1; done
    return 1
}

# ===========================================================================
e2e_lab_up

CERTS=$TMP/certs
TLS_PORT=8443
bash "$ROOT/tests/certs/make-certs.sh" "$CERTS" >>"$LOG" 2>&1
expect "test certificates made" $?
python3 - "$ROOT/configs/lab.json" "$API" "$CFG" "$CERTS" "$TLS_PORT" <<'EOF'
import json, sys
src, api, out, certs, port = sys.argv[1:6]
doc = json.load(open(src))
doc["api"] = {"listeners": [{"unix": api},
                            {"address": "127.0.0.1", "port": int(port), "tls": True}],
              "tls": {"certificate": certs + "/server.crt",
                      "private_key": certs + "/server.key",
                      "client_ca": certs + "/ca.crt",
                      "admin_subjects": ["CN=admin,O=edgepath"],
                      "reader_subjects": ["CN=reader,O=edgepath"],
                      "registry_subjects": ["CN=agent,O=edgepath",
                                            "CN=nobody,O=edgepath"]}}
for s in doc["services"]:
    if s["name"] == "web-nat":  # be3 comes by registering
        s["backends"] = [b for b in s["backends"] if b["address"] != "10.99.0.13"]
    if s["name"] == "web-dsr":  # only the agent may register here
        s["registry_clients"] = ["CN=agent,O=edgepath"]
json.dump(doc, open(out, "w"), indent=2)
EOF

e2e_start_lb

s=$(seen 30)
[[ $s == "be1 be2 " ]]
expect "before registering: the NAT VIP reaches be1 and be2 only" $? "$s"

# --- register be3 -----------------------------------------------------------
code=$(api_code POST "$INST" '{"address": "10.99.0.13", "port": 80, "ttl": 3, "weight": 1, "priority": 0, "metadata": {"host": "be3"}}')
ID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$TMP/last" 2>/dev/null)
[[ $code == 201 && $ID =~ ^[0-9a-f]{16}$ ]]
expect "POST registers be3 with a 3 s TTL: 201 and an instance id" $? "$code $ID"
grep -q "$ID" "$CFG"
expect "the registration is persisted in the configuration file" $?
s=$(seen 40)
[[ $s == *be3* ]]
expect "registered, be3 takes new connections" $? "$s"

SUM=$(md5sum <"$CFG")
code=$(api_code PUT "$INST/$ID/heartbeat")
[[ $code == 200 ]]
expect "a heartbeat: 200" $? "$code"
[[ $(md5sum <"$CFG") == "$SUM" ]]
expect "a heartbeat does not rewrite the configuration file" $?
code=$(api_code PUT "$INST/0123456789abcdef/heartbeat")
[[ $code == 404 ]]
expect "the heartbeat of an unknown instance: 404" $? "$code"

# --- heartbeats stop --------------------------------------------------------
sleep 1
api_code PUT "$INST/$ID/heartbeat" >/dev/null
T0=$(now_ms) # the last heartbeat
if dt=$(wait_field "$ID" state unhealthy $((TTL_MS + SLACK_MS))); then
    at=$(($(now_ms) - T0))
    ((at >= TTL_MS - 100))
    expect "no heartbeat: unhealthy at ${at} ms (TTL ${TTL_MS} ms, within +${SLACK_MS})" $?
else
    fail "no heartbeat: not unhealthy within $((TTL_MS + SLACK_MS)) ms"
fi
sleep 0.3 # the republish of the verdict
NF0=$(new_flows web-nat "$BE3")
s=$(seen 30)
NF1=$(new_flows web-nat "$BE3")
[[ -n $NF0 && $NF0 == "$NF1" && $s != *be3* ]]
expect "unhealthy: no new connection reaches be3" $? "new_flows $NF0 -> $NF1, seen $s"
if wait_field "$ID" id "" $((2 * TTL_MS + SLACK_MS)) >/dev/null; then
    at=$(($(now_ms) - T0))
    ((at >= 2 * TTL_MS - 100))
    expect "no heartbeat: removed at ${at} ms (2 x TTL, within +${SLACK_MS})" $?
else
    fail "no heartbeat: not removed within $((2 * TTL_MS + SLACK_MS)) ms"
fi
! grep -q "$ID" "$CFG"
expect "removed from the configuration file too" $?
code=$(api_code PUT "$INST/$ID/heartbeat")
[[ $code == 404 ]]
expect "its heartbeat now gets 404 (register again)" $? "$code"

# --- restart --------------------------------------------------------------
code=$(api_code POST "$INST" '{"address": "10.99.0.13", "port": 80, "ttl": 3}')
ID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$TMP/last" 2>/dev/null)
[[ $code == 201 ]]
expect "registered again: 201" $? "$code $ID"
stop_pid "$SP_PID" 5 TERM
SP_PID=
sleep 2 # longer than half the TTL: a kept deadline would show
restart_slowpath
expect "slow path restarted, API ready" $?
[[ $(instance_field "$ID" state) == healthy ]]
expect "after the restart the instance is there, healthy" $?
left=$(instance_field "$ID" ttl_remaining_ms)
[[ -n $left ]] && ((left > TTL_MS - 1500))
expect "with a fresh TTL" $? "${left} ms left"
code=$(api_code PUT "$INST/$ID/heartbeat")
[[ $code == 200 ]]
expect "its heartbeat: 200" $? "$code"
s=$(seen 40)
[[ $s == *be3* ]]
expect "after the restart be3 takes new connections" $? "$s"

# --- roles over mutual TLS ----------------------------------------------------
# tls_code WHO METHOD PATH [BODY]: the status code over HTTPS as WHO
tls_code() {
    ip netns exec ep-lb curl -s --max-time 3 --cacert "$CERTS/ca.crt" \
        --cert "$CERTS/$1.crt" --key "$CERTS/$1.key" -o "$TMP/last" -w '%{http_code}' \
        -X "$2" ${4:+-H 'Content-Type: application/json' -d "$4"} "https://127.0.0.1:$TLS_PORT$3"
}
code=$(tls_code agent POST "$INST" '{"address": "10.99.0.14", "port": 80, "ttl": 30}')
TID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$TMP/last" 2>/dev/null)
[[ $code == 201 ]]
expect "mTLS: the registry role registers (201)" $? "$code"
code=$(tls_code agent PUT "$INST/$TID/heartbeat")
[[ $code == 200 ]]
expect "mTLS: the registry role's heartbeat (200)" $? "$code"
c1=$(tls_code agent GET /v1/config); c2=$(tls_code agent PUT /v1/config '{}')
[[ $c1 == 403 && $c2 == 403 ]]
expect "mTLS: the registry role may not read or change the configuration (403)" $? "$c1 $c2"
c1=$(tls_code reader GET "$INST"); c2=$(tls_code reader POST "$INST" '{"address": "10.99.0.15", "port": 80}')
[[ $c1 == 200 && $c2 == 403 ]]
expect "mTLS: a reader lists (200) but may not register (403)" $? "$c1 $c2"
c1=$(tls_code nobody POST /v1/registry/services/web-dsr/instances '{"address": "10.99.0.15"}')
c2=$(tls_code agent POST /v1/registry/services/web-dsr/instances '{"address": "10.99.0.15", "port": 80}')
[[ $c1 == 403 && $c2 == 201 ]]
expect "mTLS: registry_clients keeps out an unlisted registry client (403), lets the listed one in (201)" $? "$c1 $c2"

finish
