#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Two namespaces for the exception path (tests/e2e/test_exception.sh,
# scripts/bench/exception.sh): a client and a load balancer joined by a
# veth, the load balancer's end kept from the kernel (no ARP, no IPv6,
# nftables drops its IP input), so that the node's kernel sees only what
# comes through the fast path's tap. Offloads off: complete, MTU-sized
# frames on the wire (see scripts/lab.sh).

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
	ip netns exec "$lns" sysctl -qw "net.ipv6.conf.$lif.disable_ipv6=1"
	ip netns exec "$lns" sysctl -qw "net.ipv4.conf.$lif.arp_ignore=8"
	ip -n "$lns" link set "$lif" arp off || return 1
	ip -n "$lns" link set "$lif" promisc on up || return 1
	# The kernel would take the tap's addresses from the veth too (weak
	# host model); af_packet sees the frames before this rule.
	ip netns exec "$lns" nft -f - <<EOF || return 1
table inet exc {
	chain input { type filter hook input priority 0; iifname "$lif" drop; }
}
EOF
}

# exc_net_down NS...: remove the namespaces (idempotent)
exc_net_down() {
	local ns
	for ns in "$@"; do ip netns del "$ns" 2>/dev/null || true; done
}
