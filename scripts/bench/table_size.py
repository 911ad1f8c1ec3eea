#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The largest prime Maglev table size whose two snapshots of SERVICES
tables fit FREE_MIB of hugepages with 64 MiB to spare
(scripts/bench/bench-api.sh).

    table_size.py SERVICES FREE_MIB
"""
import sys
s, free = int(sys.argv[1]), int(sys.argv[2])
t = int((free - 64) * 1048576 / (4 * s))
isp = lambda n: n > 1 and all(n % d for d in range(2, int(n ** 0.5) + 1))
while t > 2 and not isp(t): t -= 1
print(t)
