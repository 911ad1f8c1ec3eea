#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Shared by the integration test scripts: a TAP-like line per check, the
# closing "N passed, N failed" line, stopping a process by its PID, and
# for the scripts that run a fast path and a slow path (test_slowpath.sh,
# test_edgectl.sh) their set-up, start and teardown. The sourcing script
# sets pass=0 and fail=0 (dpdk_test_init does).
# The sourcing script sets fp_bin, sp_bin and root; the variables set
# here are the sourcing script's:
# shellcheck disable=SC2154,SC2034

# stop_pid PID [SECONDS [SIGNAL]] is scripts/lib/procs.sh's: TERM, then
# KILL after 5 s here.
STOP_WAIT_S=5
# shellcheck source=scripts/lib/procs.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib/procs.sh"

ok() {
	pass=$((pass + 1))
	echo "ok - $*"
}

bad() {
	fail=$((fail + 1))
	echo "FAIL - $*"
}

check() { # description command...
	local d=$1
	shift
	if "$@"; then ok "$d"; else bad "$d"; fi
}

finish() {
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
	exit $?
}

skip() {
	echo "SKIP: $*"
	exit 77
}

# --- For scripts that run a fast path and a slow path (fp_bin, sp_bin
# set by the script; dpdk_test_init sets the rest). ---

# dpdk_test_init NAME PREFIX: the scratch directory, the file names, the
# counters and the clean-up on exit.
dpdk_test_init() {
	tmp=$(mktemp -d "/tmp/$1.XXXXXX")
	certs=$tmp/certs
	prefix=$2-$$
	cfg=$tmp/config.json
	sock=$tmp/api.sock
	fp_pid='' sp_pid='' port=''
	pass=0
	fail=0
	trap dpdk_test_cleanup EXIT
}

# Stop both processes and remove what DPDK leaves of this prefix.
dpdk_test_cleanup() {
	stop_pid "$sp_pid"
	stop_pid "$fp_pid"
	rm -f /dev/hugepages/"$prefix"map_*
	rm -rf "/var/run/dpdk/$prefix" "$tmp"
}

# dpdk_preflight TOOL... -- BINARY...: root and hugepages (else skip, 77),
# then every tool on PATH and every binary executable (else fail).
dpdk_preflight() {
	local t free
	[ "$(id -u)" -eq 0 ] || skip "needs root (DPDK shared memory)"
	free=$(awk '/^HugePages_Free:/ {print $2}' /proc/meminfo)
	[ "${free:-0}" -ge 128 ] || skip "needs 128 free hugepages (scripts/setup.sh)"
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		command -v "$1" >/dev/null || {
			bad "missing $1 (scripts/setup.sh installs it)"
			finish
		}
		shift
	done
	[ $# -gt 0 ] && shift
	for t in "$@"; do
		[ -x "$t" ] || { bad "not executable: $t"; finish; }
	done
}

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# etcd_setup DIR: a loopback etcd for the test (data and log in DIR):
# sets ep (its client URL); then ectl ARGS... is etcdctl against it and
# start_etcd starts it (again), 0 once healthy within 10 s. The caller
# stops $etcd_pid.
etcd_setup() {
	etcd_dir=$1
	etcd_pport=$(free_port)
	ep=http://127.0.0.1:$(free_port)
}
ectl() { ETCDCTL_API=3 etcdctl --endpoints "$ep" --dial-timeout 2s "$@"; }
start_etcd() {
	etcd --name "ep-etcd-$$" --data-dir "$etcd_dir/etcd" \
		--listen-client-urls "$ep" --advertise-client-urls "$ep" \
		--listen-peer-urls "http://127.0.0.1:$etcd_pport" \
		--initial-advertise-peer-urls "http://127.0.0.1:$etcd_pport" \
		--initial-cluster "ep-etcd-$$=http://127.0.0.1:$etcd_pport" \
		>>"$etcd_dir/etcd.log" 2>&1 &
	etcd_pid=$!
	for _ in $(seq 100); do
		ectl endpoint health >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# A primary cannot start while a secondary of the previous instance still
# maps its memory (the slow path lets go within ~100 ms of the stop; under
# load it can take longer). A supervisor retries; so do we, bounded, and
# every failed attempt's log is shown.
start_fastpath() {
	local attempt
	for attempt in 1 2 3; do
		start_fastpath_once && return 0
		echo "# fast path start attempt $attempt failed:"
		tail -5 "$tmp/fp.log" | sed 's/^/#   /'
		kill "$fp_pid" 2>/dev/null
		sleep 1
	done
	return 1
}

# start_fastpath_once: one attempt, on the sourcing script's fp_vdev
# (default net_null0).
start_fastpath_once() {
	local cpu=1
	[ "$(nproc)" -ge 2 ] || cpu=0
	# line-buffered: the readiness line is what we wait for
	stdbuf -oL -eL "$fp_bin" --lcores="0@$cpu,1@$cpu" --no-pci --file-prefix="$prefix" \
		--vdev="${fp_vdev:-net_null0}" --log-level=user1,info ${EDGEPATH_TEST_EAL_ARGS:-} \
		-- --idle-sleep-us 100 >"$tmp/fp.log" 2>&1 &
	fp_pid=$!
	# slow to start when another DPDK process busy-polls the same CPU
	for _ in $(seq 600); do
		grep -q 'waiting for configuration' "$tmp/fp.log" && return 0
		kill -0 "$fp_pid" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# start_slowpath: the slow path on "$cfg", with the sourcing script's
# sp_extra_args (an array, may be unset) after its own options.
start_slowpath() {
	stdbuf -oL -eL "$sp_bin" --proc-type=secondary --no-pci --file-prefix="$prefix" -l 0 \
		--log-level=error -- --config "$cfg" ${sp_extra_args[@]+"${sp_extra_args[@]}"} \
		>>"$tmp/sp.log" 2>&1 &
	sp_pid=$!
}

# ready_within SECONDS: /readyz answers 200 on the Unix socket
ready_within() {
	for _ in $(seq $(($1 * 10))); do
		[ "$(curl -s --max-time 2 -o /dev/null -w '%{http_code}' \
			--unix-socket "$sock" http://localhost/readyz)" = 200 ] &&
			return 0
		sleep 0.1
	done
	return 1
}

# dpdk_test_up WRITE_CONFIG_COMMAND...: certificates, a free port, the
# configuration (the command writes "$cfg"), then both processes; stops
# the script (with the failing process's log) when either does not come up.
dpdk_test_up() {
	bash "$root/tests/certs/make-certs.sh" "$certs" ||
		{
			bad "make-certs.sh"
			finish
		}
	port=$(free_port)
	"$@"
	check "fast path started (net_null0)" start_fastpath
	[ "$fail" -eq 0 ] || { cat "$tmp/fp.log"; finish; }
	start_slowpath
	check "slow path ready within 10 s" ready_within 10
	[ "$fail" -eq 0 ] || { cat "$tmp/sp.log"; finish; }
}

# dpdk_test_done: the slow path's log when anything failed, then finish.
dpdk_test_done() {
	[ "$fail" -eq 0 ] || { echo "--- slow path log"; cat "$tmp/sp.log"; }
	finish
}
