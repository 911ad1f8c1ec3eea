#!/usr/bin/env bash
# Build the libFuzzer targets (meson -Dfuzz=true, clang, ASan+UBSan) in
# their own build directory and run each for a bounded time. Fails on any
# crash, sanitizer report, leak, per-input timeout or out-of-memory, and
# on any regression input (tests/fuzz/regress/TARGET/) that fails.
#
#   tests/fuzz/run.sh [TARGET...]         (default: all six)
#   FUZZ_TIME=60 tests/fuzz/run.sh        seconds per target (default 30)
#   FUZZ_BUILD=dir                        build directory (build-fuzz)
#
# Seeds: tests/fuzz/corpus/TARGET/ (h1, config, api), the malformed-packet
# corpus (tests/malformed/gen_malformed.py --raw) for parse and worker, the
# flat form of the configuration seeds (flat_seeds) for flat. A finding is
# left as FUZZ_BUILD/fuzz-work/TARGET/crash-* (or leak-, timeout-, oom-):
# fix it and add the file to tests/fuzz/regress/TARGET/.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
FUZZ_TIME=${FUZZ_TIME:-30}
B=${FUZZ_BUILD:-build-fuzz}
ALL=(parse h1 worker config flat api)
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=("${ALL[@]}")

if [ ! -f "$B/build.ninja" ]; then
	CC=clang meson setup "$B" -Dfuzz=true -Db_sanitize=address,undefined \
		-Db_lundef=false -Dwerror=true >/dev/null
fi
ninja -C "$B" $(for t in "${TARGETS[@]}"; do echo "tests/fuzz/fuzz_$t"; done) \
	tests/fuzz/flat_seeds

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:symbolize=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

work="$B/fuzz-work"
rm -rf "$work"
mkdir -p "$work/packets"
python3 tests/malformed/gen_malformed.py --raw "$work/packets"

# seed_dir TARGET DIR: fill DIR with the target's seeds.
seed_dir() {
	local t=$1 d=$2
	mkdir -p "$d"
	case $t in
	parse) cp "$work"/packets/frame* "$d"/ ;;
	worker) cp "$work"/packets/worker* "$d"/ ;;
	flat) "$B/tests/fuzz/flat_seeds" "$d" tests/fuzz/corpus/config/*.json \
		configs/*.json tests/malformed/config.json 2>/dev/null ;;
	*) cp tests/fuzz/corpus/"$t"/* "$d"/ ;;
	esac
}

dict_of() {
	case $1 in
	parse | worker) echo tests/fuzz/dict/packet.dict ;;
	config) echo tests/fuzz/dict/json.dict ;;
	*) echo "tests/fuzz/dict/$1.dict" ;;
	esac
}

rc=0
for t in "${TARGETS[@]}"; do
	bin="$B/tests/fuzz/fuzz_$t"
	dir="$work/$t"
	log="$work/$t.log"
	seed_dir "$t" "$dir/corpus"
	# Regression inputs first: each once, as a plain input.
	if compgen -G "tests/fuzz/regress/$t/*" >/dev/null; then
		if ! "$bin" -runs=1 tests/fuzz/regress/"$t"/* >"$dir.regress.log" 2>&1; then
			echo "fuzz $t: a regression input fails:"
			tail -40 "$dir.regress.log"
			rc=1
			continue
		fi
	fi
	start=$(date +%s)
	if "$bin" -max_total_time="$FUZZ_TIME" -timeout=10 -rss_limit_mb=2048 \
		-max_len=65536 -dict="$(dict_of "$t")" -print_final_stats=1 \
		-artifact_prefix="$dir/" "$dir/corpus" >"$log" 2>&1; then
		echo "fuzz $t: ok ($(grep -o 'Done [0-9]* runs' "$log" | tail -1), $(( $(date +%s) - start )) s)"
	else
		echo "fuzz $t: FAILED; findings: $(ls "$dir"/crash-* "$dir"/leak-* \
			"$dir"/timeout-* "$dir"/oom-* 2>/dev/null | tr '\n' ' ')"
		grep -v '^#[0-9]' "$log" | tail -60
		rc=1
	fi
done
exit $rc
