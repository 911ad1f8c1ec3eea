#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Two namespaces for the exception path (tests/e2e/test_exception.sh,
# scripts/bench/exception.sh): a client and a load balancer joined by a
# veth, the load balancer's end kept from the kernel (no ARP, no IPv6,
# nftables drops its IP input), so that the node's kernel sees only what
# comes through the fast path's tap. Offloads off: complete, MTU-sized
# frames on the wire (see scripts/lab.sh). The lab (scripts/lab.sh) keeps
# its load balancers' eth0 from the kernel the same way (exc_kernel_off),
# and tests/e2e/lib.sh and scripts/lib/nodes.sh address the lab's taps
# (exc_tap_addr).

# exc_net_up CLI_NS LB_NS CLI_IF LB_IF CLIENT_IP/LEN
exc_net_up() {
	local cns=$1 lns=$2 cif=$3 lif=$4 caddr=$5 ns
	ip netns del "$cns" 2>/dev/null
	ip netns del "$lns" 2>/dev/null
	ip netns add "$cns" && ip netns add "$lns" || return 1
	ip link add "$cif" netns "$cns" type veth peer name "$lif" \
		netns "$lns" || return 1
	for ns in "$cns" "$lns"; do ip -n "$ns" link set lo up; done
	ip netns exec "$cns" ethtool -K "$cif" rx off tx off tso off gso off \
		gro off >/dev/null 2>&1
	ip netns exec "$lns" ethtool -K "$lif" rx off tx off tso off gso off \
		gro off >/dev/null 2>&1
	ip -n "$cns" addr add "$caddr" dev "$cif" || return 1
	ip -n "$cns" link set "$cif" up || return 1
	exc_kernel_off "$lns" "$lif" || return 1
	ip -n "$lns" link set "$lif" promisc on up || return 1
}

# exc_kernel_off NS IF: keep NS's kernel off IF, the interface a fast path
# reads with net_af_packet or net_af_xdp: no IPv6, no ARP, and nftables
# drops its IP input. The kernel would otherwise take packets for the
# tap's addresses from IF too (weak host model) and answer them twice;
# af_packet and AF_XDP see the frames before netfilter.
exc_kernel_off() {
	local ns=$1 dev=$2
	ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$dev.disable_ipv6=1" &&
		ip netns exec "$ns" sysctl -qw "net.ipv4.conf.$dev.arp_ignore=8" &&
		ip -n "$ns" link set "$dev" arp off || return 1
	ip netns exec "$ns" nft -f - <<EOF
table inet exc {
	chain input { type filter hook input priority 0; iifname "$dev" drop; }
}
EOF
}

# exc_tap_addr NS TAP TENTHS ADDR/LEN...: once the fast path has started
# its exception tap TAP in NS (up: its MAC and MTU are set by then; at most
# TENTHS x 0.1 s), give it the node's addresses. The fast path sets none
# (docs/fastpath.md "Exception path"); whatever the kernel then sends from
# them leaves through the fast path's port.
exc_tap_addr() {
	local ns=$1 tap=$2 t=$3 a
	shift 3
	until ip -n "$ns" -o link show dev "$tap" 2>/dev/null |
		grep -qE '[<,]UP[,>]'; do
		((t-- > 0)) || return 1
		sleep 0.1
	done
	for a in "$@"; do
		ip -n "$ns" addr replace "$a" dev "$tap" || return 1
	done
}

# exc_net_down NS...: remove the namespaces (idempotent)
exc_net_down() {
	local ns
	for ns in "$@"; do ip netns del "$ns" 2>/dev/null || true; done
}
