# shellcheck shell=bash
# SPDX-License-Identifier: BSD-3-Clause
# Sourced by the benchmark scripts (bench.sh, bench-api.sh): messages and
# one option parser driven by a table, so each script lists its options
# instead of repeating the loop, the value checks and --help.
#
# Before sourcing: BENCH_NAME (message prefix). Then:
#   bench_parse_args "$OPTS" "HELP_LINES" "$@"
# OPTS has one option a line: NAME KIND VAR [ARG]. KINDs:
#   int     a whole number                  VAR=value
#   sint    a whole number, maybe negative  VAR=value
#   num     a decimal number                VAR=value
#   str     any non-empty value             VAR=value
#   dir     an existing directory           VAR=its absolute path
#   choice  one of ARG (a|b|c)              VAR=value
#   cpu     a whole number or ARG ("none")  VAR=value
#   flag    no value                        VAR=ARG
# -h/--help prints the lines HELP_LINES (a sed range, "2,36") of $0.
# Ranges and relations between options stay with each script.

die() {
	echo "$BENCH_NAME: error: $*" >&2
	exit 1
}
say() { echo "$BENCH_NAME: $*" >&2; }

# Check one option's value against its kind; dies with the option's name.
bench_check_value() { # option kind arg value
	case "$2" in
	int) [[ "$4" =~ ^[0-9]+$ ]] || die "$1: '$4' is not a whole number" ;;
	sint) [[ "$4" =~ ^-?[0-9]+$ ]] || die "$1: '$4' is not a whole number" ;;
	num) [[ "$4" =~ ^[0-9]+([.][0-9]+)?$ ]] || die "$1: '$4' is not a number" ;;
	str) [ -n "$4" ] || die "$1 needs a value" ;;
	dir) [ -d "$4" ] || die "$1: '$4' is not a directory" ;;
	choice) case "|$3|" in *"|$4|"*) [ -n "$4" ] ;; *) false ;; esac ||
		die "$1: one of ${3//|/, }" ;;
	cpu) [ "$4" = "$3" ] || [[ "$4" =~ ^[0-9]+$ ]] ||
		die "$1: '$4' is not a CPU number or $3" ;;
	*) die "internal: option $1 has an unknown kind '$2'" ;;
	esac
}

bench_parse_args() { # opts help-lines args...
	local opts=$1 help=$2 opt name kind var arg found
	shift 2
	while [ $# -gt 0 ]; do
		opt=$1
		case "$opt" in -h | --help)
			sed -n "${help}p" "$0"
			exit 0
			;;
		esac
		found=0
		while read -r name kind var arg; do
			[ "$name" = "$opt" ] || continue
			found=1
			if [ "$kind" = flag ]; then
				printf -v "$var" '%s' "$arg"
				shift
				break
			fi
			bench_check_value "$opt" "$kind" "$arg" "${2:-}"
			if [ "$kind" = dir ]; then
				printf -v "$var" '%s' "$(cd "$2" && pwd)"
			else
				printf -v "$var" '%s' "$2"
			fi
			shift 2
			break
		done <<<"$opts"
		[ "$found" = 1 ] || die "unknown option '$opt' (try --help)"
	done
}
