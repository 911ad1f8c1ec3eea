# SPDX-License-Identifier: BSD-3-Clause
"""scripts/nic-setup against fake sysfs trees (tests/ops/fake_sysfs.py),
with stand-ins for ip, modprobe and dpdk-devbind.py that answer from
files and record their calls; then once, read-only, on this machine: a
dry run must refuse the interface of the default route.

    python3 tests/ops/test_nic_setup.py [path/to/nic-setup]
"""
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import fake_sysfs  # noqa: E402

NIC_SETUP = os.path.join(HERE, "../../scripts/nic-setup")

HP = {1048576: (0, 0), 2048: (0, 0)}
SERVER = {
    "cpus": 4, "nodes": {0: [0, 1], 1: [2, 3]},
    "hugepages": {0: HP, 1: HP},
    "nics": [
        {"pci": "0000:01:00.0", "node": 0, "driver": "igb", "name": "eno1"},
        {"pci": "0000:81:00.0", "node": 1, "driver": "ixgbe", "name": "ens1f0"},
        {"pci": "0000:81:00.1", "node": 1, "driver": "ixgbe", "name": "ens1f1"},
        {"pci": "0000:82:00.0", "node": 1, "driver": "ixgbe", "name": "ens2"},
        {"pci": "0000:af:00.0", "node": 1, "driver": "vfio-pci", "name": None},
    ],
}

# What the stand-in `ip` answers: a default route over eno1, an address on
# ens1f0, ens2 in a bridge; ens1f1 is free.
IP_STUB = r"""#!/bin/bash
d=$(dirname "$0")
echo "ip $*" >>"$d/calls"
case "$*" in
"route show default") echo "default via 192.168.1.1 dev eno1 proto static" ;;
"-6 route show default") ;;
"-o addr show dev ens1f0") echo "3: ens1f0    inet 10.0.0.5/24 brd 10.0.0.255 scope global ens1f0" ;;
"-o addr show dev ens1f1") echo "4: ens1f1    inet6 fe80::1/64 scope link" ;;
"-o link show dev ens2") echo "5: ens2: <UP> mtu 1500 master br0 state UP" ;;
esac
exit 0
"""
RECORD_STUB = """#!/bin/bash
echo "$(basename "$0") $*" >>"$(dirname "$0")/calls"
"""


class NicSetupTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.root = os.path.join(self.tmp.name, "root")
        self.bin = os.path.join(self.tmp.name, "bin")
        os.makedirs(self.bin)
        for name, text in (("ip", IP_STUB), ("modprobe", RECORD_STUB),
                           ("dpdk-devbind.py", RECORD_STUB)):
            path = os.path.join(self.bin, name)
            with open(path, "w") as f:
                f.write(text)
            os.chmod(path, 0o755)

    def tearDown(self):
        self.tmp.cleanup()

    def run_setup(self, spec, *args):
        fake_sysfs.build(self.root, spec)
        env = dict(os.environ, PATH=self.bin + ":" + os.environ["PATH"])
        env.pop("DPDK_DEVBIND", None)
        return subprocess.run(["bash", NIC_SETUP, "--sysfs-root", self.root, *args],
                              capture_output=True, text=True, timeout=30, env=env)

    def calls(self, prog):
        try:
            with open(os.path.join(self.bin, "calls")) as f:
                return [line.strip() for line in f if line.startswith(prog + " ")]
        except OSError:
            return []

    def rd(self, rel):
        with open(os.path.join(self.root, rel)) as f:
            return f.read().strip()

    def test_refuses_default_route_by_name_and_pci(self):
        for dev in ("eno1", "0000:01:00.0", "01:00.0"):
            for dry in ((), ("--dry-run",)):
                r = self.run_setup(SERVER, *dry, "--bind", dev)
                self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
                self.assertIn("refused", r.stderr)
                self.assertIn("eno1 carries the default route", r.stderr)
                self.tearDown()
                self.setUp()
        self.assertEqual(self.calls("dpdk-devbind.py"), [])

    def test_refuses_address_in_use(self):
        r = self.run_setup(SERVER, "--bind", "ens1f0")
        self.assertEqual(r.returncode, 1)
        self.assertIn("ens1f0 has address(es) in use: 10.0.0.5/24", r.stderr)
        self.assertEqual(self.calls("dpdk-devbind.py"), [])

    def test_refuses_bridge_member(self):
        r = self.run_setup(SERVER, "--bind", "ens2")
        self.assertEqual(r.returncode, 1)
        self.assertIn("ens2 is a member of br0", r.stderr)

    def test_binds_a_free_nic_with_iommu(self):
        r = self.run_setup(dict(SERVER, iommu=True), "--bind", "ens1f1")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.calls("dpdk-devbind.py"),
                         ["dpdk-devbind.py --bind=vfio-pci 0000:81:00.1"])
        self.assertNotIn("WARNING", r.stderr)
        self.assertEqual(self.calls("modprobe"), [])  # vfio-pci already loaded

    def test_noiommu_only_when_no_iommu(self):
        spec = dict(SERVER, vfio_module=True)
        r = self.run_setup(spec, "--bind", "ens1f1")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("no-IOMMU mode", r.stderr)
        self.assertEqual(self.rd("sys/module/vfio/parameters/enable_unsafe_noiommu_mode"), "1")
        self.assertEqual(self.calls("dpdk-devbind.py"),
                         ["dpdk-devbind.py --bind=vfio-pci 0000:81:00.1"])

    def test_loads_vfio_when_missing(self):
        spec = dict(SERVER, iommu=True, nics=SERVER["nics"][:4])
        r = self.run_setup(spec, "--bind", "0000:81:00.1")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.calls("modprobe"), ["modprobe vfio-pci"])

    def test_dry_run_changes_nothing(self):
        spec = dict(SERVER, vfio_module=True)
        r = self.run_setup(spec, "--dry-run", "--bind", "ens1f1", "--hugepages-2m", "256")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("would: bind ens1f1 (0000:81:00.1, now ixgbe) to vfio-pci", r.stdout)
        self.assertIn("would: write 1 to /sys/module/vfio/parameters/enable_unsafe_noiommu_mode",
                      r.stdout)
        self.assertIn("would: write 256 to /sys/devices/system/node/node1/hugepages/"
                      "hugepages-2048kB/nr_hugepages", r.stdout)
        self.assertEqual(self.calls("dpdk-devbind.py"), [])
        self.assertEqual(self.rd("sys/module/vfio/parameters/enable_unsafe_noiommu_mode"), "N")
        self.assertEqual(self.rd("sys/devices/system/node/node1/hugepages/hugepages-2048kB/"
                                 "nr_hugepages"), "0")

    def test_hugepages_per_node(self):
        r = self.run_setup(SERVER, "--hugepages-2m", "128", "--node", "1",
                           "--hugepages-1g", "2")
        self.assertEqual(r.returncode, 0, r.stderr)
        hp = "sys/devices/system/node/node{}/hugepages/hugepages-{}kB/nr_hugepages"
        self.assertEqual(self.rd(hp.format(1, 2048)), "128")
        self.assertEqual(self.rd(hp.format(0, 2048)), "0")
        self.assertEqual(self.rd(hp.format(1, 1048576)), "2")
        self.assertIn("node 1: 128 x 2 MiB reserved", r.stdout)

    def test_no_1g_pages(self):
        spec = dict(SERVER, hugepages={0: {2048: (0, 0)}, 1: {2048: (0, 0)}})
        r = self.run_setup(spec, "--hugepages-1g", "1")
        self.assertEqual(r.returncode, 1)
        self.assertIn("no 1 GiB pages", r.stderr)

    def test_unbind_dpdk_device(self):
        r = self.run_setup(SERVER, "--unbind", "0000:af:00.0")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.calls("dpdk-devbind.py"), ["dpdk-devbind.py -u 0000:af:00.0"])

    def test_status(self):
        r = self.run_setup(SERVER)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("nic 0000:01:00.0 driver igb node 0 eno1: eno1 carries the default route",
                      r.stdout)
        self.assertIn("nic 0000:81:00.1 driver ixgbe node 1 ens1f1: free to bind", r.stdout)
        self.assertIn("nic 0000:af:00.0 driver vfio-pci node 1", r.stdout)
        self.assertIn("IOMMU: none", r.stdout)

    def test_errors_name_the_field(self):
        for args, text in ((["--hugepages-2m", "x"], "--hugepages-2m: 'x'"),
                           (["--node", "7", "--hugepages-2m", "1"], "--node 7: no such NUMA node"),
                           (["--bind", "eth9"], "eth9: no such interface"),
                           (["--bind", "0000:99:00.0"], "0000:99:00.0: no such PCI device"),
                           (["--bind", "lo"], "lo: a virtual interface"),
                           (["--driver", "Bad!"], "--driver: 'Bad!'"),
                           (["--frobnicate"], "unknown option '--frobnicate'")):
            r = self.run_setup(SERVER, *args)
            self.assertEqual(r.returncode, 1, args)
            self.assertIn(text, r.stderr)
            self.tearDown()
            self.setUp()

    def test_this_machine_refuses_default_route(self):
        """Read-only: a dry run on the real machine refuses its default-route interface."""
        out = subprocess.run(["ip", "route", "show", "default"], capture_output=True,
                             text=True).stdout.split()
        if "dev" not in out:
            self.skipTest("this machine has no default route")
        ifc = out[out.index("dev") + 1]
        if not os.path.exists(f"/sys/class/net/{ifc}/device"):
            self.skipTest(f"the default route's {ifc} is virtual")
        r = subprocess.run(["bash", NIC_SETUP, "--dry-run", "--bind", ifc],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn(f"{ifc} carries the default route", r.stderr)
        self.assertNotIn("would: bind", r.stdout)


if __name__ == "__main__":
    if len(sys.argv) > 1 and not sys.argv[1].startswith("-"):
        NIC_SETUP = sys.argv.pop(1)
    unittest.main(verbosity=2)
