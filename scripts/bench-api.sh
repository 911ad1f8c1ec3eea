#!/usr/bin/env bash
# The control-API benchmark moved to scripts/bench/bench-api.sh; this path
# keeps working for old notes.
exec "$(dirname "${BASH_SOURCE[0]}")/bench/bench-api.sh" "$@"
