#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""devtools/hvnet-bind.sh against a fake sysfs and procfs tree (nothing real is written):
- status lists both synthetic NICs (not the other VMBus device) with driver, interface and
  which one carries the default route;
- --dry-run binds nothing and says what it would write;
- bind eth1: uio_hv_generic gets the NetVSC class (new_id), hv_netvsc lets the device go,
  uio_hv_generic takes it; unbind gives it back to hv_netvsc;
- bind eth0 (the default route) is refused and writes nothing, unless --force;
- a UUID that is not a synthetic NIC, and an unknown interface, are refused."""
import os
import subprocess
import sys
import tempfile

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "hvnet-bind.sh")
NETVSC = "f8615163-df3e-46c5-913f-f2d2f965ed0e"
NICS = {"eth0": "11111111-2222-3333-4444-000000000000",
        "eth1": "11111111-2222-3333-4444-000000000001"}
OTHER = "ba6163d9-04a1-4d29-b605-72e2ffb1dc7f"     # a storage device
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL: " + what)


def make_tree(root):
    sysfs, proc = os.path.join(root, "sys"), os.path.join(root, "proc")
    vmbus = os.path.join(sysfs, "bus", "vmbus")
    for drv in ("hv_netvsc", "uio_hv_generic", "hv_storvsc"):
        os.makedirs(os.path.join(vmbus, "drivers", drv))
        for f in ("bind", "unbind", "new_id"):
            open(os.path.join(vmbus, "drivers", drv, f), "w").close()
    os.makedirs(os.path.join(sysfs, "class", "net"))
    devices = dict(NICS, storage=OTHER)
    for name, uuid in devices.items():
        dev = os.path.join(vmbus, "devices", uuid)
        os.makedirs(dev)
        with open(os.path.join(dev, "class_id"), "w") as f:
            f.write("{%s}\n" % (NETVSC if name != "storage" else
                                "ba6163d9-04a1-4d29-b605-72e2ffb1dc7f"))
        drv = "hv_netvsc" if name != "storage" else "hv_storvsc"
        os.symlink("../../drivers/" + drv, os.path.join(dev, "driver"))
        if name != "storage":
            os.makedirs(os.path.join(dev, "net", name))
            os.makedirs(os.path.join(sysfs, "class", "net", name))
            os.symlink("../../../bus/vmbus/devices/" + uuid,
                       os.path.join(sysfs, "class", "net", name, "device"))
    os.makedirs(os.path.join(proc, "net"))
    with open(os.path.join(proc, "net", "route"), "w") as f:
        f.write("Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\t"
                "Window\tIRTT\n"
                "eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
                "eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"
                "eth1\t00336433\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n")
    return sysfs, proc, vmbus


def read(path):
    with open(path) as f:
        return f.read().strip()


def clear(vmbus):
    for drv in os.listdir(os.path.join(vmbus, "drivers")):
        for f in ("bind", "unbind", "new_id"):
            open(os.path.join(vmbus, "drivers", drv, f), "w").close()


def writes(vmbus):
    out = {}
    for drv in sorted(os.listdir(os.path.join(vmbus, "drivers"))):
        for f in ("bind", "unbind", "new_id"):
            v = read(os.path.join(vmbus, "drivers", drv, f))
            if v:
                out["%s/%s" % (drv, f)] = v
    return out


def bind(sysfs, proc, *args):
    p = subprocess.run(["sh", SCRIPT, "--sysfs", sysfs, "--proc", proc] + list(args),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=30)
    return p.returncode, p.stdout


def main():
    with tempfile.TemporaryDirectory() as root:
        sysfs, proc, vmbus = make_tree(root)
        rc, out = bind(sysfs, proc, "status")
        check(rc == 0, "status exit %d" % rc)
        check("%s driver=hv_netvsc interface=eth0  (default route)" % NICS["eth0"] in out,
              "status line of eth0:\n" + out)
        check("%s driver=hv_netvsc interface=eth1 \n" % NICS["eth1"] in out + "\n",
              "status line of eth1:\n" + out)
        check(OTHER not in out, "status lists a device that is no NIC:\n" + out)

        rc, out = bind(sysfs, proc, "--dry-run", "bind", "eth1")
        check(rc == 0 and writes(vmbus) == {}, "dry-run wrote %r (exit %d)" % (writes(vmbus), rc))
        check("would write %s > %s/drivers/uio_hv_generic/bind" % (NICS["eth1"], vmbus) in out,
              "dry-run does not say what it would bind:\n" + out)

        rc, out = bind(sysfs, proc, "bind", "eth1")
        want = {"uio_hv_generic/new_id": NETVSC, "hv_netvsc/unbind": NICS["eth1"],
                "uio_hv_generic/bind": NICS["eth1"]}
        check(rc == 0 and writes(vmbus) == want, "bind eth1 wrote %r (exit %d), expected %r:\n%s"
              % (writes(vmbus), rc, want, out))
        clear(vmbus)

        rc, out = bind(sysfs, proc, "bind", "eth0")
        check(rc != 0 and "default route" in out and writes(vmbus) == {},
              "bind eth0 (default route) not refused (exit %d, wrote %r):\n%s"
              % (rc, writes(vmbus), out))
        rc, out = bind(sysfs, proc, "--force", "bind", NICS["eth0"])
        check(rc == 0 and writes(vmbus).get("uio_hv_generic/bind") == NICS["eth0"],
              "bind --force eth0 wrote %r (exit %d):\n%s" % (writes(vmbus), rc, out))
        clear(vmbus)

        # The device now on uio_hv_generic: unbind gives it back to hv_netvsc.
        dev = os.path.join(vmbus, "devices", NICS["eth1"])
        os.remove(os.path.join(dev, "driver"))
        os.symlink("../../drivers/uio_hv_generic", os.path.join(dev, "driver"))
        rc, out = bind(sysfs, proc, "unbind", NICS["eth1"])
        want = {"uio_hv_generic/unbind": NICS["eth1"], "hv_netvsc/bind": NICS["eth1"]}
        check(rc == 0 and writes(vmbus) == want, "unbind wrote %r (exit %d), expected %r"
              % (writes(vmbus), rc, want))
        clear(vmbus)

        for bad in (OTHER, "eth9"):
            rc, out = bind(sysfs, proc, "bind", bad)
            check(rc != 0 and writes(vmbus) == {}, "bind %s not refused (exit %d, wrote %r)"
                  % (bad, rc, writes(vmbus)))
    if failures:
        return 1
    print("ok: status, dry-run, bind, refusal of the default-route NIC, --force, unbind, "
          "bad NICs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
