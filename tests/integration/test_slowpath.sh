#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Functions run through check() and single-quoted bash -c scripts:
# shellcheck disable=SC2317,SC2016
# Integration test of the slow path's control API against the real fast
# path: edgepath-fastpath on a net_null port (it receives a stream of null
# packets, so its counters move) and edgepath-slowpath with a TLS listener
# (mutual TLS) on 127.0.0.1 and a Unix socket. Real clients: curl (h2 over
# TLS with ALPN, HTTP/1.1, Unix socket), nghttp, h2load, openssl s_client,
# dpdk-telemetry.py; /metrics through test_api's strict parser.
#
#   tests/integration/test_slowpath.sh FASTPATH SLOWPATH TEST_API
#
# Needs root and hugepages (scripts/setup.sh); exits 77 (skipped) without
# them. Every client call is bounded in time; the run takes about 30 s.
set -u

fp_bin=${1:?usage: test_slowpath.sh FASTPATH SLOWPATH TEST_API}
sp_bin=${2:?usage: test_slowpath.sh FASTPATH SLOWPATH TEST_API}
api_bin=${3:?usage: test_slowpath.sh FASTPATH SLOWPATH TEST_API}
root=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
dpdk_test_init test_slowpath ep-sp-test

preflight() {
	dpdk_preflight curl nghttp h2load openssl jq python3 stdbuf dpdk-telemetry.py -- "$fp_bin" "$sp_bin" "$api_bin"
}

# ---- configuration --------------------------------------------------------

# write_config FILE MTLS(0|1) EXTRA_SERVICE(0|1)
write_config() {
	local mtls='' extra=''
	[ "$2" = 1 ] && mtls=", \"client_ca\": \"$certs/ca.crt\",
		\"admin_subjects\": [\"CN=admin,O=edgepath\"],
		\"reader_subjects\": [\"SAN:spiffe://edgepath/reader\"]"
	[ "$3" = 1 ] && extra=', { "name": "dns", "vip": "198.51.100.3",
		"port": 53, "protocol": "udp", "backends": [ { "address": "10.0.1.1" } ] }'
	cat >"$1" <<EOF
{
  "services": [
    { "name": "web", "vip": "198.51.100.1", "port": 80, "protocol": "tcp",
      "forwarding": "nat",
      "backends": [ { "address": "10.0.0.1", "port": 8080 },
                    { "address": "10.0.0.2", "port": 8080 } ] }$extra
  ],
  "api": {
    "listeners": [ { "address": "127.0.0.1", "port": $port, "tls": true },
                   { "unix": "$sock" } ],
    "tls": { "certificate": "$certs/server.crt",
             "private_key": "$certs/server.key"$mtls }
  }
}
EOF
}

# ---- processes: tests/integration/lib.sh ----------------------------------

telemetry() { # COMMAND KEY: one value from dpdk-telemetry.py
	echo "$1" | timeout 10 dpdk-telemetry.py -f "$prefix" 2>/dev/null |
		jq -r ".\"$1\".$2" 2>/dev/null
}

# ---- clients ---------------------------------------------------------------

# api NAME WHO curl-args...: body in $tmp/NAME; prints "code version"
# WHO: admin, reader, nobody (no client certificate) or unix
api() {
	local name=$1 who=$2 c=()
	shift 2
	case "$who" in
	unix) c=(--unix-socket "$sock") ;;
	nobody) c=(--cacert "$certs/ca.crt" --resolve "localhost:$port:127.0.0.1") ;;
	*) c=(--cacert "$certs/ca.crt" --resolve "localhost:$port:127.0.0.1"
		--cert "$certs/$who.crt" --key "$certs/$who.key") ;;
	esac
	curl -sS --max-time 10 "${c[@]}" -o "$tmp/$name" \
		-w '%{http_code} %{http_version}' "$@" 2>"$tmp/$name.err"
}

url() {
	echo "https://localhost:$port$1"
}

jbody() { # NAME jq-filter
	jq -r "$2" "$tmp/$1" 2>/dev/null
}

jq_ok() { # NAME jq-filter: the filter is true for the body
	jq -e "$2" "$tmp/$1" >/dev/null 2>&1
}

is_error() { # NAME code: the body is the JSON error shape with that code
	jq -e --argjson c "$2" '(keys_unsorted == ["code", "message", "details"])
		and .code == $c and (.message | type == "string")
		and (.details | type == "object")' "$tmp/$1" >/dev/null 2>&1
}

generation() {
	api gen admin --http2 "$(url /v1/stats)" >/dev/null
	jbody gen .generation
}

# ---- tests -----------------------------------------------------------------

# Issue #14: the file as served from the start, SIGHUP without an edit,
# a role refused on the request head, temporary files of a killed run.
test_file_and_head() {
	local r v0 v1
	check "temporary file of a killed slow path removed at start" \
		test ! -e "$cfg.tmp.4242"
	r=$(api c0 unix http://localhost/v1/config)
	check "GET /v1/config is the file byte for byte from the start ($r)" \
		cmp -s "$cfg" "$tmp/c0"
	v0=$(curl -s --max-time 5 --unix-socket "$sock" http://localhost/readyz |
		jq -r .version)
	kill -HUP "$sp_pid"
	for _ in $(seq 50); do
		grep -q 'unchanged: version' "$tmp/sp.log" && break
		sleep 0.1
	done
	v1=$(curl -s --max-time 5 --unix-socket "$sock" http://localhost/readyz |
		jq -r .version)
	check "SIGHUP, file not edited: version $v0 stays ($v1)" \
		test -n "$v0" -a "$v0" = "$v1"
	head -c 1000000 /dev/zero >"$tmp/1m"
	r=$(curl -sS --max-time 10 --cacert "$certs/ca.crt" \
		--resolve "localhost:$port:127.0.0.1" --cert "$certs/nobody.crt" \
		--key "$certs/nobody.key" --http1.1 -H 'Expect: 100-continue' \
		-X PUT -H 'Content-Type: application/json' --data-binary @"$tmp/1m" \
		-o "$tmp/hd" -w '%{http_code} %{size_upload}' "$(url /v1/config)")
	check "role none, PUT of 1 MB: 403 before any of the body ($r)" \
		test "$r" = "403 0"
	check "role none, PUT: error 1006" is_error hd 1006
}

test_tls_and_roles() {
	local r
	r=$(api n0 nobody --http2 "$(url /v1/config)")
	check "mTLS: no client certificate refused ($r)" test "${r%% *}" = 000
	r=$(api r1 reader --http2 "$(url /v1/config)")
	check "reader over h2: GET /v1/config ($r)" test "$r" = "200 2"
	r=$(api r2 reader --http2 -X PUT -H 'Content-Type: application/json' \
		--data-binary @"$cfg" "$(url /v1/config)")
	check "reader: PUT /v1/config is 403 ($r)" test "${r%% *}" = 403
	check "reader: 403 body is error 1006" is_error r2 1006
	r=$(api h1 admin --http1.1 "$(url /v1/stats)")
	check "admin over HTTP/1.1 (ALPN http/1.1): $r" test "$r" = "200 1.1"
	check "HTTP/1.1: stats JSON" test "$(jbody h1 .attached)" = true
	r=$(api u1 unix --http2-prior-knowledge http://localhost/v1/services)
	check "Unix socket, h2c prior knowledge: $r" test "$r" = "200 2"
	timeout 10 nghttp -t 5 --cert "$certs/admin.crt" --key "$certs/admin.key" \
		"https://127.0.0.1:$port/v1/stats" >"$tmp/ng" 2>"$tmp/ng.err"
	check "nghttp (h2, client cert): /v1/stats JSON" \
		jq_ok ng '.workers >= 1'
}

test_config_changes() {
	local r g0 g1 before
	g0=$(generation)
	api cfg0 reader --http2 "$(url /v1/config)" >/dev/null
	write_config "$tmp/new.json" 1 1
	r=$(api p1 admin --http2 -X PUT -H 'Content-Type: application/json' \
		--data-binary @"$tmp/new.json" "$(url /v1/config)")
	check "admin PUT /v1/config: $r" test "$r" = "200 2"
	g1=$(generation)
	check "generation $g0 -> $g1 in /v1/stats" test "$g1" -eq $((g0 + 1))
	check "generation $g1 in dpdk-telemetry /edgepath/info" \
		test "$(telemetry /edgepath/info generation)" = "$g1"
	check "the new service is in force" \
		test "$(jbody gen '.services[1].name')" = dns
	api cfg1 reader --http2 "$(url /v1/config)" >/dev/null
	before=$(cat "$tmp/cfg1")
	sed 's/"port": 53/"port": 70000/' "$tmp/new.json" >"$tmp/bad.json"
	r=$(api p2 admin --http2 -X PUT -H 'Content-Type: application/json' \
		--data-binary @"$tmp/bad.json" "$(url /v1/config)")
	check "invalid PUT: 400 ($r)" test "${r%% *}" = 400
	check "invalid PUT: error 1001 naming services[1].port" \
		test "$(jbody p2 .details.field)" = "services[1].port"
	check "invalid PUT: generation unchanged" test "$(generation)" = "$g1"
	api cfg2 reader --http2 "$(url /v1/config)" >/dev/null
	check "invalid PUT: configuration unchanged" \
		test "$(cat "$tmp/cfg2")" = "$before"
	r=$(api p3 admin --http2 -X PUT -H 'Content-Type: application/json' \
		-H 'If-Match: "1"' --data-binary @"$tmp/new.json" "$(url /v1/config)")
	check "stale If-Match: 412 ($r)" test "${r%% *}" = 412
	check "stale If-Match: error 1004" is_error p3 1004
	r=$(api p4 admin --http2 -X PUT -H 'Content-Type: application/json' \
		-H "If-Match: \"$(jbody gen .config_version)\"" \
		--data-binary @"$tmp/new.json" "$(url /v1/config)")
	check "current If-Match: 200 ($r)" test "${r%% *}" = 200
}

test_services_backends() {
	local r B=/v1/services/web/backends
	r=$(api s1 admin --http2 -H 'Content-Type: application/json' -d \
		'{"name": "api", "vip": "198.51.100.2", "port": 443, "protocol": "tcp", "forwarding": "nat", "backends": [{"address": "10.0.2.1", "port": 8443}]}' \
		"$(url /v1/services)")
	check "POST /v1/services: 201 ($r)" test "${r%% *}" = 201
	r=$(api s2 admin --http2 -H 'Content-Type: application/json' -d \
		'{"name": "api", "vip": "198.51.100.9", "port": 443, "protocol": "tcp"}' \
		"$(url /v1/services)")
	check "POST an existing name: 409, error 1003 ($r)" is_error s2 1003
	r=$(api s3 reader --http2 "$(url /v1/services/api)")
	check "GET /v1/services/api ($r)" test "$(jbody s3 .vip)" = 198.51.100.2
	r=$(api b1 admin --http2 -H 'Content-Type: application/json' \
		-d '{"address": "10.0.0.3", "port": 8080, "weight": 2}' "$(url $B)")
	check "POST a backend: 201 ($r)" test "${r%% *}" = 201
	r=$(api b2 admin --http2 -X PATCH -H 'Content-Type: application/json' \
		-d '{"state": "drain"}' "$(url $B/10.0.0.1:8080)")
	check "PATCH drain: 200 ($r)" test "${r%% *}" = 200
	api b3 reader --http2 "$(url $B/10.0.0.1:8080)" >/dev/null
	check "the backend is draining" test "$(jbody b3 .state)" = drain
	api b4 admin --http2 "$(url /v1/stats)" >/dev/null
	check "stats: web has 3 backends, one 10.0.0.3:8080" \
		test "$(jbody b4 '[.services[0].backends[].id] | join(",")')" = \
		"10.0.0.1:8080,10.0.0.2:8080,10.0.0.3:8080"
	r=$(api b5 admin --http2 -X PATCH -H 'Content-Type: application/json' \
		-d '{"weight": 70000}' "$(url $B/10.0.0.1:8080)")
	check "PATCH weight 70000: 400 naming the field ($r)" test \
		"$(jbody b5 .details.field)" = "services[0].backends[0].weight"
	r=$(api b6 admin --http2 -X DELETE "$(url $B/10.0.0.3:8080)")
	check "DELETE a backend: 200 ($r)" test "${r%% *}" = 200
	r=$(api s4 admin --http2 -X DELETE "$(url /v1/services/api)")
	check "DELETE /v1/services/api: 200 ($r)" test "${r%% *}" = 200
	r=$(api s5 reader --http2 "$(url /v1/services/api)")
	check "deleted service: 404, error 1002 ($r)" is_error s5 1002
}

test_policing_patch() {
	local r before
	r=$(api g1 admin --http2 -X PATCH -H 'Content-Type: application/json' \
		-d '{"acl": {"deny": ["203.0.113.0/24"]}, "per_client": {"packets_per_second": {"rate": 500}}}' \
		"$(url /v1/policing)")
	check "PATCH /v1/policing: 200 ($r)" test "${r%% *}" = 200
	check "PATCH /v1/policing: the answer is the policing in force" \
		jq_ok g1 '.acl.deny == ["203.0.113.0/24"] and .per_client.packets_per_second.rate == 500'
	api g2 reader --http2 "$(url /v1/config)" >/dev/null
	check "GET /v1/config: the rest of the document stays" \
		jq_ok g2 '.policing.acl.deny == ["203.0.113.0/24"] and (.services | length) >= 1'
	r=$(api g3 admin --http2 -X PATCH -H 'Content-Type: application/json' \
		-d '{"per_client": null}' "$(url /v1/policing)")
	check "PATCH per_client null: 200, the access list stays ($r)" \
		jq_ok g3 '.acl.deny == ["203.0.113.0/24"] and (has("per_client") | not)'
	api g4 reader --http2 "$(url /v1/config)" >/dev/null
	before=$(cat "$tmp/g4")
	r=$(api g5 admin --http2 -X PATCH -H 'Content-Type: application/json' \
		-d '{"acl": {"deny": ["10.0.0.0/33"]}}' "$(url /v1/policing)")
	check "PATCH a bad prefix: 400 naming the field ($r)" test \
		"$(jbody g5 .details.field)" = "policing.acl.deny[0]"
	api g6 reader --http2 "$(url /v1/config)" >/dev/null
	check "PATCH a bad prefix: configuration unchanged" \
		test "$(cat "$tmp/g6")" = "$before"
	r=$(api g7 reader --http2 -X PATCH -H 'Content-Type: application/json' \
		-d '{"acl": {}}' "$(url /v1/policing)")
	check "PATCH /v1/policing as reader: 403 ($r)" test "${r%% *}" = 403
	r=$(api g8 reader --http2 "$(url /v1/policing)")
	check "GET /v1/policing as reader: 200 ($r)" \
		jq_ok g8 '.acl.deny == ["203.0.113.0/24"]'
	r=$(api g9 admin --http2 -X PATCH -H 'Content-Type: application/json' \
		-d '{"acl": null}' "$(url /v1/policing)")
	check "PATCH acl null: 200, nothing left ($r)" jq_ok g9 '. == {}'
}

test_flows_metrics() {
	local r
	r=$(api f1 reader --http2 "$(url '/v1/flows?service=web&limit=10')")
	check "/v1/flows: 200 ($r)" test "${r%% *}" = 200
	check "/v1/flows: {count, flows[]} (null traffic has no flows)" \
		jq_ok f1 '(.count | type == "number") and (.flows | type == "array")
			and (.flows | length) == .count'
	r=$(api f2 reader --http2 "$(url '/v1/flows?limit=5000')")
	check "/v1/flows?limit=5000: 400 ($r)" is_error f2 1001
	r=$(api m1 reader --http2 "$(url /metrics)")
	check "/metrics: 200 ($r)" test "${r%% *}" = 200
	check "/metrics: strict Prometheus text parse" \
		"$api_bin" --check-metrics "$tmp/m1"
	check "/metrics: per-reason drops, per-backend counters, API histogram" \
		bash -c "grep -q '^edgepath_drops_total{reason=\"no_slowpath\"} ' '$tmp/m1' &&
			grep -q '^edgepath_backend_packets_total{service=\"web\",backend=\"10.0.0.1:8080\"} ' '$tmp/m1' &&
			grep -q '^edgepath_api_request_duration_seconds_bucket{route=\"/v1/config\",le=\"+Inf\"} ' '$tmp/m1'"
	check "/metrics: connections per listener" bash -c \
		"grep -q '^edgepath_api_listener_connections_open{listener=\"unix $sock\"} ' '$tmp/m1' &&
			grep -q '^edgepath_api_listener_connections_refused_total{listener=\"tls 127.0.0.1:$port\",reason=\"address\"} ' '$tmp/m1'"
}

# Drop mTLS by PUT + SIGHUP (certificates reload for new connections; a
# connection open across the reload is still served), then h2load over TLS
# (it has no client-certificate option).
test_reload_h2load() {
	local r ka
	write_config "$tmp/nomtls.json" 0 1
	r=$(api p5 admin --http2 -X PUT -H 'Content-Type: application/json' \
		--data-binary @"$tmp/nomtls.json" "$(url /v1/config)")
	check "PUT without mTLS: 200 ($r)" test "${r%% *}" = 200
	{
		printf 'GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n'
		sleep 2
		printf 'GET /readyz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'
	} | timeout 10 openssl s_client -quiet -connect "127.0.0.1:$port" \
		-servername localhost -alpn http/1.1 -cert "$certs/admin.crt" \
		-key "$certs/admin.key" >"$tmp/ka" 2>/dev/null &
	ka=$!
	sleep 0.7
	kill -HUP "$sp_pid"
	# The reload is asynchronous: a loaded machine (CI) may take a while.
	for _ in $(seq 50); do
		r=$(api n1 nobody --http2 "$(url /healthz)")
		[ "$r" = "200 2" ] && break
		sleep 0.2
	done
	check "after SIGHUP: no client certificate needed ($r)" test "$r" = "200 2"
	wait "$ka"
	check "connection open across the reload still served" \
		bash -c "grep -q '\"status\":\"ok\"' '$tmp/ka' && grep -q '\"status\":\"ready\"' '$tmp/ka'"
	timeout 60 h2load -n 1000 -c 4 -m 10 "https://127.0.0.1:$port/v1/stats" \
		>"$tmp/h2load" 2>&1
	check "h2load -n 1000 -c 4 -m 10 over TLS: 0 failed" \
		grep -q '1000 succeeded, 0 failed, 0 errored, 0 timeout' "$tmp/h2load"
	check "h2load negotiated h2" grep -q 'Application protocol: h2' "$tmp/h2load"
}

test_restart() {
	local c0 c1 v0 r
	v0=$(curl -s --max-time 5 --unix-socket "$sock" http://localhost/readyz |
		jq -r .version)
	kill -KILL "$sp_pid"
	wait "$sp_pid" 2>/dev/null
	sp_pid=''
	c0=$(telemetry /edgepath/counters rx_packets)
	sleep 1.5
	c1=$(telemetry /edgepath/counters rx_packets)
	check "kill -9 slow path: fast path still running" kill -0 "$fp_pid"
	check "kill -9 slow path: counters still moving ($c0 -> $c1)" \
		test "${c1:-0}" -gt "${c0:-0}"
	check "kill -9 slow path: fast path sees it gone" \
		test "$(telemetry /edgepath/info slowpath_attached)" = 0
	start_slowpath
	check "restarted slow path: /readyz 200 within 5 s" ready_within 5
	check "restarted slow path: carried on from version $v0" \
		grep -q "carrying on from configuration version $v0" "$tmp/sp.log"
	check "restarted slow path: attached (telemetry)" \
		test "$(telemetry /edgepath/info slowpath_attached)" = 1
	r=$(api c1 unix http://localhost/v1/config)
	check "config persisted: file equals GET /v1/config ($r)" \
		cmp -s "$cfg" "$tmp/c1"
	check "config persisted: the API's last change (no mTLS, dns)" \
		bash -c "! grep -q client_ca '$cfg' && grep -q '\"dns\"' '$cfg'"
}

# The fast path restarts: the slow path re-executes itself and re-attaches
# (nothing of the old EAL may survive the exec) and applies the file.
test_fastpath_restart() {
	local old=$sp_pid
	stop_pid "$fp_pid"
	check "fast path restarted" start_fastpath || tail -5 "$tmp/fp.log"
	check "slow path re-attached: /readyz 200 within 20 s" ready_within 20
	check "slow path re-attached in the same process" kill -0 "$old"
	api x1 unix http://localhost/v1/stats >/dev/null
	check "re-attached: the file's services are in force" \
		test "$(jbody x1 '[.services[].name] | join(",")')" = web,dns
}

# The configuration, and a temporary file as a kill -9 mid-PUT leaves
# (the slow path must ignore it and start).
write_config_leftover() {
	write_config "$@"
	echo '{"services": [' >"$cfg.tmp.4242"
}

main() {
	preflight
	dpdk_test_up write_config_leftover "$cfg" 1 0
	test_file_and_head
	test_tls_and_roles
	test_config_changes
	test_services_backends
	test_policing_patch
	test_flows_metrics
	test_reload_h2load
	test_restart
	test_fastpath_restart
	dpdk_test_done
}

main
