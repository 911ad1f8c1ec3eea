#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Functions run through check():
# shellcheck disable=SC2317,SC2034
# etcd as the configuration source, against the real processes and a
# real etcd (Debian's etcd-server, its own data directory in the scratch
# directory, on free loopback ports, stopped by PID): the document in etcd
# at start wins over the file; a put is applied; an invalid one is refused,
# reported in /v1/stats "source" and the old one stays; a PUT through the
# API lands in etcd and is in force when the API answers; with etcd gone
# the node keeps its configuration and API writes fail with 503; when etcd
# returns the node reconnects and applies new puts; the node writes its
# applied revision under PREFIX nodes/NAME.
#
#   tests/integration/test_etcd.sh FASTPATH SLOWPATH
set -u

fp_bin=${1:?usage: test_etcd.sh FASTPATH SLOWPATH}
sp_bin=${2:?usage: test_etcd.sh FASTPATH SLOWPATH}
root=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
dpdk_test_init test_etcd ep-etcd-test
etcd_pid=''
trap 'stop_pid "$etcd_pid"; dpdk_test_cleanup' EXIT

dpdk_preflight curl jq stdbuf etcd etcdctl -- "$fp_bin" "$sp_bin"

etcd_setup "$tmp"
P=/ep-test/
sp_extra_args=(--etcd "$ep" --etcd-prefix "$P" --node-name n1)

# doc BACKEND [PORT]: a whole document with one backend
doc() {
	cat <<EOF
{ "services": [ { "name": "web", "vip": "198.51.100.1", "port": ${2:-80},
    "protocol": "tcp", "forwarding": "dsr",
    "backends": [ { "address": "$1" } ] } ],
  "node": { "maglev_rebuild": "fresh" },
  "api": { "listeners": [ { "unix": "$sock" } ] } }
EOF
}
# eput TEXT: put the document; prints the revision
eput() { ectl put -w json "${P}config" "$1" | jq -r '.header.revision'; }
api() { curl -s --max-time 5 --unix-socket "$sock" "$@"; }
stats() { api http://localhost/v1/stats; }
backend_is() { api http://localhost/v1/config | jq -e --arg a "$1" '.services[0].backends[0].address == $a' >/dev/null; }
# within SECONDS COMMAND...: true once the command is (polled every 50 ms)
within() {
	local n=$(($1 * 20))
	shift
	for _ in $(seq "$n"); do "$@" && return 0; sleep 0.05; done
	return 1
}
applied_is() { [ "$(stats | jq -r '.source.applied_revision')" = "$1" ]; }
connected_is() { [ "$(stats | jq -r '.source.connected')" = "$1" ]; }

check "etcd started on $ep" start_etcd
[ "$fail" -eq 0 ] || { cat "$tmp/etcd.log"; finish; }
rev=$(eput "$(doc 10.0.0.1)")

write_config() { doc 10.0.0.9 >"$cfg"; }
dpdk_test_up write_config

check "the document in etcd at start is in force (not the file's)" within 5 backend_is 10.0.0.1
check "applied revision $rev reported" within 5 applied_is "$rev"
check "source says etcd, connected" within 5 connected_is true
check "the local last good copy is the etcd document" grep -q 10.0.0.1 "$cfg"
check "node status written to ${P}nodes/n1" within 5 \
	bash -c "ETCDCTL_API=3 etcdctl --endpoints $ep get --print-value-only ${P}nodes/n1 | jq -e '.revision == $rev' >/dev/null"

rev=$(eput "$(doc 10.0.0.2)")
check "a put is applied" within 5 backend_is 10.0.0.2
check "its revision $rev reported" within 5 applied_is "$rev"
check "maglev digest of the service published" within 5 \
	bash -c "curl -s --unix-socket $sock http://localhost/v1/stats | jq -e '.services[0].maglev.state == \"fresh\" and (.services[0].maglev.digest | test(\"^[0-9a-f]{16}$\"))' >/dev/null"
good=$rev

bad_rev=$(eput "$(doc 10.0.0.5 70000)")
check "an invalid document is refused and reported" within 5 \
	bash -c "curl -s --unix-socket $sock http://localhost/v1/stats | jq -e '.source.refused_revision == $bad_rev and (.source.last_error | test(\"port\"))' >/dev/null"
check "the old configuration stays" backend_is 10.0.0.2
check "the applied revision stays $good" applied_is "$good"
check "not JSON at all: refused too" bash -c "r=\$(ETCDCTL_API=3 etcdctl --endpoints $ep put -w json ${P}config 'not json' | jq -r .header.revision); for i in \$(seq 100); do curl -s --unix-socket $sock http://localhost/v1/stats | jq -e \".source.refused_revision == \$r\" >/dev/null && exit 0; sleep 0.05; done; exit 1"
check "still the old configuration" backend_is 10.0.0.2

# A PUT through the API goes to etcd first (a txn on the key's
# mod_revision being the one this node applied); the answer comes after
# the node applied it. After the refused puts etcd is ahead: a good put
# first.
rev=$(eput "$(doc 10.0.0.3)")
within 5 applied_is "$rev"
code=$(doc 10.0.0.4 | api -o "$tmp/put.b" -w '%{http_code}' -X PUT -H 'Content-Type: application/json' --data-binary @- http://localhost/v1/config)
check "PUT /v1/config answers 200 (got $code)" [ "$code" = 200 ]
check "in force when the API answered" backend_is 10.0.0.4
check "and in etcd" bash -c "ETCDCTL_API=3 etcdctl --endpoints $ep get --print-value-only ${P}config | grep -q 10.0.0.4"
r=$(eput "$(doc 10.0.0.6 70000)")
within 5 bash -c "curl -s --unix-socket $sock http://localhost/v1/stats | jq -e '.source.refused_revision == $r' >/dev/null"
code=$(doc 10.0.0.7 | api -o /dev/null -w '%{http_code}' -X PUT -H 'Content-Type: application/json' --data-binary @- http://localhost/v1/config)
check "a PUT while etcd holds a document newer than this node's gets 409 (got $code)" [ "$code" = 409 ]
check "and changes nothing" backend_is 10.0.0.4

rev=$(eput "$(doc 10.0.0.8)")
within 5 applied_is "$rev"
stop_pid "$etcd_pid"
etcd_pid=''
check "etcd gone: source says disconnected" within 5 connected_is false
check "etcd gone: configuration still served" backend_is 10.0.0.8
code=$(doc 10.0.0.9 | api -o /dev/null -w '%{http_code}' -X PUT -H 'Content-Type: application/json' --data-binary @- http://localhost/v1/config)
check "etcd gone: API write refused with 503 (got $code)" [ "$code" = 503 ]
check "etcd gone: the configuration did not change" backend_is 10.0.0.8
check "fast path still runs the version in force" bash -c "curl -s --unix-socket $sock http://localhost/readyz -o /dev/null -w '%{http_code}' | grep -q 200"

check "etcd restarted" start_etcd
check "reconnected within 7 s" within 7 connected_is true
rev=$(eput "$(doc 10.0.0.10)")
check "a put after the reconnect is applied" within 5 backend_is 10.0.0.10
check "revision $rev reported" within 5 applied_is "$rev"

# A benchmark, not a check: EDGEPATH_ETCD_BENCH=N prints the latency of
# N changes from the put to the fast path's acknowledgement.
if [ -n "${EDGEPATH_ETCD_BENCH:-}" ]; then
	doc @BACKEND@ >"$tmp/tmpl.json"
	python3 "$root/scripts/bench/etcd_apply.py" "$ep" "$P" "$sock" \
		"$tmp/tmpl.json" "$EDGEPATH_ETCD_BENCH"
fi

stop_pid "$etcd_pid"
etcd_pid=''
dpdk_test_done
