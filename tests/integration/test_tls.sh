#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Functions run through check():
# shellcheck disable=SC2317,SC2016
# TLS of the control API attacked on the real processes (edgepath-fastpath
# on net_null, edgepath-slowpath with a mutual-TLS listener on 127.0.0.1):
#   - TLS 1.0 and 1.1 refused (the client really offers them: SECLEVEL=0);
#   - mTLS: no client certificate, another CA's, an expired and a
#     not-yet-valid one (both CN=admin of the right CA) refused with the
#     alert that names why; the admin certificate accepted;
#   - roles: a reader may read but every write is 403; a trusted
#     certificate without a role gets only /healthz and /readyz;
#   - SIGHUP with a broken certificate, a key of another certificate and
#     an empty key: a log line naming the file, and the old certificate
#     still served (its SHA-256 fingerprint); a good new one is taken;
#   - testssl.sh (-p -s -f -U --fast, without mTLS): no finding rated
#     MEDIUM, HIGH or CRITICAL.
#
#   tests/integration/test_tls.sh FASTPATH SLOWPATH
#
# Needs root and hugepages; exits 77 (skipped) without them. About 60 s,
# most of it testssl.sh.
set -u

fp_bin=${1:?usage: test_tls.sh FASTPATH SLOWPATH}
sp_bin=${2:?usage: test_tls.sh FASTPATH SLOWPATH}
root=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
dpdk_test_init test_tls ep-tls-test

# write_config FILE MTLS(0|1)
write_config() {
	local mtls=''
	[ "$2" = 1 ] && mtls=", \"client_ca\": \"$certs/ca.crt\",
		\"admin_subjects\": [\"CN=admin,O=edgepath\"],
		\"reader_subjects\": [\"SAN:spiffe://edgepath/reader\"]"
	cat >"$1" <<EOF
{
  "services": [
    { "name": "web", "vip": "198.51.100.1", "port": 80, "protocol": "tcp",
      "forwarding": "nat",
      "backends": [ { "address": "10.0.0.1", "port": 8080 } ] }
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

# tls WHO curl-args...: status code of a request with WHO's certificate
# (none: no certificate); 000 when TLS refused it.
tls() {
	local who=$1 c=()
	shift
	[ "$who" = none ] || c=(--cert "$certs/$who.crt" --key "$certs/$who.key")
	curl -sS --max-time 10 --cacert "$certs/ca.crt" \
		--resolve "localhost:$port:127.0.0.1" "${c[@]}" -o "$tmp/body" \
		-w '%{http_code}' "$@" 2>>"$tmp/curl.err"
}

url() {
	echo "https://localhost:$port$1"
}

# s_client ARGS...: what openssl s_client says of a handshake (and one
# request line, so that a TLS 1.3 server sees the client certificate's
# fate before the client leaves).
s_client() {
	printf 'GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n' |
		timeout 10 openssl s_client -ign_eof -connect "127.0.0.1:$port" \
			-servername localhost -CAfile "$certs/ca.crt" "$@" 2>&1
}

# The SHA-256 fingerprint of the certificate the listener serves.
served_fingerprint() {
	timeout 10 openssl s_client -connect "127.0.0.1:$port" \
		-servername localhost </dev/null 2>/dev/null |
		openssl x509 -noout -fingerprint -sha256 2>/dev/null
}

file_fingerprint() {
	openssl x509 -in "$1" -noout -fingerprint -sha256 2>/dev/null
}

test_protocols() {
	local v out
	for v in tls1 tls1_1; do
		out=$(s_client "-$v" -cipher 'DEFAULT@SECLEVEL=0' \
			-cert "$certs/admin.crt" -key "$certs/admin.key")
		check "s_client -$v (offered for real): alert protocol version" \
			grep -q 'alert protocol version' <<<"$out"
	done
	for v in tls1_2 tls1_3; do
		out=$(s_client "-$v" -cert "$certs/admin.crt" -key "$certs/admin.key")
		check "s_client -$v with the admin certificate: served" \
			grep -q '"status":"ok"' <<<"$out"
	done
	check "curl --tls-max 1.1 refused" \
		test "$(tls admin --tlsv1.1 --tls-max 1.1 --ciphers 'DEFAULT@SECLEVEL=0' \
			"$(url /healthz)")" = 000
}

# Each refused certificate is CN=admin,O=edgepath: only what is wrong
# with it keeps it out. Under TLS 1.2 the handshake fails with the alert
# of the verification error; under TLS 1.3 (curl's default) no request
# is answered.
test_client_certs() {
	local who alert out
	check "admin certificate: GET /v1/config 200" \
		test "$(tls admin "$(url /v1/config)")" = 200
	for who in none:'handshake failure' rogue:'unknown ca' \
		expired:'certificate expired' notyet:'bad certificate'; do
		alert=${who#*:}
		who=${who%%:*}
		check "client certificate '$who': refused over TLS 1.3 (curl)" \
			test "$(tls "$who" "$(url /healthz)")" = 000
		if [ "$who" = none ]; then
			out=$(s_client -tls1_2)
		else
			out=$(s_client -tls1_2 -cert "$certs/$who.crt" -key "$certs/$who.key")
		fi
		check "client certificate '$who', TLS 1.2: alert $alert, nothing served" \
			bash -c 'grep -q "alert $1" <<<"$2" && ! grep -q "\"status\"" <<<"$2"' \
			_ "$alert" "$out"
	done
	out=$(s_client -tls1_3 -cert "$certs/expired.crt" -key "$certs/expired.key")
	check "expired certificate, TLS 1.3: alert certificate expired, nothing served" \
		bash -c 'grep -q "alert certificate expired" <<<"$1" && ! grep -q "\"status\"" <<<"$1"' \
		_ "$out"
}

test_roles() {
	local r
	check "reader: GET /v1/config 200" test "$(tls reader "$(url /v1/config)")" = 200
	check "reader: GET /v1/services 200" test "$(tls reader "$(url /v1/services)")" = 200
	r=$(tls reader -X PUT -H 'Content-Type: application/json' \
		--data-binary @"$cfg" "$(url /v1/config)")
	check "reader: PUT /v1/config 403 ($r), error 1006" \
		bash -c '[ "$1" = 403 ] && jq -e ".code == 1006" "$2" >/dev/null' _ "$r" "$tmp/body"
	r=$(tls reader -H 'Content-Type: application/json' -d \
		'{"name": "api", "vip": "198.51.100.2", "port": 443, "protocol": "tcp"}' \
		"$(url /v1/services)")
	check "reader: POST /v1/services 403 ($r)" test "$r" = 403
	r=$(tls reader -X DELETE "$(url /v1/services/web)")
	check "reader: DELETE /v1/services/web 403 ($r)" test "$r" = 403
	r=$(tls reader -X PATCH -H 'Content-Type: application/json' \
		-d '{"state": "drain"}' "$(url /v1/services/web/backends/10.0.0.1:8080)")
	check "reader: PATCH a backend 403 ($r)" test "$r" = 403
	check "reader's attempts changed nothing: the file is GET /v1/config" \
		bash -c 'curl -s --max-time 5 --unix-socket "$1" http://localhost/v1/config | cmp -s - "$2"' \
		_ "$sock" "$cfg"
	check "role none: GET /v1/config 403" test "$(tls nobody "$(url /v1/config)")" = 403
	check "role none: GET /healthz 200" test "$(tls nobody "$(url /healthz)")" = 200
}

# sighup_expect PATTERN: SIGHUP, then wait for one more log line matching
# PATTERN than before.
sighup_expect() {
	local n0
	n0=$(grep -c -- "$1" "$tmp/sp.log")
	kill -HUP "$sp_pid"
	for _ in $(seq 100); do
		[ "$(grep -c -- "$1" "$tmp/sp.log")" -gt "$n0" ] && return 0
		sleep 0.1
	done
	return 1
}

test_sighup_broken() {
	local fp0 fp1 keep fresh=$tmp/fresh
	fp0=$(served_fingerprint)
	check "served certificate is server.crt" \
		test -n "$fp0" -a "$fp0" = "$(file_fingerprint "$certs/server.crt")"
	cp "$certs/server.crt" "$tmp/good.crt"
	cp "$certs/server.key" "$tmp/good.key"
	mkdir -p "$fresh"
	cp "$certs/ca.crt" "$certs/ca.key" "$fresh/"
	bash "$root/tests/certs/make-certs.sh" "$fresh" server >/dev/null

	keep='new connections keep the previous certificate'
	echo 'not a certificate' >"$certs/server.crt"
	check "SIGHUP, garbage certificate: 'TLS reload failed: certificate $certs/server.crt: ...; $keep'" \
		sighup_expect "TLS reload failed: certificate $certs/server.crt: .*; $keep"
	check "garbage certificate: the old one still served" \
		test "$(served_fingerprint)" = "$fp0"
	cp "$tmp/good.crt" "$certs/server.crt"

	cp "$fresh/server.key" "$certs/server.key"
	check "SIGHUP, key of another certificate: 'TLS reload failed: private key $certs/server.key: ...key values mismatch; $keep'" \
		sighup_expect "TLS reload failed: private key $certs/server.key: .*key values mismatch; $keep"
	check "mismatched key: the old certificate still served" \
		test "$(served_fingerprint)" = "$fp0"

	: >"$certs/server.key"
	check "SIGHUP, empty key file: 'TLS reload failed: private key $certs/server.key: ...; $keep'" \
		sighup_expect "TLS reload failed: private key $certs/server.key: .*; $keep"
	check "empty key: the old certificate still served" \
		test "$(served_fingerprint)" = "$fp0"
	check "after three failed reloads: admin still served" \
		test "$(tls admin "$(url /v1/config)")" = 200

	cp "$fresh/server.crt" "$fresh/server.key" "$certs/"
	check "SIGHUP, a good new certificate: reloaded" \
		sighup_expect "TLS certificates reloaded"
	fp1=$(served_fingerprint)
	check "the new certificate is served" \
		test -n "$fp1" -a "$fp1" = "$(file_fingerprint "$fresh/server.crt")" -a "$fp1" != "$fp0"
}

# testssl.sh without mTLS (its handshakes carry no client certificate):
# PUT a configuration without client_ca, SIGHUP for the TLS context.
# Protocols, cipher categories, forward secrecy and the vulnerability
# checks, --fast; a finding at MEDIUM or worse fails, and the scan must
# have reached the server (its protocol findings are there).
test_testssl() {
	local r bad
	write_config "$tmp/nomtls.json" 0
	r=$(curl -sS --max-time 10 --unix-socket "$sock" -X PUT \
		-H 'Content-Type: application/json' --data-binary @"$tmp/nomtls.json" \
		-o /dev/null -w '%{http_code}' http://localhost/v1/config)
	check "PUT without mTLS: 200 ($r)" test "$r" = 200
	check "SIGHUP: TLS context without client CA" \
		sighup_expect "TLS certificates reloaded"
	timeout 240 testssl --quiet --fast --color 0 --warnings off \
		--connect-timeout 5 --openssl-timeout 5 \
		--jsonfile "$tmp/testssl.json" -p -s -f -U "127.0.0.1:$port" \
		>"$tmp/testssl.out" 2>&1
	check "testssl.sh wrote its JSON findings" \
		jq -e 'length > 10 and any(.[]; .id == "TLS1_2")' "$tmp/testssl.json" >/dev/null
	check "testssl.sh: TLS 1.2 and 1.3 offered, 1.1 and below not" \
		jq -e '(map({(.id): .finding}) | add) as $f
			| ($f.TLS1_2 | test("^offered")) and ($f.TLS1_3 | test("^offered"))
			and ($f.TLS1_1 | test("^not offered")) and ($f.TLS1 | test("^not offered"))
			and ($f.SSLv3 | test("^not offered"))' "$tmp/testssl.json" >/dev/null
	bad=$(jq -r '.[] | select(.severity | IN("MEDIUM", "HIGH", "CRITICAL"))
		| "\(.severity) \(.id): \(.finding)"' "$tmp/testssl.json")
	check "testssl.sh: nothing rated MEDIUM or worse${bad:+: $bad}" test -z "$bad"
	jq -r '.[] | select(.severity | IN("LOW", "WARN")) | "# testssl \(.severity) \(.id): \(.finding)"' \
		"$tmp/testssl.json"
}

main() {
	dpdk_preflight curl openssl jq testssl python3 stdbuf -- "$fp_bin" "$sp_bin"
	dpdk_test_up write_config "$cfg" 1
	test_protocols
	test_client_certs
	test_roles
	test_sighup_broken
	test_testssl
	check "slow path still running" kill -0 "$sp_pid"
	dpdk_test_done
}

main
