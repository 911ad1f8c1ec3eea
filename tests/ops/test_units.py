# SPDX-License-Identifier: BSD-3-Clause
"""The systemd units in scripts/systemd/ with an environment file that
scripts/cpu-plan --env writes on this machine:

  - systemd-analyze verify of both units (binaries pointed at the build
    tree) prints nothing: no unknown key, no bad value;
  - the restart policy: the slow path Restart=on-failure, the fast path
    Restart=no;
  - ExecStart of both, expanded as systemd expands it ($VAR: split at
    whitespace, ${VAR}: one word), is started for real (net_null port,
    hugepages, own --file-prefix): the slow path attaches and applies the
    pktgen runs' sample configuration (scripts/pktgen/edgepath-bench.json),
    which the API then lists over the configured unix socket; the slow path is killed (SIGKILL, what
    Restart=on-failure answers) and its ExecStart run again re-attaches;
    the fast path's ExecStopPost then removes its prefix's files.

As root, under the test lock (hugepages). Every process is stopped by PID.

    python3 tests/ops/test_units.py BUILD_DIR
"""
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.normpath(os.path.join(HERE, "../.."))
UNITS = os.path.join(SRC, "scripts/systemd")
BUILD = os.path.join(SRC, "build")
PREFIX = "epunit"


def unit_values(path, key):
    with open(path) as f:
        return [line.split("=", 1)[1].strip() for line in f
                if line.startswith(key + "=")]


def read_env(path):
    env = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            k, _, v = line.partition("=")
            env[k] = shlex.split(v)[0] if v.startswith('"') else v
    return env


def expand(cmdline, env):
    """systemd's ExecStart expansion for the forms the units use."""
    out = []
    for word in shlex.split(cmdline):
        m = re.fullmatch(r"\$([A-Za-z_][A-Za-z0-9_]*)", word)
        if m:
            out += env.get(m.group(1), "").split()
        else:
            out.append(re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}",
                              lambda x: env.get(x.group(1), ""), word))
    return out


def wait_for(what, seconds, fn):
    end = time.time() + seconds
    while time.time() < end:
        if fn():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {seconds} s waiting for {what}")


class UnitsTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.procs = []
        self.sock = os.path.join(self.tmp.name, "api.sock")
        self.config = os.path.join(self.tmp.name, "config.json")
        # The sample configuration of the pktgen runs, on our own socket.
        with open(os.path.join(SRC, "scripts/pktgen/edgepath-bench.json")) as f:
            config = json.load(f)
        config["api"]["listeners"] = [{"unix": self.sock}]
        with open(self.config, "w") as f:
            json.dump(config, f)
        self.env_file = os.path.join(self.tmp.name, "edgepath.env")
        r = subprocess.run(
            [sys.executable, os.path.join(SRC, "scripts/cpu-plan"), "--env",
             "--vdev", "net_null0", "--file-prefix", PREFIX, "--socket-mem-mb", "256",
             "--config", self.config], capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(self.env_file, "w") as f:
            f.write(r.stdout)
        self.env = read_env(self.env_file)
        # Copies of the units that point at the build tree and this env file.
        self.units = {}
        for name in ("edgepath-fastpath.service", "edgepath-slowpath.service"):
            with open(os.path.join(UNITS, name)) as f:
                text = f.read()
            text = text.replace("/usr/local/bin/edgepath-fastpath",
                                os.path.join(BUILD, "fastpath/edgepath-fastpath"))
            text = text.replace("/usr/local/bin/edgepath-slowpath",
                                os.path.join(BUILD, "slowpath/edgepath-slowpath"))
            text = text.replace("/etc/edgepath/edgepath.env", self.env_file)
            path = os.path.join(self.tmp.name, name)
            with open(path, "w") as f:
                f.write(text)
            self.units[name.split("-")[1].split(".")[0]] = path

    def tearDown(self):
        for p in reversed(self.procs):
            if p.poll() is None:
                p.send_signal(signal.SIGINT)
                try:
                    p.wait(15)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        self.run_stop_post()
        self.tmp.cleanup()

    def run_stop_post(self):
        for cmd in unit_values(self.units["fastpath"], "ExecStopPost"):
            subprocess.run(expand(cmd, self.env), timeout=30, env=dict(os.environ, **self.env))

    def start(self, unit, log):
        cmd = expand(unit_values(self.units[unit], "ExecStart")[0], self.env)
        with open(os.path.join(self.tmp.name, log), "w") as out:
            p = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
        self.procs.append(p)
        return p, cmd

    def log(self, name):
        with open(os.path.join(self.tmp.name, name)) as f:
            return f.read()

    def api(self, path):
        r = subprocess.run(["curl", "-s", "--max-time", "2", "--unix-socket", self.sock,
                            "http://localhost" + path], capture_output=True, text=True)
        return r.stdout if r.returncode == 0 else None

    def test_verify(self):
        r = subprocess.run(["systemd-analyze", "verify", *self.units.values()],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stderr.strip(), "")

    def test_restart_policy(self):
        self.assertEqual(unit_values(self.units["slowpath"], "Restart"), ["on-failure"])
        self.assertEqual(unit_values(self.units["fastpath"], "Restart"), ["no"])
        self.assertEqual(unit_values(self.units["slowpath"], "EnvironmentFile"), [self.env_file])

    def test_expanded_command_lines(self):
        fp = expand(unit_values(self.units["fastpath"], "ExecStart")[0], self.env)
        sp = expand(unit_values(self.units["slowpath"], "ExecStart")[0], self.env)
        self.assertEqual(fp[0], os.path.join(BUILD, "fastpath/edgepath-fastpath"))
        self.assertIn(f"--file-prefix={PREFIX}", fp)
        self.assertIn("--vdev=net_null0", fp)
        self.assertIn("--socket-mem=256", fp)
        self.assertEqual(fp.count("--"), 1)
        self.assertTrue(any(a.startswith("--lcores=0@") for a in fp))
        self.assertEqual(sp[0], os.path.join(BUILD, "slowpath/edgepath-slowpath"))
        self.assertEqual(sp[sp.index("--") + 1:], ["--config", self.config])
        self.assertIn("--proc-type=secondary", sp)
        self.assertIn(f"--file-prefix={PREFIX}", sp)

    def test_start_both_and_reattach(self):
        if os.geteuid() != 0:
            self.skipTest("needs root (hugepages)")
        fp, _ = self.start("fastpath", "fastpath.log")
        wait_for("the fast path", 60, lambda: "waiting for configuration" in self.log("fastpath.log")
                 or fp.poll() is not None)
        self.assertIsNone(fp.poll(), self.log("fastpath.log"))
        sp, _ = self.start("slowpath", "slowpath.log")
        wait_for("the API", 60, lambda: (self.api("/v1/services") or "").find('"bench"') >= 0
                 or sp.poll() is not None)
        self.assertIsNone(sp.poll(), self.log("slowpath.log"))
        # What Restart=on-failure answers: the slow path dies, systemd runs
        # the same ExecStart again, and it re-attaches to the fast path.
        sp.kill()
        sp.wait(10)
        self.assertIsNone(self.api("/v1/services"))
        sp2, _ = self.start("slowpath", "slowpath2.log")
        wait_for("the API after the restart", 60,
                 lambda: (self.api("/v1/services") or "").find('"bench"') >= 0
                 or sp2.poll() is not None)
        self.assertIsNone(sp2.poll(), self.log("slowpath2.log"))
        self.assertIsNone(fp.poll(), "the fast path died when the slow path was killed")
        stats = json.loads(self.api("/v1/stats"))
        self.assertIsInstance(stats, dict)
        sp2.send_signal(signal.SIGTERM)
        self.assertEqual(sp2.wait(20), 0, self.log("slowpath2.log"))
        fp.send_signal(signal.SIGINT)  # the unit's KillSignal
        self.assertEqual(fp.wait(30), 0, self.log("fastpath.log"))
        self.run_stop_post()
        self.assertFalse(os.path.exists(f"/var/run/dpdk/{PREFIX}"))
        self.assertEqual([f for f in os.listdir("/dev/hugepages") if f.startswith(PREFIX)], [])


if __name__ == "__main__":
    if len(sys.argv) > 1 and not sys.argv[1].startswith("-"):
        BUILD = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
