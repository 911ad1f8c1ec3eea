#!/usr/bin/env bash
# Service-registry heartbeat benchmark (issue 17): how many
# PUT /v1/registry/services/NAME/instances/ID/heartbeat the slow path
# answers per second on one core, and their latency at a fixed rate.
#
#   scripts/bench/registry.sh [--instances N] [--requests N] [--rate N]
#                             [--clients N] [--streams N] [--rounds N]
#                             [--build-dir DIR]
#                             [--out DIR]
#
# 1. Starts edgepath-fastpath on a net_null port that receives nothing
#    (no-rx=1; --lcores=0@1,1@1 --idle-sleep-us 100: it sleeps, and
#    h2load has CPU 1 to itself) and edgepath-slowpath (-l 0: CPU 0) with a TLS
#    listener on 127.0.0.1 (no client CA: h2load has no client
#    certificate option, so the client is admin), a Unix socket,
#    certificates from tests/certs/make-certs.sh and one NAT service.
# 2. Registers --instances (default 1000) instances with a TTL of 60 s
#    over the Unix socket; their heartbeat URIs are h2load's input file.
# 3. Per round (--rounds, default 3), h2load on CPU 1 over TLS (h2):
#      peak:  -n N -c 1 -m 100, as fast as the server answers;
#      rate:  -c C --rps R/C -m S for the same N: R heartbeats/s in all
#             (default 20000 over 4 connections of 1 stream each;
#             --streams S: S concurrent streams each), with --log-file: every
#             request's latency, of which p50 / p99 / p99.9 are printed.
#    and the slow path's CPU time per heartbeat (/proc/PID/stat).
# 4. Checks that the heartbeats changed neither the configuration file
#    (its checksum) nor the configuration version, and that every
#    heartbeat got 200.
#
# As root. Everything it starts runs under timeout and is stopped by PID;
# the DPDK runtime directory and hugepage files of its own --file-prefix
# (epreg-PID) and its temporary directory are removed on exit. Results:
# /tmp/edgepath-bench-registry/<date>/summary.txt.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/../.." && pwd)
ARGS="$*"
INSTANCES=1000
REQUESTS=200000
RATE=20000
CLIENTS=4
STREAMS=1
ROUNDS=3
BUILD_DIR=$ROOT/build
OUT=

while [ $# -gt 0 ]; do
	case "$1" in
	--instances) INSTANCES=$2; shift 2 ;;
	--requests) REQUESTS=$2; shift 2 ;;
	--rate) RATE=$2; shift 2 ;;
	--clients) CLIENTS=$2; shift 2 ;;
	--streams) STREAMS=$2; shift 2 ;;
	--rounds) ROUNDS=$2; shift 2 ;;
	--build-dir) BUILD_DIR=$2; shift 2 ;;
	--out) OUT=$2; shift 2 ;;
	*) echo "unknown option $1" >&2; exit 2 ;;
	esac
done
for v in "$INSTANCES" "$REQUESTS" "$RATE" "$CLIENTS" "$STREAMS" "$ROUNDS"; do
	[[ $v =~ ^[1-9][0-9]*$ ]] || { echo "not a positive integer: $v" >&2; exit 2; }
done
((INSTANCES <= 30000)) || { echo "--instances: at most 30000" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "needs root (DPDK shared memory)" >&2; exit 1; }
for t in h2load curl jq python3 taskset timeout openssl; do
	command -v "$t" >/dev/null || { echo "missing $t (scripts/setup.sh)" >&2; exit 1; }
done
FP_BIN=$BUILD_DIR/fastpath/edgepath-fastpath
SP_BIN=$BUILD_DIR/slowpath/edgepath-slowpath
[ -x "$FP_BIN" ] && [ -x "$SP_BIN" ] || { echo "build first: $FP_BIN, $SP_BIN" >&2; exit 1; }

OUT=${OUT:-/tmp/edgepath-bench-registry/$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUT"
TMP=$(mktemp -d /tmp/bench-registry.XXXXXX)
PREFIX=epreg-$$
SOCK=$TMP/api.sock
CFG=$TMP/config.json
FP_PID='' SP_PID=''
# shellcheck source=scripts/lib/procs.sh
. "$ROOT/scripts/lib/procs.sh"

cleanup() {
	stop_pid "$SP_PID"
	stop_pid "$FP_PID"
	rm -f /dev/hugepages/"$PREFIX"map_*
	rm -rf "/var/run/dpdk/$PREFIX" "$TMP"
}
trap cleanup EXIT

log() { echo "$*" | tee -a "$OUT/summary.txt"; }
api() { curl -s --max-time 5 --unix-socket "$SOCK" "$@"; }

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
bash "$ROOT/tests/certs/make-certs.sh" "$TMP/certs" >/dev/null
cat >"$CFG" <<EOF
{ "services": [ { "name": "web", "vip": "198.51.100.1", "port": 80,
    "protocol": "tcp", "forwarding": "nat",
    "backends": [ { "address": "10.0.0.1", "port": 8080 } ] } ],
  "api": { "listeners": [ { "address": "127.0.0.1", "port": $PORT, "tls": true },
                          { "unix": "$SOCK" } ],
           "tls": { "certificate": "$TMP/certs/server.crt",
                    "private_key": "$TMP/certs/server.key" } } }
EOF

timeout 3600 "$FP_BIN" --lcores=0@1,1@1 --no-pci --file-prefix="$PREFIX" \
	--vdev=net_null0,no-rx=1 --log-level=user1,info -- --idle-sleep-us 100 \
	>"$OUT/fastpath.log" 2>&1 &
FP_PID=$!
for _ in $(seq 300); do grep -q 'waiting for configuration' "$OUT/fastpath.log" && break; sleep 0.1; done
timeout 3600 taskset -c 0 "$SP_BIN" --proc-type=secondary --no-pci \
	--file-prefix="$PREFIX" -l 0 --log-level=error -- --config "$CFG" \
	--status-interval 0 --access-log none >"$OUT/slowpath.log" 2>&1 &
SP_PID=$!
for _ in $(seq 300); do
	[ "$(api -o /dev/null -w '%{http_code}' http://x/readyz 2>/dev/null)" = 200 ] && break
	sleep 0.1
done
[ "$(api -o /dev/null -w '%{http_code}' http://x/readyz)" = 200 ] || { echo "slow path not ready" >&2; exit 1; }
SP_MAIN=$(pgrep -P "$SP_PID" | head -1) # timeout's child: the slow path
[ -n "$SP_MAIN" ] || { echo "no slow path process under $SP_PID" >&2; exit 1; }

log "registry benchmark: $(date -u +%FT%TZ), git $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet || echo +dirty)"
log "command: scripts/bench/registry.sh $ARGS"
log "$(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg); slow path on CPU 0, h2load on CPU 1 (with the idle fast path)"

# --- register ---------------------------------------------------------------
: >"$TMP/uris"
t0=$(date +%s.%N)
for ((i = 0; i < INSTANCES; i++)); do
	id=$(api -X POST -H 'Content-Type: application/json' \
		-d "{\"address\": \"10.1.$((i / 250)).$((i % 250 + 1))\", \"port\": 8080, \"ttl\": 60}" \
		http://x/v1/registry/services/web/instances | jq -r .id)
	[[ $id =~ ^[0-9a-f]{16}$ ]] || { echo "registration $i failed: $id" >&2; exit 1; }
	echo "https://127.0.0.1:$PORT/v1/registry/services/web/instances/$id/heartbeat" >>"$TMP/uris"
done
t1=$(date +%s.%N)
log "registered $INSTANCES instances in $(python3 -c "print(f'{$t1 - $t0:.1f}')") s (each a persisted change, curl per request)"
SUM=$(md5sum <"$CFG")
VERSION=$(api http://x/readyz | jq -r .version)

# The slow path's main thread: ns on CPU, ns runnable but waiting for it.
sp_sched() { cut -d' ' -f1,2 "/proc/$SP_MAIN/task/$SP_MAIN/schedstat"; }

# h2run NAME ARGS...: one h2load run; prints "req/s ok cpu_us_per_req
# wait_ms" (wait: the slow path runnable but not running, in all)
h2run() {
	local name=$1 c0 w0 c1 w1 rps ok
	shift
	read -r c0 w0 < <(sp_sched)
	taskset -c 1 timeout -k 5 600 h2load -H ':method: PUT' -i "$TMP/uris" \
		-n "$REQUESTS" "$@" >"$OUT/h2load-$name.txt" 2>&1 || true
	read -r c1 w1 < <(sp_sched)
	rps=$(sed -n 's/^finished in [^,]*, \([0-9.]*\) req\/s.*/\1/p' "$OUT/h2load-$name.txt")
	ok=$(sed -n 's/^status codes: \([0-9]*\) 2xx.*/\1/p' "$OUT/h2load-$name.txt")
	echo "${rps:-0} ${ok:-0} $(python3 -c "print(f'{($c1 - $c0) / 1e3 / $REQUESTS:.2f} {($w1 - $w0) / 1e6:.0f}')")"
}

# percentiles FILE: p50 p99 p99.9 of the log's third column (us) in ms
percentiles() {
	python3 - "$1" <<'EOF'
import sys
d = sorted(int(l.split("\t")[2]) for l in open(sys.argv[1]) if l.strip())
p = lambda q: d[min(len(d) - 1, int(q * len(d)))] / 1000.0
print(f"{p(0.50):.3f} {p(0.99):.3f} {p(0.999):.3f} {len(d)}")
EOF
}

per_client=$((RATE / CLIENTS))
log "per round: peak = h2load -n $REQUESTS -c 1 -m 100; rate = h2load -n $REQUESTS -c $CLIENTS -m $STREAMS --rps $per_client ($RATE/s in all), TLS 1.3 h2, $INSTANCES instances round robin"
log "cpu_us/req: the slow path's CPU time per heartbeat; wait_ms: its time runnable but waiting for a CPU during the run (schedstat)"
log "round  peak_req/s  peak_2xx  peak_cpu_us/req  rate_req/s  rate_2xx  p50_ms  p99_ms  p99.9_ms  rate_cpu_us/req  rate_wait_ms  load"
for ((r = 1; r <= ROUNDS; r++)); do
	read -r prps pok pcpu _ < <(h2run "peak-$r" -c 1 -m 100)
	read -r rrps rok rcpu rwait < <(h2run "rate-$r" -c "$CLIENTS" -m "$STREAMS" --rps "$per_client" \
		--log-file="$OUT/latency-$r.tsv")
	read -r p50 p99 p999 _ < <(percentiles "$OUT/latency-$r.tsv")
	log "$(printf '%-6s %-11s %-9s %-16s %-11s %-9s %-7s %-7s %-9s %-16s %-13s %s' \
		"$r" "$prps" "$pok" "$pcpu" "$rrps" "$rok" "$p50" "$p99" "$p999" "$rcpu" "$rwait" \
		"$(cut -d' ' -f1 /proc/loadavg)")"
done

[ "$(md5sum <"$CFG")" = "$SUM" ] && log "configuration file unchanged by the heartbeats" ||
	log "FAIL: the configuration file changed"
[ "$(api http://x/readyz | jq -r .version)" = "$VERSION" ] &&
	log "configuration version unchanged ($VERSION)" || log "FAIL: the configuration version moved"
log "results: $OUT"
