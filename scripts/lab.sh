#!/usr/bin/env bash
# edgepath lab: network namespaces that stand in for a NIC and its network.
#
#   scripts/lab.sh up       build the lab (tears down any leftovers first)
#   scripts/lab.sh up --nodes 2
#                           two load-balancer nodes behind a BIRD router
#                           with ECMP, the client behind the router
#   scripts/lab.sh down     remove everything the lab created (idempotent)
#   scripts/lab.sh status   show the lab; exit 0 only if it is fully up
#   scripts/lab.sh env      print the shell-sourceable lab description
#
# The load balancer's fast path runs in namespace ep-lb and owns its eth0
# (DPDK net_af_packet). Nothing is changed in the root network namespace:
# every interface is created directly inside a lab namespace and every sysctl
# is written from inside one. See docs/lab.md.
set -euo pipefail

# ---------------------------------------------------------------------------
# Topology. Plain assignments on purpose: exported variables (for instance
# from a sourced env file) must not silently change the lab's layout.
# ---------------------------------------------------------------------------
LAB_DIR=/run/edgepath-lab
LAB_ENV_FILE=$LAB_DIR/env
LAB_LOCK=/run/lock/edgepath-lab.lock

SW_NS=ep-sw
BRIDGE=br0
CLIENT_NS=ep-client
LB_NS=ep-lb
BE_NAMES=(be1 be2 be3)              # backend name = what its nginx answers
BE_NS=(ep-be1 ep-be2 ep-be3)
BE_IPS=(10.99.0.11 10.99.0.12 10.99.0.13)
BE_IP6S=(fd99::11 fd99::12 fd99::13)
BE_MACS=(02:99:00:00:00:11 02:99:00:00:00:12 02:99:00:00:00:13)
LAB_NS=("$SW_NS" "$CLIENT_NS" "$LB_NS" "${BE_NS[@]}")

NS_IF=eth0                          # interface name inside every end namespace
PREFIX_LEN=24
PREFIX6_LEN=64

CLIENT_IP=10.99.0.2
CLIENT_NAT_IP=10.99.1.2             # source address for NAT tests
CLIENT_NAT_NET=10.99.1.0/24
CLIENT_IP6=fd99::2
CLIENT_NAT_IP6=fd99:1::2            # IPv6 source address for NAT tests
CLIENT_NAT_NET6=fd99:1::/64
CLIENT_MAC=02:99:00:00:00:02

LB_MAC=02:99:00:00:00:01
NODE_IP=10.99.0.1                   # answered by the fast path, not the kernel
LB_TAP=eptap0                       # the fast path's exception tap (--exception-tap)
NODE_IP6=fd99::1
VIP_NET=10.99.100.0/24
VIP_DSR=10.99.100.1
VIP_NAT=10.99.100.2
VIP6_NET=fd99:100::/64
VIP6_DSR=fd99:100::1
VIP6_NAT=fd99:100::2                # no service in configs/lab.json; tests add one

CURL_TIMEOUT=2                      # seconds, every curl
VERIFY_TRIES=10                     # up: per backend, 0.5 s apart
PIDFILE_WAIT_TENTHS=50              # nginx pid file: 5 s
KILL_WAIT_TENTHS=50                 # processes leaving a namespace: 5 s

NGINX_BIN=/usr/sbin/nginx           # Debian's nginx (nginx-light)
NODES=1                             # up --nodes N

# shellcheck source=scripts/lib/exc_net.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/exc_net.sh"
# shellcheck source=scripts/lib/lab_multinode.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/lab_multinode.sh"
ALL_NS=("${LAB_NS[@]}" "${MN_EXTRA_NS[@]}")   # what down removes

PROG=${0##*/}

# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------
log()  { printf '%s: %s\n' "$PROG" "$*" >&2; }
warn() { printf '%s: warning: %s\n' "$PROG" "$*" >&2; }
die()  { printf '%s: error: %s\n' "$PROG" "$*" >&2; exit 1; }

# run "what this step does" cmd args...: run a command, die naming the step.
run() {
    local what=$1; shift
    local out
    if ! out=$("$@" 2>&1); then
        die "$what failed: '$*': ${out:-no output}"
    fi
}

ns_exists() { ip netns list 2>/dev/null | awk '{print $1}' | grep -qxF -- "$1"; }

in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

nsysctl() {  # nsysctl NS key=value
    run "setting sysctl $2 in namespace $1" ip netns exec "$1" sysctl -qw "$2"
}

require_root() {
    [[ $(id -u) -eq 0 ]] || die "must run as root (it creates network namespaces); try: sudo $0 ${1:-}"
}

require_cmds() {
    local c missing=()
    for c in "$@"; do
        command -v "$c" >/dev/null 2>&1 || missing+=("$c")
    done
    ((${#missing[@]} == 0)) ||
        die "missing commands: ${missing[*]} (packages: iproute2 ethtool nginx-light curl procps util-linux nftables; see scripts/setup.sh)"
}

take_lock() {
    mkdir -p "${LAB_LOCK%/*}" || die "cannot create ${LAB_LOCK%/*}"
    exec 9>"$LAB_LOCK" || die "cannot open lock file $LAB_LOCK"
    flock -w 60 9 || die "another $PROG is running (lock $LAB_LOCK held for 60 s)"
}

mac_of() {  # mac_of NS IF
    ip -n "$1" -o link show dev "$2" 2>/dev/null | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p'
}

# Every veth end, both sides: no checksum offload, no TSO/GSO/GRO.
# Why: the fast path reads and writes raw frames with af_packet. With tx
# checksum offload a sender's kernel hands the veth packets whose L4 checksum
# is only partial (CHECKSUM_PARTIAL, completed "by hardware" that does not
# exist), and with TSO/GSO/GRO it moves 64 KB super-frames instead of
# wire-sized ones. Both would reach the fast path as frames no real NIC would
# deliver, and frames it sends would be trusted unchecked. Turning them off
# makes every frame on the lab's wire complete and at most MTU-sized.
OFFLOAD_OFF=(rx off tx off tso off gso off gro off)
OFFLOAD_CHECK=(rx-checksumming tx-checksumming tcp-segmentation-offload
               generic-segmentation-offload generic-receive-offload)

offloads_off() {  # offloads_off NS DEV
    local ns=$1 dev=$2 feats f line
    # Exit status ignored on purpose: a veth may lack some feature; what
    # matters is the state afterwards, checked below.
    ip netns exec "$ns" ethtool -K "$dev" "${OFFLOAD_OFF[@]}" >/dev/null 2>&1 || true
    feats=$(ip netns exec "$ns" ethtool -k "$dev" 2>&1) ||
        die "ethtool -k $dev in $ns failed: $feats"
    for f in "${OFFLOAD_CHECK[@]}"; do
        line=$(grep -E "^$f:" <<<"$feats" || true)
        case $line in
            "") ;;                                   # feature absent on this device
            "$f: off"*) ;;
            *"[fixed]"*) warn "$ns/$dev: $line (cannot be changed)" ;;
            *) die "could not turn off $f on $dev in $ns: $line" ;;
        esac
    done
}

# ---------------------------------------------------------------------------
# down
# ---------------------------------------------------------------------------

# Processes in namespace NS (from `ip netns pids`), one per line.
ns_pids() { ip netns pids "$1" 2>/dev/null || true; }

# alive PID: running and not a zombie (a daemon reparented to PID 1 stays a
# zombie until PID 1 reaps it, and kill -0 succeeds on zombies).
alive() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    [[ ${stat:0:1} != Z ]]
}

wait_gone() {  # wait_gone TENTHS PID...: 0 if all exited in time
    local tenths=$1 p any; shift
    while :; do
        any=0
        for p in "$@"; do
            if alive "$p"; then any=1; break; fi
        done
        ((any == 0)) && return 0
        ((tenths-- > 0)) || return 1
        sleep 0.1
    done
}

stop_nginx() {  # stop_nginx NS: by pid file, only if the pid really is in NS
    local ns=$1 pidfile=$LAB_DIR/$1/nginx.pid pid
    [[ -f $pidfile ]] || return 0
    pid=$(<"$pidfile") || return 0
    [[ $pid =~ ^[0-9]+$ ]] || { warn "ignoring bad pid file $pidfile"; return 0; }
    alive "$pid" || return 0
    if [[ $(ip netns identify "$pid" 2>/dev/null) != "$ns" ]]; then
        warn "pid $pid from $pidfile is not in namespace $ns; not touching it"
        return 0
    fi
    kill -TERM "$pid" 2>/dev/null || true
    wait_gone "$KILL_WAIT_TENTHS" "$pid" || warn "nginx $pid in $ns did not exit on TERM"
}

kill_ns_procs() {  # kill_ns_procs NS: TERM, bounded wait, KILL, bounded wait
    local ns=$1 pids
    mapfile -t pids < <(ns_pids "$ns")
    ((${#pids[@]} > 0)) || return 0
    log "stopping processes left in $ns: ${pids[*]}"
    kill -TERM "${pids[@]}" 2>/dev/null || true
    wait_gone "$KILL_WAIT_TENTHS" "${pids[@]}" && return 0
    mapfile -t pids < <(ns_pids "$ns")
    ((${#pids[@]} > 0)) || return 0
    warn "processes in $ns survived TERM, sending KILL: ${pids[*]}"
    kill -KILL "${pids[@]}" 2>/dev/null || true
    wait_gone "$KILL_WAIT_TENTHS" "${pids[@]}" ||
        die "processes in namespace $ns would not die: ${pids[*]}"
}

do_down() {
    local ns left=()
    for ns in "${BE_NS[@]}"; do stop_nginx "$ns"; done
    for ns in "${ALL_NS[@]}"; do
        if ns_exists "$ns"; then kill_ns_procs "$ns"; fi
    done
    for ns in "${ALL_NS[@]}"; do
        if ns_exists "$ns"; then
            run "deleting namespace $ns" ip netns delete "$ns"
        fi
    done
    # Leftover mount point without a namespace (e.g. a crash in `ip netns add`).
    for ns in "${ALL_NS[@]}"; do
        if [[ -e /run/netns/$ns ]]; then
            umount "/run/netns/$ns" 2>/dev/null || true
            rm -f "/run/netns/$ns" || die "cannot remove stale /run/netns/$ns"
        fi
    done
    rm -rf "$LAB_DIR" || die "cannot remove $LAB_DIR"
    for ns in "${ALL_NS[@]}"; do
        if ns_exists "$ns"; then left+=("$ns"); fi
    done
    ((${#left[@]} == 0)) || die "namespaces still present after down: ${left[*]}"
}

# ---------------------------------------------------------------------------
# up
# ---------------------------------------------------------------------------

lab_exists() {
    local ns
    [[ -e $LAB_DIR ]] && return 0
    for ns in "${ALL_NS[@]}"; do ns_exists "$ns" && return 0; done
    return 1
}

new_ns() {  # new_ns NS: namespace with lo up and quiet IPv6 defaults
    local ns=$1
    run "creating namespace $ns" ip netns add "$ns"
    run "bringing up lo in $ns" ip -n "$ns" link set lo up
    # Defaults for interfaces created later in this namespace: no router
    # advertisements/solicitations, no DAD.
    nsysctl "$ns" net.ipv6.conf.all.accept_ra=0
    nsysctl "$ns" net.ipv6.conf.default.accept_ra=0
    nsysctl "$ns" net.ipv6.conf.default.router_solicitations=0
    nsysctl "$ns" net.ipv6.conf.default.accept_dad=0
    nsysctl "$ns" net.ipv6.conf.default.dad_transmits=0
}

# plug NS PORT MAC: veth with NS_IF in NS and PORT on the bridge in SW_NS.
# Created inside SW_NS with the peer born in NS: the root namespace never
# sees either end.
plug() {
    local ns=$1 port=$2 mac=$3
    run "creating veth $port<->$ns/$NS_IF" \
        ip -n "$SW_NS" link add "$port" type veth peer name "$NS_IF" netns "$ns"
    run "setting MAC of $ns/$NS_IF" ip -n "$ns" link set "$NS_IF" address "$mac"
    offloads_off "$SW_NS" "$port"
    offloads_off "$ns" "$NS_IF"
    run "attaching $port to $BRIDGE" ip -n "$SW_NS" link set "$port" master "$BRIDGE"
    run "bringing up $port" ip -n "$SW_NS" link set "$port" up
}

write_nginx_conf() {  # write_nginx_conf NS NAME
    local ns=$1 name=$2 d=$LAB_DIR/$1
    mkdir -p "$d" || die "cannot create $d"
    cat >"$d/nginx.conf" <<EOF || die "cannot write $d/nginx.conf"
# generated by scripts/lab.sh for namespace $ns
daemon on;
master_process on;
worker_processes 1;
pid $d/nginx.pid;
error_log $d/error.log warn;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path $d/client_body;
    proxy_temp_path $d/proxy;
    fastcgi_temp_path $d/fastcgi;
    uwsgi_temp_path $d/uwsgi;
    scgi_temp_path $d/scgi;
    default_type text/plain;
    server {
        listen 0.0.0.0:80 default_server;
        listen [::]:80 default_server ipv6only=on;
        return 200 "$name\n";
    }
}
EOF
}

start_nginx() {  # start_nginx NS NAME
    local ns=$1 name=$2 d=$LAB_DIR/$1 out tenths=$PIDFILE_WAIT_TENTHS pid
    write_nginx_conf "$ns" "$name"
    if ! out=$(ip netns exec "$ns" "$NGINX_BIN" -t -q -p "$d/" -e "$d/error.log" -c "$d/nginx.conf" 2>&1); then
        die "nginx config for $ns is invalid: $out"
    fi
    # 9>&-: the daemon must not inherit (and so hold forever) the lab lock.
    if ! out=$(ip netns exec "$ns" "$NGINX_BIN" -p "$d/" -e "$d/error.log" -c "$d/nginx.conf" 2>&1 9>&-); then
        die "starting nginx in $ns failed: $out (see $d/error.log)"
    fi
    until [[ -s $d/nginx.pid ]]; do
        ((tenths-- > 0)) || die "nginx in $ns wrote no pid file $d/nginx.pid within 5 s (see $d/error.log)"
        sleep 0.1
    done
    pid=$(<"$d/nginx.pid")
    alive "$pid" || die "nginx in $ns (pid $pid) is not running (see $d/error.log)"
}

# curl_from_client URL: body, or non-zero status. Bounded by CURL_TIMEOUT.
curl_from_client() {
    ip netns exec "$CLIENT_NS" curl -s --max-time "$CURL_TIMEOUT" "$1"
}

url_of() { [[ $1 == *:* ]] && printf 'http://[%s]/' "$1" || printf 'http://%s/' "$1"; }

verify_backend() {  # verify_backend ADDR NAME: retry briefly, 0 if it answers NAME
    local addr=$1 name=$2 i body
    for ((i = 0; i < VERIFY_TRIES; i++)); do
        body=$(curl_from_client "$(url_of "$addr")" || true)
        [[ $body == "$name" ]] && return 0
        sleep 0.5
    done
    return 1
}

write_env() {
    local lb_mac client_mac be_macs=() i
    lb_mac=$(mac_of "$LB_NS" "$NS_IF")
    client_mac=$(mac_of "$CLIENT_NS" "$NS_IF")
    for i in "${!BE_NS[@]}"; do be_macs+=("$(mac_of "${BE_NS[$i]}" "$NS_IF")"); done
    [[ -n $lb_mac && -n $client_mac ]] || die "could not read MAC addresses for $LAB_ENV_FILE"
    cat >"$LAB_ENV_FILE.tmp" <<EOF || die "cannot write $LAB_ENV_FILE"
# edgepath lab, written by scripts/lab.sh up; shell-sourceable
LAB_LB_NS=$LB_NS
LAB_LB_IF=$NS_IF
LAB_LB_MAC=$lb_mac
LAB_CLIENT_NS=$CLIENT_NS
LAB_CLIENT_IF=$NS_IF
LAB_CLIENT_IP=$CLIENT_IP
LAB_CLIENT_NAT_IP=$CLIENT_NAT_IP
LAB_CLIENT_IP6=$CLIENT_IP6
LAB_CLIENT_NAT_IP6=$CLIENT_NAT_IP6
LAB_CLIENT_MAC=$client_mac
LAB_NODE_IP=$NODE_IP
LAB_NODE_PREFIX_LEN=$PREFIX_LEN
LAB_LB_TAP=$LB_TAP
LAB_NODE_IP6=$NODE_IP6
LAB_VIP_DSR=$VIP_DSR
LAB_VIP_NAT=$VIP_NAT
LAB_VIP6_DSR=$VIP6_DSR
LAB_VIP6_NAT=$VIP6_NAT
LAB_BACKEND_NS="${BE_NS[*]}"
LAB_BACKEND_NAMES="${BE_NAMES[*]}"
LAB_BACKENDS="${BE_IPS[*]}"
LAB_BACKENDS6="${BE_IP6S[*]}"
LAB_BACKEND_MACS="${be_macs[*]}"
EOF
    if ((NODES > 1)); then
        mn_write_env >>"$LAB_ENV_FILE.tmp" || die "cannot write $LAB_ENV_FILE"
    else
        echo "LAB_NODES=1" >>"$LAB_ENV_FILE.tmp" || die "cannot write $LAB_ENV_FILE"
    fi
    mv -f "$LAB_ENV_FILE.tmp" "$LAB_ENV_FILE" || die "cannot write $LAB_ENV_FILE"
}

do_up() {
    local i ns
    if lab_exists; then
        log "leftovers of a previous lab found; tearing down first"
        do_down
    fi
    mkdir -p "$LAB_DIR" || die "cannot create $LAB_DIR"

    # Switch: a bridge in its own namespace; no IP, no IPv6 at all.
    new_ns "$SW_NS"
    nsysctl "$SW_NS" net.ipv6.conf.all.disable_ipv6=1
    nsysctl "$SW_NS" net.ipv6.conf.default.disable_ipv6=1
    run "creating bridge $BRIDGE" ip -n "$SW_NS" link add "$BRIDGE" type bridge \
        forward_delay 0 stp_state 0 mcast_snooping 0
    run "bringing up $BRIDGE" ip -n "$SW_NS" link set "$BRIDGE" up

    # Load balancer: eth0 up, promiscuous, no addresses, kernel silent on it.
    new_ns "$LB_NS"
    plug "$LB_NS" ve-lb "$LB_MAC"
    # No address, no ARP, no IPv6, and nftables drops its IP input: the
    # fast path's exception tap (LAB_LB_TAP) holds the node address in this
    # namespace, and the kernel must see the node's traffic only from there.
    run "keeping the kernel off $LB_NS/$NS_IF" exc_kernel_off "$LB_NS" "$NS_IF"
    run "setting $LB_NS/$NS_IF promiscuous" ip -n "$LB_NS" link set "$NS_IF" promisc on
    run "bringing up $LB_NS/$NS_IF" ip -n "$LB_NS" link set "$NS_IF" up

    if ((NODES > 1)); then
        mn_router_ns
        mn_client_ns
        mn_node_ns 0
        mn_node_ns 1
        CLIENT_IP=$MN_CLIENT_IP CLIENT_NAT_IP=$MN_CLIENT_IP  # no NAT VIP here
        CLIENT_NAT_IP6=$CLIENT_IP6
    else
        up_client
    fi
    up_backends
}

# Client on the bridge (single node).
up_client() {
    new_ns "$CLIENT_NS"
    plug "$CLIENT_NS" ve-client "$CLIENT_MAC"
    run "bringing up $CLIENT_NS/$NS_IF" ip -n "$CLIENT_NS" link set "$NS_IF" up
    run "adding $CLIENT_IP to client" ip -n "$CLIENT_NS" addr add "$CLIENT_IP/$PREFIX_LEN" dev "$NS_IF"
    run "adding $CLIENT_NAT_IP to client" ip -n "$CLIENT_NS" addr add "$CLIENT_NAT_IP/$PREFIX_LEN" dev "$NS_IF"
    run "adding $CLIENT_IP6 to client" ip -n "$CLIENT_NS" addr add "$CLIENT_IP6/$PREFIX6_LEN" dev "$NS_IF" nodad
    run "adding $CLIENT_NAT_IP6 to client" ip -n "$CLIENT_NS" addr add "$CLIENT_NAT_IP6/$PREFIX6_LEN" dev "$NS_IF" nodad
    run "client route to VIPs" ip -n "$CLIENT_NS" route add "$VIP_NET" via "$NODE_IP" dev "$NS_IF"
    run "client route to NAT VIP" ip -n "$CLIENT_NS" route add "$VIP_NAT/32" via "$NODE_IP" dev "$NS_IF" src "$CLIENT_NAT_IP"
    # (src: with two IPv6 addresses the kernel's choice for the DSR VIP
    # could be the NAT source, whose replies go through the fast path.)
    run "client route to IPv6 VIPs" ip -n "$CLIENT_NS" -6 route add "$VIP6_NET" via "$NODE_IP6" dev "$NS_IF" src "$CLIENT_IP6"
    run "client route to IPv6 NAT VIP" ip -n "$CLIENT_NS" -6 route add "$VIP6_NAT/128" via "$NODE_IP6" dev "$NS_IF" src "$CLIENT_NAT_IP6"
}

up_backends() {
    local i ns
    for i in "${!BE_NS[@]}"; do
        ns=${BE_NS[$i]}
        new_ns "$ns"
        # DSR: the VIP lives on lo; never answer or announce it via ARP.
        nsysctl "$ns" net.ipv4.conf.all.arp_ignore=1
        nsysctl "$ns" net.ipv4.conf.all.arp_announce=2
        plug "$ns" "ve-${BE_NAMES[$i]}" "${BE_MACS[$i]}"
        run "bringing up $ns/$NS_IF" ip -n "$ns" link set "$NS_IF" up
        run "adding ${BE_IPS[$i]} to $ns" ip -n "$ns" addr add "${BE_IPS[$i]}/$PREFIX_LEN" dev "$NS_IF"
        run "adding ${BE_IP6S[$i]} to $ns" ip -n "$ns" addr add "${BE_IP6S[$i]}/$PREFIX6_LEN" dev "$NS_IF" nodad
        run "adding DSR VIP to $ns/lo" ip -n "$ns" addr add "$VIP_DSR/32" dev lo
        run "adding DSR VIP6 to $ns/lo" ip -n "$ns" addr add "$VIP6_DSR/128" dev lo
        # NAT: replies to the client's NAT source go back through the LB.
        run "NAT return route in $ns" ip -n "$ns" route add "$CLIENT_NAT_NET" via "$NODE_IP" dev "$NS_IF"
        run "IPv6 NAT return route in $ns" ip -n "$ns" -6 route add "$CLIENT_NAT_NET6" via "$NODE_IP6" dev "$NS_IF"
        start_nginx "$ns" "${BE_NAMES[$i]}"
    done
    if ((NODES > 1)); then mn_backend_routes; fi

    # Verify: every backend answers the client directly, with its own name.
    local bad=()
    for i in "${!BE_NS[@]}"; do
        verify_backend "${BE_IPS[$i]}" "${BE_NAMES[$i]}" || bad+=("${BE_NAMES[$i]}(${BE_IPS[$i]})")
    done
    ((${#bad[@]} == 0)) ||
        die "lab is up but these backends do not answer curl from $CLIENT_NS: ${bad[*]} (see $LAB_DIR/<ns>/error.log; '$PROG down' to clean up)"
    if ((NODES > 1)); then mn_start_birds; fi

    write_env
    log "lab is up; env in $LAB_ENV_FILE"
}

# ---------------------------------------------------------------------------
# status
# ---------------------------------------------------------------------------
do_status() {
    local ok=1 ns i pid pidfile body addrs line
    for ns in "${LAB_NS[@]}"; do
        if ns_exists "$ns"; then
            printf '%-10s present\n' "$ns"
            addrs=$(ip -n "$ns" -br addr show 2>/dev/null | grep -v '^lo ' || true)
            if [[ -n $addrs ]]; then
                while IFS= read -r line; do printf '    %s\n' "$line"; done <<<"$addrs"
            fi
        else
            printf '%-10s MISSING\n' "$ns"; ok=0
        fi
    done
    if ns_exists "$LB_NS"; then
        if ip -n "$LB_NS" -o addr show dev "$NS_IF" 2>/dev/null | grep -q ' inet'; then
            echo "$LB_NS/$NS_IF has IP addresses (it must have none)"; ok=0
        fi
        ip -n "$LB_NS" link show dev "$NS_IF" 2>/dev/null | grep -q 'state UP' ||
            { echo "$LB_NS/$NS_IF is not up"; ok=0; }
    fi
    for i in "${!BE_NS[@]}"; do
        ns=${BE_NS[$i]} pidfile=$LAB_DIR/${BE_NS[$i]}/nginx.pid pid=
        [[ -f $pidfile ]] && pid=$(<"$pidfile")
        if [[ $pid =~ ^[0-9]+$ ]] && alive "$pid"; then
            printf 'nginx %-7s pid %s\n' "$ns" "$pid"
        else
            printf 'nginx %-7s NOT RUNNING\n' "$ns"; ok=0
        fi
        if ns_exists "$CLIENT_NS"; then
            body=$(curl_from_client "$(url_of "${BE_IPS[$i]}")" || true)
        else
            body=
        fi
        if [[ $body == "${BE_NAMES[$i]}" ]]; then
            printf 'backend %-4s %-11s answers\n' "${BE_NAMES[$i]}" "${BE_IPS[$i]}"
        else
            printf 'backend %-4s %-11s DOES NOT ANSWER\n' "${BE_NAMES[$i]}" "${BE_IPS[$i]}"; ok=0
        fi
    done
    [[ -f $LAB_ENV_FILE ]] || { echo "no $LAB_ENV_FILE"; ok=0; }
    if ((ok)); then echo "lab: up"; return 0; fi
    echo "lab: NOT fully up"; return 1
}

do_env() {
    [[ -f $LAB_ENV_FILE ]] || die "no $LAB_ENV_FILE: the lab is not up (run '$PROG up')"
    cat "$LAB_ENV_FILE"
}

usage() {
    echo "usage: $PROG up [--nodes 1|2]|down|status|env" >&2
    exit 2
}

main() {
    if [[ ${1:-} == up && $# == 3 && $2 == --nodes ]]; then
        [[ $3 == 1 || $3 == 2 ]] || die "--nodes: 1 or 2, not '$3'"
        NODES=$3
        set -- up
    fi
    (($# == 1)) || usage
    case $1 in
        up)
            require_root up
            require_cmds ip ethtool "$NGINX_BIN" curl sysctl flock nft
            ((NODES == 1)) || require_cmds "$BIRD_BIN" "$BIRDC_BIN"
            take_lock
            do_up ;;
        down)
            require_root down
            require_cmds ip flock
            take_lock
            do_down
            log "lab is down" ;;
        status)
            require_root status
            require_cmds ip curl
            do_status ;;
        env) do_env ;;
        -h|--help|help) usage ;;
        *) usage ;;
    esac
}

main "$@"
