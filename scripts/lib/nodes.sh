#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Start and stop the edgepath nodes of the multi-node lab (`lab.sh up
# --nodes 2`), for scripts/run.sh --nodes 2 and tests/e2e/test_multinode.sh.
# Needs /run/edgepath-lab/env sourced (LAB_NODE_NS_LIST, LAB_NODE_IPS,
# LAB_BIRD_SOCKETS, LAB_BIRD_INCLUDES) and, from the caller: FP_BIN, SP_BIN,
# NODE_PREFIX (DPDK file prefix stem: node I uses NODE_PREFIX$I), NODE_DIR
# (logs and configurations), NODE_CPU, and optionally NODE_GRACE_MS and
# NODE_HASH_SEED (default 2112: every node the same flow-hash seed, which
# with the same configuration gives the same Maglev picks).
#
# Every node runs its fast path on its namespace's eth0 (net_af_packet,
# idle back-off so that two fit on 2 CPUs) with its exception tap
# (--exception-tap LAB_LB_TAP), which node_start gives the node address
# and a route to the client's network before the slow path starts: the
# node's kernel has no other way out, so BIRD's BGP and BFD, the slow
# path's health probes and its etcd client all go through the tap, the
# fast path and eth0 (node_wait_bgp: the router has both sessions). The
# tap is the fast path's: it stays while the slow path restarts. The slow
# path, in the same namespace, writes the node's BIRD include file and
# reconfigures that BIRD. The nodes' configurations are one document that
# differs only in node.addresses and the API socket.
#
# Configuration from etcd (docs/scale-out.md): node_etcd_start runs one
# etcd in the router namespace (on its bridge address, reached by the
# nodes through their taps) and sets NODE_ETCD; node_start then passes each slow
# path `--etcd $NODE_ETCD --node-name nodeI` on top of the node's local
# file (its last good copy), and node_etcd_seed puts the shared document.

# exc_tap_addr NS TAP TENTHS ADDR/LEN...
# shellcheck source=scripts/lib/exc_net.sh
. "$(dirname "${BASH_SOURCE[0]}")/exc_net.sh"

NODE_FP_PIDS=()
NODE_SP_PIDS=()
NODE_ETCD_PID=
NODE_ETCD_PREFIX=/edgepath/

# node_etcdctl ARGS...: etcdctl against the lab's etcd, from the router.
node_etcdctl() {
    ETCDCTL_API=3 ip netns exec "$LAB_ROUTER_NS" etcdctl \
        --endpoints "$NODE_ETCD" --dial-timeout 2s "$@"
}

# node_etcd_start: one etcd in the router namespace, its data in
# $NODE_DIR/etcd; 0 once it answers (at most 10 s).
node_etcd_start() {
    local ip=$LAB_ROUTER_IP peer=http://$LAB_ROUTER_IP:2380
    NODE_ETCD=http://$ip:2379
    ip netns exec "$LAB_ROUTER_NS" etcd --name ep-lab-etcd \
        --data-dir "$NODE_DIR/etcd" \
        --listen-client-urls "$NODE_ETCD" --advertise-client-urls "$NODE_ETCD" \
        --listen-peer-urls "$peer" --initial-advertise-peer-urls "$peer" \
        --initial-cluster "ep-lab-etcd=$peer" >>"$NODE_DIR/etcd.log" 2>&1 &
    NODE_ETCD_PID=$!
    for _ in $(seq 100); do
        node_etcdctl endpoint health >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    return 1
}

# node_etcd_seed FILE: FILE as the shared document (PREFIX config).
node_etcd_seed() {
    node_etcdctl put "${NODE_ETCD_PREFIX}config" <"$1" >/dev/null
}

node_etcd_stop() {
    stop_pid "$NODE_ETCD_PID" 10 TERM
    NODE_ETCD_PID=
}

node_word() { local -a w; read -r -a w <<<"$1"; printf '%s' "${w[$2]}"; }
node_ns() { node_word "$LAB_NODE_NS_LIST" "$1"; }
node_ip() { node_word "$LAB_NODE_IPS" "$1"; }
node_api() { printf '%s/node%d/api.sock' "$NODE_DIR" "$1"; }

# node_config I TEMPLATE: write node I's configuration from TEMPLATE.
node_config() {
    local i=$1 d=$NODE_DIR/node$1
    mkdir -p "$d" || return 1
    jq --arg ip "$(node_ip "$i")" --arg sock "$(node_api "$i")" \
        '.node.addresses = [{address: $ip, port: 0}]
         | .api = {listeners: [{unix: $sock}]}' "$2" >"$d/config.json"
}

# node_tap_up I: node I's tap (its fast path just started) holds the node
# address, and the kernel routes the client's network via the router.
node_tap_up() {
    local ns
    ns=$(node_ns "$1")
    exc_tap_addr "$ns" "$LAB_LB_TAP" 150 "$(node_ip "$1")/$LAB_NODE_PREFIX_LEN" &&
        ip -n "$ns" route replace "$LAB_CLIENT_NET" via "$LAB_ROUTER_IP" dev "$LAB_LB_TAP"
}

node_start() {  # node_start I TEMPLATE
    local i=$1 ns d=$NODE_DIR/node$1 etcd=()
    ns=$(node_ns "$i")
    node_config "$i" "$2" || return 1
    [[ -n ${NODE_ETCD:-} ]] &&
        etcd=(--etcd "$NODE_ETCD" --etcd-prefix "$NODE_ETCD_PREFIX" --node-name "node$i")
    ip netns exec "$ns" "$FP_BIN" --lcores="0@$NODE_CPU,1@$NODE_CPU" --no-pci \
        --file-prefix="$NODE_PREFIX$i" --log-level=user1,info \
        --vdev="net_af_packet$i,iface=eth0" -- \
        --stats-interval 0 --idle-sleep-us 100 --ct-entries 65536 \
        --hash-seed "${NODE_HASH_SEED:-2112}" --exception-tap "$LAB_LB_TAP" \
        >>"$d/fastpath.log" 2>&1 &
    NODE_FP_PIDS[$i]=$!
    node_tap_up "$i" >>"$d/fastpath.log" 2>&1 || return 1
    ip netns exec "$ns" "$SP_BIN" --proc-type=secondary --no-pci \
        --file-prefix="$NODE_PREFIX$i" -l 0 --log-level=error -- \
        --config "$d/config.json" --status-interval 0 --access-log none \
        --bird-include "$(node_word "$LAB_BIRD_INCLUDES" "$i")" \
        --bird-socket "$(node_word "$LAB_BIRD_SOCKETS" "$i")" \
        --withdraw-grace-ms "${NODE_GRACE_MS:-1000}" "${etcd[@]}" \
        >>"$d/slowpath.log" 2>&1 &
    NODE_SP_PIDS[$i]=$!
}

# node_get I PATH: the body of GET PATH on node I's API (empty on failure).
node_get() {
    curl -s --max-time 2 --unix-socket "$(node_api "$1")" "http://localhost$2" || true
}

# node_wait_api I TENTHS: until node I's API answers /readyz.
node_wait_ready() {
    local t=$2
    until curl -sf --max-time 1 --unix-socket "$(node_api "$1")" http://localhost/readyz >/dev/null 2>&1; do
        ((t-- > 0)) || return 1
        sleep 0.1
    done
}

# node_wait_bgp TENTHS: until the router has an established BGP session
# to every node (over their taps); 0, or 1 after TENTHS x 0.1 s.
node_wait_bgp() {
    local t=$1 n want
    want=$(wc -w <<<"$LAB_NODE_NS_LIST")
    while :; do
        n=$(birdc -s "$LAB_ROUTER_BIRD_SOCKET" show protocols 2>/dev/null |
            grep -cE '^node[0-9]+ +BGP .* Established')
        ((n == want)) && return 0
        ((t-- > 0)) || return 1
        sleep 0.1
    done
}

node_stop_all() {  # slow paths first (they withdraw), then fast paths
    local p
    for p in "${NODE_SP_PIDS[@]}"; do stop_pid "$p" 10 TERM; done
    for p in "${NODE_FP_PIDS[@]}"; do stop_pid "$p" 10 INT; done
    for p in "${!NODE_FP_PIDS[@]}"; do
        rm -f /dev/hugepages/"$NODE_PREFIX$p"map_* 2>/dev/null || true
        rm -rf /var/run/dpdk/"$NODE_PREFIX$p"
    done
    # exc_tap_addr NS TAP TENTHS ADDR/LEN...
# shellcheck source=scripts/lib/exc_net.sh
. "$(dirname "${BASH_SOURCE[0]}")/exc_net.sh"

NODE_FP_PIDS=()
    NODE_SP_PIDS=()
    node_etcd_stop
}
