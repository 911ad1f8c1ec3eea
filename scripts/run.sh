#!/usr/bin/env bash
# The main job on the built-in lab: set up, build the lab of namespaces
# (scripts/lab.sh), start the fast path on the lab's load-balancer interface
# (net_af_packet) and the slow path with a configuration (configs/lab.json
# by default), send a light stream of requests from the client namespace to
# the VIPs, and print live counters until Ctrl-C. Everything it started is
# stopped and the lab removed on exit.
#
# With --nodes 2: the multi-node lab (lab.sh up --nodes 2): two nodes behind
# a BIRD router with ECMP, each announcing the VIP over BGP (from its node
# address, through its fast path's exception tap), configured from
# configs/lab-multinode.json; it prints which backend answers and how many
# new flows each node took.
#
#   scripts/run.sh [--config FILE] [--worker-cpu N] [--busy-poll] [--nodes 1|2]
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CONFIG=$ROOT/configs/lab.json
WORKER_CPU=1
IDLE_SLEEP_US=100
PREFIX=edgepath
LOGDIR=/run/edgepath-run
NODES=1
CONFIG_SET=0

die() { echo "run: error: $*" >&2; exit 1; }
while [ $# -gt 0 ]; do
	case "$1" in
	--config) [ $# -ge 2 ] || die "--config needs a file"; CONFIG=$2; CONFIG_SET=1; shift 2 ;;
	--worker-cpu) [[ "${2:-}" =~ ^[0-9]+$ ]] || die "--worker-cpu needs a CPU number"
		WORKER_CPU=$2; shift 2 ;;
	--busy-poll) IDLE_SLEEP_US=0; shift ;;
	--nodes) [[ "${2:-}" =~ ^[12]$ ]] || die "--nodes needs 1 or 2"
		NODES=$2; shift 2 ;;
	-h|--help) sed -n '2,15p' "$0"; exit 0 ;;
	*) die "unknown option '$1' (try --help)" ;;
	esac
done
[ "$(id -u)" -eq 0 ] || die "run as root"
if [ "$NODES" -eq 2 ] && [ "$CONFIG_SET" -eq 0 ]; then
	CONFIG=$ROOT/configs/lab-multinode.json
fi
[ -r "$CONFIG" ] || die "cannot read configuration $CONFIG"

"$ROOT/scripts/setup.sh"
FP=$ROOT/build/fastpath/edgepath-fastpath
SP=$ROOT/build/slowpath/edgepath-slowpath

# Two nodes behind the router (scripts/lib/nodes.sh); Ctrl-C stops them
# (each slow path withdraws first) and removes the lab.
run_nodes() {
	local i n1 n2 r
	"$ROOT/scripts/lab.sh" up --nodes 2
	# shellcheck disable=SC1091
	. /run/edgepath-lab/env
	# shellcheck source=scripts/lib/procs.sh
	. "$ROOT/scripts/lib/procs.sh"
	# shellcheck source=scripts/lib/nodes.sh
	. "$ROOT/scripts/lib/nodes.sh"
	FP_BIN=$FP SP_BIN=$SP NODE_PREFIX=${PREFIX}-node NODE_DIR=$LOGDIR NODE_CPU=$WORKER_CPU
	mkdir -p "$LOGDIR"
	# one etcd in the router namespace: the nodes' shared configuration
	node_etcd_start || die "etcd did not start (see $LOGDIR/etcd.log)"
	node_config 0 "$CONFIG" && node_etcd_seed "$LOGDIR/node0/config.json" ||
		die "cannot put the configuration into etcd"
	node_start 0 "$CONFIG" && node_start 1 "$CONFIG" || die "nodes did not start"
	# BGP runs over each node's exception tap: up once the fast paths run.
	node_wait_bgp 300 || echo "run: warning: the router's BGP sessions are not all up after 30 s (see /run/edgepath-lab/*/bird.log)"
	echo "run: etcd $NODE_ETCD, key ${NODE_ETCD_PREFIX}config (a change through either API reaches both nodes)"
	echo "run: two nodes; APIs: $(node_api 0) and $(node_api 1) (edgectl --socket PATH node status)"
	echo "run: router: ip netns exec $LAB_ROUTER_NS ip route; birdc -s $LAB_ROUTER_BIRD_SOCKET show route"
	for _ in $(seq 86400); do
		r=$(ip netns exec "$LAB_CLIENT_NS" curl -s --max-time 1 "http://$LAB_VIP_DSR/" || echo "no answer")
		n1=$(node_get 0 /v1/stats | jq '[.services[].new_flows] | add // 0' 2>/dev/null)
		n2=$(node_get 1 /v1/stats | jq '[.services[].new_flows] | add // 0' 2>/dev/null)
		echo "client -> $LAB_VIP_DSR: $r; new flows: node 1 ${n1:-?}, node 2 ${n2:-?}; router: $(ip -n "$LAB_ROUTER_NS" route show "$LAB_VIP_DSR/32" | grep -oE 'via [0-9.]+' | tr '\n' ' ')"
		sleep 1
	done
}

pids=()
cleanup() {
	trap - EXIT INT TERM
	echo "run: stopping"
	for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null || true
	done
	if declare -F node_stop_all >/dev/null; then node_stop_all; fi
	"$ROOT/scripts/lab.sh" down || true
	# DPDK 22.11 never frees some memzones (ethdev data): their hugepage
	# files outlive both processes.
	rm -f /dev/hugepages/"$PREFIX"map_* 2>/dev/null || true
	rm -rf /var/run/dpdk/"$PREFIX"
}
# INT and TERM end the run after the clean-up: a handler that returned
# would go back to the loop below with the lab already removed.
trap cleanup EXIT
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM

if [ "$NODES" -eq 2 ]; then
	run_nodes
	exit 0
fi
"$ROOT/scripts/lab.sh" up
# shellcheck disable=SC1091
. /run/edgepath-lab/env
mkdir -p "$LOGDIR"
# The slow path persists API changes to its configuration file: give it a
# copy, so the repository's file stays as it is.
cp "$CONFIG" "$LOGDIR/config.json"

# The main lcore and the worker share CPU $WORKER_CPU on small machines; the
# worker sleeps when idle (--idle-sleep-us) so the lab keeps a CPU.
ip netns exec "$LAB_LB_NS" "$FP" --lcores="0@$WORKER_CPU,1@$WORKER_CPU" \
	--no-pci --file-prefix="$PREFIX" --log-level=user1,info \
	--vdev="net_af_packet0,iface=$LAB_LB_IF" -- \
	--stats-interval 1 --idle-sleep-us "$IDLE_SLEEP_US" --ct-entries 65536 &
pids+=($!)
"$SP" --proc-type=secondary --no-pci --file-prefix="$PREFIX" -l 0 \
	--log-level=error -- --config "$LOGDIR/config.json" --status-interval 10 &
pids+=($!)

# A light client: one request a second to each IPv4 VIP, names printed.
(
	for _ in $(seq 86400); do
		for vip in "$LAB_VIP_DSR" "$LAB_VIP_NAT"; do
			r=$(ip netns exec "$LAB_CLIENT_NS" curl -s --max-time 1 "http://$vip/" || echo "no answer")
			echo "client -> $vip: $r"
		done
		sleep 1
	done
) &
pids+=($!)
echo "run: fast path, slow path and client running; Ctrl-C to stop"
echo "run: API: curl --unix-socket /run/edgepath/api.sock http://localhost/v1/stats"
wait "${pids[0]}"
