#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Coexistence: Debian's testpmd autoloads upstream bus_vmbus/net_netvsc, hvnet's plugins come
with -d. Three simulated NICs; each must get exactly one port, driven by the expected driver:
- by default hvnet drives every NIC (upstream makes no port for them);
- '-b hvbus:<uuid>' leaves that NIC to upstream (one, or several).
('-a vmbus:<uuid>' cannot be used with hvnet's plugins loaded: EAL's legacy device syntax
takes the first bus that parses the name, and both buses name devices by UUID.)
In the mixed runs every port then forwards host-generated frames byte for byte (io mode), so
both drivers really own their NIC. Runs under HVNET_DRIVER=hvnet only."""
import sys

from simtest import (GEN_RINGS, Run, check_eq, check_gen, log, mac_list,
                     nic_uuid, run_gen, run_test, upstream)

NICS = 3
COUNT = 1000






def scenario(upstream_nics):
    macs = mac_list(NICS)
    want = {mac: "net_hvnet" for mac in macs}
    eal = []
    for nic in upstream_nics:
        want[macs[nic]] = "net_netvsc"
        eal += ["-b", "hvbus:" + nic_uuid(nic)]
    opts = ["--nics", str(NICS), "--mac", ",".join(macs), "--wire", "loop"]
    with Run(opts, ["--port-topology=loop", "--forward-mode=io"] + GEN_RINGS, eal_opts=eal,
             mixed=True) as r:
        got = r.port_drivers()
        check_eq(got, want, "ports and drivers with EAL %r" % (eal,))
        r.cmd("start")
        for nic in range(NICS):
            run_gen(r, nic, COUNT, "60-1514", flows=8)
        r.cmd("stop")
        r.quit()
        r.check_clean_exit(NICS)
        wire = r.wire()
    for nic in range(NICS):
        check_gen(wire, nic, COUNT, "NIC %d (%s) with EAL %r" % (nic, want[macs[nic]], eal))
    log("EAL %r: %s" % (eal, ", ".join("%s=%s" % (m, want[m]) for m in macs)))


def main():
    if upstream():
        log("coexistence needs hvnet's plugins: run with HVNET_DRIVER=hvnet")
        sys.exit(77)
    scenario([])
    scenario([1])
    scenario([0, 2])


if __name__ == "__main__":
    run_test(main)
