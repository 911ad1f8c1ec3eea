#!/usr/bin/env bash
# How fast a configuration change through etcd is in force on both nodes
# of the multi-node lab (docs/performance.md, docs/scale-out.md): the lab
# (scripts/lab.sh up --nodes 2, configs/lab-multinode.json), one etcd in
# the router namespace and both slow paths watching it
# (scripts/lib/nodes.sh). ROUNDS times (scripts/bench/etcd_apply.py, one
# Python process in the router namespace): put a document that changes
# one backend's weight through etcd's JSON gateway, then poll both nodes'
# /v1/stats every 1 ms until each reports the put's revision as applied
# (set once its fast path acknowledged the change and the last good copy
# is persisted). Prints the median, p90, p99 and maximum of the slower
# node. Target: 1 s at p99 (aim 100 ms).
# Run as root under the test lock; it builds and removes the lab itself.
#
#   scripts/bench/etcd_nodes.sh [--rounds N]
set -uo pipefail

BENCH_NAME=bench_etcd_nodes
ROUNDS=50
NODE_PREFIX=ep-bench-etcd
# shellcheck source=scripts/bench/multinode.sh
. "$(dirname "${BASH_SOURCE[0]}")/multinode.sh"
mn_bench_init 2,14 "$@"
node_etcd_start || { echo "etcd did not start" >&2; exit 1; }
node_config 0 "$ROOT/configs/lab-multinode.json" &&
	node_etcd_seed "$NODE_DIR/node0/config.json" || exit 1
node_start 0 "$ROOT/configs/lab-multinode.json"
node_start 1 "$ROOT/configs/lab-multinode.json"
node_wait_ready 0 300 && node_wait_ready 1 300 || { echo "nodes not ready" >&2; exit 1; }

# One process puts (etcd's JSON gateway, from the router namespace) and
# polls both nodes' Unix sockets: no program start-up in the figure.
jq '.services[0].backends[1].weight = "@WEIGHT@"' "$NODE_DIR/node0/config.json" \
	>"$NODE_DIR/template.json" || exit 1
ip netns exec "$LAB_ROUTER_NS" python3 "$ROOT/scripts/bench/etcd_apply.py" \
	"$NODE_ETCD" "$NODE_ETCD_PREFIX" "$(node_api 0),$(node_api 1)" \
	"$NODE_DIR/template.json" "$ROUNDS"
