#!/usr/bin/env bash
# wrk through the lab's NAT VIP (10.99.100.2:80, three nginx backends):
# edgepath's fast path in ep-lb, against the Linux kernel doing the same
# NAT in the same namespace (nftables DNAT by a hash of the client's
# address and port, conntrack for the replies), round by round in the
# same run (issue #19). A benchmark: it measures and prints, it asserts
# nothing.
#
#   scripts/bench/kernel_nat.sh [--rounds N] [--duration S]
#       [--connections C] [--pmd af_xdp|af_packet] [--idle-sleep-us N]
#       [--out DIR]
#
# Each round runs both setups, ours first on odd rounds and the kernel
# first on even ones, and each setup two wrk runs from ep-client:
# keep-alive (C connections, many requests each) and "Connection: close"
# (a new connection, so a new NAT entry, per request). Writes
# DIR/kernel_nat.csv (round,setup,mode,rps,p50_ms,p99_ms,errors) and
# prints the medians over the rounds with ours / kernel.
#
# Layout on a 2-CPU machine: wrk on CPU 0; the fast path's main lcore
# and worker on CPU 1 with idle back-off (--idle-sleep-us, default 100
# as scripts/run.sh; 0 busy-polls CPU 1); nginx and the kernel's
# softirqs where the scheduler puts them. Needs root, the lab
# (scripts/lab.sh) and a build.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
FP=$ROOT/build/fastpath/edgepath-fastpath
SP=$ROOT/build/slowpath/edgepath-slowpath
LAB=$ROOT/scripts/lab.sh
ROUNDS=5
DURATION=10
CONNS=20
PMD=af_xdp
IDLE_US=100
OUT=/tmp/edgepath-kernel-nat
PREFIX=ep-knat
WRK_CPU=0
FP_CPU=1
API_SOCK=/run/edgepath-knat/api.sock
NFT_TABLE=ep_bench_nat

die() { echo "kernel_nat: error: $*" >&2; exit 1; }
log() { echo "kernel_nat: $*" >&2; }
while [ $# -gt 0 ]; do
	case "$1" in
	--rounds) [[ "${2:-}" =~ ^[1-9][0-9]*$ ]] || die "--rounds needs a count"; ROUNDS=$2; shift 2 ;;
	--duration) [[ "${2:-}" =~ ^[1-9][0-9]*$ ]] || die "--duration needs seconds"; DURATION=$2; shift 2 ;;
	--connections) [[ "${2:-}" =~ ^[1-9][0-9]*$ ]] || die "--connections needs a count"; CONNS=$2; shift 2 ;;
	--pmd) [[ "${2:-}" =~ ^(af_xdp|af_packet)$ ]] || die "--pmd is af_xdp or af_packet"; PMD=$2; shift 2 ;;
	--idle-sleep-us) [[ "${2:-}" =~ ^[0-9]+$ ]] || die "--idle-sleep-us needs microseconds"; IDLE_US=$2; shift 2 ;;
	--out) [ -n "${2:-}" ] || die "--out needs a directory"; OUT=$2; shift 2 ;;
	-h | --help) sed -n '2,26p' "$0"; exit 0 ;;
	*) die "unknown option '$1' (try --help)" ;;
	esac
done
[ "$(id -u)" -eq 0 ] || die "run as root"
for c in wrk nft jq curl taskset; do command -v "$c" >/dev/null || die "missing $c (scripts/setup.sh)"; done
[ -x "$FP" ] && [ -x "$SP" ] || die "build first (meson setup build && ninja -C build)"
# shellcheck source=scripts/lib/procs.sh
. "$ROOT/scripts/lib/procs.sh"

mkdir -p "$OUT"
TMP=$(mktemp -d /tmp/kernel_nat.XXXXXX)
CSV=$OUT/kernel_nat.csv
FP_PID="" SP_PID=""

stop_ours() {
	[ -n "$SP_PID" ] && stop_pid "$SP_PID" 5 INT
	[ -n "$FP_PID" ] && stop_pid "$FP_PID" 10 INT
	SP_PID="" FP_PID=""
	rm -f /dev/hugepages/"$PREFIX"map_* 2>/dev/null || true
	rm -rf /var/run/dpdk/"$PREFIX"
	# an AF_XDP socket's program goes with the process; make sure
	ip -n ep-lb link set dev eth0 xdp off 2>/dev/null || true
}

kernel_off() {
	ip netns exec ep-lb nft delete table ip "$NFT_TABLE" 2>/dev/null || true
	ip netns exec ep-lb sysctl -qw net.ipv4.ip_forward=0 2>/dev/null || true
	ip -n ep-lb route del 10.99.1.0/24 2>/dev/null || true
	ip -n ep-lb addr del 10.99.0.1/24 dev eth0 2>/dev/null || true
	ip -n ep-lb neigh flush dev eth0 2>/dev/null || true
	ip -n ep-lb link set dev eth0 arp off 2>/dev/null || true
}

cleanup() {
	trap - EXIT INT TERM
	stop_ours
	kernel_off
	"$LAB" down >/dev/null 2>&1 || true
	rm -rf "$TMP" /run/edgepath-knat
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM

start_ours() {
	local vdev i
	vdev="net_${PMD}0,iface=eth0"
	mkdir -p /run/edgepath-knat
	jq --arg s "$API_SOCK" '.api.listeners = [{ "unix": $s }]' \
		"$ROOT/configs/lab.json" >"$TMP/config.json"
	ip netns exec ep-lb "$FP" --lcores="0@$FP_CPU,1@$FP_CPU" --no-pci \
		--file-prefix="$PREFIX" --log-level=user1,warning --vdev="$vdev" -- \
		--stats-interval 0 --idle-sleep-us "$IDLE_US" --ct-entries 262144 \
		>>"$OUT/fastpath.log" 2>&1 &
	FP_PID=$!
	ip netns exec ep-lb "$SP" --proc-type=secondary --no-pci \
		--file-prefix="$PREFIX" -l 0 --log-level=error -- \
		--config "$TMP/config.json" --status-interval 0 \
		>>"$OUT/slowpath.log" 2>&1 &
	SP_PID=$!
	for ((i = 0; i < 150; i++)); do
		curl -s --max-time 1 --unix-socket "$API_SOCK" http://localhost/readyz 2>/dev/null |
			grep -q '"ready"' && return 0
		sleep 0.1
	done
	die "the fast path and slow path did not get ready (see $OUT/*.log)"
}

# The same service in the kernel: the node address on eth0 (which the lab
# keeps NOARP for the fast path, and its input dropped: forwarded packets
# do not pass that hook), forwarding,
# DNAT by a hash of (source address, source port) over the three
# backends (as Maglev, a connection keeps its backend), conntrack for the
# way back, and the return route to the NAT client network.
kernel_on() {
	ip -n ep-lb link set dev eth0 arp on
	ip -n ep-lb addr add 10.99.0.1/24 dev eth0
	ip -n ep-lb route add 10.99.1.0/24 via 10.99.0.2 dev eth0
	ip netns exec ep-lb sysctl -qw net.ipv4.ip_forward=1
	ip netns exec ep-lb nft -f - <<EOF
table ip $NFT_TABLE {
	chain pre {
		type nat hook prerouting priority dstnat; policy accept;
		ip daddr 10.99.100.2 tcp dport 80 dnat to jhash ip saddr . tcp sport mod 3 map { 0 : 10.99.0.11, 1 : 10.99.0.12, 2 : 10.99.0.13 }
	}
}
EOF
}

# "Latency ... 99% 1.23ms" -> ms
wrk_ms() {
	awk -v p="$1" '$1 == p { v = $2
		if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 }
		else if (v ~ /ms$/) { sub(/ms$/, "", v) }
		else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 }
		printf "%.3f", v }' "$2"
}

# run_wrk ROUND SETUP MODE: one wrk run, a CSV line.
run_wrk() {
	local out=$TMP/wrk.$2.$3 hdr=() rps p50 p99 errs
	[ "$3" = close ] && hdr=(-H "Connection: close")
	timeout $((DURATION + 20)) ip netns exec ep-client taskset -c "$WRK_CPU" \
		wrk -t1 -c"$CONNS" -d"${DURATION}s" --timeout 2s --latency "${hdr[@]}" \
		http://10.99.100.2/ >"$out" 2>&1 || true
	cat "$out" >>"$OUT/wrk.log"
	rps=$(awk '/^Requests\/sec:/ { print $2 }' "$out")
	p50=$(wrk_ms 50% "$out")
	p99=$(wrk_ms 99% "$out")
	errs=$(sed -n 's/.*Socket errors: //p' "$out" | tr -d ',' | awk '{ print $2 + $4 + $6 + $8 }')
	errs=$((${errs:-0} + $(awk '/Non-2xx/ { print $NF }' "$out" | head -1 | grep -o '[0-9]*' || echo 0)))
	echo "$1,$2,$3,${rps:-0},${p50:-},${p99:-},$errs" | tee -a "$CSV"
}

run_setup() { # ROUND SETUP
	if [ "$2" = ours ]; then start_ours; else kernel_on; fi
	sleep 1
	run_wrk "$1" "$2" keepalive
	run_wrk "$1" "$2" close
	if [ "$2" = ours ]; then stop_ours; else kernel_off; fi
}

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

col() { # SETUP MODE COLUMN -> median
	awk -F, -v s="$1" -v m="$2" -v c="$3" '$2 == s && $3 == m { print $c }' "$CSV" | median
}

ratio() { awk -v o="${1:-0}" -v k="${2:-0}" 'BEGIN { if (k > 0) printf "%.2f", o / k; else printf "-" }'; }

report() {
	local m o k
	echo ""
	echo "medians of $ROUNDS rounds ($PMD, --idle-sleep-us $IDLE_US, wrk -t1 -c$CONNS -d${DURATION}s, $(date -Is), tree $(git -C "$ROOT" rev-parse --short HEAD))"
	printf '%-10s %-8s %10s %9s %9s %7s\n' mode setup req/s p50_ms p99_ms errors
	for m in keepalive close; do
		for s in ours kernel; do
			printf '%-10s %-8s %10s %9s %9s %7s\n' "$m" "$s" "$(col "$s" "$m" 4)" \
				"$(col "$s" "$m" 5)" "$(col "$s" "$m" 6)" "$(col "$s" "$m" 7)"
		done
		o=$(col ours "$m" 4) k=$(col kernel "$m" 4)
		echo "$m: ours / kernel req/s $(ratio "$o" "$k"), p99 ours / kernel $(ratio "$(col ours "$m" 6)" "$(col kernel "$m" 6)")"
	done
}

"$ROOT/scripts/setup.sh" >/dev/null
timeout 120 "$LAB" up >"$OUT/lab.log" 2>&1 || die "lab up failed (see $OUT/lab.log)"
kernel_off
echo "round,setup,mode,rps,p50_ms,p99_ms,errors" >"$CSV"
for ((r = 1; r <= ROUNDS; r++)); do
	if ((r % 2)); then order=(ours kernel); else order=(kernel ours); fi
	for s in "${order[@]}"; do run_setup "$r" "$s"; done
done
report | tee "$OUT/kernel_nat.txt"
