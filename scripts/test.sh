#!/usr/bin/env bash
# The whole test suite, from a fresh machine: set-up (packages, hugepages,
# build), the format check, every meson test in a normal build, the unit
# tests again under ASan/UBSan, then the end-to-end lab tests.
#
#   scripts/test.sh [--quick]     (--quick: skip the sanitizer build)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
QUICK=0
[ "${1:-}" = "--quick" ] && QUICK=1

failed=0
passed=0
step() {
	local name=$1; shift
	echo "=== $name"
	if "$@"; then
		passed=$((passed + 1)); echo "=== $name: ok"
	else
		failed=$((failed + 1)); echo "=== $name: FAILED"
	fi
}

format_check() {
	local files
	files=$(git ls-files '*.c' '*.h' 2>/dev/null || find fastpath slowpath bpf tests -name '*.[ch]')
	# shellcheck disable=SC2086
	clang-format --dry-run -Werror $files
}

meson_tests() {
	meson test -C build --print-errorlogs --num-processes 2
}

sanitizer_tests() {
	if [ ! -f build-asan/build.ninja ]; then
		# GCC 12 reports false -Warray-bounds and -Wstringop-overread on memcpy into mbuf data
		# only under -fsanitize (its sanitizer instrumentation confuses
		# the bounds pass); the normal -Werror build keeps the warning.
		meson setup build-asan -Db_sanitize=address,undefined \
			-Db_lundef=false -Dwerror=true \
			-Dc_args="['-Wno-array-bounds','-Wno-stringop-overread']" || return 1
	fi
	ninja -C build-asan && meson test -C build-asan --suite unit --print-errorlogs
}

e2e_tests() {
	local rc=0 t
	for t in tests/e2e/test_*.sh; do
		[ -e "$t" ] || continue
		echo "--- $t"
		bash "$t" || rc=1
	done
	# The load balancer once more over an AF_XDP socket (net_af_xdp).
	echo "--- tests/e2e/test_lb.sh (EDGEPATH_E2E_PMD=af_xdp)"
	EDGEPATH_E2E_PMD=af_xdp bash tests/e2e/test_lb.sh || rc=1
	return $rc
}

scripts/setup.sh
# CI builds with warnings as errors.
meson configure build -Dwerror=true >/dev/null
ninja -C build
step "format" format_check
step "meson tests" meson_tests
[ "$QUICK" -eq 1 ] || step "sanitizers (unit)" sanitizer_tests
step "end-to-end" e2e_tests
echo "test.sh: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
