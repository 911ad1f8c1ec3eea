#!/usr/bin/env bash
# The whole test suite, from a fresh machine: set-up (packages, hugepages,
# build), the format check, every meson test in a normal build, the unit
# and integration tests again under ASan/UBSan, the libFuzzer targets for
# FUZZ_TIME seconds each (tests/fuzz/run.sh), then the end-to-end lab tests.
#
#   scripts/test.sh [--quick]     (--quick: skip the sanitizer build and fuzzing)
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
	ninja -C build-asan || return 1
	# Reports go to files as well, so that one from a daemon the
	# integration scripts start (fast path, slow path) fails the step.
	# stdbuf preloads itself: verify_asan_link_order=0. DPDK's own leaks
	# are suppressed by library (tests/sanitizer/lsan.supp). ASan holds
	# the address range where EAL maps hugepage memory by default (its
	# shadow gap), so a primary gets whatever mmap offers, which a
	# secondary (the slow path, re-executed to re-attach) may not get:
	# the primaries of the integration scripts map at 32 TiB instead
	# (EDGEPATH_TEST_EAL_ARGS), free in every ASan process.
	local reports rc=0
	reports=$(mktemp -d /tmp/edgepath-san.XXXXXX)
	EDGEPATH_TEST_EAL_ARGS=--base-virtaddr=0x200000000000 \
	ASAN_OPTIONS="verify_asan_link_order=0:detect_leaks=1:log_path=$reports/asan" \
	LSAN_OPTIONS="suppressions=$ROOT/tests/sanitizer/lsan.supp:print_suppressions=0" \
	UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$reports/ubsan" \
		meson test -C build-asan --suite unit --suite integration \
		--print-errorlogs || rc=1
	if compgen -G "$reports/*" >/dev/null; then
		echo "sanitizer reports:"
		cat "$reports"/*
		rc=1
	fi
	rm -rf "$reports"
	return $rc
}

fuzz_tests() {
	FUZZ_TIME=${FUZZ_TIME:-30} tests/fuzz/run.sh
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
[ "$QUICK" -eq 1 ] || step "sanitizers (unit, integration)" sanitizer_tests
[ "$QUICK" -eq 1 ] || step "fuzzing" fuzz_tests
step "end-to-end" e2e_tests
echo "test.sh: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
