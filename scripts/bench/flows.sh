#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# How the pipeline's cost grows with the number of flows: bench_pipeline
# (tests/bench/bench_pipeline.c: worker_process on one thread, no PMD) in
# established mode at every number of flows x frame size, the points
# interleaved round by round (the machine's speed moves between runs; a
# round's points ran within seconds of each other), then the medians, the
# median over rounds of every point's ratio to the 65536-flow point of its
# frame size in the same round, one CSV and a PNG plot (gnuplot).
#
#   scripts/bench/flows.sh [--flows 1,1024,65536,1048576] [--sizes 64,512,1500]
#                          [--rounds N] [--bursts N] [--out DIR]
#                          [--build-dir DIR] [--no-plots] [--huge]
#
# Defaults: --rounds 5, --bursts 65536 (2 M measured packets a point).
# --huge runs EAL on hugepages (about 600 MB free for 1048576 flows):
# without, every cold table access also misses the TLB (4 KiB pages).
# The connection table has room for every flow (at least twice the flows,
# at least 262144 entries). Results in DIR (default
# /tmp/edgepath-flows/<date>/): runs.csv (every run), flows.csv (medians),
# flows.png; a table on stdout. Run under the test lock on shared machines.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/../.." && pwd)
BUILD_DIR=$ROOT/build
FLOWS=1,1024,65536,1048576
SIZES=64,512,1500
ROUNDS=5
BURSTS=65536
OUT=
PLOTS=1
HUGE=

BENCH_NAME=flows.sh
# shellcheck source=scripts/bench/args.sh
. "$BENCH_DIR/args.sh"
OPTS='--flows str FLOWS
--sizes str SIZES
--rounds int ROUNDS
--bursts int BURSTS
--out str OUT
--build-dir dir BUILD_DIR
--no-plots flag PLOTS 0
--huge flag HUGE --huge'
bench_parse_args "$OPTS" 3,21 "$@"
for l in "$FLOWS" "$SIZES"; do
	[[ "$l" =~ ^[0-9]+(,[0-9]+)*$ ]] || die "'$l' is not a comma-separated list of numbers"
done
[[ $ROUNDS =~ ^[0-9]+$ && $ROUNDS -ge 1 && $ROUNDS -le 50 ]] || die "--rounds: 1..50"
[[ $BURSTS =~ ^[0-9]+$ && $BURSTS -ge 64 && $BURSTS -le 1000000 ]] || die "--bursts: 64..1000000"
for f in ${FLOWS//,/ }; do
	((f >= 1 && f <= 4194304)) || die "--flows: $f is not 1..4194304"
done
for s in ${SIZES//,/ }; do
	((s >= 64 && s <= 1500)) || die "--sizes: $s is not 64..1500"
done
BP=$BUILD_DIR/tests/bench/bench_pipeline
[ -x "$BP" ] || die "missing $BP (ninja -C $BUILD_DIR)"
[ "$PLOTS" -eq 0 ] || command -v gnuplot >/dev/null ||
	die "gnuplot not found (apt-get install gnuplot-nox, or --no-plots)"
[ -n "$OUT" ] || OUT=/tmp/edgepath-flows/$(date +%Y%m%d-%H%M%S)
mkdir -p "$OUT"

tree="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$ROOT" diff --quiet 2>/dev/null || echo '+changes')"
echo "tree: $tree, $(date -u '+%Y-%m-%d %H:%M UTC'), $ROUNDS rounds of $((BURSTS * 32)) packets a point, ${HUGE:-no hugepages}"
echo "round,flows,frame_len,ct_entries,tsc_cycles_per_packet" >"$OUT/runs.csv"
for ((r = 1; r <= ROUNDS; r++)); do
	for s in ${SIZES//,/ }; do
		for f in ${FLOWS//,/ }; do
			ct=$((2 * f > 262144 ? 2 * f : 262144))
			line=$(timeout 600 "$BP" --mode established --flows "$f" \
				--frame-len "$s" --ct-entries "$ct" --bursts "$BURSTS" ${HUGE:+"$HUGE"} \
				2>"$OUT/last.err" | grep '^mode=') ||
				die "bench_pipeline --flows $f --frame-len $s failed (see $OUT/last.err)"
			rm -rf /var/run/dpdk/bench_pipeline
			cyc=${line##*tsc_cycles_per_packet=}
			echo "$r,$f,$s,$ct,$cyc" >>"$OUT/runs.csv"
		done
	done
	echo "round $r done"
done

python3 - "$OUT" <<'EOF'
import csv, statistics, sys
out = sys.argv[1]
runs = {}
for r in csv.DictReader(open(f"{out}/runs.csv")):
    runs[(int(r["round"]), int(r["frame_len"]), int(r["flows"]))] = float(
        r["tsc_cycles_per_packet"])
sizes = sorted({s for _, s, _ in runs})
flows = sorted({f for _, _, f in runs})
rounds = sorted({k for k, _, _ in runs})
with open(f"{out}/flows.csv", "w") as f:
    f.write("frame_len,flows,median,min,max,ratio_to_65536\n")
    print("| frame B | flows | median TSC cycles/packet (min to max) | / 65536 flows, same round (median) |")
    print("|---|---|---|---|")
    for s in sizes:
        for fl in flows:
            v = [runs[(k, s, fl)] for k in rounds if (k, s, fl) in runs]
            # A ratio within a round: its points ran seconds apart.
            q = [runs[(k, s, fl)] / runs[(k, s, 65536)] for k in rounds
                 if (k, s, fl) in runs and (k, s, 65536) in runs]
            ratio = f"{statistics.median(q):.2f}" if q else ""
            m = statistics.median(v)
            f.write(f"{s},{fl},{m:.1f},{min(v):.1f},{max(v):.1f},{ratio}\n")
            print(f"| {s} | {fl} | {m:.1f} ({min(v):.1f} to {max(v):.1f}) | {ratio} |")
EOF

if ((PLOTS)); then
	gnuplot <<EOF
set terminal pngcairo size 800,500
set output "$OUT/flows.png"
set datafile separator ","
set logscale x 2
set xlabel "established flows"
set ylabel "TSC cycles/packet (median)"
set key left top
set title "bench_pipeline established, $tree" noenhanced
set format x "%.0f"
set xtics rotate by -30
plot for [s in "${SIZES//,/ }"] "< awk -F, -v s=" . s . " 'NR > 1 && \$1 == s' $OUT/flows.csv" \
	using 2:3 with linespoints title s . " B"
EOF
	echo "plot: $OUT/flows.png"
fi
echo "csv: $OUT/flows.csv, runs: $OUT/runs.csv"
