#!/usr/bin/env bash
# How fast a drained node's VIP leaves the router (docs/performance.md,
# docs/scale-out.md): in the multi-node lab (scripts/lab.sh up --nodes 2,
# two nodes from configs/lab-multinode.json), ROUNDS times: the time from
# starting `edgectl node drain` on node 1 until the router's kernel route
# to the VIP has node 2 as its only next hop (polled every 5 ms), then from
# starting `edgectl node undrain` until both next hops are back (edgectl's
# own start-up included). Prints every round and the
# median, p99 and maximum of each. Target: withdrawn within 1 s.
# Run as root under the test lock; it builds and removes the lab itself.
#
#   scripts/bench/drain.sh [--rounds N]
set -uo pipefail

BENCH_NAME=bench_drain
ROUNDS=20
NODE_PREFIX=ep-bench-drain
# shellcheck source=scripts/bench/multinode.sh
. "$(dirname "${BASH_SOURCE[0]}")/multinode.sh"
mn_bench_init 2,12 "$@"
CTL=$ROOT/build/slowpath/edgectl
VIP=10.99.100.1
node_start 0 "$ROOT/configs/lab-multinode.json"
node_start 1 "$ROOT/configs/lab-multinode.json"
node_wait_ready 0 300 && node_wait_ready 1 300 || { echo "nodes not ready" >&2; exit 1; }
# BGP runs over the nodes' exception taps: up once the fast paths run.
node_wait_bgp 300 || { echo "BGP sessions not up" >&2; exit 1; }

N1=$(node_ip 0)
N2=$(node_ip 1)
hops() {
	ip -n "$LAB_ROUTER_NS" route show "$VIP/32" 2>/dev/null |
		grep -oE 'via [0-9.]+' | awk '{print $2}' | sort | tr '\n' ' '
}
BOTH=$(printf '%s\n' "$N1" "$N2" | sort | tr '\n' ' ')
until_hops() {  # until_hops WANT [T0]: ms from T0 (now) until the hops are WANT (-1: 5 s)
	local t0=${2:-$(date +%s%3N)} i
	for ((i = 0; i < 1000; i++)); do
		[[ $(hops) == "$1" ]] && { echo $(($(date +%s%3N) - t0)); return 0; }
		sleep 0.005
	done
	echo -1
}
[[ $(until_hops "$BOTH") != -1 ]] || { echo "no ECMP route at start" >&2; exit 1; }


down=() up=()
for ((r = 1; r <= ROUNDS; r++)); do
	t0=$(date +%s%3N)
	"$CTL" --socket "$(node_api 0)" node drain >/dev/null
	d=$(until_hops "$N2 " "$t0")
	t0=$(date +%s%3N)
	"$CTL" --socket "$(node_api 0)" node undrain >/dev/null
	u=$(until_hops "$BOTH" "$t0")
	echo "round $r: withdrawn after $d ms, announced again after $u ms"
	down+=("$d") up+=("$u")
	sleep 0.2
done
mn_stats "drain -> withdrawn (edgectl to router kernel route)" "${down[@]}"
mn_stats "undrain -> announced" "${up[@]}"
