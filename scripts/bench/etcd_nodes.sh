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

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
ROUNDS=50
while [ $# -gt 0 ]; do
	case "$1" in
	--rounds) [[ "${2:-}" =~ ^[1-9][0-9]*$ ]] || { echo "--rounds N" >&2; exit 2; }
		ROUNDS=$2; shift 2 ;;
	-h|--help) sed -n '2,14p' "$0"; exit 0 ;;
	*) echo "unknown option $1" >&2; exit 2 ;;
	esac
done
[ "$(id -u)" -eq 0 ] || { echo "run as root" >&2; exit 2; }

FP_BIN=$ROOT/build/fastpath/edgepath-fastpath
SP_BIN=$ROOT/build/slowpath/edgepath-slowpath
NODE_PREFIX=ep-bench-etcd
NODE_DIR=$(mktemp -d /tmp/bench_etcd_nodes.XXXXXX)
NODE_CPU=$(($(nproc) - 1))

# shellcheck source=scripts/lib/procs.sh
. "$ROOT/scripts/lib/procs.sh"
cleanup() {
	trap - EXIT INT TERM
	declare -F node_stop_all >/dev/null && node_stop_all
	"$ROOT/scripts/lab.sh" down >/dev/null 2>&1 || true
	rm -rf "$NODE_DIR"
}
trap cleanup EXIT
trap 'cleanup; exit 1' INT TERM

"$ROOT/scripts/lab.sh" up --nodes 2 >"$NODE_DIR/lab.log" 2>&1 || { cat "$NODE_DIR/lab.log"; exit 1; }
# shellcheck disable=SC1091
. /run/edgepath-lab/env
# shellcheck source=scripts/lib/nodes.sh
. "$ROOT/scripts/lib/nodes.sh"
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
stats() {  # stats LABEL VALUES...: median, p99, max
	local label=$1; shift
	printf '%s\n' "$@" | sort -n | awk -v l="$label" '
		{ v[NR] = $1 }
		END { p = int(NR * 0.99 + 0.999); if (p > NR) p = NR
		      printf "%s: median %d ms, p99 %d ms, max %d ms (%d rounds)\n", l, v[int((NR + 1) / 2)], v[p], v[NR], NR }'
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
stats "etcd put -> in force on both nodes (etcdctl start included)" "${both[@]}"
