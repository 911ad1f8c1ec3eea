#!/usr/bin/env bash
# Policing and SYN-proxy costs of the fast path's pipeline
# (tests/bench/bench_pipeline.c, one thread, no PMD; docs/performance.md):
#   1. TSC cycles/packet of 65536 established flows without and with a
#      service packets/s limit, a per-client packets/s limit and a
#      10,000-prefix access list, in interleaved rounds (medians);
#   2. cookie SYN-ACKs per second per worker and cycles per SYN (a SYN
#      from a new source in every frame to a nat service with syn_proxy);
#   3. with --callgrind, instructions per packet of the same (established,
#      established-policed, syn-cookie), which do not move with the
#      machine's state.
# Run under the test lock on shared machines. Prints the figures; the
# programs' own lines go to OUT (default /tmp/edgepath-bench-policing).
# --huge runs the timed modes on hugepages (as a deployment does; 4 KiB
# pages add a TLB miss to every new source's table bucket).
#
#   scripts/bench/policing.sh [--rounds N] [--repeat N] [--callgrind]
#                             [--huge] [--build-dir DIR] [--out DIR]
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD_DIR=$ROOT/build
OUT=/tmp/edgepath-bench-policing
ROUNDS=9
REPEAT=5
CALLGRIND=0
HUGE=()

die() { echo "policing.sh: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
	case "$1" in
	--rounds) [ $# -ge 2 ] || die "--rounds needs a number"; ROUNDS=$2; shift 2 ;;
	--repeat) [ $# -ge 2 ] || die "--repeat needs a number"; REPEAT=$2; shift 2 ;;
	--callgrind) CALLGRIND=1; shift ;;
	--huge) HUGE=(--huge); shift ;;
	--build-dir) [ $# -ge 2 ] || die "--build-dir needs a path"; BUILD_DIR=$2; shift 2 ;;
	--out) [ $# -ge 2 ] || die "--out needs a path"; OUT=$2; shift 2 ;;
	-h|--help) sed -n '2,18p' "$0"; exit 0 ;;
	*) die "unknown option '$1' (try --help)" ;;
	esac
done
[[ $ROUNDS =~ ^[0-9]+$ && $ROUNDS -ge 1 && $ROUNDS -le 64 ]] || die "--rounds: 1..64"
[[ $REPEAT =~ ^[0-9]+$ && $REPEAT -ge 1 && $REPEAT -le 50 ]] || die "--repeat: 1..50"
BP=$BUILD_DIR/tests/bench/bench_pipeline
[ -x "$BP" ] || die "missing $BP (ninja -C $BUILD_DIR)"
mkdir -p "$OUT"

echo "pages: ${HUGE[*]:-4 KiB (--no-huge)}"
echo "tree: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$ROOT" diff --quiet 2>/dev/null || echo '+changes'), $(date -u '+%Y-%m-%d %H:%M UTC')"

echo "== policing: established flows, $ROUNDS interleaved rounds"
timeout 600 "$BP" --mode policing-ab --rounds "$ROUNDS" "${HUGE[@]}" | tee "$OUT/policing-ab.txt"

echo "== syn-cookie: $REPEAT runs of 65536 SYNs from new sources"
: >"$OUT/syn-cookie.txt"
for ((i = 0; i < REPEAT; i++)); do
	timeout 120 "$BP" --mode syn-cookie "${HUGE[@]}" | tee -a "$OUT/syn-cookie.txt"
done
python3 - "$OUT/syn-cookie.txt" <<'EOF'
import re, statistics, sys
cyc, mpps = [], []
for line in open(sys.argv[1]):
    m = re.search(r"tsc_cycles_per_packet=([0-9.]+)", line)
    if m and "mode=syn-cookie" in line:
        cyc.append(float(m.group(1)))
    m = re.search(r"per_worker=([0-9.]+)M", line)
    if m:
        mpps.append(float(m.group(1)))
if cyc:
    print(f"syn-cookie median: {statistics.median(cyc):.1f} TSC cycles per SYN, "
          f"{statistics.median(mpps):.2f} M SYN-ACKs/s per worker "
          f"(runs: {', '.join(f'{c:.0f}' for c in cyc)})")
EOF

if ((CALLGRIND)); then
	command -v valgrind >/dev/null || die "valgrind not installed"
	for m in established established-policed syn-cookie; do
		timeout -s INT -k 10 900 valgrind --tool=callgrind \
			--callgrind-out-file="$OUT/callgrind.$m.out" \
			--toggle-collect=bench_measured_burst \
			"$BP" --mode "$m" >"$OUT/callgrind.$m.log" 2>&1 ||
			{ echo "callgrind $m failed (see $OUT/callgrind.$m.log)"; continue; }
		rm -rf /var/run/dpdk/bench_pipeline
		python3 "$ROOT/scripts/bench/callgrind_summary.py" \
			"$OUT/callgrind.$m.out" "$OUT/callgrind.$m.log" "$m"
	done
fi
