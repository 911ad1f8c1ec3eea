#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Functions run through check():
# shellcheck disable=SC2317,SC2016
# The HTTP/2 abuse of tests/integration/test_h2_abuse.c, and slowloris,
# against the full slow path: edgepath-fastpath on net_null and
# edgepath-slowpath with a loopback cleartext listener (h2c, the frames
# of test_h2_abuse), a TLS listener and a Unix socket.
#   - test_h2_abuse on the cleartext listener, its probe asking for
#     /healthz every 20 ms beside the attacks; the slow path's RSS after
#     within 16 MB of before;
#   - slowloris on the TLS listener: 150 connections stopped inside the
#     ClientHello and 150 that finish TLS and trickle a request head, a
#     line a second (300 against a budget of 256, 16 per source address);
#     beside them a /healthz loop over TLS from 127.0.0.1 (curl, a new
#     connection every 0.1 s) must see no failure, and the server must
#     close every one of them by its 10 s head timeout.
#
#   tests/integration/test_h2_abuse_slowpath.sh FASTPATH SLOWPATH TEST_H2_ABUSE
#
# Needs root and hugepages; exits 77 (skipped) without them. About 40 s.
set -u

fp_bin=${1:?usage: test_h2_abuse_slowpath.sh FASTPATH SLOWPATH TEST_H2_ABUSE}
sp_bin=${2:?usage: test_h2_abuse_slowpath.sh FASTPATH SLOWPATH TEST_H2_ABUSE}
abuse_bin=${3:?usage: test_h2_abuse_slowpath.sh FASTPATH SLOWPATH TEST_H2_ABUSE}
root=$(cd "$(dirname "$0")/../.." && pwd)
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/integration/lib.sh
. "$here/lib.sh"
dpdk_test_init test_h2_abuse_sp ep-h2sp-test
plain=''

write_config() {
	plain=$(free_port)
	cat >"$1" <<EOF
{
  "services": [
    { "name": "web", "vip": "198.51.100.1", "port": 80, "protocol": "tcp",
      "forwarding": "nat",
      "backends": [ { "address": "10.0.0.1", "port": 8080 } ] }
  ],
  "api": {
    "listeners": [ { "address": "127.0.0.1", "port": $port, "tls": true },
                   { "address": "127.0.0.1", "port": $plain, "tls": false },
                   { "unix": "$sock" } ],
    "tls": { "certificate": "$certs/server.crt",
             "private_key": "$certs/server.key" }
  }
}
EOF
}

test_h2_frames() {
	"$abuse_bin" "$plain" "$sp_pid" /healthz >"$tmp/abuse.out" 2>&1
	local rc=$?
	sed 's/^/#   /' "$tmp/abuse.out"
	check "test_h2_abuse against the slow path (h2c, probe on /healthz)" \
		test "$rc" -eq 0
}

# healthz_loop SECONDS: one curl over TLS every 0.1 s; "ok=N failed=M"
healthz_loop() {
	local end=$((SECONDS + $1)) okc=0 badc=0 code
	while [ "$SECONDS" -lt "$end" ]; do
		code=$(curl -s --max-time 3 --cacert "$certs/ca.crt" \
			--resolve "localhost:$port:127.0.0.1" -o /dev/null \
			-w '%{http_code}' "https://localhost:$port/healthz")
		if [ "$code" = 200 ]; then okc=$((okc + 1)); else badc=$((badc + 1)); fi
		sleep 0.1
	done
	echo "ok=$okc failed=$badc"
}

test_slowloris() {
	local loop out hs hd
	healthz_loop 16 >"$tmp/loop" &
	loop=$!
	sleep 0.5
	python3 "$here/slowloris.py" "$port" 150 150 14 >"$tmp/slow" 2>&1
	wait "$loop"
	sed 's/^/#   /' "$tmp/slow"
	echo "#   healthz loop: $(cat "$tmp/loop")"
	hs=$(grep '^handshake ' "$tmp/slow")
	hd=$(grep '^headers ' "$tmp/slow")
	check "slowloris: 300 attack connections opened" bash -c \
		'[ $(($(sed -n "s/.*opened=\([0-9]*\).*/\1/p" <<<"$1") +
			$(sed -n "s/.*opened=\([0-9]*\).*/\1/p" <<<"$2"))) -eq 300 ]' _ "$hs" "$hd"
	for out in "$hs" "$hd"; do
		check "slowloris ${out%% *}: every connection closed by the server within 13 s (${out#* })" \
			bash -c 'o=${1#*opened=}; o=${o%% *}; c=${1#*closed_by_server=}; c=${c%% *}
				t=${1#*last_close_s=}; [ "$o" -gt 0 ] && [ "$c" = "$o" ] &&
				awk -v t="$t" "BEGIN { exit !(t > 0 && t < 13) }"' _ "$out"
	done
	check "slowloris: /healthz over TLS beside it never failed ($(cat "$tmp/loop"))" \
		grep -Eq '^ok=[1-9][0-9]+ failed=0$' "$tmp/loop"
	check "after slowloris: /healthz over TLS" test "$(curl -s --max-time 5 \
		--cacert "$certs/ca.crt" --resolve "localhost:$port:127.0.0.1" \
		-o /dev/null -w '%{http_code}' "https://localhost:$port/healthz")" = 200
}

main() {
	dpdk_preflight curl python3 stdbuf -- "$fp_bin" "$sp_bin" "$abuse_bin"
	# The RSS bound is the server's, not ASan's quarantine of freed
	# memory (test_h2_abuse.sh).
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0"
	dpdk_test_up write_config "$cfg"
	test_h2_frames
	test_slowloris
	check "slow path still running" kill -0 "$sp_pid"
	dpdk_test_done
}

main
