#!/usr/bin/env bash
# Forwarding benchmark (issue 3): edgepath-fastpath against dpdk-testpmd in
# macswap mode, both driven over one net_memif link by our own generator
# (tests/bench/gen.c), in interleaved rounds. The generator runs on one CPU,
# the forwarder on the other (its main lcore shares that CPU and sleeps).
# Per round and mode it reports the forwarded rate (the generator's RX
# rate), cycles per packet (fast path: busy_cycles / busy_packets over the
# window, from telemetry; testpmd: --record-core-cycles over the same
# window) and the fast path's cycles per stage; then medians and the ratio
# fast path / testpmd. See tests/bench/README and docs/performance.md.
#
#   scripts/bench/bench.sh [--rounds N] [--duration S] [--warmup S]
#                    [--flows N] [--size BYTES] [--gen-tx-mode auto|refcnt|alloc]
#                    [--modes established,new] [--gen-cpu N] [--fwd-cpu N]
#                    [--build-dir DIR] [--out DIR] [--no-testpmd] [--nice N]
#                    [--callgrind | --callgrind-only]
#
# The fast path's connection table has room for every flow: twice
# --flows entries, at least its default 262144 (1000000 flows: 2000000).
# --size: Ethernet frame bytes with the FCS, 64..1518 (default 64; the
# generator writes --size - 4 bytes). --gen-tx-mode: the generator sends
# pre-built mbufs (refcnt) or copies each frame into a new one (alloc);
# auto (default) takes refcnt while the pre-built frames fit in 256 MiB of
# hugepages, else alloc. The sweep over flows and sizes:
# scripts/bench/sweep.sh.
#
# The generator is a memif client in zero-copy mode (it must outrun the
# forwarder; in copy mode it could not keep up with testpmd's fast state).
# The forwarder and the generator each run in a session of their own whose
# autogroup gets nice -10 by default (with autogrouping, a plain `nice` only
# ranks tasks within one session), so that other work on this shared
# machine takes less from them; the report gives the share of the window
# each actually ran (/proc/PID/task/TID/schedstat).
#
# As root; needs hugepages (raises the reservation to 1024 x 2 MiB if it is
# lower). Everything it starts is stopped by PID, and memif sockets, DPDK
# runtime directories and hugepage files of its own prefixes are removed,
# after every run and on exit. Every process runs under `timeout`.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/../.." && pwd)
ARGS="$*"
ROUNDS=5
DURATION=10
WARMUP=3
FLOWS=65536
SIZE=64
GEN_TX_MODE=auto
MODES=established,new
GEN_CPU=0
FWD_CPU=1
BUILD_DIR=$ROOT/build
OUT=
TESTPMD=1
CALLGRIND=0 # 1: also, 2: only
NICE=-10

RUN_DIR=/run/edgepath-bench
SOCK=$RUN_DIR/memif.sock
FP_PREFIX=epbench-fp
TP_PREFIX=epbench-tp
GEN_PREFIX=epbench-gen
FWD_MAC=02:00:00:00:ee:01
GEN_MAC=02:00:00:00:ee:02
VIP=10.200.0.1
VIP_PORT=80

BENCH_NAME=bench
# shellcheck source=scripts/bench/args.sh
. "$BENCH_DIR/args.sh"
OPTS='--rounds int ROUNDS
--duration num DURATION
--warmup num WARMUP
--flows int FLOWS
--size int SIZE
--gen-tx-mode choice GEN_TX_MODE auto|refcnt|alloc
--modes str MODES
--gen-cpu int GEN_CPU
--fwd-cpu int FWD_CPU
--build-dir dir BUILD_DIR
--out str OUT
--no-testpmd flag TESTPMD 0
--nice sint NICE
--callgrind flag CALLGRIND 1
--callgrind-only flag CALLGRIND 2'
bench_parse_args "$OPTS" 2,36 "$@"
[ "$SIZE" -ge 64 ] && [ "$SIZE" -le 1518 ] || die "--size: 64..1518 (frame bytes with FCS)"
[ "$NICE" -ge -20 ] && [ "$NICE" -le 19 ] || die "--nice: -20..19"
[[ "$ROUNDS" =~ ^[0-9]+$ ]] && [ "$ROUNDS" -ge 1 ] && [ "$ROUNDS" -le 100 ] ||
	die "--rounds: 1..100"
awk -v d="$DURATION" -v w="$WARMUP" 'BEGIN { exit !(d >= 1 && d <= 600 && w >= 0.5 && w <= 120) }' ||
	die "--duration 1..600 s, --warmup 0.5..120 s"
for m in ${MODES//,/ }; do
	case "$m" in established|new) ;; *) die "--modes: 'established' and/or 'new', not '$m'" ;; esac
done
[ "$GEN_CPU" != "$FWD_CPU" ] || die "--gen-cpu and --fwd-cpu must differ"
if [ "$GEN_TX_MODE" = auto ]; then
	# A pre-built mbuf per flow: headroom, the frame rounded up to 64 and
	# the mbuf header, about size + 384 bytes each.
	GEN_TX_MODE=$(awk -v f="$FLOWS" -v s="$SIZE" 'BEGIN { print (f * (s + 384) <= 256 * 1048576) ? "refcnt" : "alloc" }')
fi
CT_ENTRIES=$((2 * FLOWS > 262144 ? 2 * FLOWS : 262144))
((CT_ENTRIES <= 1 << 26)) || die "--flows: at most $((1 << 25))"
[ "$(id -u)" -eq 0 ] || die "run as root (hugepages, memif sockets, DPDK runtime directories)"

FP=$BUILD_DIR/fastpath/edgepath-fastpath
SP=$BUILD_DIR/slowpath/edgepath-slowpath
GEN=$BUILD_DIR/tests/bench/bench_gen
PIPE=$BUILD_DIR/tests/bench/bench_pipeline
TESTPMD_BIN=$(command -v dpdk-testpmd || true)
for b in "$FP" "$SP" "$GEN"; do
	[ -x "$b" ] || die "$b is not built (ninja -C $BUILD_DIR)"
done
[ "$CALLGRIND" -eq 0 ] || [ -x "$PIPE" ] || die "$PIPE is not built (ninja -C $BUILD_DIR)"
[ "$TESTPMD" -eq 0 ] || [ -n "$TESTPMD_BIN" ] || die "dpdk-testpmd not found (package dpdk)"
command -v socat >/dev/null || die "socat not found (scripts/setup.sh installs it)"
[ "$CALLGRIND" -eq 0 ] || command -v valgrind >/dev/null ||
	die "valgrind not found (apt-get install valgrind)"
[ -n "$OUT" ] || OUT=/tmp/edgepath-bench/$(date +%Y%m%d-%H%M%S)
mkdir -p "$OUT" "$RUN_DIR"
OUT=$(cd "$OUT" && pwd)

# Helpers (socat, sleep, python) run on the generator's CPU, never on the
# forwarder's; the DPDK programs pin their lcores themselves, and their
# control threads land on the generator's CPU too.
taskset -p -c "$GEN_CPU" $$ >/dev/null

# ------------------------------------------------------------------
# Processes, clean-up.

PIDS=()
TP_FD=

STOP_SIGNAL=INT # the forwarders print their final counters on SIGINT
# shellcheck source=scripts/lib/procs.sh
. "$BENCH_DIR/../lib/procs.sh"

prefix_in_use() { # a live process holds the prefix's lock file
	local c=/var/run/dpdk/$1/config
	[ -e "$c" ] && fuser -s "$c" 2>/dev/null
}

clean_files() {
	local p
	rm -f "$SOCK" "$RUN_DIR/api.sock"
	for p in "$FP_PREFIX" "$TP_PREFIX" "$GEN_PREFIX"; do
		prefix_in_use "$p" && continue
		rm -rf "/var/run/dpdk/$p"
		rm -f /dev/hugepages/"${p}"map_* 2>/dev/null || true
	done
}

cleanup() {
	local p
	trap - EXIT INT TERM
	if [ -n "$TP_FD" ]; then exec {TP_FD}>&- || true; TP_FD=; fi
	for p in "${PIDS[@]}"; do stop_pid "$p" 5; done
	PIDS=()
	clean_files
}
trap cleanup EXIT
trap '' PIPE # a forwarder that died must not kill us through its FIFO
trap 'say interrupted; exit 130' INT TERM

tel() { # prefix command: one telemetry request, JSON on stdout
	printf '%s' "$2" | timeout 5 socat -t 2 - \
		"UNIX-CONNECT:/var/run/dpdk/$1/dpdk_telemetry.v2,type=5"
}

hugepages() {
	local total free
	total=$(awk '/^HugePages_Total:/ {print $2}' /proc/meminfo)
	if [ "${total:-0}" -lt 1024 ]; then
		echo 1024 >/proc/sys/vm/nr_hugepages || die "cannot reserve hugepages"
	fi
	grep -q " /dev/hugepages hugetlbfs " /proc/mounts || die "hugetlbfs is not mounted on /dev/hugepages (scripts/setup.sh)"
	free=$(awk '/^HugePages_Free:/ {print $2}' /proc/meminfo)
	[ "${free:-0}" -ge 400 ] || die "only ${free:-0} free hugepages; 400 x 2 MiB needed"
}

# ------------------------------------------------------------------
# Who ran how much: schedstat of the forwarder's worker thread and of the
# generator's thread (run and wait nanoseconds), with the wall clock.

FWD_TASK= # /proc/PID/task/TID of the forwarding lcore
GEN_TASK=

child_of() { pgrep -P "$1" | head -1; }

boost() { # timeout's pid: give its child's autogroup our nice value
	local c
	c=$(child_of "$1")
	[ -n "$c" ] && [ -w "/proc/$c/autogroup" ] && echo "$NICE" >"/proc/$c/autogroup"
}

find_worker_task() { # timeout's pid: the rte-worker-1 thread of its child
	local c t
	c=$(child_of "$1") || return 1
	[ -n "$c" ] || return 1
	for t in /proc/"$c"/task/*; do
		[ "$(cat "$t/comm" 2>/dev/null)" = rte-worker-1 ] && { FWD_TASK=$t; return 0; }
	done
	return 1
}

sched_snap() { # dir start|end
	local f=$1/sched-$2.txt fr=0 fw=0 gr=0 gw=0
	[ -n "$FWD_TASK" ] && read -r fr fw _ <"$FWD_TASK/schedstat" 2>/dev/null
	[ -n "$GEN_TASK" ] && read -r gr gw _ <"$GEN_TASK/schedstat" 2>/dev/null
	echo "$(date +%s%N) ${fr:-0} ${fw:-0} ${gr:-0} ${gw:-0}" >"$f"
}

# ------------------------------------------------------------------
# One generator run against whichever forwarder is up. $1 = directory,
# $2 = mode, $3 = on-window callback (called with start|end).

run_gen() {
	local dir=$1 mode=$2 cb=$3 fifo=$1/gen.out pid gpid line rc=0
	local extra=()
	[ "$mode" = new ] && extra+=(--new-flows)
	[ "$mode" = new ] || extra+=(--tx-mode "$GEN_TX_MODE")
	rm -f "$fifo"
	mkfifo "$fifo"
	timeout -s INT -k 5 "$(awk -v d="$DURATION" -v w="$WARMUP" 'BEGIN { printf "%d", d + w + 40 }')" \
		setsid "$GEN" --lcores="0@$GEN_CPU" --file-prefix="$GEN_PREFIX" \
		--in-memory --single-file-segments --no-pci --log-level=error -- \
		--role client --zero-copy --socket "$SOCK" \
		--flows "$FLOWS" --size $((SIZE - 4)) \
		--duration "$DURATION" --warmup "$WARMUP" --linger 1 \
		--vip "$VIP:$VIP_PORT" --dst-mac "$FWD_MAC" --src-mac "$GEN_MAC" \
		"${extra[@]}" >"$fifo" 2>&1 &
	pid=$!
	PIDS+=("$pid")
	GEN_TASK=
	while IFS= read -r line; do
		printf '%s\n' "$line" >>"$dir/gen.log"
		if [ -z "$GEN_TASK" ]; then
			gpid=$(child_of "$pid")
			[ -n "$gpid" ] && GEN_TASK=/proc/$gpid/task/$gpid && boost "$pid"
		fi
		case "$line" in
		"gen: window start") sched_snap "$dir" start; "$cb" start ;;
		"gen: window end") sched_snap "$dir" end; "$cb" end ;;
		esac
	done <"$fifo"
	wait "$pid" || rc=$?
	forget "$pid"
	rm -f "$fifo"
	[ "$rc" -eq 0 ] || say "generator exited with $rc (see $dir/gen.log)"
	return "$rc"
}

# ------------------------------------------------------------------
# Fast path: primary on the forwarding CPU, configured by the slow path
# (secondary, same prefix, on the generator's CPU), which is stopped once
# the fast path has the service (the configuration stays in force). Its
# API listens on a unix socket of our own, not the default one.

write_config() {
	cat >"$1" <<EOF
{
  "node": {
    "addresses": [ { "address": "10.200.0.254", "port": 0 } ],
    "backend_port": 0
  },
  "services": [
    {
      "name": "bench_dsr",
      "vip": "$VIP",
      "port": $VIP_PORT,
      "protocol": "tcp",
      "forwarding": "dsr",
      "scheduler": "maglev",
      "backends": [
        { "address": "10.201.0.1", "mac": "02:00:00:00:be:01" },
        { "address": "10.201.0.2", "mac": "02:00:00:00:be:02" },
        { "address": "10.201.0.3", "mac": "02:00:00:00:be:03" },
        { "address": "10.201.0.4", "mac": "02:00:00:00:be:04" }
      ]
    }
  ],
  "api": { "listeners": [ { "unix": "$RUN_DIR/api.sock" } ] }
}
EOF
}

FP_DIR=
fp_has_service() { tel "$FP_PREFIX" /edgepath/services | grep -q '"bench_dsr"'; }

fp_window() {
	tel "$FP_PREFIX" /edgepath/counters >"$FP_DIR/counters-$1.json" || true
	tel "$FP_PREFIX" /edgepath/drops >"$FP_DIR/drops-$1.json" || true
}

run_fastpath() { # dir mode
	local dir=$1 mode=$2 fp sp rc=0 limit
	FP_DIR=$dir
	limit=$(awk -v d="$DURATION" -v w="$WARMUP" 'BEGIN { printf "%d", d + w + 90 }')
	clean_files
	write_config "$dir/config.json"
	timeout -s INT -k 5 "$limit" setsid "$FP" --lcores="0@$FWD_CPU,1@$FWD_CPU" \
		--file-prefix="$FP_PREFIX" --no-pci --log-level=user1,info \
		--vdev="net_memif0,role=server,socket=$SOCK,socket-abstract=no,mac=$FWD_MAC" \
		-- --ct-entries "$CT_ENTRIES" >"$dir/fastpath.log" 2>&1 &
	fp=$!
	PIDS+=("$fp")
	FWD_TASK=
	wait_for "the fast path" 30 grep -q "waiting for configuration" "$dir/fastpath.log" || rc=1
	wait_for "the fast path's worker thread" 10 find_worker_task "$fp" || rc=1
	boost "$fp" || true
	if [ "$rc" -eq 0 ]; then
		timeout -s INT -k 5 60 "$SP" --proc-type=secondary --no-pci \
			--file-prefix="$FP_PREFIX" --lcores="0@$GEN_CPU" --log-level=error \
			-- --config "$dir/config.json" --attach-timeout 20 \
			>"$dir/slowpath.log" 2>&1 &
		sp=$!
		PIDS+=("$sp")
		wait_for "the configuration" 30 fp_has_service || rc=1
		stop_pid "$sp"
		forget "$sp"
	fi
	[ "$rc" -eq 0 ] && { run_gen "$dir" "$mode" fp_window || rc=1; }
	stop_pid "$fp" 15
	forget "$fp"
	clean_files
	return "$rc"
}

# ------------------------------------------------------------------
# testpmd: interactive, commands through a FIFO, so its forwarding
# statistics (and --record-core-cycles) cover exactly the window:
# "clear fwd stats all" at the start, "show fwd stats all" at the end.

tp_window() {
	case "$1" in
	start) echo "clear fwd stats all" >&"$TP_FD" || true ;;
	end) echo "show fwd stats all" >&"$TP_FD" || true ;;
	esac
}

run_testpmd() { # dir mode
	local dir=$1 mode=$2 tp rc=0 limit
	limit=$(awk -v d="$DURATION" -v w="$WARMUP" 'BEGIN { printf "%d", d + w + 90 }')
	clean_files
	rm -f "$dir/cmd"
	mkfifo "$dir/cmd"
	timeout -s INT -k 5 "$limit" setsid "$TESTPMD_BIN" --lcores="0@$FWD_CPU,1@$FWD_CPU" \
		--file-prefix="$TP_PREFIX" --in-memory --no-pci --log-level=error \
		--vdev="net_memif0,role=server,socket=$SOCK,socket-abstract=no,mac=$FWD_MAC" \
		-- -i --forward-mode=macswap --record-core-cycles --nb-cores=1 \
		<"$dir/cmd" >"$dir/testpmd.log" 2>&1 &
	tp=$!
	PIDS+=("$tp")
	FWD_TASK=
	exec {TP_FD}>"$dir/cmd"
	wait_for "testpmd" 30 grep -q "testpmd>" "$dir/testpmd.log" || rc=1
	wait_for "testpmd's forwarding thread" 10 find_worker_task "$tp" || rc=1
	boost "$tp" || true
	if [ "$rc" -eq 0 ]; then
		echo "start" >&"$TP_FD" || rc=1
		run_gen "$dir" "$mode" tp_window || rc=1
		echo "stop" >&"$TP_FD" || true
		echo "quit" >&"$TP_FD" || true
	fi
	exec {TP_FD}>&-
	TP_FD=
	wait_for "testpmd to quit" 15 bash -c "! kill -0 $tp" || true
	stop_pid "$tp" 5
	forget "$tp"
	rm -f "$dir/cmd"
	clean_files
	return "$rc"
}

# ------------------------------------------------------------------
# The report: per round, medians, ratio; the fast path's stages.

report() {
	python3 "$BENCH_DIR/report.py" "$OUT" "$MODES" "$ROUNDS"
}

# ------------------------------------------------------------------
# Instructions per packet under callgrind (tests/bench/bench_pipeline.c):
# the pipeline in one process, no timing, so the count does not move with
# the machine's state.

run_callgrind() {
	local dir=$OUT/callgrind m
	mkdir -p "$dir"
	for m in established new new-full; do
		say "callgrind: $m (takes a minute or two)"
		timeout -s INT -k 10 900 valgrind --tool=callgrind \
			--callgrind-out-file="$dir/callgrind.$m.out" \
			--toggle-collect=bench_measured_burst \
			"$PIPE" --mode "$m" >"$dir/$m.log" 2>&1 ||
			{ say "callgrind $m failed (see $dir/$m.log)"; continue; }
		prefix_in_use bench_pipeline || rm -rf /var/run/dpdk/bench_pipeline
		python3 "$BENCH_DIR/callgrind_summary.py" "$dir/callgrind.$m.out" "$dir/$m.log" "$m" |
			tee -a "$OUT/summary.txt"
	done
}

# ------------------------------------------------------------------

{
	echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
	echo "host: $(uname -r), $(nproc --all) CPUs, $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
	echo "dpdk: $(dpkg-query -W -f='${Version}' dpdk 2>/dev/null || echo unknown)"
	echo "tree: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" diff --quiet 2>/dev/null || echo ' (with uncommitted changes)')"
	echo "command: $0 $ARGS (rounds $ROUNDS, duration $DURATION s, warmup $WARMUP s, flows $FLOWS (connection table $CT_ENTRIES), frame $SIZE B, generator TX $GEN_TX_MODE, modes $MODES)"
	echo "cpus: generator $GEN_CPU, forwarder $FWD_CPU; autogroup nice $NICE"
} | tee "$OUT/environment.txt" >&2

if [ "$CALLGRIND" -ne 2 ]; then
	hugepages
	for p in "$FP_PREFIX" "$TP_PREFIX" "$GEN_PREFIX"; do
		! prefix_in_use "$p" || die "another process uses DPDK prefix $p"
	done
	clean_files
	for ((r = 1; r <= ROUNDS; r++)); do
		for m in ${MODES//,/ }; do
			d=$OUT/r$r-$m-fastpath
			mkdir -p "$d"
			say "round $r/$ROUNDS, $m flows: fast path"
			run_fastpath "$d" "$m" || say "round $r $m fast path failed (see $d)"
			if [ "$TESTPMD" -eq 1 ]; then
				d=$OUT/r$r-$m-testpmd
				mkdir -p "$d"
				say "round $r/$ROUNDS, $m flows: testpmd macswap"
				run_testpmd "$d" "$m" || say "round $r $m testpmd failed (see $d)"
			fi
		done
	done
	report
fi
[ "$CALLGRIND" -eq 0 ] || run_callgrind
say "results in $OUT"
