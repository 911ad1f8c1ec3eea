#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Process handling shared by the benchmark scripts. The sourcing script
# defines say() and the PIDS array (its clean-up list), and may set
# STOP_SIGNAL (default TERM: bench.sh uses INT so that the forwarders
# print their final counters).

STOP_SIGNAL=${STOP_SIGNAL:-TERM}

stop_pid() { # pid [seconds]: STOP_SIGNAL, wait, SIGKILL
	local p=$1 t=${2:-10} i
	[ -n "$p" ] || return 0
	kill -0 "$p" 2>/dev/null || { wait "$p" 2>/dev/null || true; return 0; }
	kill -"$STOP_SIGNAL" "$p" 2>/dev/null || true
	for ((i = 0; i < t * 10; i++)); do
		kill -0 "$p" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$p" 2>/dev/null; then
		say "pid $p did not stop on SIG$STOP_SIGNAL; SIGKILL"
		kill -KILL "$p" 2>/dev/null || true
	fi
	wait "$p" 2>/dev/null || true
}

forget() { # drop a PID from the clean-up list once it is reaped
	local keep=() p
	for p in "${PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
	PIDS=("${keep[@]}")
}

wait_for() { # what seconds command...: poll every 0.1 s
	local what=$1 t=$2 i
	shift 2
	for ((i = 0; i < t * 10; i++)); do
		"$@" 2>/dev/null && return 0
		sleep 0.1
	done
	say "timed out after ${t} s waiting for $what"
	return 1
}
