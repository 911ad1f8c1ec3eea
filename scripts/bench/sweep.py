#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The sweep's results (scripts/bench/sweep.sh): reads the summary.json of
every point (OUT/points/flows-F-size-S/, written by report.py), writes
OUT/sweep.csv, OUT/plot.gp and, with gnuplot, OUT/rate.png and
OUT/cycles.png (rate and cycles per packet against flows, the fast path
next to testpmd macswap, one line per frame size), and prints the table
(also OUT/table.md).

    sweep.py OUT [--no-plots]
"""
import csv
import json
import os
import re
import shutil
import subprocess
import sys

COLUMNS = ["flows", "size", "fp_mpps", "tp_mpps", "ratio", "fp_all_cpp", "tp_all_cpp",
           "fp_busy_cpp", "tp_busy_cpp", "fp_cpu", "tp_cpu", "fp_tx_full", "tp_tx_full",
           "ct_misses", "ct_evictions", "fp_rounds", "tp_rounds"]


def points(out):
    rows = []
    base = os.path.join(out, "points")
    for d in sorted(os.listdir(base)):
        m = re.fullmatch(r"flows-(\d+)-size-(\d+)", d)
        if not m:
            continue
        row = {"flows": int(m.group(1)), "size": int(m.group(2))}
        try:
            with open(os.path.join(base, d, "summary.json")) as f:
                s = json.load(f)["established"]
        except (OSError, KeyError, ValueError):
            s = None
        if s:
            fp, tp = s["fastpath"], s["testpmd"]
            row.update(fp_mpps=fp["mpps"], tp_mpps=tp["mpps"], ratio=s["ratio"],
                       fp_all_cpp=fp["eff"], tp_all_cpp=tp["eff"],
                       fp_busy_cpp=fp["cpp"], tp_busy_cpp=tp["cpp"],
                       fp_cpu=fp["fwd_cpu"], tp_cpu=tp["fwd_cpu"],
                       fp_tx_full=fp["full"], tp_tx_full=tp["full"],
                       ct_misses=fp.get("misses"), ct_evictions=fp.get("evict"),
                       fp_rounds=s["fastpath_rounds"], tp_rounds=s["testpmd_rounds"])
        rows.append(row)
    rows.sort(key=lambda r: (r["size"], r["flows"]))
    return rows


def fmt(v, spec):
    return "-" if v is None else format(v, spec)


def write_csv(out, rows):
    with open(os.path.join(out, "sweep.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(COLUMNS)
        for r in rows:
            w.writerow(["" if r.get(c) is None else r.get(c) for c in COLUMNS])


def table(rows):
    head = ("| flows | frame B | fast path Mpps | testpmd Mpps | ratio | fast path cyc/pkt "
            "(all / busy) | testpmd cyc/pkt (all / busy) | CPU% fp / tp | ct misses | ct evictions |")
    lines = [head, "|" + "|".join("---" for _ in range(head.count("|") - 1)) + "|"]
    for r in rows:
        pct = "/".join("-" if r.get(k) is None else f"{100 * r[k]:.0f}" for k in ("fp_cpu", "tp_cpu"))
        lines.append(
            f"| {r['flows']} | {r['size']} | {fmt(r.get('fp_mpps'), '.3f')} | "
            f"{fmt(r.get('tp_mpps'), '.3f')} | {fmt(r.get('ratio'), '.2f')} | "
            f"{fmt(r.get('fp_all_cpp'), '.0f')} / {fmt(r.get('fp_busy_cpp'), '.0f')} | "
            f"{fmt(r.get('tp_all_cpp'), '.0f')} / {fmt(r.get('tp_busy_cpp'), '.0f')} | {pct} | "
            f"{fmt(r.get('ct_misses'), '.0f')} | {fmt(r.get('ct_evictions'), '.0f')} |")
    return "\n".join(lines)


def plot(out, rows):
    sizes = sorted({r["size"] for r in rows})
    col = {c: i + 1 for i, c in enumerate(COLUMNS)}

    def series(ycol, who):
        return ", ".join(
            f"'sweep.csv' using {col['flows']}:(${col['size']} == {s} ? ${col[ycol]} : 1/0) "
            f"with linespoints {'dt 1' if who == 'edgepath' else 'dt 2'} "
            f"lc {i + 1} title '{who} {s} B'"
            for i, s in enumerate(sizes))
    gp = f"""# gnuplot script written by scripts/bench/sweep.py; run in this directory
set terminal pngcairo size 900,560 noenhanced
set datafile separator ','
set key autotitle columnhead outside right
set logscale x
set xlabel 'distinct flows'
set grid
set output 'rate.png'
set title 'forwarded rate against flows (edgepath fast path, testpmd macswap dashed)'
set ylabel 'Mpps'
set yrange [0:*]
plot {series('fp_mpps', 'edgepath')}, {series('tp_mpps', 'testpmd')}
set output 'cycles.png'
set title 'TSC cycles per forwarded packet (all cycles the forwarding thread ran)'
set ylabel 'cycles/packet'
plot {series('fp_all_cpp', 'edgepath')}, {series('tp_all_cpp', 'testpmd')}
"""
    with open(os.path.join(out, "plot.gp"), "w") as f:
        f.write(gp)
    gnuplot = shutil.which("gnuplot")
    if not gnuplot:
        return "gnuplot not found (apt-get install gnuplot-nox; scripts/setup.sh installs it): no PNG"
    r = subprocess.run([gnuplot, "plot.gp"], cwd=out, capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        return f"gnuplot failed: {r.stderr.strip()}"
    return None


def main(argv):
    if not argv or argv[0].startswith("-"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    out = argv[0]
    rows = points(out)
    if not rows:
        print(f"sweep: no points under {out}/points", file=sys.stderr)
        return 1
    write_csv(out, rows)
    t = table(rows)
    with open(os.path.join(out, "table.md"), "w") as f:
        f.write(t + "\n")
    print(t)
    if "--no-plots" not in argv:
        err = plot(out, rows)
        if err:
            print(f"sweep: {err}", file=sys.stderr)
            return 1
        print(f"sweep: {out}/sweep.csv, {out}/rate.png, {out}/cycles.png, {out}/table.md")
    failed = [r for r in rows if r.get("fp_mpps") is None or r.get("tp_mpps") is None]
    if failed:
        print("sweep: no figures for " + ", ".join(f"{r['flows']} flows x {r['size']} B"
                                               for r in failed) + " (see their logs)",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
