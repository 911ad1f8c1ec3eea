#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The forwarding benchmark's report (scripts/bench/bench.sh): per round
and as medians, the forwarded rate, busy and "all" cycles per packet of
the fast path and of testpmd macswap, their ratio, the fast path's cycles
per stage. Writes OUT/summary.txt and OUT/summary.json (the medians, for
scripts/bench/sweep.py).

    report.py OUT MODES ROUNDS
"""
import json, os, re, statistics, sys

out, modes, rounds = sys.argv[1], sys.argv[2].split(","), int(sys.argv[3])

def gen_result(d):
    try:
        for line in open(os.path.join(d, "gen.log")):
            if line.startswith("RESULT "):
                return dict(kv.split("=", 1) for kv in line.split()[1:])
    except OSError:
        pass
    return None

def tel(path):
    """The command's answer: the second JSON object on the socket."""
    try:
        text = open(path).read()
    except OSError:
        return None
    dec, i, objs = json.JSONDecoder(), 0, []
    while i < len(text):
        try:
            o, j = dec.raw_decode(text, i)
        except ValueError:
            break
        objs.append(o)
        i = j
    for o in objs:
        for k, v in o.items():
            if k.startswith("/edgepath/") and isinstance(v, dict):
                return v
    return None

STAGES = ["cycles_parse", "cycles_lookup", "cycles_pick", "cycles_rewrite", "cycles_tx"]

def fp_result(d):
    g, a, b = gen_result(d), tel(os.path.join(d, "counters-start.json")), tel(os.path.join(d, "counters-end.json"))
    if not g or not a or not b:
        return None
    dl = {k: b[k] - a[k] for k in b}
    pk = dl["busy_packets"] or 1
    r = {"mpps": float(g["rx_mpps"]), "tx_mpps": float(g["tx_mpps"]),
         "full": float(g["tx_ring_full"]), "cpp": dl["busy_cycles"] / pk,
         "pkts": dl["busy_packets"], "misses": dl["ct_misses"], "inserts": dl["ct_inserts"],
         "evict": dl["ct_evictions"], "fallback": dl["ct_stateless_fallback"]}
    staged = 0
    for s in STAGES:
        r[s] = dl[s] / pk
        staged += dl[s]
    r["rx_other"] = (dl["busy_cycles"] - staged) / pk
    da, db = tel(os.path.join(d, "drops-start.json")), tel(os.path.join(d, "drops-end.json"))
    r["drops"] = {k: db[k] - da[k] for k in db if db[k] - da[k]} if da and db else {}
    r["fwd_cpu"], r["gen_cpu"] = sched(d)
    r["mhz"] = int(g.get("tsc_mhz", 0))
    r["eff"] = effective(r)
    return r

def tp_result(d):
    g = gen_result(d)
    try:
        text = open(os.path.join(d, "testpmd.log")).read()
    except OSError:
        return None
    m = re.search(r"CPU cycles/packet=([0-9.]+) \(total cycles=(\d+) / total \w+ packets=(\d+)\) at (\d+) MHz", text)
    if not g or not m:
        return None
    fc, gc = sched(d)
    r = {"mpps": float(g["rx_mpps"]), "tx_mpps": float(g["tx_mpps"]),
            "full": float(g["tx_ring_full"]), "cpp": float(m.group(1)),
            "pkts": int(m.group(3)), "mhz": int(m.group(4)),
            "fwd_cpu": fc, "gen_cpu": gc}
    r["eff"] = effective(r)
    return r

def sched(d):
    """Shares of the window the forwarder's and the generator's threads ran."""
    try:
        a = [int(x) for x in open(os.path.join(d, "sched-start.txt")).read().split()]
        b = [int(x) for x in open(os.path.join(d, "sched-end.txt")).read().split()]
    except (OSError, ValueError):
        return None, None
    wall = b[0] - a[0]
    if wall <= 0:
        return None, None
    return (b[1] - a[1]) / wall, (b[3] - a[3]) / wall

def effective(r):
    """TSC cycles the forwarding thread ran per forwarded packet: every
    cycle it spent, busy or not (polls, ageing, the PMD, preemption inside
    a burst), so it is comparable between two forwarders."""
    if not r.get("mhz") or r.get("fwd_cpu") is None or not r["mpps"]:
        return None
    return r["mhz"] * r["fwd_cpu"] / r["mpps"]

def med(v):
    v = [x for x in v if x is not None]
    return statistics.median(v) if v else float("nan")

lines = []
medians = {}
def p(s=""):
    lines.append(s)
    print(s)

for mode in modes:
    fps, tps = [], []
    for r in range(1, rounds + 1):
        fps.append(fp_result(os.path.join(out, f"r{r}-{mode}-fastpath")))
        tps.append(tp_result(os.path.join(out, f"r{r}-{mode}-testpmd")))
    p(f"== {mode} flows")
    p("round | fast path Mpps | busy cyc/pkt | all cyc/pkt | testpmd Mpps | busy cyc/pkt | all cyc/pkt | ratio | CPU% fp/tp | TX-full fp/tp")
    p("------|---------------|--------------|-------------|--------------|--------------|-------------|-------|------------|--------------")
    ratios = []
    def pct(x):
        return f"{100 * x:3.0f}" if x is not None else "  ?"
    def n(x, w, fmt=".0f"):
        return f"{x:{w}{fmt}}" if x is not None else f"{'-':>{w}}"
    for r, (f, t) in enumerate(zip(fps, tps), 1):
        ratio = f["mpps"] / t["mpps"] if f and t and t["mpps"] else None
        ratios.append(ratio)
        fs = f"{f['mpps']:13.3f} | {f['cpp']:12.0f} | {n(f['eff'], 11)}" if f else f"{'failed':>13} | {'-':>12} | {'-':>11}"
        ts = f"{t['mpps']:12.3f} | {t['cpp']:12.0f} | {n(t['eff'], 11)}" if t else f"{'-':>12} | {'-':>12} | {'-':>11}"
        cpu = f"{pct(f and f['fwd_cpu'])}/{pct(t and t['fwd_cpu'])}"
        full = f"{f['full'] if f else float('nan'):.2f}/{t['full'] if t else float('nan'):.2f}"
        p(f"{r:5} | {fs} | {ts} | {n(ratio, 5, '.2f')} | {cpu:>10} | {full}")
    def m(key, rows):
        return med([x and x[key] for x in rows])
    p(f"median| {m('mpps', fps):13.3f} | {m('cpp', fps):12.0f} | {m('eff', fps):11.0f} | "
      f"{m('mpps', tps):12.3f} | {m('cpp', tps):12.0f} | {m('eff', tps):11.0f} | {med(ratios):5.2f} |")
    p("  Mpps: forwarded (the generator's RX rate). busy cyc/pkt: the forwarder's own count "
      "(fast path busy_cycles/busy_packets; testpmd --record-core-cycles): cycles of polls that "
      "returned packets. all cyc/pkt: TSC x share of the window the forwarding thread ran / rate. "
      "ratio: fast path / testpmd within the round. TX-full: share of the generator's TX calls "
      "the ring did not take whole (near 1: the forwarder is the bottleneck).")
    good = [f for f in fps if f]
    if good:
        p("fast path cycles/packet by stage (median over rounds): " +
          ", ".join(f"{s.replace('cycles_', '')} {med([f[s] for f in good]):.0f}"
                    for s in ["rx_other"] + STAGES))
        p("  (rx_other = busy cycles outside the timed stages: rte_eth_rx_burst, "
          "RX counters, loop)")
        last = good[-1]
        p(f"  last round: ct misses {last['misses']}, inserts {last['inserts']}, "
          f"evictions {last['evict']}, stateless {last['fallback']}, drops {last['drops'] or 'none'}")
    medians[mode] = {
        "fastpath": {k: m(k, fps) for k in ("mpps", "cpp", "eff", "fwd_cpu", "full")},
        "testpmd": {k: m(k, tps) for k in ("mpps", "cpp", "eff", "fwd_cpu", "full")},
        "ratio": med(ratios),
        "fastpath_rounds": sum(1 for f in fps if f),
        "testpmd_rounds": sum(1 for t in tps if t),
    }
    if good:
        medians[mode]["fastpath"].update({k: med([f[k] for f in good]) for k in
                                          ("misses", "inserts", "evict", "fallback")})
    mhz = [t["mhz"] for t in tps if t]
    if mhz:
        p(f"  TSC {mhz[0]} MHz")
    p()
open(os.path.join(out, "summary.txt"), "w").write("\n".join(lines) + "\n")
with open(os.path.join(out, "summary.json"), "w") as f:
    # NaN (no round succeeded) is written as null.
    json.dump(json.loads(json.dumps(medians).replace("NaN", "null")), f, indent=1)
