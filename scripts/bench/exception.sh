#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Throughput of the exception path: iperf3 from a client namespace to an
# iperf3 server on the node address, which the kernel holds on the fast
# path's tap (edgepath-fastpath --exception-tap), over net_af_packet on a
# veth (namespaces exc-bcli, exc-blb; scripts/lib/exc_net.sh). Prints,
# for client -> node and node -> client (iperf3 -R), Mbit/s and the
# packets/s the fast path moved each way (exception_to_kernel: into the
# kernel, exception_from_kernel: out of it); then 64-byte UDP datagrams
# client -> node (iperf3 -u -b 0 -l 64) for the packet rate (Mbit/s as
# the server received them).
#
#   scripts/bench/exception.sh [-t SECONDS] [-- FASTPATH-OPTIONS...]
#
# e.g. `-- --exception-source-pps 0` to lift the per-source budget. Run
# under the shared lock (flock /tmp/edgepath-test.lock ...). Needs root.
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=scripts/lib/procs.sh
. "$ROOT/scripts/lib/procs.sh"
# shellcheck source=scripts/lib/exc_net.sh
. "$ROOT/scripts/lib/exc_net.sh"
FP_BIN=${EDGEPATH_FASTPATH:-$ROOT/build/fastpath/edgepath-fastpath}
PREFIX=ep-bench-exc
CNS=exc-bcli
LNS=exc-blb
TAP=excbtap0
NODE=10.78.0.1
SECS=10
while (($#)); do
	case $1 in
	-t) SECS=$2; shift 2 ;;
	--) shift; break ;;
	*) echo "usage: $0 [-t SECONDS] [-- FASTPATH-OPTIONS...]" >&2; exit 2 ;;
	esac
done
say() { echo "# $*" >&2; }
TMP=$(mktemp -d /tmp/bench_exc.XXXXXX)
FP_PID=
SRV_PID=
cleanup() {
	stop_pid "$SRV_PID" 3 TERM
	stop_pid "$FP_PID" 10 INT
	exc_net_down "$CNS" "$LNS"
	rm -rf "/var/run/dpdk/$PREFIX" "$TMP"
	rm -f /dev/hugepages/"$PREFIX"* 2>/dev/null
}
trap cleanup EXIT
tel() { # tel NAME: a worker counter
	echo /edgepath/counters | timeout 10 dpdk-telemetry.py -f "$PREFIX" \
		2>/dev/null | grep '^{' | tail -n 1 |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["/edgepath/counters"][sys.argv[1]])' "$1"
}
tap_up() { ip -n "$LNS" link show "$TAP" 2>/dev/null | grep -q LOWER_UP; }

exc_net_up "$CNS" "$LNS" excbc0 excbl0 10.78.0.2/24 || exit 1
CPU=$(($(nproc) - 1))
ip netns exec "$LNS" "$FP_BIN" --lcores="0@$CPU,1@$CPU" --no-pci \
	--file-prefix="$PREFIX" --vdev=net_af_packet0,iface=excbl0 -- \
	--stats-interval 0 --exception-tap "$TAP" "$@" >"$TMP/fp.log" 2>&1 &
FP_PID=$!
wait_for "tap $TAP" 20 tap_up || { cat "$TMP/fp.log"; exit 1; }
ip -n "$LNS" addr add "$NODE/24" dev "$TAP"
ip netns exec "$LNS" iperf3 -s -B "$NODE" >"$TMP/iperf3-server.log" 2>&1 &
SRV_PID=$!
sleep 1
echo "edgepath exception path, iperf3 ${SECS} s, fast path options: ${*:-(defaults)}"
echo "git $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet || echo +dirty), $(date -u +%Y-%m-%dT%H:%MZ)"
for dir in up down udp64; do
	in0=$(tel exception_to_kernel) out0=$(tel exception_from_kernel)
	case $dir in
	up) flag= ;;
	down) flag=-R ;;
	udp64) flag="-u -b 0 -l 64" ;; # small datagrams: the packet rate
	esac
	ip netns exec "$CNS" iperf3 -c "$NODE" -t "$SECS" $flag -J \
		>"$TMP/iperf3-$dir.json" 2>&1
	mbps=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("%.1f" % ((d["end"].get("sum_received") or d["end"]["sum"])["bits_per_second"]/1e6))' \
		"$TMP/iperf3-$dir.json" 2>/dev/null) ||
		{ say "iperf3 $dir: $(head -c 300 "$TMP/iperf3-$dir.json")"; mbps=; }
	in1=$(tel exception_to_kernel) out1=$(tel exception_from_kernel)
	printf '%-4s %8s Mbit/s  into kernel %8d pps  out of kernel %8d pps\n' \
		"$dir" "${mbps:-?}" $(((in1 - in0) / SECS)) $(((out1 - out0) / SECS))
	sleep 1
done
