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
