#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Functions run through check(), bash -c scripts are single-quoted on purpose
# and the servers' variables are set by name in start():
# shellcheck disable=SC2317,SC2016,SC2034
# End-to-end test of slowpath/http/ (server core, tls.c, h1.c) with real clients:
# curl (h2 via ALPN, HTTP/1.1, h2c prior knowledge, Unix socket), nghttp,
# h2load and openssl s_client. Only 127.0.0.1 and a Unix socket are used;
# every client call is bounded in time.
#
#   tests/integration/test_http.sh [path/to/test_http]
#
# Without an argument the test server is built here with ASan/UBSan. Needs:
# apt-get install libnghttp2-dev libssl-dev nghttp2-client curl
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
tmp=$(mktemp -d)
certs=$tmp/certs
pids=()
pass=0
fail=0
A_pid='' A_tls='' A_plain='' B_pid='' B_tls='' C_pid='' C_tls='' C_plain=''

cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

need_tools() {
	local t
	for t in curl nghttp h2load openssl pkg-config python3; do
		command -v "$t" >/dev/null && continue
		bad "missing $t (apt-get install nghttp2-client curl openssl)"
		finish
	done
}

build() {
	if [ $# -ge 1 ]; then
		bin=$1
		return
	fi
	bin=$tmp/test_http
	# shellcheck disable=SC2046
	${CC:-cc} -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -g -O1 \
		-fsanitize=address,undefined -fno-omit-frame-pointer \
		-o "$bin" "$root/tests/integration/test_http.c" \
		"$root"/slowpath/http/*.c "$root/slowpath/trace.c" \
		-I"$root/slowpath" -I"$root/slowpath/http" \
		$(pkg-config --cflags --libs libnghttp2 openssl) ||
		{
			bad "build test_http"
			finish
		}
}

# start NAME args...: run the server, wait for READY; sets NAME_{pid,tls,plain}
start() {
	local name=$1 t p pid
	shift
	"$bin" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
	pid=$!
	pids+=("$pid")
	for _ in $(seq 100); do
		grep -q '^READY' "$tmp/$name.out" 2>/dev/null && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	read -r _ t p <"$tmp/$name.out" || true
	printf -v "${name}_pid" %s "$pid"
	printf -v "${name}_tls" %s "${t#tls=}"
	printf -v "${name}_plain" %s "${p#plain=}"
}

# stop NAME: SIGTERM, expect exit 0 and no sanitizer report
stop() {
	local pid_var="${1}_pid" rc
	kill -TERM "${!pid_var}"
	wait "${!pid_var}"
	rc=$?
	check "$1: clean exit (rc=$rc)" test "$rc" -eq 0
	check "$1: no sanitizer report" \
		bash -c "! grep -qE 'Sanitizer|runtime error' '$tmp/$1.err'"
}

# fetch NAME curl-args...: body in $tmp/NAME.body; prints "code version type"
fetch() {
	local name=$1
	shift
	curl -sS --max-time 10 -o "$tmp/$name.body" \
		-w '%{http_code} %{http_version} %{content_type}' "$@" \
		2>"$tmp/$name.err"
}

has() { # NAME text: the body of fetch NAME contains text
	grep -qF -- "$2" "$tmp/$1.body"
}

is_error() { # NAME status: the body is the project's JSON error
	grep -qE "^\{\"code\": $2, \"message\": \"[^\"]+\", \"details\": \{\}\}$" \
		"$tmp/$1.body"
}

# raw PORT DATA: send DATA on cleartext TCP, print what comes back
raw() {
	timeout 5 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
		printf "%s" "$2" >&3; cat <&3' _ "$1" "$2"
}

fd_count() {
	find "/proc/$1/fd" -mindepth 1 -maxdepth 1 | wc -l
}

open_conns() { # server: conns_open from /stats (itself included)
	curl -sS --max-time 5 "http://127.0.0.1:$2/stats" |
		sed -n 's/.*"conns_open": \([0-9]*\).*/\1/p'
}

wait_quiet() { # NAME plainport: wait until only the /stats conn is open
	for _ in $(seq 40); do
		[ "$(open_conns "$1" "$2")" = 1 ] && return 0
		sleep 0.1
	done
	return 1
}

# The server's descriptors once only the /stats connection is open and a
# closing client has had time to go (bounded): a leak stays above it.
settled_fd_count() { # NAME plainport
	local n
	wait_quiet "$1" "$2"
	for _ in $(seq 20); do
		n=$(fd_count "$A_pid")
		sleep 0.1
		[ "$(fd_count "$A_pid")" -eq "$n" ] && break
	done
	fd_count "$A_pid"
}

serial_live() {
	timeout 5 openssl s_client -connect "127.0.0.1:$1" \
		-servername localhost </dev/null 2>/dev/null |
		openssl x509 -noout -serial 2>/dev/null
}

# ---- server A: TLS without client certs, cleartext loopback, Unix ------

test_protocols() {
	local r C="--cacert $certs/ca.crt --resolve localhost:$A_tls:127.0.0.1"

	# shellcheck disable=SC2086
	r=$(fetch h2 $C --http2 -d 'ab"c' "https://localhost:$A_tls/e?q=1")
	check "TLS + ALPN h2: $r" test "$r" = "200 2 application/json"
	check "h2 echo: role admin, proto 2, tls" has h2 \
		'"method": "POST", "path": "/e", "query": "q=1", "role": "admin", "proto": 2, "tls": true'
	check "h2 echo: body" has h2 '"body_len": 4, "body": "ab\"c"'
	# shellcheck disable=SC2086
	r=$(fetch h1 $C --http1.1 "https://localhost:$A_tls/one")
	check "TLS HTTP/1.1: $r" test "$r" = "200 1.1 application/json"
	check "h1 echo: proto 1, tls" has h1 '"role": "admin", "proto": 1, "tls": true'
	r=$(fetch h2c --http2-prior-knowledge "http://127.0.0.1:$A_plain/c")
	check "h2c prior knowledge: $r" test "$r" = "200 2 application/json"
	check "h2c echo: local admin, no tls" has h2c '"role": "admin", "proto": 2, "tls": false'
	r=$(fetch c1 "http://127.0.0.1:$A_plain/c1")
	check "cleartext HTTP/1.1: $r" test "$r" = "200 1.1 application/json"
	r=$(fetch ux --unix-socket "$tmp/api.sock" "http://localhost/u")
	check "Unix socket HTTP/1.1: $r" test "$r" = "200 1.1 application/json"
	check "Unix socket: local admin" has ux '"role": "admin", "proto": 1'
	r=$(fetch ux2 --http2-prior-knowledge --unix-socket "$tmp/api.sock" \
		"http://localhost/u2")
	check "Unix socket h2c: $r" test "$r" = "200 2 application/json"
	check "Unix socket mode 0660" test "$(stat -c %a "$tmp/api.sock")" = 660
}

test_settings() {
	# only the SETTINGS frame nghttp received (it sends its own too)
	timeout 10 nghttp -v -t 5 "https://127.0.0.1:$A_tls/s" 2>&1 |
		awk '/^\[/ { recv = /recv SETTINGS frame/ } recv' >"$tmp/settings"
	check "nghttp: server SETTINGS_MAX_CONCURRENT_STREAMS=100" \
		grep -q 'SETTINGS_MAX_CONCURRENT_STREAMS(0x03):100\]' "$tmp/settings"
	check "nghttp: server SETTINGS_MAX_HEADER_LIST_SIZE=16384" \
		grep -q 'SETTINGS_MAX_HEADER_LIST_SIZE(0x06):16384\]' "$tmp/settings"
}

test_tls_policy() {
	local out
	curl -sS --max-time 5 -k --tlsv1.1 --tls-max 1.1 \
		"https://127.0.0.1:$A_tls/" >/dev/null 2>&1
	check "curl --tls-max 1.1 refused" test $? -ne 0
	# the client must really offer TLS 1.1 (SECLEVEL=0), so the refusal
	# is the server's: alert protocol_version
	out=$(timeout 5 openssl s_client -connect "127.0.0.1:$A_tls" -tls1_1 \
		-cipher 'DEFAULT@SECLEVEL=0' </dev/null 2>&1)
	check "s_client -tls1_1: server alerts protocol version" \
		grep -q 'alert protocol version' <<<"$out"
	out=$(timeout 5 openssl s_client -connect "127.0.0.1:$A_tls" -tls1_2 \
		-cipher 'AES128-GCM-SHA256:ECDHE-ECDSA-AES128-SHA' </dev/null 2>&1)
	check "TLS 1.2 without ECDHE+AEAD refused" \
		grep -q 'alert handshake failure' <<<"$out"
	out=$(timeout 5 openssl s_client -connect "127.0.0.1:$A_tls" -tls1_2 \
		</dev/null 2>&1)
	check "TLS 1.2 ECDHE AEAD accepted" \
		grep -qE 'Cipher is ECDHE-(ECDSA|RSA)-(AES(128|256)-GCM|CHACHA20)' <<<"$out"
	out=$(timeout 5 openssl s_client -connect "127.0.0.1:$A_tls" -tls1_3 \
		-alpn h2,http/1.1 </dev/null 2>&1)
	check "TLS 1.3 with ALPN h2" grep -q 'ALPN protocol: h2' <<<"$out"
}

test_limits() {
	local r big C="--cacert $certs/ca.crt --resolve localhost:$A_tls:127.0.0.1"

	head -c 2000000 /dev/zero >"$tmp/2m.bin"
	head -c 1000000 /dev/urandom >"$tmp/1m.bin"
	# shellcheck disable=SC2086
	r=$(fetch b1 $C --http1.1 --data-binary @"$tmp/2m.bin" "https://localhost:$A_tls/up")
	check "HTTP/1.1 2 MB body: $r" test "$r" = "413 1.1 application/json"
	check "HTTP/1.1 413 is the JSON error" is_error b1 413
	# shellcheck disable=SC2086
	r=$(fetch b2 $C --http2 --data-binary @"$tmp/2m.bin" "https://localhost:$A_tls/up")
	check "h2 2 MB body: $r" test "$r" = "413 2 application/json"
	check "h2 413 is the JSON error" is_error b2 413
	timeout 10 nghttp -t 5 -d "$tmp/2m.bin" "http://127.0.0.1:$A_plain/up" \
		>"$tmp/b3.body" 2>&1
	check "nghttp h2c 2 MB body: 413" is_error b3 413
	# shellcheck disable=SC2086
	r=$(fetch b4 $C --http2 --data-binary @"$tmp/1m.bin" "https://localhost:$A_tls/up")
	check "h2 1 MB body accepted: $r" has b4 '"body_len": 1000000'
	# shellcheck disable=SC2086
	r=$(fetch b5 $C --http1.1 --data-binary @"$tmp/1m.bin" "https://localhost:$A_tls/up")
	check "HTTP/1.1 1 MB body accepted: $r" has b5 '"body_len": 1000000'
	big=$(head -c 20000 /dev/zero | tr '\0' a)
	# shellcheck disable=SC2086
	r=$(fetch hh1 $C --http1.1 -H "X-Big: $big" "https://localhost:$A_tls/h")
	check "HTTP/1.1 20 kB header: $r" test "$r" = "431 1.1 application/json"
	check "HTTP/1.1 431 is the JSON error" is_error hh1 431
	# shellcheck disable=SC2086
	r=$(fetch hh2 $C --http2 -H "X-Big: $big" "https://localhost:$A_tls/h")
	check "h2 20 kB header refused (431 or reset): $r" \
		bash -c "[ '${r%% *}' = 431 ] || [ '${r%% *}' = 000 ]"
	r=$(fetch te -H 'Transfer-Encoding: chunked' -d abc "http://127.0.0.1:$A_plain/te")
	check "chunked request: $r" test "$r" = "501 1.1 application/json"
	check "chunked: JSON error" is_error te 501
}

test_h1_wire() {
	local out
	out=$(raw "$A_plain" $'GET /p1 HTTP/1.1\r\nHost: x\r\n\r\nGET /p2 HTTP/1.1\r\nHost: x\r\n\r\nGET /p3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
	check "pipelined: three answers in order" test \
		"$(grep -o '"path": "/p[0-9]"' <<<"$out" | tr -d '\n')" = \
		'"path": "/p1""path": "/p2""path": "/p3"'
	out=$(raw "$A_plain" $'GET /a b HTTP/1.1\r\nHost: x\r\n\r\n')
	check "bad request line: 400 JSON, then close" grep -qE \
		'^\{"code": 400, "message": "malformed request line", "details": \{\}\}$' <<<"$out"
	out=$(raw "$A_plain" $'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx')
	check "duplicate Content-Length: 400" grep -q '^HTTP/1.1 400 ' <<<"$out"
	out=$(raw "$A_plain" $'POST /x HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n')
	check "Expect: 100-continue answered" grep -q '^HTTP/1.1 100 Continue' <<<"$out"
	out=$(curl -sS --max-time 5 -I "http://127.0.0.1:$A_plain/head")
	check "HEAD: Content-Length without a body" grep -q '^Content-Length: [1-9]' <<<"$out"
	out=$(curl -sS --max-time 5 -D - -o /dev/null "http://127.0.0.1:$A_plain/status/204")
	check "204: no Content-Length" bash -c "! grep -qi '^content-length' <<<'$out'"
}

test_big_responses() {
	local r C="--cacert $certs/ca.crt --resolve localhost:$A_tls:127.0.0.1"
	# shellcheck disable=SC2086
	r=$(curl -sS --max-time 10 $C --http2 -o /dev/null -w '%{http_code} %{size_download}' \
		"https://localhost:$A_tls/big?3000000")
	check "h2 3 MB response: $r" test "$r" = "200 3000000"
	# shellcheck disable=SC2086
	r=$(curl -sS --max-time 10 $C --http1.1 -o /dev/null -w '%{http_code} %{size_download}' \
		"https://localhost:$A_tls/big?3000000")
	check "HTTP/1.1 3 MB response: $r" test "$r" = "200 3000000"
}

test_h2load() {
	timeout 120 h2load -n 2000 -c 10 -m 100 "https://127.0.0.1:$A_tls/load" \
		>"$tmp/h2load.out" 2>&1
	check "h2load -n 2000 -c 10 -m 100: 2000 succeeded, 0 failed" \
		grep -q '2000 succeeded, 0 failed, 0 errored, 0 timeout' "$tmp/h2load.out"
	check "h2load negotiated h2" grep -q 'Application protocol: h2' "$tmp/h2load.out"
}

# HTTP/2 with raw frames: a trickled body closes at the idle limit (4 s
# here, as HTTP/1.1), not at every DATA frame's; fatal session errors end
# with GOAWAY and, over TLS, close_notify.
test_h2_raw() {
	local out s
	out=$(timeout 20 python3 "$here/h2_raw.py" trickle "$A_plain" 9)
	s=${out#closed_after=}
	s=${s%%.*}
	check "h2c body trickled at 4 bytes/s: closed at the 4 s limit ($out)" \
		bash -c "[ '$s' -ge 3 ] && [ '$s' -le 6 ] && grep -q 'goaway=1' <<<'$out'"
	out=$(timeout 20 python3 "$here/h2_raw.py" badpreface "$A_tls")
	check "h2 bad preface: GOAWAY and close_notify ($out)" \
		grep -q 'goaway=1 close_notify=1' <<<"$out"
	out=$(timeout 20 python3 "$here/h2_raw.py" continuations "$A_tls")
	check "h2 20 CONTINUATION frames: GOAWAY and close_notify ($out)" \
		grep -q 'goaway=1 close_notify=1' <<<"$out"
}

test_timeouts() {
	local t0 t1
	t0=$(date +%s%N)
	timeout 8 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"; cat <&3 >/dev/null' _ "$A_tls"
	t1=$(date +%s%N)
	t1=$(((t1 - t0) / 1000000))
	check "silent TLS client closed at the handshake timeout (${t1} ms)" \
		test "$t1" -ge 1500 -a "$t1" -lt 6000
}

# listener_field PREFIX SOCKET FIELD: FIELD of the listener whose
# /listeners line starts with PREFIX ("tls", "tcp", "unix"), asked on the
# Unix socket SOCKET (its own budget: it answers whatever the others hold)
listener_field() {
	curl -sS --max-time 5 --unix-socket "$2" http://localhost/listeners |
		awk -v k="$3" -v p="$1" '$1 == p { for (i = 3; i <= NF; i++)
			if (index($i, k "=") == 1) print substr($i, length(k) + 2) }'
}

# The loopback listener's own budget (HTTP_LOCAL_MAX_CONNS, 64): idle
# connections evict the oldest idle one; with every slot serving a
# request, the next connection is refused at once.
test_max_conns() {
	local fd fds=() rc_last rc_first n
	wait_quiet A "$A_plain"
	for _ in $(seq 70); do
		exec {fd}<>"/dev/tcp/127.0.0.1/$A_plain" || break
		fds+=("$fd")
	done
	read -r -t 3 -u "${fds[0]}" _
	rc_first=$?
	read -r -t 0.3 -u "${fds[-1]}" _
	rc_last=$?
	for fd in "${fds[@]}"; do
		exec {fd}>&-
	done
	check "70 idle connections: the first evicted (rc=$rc_first)" test "$rc_first" -eq 1
	check "70 idle connections: the last still open (rc=$rc_last)" test "$rc_last" -gt 128
	n=$(listener_field tcp "$tmp/api.sock" evicted)
	check "evictions counted on the loopback listener ($n)" test "${n:-0}" -ge 6
	wait_quiet A "$A_plain"
	fds=()
	for _ in $(seq 64); do
		exec {fd}<>"/dev/tcp/127.0.0.1/$A_plain" || break
		printf 'GET /busy HTTP/1.1\r\nHost: x\r\n\r\n' >&"$fd"
		fds+=("$fd")
	done
	sleep 0.5
	exec {fd}<>"/dev/tcp/127.0.0.1/$A_plain"
	read -r -t 3 -u "$fd" _
	rc_last=$?
	exec {fd}>&-
	for fd in "${fds[@]}"; do
		exec {fd}>&-
	done
	check "64 busy connections: the 65th refused at once (rc=$rc_last)" test "$rc_last" -eq 1
	n=$(listener_field tcp "$tmp/api.sock" refused)
	check "refusals counted on the loopback listener ($n)" test "${n:-0}" -ge 1
	check "the Unix socket's budget untouched" \
		test "$(listener_field unix "$tmp/api.sock" refused)" = 0
}

test_reload() {
	local old new want
	old=$(serial_live "$A_tls")
	{
		printf 'GET /one HTTP/1.1\r\nHost: localhost\r\n\r\n'
		sleep 2
		printf 'GET /two HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'
	} | timeout 10 openssl s_client -quiet -connect "127.0.0.1:$A_tls" \
		-servername localhost -alpn http/1.1 >"$tmp/ka.out" 2>"$tmp/ka.err" &
	local ka=$!
	sleep 0.7
	bash "$root/tests/certs/make-certs.sh" "$certs" server
	want=$(openssl x509 -in "$certs/server.crt" -noout -serial)
	kill -HUP "$A_pid"
	for _ in $(seq 30); do
		grep -q '^RELOAD' "$tmp/A.out" && break
		sleep 0.1
	done
	check "SIGHUP reload succeeded" grep -q '^RELOADED ok' "$tmp/A.out"
	new=$(serial_live "$A_tls")
	check "new connection sees the new certificate ($new)" \
		test -n "$new" -a "$new" = "$want" -a "$new" != "$old"
	wait "$ka"
	check "keep-alive connection from before the reload still served" \
		bash -c "grep -q '\"path\": \"/one\"' '$tmp/ka.out' &&
			 grep -q '\"path\": \"/two\"' '$tmp/ka.out'"
}

# ---- server B: mutual TLS -----------------------------------------------

test_mtls() {
	local r w out C="--cacert $certs/ca.crt --resolve localhost:$B_tls:127.0.0.1"

	# shellcheck disable=SC2086
	r=$(fetch m0 $C "https://localhost:$B_tls/x")
	check "mTLS: no client cert refused ($r)" test "${r%% *}" = 000
	check "mTLS, TLS 1.3, no cert: the client sees certificate_required, not a reset" \
		grep -q 'alert certificate required' "$tmp/m0.err"
	out=$(timeout 5 openssl s_client -connect "127.0.0.1:$B_tls" -tls1_2 \
		</dev/null 2>&1)
	check "mTLS: TLS 1.2 handshake fails without a cert" \
		grep -q 'alert handshake failure' <<<"$out"
	for w in admin:admin reader:reader nobody:none; do
		# shellcheck disable=SC2086
		r=$(fetch "m-${w%%:*}" $C --http2 --cert "$certs/${w%%:*}.crt" \
			--key "$certs/${w%%:*}.key" "https://localhost:$B_tls/x")
		check "mTLS: ${w%%:*} cert over h2 -> role ${w#*:} ($r)" \
			has "m-${w%%:*}" "\"role\": \"${w#*:}\", \"proto\": 2"
		# shellcheck disable=SC2086
		r=$(fetch "n-${w%%:*}" $C --http1.1 --cert "$certs/${w%%:*}.crt" \
			--key "$certs/${w%%:*}.key" "https://localhost:$B_tls/x")
		check "mTLS: ${w%%:*} cert over HTTP/1.1 -> role ${w#*:}" \
			has "n-${w%%:*}" "\"role\": \"${w#*:}\", \"proto\": 1"
	done
	check "mTLS: subject in RFC 2253 form" has m-admin '"subject": "CN=admin,O=edgepath"'
	# shellcheck disable=SC2086
	r=$(fetch m-rogue $C --cert "$certs/rogue.crt" --key "$certs/rogue.key" \
		"https://localhost:$B_tls/x")
	check "mTLS: cert from another CA refused ($r)" test "${r%% *}" = 000
}

# A request refused on its head gets its answer before any of its body.
test_head_refusal() {
	local r out t0 t1 C="--cacert $certs/ca.crt --resolve localhost:$B_tls:127.0.0.1"
	local N="--cert $certs/nobody.crt --key $certs/nobody.key"

	# the head alone, then silence: the 403 must come without the body
	out=$({
		printf 'POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n'
		sleep 3
	} | timeout 5 openssl s_client -quiet -connect "127.0.0.1:$B_tls" \
		-cert "$certs/nobody.crt" -key "$certs/nobody.key" \
		-alpn http/1.1 2>/dev/null)
	check "role none, HTTP/1.1 head of a 1 MB POST: 403 before the body" \
		grep -q '^HTTP/1.1 403 ' <<<"$out"
	# shellcheck disable=SC2086
	r=$(curl -sS --max-time 10 $C $N --http2 --data-binary @"$tmp/1m.bin" \
		-o "$tmp/hr2.body" -w '%{http_code} %{size_upload}' \
		"https://localhost:$B_tls/up")
	check "role none, h2 1 MB POST: 403, body not uploaded ($r)" \
		bash -c "[ '${r%% *}' = 403 ] && [ '${r#* }' -lt 500000 ]"
	# shellcheck disable=SC2086
	r=$(curl -sS --max-time 10 $C $N --http1.1 -H 'Expect: 100-continue' \
		--data-binary @"$tmp/1m.bin" -o "$tmp/hr1.body" \
		-w '%{http_code} %{size_upload}' "https://localhost:$B_tls/up")
	check "role none, HTTP/1.1 Expect 1 MB POST: 403, nothing uploaded ($r)" \
		test "$r" = "403 0"
	check "h2 head refusal is the handler's JSON 403" is_error hr2 403
}

# The server-wide body budget (--body-total 1100000 on server A): one
# body held half-sent takes it, the next is refused with 503, then served.
test_body_budget() {
	local r held
	{
		printf 'POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\nabc'
		sleep 3
	} | timeout 5 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"; cat >&3' _ "$A_plain" &
	held=$!
	for _ in $(seq 20); do
		curl -sS --max-time 5 "http://127.0.0.1:$A_plain/stats" |
			grep -q '"body_bytes": 1000000' && break
		sleep 0.1
	done
	r=$(fetch bb1 --data-binary @"$tmp/1m.bin" "http://127.0.0.1:$A_plain/up")
	check "body budget spent: HTTP/1.1 1 MB POST refused ($r)" \
		test "${r%% *}" = 503
	check "body budget: JSON error" is_error bb1 503
	r=$(fetch bb2 --http2-prior-knowledge --data-binary @"$tmp/1m.bin" \
		"http://127.0.0.1:$A_plain/up")
	check "body budget spent: h2c 1 MB POST refused ($r)" \
		test "${r%% *}" = 503
	wait "$held"
	r=$(fetch bb3 --data-binary @"$tmp/1m.bin" "http://127.0.0.1:$A_plain/up")
	check "body budget back: 1 MB POST served ($r)" has bb3 '"body_len": 1000000'
	check "body budget refusals counted" bash -c \
		"curl -sS --max-time 5 http://127.0.0.1:$A_plain/stats | grep -qE '\"body_budget_refused\": [1-9]'"
}

# ---- server C: mTLS, the lockout of issue #14 ----------------------------

# Several hundred idle connections to the TLS port (from 127.0.0.2..,
# reopened at 30/s as the server closes them) must lock nobody out: the
# Unix socket and loopback h2c have their own budgets, and a client with
# a certificate still gets in over TLS (it evicts an embryonic one).
test_lockout() {
	local r i sock=$tmp/c.sock n ok_all=0 flood
	local C="--cacert $certs/ca.crt --resolve localhost:$C_tls:127.0.0.1"
	python3 "$here/conn_flood.py" 127.0.0.1 "$C_tls" 300 15 30 7 \
		"$tmp/flood.st" &
	flood=$!
	pids+=("$flood")
	for _ in $(seq 50); do
		n=$(listener_field tls "$sock" open)
		[ "${n:-0}" -ge 256 ] && break
		sleep 0.1
	done
	check "flood: the TLS listener's 256 slots taken ($n)" test "${n:-0}" -ge 256
	for i in 1 2 3; do
		r=$(curl -sS --max-time 3 -o /dev/null -w '%{http_code}' \
			--unix-socket "$sock" http://localhost/healthz)
		r="$r $(curl -sS --max-time 3 -o /dev/null -w '%{http_code}' \
			--http2-prior-knowledge "http://127.0.0.1:$C_plain/healthz")"
		# shellcheck disable=SC2086
		r="$r $(curl -sS --max-time 3 -o /dev/null -w '%{http_code}' $C \
			--cert "$certs/admin.crt" --key "$certs/admin.key" \
			"https://localhost:$C_tls/healthz")"
		[ "$r" = "200 200 200" ] && ok_all=$((ok_all + 1))
		echo "# lockout round $i: unix h2c tls = $r; $(cat "$tmp/flood.st")"
		sleep 1
	done
	check "flood: /healthz on Unix, h2c and TLS with a cert, 3 of 3 rounds" \
		test "$ok_all" -eq 3
	n=$(listener_field tls "$sock" evicted)
	check "flood: evictions counted on the TLS listener ($n)" test "${n:-0}" -ge 44
	check "flood: the local listeners refused nobody" bash -c \
		"[ '$(listener_field tcp "$sock" refused)' = 0 ] &&
		 [ '$(listener_field unix "$sock" refused)' = 0 ]"
	wait "$flood"
	check "flood: the flooder kept its connections coming" \
		grep -qE 'opened=([4-9][0-9][0-9]|[0-9]{4})' "$tmp/flood.st"
	# one address: at most HTTP_MAX_CONNS_PER_ADDR (16) at once
	python3 "$here/conn_flood.py" 127.0.0.1 "$C_tls" 40 40 30 1.5 \
		"$tmp/flood2.st" &
	flood=$!
	pids+=("$flood")
	sleep 1
	n=$(listener_field tls "$sock" open)
	check "one address, 40 idle connections: at most 16 held ($n)" \
		test "${n:-99}" -le 16
	n=$(listener_field tls "$sock" evicted)
	wait "$flood"
}

main() {
	need_tools
	build "$@"
	bash "$root/tests/certs/make-certs.sh" "$certs" ||
		{
			bad "make-certs.sh"
			finish
		}
	start A --cert "$certs/server.crt" --key "$certs/server.key" \
		--tls 127.0.0.1 --plain 127.0.0.1 --unix "$tmp/api.sock" \
		--handshake-ms 2000 --idle-ms 4000 --body-total 1100000
	check "server A listening (non-loopback cleartext refused)" test -n "$A_tls"
	[ -n "$A_tls" ] || finish
	curl -sS --max-time 5 "http://127.0.0.1:$A_plain/warm" >/dev/null
	local base
	base=$(settled_fd_count A "$A_plain")
	test_protocols
	test_settings
	test_tls_policy
	test_limits
	test_h1_wire
	test_big_responses
	test_h2load
	test_body_budget
	test_timeouts
	test_h2_raw
	test_max_conns
	test_reload
	check "fd count back to baseline ($base -> $(settled_fd_count A "$A_plain"))" \
		test "$(settled_fd_count A "$A_plain")" -le "$base"
	stop A
	check "Unix socket removed at exit" test ! -e "$tmp/api.sock"

	start B --cert "$certs/server.crt" --key "$certs/server.key" \
		--ca "$certs/ca.crt" --admin 'CN=admin,O=edgepath' \
		--reader 'SAN:spiffe://edgepath/reader' --tls 127.0.0.1
	check "server B (mTLS) listening" test -n "$B_tls"
	[ -n "$B_tls" ] && test_mtls
	[ -n "$B_tls" ] && test_head_refusal
	[ -n "$B_tls" ] && stop B

	start C --cert "$certs/server.crt" --key "$certs/server.key" \
		--ca "$certs/ca.crt" --admin 'CN=admin,O=edgepath' \
		--tls 127.0.0.1 --plain 127.0.0.1 --unix "$tmp/c.sock"
	check "server C (mTLS, flood) listening" test -n "$C_tls"
	[ -n "$C_tls" ] && test_lockout
	[ -n "$C_tls" ] && stop C
	finish
}

main "$@"
