# SPDX-License-Identifier: BSD-3-Clause
"""scripts/cpu-plan against fake topologies (tests/ops/fake_sysfs.py):
every plan is asserted field by field from its --json output, and the
--env and --apply outputs are checked against the same trees.

    python3 tests/ops/test_cpu_plan.py [path/to/cpu-plan]
"""
import json
import os
import shlex
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import fake_sysfs  # noqa: E402

CPU_PLAN = os.path.join(HERE, "../../scripts/cpu-plan")

HP_1G_2M = {1048576: (0, 0), 2048: (1024, 1024)}

# One node, 8 CPUs, SMT on (CPU c and c+4 share a core), a NIC bound to
# vfio-pci and a kernel NIC with the default route, cpufreq present.
ONE_NODE_SMT = {
    "cpus": 8, "siblings": lambda c: [c % 4, c % 4 + 4],
    "hugepages": {0: HP_1G_2M}, "governor": "powersave",
    "nics": [
        {"pci": "0000:3b:00.0", "node": 0, "driver": "vfio-pci", "name": None},
        {"pci": "0000:01:00.0", "node": 0, "driver": "igb", "name": "eno1",
         "irqs": {40: "eno1-TxRx-0", 41: "eno1-TxRx-1"}},
    ],
    "default_route": "eno1",
}

# Two nodes of 8 CPUs, SMT on (c and c+8), the DPDK NIC on node 1, a
# kernel NIC on node 0.
TWO_NODES_SMT = {
    "cpus": 16, "siblings": lambda c: [c % 8, c % 8 + 8],
    "nodes": {0: [0, 1, 2, 3, 8, 9, 10, 11], 1: [4, 5, 6, 7, 12, 13, 14, 15]},
    "hugepages": {0: HP_1G_2M, 1: {1048576: (2, 2), 2048: (0, 0)}},
    "nics": [
        {"pci": "0000:af:00.0", "node": 1, "driver": "vfio-pci", "name": None},
        {"pci": "0000:af:00.1", "node": 1, "driver": "vfio-pci", "name": None},
        {"pci": "0000:18:00.0", "node": 0, "driver": "i40e", "name": "eno1",
         "irqs": {50: "i40e-eno1-TxRx-0"}},
    ],
    "default_route": "eno1",
}

# Two nodes, SMT off, CPUs 2-7 isolated, the NIC (still on its kernel
# driver) on node 1, chosen with --nic.
TWO_NODES_ISOLATED = {
    "cpus": 8, "nodes": {0: [0, 1, 2, 3], 1: [4, 5, 6, 7]},
    "hugepages": {0: HP_1G_2M, 1: HP_1G_2M},
    "cmdline": "ro quiet isolcpus=nohz,domain,2-7 nohz_full=2-7 rcu_nocbs=2-7",
    "nics": [
        {"pci": "0000:81:00.0", "node": 1, "driver": "ixgbe", "name": "ens1f0",
         "irqs": {60: "ens1f0-TxRx-0"}},
        {"pci": "0000:02:00.0", "node": 0, "driver": "igb", "name": "eno1",
         "irqs": {70: "eno1-TxRx-0"}},
    ],
    "default_route": "eno1",
}

# One node, SMT on, cores (2,6) and (3,7) isolated, no rcu_nocbs.
ONE_NODE_ISOLATED_SMT = {
    "cpus": 8, "siblings": lambda c: [c % 4, c % 4 + 4],
    "hugepages": {0: HP_1G_2M},
    "cmdline": "isolcpus=managed_irq,domain,2,3,6,7 nohz_full=2,3,6,7 quiet",
    "nics": [{"pci": "0000:3b:00.0", "node": 0, "driver": "vfio-pci", "name": None}],
}

# Isolated CPUs on node 0 while the NIC sits on node 1.
ISOLATED_WRONG_NODE = {
    "cpus": 8, "nodes": {0: [0, 1, 2, 3], 1: [4, 5, 6, 7]},
    "hugepages": {0: HP_1G_2M, 1: HP_1G_2M},
    "cmdline": "isolcpus=1-3 nohz_full=1-3",
    "nics": [{"pci": "0000:81:00.0", "node": 1, "driver": "vfio-pci", "name": None}],
}

# This machine: 2 CPUs, one node, a virtio NIC without a NUMA node that
# carries the default route, 512 x 2 MiB, no cpufreq.
TWO_CPUS = {
    "cpus": 2, "hugepages": {0: {1048576: (0, 0), 2048: (512, 512)}},
    "vendor": "AuthenticAMD", "cmdline": "console=ttyS0 quiet -- --init-arg isolcpus=1",
    "nics": [{"pci": "0000:00:03.0", "node": -1, "driver": "virtio-pci", "name": "eth0",
              "irqs": {37: "virtio2-config", 38: "virtio2-input.0", 39: "virtio2-output.0"}}],
    "default_route": "eth0",
}


class CpuPlanTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.tmp.cleanup()

    def tree(self, spec):
        return fake_sysfs.build(self.tmp.name, spec)

    def run_plan(self, spec, *args, expect_rc=0):
        root = self.tree(spec) if spec else self.tmp.name
        r = subprocess.run([sys.executable, CPU_PLAN, "--sysfs-root", root, *args],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, expect_rc, r.stderr + r.stdout)
        return r

    def plan(self, spec, *args):
        return json.loads(self.run_plan(spec, "--json", *args).stdout)

    def test_one_node_smt(self):
        p = self.plan(ONE_NODE_SMT)
        fp, sp = p["fastpath"], p["slowpath"]
        self.assertTrue(p["topology"]["smt"])
        self.assertEqual(p["housekeeping"], [0, 4])
        self.assertEqual(fp["node"], 0)
        self.assertEqual(fp["main_lcore"], 1)
        self.assertEqual(fp["workers"], [2, 3])
        self.assertEqual(fp["idle_siblings"], [6, 7])
        self.assertEqual(fp["lcores"], "0@1,1@2,2@3")
        self.assertEqual(fp["allow"], ["0000:3b:00.0"])
        self.assertEqual(fp["socket_mem"], "512")
        self.assertEqual(fp["eal"], ["--lcores=0@1,1@2,2@3", "--file-prefix=edgepath",
                                     "--socket-mem=512", "-a 0000:3b:00.0"])
        self.assertEqual(fp["args"], [])
        self.assertEqual(sp["cpus"], [0, 4])
        self.assertEqual(sp["eal"], ["--proc-type=secondary", "--no-pci",
                                     "--file-prefix=edgepath", "--lcores=0@0"])
        self.assertEqual(p["irq_affinity"], [
            {"irq": 40, "name": "eno1-TxRx-0", "nic": "eno1", "cpus": "0,4"},
            {"irq": 41, "name": "eno1-TxRx-1", "nic": "eno1", "cpus": "0,4"}])
        add = p["kernel_cmdline"]["add"]
        self.assertIn("isolcpus=managed_irq,domain,2-3", add)
        self.assertIn("nohz_full=2-3", add)
        self.assertIn("rcu_nocbs=2-3", add)
        self.assertIn("irqaffinity=0,4", add)
        self.assertIn("intel_iommu=on", add)
        eno1 = [n for n in p["topology"]["nics"] if n["name"] == "eno1"][0]
        self.assertTrue(eno1["default_route"])
        self.assertEqual(eno1["pci"], "0000:01:00.0")
        self.assertFalse(any("cpufreq" in c for c in p["cannot"]))

    def test_workers_limit(self):
        p = self.plan(ONE_NODE_SMT, "--workers", "1")
        self.assertEqual(p["fastpath"]["workers"], [2])
        self.assertEqual(p["fastpath"]["lcores"], "0@1,1@2")

    def test_two_nodes_nic_on_node1(self):
        p = self.plan(TWO_NODES_SMT)
        fp = p["fastpath"]
        self.assertEqual(p["topology"]["nodes"], {"0": [0, 1, 2, 3, 8, 9, 10, 11],
                                                  "1": [4, 5, 6, 7, 12, 13, 14, 15]})
        self.assertEqual(fp["node"], 1)
        self.assertEqual(fp["main_lcore"], 4)
        self.assertEqual(fp["workers"], [5, 6, 7])
        self.assertEqual(fp["idle_siblings"], [13, 14, 15])
        self.assertEqual(fp["allow"], ["0000:af:00.0", "0000:af:00.1"])
        self.assertEqual(fp["socket_mem"], "0,512")
        self.assertEqual(p["housekeeping"], [0, 8])
        self.assertEqual(p["slowpath"]["lcore_cpu"], 0)
        self.assertEqual(p["irq_affinity"], [
            {"irq": 50, "name": "i40e-eno1-TxRx-0", "nic": "eno1", "cpus": "0,8"}])
        self.assertEqual(p["topology"]["hugepages"]["1"]["1048576kB"], {"total": 2, "free": 2})
        # 1 GiB pages exist: no boot-time hugepage parameters suggested.
        self.assertFalse(any(a.startswith("hugepages=") for a in p["kernel_cmdline"]["add"]))
        self.assertEqual(p["cannot"][0:1], [p["cannot"][0]])
        self.assertFalse(any("hugepages" in c for c in p["cannot"]))

    def test_two_nodes_isolated_nic_by_name(self):
        p = self.plan(TWO_NODES_ISOLATED, "--nic", "ens1f0")
        fp = p["fastpath"]
        self.assertFalse(p["topology"]["smt"])
        self.assertEqual(p["topology"]["isolcpus"], [2, 3, 4, 5, 6, 7])
        self.assertEqual(p["topology"]["isolcpus_flags"], ["nohz", "domain"])
        self.assertEqual(p["housekeeping"], [0, 1])
        self.assertEqual(fp["node"], 1)
        self.assertEqual(fp["main_lcore"], 4)
        self.assertEqual(fp["workers"], [5, 6, 7])
        self.assertEqual(fp["idle_siblings"], [])
        self.assertEqual(fp["allow"], ["0000:81:00.0"])
        self.assertEqual(fp["socket_mem"], "0,512")
        self.assertEqual(p["slowpath"]["cpus"], [0, 1])
        # eno1 (node 0) keeps its IRQs on housekeeping; the DPDK NIC is not listed.
        self.assertEqual(p["irq_affinity"], [
            {"irq": 70, "name": "eno1-TxRx-0", "nic": "eno1", "cpus": "0-1"}])
        add = p["kernel_cmdline"]["add"]
        self.assertFalse(any(a.startswith(("isolcpus=", "nohz_full=", "rcu_nocbs="))
                             for a in add), add)
        self.assertIn("irqaffinity=0-1", add)
        self.assertFalse(any("isolated" in c for c in p["cannot"]))

    def test_isolated_smt_one_node(self):
        p = self.plan(ONE_NODE_ISOLATED_SMT)
        fp = p["fastpath"]
        self.assertEqual(p["housekeeping"], [0, 1, 4, 5])
        self.assertEqual(fp["main_lcore"], 1)
        self.assertEqual(fp["workers"], [2, 3])
        self.assertEqual(fp["idle_siblings"], [6, 7])
        self.assertEqual(p["slowpath"]["lcore_cpu"], 0)
        add = p["kernel_cmdline"]["add"]
        self.assertIn("rcu_nocbs=2-3", add)
        self.assertIn("irqaffinity=0-1,4-5", add)
        self.assertFalse(any(a.startswith(("isolcpus=", "nohz_full=")) for a in add), add)

    def test_isolated_on_the_wrong_node(self):
        p = self.plan(ISOLATED_WRONG_NODE)
        fp = p["fastpath"]
        self.assertEqual(fp["node"], 1)
        self.assertEqual(fp["main_lcore"], 4)
        self.assertEqual(fp["workers"], [5, 6, 7])
        self.assertTrue(any("isolated CPUs are on node(s) [0]" in w for w in p["warnings"]),
                        p["warnings"])

    def test_two_cpus(self):
        p = self.plan(TWO_CPUS)
        fp = p["fastpath"]
        self.assertEqual(p["topology"]["cpus"], [0, 1])
        # isolcpus after "--" belongs to init, not the kernel.
        self.assertIsNone(p["topology"]["isolcpus"])
        self.assertEqual(p["housekeeping"], [0])
        self.assertEqual(fp["main_lcore"], 0)
        self.assertEqual(fp["workers"], [1])
        self.assertEqual(fp["allow"], [])
        self.assertIn("--no-pci", fp["eal"])
        self.assertEqual(fp["args"], ["--idle-sleep-us", "100"])
        self.assertEqual(p["slowpath"]["eal"][-1], "--lcores=0@0")
        nic = p["topology"]["nics"][0]
        self.assertEqual((nic["name"], nic["pci"], nic["node"], nic["default_route"]),
                         ("eth0", "0000:00:03.0", -1, True))
        self.assertEqual([i["irq"] for i in p["irq_affinity"]], [37, 38, 39])
        cannot = " | ".join(p["cannot"])
        self.assertIn("no NIC for the fast path", cannot)
        self.assertIn("no CPU is isolated", cannot)
        self.assertIn("no cpufreq", cannot)
        add = p["kernel_cmdline"]["add"]
        self.assertIn("iommu=pt", add)
        self.assertNotIn("intel_iommu=on", add)  # AMD
        self.assertIn("hugepages=1", add)

    def test_nic_with_default_route_warns(self):
        p = self.plan(TWO_CPUS, "--nic", "eth0")
        self.assertEqual(p["fastpath"]["allow"], ["0000:00:03.0"])
        self.assertTrue(any("carries the default route" in w for w in p["warnings"]))
        self.assertTrue(any("numa_node -1" in w for w in p["warnings"]))

    def test_vdev(self):
        p = self.plan(TWO_CPUS, "--vdev", "net_af_packet0,iface=veth1")
        self.assertIn("--vdev=net_af_packet0,iface=veth1", p["fastpath"]["eal"])
        self.assertNotIn("--no-pci", p["fastpath"]["eal"])
        self.assertFalse(any("no NIC" in c for c in p["cannot"]))

    def test_env_file(self):
        out = self.run_plan(TWO_NODES_SMT, "--env", "--config", "/etc/ep/c.json").stdout
        env = {}
        for line in out.splitlines():
            if line and not line.startswith("#"):
                k, _, v = line.partition("=")
                env[k] = shlex.split(v)[0] if v.startswith('"') else v
        self.assertEqual(env["EDGEPATH_FP_EAL"],
                         "--lcores=0@4,1@5,2@6,3@7 --file-prefix=edgepath --socket-mem=0,512 "
                         "-a 0000:af:00.0 -a 0000:af:00.1")
        self.assertEqual(env["EDGEPATH_FP_ARGS"], "")
        self.assertEqual(env["EDGEPATH_SP_EAL"],
                         "--proc-type=secondary --no-pci --file-prefix=edgepath --lcores=0@0")
        self.assertEqual(env["EDGEPATH_SP_ARGS"], "--config /etc/ep/c.json")
        self.assertEqual(env["EDGEPATH_FP_CPUS"], "4-7")
        self.assertEqual(env["EDGEPATH_HOUSEKEEPING_CPUS"], "0,8")
        self.assertEqual(env["EDGEPATH_FILE_PREFIX"], "edgepath")

    def test_apply_writes_what_it_can(self):
        root = self.tree(ONE_NODE_SMT)
        # IRQ 41's directory is gone (a hot-unplugged queue): that write fails.
        os.remove(os.path.join(root, "proc/irq/41/smp_affinity_list"))
        os.rmdir(os.path.join(root, "proc/irq/41"))
        r = subprocess.run([sys.executable, CPU_PLAN, "--sysfs-root", root, "--apply"],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)

        def rd(rel):
            with open(os.path.join(root, rel)) as f:
                return f.read().strip()
        self.assertEqual(rd("proc/irq/40/smp_affinity_list"), "0,4")
        for c in (1, 2, 3):
            self.assertEqual(rd(f"sys/devices/system/cpu/cpu{c}/cpufreq/scaling_governor"),
                             "performance")
        self.assertEqual(rd("sys/devices/system/cpu/cpu0/cpufreq/scaling_governor"), "powersave")
        self.assertIn("applied: irq 40 (eno1) -> 0,4", r.stdout)
        self.assertIn("not applied: irq 41 (eno1) -> 0,4", r.stdout)
        self.assertIn("not applied: kernel command line", r.stdout)

    def test_apply_without_cpufreq_says_so(self):
        r = self.run_plan(TWO_CPUS, "--apply")
        self.assertIn("not applied: governor of CPU 1: no cpufreq", r.stdout)

    def test_errors_name_the_field(self):
        self.tree(TWO_CPUS)
        for args, word in ((["--workers", "0"], "--workers"),
                           (["--nic", "eth9"], "--nic eth9"),
                           (["--socket-mem-mb", "1"], "--socket-mem-mb"),
                           (["--file-prefix", "a b"], "--file-prefix"),
                           (["--json", "--env"], "--json and --env")):
            r = self.run_plan(None, *args, expect_rc=2)
            self.assertIn(word, r.stderr)
        r = subprocess.run([sys.executable, CPU_PLAN, "--sysfs-root", "/nonexistent"],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 2)
        self.assertIn("--sysfs-root", r.stderr)

    def test_bad_cmdline_list(self):
        spec = dict(TWO_CPUS, cmdline="isolcpus=3-1")
        r = self.run_plan(spec, expect_rc=2)
        self.assertIn("isolcpus=", r.stderr)

    def test_real_machine_runs(self):
        """On the machine itself (read-only): a plan, and every CPU in it exists."""
        r = subprocess.run([sys.executable, CPU_PLAN, "--json"], capture_output=True,
                           text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        p = json.loads(r.stdout)
        cpus = set(p["topology"]["cpus"])
        self.assertIn(p["fastpath"]["main_lcore"], cpus)
        self.assertTrue(set(p["fastpath"]["workers"]) <= cpus)
        self.assertTrue(p["fastpath"]["workers"])


if __name__ == "__main__":
    if len(sys.argv) > 1 and not sys.argv[1].startswith("-"):
        CPU_PLAN = sys.argv.pop(1)
    unittest.main(verbosity=2)
