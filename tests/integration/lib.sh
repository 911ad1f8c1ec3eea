#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Shared by the integration test scripts: a TAP-like line per check, the
# closing "N passed, N failed" line, and stopping a process by its PID.
# The sourcing script sets pass=0 and fail=0.

stop_pid() { # PID: TERM, then KILL after 5 s
	[ -n "$1" ] || return 0
	kill -TERM "$1" 2>/dev/null || return 0
	for _ in $(seq 50); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

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

# --- For scripts that run a fast path and a slow path (they set sp_pid,
# fp_pid, prefix and tmp). ---

# Stop both processes and remove what DPDK leaves of this prefix.
# shellcheck disable=SC2154 # set by the sourcing script, as said above
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
