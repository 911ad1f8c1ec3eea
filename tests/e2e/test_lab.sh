#!/usr/bin/env bash
# End-to-end test of scripts/lab.sh: up, reachability (IPv4 and IPv6),
# status, down leaves nothing behind, up twice (crash recovery), down twice,
# down with a half-built lab. Needs root. Last line: "N passed, N failed".
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LAB=$ROOT/scripts/lab.sh
LAB_TIMEOUT=120          # seconds, any single lab.sh invocation
CURL_TIMEOUT=2
LAB_NS=(ep-sw ep-client ep-lb ep-be1 ep-be2 ep-be3)
BE_NAMES=(be1 be2 be3)
BE_IPS=(10.99.0.11 10.99.0.12 10.99.0.13)
BE_IP6S=(fd99::11 fd99::12 fd99::13)
LAB_VETH_RE='^(ve-(lb|client|be[0-9]+)|br0)$'
LOG=$(mktemp /tmp/test_lab.XXXXXX.log)

passed=0
failed=0
ok()   { passed=$((passed + 1)); printf 'ok   %s\n' "$*"; }
fail() { failed=$((failed + 1)); printf 'FAIL %s\n' "$*"; }
check() {  # check "description" cmd args...
    local what=$1; shift
    if "$@" >>"$LOG" 2>&1; then ok "$what"; else fail "$what"; fi
}

lab() { timeout "$LAB_TIMEOUT" "$LAB" "$@"; }

cleanup() { timeout "$LAB_TIMEOUT" "$LAB" down >/dev/null 2>&1 || true; }
trap cleanup EXIT

if [[ $(id -u) -ne 0 ]]; then
    echo "test_lab.sh: must run as root (it builds network namespaces)" >&2
    echo "0 passed, 1 failed"
    exit 1
fi
[[ -x $LAB ]] || { echo "test_lab.sh: $LAB not found or not executable" >&2; echo "0 passed, 1 failed"; exit 1; }

curl_is() {  # curl_is URL EXPECTED: from ep-client
    local body
    body=$(ip netns exec ep-client curl -s --max-time "$CURL_TIMEOUT" "$1") || return 1
    [[ $body == "$2" ]]
}

no_lab_ns() { ! ip netns list | awk '{print $1}' | grep -q '^ep-'; }
alive() {  # running and not a zombie
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    [[ ${stat:0:1} != Z ]]
}

# PIDs seen inside lab namespaces while a lab was up (nginx masters and
# workers); none may survive a down.
SEEN_PIDS=()
record_pids() {
    local ns
    for ns in "${LAB_NS[@]}"; do
        mapfile -t -O "${#SEEN_PIDS[@]}" SEEN_PIDS < <(ip netns pids "$ns" 2>/dev/null || true)
    done
}
no_lab_nginx() {
    local p
    pgrep -f 'nginx.*/run/edgepath-lab/' >/dev/null && return 1
    for p in "${SEEN_PIDS[@]}"; do
        alive "$p" && return 1
    done
    return 0
}
no_lab_veth() {  # in the root namespace: no lab-named link at all
    ! ip -o link show | awk -F': ' '{sub(/@.*/, "", $2); print $2}' | grep -Eq "$LAB_VETH_RE"
}
no_lab_dir() { [[ ! -e /run/edgepath-lab ]]; }

check_reach() {  # check_reach LABEL
    local i
    for i in "${!BE_NAMES[@]}"; do
        check "$1: ${BE_NAMES[$i]} answers on ${BE_IPS[$i]}" curl_is "http://${BE_IPS[$i]}/" "${BE_NAMES[$i]}"
        check "$1: ${BE_NAMES[$i]} answers on [${BE_IP6S[$i]}]" curl_is "http://[${BE_IP6S[$i]}]/" "${BE_NAMES[$i]}"
    done
}

check_gone() {  # check_gone LABEL
    check "$1: no ep-* namespace" no_lab_ns
    check "$1: no lab nginx process" no_lab_nginx
    check "$1: no lab veth/bridge in root namespace" no_lab_veth
    check "$1: /run/edgepath-lab removed" no_lab_dir
}

env_ok() {
    local out
    out=$(lab env) || return 1
    (
        set +u
        eval "$out"
        [[ $LAB_LB_NS == ep-lb && $LAB_LB_IF == eth0 && $LAB_NODE_IP == 10.99.0.1 &&
           $LAB_VIP_DSR == 10.99.100.1 && $LAB_VIP_NAT == 10.99.100.2 &&
           $LAB_VIP6_DSR == fd99:100::1 && $LAB_CLIENT_NS == ep-client &&
           $LAB_BACKENDS == "10.99.0.11 10.99.0.12 10.99.0.13" &&
           $LAB_LB_MAC =~ ^([0-9a-f]{2}:){5}[0-9a-f]{2}$ &&
           $LAB_CLIENT_MAC =~ ^([0-9a-f]{2}:){5}[0-9a-f]{2}$ &&
           $(wc -w <<<"$LAB_BACKEND_MACS") -eq 3 ]]
    )
}

lb_if_bare() {  # ep-lb/eth0: up, promiscuous, no IPv4/IPv6 address
    ip -n ep-lb link show dev eth0 | grep -q 'PROMISC' &&
    ip -n ep-lb link show dev eth0 | grep -q 'state UP' &&
    ! ip -n ep-lb addr show dev eth0 | grep -q 'inet'
}

env_tap() { [[ $(lab env | sed -n 's/^LAB_LB_TAP=//p') == eptap0 ]]; }

# ep-lb/eth0 kept from the kernel for the exception tap (exc_kernel_off):
# no ARP, and an nftables rule drops its IP input.
lb_if_kernel_off() {
    local rules
    ip -n ep-lb link show dev eth0 | grep -q 'NOARP' || return 1
    rules=$(ip netns exec ep-lb nft list chain inet exc input 2>/dev/null) || return 1
    grep -q 'iifname "eth0" drop' <<<"$rules"
}

offloads_off() {  # every veth end in ep-sw and the client/LB ends
    local ns dev
    for ns in ep-sw ep-lb ep-client; do
        for dev in $(ip -n "$ns" -o link show type veth | awk -F': ' '{sub(/@.*/, "", $2); print $2}'); do
            ip netns exec "$ns" ethtool -k "$dev" |
                grep -E '^(rx-checksumming|tx-checksumming|tcp-segmentation-offload|generic-segmentation-offload|generic-receive-offload): on' &&
                return 1
        done
    done
    return 0
}

status_fails() { ! lab status; }

# Run from a clean state.
lab down >>"$LOG" 2>&1 || true

# 1. up, reachability, status, env
check "up" lab up
record_pids
check_reach "after up"
check "status exits 0" lab status
check "env is sourceable and complete" env_ok
check "ep-lb/eth0 up, promiscuous, no addresses" lb_if_bare
check "ep-lb/eth0: no ARP, nftables drops its input (the kernel keeps off it)" lb_if_kernel_off
check "env names the exception tap (LAB_LB_TAP=eptap0)" env_tap
check "offloads off on veth ends" offloads_off
check "no lab veth/bridge in root namespace while up" no_lab_veth

# 2. down leaves nothing
check "down" lab down
check_gone "after down"
check "status exits 1 when down" status_fails

# 3. up twice (second tears the first down: crash recovery)
check "up (1st)" lab up
record_pids
check "up (2nd, over a running lab)" lab up
record_pids
check_reach "after 2nd up"
check "status exits 0 after 2nd up" lab status

# 4. status notices a dead backend; up recovers
pkill_be2() {
    local pid
    pid=$(cat /run/edgepath-lab/ep-be2/nginx.pid) && kill -KILL "$pid"
}
check "kill nginx of be2" pkill_be2
sleep 0.2
check "status exits 1 with be2's nginx dead" status_fails
check "up after a crashed backend" lab up
record_pids
check "status exits 0 again" lab status

# 5. down twice
check "down (1st)" lab down
check "down (2nd, nothing to do)" lab down
check_gone "after 2nd down"
check "no pid seen in any lab namespace survives" no_lab_nginx

# 6. down with a half-built lab
half_lab() { ip netns add ep-sw && ip netns add ep-be1 && mkdir -p /run/edgepath-lab/ep-be1; }
check "build a half lab by hand" half_lab
check "down on a half lab" lab down
check_gone "after down on a half lab"

trap - EXIT
cleanup
if ((failed > 0)); then
    echo "log: $LOG"
else
    rm -f "$LOG"
fi
echo "$passed passed, $failed failed"
((failed == 0))
