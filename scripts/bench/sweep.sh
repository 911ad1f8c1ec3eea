#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The forwarding sweep: scripts/bench/bench.sh (the fast path and testpmd
# macswap on one net_memif link, interleaved rounds) at every number of
# flows x frame size, then one CSV, two PNG plots (gnuplot) and a table.
#
#   scripts/bench/sweep.sh [--flows 1,1000,65536,1000000] [--sizes 64,512,1500]
#                          [--rounds N] [--duration S] [--warmup S]
#                          [--out DIR] [--build-dir DIR] [--no-plots]
#
# Defaults: --rounds 3 --duration 5; --warmup 2 s plus 1 s per 250000
# flows (every flow has its connection entry before the window opens).
# Frame sizes count the FCS. Results: DIR (default
# /tmp/edgepath-sweep/<date>/): sweep.csv, rate.png, cycles.png, table.md,
# environment.txt, and each point's bench.sh output under
# points/flows-F-size-S/. As root, like bench.sh; docs/benchmarking.md.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/../.." && pwd)
ARGS="$*"
FLOWS=1,1000,65536,1000000
SIZES=64,512,1500
ROUNDS=3
DURATION=5
WARMUP=
OUT=
BUILD_ARGS=()
PLOTS=1

die() { echo "sweep: error: $*" >&2; exit 1; }
say() { echo "sweep: $*" >&2; }
list() { [[ "$2" =~ ^[0-9]+(,[0-9]+)*$ ]] || die "$1: '$2' is not a comma-separated list of numbers"; }

while [ $# -gt 0 ]; do
	case "$1" in
	--flows) list "$1" "${2:-}"; FLOWS=$2; shift 2 ;;
	--sizes) list "$1" "${2:-}"; SIZES=$2; shift 2 ;;
	--rounds) ROUNDS=${2:?--rounds needs a number}; shift 2 ;;
	--duration) DURATION=${2:?--duration needs seconds}; shift 2 ;;
	--warmup) WARMUP=${2:?--warmup needs seconds}; shift 2 ;;
	--out) OUT=${2:?--out needs a directory}; shift 2 ;;
	--build-dir) BUILD_ARGS=(--build-dir "${2:?--build-dir needs a directory}"); shift 2 ;;
	--no-plots) PLOTS=0; shift ;;
	-h|--help) sed -n '3,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown option '$1' (try --help)" ;;
	esac
done
for f in ${FLOWS//,/ }; do
	[ "$f" -ge 1 ] && [ "$f" -le 1048576 ] || die "--flows: $f is not 1..1048576"
done
for s in ${SIZES//,/ }; do
	[ "$s" -ge 64 ] && [ "$s" -le 1518 ] || die "--sizes: $s is not 64..1518"
done
[ "$(id -u)" -eq 0 ] || die "run as root (bench.sh needs hugepages and DPDK runtime directories)"
[ "$PLOTS" -eq 0 ] || command -v gnuplot >/dev/null ||
	die "gnuplot not found (apt-get install gnuplot-nox, or --no-plots)"
[ -n "$OUT" ] || OUT=/tmp/edgepath-sweep/$(date +%Y%m%d-%H%M%S)
mkdir -p "$OUT/points"
OUT=$(cd "$OUT" && pwd)

{
	echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
	echo "host: $(uname -r), $(nproc --all) CPUs, $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
	echo "tree: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" diff --quiet 2>/dev/null || echo ' (with uncommitted changes)')"
	echo "command: $0 $ARGS (flows $FLOWS, sizes $SIZES, rounds $ROUNDS, duration $DURATION s, warmup ${WARMUP:-auto})"
} | tee "$OUT/environment.txt" >&2

failed=0
for s in ${SIZES//,/ }; do
	for f in ${FLOWS//,/ }; do
		w=${WARMUP:-$(awk -v f="$f" 'BEGIN { printf "%d", 2 + f / 250000 }')}
		d=$OUT/points/flows-$f-size-$s
		say "$f flows, $s-byte frames (warm-up $w s)"
		"$BENCH_DIR/bench.sh" --modes established --flows "$f" --size "$s" \
			--rounds "$ROUNDS" --duration "$DURATION" --warmup "$w" \
			"${BUILD_ARGS[@]}" --out "$d" >"$d.log" 2>&1 ||
			{ say "bench.sh failed for $f flows x $s B (see $d.log)"; failed=1; }
	done
done
plot=()
[ "$PLOTS" -eq 1 ] || plot=(--no-plots)
python3 "$BENCH_DIR/sweep.py" "$OUT" "${plot[@]}" || failed=1
say "results in $OUT"
exit "$failed"
