#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Functions run through check() and single-quoted bash -c scripts:
# shellcheck disable=SC2317,SC2016
# Bad configurations against the real control API (edgepath-fastpath on
# net_null, edgepath-slowpath on a Unix socket), table-driven: every case
# of tests/integration/bad_config.cases (wrong types, unknown fields,
# duplicate keys, nesting, oversized documents, addresses and ports,
# duplicate names, weights, NaN, UTF-8, NUL, policing, health checks)
# is a PUT /v1/config or POST /v1/services that must get the case's 4xx
# with the case's details.field, after which GET /v1/config is the same
# bytes with the same ETag as before, and the file on disk too.
#
#   tests/integration/test_bad_config.sh FASTPATH SLOWPATH [CASES]
#
# Needs root and hugepages; exits 77 (skipped) without them. About 10 s.
set -u

fp_bin=${1:?usage: test_bad_config.sh FASTPATH SLOWPATH [CASES]}
sp_bin=${2:?usage: test_bad_config.sh FASTPATH SLOWPATH [CASES]}
root=$(cd "$(dirname "$0")/../.." && pwd)
cases=${3:-$root/tests/integration/bad_config.cases}
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
dpdk_test_init test_bad_config ep-badcfg-test

# The configuration in force: one service with every object a case
# mutates (limits, acl, a health check of type none, so no probe moves
# the version), global policing, the Unix socket.
base_config() {
	cat >"$1" <<EOF
{
  "services": [
    { "name": "web", "vip": "198.51.100.1", "port": 80, "protocol": "tcp",
      "forwarding": "nat",
      "backends": [ { "address": "10.0.0.1", "port": 8080, "weight": 1 } ],
      "limits": { "packets_per_second": { "rate": 1000, "burst": 100 } },
      "acl": { "allow": ["10.0.0.0/8"], "deny": [] },
      "health_check": { "type": "none" } }
  ],
  "policing": { "syn_flood": { "new_flows_per_second": 20000 } },
  "api": { "listeners": [ { "unix": "$sock" } ] }
}
EOF
}

# A valid new service: the base of the svc cases.
new_service='{"name": "api", "vip": "198.51.100.2", "port": 443,
	"protocol": "tcp", "forwarding": "nat",
	"backends": [{"address": "10.0.2.1", "port": 8443, "weight": 1}]}'

# get_config NAME: the body in $tmp/NAME, the ETag in $tmp/NAME.etag
get_config() {
	curl -sS --max-time 10 --unix-socket "$sock" -D "$tmp/$1.head" \
		-o "$tmp/$1" http://localhost/v1/config
	tr -d '\r' <"$tmp/$1.head" | awk 'tolower($1) == "etag:" {print $2}' \
		>"$tmp/$1.etag"
}

# make_body KIND BODY: the request body in $tmp/req
make_body() {
	case "$1" in
	doc) jq -c "$2" "$tmp/base" >"$tmp/req" ;;
	svc) jq -nc "$new_service | $2" >"$tmp/req" ;;
	raw) printf '%b' "$2" >"$tmp/req" ;;
	nest)
		python3 -c 'import sys; n = int(sys.argv[1]) - 1
sys.stdout.write("{\"services\": " + "[" * n + "1" + "]" * n + "}")' "$2" >"$tmp/req"
		;;
	big)
		python3 -c 'import sys; n = int(sys.argv[1])
head = "{\"services\": [], \"pad\": \""; tail = "\"}"
sys.stdout.write(head + "a" * (n - len(head) - len(tail)) + tail)' "$2" >"$tmp/req"
		;;
	*) return 1 ;;
	esac
}

# run_case NAME METHOD PATH STATUS FIELD KIND BODY
run_case() {
	local name=$1 method=$2 path=$3 want=$4 field=$5 kind=$6 body=$7
	local code got
	if ! make_body "$kind" "$body"; then
		bad "$name: cannot make a $kind body"
		return
	fi
	code=$(curl -sS --max-time 10 --unix-socket "$sock" -X "$method" \
		-H 'Content-Type: application/json' --data-binary @"$tmp/req" \
		-o "$tmp/resp" -w '%{http_code}' "http://localhost$path" 2>&1)
	got=$(jq -r '.details.field // "-"' "$tmp/resp" 2>/dev/null)
	if [ "$code" = "$want" ] && [ "$got" = "$field" ]; then
		ok "$name: $method $path $code, field $got"
	else
		bad "$name: $method $path: $code field '$got' (want $want field '$field'): $(head -c 300 "$tmp/resp")"
	fi
	get_config after
	if cmp -s "$tmp/base" "$tmp/after" &&
		cmp -s "$tmp/base.etag" "$tmp/after.etag"; then
		ok "$name: GET /v1/config and ETag $(cat "$tmp/after.etag") unchanged"
	else
		bad "$name: GET /v1/config or its ETag changed ($(cat "$tmp/base.etag") -> $(cat "$tmp/after.etag"))"
		cp "$tmp/after" "$tmp/base"
		cp "$tmp/after.etag" "$tmp/base.etag"
	fi
}

main() {
	local name method path status field kind body n=0
	dpdk_preflight curl jq python3 stdbuf -- "$fp_bin" "$sp_bin"
	[ -r "$cases" ] || { bad "cannot read $cases"; finish; }
	dpdk_test_up base_config "$cfg"
	get_config base
	check "GET /v1/config is the file, with an ETag" \
		bash -c 'cmp -s "$1" "$2" && [ -s "$3" ]' _ "$cfg" "$tmp/base" "$tmp/base.etag"
	cp "$cfg" "$tmp/file0"
	while read -r name method path status field kind body; do
		case "$name" in '' | '#'*) continue ;; esac
		run_case "$name" "$method" "$path" "$status" "$field" "$kind" "$body"
		n=$((n + 1))
	done <"$cases"
	check "ran all $n cases of $(basename "$cases") (at least 90)" test "$n" -ge 90
	check "the file on disk is unchanged" cmp -s "$cfg" "$tmp/file0"
	# The same requests are not refused for the API's sake: a good PUT of
	# the configuration in force with one change goes through.
	jq -c '.services[0].backends[0].weight = 2' "$tmp/base" >"$tmp/req"
	check "a valid PUT still works afterwards (200)" test "$(curl -sS --max-time 10 \
		--unix-socket "$sock" -X PUT -H 'Content-Type: application/json' \
		--data-binary @"$tmp/req" -o /dev/null -w '%{http_code}' \
		http://localhost/v1/config)" = 200
	check "slow path still running" kill -0 "$sp_pid"
	dpdk_test_done
}

main
