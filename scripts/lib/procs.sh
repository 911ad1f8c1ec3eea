#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Process handling shared by the benchmark scripts and the tests
# (tests/integration/lib.sh, tests/e2e/test_lb.sh). A sourcing script may
# define say() (told when a process needs SIGKILL), the PIDS array (its
# clean-up list, for forget()), STOP_SIGNAL (default TERM: bench.sh uses
# INT so that the forwarders print their final counters) and STOP_WAIT_S
# (default 10).

STOP_SIGNAL=${STOP_SIGNAL:-TERM}

pid_alive() { # PID: running and not a zombie
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	[[ ${stat:0:1} != Z ]]
}

stop_pid() { # PID [SECONDS [SIGNAL]]: SIGNAL, wait, SIGKILL; reaps
	local p=$1 t=${2:-${STOP_WAIT_S:-10}} sig=${3:-$STOP_SIGNAL} i
	[ -n "$p" ] || return 0
	pid_alive "$p" || { wait "$p" 2>/dev/null || true; return 0; }
	kill -"$sig" "$p" 2>/dev/null || true
	for ((i = 0; i < t * 10; i++)); do
		pid_alive "$p" || break
		sleep 0.1
	done
	if pid_alive "$p"; then
		if declare -F say >/dev/null; then
			say "pid $p did not stop on SIG$sig; SIGKILL"
		fi
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
