#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Runs tests/integration/test_h2_abuse.c against the HTTP server core
# (test_http's server, a cleartext loopback listener): see that file.
#
#   tests/integration/test_h2_abuse.sh TEST_HTTP TEST_H2_ABUSE
set -u
srv_bin=${1:?usage: test_h2_abuse.sh TEST_HTTP TEST_H2_ABUSE}
abuse_bin=${2:?usage: test_h2_abuse.sh TEST_HTTP TEST_H2_ABUSE}
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d /tmp/test_h2_abuse.XXXXXX)
pid=''
cleanup() {
	[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

bash "$root/tests/certs/make-certs.sh" "$tmp/certs" >/dev/null 2>&1 ||
	{ echo "make-certs.sh failed"; exit 1; }
"$srv_bin" --cert "$tmp/certs/server.crt" --key "$tmp/certs/server.key" \
	--plain 127.0.0.1 >"$tmp/out" 2>"$tmp/err" &
pid=$!
for _ in $(seq 100); do
	grep -q '^READY' "$tmp/out" 2>/dev/null && break
	sleep 0.1
done
read -r _ _ plain <"$tmp/out" || true
plain=${plain#plain=}
[ -n "$plain" ] || { echo "server did not start"; cat "$tmp/err"; exit 1; }
"$abuse_bin" "$plain" "$pid"
rc=$?
kill -TERM "$pid"
wait "$pid"
src=$?
pid=''
if grep -qE 'Sanitizer|runtime error' "$tmp/err"; then
	echo "FAIL - sanitizer report from the server:"
	cat "$tmp/err"
	rc=1
fi
[ "$src" -eq 0 ] || { echo "FAIL - server exit status $src"; rc=1; }
exit $rc
