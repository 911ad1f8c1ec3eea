#!/usr/bin/env bash
# How fast a configuration change through etcd is in force on both nodes
# of the multi-node lab (docs/performance.md, docs/scale-out.md): the lab
# (scripts/lab.sh up --nodes 2, configs/lab-multinode.json), one etcd in
# the router namespace and both slow paths watching it
# (scripts/lib/nodes.sh). ROUNDS times: put a document that changes one
# backend's weight into etcd (etcdctl, from the router namespace), then
# poll both nodes' /v1/stats every 2 ms until each reports the put's
# revision as applied (set once its fast path acknowledged the change and
# the last good copy is persisted). Prints every round and the median, p99
# and maximum of the slower node. Target: 1 s at p99 (aim 100 ms).
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

applied() {  # applied I: the etcd revision node I has in force
	node_get "$1" /v1/stats | jq -r '.source.applied_revision // -1' 2>/dev/null
}
until_applied() {  # until_applied REV T0: ms until both nodes have REV (-1: 5 s)
	local a=0 b=0 i
	for ((i = 0; i < 2500; i++)); do
		((a)) || { [[ $(applied 0) -ge $1 ]] && a=1; }
		((b)) || { [[ $(applied 1) -ge $1 ]] && b=1; }
		((a && b)) && { echo $(($(date +%s%3N) - $2)); return 0; }
		sleep 0.002
	done
	echo -1
}

both=()
for ((r = 1; r <= ROUNDS; r++)); do
	jq --argjson w $((r % 5 + 1)) '.services[0].backends[1].weight = $w' \
		"$NODE_DIR/node0/config.json" >"$NODE_DIR/doc.json"
	t0=$(date +%s%3N)
	rev=$(node_etcdctl put -w json "${NODE_ETCD_PREFIX}config" <"$NODE_DIR/doc.json" | jq -r .header.revision)
	ms=$(until_applied "$rev" "$t0")
	echo "round $r: revision $rev in force on both nodes after $ms ms"
	both+=("$ms")
	sleep 0.1
done
mn_stats "etcd put -> in force on both nodes (etcdctl start included)" "${both[@]}"
