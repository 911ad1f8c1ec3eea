# SPDX-License-Identifier: BSD-3-Clause
"""scripts/bench/sweep.py on made-up points (summary.json as report.py
writes it): the CSV row by row, the table, the PNG plots, and a failing
exit when a point has no figures.

    python3 tests/ops/test_sweep.py
"""
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SWEEP = os.path.normpath(os.path.join(HERE, "../../scripts/bench/sweep.py"))


def summary(fp_mpps, tp_mpps, evict=0):
    side = lambda mpps: {"mpps": mpps, "cpp": 500.0, "eff": 2400 / mpps,  # noqa: E731
                         "fwd_cpu": 0.98, "full": 0.9}
    fp = dict(side(fp_mpps), misses=10.0, inserts=10.0, evict=float(evict), fallback=0.0)
    return {"established": {"fastpath": fp, "testpmd": side(tp_mpps),
                            "ratio": fp_mpps / tp_mpps, "fastpath_rounds": 1,
                            "testpmd_rounds": 1}}


class SweepTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.out = self.tmp.name

    def tearDown(self):
        self.tmp.cleanup()

    def point(self, flows, size, s):
        d = os.path.join(self.out, "points", f"flows-{flows}-size-{size}")
        os.makedirs(d)
        if s is not None:
            with open(os.path.join(d, "summary.json"), "w") as f:
                json.dump(s, f)

    def run_sweep(self, *args):
        return subprocess.run([sys.executable, SWEEP, self.out, *args], capture_output=True,
                              text=True, timeout=120)

    def test_csv_table_plots(self):
        self.point(1000, 64, summary(4.0, 8.0))
        self.point(1, 64, summary(5.0, 8.0))
        self.point(1000000, 1500, summary(1.5, 1.6, evict=12345))
        r = self.run_sweep()
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(self.out, "sweep.csv")) as f:
            rows = list(csv.DictReader(f))
        self.assertEqual([(r["flows"], r["size"]) for r in rows],
                         [("1", "64"), ("1000", "64"), ("1000000", "1500")])
        self.assertEqual(float(rows[1]["fp_mpps"]), 4.0)
        self.assertEqual(float(rows[1]["tp_mpps"]), 8.0)
        self.assertEqual(float(rows[1]["ratio"]), 0.5)
        self.assertEqual(float(rows[1]["fp_all_cpp"]), 600.0)
        self.assertEqual(float(rows[2]["ct_evictions"]), 12345)
        self.assertIn("| 1000 | 64 | 4.000 | 8.000 | 0.50 | 600 / 500 | 300 / 500 | 98/98 | 10 | 0 |",
                      r.stdout)
        if shutil.which("gnuplot") is None:
            self.fail("gnuplot not installed (scripts/setup.sh installs gnuplot-nox)")
        for png in ("rate.png", "cycles.png"):
            with open(os.path.join(self.out, png), "rb") as f:
                self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n", png)

    def test_missing_point_fails(self):
        self.point(1, 64, summary(5.0, 8.0))
        self.point(1000, 64, None)
        r = self.run_sweep("--no-plots")
        self.assertEqual(r.returncode, 1)
        self.assertIn("no figures for 1000 flows x 64 B", r.stderr)
        self.assertIn("| 1000 | 64 | - | - |", r.stdout)

    def test_no_points(self):
        os.makedirs(os.path.join(self.out, "points"))
        r = self.run_sweep()
        self.assertEqual(r.returncode, 1)
        self.assertIn("no points", r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
