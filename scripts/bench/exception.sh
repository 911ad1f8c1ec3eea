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
# the server received them). With --baseline, each run is followed by the
# same iperf3 run over a plain veth between two more namespaces (exc-kcli,
# exc-ksrv; kernel at both ends, the same offloads off), the machine's
# own ceiling for that traffic: compare the two within one run.
#
#   scripts/bench/exception.sh [-t SECONDS] [--baseline] [-- FASTPATH-OPTIONS...]
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
KCNS=exc-kcli
KSNS=exc-ksrv
KNODE=10.79.0.1
SECS=10
BASELINE=0
while (($#)); do
	case $1 in
	-t) SECS=$2; shift 2 ;;
	--baseline) BASELINE=1; shift ;;
	--) shift; break ;;
	*) echo "usage: $0 [-t SECONDS] [--baseline] [-- FASTPATH-OPTIONS...]" >&2; exit 2 ;;
	esac
done
[[ $SECS =~ ^[1-9][0-9]?$ ]] || { echo "-t: 1..99 seconds" >&2; exit 2; }
say() { echo "# $*" >&2; }
TMP=$(mktemp -d /tmp/bench_exc.XXXXXX)
FP_PID=
SRV_PID=
KSRV_PID=
cleanup() {
	stop_pid "$SRV_PID" 3 TERM
	stop_pid "$KSRV_PID" 3 TERM
	stop_pid "$FP_PID" 10 INT
	exc_net_down "$CNS" "$LNS" "$KCNS" "$KSNS"
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
# kernel_net_up: the baseline's veth, kernel at both ends.
kernel_net_up() {
	exc_net_down "$KCNS" "$KSNS"
	ip netns add "$KCNS" && ip netns add "$KSNS" || return 1
	ip link add excka0 netns "$KCNS" type veth peer name exckb0 netns "$KSNS" || return 1
	ip netns exec "$KCNS" ethtool -K excka0 rx off tx off tso off gso off gro off >/dev/null 2>&1
	ip netns exec "$KSNS" ethtool -K exckb0 rx off tx off tso off gso off gro off >/dev/null 2>&1
	ip -n "$KCNS" addr add 10.79.0.2/24 dev excka0 && ip -n "$KSNS" addr add "$KNODE/24" dev exckb0 &&
		ip -n "$KCNS" link set excka0 up && ip -n "$KSNS" link set exckb0 up
}
if ((BASELINE)); then
	kernel_net_up || { say "baseline veth"; exit 1; }
	ip netns exec "$KSNS" iperf3 -s -B "$KNODE" >"$TMP/iperf3-kserver.log" 2>&1 &
	KSRV_PID=$!
	sleep 1
fi

# iperf NS ADDR DIR TAG: one iperf3 run; prints "Mbit/s received-pps"
iperf() {
	local flag=
	case $3 in
	down) flag=-R ;;
	udp64) flag="-u -b 0 -l 64" ;; # small datagrams: the packet rate
	esac
	# shellcheck disable=SC2086 # flag is a word list on purpose
	ip netns exec "$1" iperf3 -c "$2" -t "$SECS" $flag -J >"$TMP/iperf3-$4.json" 2>&1
	python3 - "$TMP/iperf3-$4.json" <<'PY' 2>/dev/null || { say "iperf3 $4: $(head -c 300 "$TMP/iperf3-$4.json")"; echo "? ?"; }
import json, sys
e = json.load(open(sys.argv[1]))["end"]
r = e.get("sum_received") or e["sum"]
pps = "-"
if "packets" in e.get("sum", {}):  # UDP: what the server received
    s = e["sum"]
    pps = "%d" % ((s["packets"] - s["lost_packets"]) / s["seconds"])
print("%.1f %s" % (r["bits_per_second"] / 1e6, pps))
PY
}

echo "edgepath exception path, iperf3 ${SECS} s, fast path options: ${*:-(defaults)}"
echo "git $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet || echo +dirty), $(date -u +%Y-%m-%dT%H:%MZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
for dir in up down udp64; do
	in0=$(tel exception_to_kernel) out0=$(tel exception_from_kernel)
	read -r mbps rpps < <(iperf "$CNS" "$NODE" "$dir" "$dir")
	in1=$(tel exception_to_kernel) out1=$(tel exception_from_kernel)
	printf '%-6s %-9s %8s Mbit/s  received %8s pps  into kernel %8d pps  out of kernel %8d pps\n' \
		"$dir" edgepath "$mbps" "$rpps" $(((in1 - in0) / SECS)) $(((out1 - out0) / SECS))
	sleep 1
	if ((BASELINE)); then
		read -r mbps rpps < <(iperf "$KCNS" "$KNODE" "$dir" "k-$dir")
		printf '%-6s %-9s %8s Mbit/s  received %8s pps\n' "$dir" kernel "$mbps" "$rpps"
		sleep 1
	fi
done
