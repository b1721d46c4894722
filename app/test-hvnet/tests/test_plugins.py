#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""hvnet's two plugins load into Debian's dpdk-testpmd with -d beside the upstream
net_netvsc/bus_vmbus plugins that testpmd autoloads, register their log types, and leave
another port (net_null) working: probed and forwarding."""
import os
import subprocess
import sys


def main():
    bus, net = os.environ["HVNET_BUS_PLUGIN"], os.environ["HVNET_NET_PLUGIN"]
    cmds = "show port summary all\nstart\nstop\nquit\n"
    # EAL's debug log names each log type as it is registered ("bus.hvbus log level changed
    # from disabled to notice"), in every DPDK version; testpmd's dump_log_types left in 25.11.
    argv = ["dpdk-testpmd", "--no-huge", "-m", "256", "--no-pci", "--log-level=lib.eal:debug",
            "--file-prefix", "hvt-plug-%d" % os.getpid(), "-d", bus, "-d", net,
            "--vdev", "net_null0", "--", "-i", "--total-num-mbufs=2048"]
    try:
        res = subprocess.run(argv, input=cmds, capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        print("FAIL: testpmd did not finish within 60 s")
        return 1
    out = res.stdout + res.stderr
    problems = []
    if res.returncode != 0:
        problems.append("testpmd exit code %d" % res.returncode)
    for want in ("bus.hvbus", "pmd.net.hvnet.init", "bus.vmbus", "pmd.net.netvsc.init"):
        if "%s log level changed from disabled" % want not in out:
            problems.append("log type %s not registered" % want)
    if "net_null0    net_null" not in out:
        problems.append("net_null port not listed")
    fwd = [l for l in out.splitlines() if "RX-packets:" in l]
    if not fwd or not any(int(l.split()[1]) > 0 for l in fwd):
        problems.append("net_null port forwarded nothing")
    if problems:
        print(out)
        print("FAIL: " + "; ".join(problems))
        return 1
    print("ok: plugins loaded beside upstream ones; net_null forwarded")
    return 0


if __name__ == "__main__":
    sys.exit(main())
