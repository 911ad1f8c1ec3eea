# SPDX-License-Identifier: BSD-3-Clause
"""docs/tuning.md explains every counter: each name in the fast path's
counter lists (fastpath/abi/ep_abi.h: worker counters, drop reasons, per
port / service / backend counters) and the API server's counters
(HTTP_STATS in slowpath/) and the health checks' counters (HEALTH_STATS)
appears in it. Adding a counter without saying
what it means when it grows fails here.

    python3 tests/ops/test_docs_counters.py
"""
import os
import re
import unittest

SRC = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "../.."))


def macro_body(text, name):
    m = re.search(rf"#define {name}\(X\)((?:.*\\\n)*.*)", text)
    if not m:
        raise AssertionError(f"#define {name}(X) not found")
    return m.group(1)


def find_file(top, pattern):
    for d, _, files in os.walk(os.path.join(SRC, top)):
        for f in files:
            if f.endswith((".h", ".c")):
                p = os.path.join(d, f)
                with open(p) as fh:
                    if pattern in fh.read():
                        return p
    raise AssertionError(f"'{pattern}' not found under {top}/")


class DocsCountersTest(unittest.TestCase):
    def setUp(self):
        with open(os.path.join(SRC, "docs/tuning.md")) as f:
            self.doc = f.read()

    def missing(self, names):
        return [n for n in names if not re.search(rf"\b{re.escape(n)}\b", self.doc)]

    def test_fast_path_counters(self):
        with open(find_file("fastpath", "#define EP_WORKER_COUNTERS(X)")) as f:
            abi = f.read()
        names = []
        for macro in ("EP_WORKER_COUNTERS", "EP_DROP_REASONS"):
            names += re.findall(r'X\(\w+, "(\w+)"\)', macro_body(abi, macro))
        self.assertGreater(len(names), 50)
        for macro, prefix in (("EP_PORT_COUNTERS", "edgepath_port_"),
                              ("EP_SVC_COUNTERS", "edgepath_service_"),
                              ("EP_BE_COUNTERS", "edgepath_backend_")):
            fields = re.findall(r'X\(\w+, \w+, "(\w+)", EP_KIND_(\w+)', macro_body(abi, macro))
            self.assertTrue(fields, macro)
            for name, kind in fields:
                names.append(prefix + name + ("_total" if kind == "COUNTER" else ""))
        self.assertEqual(self.missing(names), [])

    def test_api_counters(self):
        with open(find_file("slowpath", "#define HTTP_STATS(X)")) as f:
            fields = re.findall(r"X\((\w+)\)", macro_body(f.read(), "HTTP_STATS"))
        self.assertGreater(len(fields), 5)
        self.assertEqual(self.missing([f"edgepath_api_{n}_total" for n in fields]), [])

    def test_health_counters(self):
        with open(find_file("slowpath", "#define HEALTH_STATS(X)")) as f:
            fields = re.findall(r"X\((\w+)\)", macro_body(f.read(), "HEALTH_STATS"))
        self.assertGreater(len(fields), 5)
        self.assertEqual(self.missing([f"edgepath_health_{n}_total" for n in fields]), [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
