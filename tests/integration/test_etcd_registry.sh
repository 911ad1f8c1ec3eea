#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Functions run through check():
# shellcheck disable=SC2317,SC2034
# The service registry with etcd as the source: two nodes (two fast
# paths and two slow paths, net_null0) on one real etcd (Debian's
# etcd-server on free loopback ports, its data in the scratch directory,
# stopped by PID). An instance registered through node A's API is in
# node B's configuration; heartbeats through B keep it (leases renewed,
# the document not rewritten); without heartbeats it is unhealthy on both
# nodes after its ttl and gone from both after twice its ttl; a heartbeat
# through B brings an unhealthy one back on A; a deregistration through
# B removes it and its keys.
#
#   tests/integration/test_etcd_registry.sh FASTPATH SLOWPATH
set -u

fp_bin=${1:?usage: test_etcd_registry.sh FASTPATH SLOWPATH}
sp_bin=${2:?usage: test_etcd_registry.sh FASTPATH SLOWPATH}
root=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
dpdk_test_init test_etcd_registry ep-etcdreg-test
base=$tmp
etcd_pid='' fp_a='' sp_a='' fp_b='' sp_b=''
cleanup() {
	stop_pid "$sp_a"
	stop_pid "$sp_b"
	stop_pid "$fp_a"
	stop_pid "$fp_b"
	stop_pid "$etcd_pid"
	rm -f /dev/hugepages/"$base_prefix"-[ab]map_*
	rm -rf "/var/run/dpdk/$base_prefix-a" "/var/run/dpdk/$base_prefix-b" "$base"
}
base_prefix=$prefix
trap cleanup EXIT

dpdk_preflight curl jq stdbuf etcd etcdctl -- "$fp_bin" "$sp_bin"

etcd_setup "$base"
P=/ep-reg-test/
TTL=2

# doc SOCKET: the shared document (the api section stays each node's)
doc() {
	cat <<JSON
{ "services": [ { "name": "web", "vip": "198.51.100.1", "port": 80,
    "protocol": "tcp", "forwarding": "dsr",
    "backends": [ { "address": "10.0.0.1" } ] } ],
  "node": { "maglev_rebuild": "fresh" },
  "api": { "listeners": [ { "unix": "$1" } ] } }
JSON
}

# node_up a|b: a fast path and a slow path of their own (lib.sh's
# functions, on this node's scratch directory, prefix and socket)
node_up() {
	tmp=$base/$1
	mkdir -p "$tmp"
	prefix=$base_prefix-$1
	cfg=$tmp/config.json
	sock=$tmp/api.sock
	doc "$sock" >"$cfg"
	sp_extra_args=(--etcd "$ep" --etcd-prefix "$P" --node-name "n$1" --access-log none)
	start_fastpath || return 1
	eval "fp_$1=\$fp_pid"
	start_slowpath
	eval "sp_$1=\$sp_pid"
	ready_within 10
}

sock_a=$base/a/api.sock
sock_b=$base/b/api.sock
api() { # a|b curl-args...
	local s=$sock_a
	[ "$1" = b ] && s=$sock_b
	shift
	curl -s --max-time 5 --unix-socket "$s" "$@"
}
within() {
	local n=$(($1 * 20))
	shift
	for _ in $(seq "$n"); do "$@" && return 0; sleep 0.05; done
	return 1
}
applied_is() { [ "$(api "$1" http://localhost/v1/stats | jq -r '.source.applied_revision')" = "$2" ]; }
# has_instance a|b ID: the node's document has the registered backend
has_instance() { api "$1" http://localhost/v1/config | jq -e --arg i "$2" '[.services[0].backends[] | select(.registration.id == $i)] | length == 1' >/dev/null; }
no_instance() { ! has_instance "$@"; }
state_is() { # a|b ID STATE
	[ "$(api "$1" "http://localhost/v1/registry/services/web/instances/$2" | jq -r .state)" = "$3" ]
}
key_lease() { # registry|alive ID: the key's lease (decimal), "" when absent
	# not through jq: a lease id is an int64 that a double would round
	ectl get -w json "${P}$1/web/$2" | grep -o '"lease":[0-9]*' | cut -d: -f2
}
has_key() { [ -n "$(key_lease "$1" "$2")" ]; }
no_keys() { ! has_key registry "$1" && ! has_key alive "$1"; }
beat() { # a|b ID: prints the status code
	api "$1" -o /dev/null -w '%{http_code}' -X PUT \
		"http://localhost/v1/registry/services/web/instances/$2/heartbeat"
}
register() { # a|b: prints the id
	api "$1" -H 'Content-Type: application/json' \
		-d "{\"address\": \"10.0.0.9\", \"port\": 80, \"ttl\": $TTL}" \
		http://localhost/v1/registry/services/web/instances >"$base/reg.json"
	jq -r .id "$base/reg.json"
}
config_mod() { ectl get -w json "${P}config" | jq -r '.kvs[0].mod_revision'; }

check "etcd started on $ep" start_etcd
[ "$fail" -eq 0 ] || { cat "$base/etcd.log"; finish; }
rev=$(ectl put -w json "${P}config" "$(doc /nonexistent)" | jq -r .header.revision)
bash "$root/tests/certs/make-certs.sh" "$base/certs" >/dev/null 2>&1 || true
check "node a up" node_up a
[ "$fail" -eq 0 ] || { cat "$base/a/fp.log" "$base/a/sp.log"; finish; }
check "node b up" node_up b
[ "$fail" -eq 0 ] || { cat "$base/b/fp.log" "$base/b/sp.log"; finish; }
check "both nodes run etcd's revision $rev" within 5 bash -c "$(declare -f api applied_is); sock_a=$sock_a sock_b=$sock_b; applied_is a $rev && applied_is b $rev"

# Register through A: the document and both keys in one txn.
id=$(register a)
check "registered through node a (id $id)" [ "${#id}" = 16 ]
check "the instance is in node b's configuration within 2 s" within 2 has_instance b "$id"
check "healthy on node b" within 2 state_is b "$id" healthy
check "etcd holds ${P}registry/web/$id with a lease" has_key registry "$id"
inst_lease=$(key_lease registry "$id")
alive_lease=$(key_lease alive "$id")
two_leases() { [ -n "$inst_lease" ] && [ -n "$alive_lease" ] && [ "$alive_lease" != "$inst_lease" ]; }
check "etcd holds ${P}alive/web/$id with another lease" two_leases
granted() { # LEASE: its granted TTL
	ectl lease timetolive -w json "$(printf '%x' "$1")" | grep -o '"granted-ttl":[0-9]*' | cut -d: -f2
}
check "the instance's lease is 2 x ttl" [ "$(granted "$inst_lease")" = $((2 * TTL)) ]
check "the alive key's lease is ttl" [ "$(granted "$alive_lease")" = "$TTL" ]

# Heartbeats through B for 3 x ttl: kept on both nodes, no document write.
mod=$(config_mod)
codes=''
for _ in $(seq $((TTL * 6))); do
	codes="$codes$(beat b "$id") "
	sleep 0.5
done
check "heartbeats through node b answered 200 ($codes)" bash -c "[ -z \"\$(echo '$codes' | tr ' ' '\n' | grep -v '^200$' | grep .)\" ]"
check "after 3 x ttl of heartbeats through b: still on node a" has_instance a "$id"
check "and healthy on node a" state_is a "$id" healthy
check "and on node b" has_instance b "$id"
check "heartbeats did not rewrite the document in etcd" [ "$(config_mod)" = "$mod" ]

# No heartbeats: unhealthy at ttl, gone at 2 x ttl, on both nodes.
check "without heartbeats: unhealthy on node a within ttl + 1.5 s" within $((TTL + 2)) state_is a "$id" unhealthy
check "and on node b" within 1 state_is b "$id" unhealthy
check "but still in the document of both" bash -c "$(declare -f api has_instance); sock_a=$sock_a sock_b=$sock_b; has_instance a $id && has_instance b $id"
check "gone from node a within 2 x ttl + 2 s" within $((TTL + 3)) no_instance a "$id"
check "gone from node b" within 2 no_instance b "$id"
check "its keys are gone from etcd" no_keys "$id"
check "a heartbeat after expiry is 404" [ "$(beat b "$id")" = 404 ]

# Unhealthy, then a heartbeat through B: healthy again on A.
id=$(register a)
check "registered again through node a" within 2 has_instance b "$id"
check "unhealthy on node a after ttl" within $((TTL + 2)) state_is a "$id" unhealthy
code=$(beat b "$id")
check "a heartbeat through b while unhealthy: 200 (got $code)" [ "$code" = 200 ]
check "healthy again on node a within 1 s" within 1 state_is a "$id" healthy
check "the alive key is back" has_key alive "$id"

# Deregister through B.
code=$(api b -o /dev/null -w '%{http_code}' -X DELETE "http://localhost/v1/registry/services/web/instances/$id")
check "deregistered through node b (got $code)" [ "$code" = 200 ]
check "gone from node a within 2 s" within 2 no_instance a "$id"
check "its keys deleted with it" no_keys "$id"

# Without etcd, a heartbeat cannot be renewed: 503, nothing else.
id=$(register b)
check "registered through node b" within 2 has_instance a "$id"
stop_pid "$etcd_pid"
etcd_pid=''
code=$(beat a "$id")
check "etcd gone: a heartbeat is 503 (got $code)" [ "$code" = 503 ]
check "etcd gone: the instance stays in force" has_instance a "$id"

if [ "$fail" -ne 0 ]; then
	for n in a b; do
		echo "--- node $n slow path log"
		cat "$base/$n/sp.log"
	done
fi
finish
