#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Functions run through check():
# shellcheck disable=SC2317,SC2034
# Request tracing of the control API against the real processes
# (edgepath-fastpath on a net_null port, edgepath-slowpath with a Unix
# socket and --access-log): a valid W3C traceparent comes back with its
# trace id and a new span id, an invalid or absent one is replaced by a
# new valid one; every request writes one JSON access-log line (time,
# trace id, client, method, path, status, duration, configuration
# version); a configuration change records the trace id of the request
# that made it, in GET /v1/config's X-Edgepath-Config-Trace-Id header and
# in the slow path's log.
#
#   tests/integration/test_trace.sh FASTPATH SLOWPATH
#
# Needs root and hugepages; exits 77 (skipped) without them.
set -u

fp_bin=${1:?usage: test_trace.sh FASTPATH SLOWPATH}
sp_bin=${2:?usage: test_trace.sh FASTPATH SLOWPATH}
# shellcheck source=tests/integration/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
tmp=$(mktemp -d /tmp/test_trace.XXXXXX)
prefix=ep-trace-test-$$
cfg=$tmp/config.json
sock=$tmp/api.sock
alog=$tmp/access.log
fp_pid='' sp_pid=''
pass=0
fail=0
trap dpdk_test_cleanup EXIT

TID=4bf92f3577b34da6a3ce929d0e0e4736
PID=00f067aa0ba902b7
TID2=0af7651916cd43dd8448eb211c80319c

dpdk_preflight curl jq stdbuf -- "$fp_bin" "$sp_bin"

cat >"$cfg" <<EOF
{
  "services": [
    { "name": "web", "vip": "198.51.100.1", "port": 80, "protocol": "tcp",
      "forwarding": "dsr", "backends": [ { "address": "10.0.0.1" } ] }
  ],
  "api": { "listeners": [ { "unix": "$sock" } ] }
}
EOF

stdbuf -oL -eL "$fp_bin" --lcores=0@1,1@1 --no-pci --file-prefix="$prefix" \
	--vdev=net_null0 -- --idle-sleep-us 100 >"$tmp/fp.log" 2>&1 &
fp_pid=$!
for _ in $(seq 600); do
	grep -q 'waiting for configuration' "$tmp/fp.log" && break
	sleep 0.1
done
stdbuf -oL -eL "$sp_bin" --proc-type=secondary --no-pci --file-prefix="$prefix" -l 0 \
	--log-level=error -- --config "$cfg" --access-log "$alog" >"$tmp/sp.log" 2>&1 &
sp_pid=$!
for _ in $(seq 300); do
	[ "$(curl -s --max-time 2 -o /dev/null -w '%{http_code}' --unix-socket "$sock" \
		http://localhost/readyz)" = 200 ] && break
	sleep 0.1
done

# req NAME [curl args...]: a request; headers in $tmp/NAME.h, body in NAME.b
req() {
	local name=$1
	shift
	curl -s --max-time 5 --unix-socket "$sock" -D "$tmp/$name.h" -o "$tmp/$name.b" "$@"
}
# header NAME FIELD: the value of a response header (case-insensitive)
header() {
	awk -v f="$2" 'BEGIN { f = tolower(f) } { sub(/\r$/, "") }
		tolower($0) ~ "^" f ":" { sub(/^[^:]*: */, ""); print; exit }' "$tmp/$1.h"
}
valid_tp() { [[ "$1" =~ ^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$ ]] &&
	[[ "$1" != 00-00000000000000000000000000000000-* ]] && [[ "$1" != *-0000000000000000-?? ]]; }
# log_line TRACE_ID: the access-log line of that trace (the last one)
log_line() { grep -F "\"trace_id\":\"$1\"" "$alog" | tail -1; }

# 1. A valid traceparent: its trace id comes back, with our own span.
req valid -H "traceparent: 00-$TID-$PID-01" http://localhost/v1/services
tp=$(header valid traceparent)
check "valid traceparent: answered with its trace id ($tp)" \
	bash -c "[[ '$tp' == 00-$TID-*-01 ]]"
check "valid traceparent: the answer is a valid traceparent" valid_tp "$tp"
check "valid traceparent: a new span id, not the caller's" bash -c "[[ '$tp' != *-$PID-* ]]"

# The same over HTTP/2 (h2c with prior knowledge on the Unix socket).
req h2 --http2-prior-knowledge -H "traceparent: 00-$TID2-$PID-00" http://localhost/v1/services
tp2=$(header h2 traceparent)
check "HTTP/2: answered with its trace id and flags ($tp2)" \
	bash -c "[[ '$tp2' == 00-$TID2-*-00 ]] && grep -q '^HTTP/2 200' '$tmp/h2.h'"

# 2. Its access-log line, every field.
sleep 0.3
line=$(log_line "$TID")
echo "# access log: $line"
check "access log: one JSON object for the request" \
	bash -c "jq -e . <<<'$line' >/dev/null"
check "access log: fields" jq -e --arg span "$(cut -d- -f3 <<<"$tp")" --arg parent "$PID" '
	(.time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$")) and
	.span_id == $span and .parent_id == $parent and
	.method == "GET" and .path == "/v1/services" and .status == 200 and
	(.duration_ms | type == "number" and . >= 0) and
	(.config_version | type == "number" and . >= 1) and
	.client.peer == "unix" and (.client.role | type == "string")' <<<"$line"

# 3. Invalid ones are replaced (uppercase hex, all-zero trace id, version
#    ff, wrong length), and an absent one is made.
n=0
for bad_tp in "00-${TID^^}-$PID-01" "00-00000000000000000000000000000000-$PID-01" \
	"ff-$TID-$PID-01" "00-$TID-$PID-1" ""; do
	n=$((n + 1))
	if [ -n "$bad_tp" ]; then
		req "bad$n" -H "traceparent: $bad_tp" http://localhost/v1/services
	else
		req "bad$n" http://localhost/v1/services
	fi
	tp=$(header "bad$n" traceparent)
	check "traceparent '${bad_tp:-(none)}': replaced by a new valid one ($tp)" \
		bash -c "$(declare -f valid_tp); valid_tp '$tp' && [[ '$tp' != *$TID* ]]"
	sleep 0.2
	check "traceparent '${bad_tp:-(none)}': its access-log line" \
		bash -c "grep -qF '\"trace_id\":\"$(cut -d- -f2 <<<"$tp")\"' '$alog'"
done

# 4. A change records the trace id of the request that made it.
req put -X PUT -H "traceparent: 00-$TID2-$PID-01" -H 'Content-Type: application/json' \
	--data-binary @"$cfg" http://localhost/v1/config
check "PUT /v1/config answered 200" grep -q '^HTTP/[0-9.]* 200' "$tmp/put.h"
req get http://localhost/v1/config
check "GET /v1/config: X-Edgepath-Config-Trace-Id is the change's trace id" \
	test "$(header get x-edgepath-config-trace-id)" = "$TID2"
version=$(jq -r .version "$tmp/put.b")
check "GET /v1/config: X-Edgepath-Config-Version is the change's version ($version)" \
	test "$(header get x-edgepath-config-version)" = "$version"
check "the slow path's log names the change's trace id" \
	grep -q "configuration version $version in force.*trace $TID2" "$tmp/sp.log"
sleep 0.2
check "access log: the PUT, with the new configuration version" \
	jq -e --argjson v "$version" '.method == "PUT" and .status == 200 and .config_version == $v' \
	<<<"$(log_line "$TID2")"

# 5. One line per request: 1 + h2 + 5 + PUT + GET + the readiness polls.
lines=$(wc -l <"$alog")
reqs=$(grep -c '"path":' "$alog")
check "access log: every line is JSON ($lines lines)" \
	bash -c "jq -e . '$alog' >/dev/null"
check "access log: at least the 9 requests made here ($reqs)" test "$reqs" -ge 9
echo "# slow path log:"
sed 's/^/#   /' "$tmp/sp.log" | tail -5
finish
