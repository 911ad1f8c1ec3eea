#!/usr/bin/env bash
# The forwarding benchmark moved to scripts/bench/bench.sh (with its report,
# scripts/bench/report.py); this path keeps working for old notes.
exec "$(dirname "${BASH_SOURCE[0]}")/bench/bench.sh" "$@"
