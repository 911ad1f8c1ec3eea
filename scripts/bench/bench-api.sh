#!/usr/bin/env bash
# Control-API benchmark (issue 4): edgepath-slowpath's HTTPS/HTTP/2 API
# against nghttpd, and the time a large configuration change takes.
#
#   scripts/bench/bench-api.sh [--rounds N] [--requests N] [--services N]
#                              [--backends N] [--table-size P] [--put-runs N]
#                              [--server-cpu N] [--client-cpu N|none]
#                              [--main-cpu N]
#                              [--port null|ring] [--no-trace] [--no-perf]
#                              [--no-apply] [--wait-idle S] [--build-dir DIR]
#                              [--out DIR]
#
# 1. Waits (at most --wait-idle s, default 600) until no other edgepath,
#    dpdk-testpmd, bench_gen, bench_pipeline or valgrind process (the
#    forwarding benchmark, scripts/bench.sh) runs and no task takes more
#    than 15 % of a CPU; records the machine state (also before the PUTs
#    and at the end: load, busy tasks).
# 2. Starts edgepath-fastpath on a net_null port (--port ring: a net_ring
#    port, whose worker sleeps when idle) with --lcores=0@1,1@1
#    --idle-sleep-us 100 (--main-cpu 0: --lcores=0@0,1@1, the main lcore
#    on the slow path's CPU, as on a machine that keeps one core for
#    control), and edgepath-slowpath (-l 0: CPU 0) with a TLS
#    listener on 127.0.0.1 (no client CA: h2load has no client
#    certificate option), a Unix socket, certificates from
#    tests/certs/make-certs.sh and one service of two backends.
# 3. Requests rate: fetches GET /v1/stats once, serves a file of exactly
#    its size with nghttpd (same certificate, --server-cpu) and runs, in
#    --rounds interleaved rounds, h2load -n N -c 1 -m 100 against
#    /v1/stats and then against the file, h2load on --client-cpu (default
#    1: it shares CPU 1 with the fast path, both servers on CPU 0; that
#    gave the highest and steadiest rates for both). Per round: req/s, the
#    ratio ours / nghttpd, and each server's CPU time per request
#    (/proc/PID/stat); then one more run of ours under perf record.
# 4. Apply time: tests/bench/gen_config.py writes --services x --backends
#    (default 1000 x 10, Maglev, --table-size default 65537, lowered if
#    the free hugepages cannot hold two snapshots). Each cycle PUTs
#    /v1/config (curl, HTTP/2 over TLS): the small document (reset), the
#    big one (every table built new), the big one with one weight changed
#    (node.maglev_rebuild minimal: every table rebuilt from its previous
#    one), the big one with maglev_rebuild "fresh", and then one
#    backend's weight by PATCH /v1/services/NAME/backends/ID (the middle
#    service's first backend, weight 5). curl gives the time
#    from the start of the upload to the answer, which the API sends
#    after the fast path's ack and the rename (so it includes the
#    temporary file's fsync before the handoff and the rename and
#    directory fsync after the ack); the slow path's
#    edgepath_api_config_apply_seconds (/metrics) gives, by its own
#    clock, the time from handling the request to the fast path's ack and
#    each phase; schedstat gives each main thread's time on
#    CPU and runnable-but-waiting per PUT. A refused or timed-out PUT is
#    recorded with what the fast path then runs. --put-runs plain cycles
#    (default 3), then one cycle
#    under strace -ttt (the slow path's and the fast path's main threads:
#    where the time goes between syscalls) and one under perf record
#    (CPU time by function in both). --no-apply skips this step.
#
# As root. Everything it starts runs under timeout and is stopped by PID;
# the DPDK runtime directory and hugepage files of its own --file-prefix
# (epapi-PID) and its temporary directory are removed on exit. Results
# and logs: /tmp/edgepath-bench-api/<date>/ (summary.txt).
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/../.." && pwd)
ARGS="$*"
ROUNDS=5
REQUESTS=100000
SERVICES=1000
BACKENDS=10
TABLE=65537
PUT_RUNS=3
SERVER_CPU=0
CLIENT_CPU=1
FP_CPU=1
MAIN_CPU=  # the fast path's main lcore; default: with its worker, FP_CPU
PORT_KIND=null
TRACE=1
PERF=1
APPLY=1
WAIT_IDLE=600
BUILD_DIR=$ROOT/build
OUT=

BENCH_NAME=bench-api
# shellcheck source=scripts/bench/args.sh
. "$BENCH_DIR/args.sh"
OPTS='--rounds int ROUNDS
--requests int REQUESTS
--services int SERVICES
--backends int BACKENDS
--table-size int TABLE
--put-runs int PUT_RUNS
--server-cpu int SERVER_CPU
--client-cpu cpu CLIENT_CPU none
--main-cpu int MAIN_CPU
--port choice PORT_KIND null|ring
--no-trace flag TRACE 0
--no-perf flag PERF 0
--no-apply flag APPLY 0
--wait-idle int WAIT_IDLE
--build-dir dir BUILD_DIR
--out str OUT'
bench_parse_args "$OPTS" 2,58 "$@"
[ "$ROUNDS" -ge 1 ] && [ "$ROUNDS" -le 50 ] || die "--rounds: 1..50"
[ "$REQUESTS" -ge 100 ] && [ "$REQUESTS" -le 10000000 ] || die "--requests: 100..10000000"
[ "$SERVICES" -ge 1 ] && [ "$SERVICES" -le 2048 ] || die "--services: 1..2048"
[ $((SERVICES * BACKENDS)) -le 32768 ] || die "at most 32768 backends in all"
[ "$PUT_RUNS" -le 20 ] || die "--put-runs: 0..20"
[ "$(id -u)" -eq 0 ] || die "run as root (hugepages, DPDK runtime directories)"

FP=$BUILD_DIR/fastpath/edgepath-fastpath
SP=$BUILD_DIR/slowpath/edgepath-slowpath
GENCFG=$ROOT/tests/bench/gen_config.py
for b in "$FP" "$SP"; do
	[ -x "$b" ] || die "$b is not built (ninja -C $BUILD_DIR)"
done
for t in h2load nghttpd curl jq python3 taskset timeout stdbuf openssl; do
	command -v "$t" >/dev/null || die "$t not found (scripts/setup.sh installs it)"
done
[ "$TRACE" -eq 0 ] || command -v strace >/dev/null || die "strace not found (or --no-trace)"
[ "$PERF" -eq 0 ] || command -v perf >/dev/null || die "perf not found (or --no-perf)"

[ -n "$OUT" ] || OUT=/tmp/edgepath-bench-api/$(date +%Y%m%d-%H%M%S)
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
PREFIX=epapi-$$
TMP=$(mktemp -d /tmp/bench-api.XXXXXX)
CERTS=$TMP/certs
SOCK=$TMP/api.sock
CFG=$TMP/config.json
SUMMARY=$OUT/summary.txt
# Run copies: a rebuild during the run must not swap the binaries under
# us (perf could no longer name their functions).
mkdir -p "$OUT/bin"
cp "$FP" "$SP" "$OUT/bin/"
FP=$OUT/bin/edgepath-fastpath
SP=$OUT/bin/edgepath-slowpath

# ------------------------------------------------------------------
# Processes, clean-up: everything by PID.

PIDS=()
FP_PID='' SP_PID='' NG_PID=''

# shellcheck source=scripts/lib/procs.sh
. "$BENCH_DIR/../lib/procs.sh"

cleanup() {
	local i
	trap - EXIT INT TERM
	# the slow path (secondary) before the fast path; helpers first
	for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do stop_pid "${PIDS[i]}" 5; done
	PIDS=()
	rm -f /dev/hugepages/"${PREFIX}"map_* 2>/dev/null || true
	rm -rf "/var/run/dpdk/$PREFIX" "$TMP"
}
trap cleanup EXIT
trap 'say interrupted; exit 130' INT TERM

log() { printf '%s\n' "$*" | tee -a "$SUMMARY"; }

others() { # foreign DPDK processes that would share the CPUs
	{ pgrep -a edgepath || true; pgrep -a testpmd || true; pgrep -a bench_gen || true
	  pgrep -a bench_pipeline || true; pgrep -a valgrind || true; } |
		grep -v -- "--file-prefix=$PREFIX" || true
}

busy() { # tasks above 15 % of a CPU over one second (second top frame)
	top -b -n 2 -d 1 -w 512 2>/dev/null | awk '/^top -/ { f++ }
		f == 2 && $1 ~ /^[0-9]+$/ && $9 + 0 >= 15 { printf "%s %s(%s%%) ", $1, $12, $9 }'
}

machine_state() {
	local o
	o=$(others)
	echo "load $(cut -d' ' -f1-3 /proc/loadavg); busy tasks: $(busy); other DPDK processes: ${o:-none}" |
		tr '\n' ' '
	echo
}

wait_idle() { # no other DPDK process, and nothing else above 15 % of a CPU
	local t=0 o
	while o="$(others)$(busy)" && [ -n "$o" ]; do
		if [ "$t" -ge "$WAIT_IDLE" ]; then
			say "still running after ${WAIT_IDLE} s (measuring anyway):"
			echo "$o" >&2
			return 0
		fi
		[ $((t % 60)) -eq 0 ] && { say "waiting for other DPDK processes or busy tasks to end:"; echo "$o" >&2; }
		sleep 4 # + 1 s in busy()
		t=$((t + 5))
	done
}

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

cpu_ticks() { # pid: utime + stime of the whole process, in clock ticks
	awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0
}

median() { # numbers on stdin
	sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) { print "-"; exit }
		if (NR % 2) print a[(NR + 1) / 2]; else printf "%.6g\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

# ------------------------------------------------------------------
# Fast path, slow path, nghttpd.

API_PORT='' NG_PORT=''

start_fastpath() {
	local vdev=net_null0
	[ "$PORT_KIND" = ring ] && vdev=net_ring0
	timeout -s TERM -k 5 3600 stdbuf -oL -eL "$FP" --lcores="0@${MAIN_CPU:-$FP_CPU},1@$FP_CPU" \
		--no-pci --file-prefix="$PREFIX" --vdev="$vdev" --log-level=user1,info \
		-- --idle-sleep-us 100 >"$OUT/fastpath.log" 2>&1 &
	FP_PID=$!
	PIDS+=("$FP_PID")
	wait_for "the fast path" 60 grep -q 'waiting for configuration' "$OUT/fastpath.log" ||
		{ tail -5 "$OUT/fastpath.log" >&2; die "the fast path did not start"; }
	# timeout's child is the fast path: its main thread is its main lcore
	FP_MAIN=$(pgrep -P "$FP_PID" | head -1)
	[ -n "$FP_MAIN" ] || die "cannot find the fast path's pid"
}

ready() {
	[ "$(curl -s --max-time 2 -o /dev/null -w '%{http_code}' \
		--unix-socket "$SOCK" http://localhost/readyz)" = 200 ]
}

start_slowpath() {
	timeout -s TERM -k 5 3600 stdbuf -oL -eL "$SP" --proc-type=secondary --no-pci \
		--file-prefix="$PREFIX" -l "$SERVER_CPU" --log-level=error \
		-- --config "$CFG" --attach-timeout 20 >>"$OUT/slowpath.log" 2>&1 &
	SP_PID=$!
	PIDS+=("$SP_PID")
	wait_for "the slow path" 30 ready || { tail -5 "$OUT/slowpath.log" >&2; die "the slow path is not ready"; }
	SP_MAIN=$(pgrep -P "$SP_PID" | head -1)
	[ -n "$SP_MAIN" ] || die "cannot find the slow path's pid"
}

start_nghttpd() { # htdocs
	timeout -s TERM -k 5 3600 taskset -c "$SERVER_CPU" nghttpd -a 127.0.0.1 \
		-d "$1" "$NG_PORT" "$CERTS/server.key" "$CERTS/server.crt" \
		>"$OUT/nghttpd.log" 2>&1 &
	NG_PID=$!
	PIDS+=("$NG_PID")
	wait_for "nghttpd" 10 curl -sf --max-time 2 --http2 --cacert "$CERTS/ca.crt" \
		--resolve "localhost:$NG_PORT:127.0.0.1" -o /dev/null \
		"https://localhost:$NG_PORT/stats.json" || die "nghttpd did not start"
	NG_MAIN=$(pgrep -P "$NG_PID" | head -1) # timeout -> taskset execs nghttpd
	[ -n "$NG_MAIN" ] || die "cannot find nghttpd's pid"
}

# ------------------------------------------------------------------
# Requests rate.

CLIENT=()
[ "$CLIENT_CPU" = none ] || CLIENT=(taskset -c "$CLIENT_CPU")

h2run() { # name url server-pid: one h2load run; prints "req/s cpu_us_per_req ok"
	local name=$1 url=$2 pid=$3 c0 c1 rps ok hz
	hz=$(getconf CLK_TCK)
	c0=$(cpu_ticks "$pid")
	"${CLIENT[@]}" timeout -k 5 600 h2load -n "$REQUESTS" -c 1 -m 100 "$url" \
		>"$OUT/h2load-$name.txt" 2>&1 || true
	c1=$(cpu_ticks "$pid")
	rps=$(sed -n 's/^finished in [^,]*, \([0-9.]*\) req\/s.*/\1/p' "$OUT/h2load-$name.txt")
	ok=$(sed -n 's/^requests: .* \([0-9]*\) succeeded.*/\1/p' "$OUT/h2load-$name.txt")
	[ -n "$rps" ] || rps=0
	echo "$rps $(awk -v d=$((c1 - c0)) -v hz="$hz" -v n="$REQUESTS" 'BEGIN { printf "%.1f", d / hz * 1e6 / n }') ${ok:-0}"
}

bench_requests() {
	local size r a b ratios=() ours=() ng=() ocpu=() ncpu=()
	curl -sS --max-time 10 --http2 --cacert "$CERTS/ca.crt" \
		--resolve "localhost:$API_PORT:127.0.0.1" -o "$OUT/stats.json" \
		"https://localhost:$API_PORT/v1/stats" || die "GET /v1/stats failed"
	size=$(stat -c %s "$OUT/stats.json")
	mkdir -p "$TMP/htdocs"
	cp "$OUT/stats.json" "$TMP/htdocs/stats.json" # same bytes, same size
	start_nghttpd "$TMP/htdocs"
	log ""
	log "== GET /v1/stats ($size bytes) vs nghttpd static file ($size bytes)"
	log "h2load -n $REQUESTS -c 1 -m 100 over TLS (h2), client ${CLIENT[*]:-unpinned}; servers on CPU $SERVER_CPU"
	# warm-up: both servers, a tenth of a run each
	"${CLIENT[@]}" timeout 120 h2load -n $((REQUESTS / 10)) -c 1 -m 100 \
		"https://127.0.0.1:$API_PORT/v1/stats" >"$OUT/h2load-warmup-ours.txt" 2>&1 || true
	"${CLIENT[@]}" timeout 120 h2load -n $((REQUESTS / 10)) -c 1 -m 100 \
		"https://127.0.0.1:$NG_PORT/stats.json" >"$OUT/h2load-warmup-nghttpd.txt" 2>&1 || true
	log "$(grep -E 'Cipher|Application protocol' "$OUT/h2load-warmup-ours.txt" | tr '\n' ' ') (ours)"
	log "$(grep -E 'Cipher|Application protocol' "$OUT/h2load-warmup-nghttpd.txt" | tr '\n' ' ') (nghttpd)"
	log "round | ours req/s | ok | CPU us/req | nghttpd req/s | ok | CPU us/req | ratio | state"
	for ((r = 1; r <= ROUNDS; r++)); do
		read -r a ac aok < <(h2run "ours-$r" "https://127.0.0.1:$API_PORT/v1/stats" "$SP_MAIN")
		read -r b bc bok < <(h2run "nghttpd-$r" "https://127.0.0.1:$NG_PORT/stats.json" "$NG_MAIN")
		ours+=("$a"); ng+=("$b"); ocpu+=("$ac"); ncpu+=("$bc")
		ratios+=("$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')")
		log "$r | $a | $aok | $ac | $b | $bok | $bc | ${ratios[-1]} | load $(cut -d' ' -f1 /proc/loadavg)"
	done
	log "median | $(printf '%s\n' "${ours[@]}" | median) | | $(printf '%s\n' "${ocpu[@]}" | median) | $(printf '%s\n' "${ng[@]}" | median) | | $(printf '%s\n' "${ncpu[@]}" | median) | $(printf '%s\n' "${ratios[@]}" | median) |"
	if [ "$PERF" -eq 1 ]; then # where our server's CPU goes, one more run
		local pp
		timeout 600 perf record -q -e cpu-clock -F 2000 -g -p "$SP_MAIN" \
			-o "$OUT/perf-sp-h2load.data" 2>/dev/null &
		pp=$!
		PIDS+=("$pp")
		sleep 1
		h2run "ours-perf" "https://127.0.0.1:$API_PORT/v1/stats" "$SP_MAIN" >/dev/null
		kill -INT "$pp" 2>/dev/null || true
		wait "$pp" 2>/dev/null || true
		forget "$pp"
		perf report -i "$OUT/perf-sp-h2load.data" --stdio --no-children -n \
			--sort dso,symbol --percent-limit 0 -g none 2>/dev/null |
			grep -v '^#' | grep -v '^$' >"$OUT/perf-sp-h2load.txt" || true
		perf report -i "$OUT/perf-sp-h2load.data" --stdio --no-children \
			--sort dso --percent-limit 0 -g none 2>/dev/null |
			grep -v '^#' | grep -v '^$' >"$OUT/perf-sp-h2load-dso.txt" || true
		log "our server under perf (one more run): by library: $(head -8 "$OUT/perf-sp-h2load-dso.txt" | awk '{ printf "%s %s, ", $2, $1 }')"
		log "  top functions: $(head -10 "$OUT/perf-sp-h2load.txt" | awk '{ printf "%s %s, ", $5, $1 }')"
	fi
	stop_pid "$NG_PID"
	forget "$NG_PID"
}

# ------------------------------------------------------------------
# Apply time.

gen() { # file args...
	local f=$1
	shift
	python3 "$GENCFG" --api-port "$API_PORT" --cert "$CERTS/server.crt" \
		--key "$CERTS/server.key" --unix "$SOCK" "$@" >"$f"
}

# Two snapshots live during a swap; keep 64 MiB spare for the rest.
check_table_size() {
	local free need p
	free=$(awk '/^HugePages_Free:/ { print $2 * 2 }' /proc/meminfo) # MiB
	need=$(awk -v s="$SERVICES" -v t="$TABLE" 'BEGIN { printf "%d", 2 * s * t * 2 / 1048576 + 64 }')
	log "hugepages: ${free} MiB free after start-up; 2 snapshots of $SERVICES x $TABLE x 2 B + 64 MiB = ${need} MiB"
	if [ "$need" -gt "$free" ]; then
		p=$(python3 "$BENCH_DIR/table_size.py" "$SERVICES" "$free")
		log "NOTE: not enough hugepage memory for $TABLE-slot tables: using maglev_table_size $p"
		TABLE=$p
	fi
}

sched() { # tid: "run_ns wait_ns" (time on CPU, time runnable but waiting)
	local r w
	read -r r w _ <"/proc/$1/task/$1/schedstat" 2>/dev/null || { echo "0 0"; return; }
	echo "$r $w"
}

put() { # file [method path] -> "http_code pretransfer total" (curl's times, s)
	curl -sS --max-time 30 --http2 --cacert "$CERTS/ca.crt" \
		--resolve "localhost:$API_PORT:127.0.0.1" -X "${2:-PUT}" \
		-H 'Content-Type: application/json' --data-binary @"$1" \
		-o "$TMP/put.out" -w '%{http_code} %{time_pretransfer} %{time_total}' \
		"https://localhost:$API_PORT${3:-/v1/config}" 2>"$TMP/put.err" || true
}

CASES=(small big minimal fresh patch)
MEASURED=(big minimal fresh patch)
declare -A DOC=(
	[small]=$TMP/small.json [big]=$TMP/big.json
	[minimal]=$TMP/big-w.json [fresh]=$TMP/big-fresh.json
	[patch]=$TMP/patch.json
)
declare -A METHOD=([patch]=PATCH) TARGET=()
declare -A WHAT=(
	[small]="reset to 1 service (not measured)"
	[big]="$SERVICES x $BACKENDS from 1 service: every table new"
	[minimal]="one weight changed, rebuild minimal"
	[fresh]="maglev_rebuild fresh (every table built anew)"
	[patch]="one backend's weight by PATCH, on the fresh document"
)
declare -A MS=() CPU=() FULL=() ACK=() PHASES=()

# After an answer: ms until the fast path has every full Maglev table in
# place (maglev_pending 0 in /v1/stats, polled every 10 ms), or -1.
full_tables_ms() {
	local t0 n
	t0=$(date +%s%N)
	for _ in $(seq 3000); do
		n=$(curl -s --max-time 5 --unix-socket "$SOCK" http://localhost/v1/stats | jq -r '.maglev_pending // 0')
		if [ "$n" = 0 ]; then
			echo $((($(date +%s%N) - t0) / 1000000))
			return
		fi
		sleep 0.01
	done
	echo -1
}

# The slow path's own apply timings (/metrics): "phase sum_s" lines.
apply_sums() {
	curl -s --max-time 5 --unix-socket "$SOCK" http://localhost/metrics |
		sed -n 's/^edgepath_api_config_apply_seconds_sum{phase="\([a-z_]*\)"} \(.*\)$/\1 \2/p'
}

# ms per phase between two apply_sums outputs: "build=.. ... to_ack=.."
phase_ms() {
	awk 'NR == FNR { a[$1] = $2; next }
		{ printf "%s%s=%.1f", n++ ? " " : "", $1 == "to_fastpath_ack" ? "to_ack" : $1, ($2 - a[$1]) * 1000 }
		END { print "" }' "$1" "$2"
}

one_put() { # case run-label: PUT, check, record
	local c=$1 lab=$2 code pre total ms g s0 s1 f0 f1 cpu full ph
	apply_sums >"$TMP/sums0"
	s0=$(sched "$SP_MAIN")
	f0=$(sched "$FP_MAIN")
	read -r code pre total < <(put "${DOC[$c]}" "${METHOD[$c]:-PUT}" "${TARGET[$c]:-/v1/config}")
	s1=$(sched "$SP_MAIN")
	f1=$(sched "$FP_MAIN")
	apply_sums >"$TMP/sums1"
	# the slow path's own clock: handler start to the fast path's ack,
	# and each phase (docs/api.md, edgepath_api_config_apply_seconds)
	ph=$(phase_ms "$TMP/sums0" "$TMP/sums1")
	# ms on CPU / runnable but waiting, slow path main thread and fast
	# path main lcore, over the whole PUT
	cpu=$(echo "$s0 $s1 $f0 $f1" | awk '{ printf "sp_cpu=%.1f sp_wait=%.1f fp_cpu=%.1f fp_wait=%.1f",
		($3 - $1) / 1e6, ($4 - $2) / 1e6, ($7 - $5) / 1e6, ($8 - $6) / 1e6 }')
	if [ "$code" != 200 ]; then
		log "  $lab ${METHOD[$c]:-PUT} $c: HTTP $code after $(awk -v t="$total" 'BEGIN { printf "%.0f", t * 1000 }') ms: $(head -c 200 "$TMP/put.out") $(cat "$TMP/put.err") [$cpu]"
		echo "$lab $c FAILED code=$code $cpu" >>"$OUT/puts.txt"
		after_failure
		return 1
	fi
	g=$(jq -r .generation "$TMP/put.out")
	full=$(full_tables_ms)
	# time_starttransfer is set when the upload starts: use the total
	# (the answer is a few bytes) minus the connection and TLS set-up
	ms=$(awk -v t="$total" -v p="$pre" 'BEGIN { printf "%.1f", (t - p) * 1000 }')
	echo "$lab $c gen=$g upload_to_answer_ms=$ms total_ms=$(awk -v t="$total" 'BEGIN { printf "%.1f", t * 1000 }') answer_to_full_tables_ms=$full $cpu $ph" >>"$OUT/puts.txt"
	[ "$c" = small ] && return 0
	MS[$c]="${MS[$c]:-} $ms"
	FULL[$c]="${FULL[$c]:-} $full"
	CPU[$c]="${CPU[$c]:-}|$cpu"
	ACK[$c]="${ACK[$c]:-} $(sed -n 's/.*to_ack=\([0-9.]*\).*/\1/p' <<<"$ph")"
	PHASES[$c]="${PHASES[$c]:-}|$ph"
}

# After a refused or timed-out change: does the fast path run it anyway?
after_failure() {
	local i a b st
	for i in $(seq 120); do # until the main lcore is idle (< 10 % busy)
		read -r a _ < <(sched "$FP_MAIN")
		sleep 0.5
		read -r b _ < <(sched "$FP_MAIN")
		[ $((b - a)) -lt 50000000 ] && break
	done
	st=$(curl -s --max-time 5 --unix-socket "$SOCK" http://localhost/v1/stats |
		jq -r '"fast path generation \(.generation) version \(.version), slow path config_version \(.config_version)"')
	log "    afterwards: $st; /readyz $(curl -s --max-time 5 -o /dev/null -w '%{http_code}' --unix-socket "$SOCK" http://localhost/readyz)"
}

cycle() { # label: a failed PUT is recorded and the cycle goes on
	local c
	for c in "${CASES[@]}"; do one_put "$c" "$1" || true; done
}

# strace both main threads over one cycle, one file per PUT.
traced_cycle() {
	local c st ft
	for c in "${CASES[@]}"; do
		[ "$c" = small ] && { one_put small traced || true; continue; }
		timeout 60 strace -ttt -T -p "$SP_MAIN" -o "$OUT/strace-sp-$c.txt" \
			-e trace=read,write,writev,sendto,sendmsg,openat,fsync,close,rename,accept4 2>"$TMP/st-sp.err" &
		st=$!
		timeout 60 strace -ttt -T -p "$FP_MAIN" -o "$OUT/strace-fp-$c.txt" 2>"$TMP/st-fp.err" &
		ft=$!
		PIDS+=("$st" "$ft")
		wait_for "strace" 10 grep -q attached "$TMP/st-sp.err" || true
		wait_for "strace" 10 grep -q attached "$TMP/st-fp.err" || true
		sleep 0.2
		one_put "$c" traced || true
		sleep 0.2
		kill -INT "$st" "$ft" 2>/dev/null || true
		wait "$st" "$ft" 2>/dev/null || true
		forget "$st"; forget "$ft"
		python3 "$BENCH_DIR/api_timeline.py" "$OUT/strace-sp-$c.txt" "$OUT/strace-fp-$c.txt" \
			>>"$OUT/timeline-$c.txt" || true
	done
}

# perf report -n text -> "TOTAL ms; the top symbols (not the wait loop's
# sleep and wake-up) with ms"
perf_top() {
	awk '{ n += $2; sym = ""
		for (i = 3; i < NF; i++) if ($i == "[.]" || $i == "[k]") { sym = $(i + 1); break }
		if (sym ~ /finish_task_switch|nanosleep|rte_delay_us_sleep|^request$|do_syscall_64|_raw_spin_unlock_irqrestore/) { w += $2; next }
		if (k++ < 8) s = s sprintf("%s %.1f, ", sym, $2 / 10) }
		END { printf "%.1f ms CPU (%.1f of it the wait loop: sleep, wake-up): %s\n", n / 10, w / 10, s }' "$1"
}

# perf record both main threads over one cycle.
perf_cycle() {
	local c sp fp
	for c in "${CASES[@]}"; do
		[ "$c" = small ] && { one_put small perf || true; continue; }
		timeout 60 perf record -q -e cpu-clock -F 10000 -t "$SP_MAIN" -o "$OUT/perf-sp-$c.data" 2>/dev/null &
		sp=$!
		timeout 60 perf record -q -e cpu-clock -F 10000 -t "$FP_MAIN" -o "$OUT/perf-fp-$c.data" 2>/dev/null &
		fp=$!
		PIDS+=("$sp" "$fp")
		sleep 1
		one_put "$c" perf || true
		sleep 0.3
		kill -INT "$sp" "$fp" 2>/dev/null || true
		wait "$sp" "$fp" 2>/dev/null || true
		forget "$sp"; forget "$fp"
		for w in sp fp; do
			perf report -i "$OUT/perf-$w-$c.data" --stdio --no-children -n \
				--sort dso,symbol --percent-limit 0 2>/dev/null |
				grep -v '^#' | grep -v '^$' >"$OUT/perf-$w-$c.txt" || true
		done
	done
}

bench_apply() {
	local c i
	log ""
	log "machine before the PUTs: $(machine_state)"
	check_table_size
	local tab=()
	[ "$TABLE" = 65537 ] || tab=(--table-size "$TABLE")
	gen "${DOC[small]}" --services 1 --backends 2
	gen "${DOC[big]}" --services "$SERVICES" --backends "$BACKENDS" "${tab[@]}"
	gen "${DOC[minimal]}" --services "$SERVICES" --backends "$BACKENDS" "${tab[@]}" \
		--weight "$((SERVICES / 2)):3:2"
	gen "${DOC[fresh]}" --services "$SERVICES" --backends "$BACKENDS" "${tab[@]}" --rebuild fresh
	echo '{"weight": 5}' >"${DOC[patch]}"
	TARGET[patch]=$(jq -r --argjson i "$((SERVICES / 2))" \
		'.services[$i] | "/v1/services/\(.name)/backends/\(.backends[0].address):\(.backends[0].port // 0)"' \
		"${DOC[fresh]}")
	log ""
	log "== PUT /v1/config, $SERVICES services x $BACKENDS backends, maglev_table_size $TABLE ($(stat -c %s "${DOC[big]}") bytes of JSON), curl --http2 over TLS"
	log "time from the start of the upload to the answer (sent after the fast path's ack), ms:"
	for ((i = 1; i <= PUT_RUNS; i++)); do cycle "run$i"; done
	for c in "${MEASURED[@]}"; do
		log "  $c (${WHAT[$c]}): runs${MS[$c]:-none}; median $(tr ' ' '\n' <<<"${MS[$c]:-}" | grep . | median || true)"
		log "    then until every full Maglev table is in place (maglev_pending 0), ms: runs${FULL[$c]:-none}; median $(tr ' ' '\n' <<<"${FULL[$c]:-}" | grep . | median || true)"
		log "    per run, ms on CPU / runnable but not running:$(tr '|' '\n' <<<"${CPU[$c]:-}" |
			awk -F'[= ]' 'NF > 1 { printf " [sp %s/%s fp %s/%s]", $2, $4, $6, $8 }')"
		log "    slow path's clock, request handled to the fast path's ack, ms: runs${ACK[$c]:-none}; median $(tr ' ' '\n' <<<"${ACK[$c]:-}" | grep . | median || true)"
		log "    per run, ms by phase:$(tr '|' '\n' <<<"${PHASES[$c]:-}" | grep . | sed 's/^/ [/; s/$/]/' | tr -d '\n')"
	done
	if [ "$TRACE" -eq 1 ]; then
		MS=()
		traced_cycle || say "traced cycle failed"
		for c in "${MEASURED[@]}"; do
			log "  under strace, $c: ${MS[$c]:-failed} ms"
			[ -s "$OUT/timeline-$c.txt" ] && sed 's/^/    /' "$OUT/timeline-$c.txt" | tee -a "$SUMMARY"
		done
	fi
	if [ "$PERF" -eq 1 ]; then
		MS=()
		perf_cycle || say "perf cycle failed"
		for c in "${MEASURED[@]}"; do
			log "  under perf, $c: ${MS[$c]:-failed} ms; CPU time on the threads (10 kHz cpu-clock samples):"
			log "    slow path main thread: $(perf_top "$OUT/perf-sp-$c.txt")"
			log "    fast path main lcore:  $(perf_top "$OUT/perf-fp-$c.txt")"
		done
	fi
}

# ------------------------------------------------------------------

main() {
	: >"$SUMMARY"
	wait_idle
	log "bench-api.sh $ARGS ($(date -Is), tree $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)$(git -C "$ROOT" diff --quiet HEAD -- fastpath slowpath 2>/dev/null || echo '+changes'))"
	log "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); $(machine_state)"
	log "fast path: $PORT_KIND port, --lcores=0@${MAIN_CPU:-$FP_CPU},1@$FP_CPU --idle-sleep-us 100; slow path -l $SERVER_CPU"
	bash "$ROOT/tests/certs/make-certs.sh" "$CERTS" >/dev/null || die "make-certs.sh failed"
	API_PORT=$(free_port)
	NG_PORT=$(free_port)
	while [ "$NG_PORT" = "$API_PORT" ]; do NG_PORT=$(free_port); done
	gen "$CFG" --services 1 --backends 2
	cp "$CFG" "$TMP/small.json"
	start_fastpath
	start_slowpath
	bench_requests
	[ "$APPLY" -eq 0 ] || bench_apply
	log ""
	log "machine at the end: $(machine_state)"
	log "logs: $OUT"
}

main
