#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Functions run through check():
# shellcheck disable=SC2317
# Integration test of edgectl against a real fast path (net_null port: its
# counters move) and slow path: every command over the Unix socket, then
# over HTTPS with mutual TLS (admin, reader, no role, no certificate, an
# untrusted server), exit codes 1 (API error), 2 (usage), 3 (transport),
# `top` blocks and Ctrl-C.
#
#   tests/integration/test_edgectl.sh FASTPATH SLOWPATH EDGECTL
#
# Needs root and hugepages (scripts/setup.sh); exits 77 (skipped) without
# them. Every edgectl call is bounded in time; the run takes about 20 s.
set -u

fp_bin=${1:?usage: test_edgectl.sh FASTPATH SLOWPATH EDGECTL}
sp_bin=${2:?usage: test_edgectl.sh FASTPATH SLOWPATH EDGECTL}
ectl=${3:?usage: test_edgectl.sh FASTPATH SLOWPATH EDGECTL}
root=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
dpdk_test_init test_edgectl ep-ectl-test
rc=0

preflight() {
	dpdk_preflight curl openssl jq python3 stdbuf timeout -- "$fp_bin" "$sp_bin" "$ectl"
}

write_config() { # FILE
	cat >"$1" <<EOF
{
  "services": [
    { "name": "web", "vip": "198.51.100.1", "port": 80, "protocol": "tcp",
      "forwarding": "nat",
      "backends": [ { "address": "10.0.0.1", "port": 8080 },
                    { "address": "10.0.0.2", "port": 8080 } ] },
    { "name": "dns", "vip": "198.51.100.3", "port": 53, "protocol": "udp",
      "backends": [ { "address": "10.0.1.1" } ] },
    { "name": "web6", "vip": "2001:db8:100::1", "port": 443,
      "protocol": "tcp", "backends": [ { "address": "2001:db8:1::1" } ] }
  ],
  "api": {
    "listeners": [ { "address": "127.0.0.1", "port": $port, "tls": true },
                   { "unix": "$sock" } ],
    "tls": { "certificate": "$certs/server.crt",
             "private_key": "$certs/server.key",
             "client_ca": "$certs/ca.crt",
             "admin_subjects": ["CN=admin,O=edgepath"],
             "reader_subjects": ["SAN:spiffe://edgepath/reader"] }
  }
}
EOF
}

# ---- processes: tests/integration/lib.sh ----------------------------------

# ---- edgectl ---------------------------------------------------------------

# run NAME ARGS...: edgectl's stdout in $tmp/NAME.out, stderr in
# $tmp/NAME.err, its exit code in $rc
run() {
	local name=$1
	shift
	timeout 30 "$ectl" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
	rc=$?
}

sock_run() { # NAME ARGS...: over the Unix socket
	local name=$1
	shift
	run "$name" --socket "$sock" "$@"
}

tls_run() { # NAME WHO ARGS...: over HTTPS with WHO's certificate
	local name=$1 who=$2
	shift 2
	run "$name" --url "https://127.0.0.1:$port" --cacert "$certs/ca.crt" \
		--cert "$certs/$who.crt" --key "$certs/$who.key" "$@"
}

rc_is() { # WANT: the last run's exit code
	[ "$rc" -eq "$1" ]
}

out_has() { # NAME ERE: a line of stdout matches
	grep -Eq "$2" "$tmp/$1.out"
}

err_has() { # NAME STRING: stderr contains it
	grep -Fq -- "$2" "$tmp/$1.err"
}

json_ok() { # NAME jq-filter: stdout is JSON and the filter is true
	jq -e "$2" "$tmp/$1.out" >/dev/null 2>&1
}

# "ROW": the backends table of web has the row (columns by spaces)
web_row() {
	sock_run bk backends web
	grep -Eq "^$1\$" "$tmp/bk.out"
}

# ---- tests -----------------------------------------------------------------

test_reads() {
	sock_run s1 services --verbose
	check "services: exit 0 ($rc)" rc_is 0
	check "services: row web 198.51.100.1:80/tcp nat maglev 2/2" \
		out_has s1 '^web +198\.51\.100\.1:80/tcp +nat +maglev +2/2$'
	check "services: row dns 198.51.100.3:53/udp dsr maglev 1/1" \
		out_has s1 '^dns +198\.51\.100\.3:53/udp +dsr +maglev +1/1$'
	check "services: row web6 [2001:db8:100::1]:443/tcp" \
		out_has s1 '^web6 +\[2001:db8:100::1\]:443/tcp +dsr +maglev +1/1$'
	check "Unix socket spoke HTTP/2 (h2c)" err_has s1 "< HTTP/2 200"
	sock_run s2 services --json
	check "services --json parses: .services[0].name == web" \
		json_ok s2 '.services[0].name == "web" and (.services | length) == 3'
	check "backends web: 10.0.0.1:8080 weight 1 up" \
		web_row '10\.0\.0\.1:8080 +1 +up +[0-9]+ +[0-9]+'
	sock_run b2 backends web --json
	check "backends web --json parses" \
		json_ok b2 '[.backends[].address] == ["10.0.0.1", "10.0.0.2"]'
	sock_run st1 stats
	check "stats: fast path alive" out_has st1 '^fast path: alive, workers 1'
	check "stats: drop reasons with a total" out_has st1 '^total +[0-9]+$'
	check "stats: zero reasons hidden" bash -c \
		"! sed -n '/^DROP REASON/,\$p' '$tmp/st1.out' | grep -Eq ' 0\$'"
	sock_run st2 stats --all
	check "stats --all: zero reasons shown" \
		out_has st2 '^eth_truncated +0$'
	sock_run st3 stats --json
	check "stats --json parses: workers, counters" \
		json_ok st3 '.workers == 1 and (.counters.rx_packets | type) == "number"'
	sock_run f1 flows --service web --limit 5
	check "flows: exit 0, header ($rc)" out_has f1 '^SERVICE +CLIENT +VIP +BACKEND'
	sock_run f2 flows --json
	check "flows --json parses" json_ok f2 '(.flows | length) == .count'
	sock_run c1 config show
	curl -s --max-time 5 --unix-socket "$sock" -o "$tmp/c1.curl" \
		http://localhost/v1/config
	check "config show: the API's document byte for byte" \
		cmp -s "$tmp/c1.out" "$tmp/c1.curl"
	sock_run n1 backends nosuch
	check "backends of an unknown service: exit 1, code 1002 ($rc)" \
		bash -c "[ $rc = 1 ] && grep -q '(code 1002)' '$tmp/n1.err'"
}

test_backend_changes() {
	sock_run a1 backend add web 10.0.0.3:8080 --weight 2
	check "backend add: exit 0 ($rc)" rc_is 0
	check "backend add: says what it did" \
		out_has a1 '^web: backend 10\.0\.0\.3:8080 added \(weight 2, state up\); configuration version [0-9]+$'
	check "backends: 10.0.0.3:8080 weight 2 up" \
		web_row '10\.0\.0\.3:8080 +2 +up +[0-9-]+ +[0-9-]+'
	sock_run a2 backend add web 10.0.0.3:8080
	check "backend add again: exit 1, code 1003 ($rc)" \
		bash -c "[ $rc = 1 ] && grep -q '(code 1003)' '$tmp/a2.err'"
	sock_run d1 backend drain web 10.0.0.1:8080
	check "backend drain: exit 0 ($rc)" rc_is 0
	check "backends: 10.0.0.1:8080 drain" \
		web_row '10\.0\.0\.1:8080 +1 +drain +[0-9]+ +[0-9]+'
	sock_run s3 services
	check "services: web 2/3 up" out_has s3 '^web .* 2/3$'
	sock_run w1 backend weight web 10.0.0.2:8080 5
	check "backend weight: exit 0 ($rc)" rc_is 0
	check "backends: 10.0.0.2:8080 weight 5" \
		web_row '10\.0\.0\.2:8080 +5 +up +[0-9]+ +[0-9]+'
	sock_run u1 backend up web 10.0.0.1:8080
	check "backend up: 10.0.0.1:8080 up again" \
		web_row '10\.0\.0\.1:8080 +1 +up +[0-9]+ +[0-9]+'
	sock_run r1 backend remove web 10.0.0.3:8080
	check "backend remove: exit 0 ($rc)" rc_is 0
	sock_run bk backends web
	check "backends: 10.0.0.3:8080 gone" \
		bash -c "! grep -q '^10\.0\.0\.3:8080' '$tmp/bk.out' &&
			[ \$(grep -c '^10\.0\.0\.' '$tmp/bk.out') = 2 ]"
	sock_run r2 backend remove web 10.9.9.9:80
	check "backend remove unknown: exit 1, code 1002 ($rc)" \
		bash -c "[ $rc = 1 ] && grep -q '(code 1002)' '$tmp/r2.err'"
	sock_run v1 backend drain web6 '[2001:db8:1::1]:0'
	check "backend drain of an IPv6 backend: exit 0 ($rc)" rc_is 0
	sock_run v2 backends web6
	check "backends web6: [2001:db8:1::1]:0 drain" \
		out_has v2 '^\[2001:db8:1::1\]:0 +1 +drain '
	sock_run j1 backend weight web 10.0.0.2:8080 1 --json
	check "backend weight --json: the backend as now in force" \
		json_ok j1 '.weight == 1 and .address == "10.0.0.2"'
}

test_config_apply() {
	sock_run c2 config show
	jq '.services[1].port = 5353' "$tmp/c2.out" >"$tmp/new.json"
	sock_run p1 config apply "$tmp/new.json"
	check "config apply: exit 0 ($rc)" rc_is 0
	check "config apply: prints the new version" \
		out_has p1 '^configuration applied: version [0-9]+ \(was [0-9]+\)$'
	sock_run s4 services
	check "config apply: dns now on 5353" out_has s4 '^dns +198\.51\.100\.3:5353/udp '
	sock_run p2 config apply "$tmp/c2.out" --if-version 1
	check "config apply --if-version stale: exit 1, code 1004 ($rc)" \
		bash -c "[ $rc = 1 ] && grep -q '(code 1004)' '$tmp/p2.err'"
	check "config apply stale: the hint names --force" err_has p2 "--force"
	sock_run p3 config apply "$tmp/c2.out" --force
	check "config apply --force: exit 0 ($rc)" rc_is 0
	sock_run s5 services
	check "config apply --force: dns back on 53" out_has s5 '^dns +198\.51\.100\.3:53/udp '
	jq '.services[1].port = 70000' "$tmp/c2.out" >"$tmp/bad.json"
	sock_run p4 config apply "$tmp/bad.json"
	check "config apply invalid: exit 1 with details.field ($rc)" \
		bash -c "[ $rc = 1 ] && grep -q '^  field: services\[1\]\.port$' '$tmp/p4.err'"
	sock_run p5 config apply "$tmp/absent.json"
	check "config apply of a missing file: exit 2 ($rc)" rc_is 2
}

test_policing() {
	sock_run l1 limits
	check "limits: exit 0 ($rc)" rc_is 0
	check "limits: a global row with none set" out_has l1 '^- +- +- +- +-$'
	check "limits: no service has any" out_has l1 '^Services: none has'
	sock_run l2 service limits web \
		'{"packets_per_second": {"rate": 5000, "burst": 500}, "per_client": {"connections_per_second": {"rate": 20, "burst": 5}}}'
	check "service limits: exit 0 ($rc)" rc_is 0
	check "service limits: prints the new version" \
		out_has l2 '^web: limits set; configuration version [0-9]+$'
	check "service limits: the row in force" \
		out_has l2 '^web +5000/s burst 500 token +- +- +- +20/s burst 5 token +-$'
	printf '{"allow": ["10.0.0.0/8"], "deny": ["10.66.0.0/16", "192.0.2.1"]}' \
		>"$tmp/acl.json"
	sock_run l3 service acl web "@$tmp/acl.json" --json
	check "service acl @FILE --json: the service as now in force" \
		json_ok l3 '.acl.deny == ["10.66.0.0/16", "192.0.2.1/32"] and .limits.packets_per_second.rate == 5000'
	sock_run l4 limits
	check "limits: web with its limits and list" \
		out_has l4 '^web +5000/s burst 500 token .* 1 allow, 2 deny$'
	sock_run l5 service limits web '{"packets_per_second": {"rate": 0}}'
	check "service limits refused by the API: exit 1 with the field ($rc)" \
		bash -c "[ $rc = 1 ] && grep -q '^  field: services\[0\]\.limits\.packets_per_second\.rate$' '$tmp/l5.err'"
	sock_run l6 service limits web '{"packets": {"rate": 1}}'
	check "service limits of the wrong shape: exit 2, nothing sent ($rc)" \
		bash -c "[ $rc = 2 ] && grep -q 'unknown member \"packets\"' '$tmp/l6.err'"
	sock_run l7 service limits nosuch '{}'
	check "service limits of an unknown service: exit 1 ($rc)" rc_is 1
	sock_run l8 service acl web '{}'
	sock_run l9 service limits web '{}'
	check "service limits {}: removed ($rc)" \
		out_has l9 '^web: no limits and no access list$'
	sock_run g1 policing set \
		'{"syn_flood": {"new_flows_per_second": 20000, "burst": 2000}, "acl": {"deny": ["203.0.113.0/24"]}}'
	check "policing set: exit 0 ($rc)" rc_is 0
	check "policing set: prints the new version" \
		out_has g1 '^policing set; configuration version [0-9]+$'
	check "policing set: the global row in force" \
		out_has g1 '^- +- +- +20000/s burst 2000 per worker +0 allow, 1 deny$'
	printf '{"syn_flood": null}' >"$tmp/pol.json"
	sock_run g2 policing set "@$tmp/pol.json" --json
	check "policing set @FILE --json: the guard removed, the list stays" \
		json_ok g2 '(has("syn_flood") | not) and .acl.deny == ["203.0.113.0/24"]'
	sock_run g3 policing set '{"acl": {"deny": ["10.0.0.0/33"]}}'
	check "policing set refused by the API: exit 1 with the field ($rc)" \
		bash -c "[ $rc = 1 ] && grep -q '^  field: policing\.acl\.deny\[0\]$' '$tmp/g3.err'"
	sock_run g4 policing set '{"syn_flood": {"rate": 1}}'
	check "policing set of the wrong shape: exit 2, nothing sent ($rc)" \
		bash -c "[ $rc = 2 ] && grep -q 'unknown member \"rate\"' '$tmp/g4.err'"
	sock_run g5 policing set '{"acl": null}'
	check "policing set acl null: exit 0 ($rc)" rc_is 0
}

test_usage_transport() {
	sock_run e1 backend add web 10.0.0.300
	check "bad address: exit 2 ($rc)" rc_is 2
	check "bad address: named" err_has e1 "'10.0.0.300' is not an IPv4 or IPv6 address"
	sock_run e2 backend weight web 10.0.0.1:8080 70000
	check "bad weight: exit 2 ($rc)" bash -c "[ $rc = 2 ] && grep -q \"weight '70000'\" '$tmp/e2.err'"
	sock_run e3 backend remove web 10.0.0.1:99999
	check "bad port: exit 2 ($rc)" rc_is 2
	sock_run e4 flows --limit 0
	check "bad --limit: exit 2 ($rc)" rc_is 2
	sock_run e5 frobnicate
	check "unknown command: exit 2 ($rc)" rc_is 2
	run t1 --socket "$tmp/absent.sock" services
	check "absent socket: exit 3 ($rc)" rc_is 3
	check "absent socket: clear message" err_has t1 \
		"cannot reach the API at $tmp/absent.sock: is edgepath-slowpath running?"
	run t2 --url "https://127.0.0.1:$(free_port)" --cacert "$certs/ca.crt" \
		--cert "$certs/admin.crt" --key "$certs/admin.key" services
	check "closed TCP port: exit 3 ($rc)" rc_is 3
	check "closed TCP port: clear message" err_has t2 "cannot reach the API at https://127.0.0.1:"
}

test_https() {
	tls_run h1 admin services --verbose
	check "HTTPS admin: services ($rc)" out_has h1 '^web +198\.51\.100\.1:80/tcp '
	check "HTTPS admin: HTTP/2 (ALPN)" err_has h1 "< HTTP/2 200"
	tls_run h2 admin backend drain web 10.0.0.2:8080
	check "HTTPS admin: backend drain ($rc)" rc_is 0
	tls_run h3 reader backends web
	check "HTTPS reader: backends shows the drain ($rc)" \
		out_has h3 '^10\.0\.0\.2:8080 +1 +drain '
	tls_run h4 reader backend up web 10.0.0.2:8080
	check "HTTPS reader: write refused, exit 1 ($rc)" rc_is 1
	check "HTTPS reader: message with code 1006 and role" bash -c \
		"grep -q '^edgectl: .*(code 1006)$' '$tmp/h4.err' &&
			grep -q '^  role: reader$' '$tmp/h4.err'"
	tls_run h5 reader stats --json
	check "HTTPS reader: stats --json parses" json_ok h5 '.attached == true'
	tls_run h6 nobody services
	check "HTTPS, a certificate with no role: exit 1 ($rc)" \
		bash -c "[ $rc = 1 ] && grep -q '(code 1006)' '$tmp/h6.err'"
	run h7 --url "https://127.0.0.1:$port" --cacert "$certs/ca.crt" services
	check "HTTPS without a client certificate: exit 3 ($rc)" rc_is 3
	run h8 --url "https://127.0.0.1:$port" --cacert "$certs/rogue-ca.crt" \
		--cert "$certs/admin.crt" --key "$certs/admin.key" services
	check "HTTPS, server not trusted: exit 3 ($rc)" rc_is 3
	check "HTTPS, server not trusted: says so" err_has h8 "is not trusted"
	tls_run h9 admin backend up web 10.0.0.2:8080
	check "HTTPS admin: backend up ($rc)" rc_is 0
}

test_top() {
	local t0 t1 pid
	t0=$(date +%s%N)
	sock_run top1 top --count 2 --interval 1
	t1=$(date +%s%N)
	check "top --count 2 --interval 1: exit 0 ($rc)" rc_is 0
	check "top: two blocks" \
		test "$(grep -c '^edgectl top ' "$tmp/top1.out")" = 2
	check "top: service and backend rows" bash -c \
		"grep -Eq '^web +[0-9.kMG]+ ' '$tmp/top1.out' &&
			grep -Eq '^  10\.0\.0\.1:8080 ' '$tmp/top1.out'"
	check "top: rx rate from two samples" \
		out_has top1 '^rx [0-9.]+[kMG]? pkt/s'
	check "top: about 2 s ($(((t1 - t0) / 1000000)) ms)" \
		test $(((t1 - t0) / 1000000)) -lt 5000
	"$ectl" --socket "$sock" top --interval 0.5 >"$tmp/top2.out" 2>&1 &
	pid=$!
	sleep 1.8
	kill -INT "$pid"
	wait "$pid"
	rc=$?
	check "top: Ctrl-C exits cleanly, status 0 ($rc)" rc_is 0
	check "top: blocks before Ctrl-C" out_has top2 '^edgectl top '
}

main() {
	preflight
	dpdk_test_up write_config "$cfg"
	test_reads
	test_backend_changes
	test_config_apply
	test_policing
	test_usage_transport
	test_https
	test_top
	dpdk_test_done
}

main
