#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Where a traced configuration PUT spent its time (scripts/bench/bench-api.sh):
reads strace -ttt -T of the slow path's and the fast path's main threads
and prints the phases from the last body byte to the answer.

    api_timeline.py STRACE_SLOWPATH STRACE_FASTPATH
"""
import re, sys
L = re.compile(r'^(\d+\.\d+) (\w+)\((.*)\) += (-?\w+)(?:.*<(\d+\.\d+)>)?')
def rows(path):
    out = []
    for line in open(path):
        m = L.match(line)
        if m:
            out.append((float(m[1]), m[2], m[3], m[4], float(m[5] or 0)))
    return out
sp, fp = rows(sys.argv[1]), rows(sys.argv[2])
opn = next(r for r in sp if r[1] == 'openat' and '.tmp.' in r[2])
tmpfd = opn[3]
conn_reads = [r for r in sp if r[1] == 'read' and r[0] < opn[0] and r[2].split(',')[0] != tmpfd]
last_read = conn_reads[-1]
conn = last_read[2].split(',')[0]
close_tmp = next(r for r in sp if r[1] == 'close' and r[2] == tmpfd and r[0] > opn[0])
fsync_tmp = next(r for r in sp if r[1] == 'fsync' and r[0] > opn[0])
ren = next(r for r in sp if r[1] == 'rename' and r[0] > opn[0])
dfs = next((r for r in sp if r[1] == 'fsync' and r[0] > ren[0]), ren)
resp = next(r for r in sp if r[1] in ('write', 'writev', 'sendto', 'sendmsg')
            and r[0] > ren[0] and r[2].split(',')[0] == conn)
# fast path: the apply is the longest gap between two of the main
# lcore's 1 ms sleeps while the slow path waited
sl = [r for r in fp if r[1] in ('clock_nanosleep', 'nanosleep')]
best = None
for a, b in zip(sl, sl[1:]):
    s, e = a[0] + a[4], b[0]
    if e > close_tmp[0] and s < ren[0] and (best is None or e - s > best[1] - best[0]):
        best = (s, e)
if best is None:
    # the apply fell inside one sleep interval (a small change): no gap
    print('fast path apply: shorter than one of its 1 ms sleeps (no gap found)')
    sys.exit(0)
fa, fb = best
inside = [r for r in fp if fa <= r[0] <= fb and r[1] not in ('clock_nanosleep', 'nanosleep')]
calls = {}
for r in inside:
    n, t = calls.get(r[1], (0, 0.0))
    calls[r[1]] = (n + 1, t + r[4])
ms = lambda x: '%.1f' % (x * 1000)
t0 = last_read[0] + last_read[4]
print('body complete -> tmp file open (parse x2, validate, flatten, canonical JSON, names): %s ms' % ms(opn[0] - t0))
print('tmp file write + fsync + close: %s ms (fsync %s)' % (ms(close_tmp[0] + close_tmp[4] - opn[0]), ms(fsync_tmp[4])))
print('slow path sends -> fast path main lcore starts (stage copy, crc, ring, <=1 ms sleep): %s ms' % ms(fa - (close_tmp[0] + close_tmp[4])))
print('fast path apply (main lcore, sleep to sleep: copy, crc, snapshot build, publish, free old): %s ms' % ms(fb - fa))
print('  syscalls inside: %s' % ', '.join('%s x%d %s ms' % (k, v[0], ms(v[1])) for k, v in sorted(calls.items(), key=lambda kv: -kv[1][1])))
if inside:
    print('  first/last syscall inside at +%s / +%s ms' % (ms(inside[0][0] - fa), ms(inside[-1][0] - fa)))
print('fast path done -> slow path sees the ack (200 us poll): %s ms' % ms(ren[0] - fb))
print('rename + directory fsync: %s ms' % ms(dfs[0] + dfs[4] - ren[0]))
print('-> answer written: %s ms' % ms(resp[0] - (dfs[0] + dfs[4])))
print('TOTAL body complete -> answer written: %s ms; body complete -> fast path generation changed: %s ms' % (ms(resp[0] - t0), ms(fb - t0)))
