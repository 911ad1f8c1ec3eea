# shellcheck shell=bash
# SPDX-License-Identifier: BSD-3-Clause
# Sourced by the multi-node lab benchmarks (drain.sh, etcd_nodes.sh): the
# --rounds option, root, the lab (scripts/lab.sh up --nodes 2) with its
# clean-up, the node helpers (scripts/lib/nodes.sh) and the summary line.
#
# Before sourcing: BENCH_NAME, ROUNDS (the default) and NODE_PREFIX. Then
#   mn_bench_init HELP_LINES "$@"   options, root, lab up, nodes.sh sourced
#   mn_stats LABEL VALUES...        "LABEL: median, p99, max (N rounds)"

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=scripts/bench/args.sh
. "$ROOT/scripts/bench/args.sh"
# shellcheck source=scripts/lib/procs.sh
. "$ROOT/scripts/lib/procs.sh"
FP_BIN=$ROOT/build/fastpath/edgepath-fastpath
SP_BIN=$ROOT/build/slowpath/edgepath-slowpath
NODE_CPU=$(($(nproc) - 1))

mn_cleanup() {
	trap - EXIT INT TERM
	declare -F node_stop_all >/dev/null && node_stop_all
	"$ROOT/scripts/lab.sh" down >/dev/null 2>&1 || true
	rm -rf "$NODE_DIR"
}

mn_bench_init() { # HELP_LINES args...
	local help=$1
	shift
	bench_parse_args "--rounds int ROUNDS" "$help" "$@"
	[ "$ROUNDS" -ge 1 ] || die "--rounds: at least 1"
	[ "$(id -u)" -eq 0 ] || die "run as root"
	NODE_DIR=$(mktemp -d "/tmp/$BENCH_NAME.XXXXXX")
	trap mn_cleanup EXIT
	trap 'mn_cleanup; exit 1' INT TERM
	"$ROOT/scripts/lab.sh" up --nodes 2 >"$NODE_DIR/lab.log" 2>&1 ||
		{ cat "$NODE_DIR/lab.log"; exit 1; }
	# shellcheck disable=SC1091
	. /run/edgepath-lab/env
	# shellcheck source=scripts/lib/nodes.sh
	. "$ROOT/scripts/lib/nodes.sh"
}

mn_stats() { # LABEL VALUES...: median, p99, max
	local label=$1
	shift
	printf '%s\n' "$@" | sort -n | awk -v l="$label" '
		{ v[NR] = $1 }
		END { p = int(NR * 0.99 + 0.999); if (p > NR) p = NR
		      printf "%s: median %d ms, p99 %d ms, max %d ms (%d rounds)\n", l, v[int((NR + 1) / 2)], v[p], v[NR], NR }'
}
