#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Instructions per packet from a callgrind output and bench_pipeline's
log (scripts/bench/bench.sh --callgrind).

    callgrind_summary.py CALLGRIND_OUT LOG MODE
"""
import re, sys
ir = None
for line in open(sys.argv[1]):
    if line.startswith("totals:") or line.startswith("summary:"):
        ir = int(line.split()[1])
pk = None
for line in open(sys.argv[2]):
    m = re.search(r"measured_packets=(\d+)", line)
    if m:
        pk = int(m.group(1))
if ir is None or not pk:
    print(f"callgrind {sys.argv[3]}: no figures (see the logs)")
else:
    print(f"callgrind {sys.argv[3]}: {ir} Ir over {pk} packets = {ir / pk:.0f} Ir/packet")
