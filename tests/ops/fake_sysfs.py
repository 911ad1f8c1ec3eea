# SPDX-License-Identifier: BSD-3-Clause
"""Fake sysfs/procfs trees for scripts/cpu-plan and scripts/nic-setup.

build(root, spec) writes the files those scripts read, laid out as the
kernel lays them out (relative symlinks from /sys/class/net and
/sys/bus/pci/devices into /sys/devices, msi_irqs, per-node hugepages).
A spec is a dict:

  cpus        number of CPUs (0..n-1 online)
  siblings    function cpu -> list of its SMT siblings (default: itself)
  nodes       {node: [cpus]} (default {0: all})
  hugepages   {node: {size_kb: (total, free)}}
  governor    scaling_governor of every CPU, or None: no cpufreq
  cmdline     the kernel command line
  vendor      /proc/cpuinfo vendor_id
  nics        [{"pci", "node", "driver", "name" (None: no netdev),
                "irqs": {irq: action name}}]
  default_route   interface name of the IPv4 default route, or None
  iommu       True: IOMMU groups exist, one per NIC (iommu_group links)
  vfio_module True: sys/module/vfio/parameters/enable_unsafe_noiommu_mode
"""
import os


def _write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def _link(target, link):
    os.makedirs(os.path.dirname(link), exist_ok=True)
    os.symlink(os.path.relpath(target, os.path.dirname(link)), link)


def _cpulist(cpus):
    return ",".join(str(c) for c in sorted(cpus))


def build(root, spec):
    sys_ = os.path.join(root, "sys")
    proc = os.path.join(root, "proc")
    n = spec["cpus"]
    cpus = list(range(n))
    siblings = spec.get("siblings") or (lambda c: [c])
    nodes = spec.get("nodes") or {0: cpus}
    cpu_dir = os.path.join(sys_, "devices/system/cpu")
    _write(os.path.join(cpu_dir, "online"), f"0-{n - 1}\n" if n > 1 else "0\n")
    for c in cpus:
        _write(os.path.join(cpu_dir, f"cpu{c}/topology/thread_siblings_list"),
               _cpulist(siblings(c)) + "\n")
        if spec.get("governor"):
            _write(os.path.join(cpu_dir, f"cpu{c}/cpufreq/scaling_governor"),
                   spec["governor"] + "\n")
    for node, ncpus in nodes.items():
        d = os.path.join(sys_, f"devices/system/node/node{node}")
        _write(os.path.join(d, "cpulist"), _cpulist(ncpus) + "\n")
        for kb, (total, free) in spec.get("hugepages", {}).get(node, {}).items():
            _write(os.path.join(d, f"hugepages/hugepages-{kb}kB/nr_hugepages"), f"{total}\n")
            _write(os.path.join(d, f"hugepages/hugepages-{kb}kB/free_hugepages"), f"{free}\n")
    irq_lines = []
    for nic in spec.get("nics", []):
        pci_dir = os.path.join(sys_, "devices/pci0000:00", nic["pci"])
        _write(os.path.join(pci_dir, "numa_node"), f"{nic['node']}\n")
        _write(os.path.join(pci_dir, "class"), nic.get("class", "0x020000") + "\n")
        drv = nic.get("driver")
        if drv:
            drv_dir = os.path.join(sys_, "bus/pci/drivers", drv)
            os.makedirs(drv_dir, exist_ok=True)
            _link(drv_dir, os.path.join(pci_dir, "driver"))
        _link(pci_dir, os.path.join(sys_, "bus/pci/devices", nic["pci"]))
        if spec.get("iommu"):
            group = os.path.join(sys_, "kernel/iommu_groups", nic["pci"].replace(":", "_"))
            os.makedirs(os.path.join(group, "devices"), exist_ok=True)
            _link(group, os.path.join(pci_dir, "iommu_group"))
        for irq, name in nic.get("irqs", {}).items():
            _write(os.path.join(pci_dir, "msi_irqs", str(irq)), "msix\n")
            irq_lines.append((irq, nic["pci"], name))
            _write(os.path.join(proc, f"irq/{irq}/smp_affinity_list"), f"0-{n - 1}\n")
        if nic.get("name"):
            net_dir = os.path.join(pci_dir, "net", nic["name"])
            os.makedirs(net_dir, exist_ok=True)
            _link(pci_dir, os.path.join(net_dir, "device"))
            _link(net_dir, os.path.join(sys_, "class/net", nic["name"]))
    if spec.get("vfio_module"):
        _write(os.path.join(sys_, "module/vfio/parameters/enable_unsafe_noiommu_mode"), "N\n")
    os.makedirs(os.path.join(sys_, "kernel/iommu_groups"), exist_ok=True)
    # Virtual interfaces have no device link.
    os.makedirs(os.path.join(sys_, "devices/virtual/net/lo"), exist_ok=True)
    _link(os.path.join(sys_, "devices/virtual/net/lo"), os.path.join(sys_, "class/net/lo"))
    head = "           " + "".join(f"CPU{c:<7}" for c in cpus) + "\n"
    body = "".join(f"{irq:4}: " + "0 " * n + f"PCI-MSIX-{pci} 0-edge {name}\n"
                   for irq, pci, name in sorted(irq_lines))
    _write(os.path.join(proc, "interrupts"), head + body)
    _write(os.path.join(proc, "cmdline"), spec.get("cmdline", "ro quiet") + "\n")
    _write(os.path.join(proc, "cpuinfo"),
           f"processor\t: 0\nvendor_id\t: {spec.get('vendor', 'GenuineIntel')}\n")
    route = "Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\n"
    if spec.get("default_route"):
        route += f"{spec['default_route']}\t00000000\t0102A8C0\t0003\t0\t0\t0\t00000000\n"
    _write(os.path.join(proc, "net/route"), route)
    _write(os.path.join(proc, "net/ipv6_route"), "")
    return root
