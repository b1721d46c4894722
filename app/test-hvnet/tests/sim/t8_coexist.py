#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Coexistence: Debian's testpmd autoloads upstream bus_vmbus/net_netvsc, hvnet's plugins come
with -d. Three simulated NICs; each must get exactly one port, driven by the driver the rule
gives (doc/guides/nics/hvnet.rst, "Which driver takes which NIC"), whichever plugins EAL loads
first:
- by default hvnet drives every NIC (upstream makes no port for them), with hvnet's plugins
  loaded first (as -d does) and with upstream's loaded first (as a plugin folder may do);
- '-b hvbus:<uuid>' leaves that NIC to upstream (one, or several), in both orders;
- '-a hvbus:<uuid>' gives hvnet only that NIC, the others go to upstream;
- HVBUS_DISABLE=1 leaves every NIC to upstream.
('-a vmbus:<uuid>' cannot be used with hvnet's plugins loaded: EAL's legacy device syntax
takes the first bus that parses the name, and both buses name devices by UUID.)
In the mixed runs every port then forwards host-generated frames byte for byte (io mode), so
both drivers really own their NIC. Runs under HVNET_DRIVER=hvnet only."""
import os
import sys

from simtest import (GEN_RINGS, Run, check_eq, check_gen, forward_all, log, mac_list,
                     nic_uuid, run_test, upstream, upstream_plugin_args)

NICS = 3
COUNT = 1000


def scenario(upstream_nics, order="hvnet", allow=None, disable=False, count=COUNT):
    """upstream_nics: the NICs upstream must drive; the others are hvnet's. order: whose
    plugins load first. allow: -a hvbus:<uuid> for these NICs instead of -b for the others."""
    macs = mac_list(NICS)
    want = {mac: "net_hvnet" for mac in macs}
    eal = []
    for nic in upstream_nics:
        want[macs[nic]] = "net_netvsc"
        if allow is None and not disable:
            eal += ["-b", "hvbus:" + nic_uuid(nic)]
    for nic in allow or []:
        eal += ["-a", "hvbus:" + nic_uuid(nic)]
    first = upstream_plugin_args() if order == "upstream" else []
    what = "EAL %r, %s plugins first%s" % (eal, order, ", HVBUS_DISABLE=1" if disable else "")
    opts = ["--nics", str(NICS), "--mac", ",".join(macs), "--wire", "loop"]
    if disable:
        os.environ["HVBUS_DISABLE"] = "1"
    try:
        with Run(opts, ["--port-topology=loop", "--forward-mode=io"] + GEN_RINGS, eal_opts=eal,
                 eal_first=first, mixed=True) as r:
            got = r.port_drivers()
            check_eq(got, want, "ports and drivers with " + what)
            wire = forward_all(r, NICS, count)
    finally:
        os.environ.pop("HVBUS_DISABLE", None)
    for nic in range(NICS):
        check_gen(wire, nic, count, "NIC %d (%s) with %s" % (nic, want[macs[nic]], what))
    log("%s: %s" % (what, ", ".join("%s=%s" % (m, want[m]) for m in macs)))


def main():
    if upstream():
        log("coexistence needs hvnet's plugins: run with HVNET_DRIVER=hvnet")
        sys.exit(77)
    scenario([])
    scenario([1])
    scenario([0, 2])
    # The same rule when upstream's bus registers before hvbus (and so scans and probes first).
    scenario([], order="upstream", count=300)
    scenario([1], order="upstream", count=300)
    scenario([0, 2], allow=[1], count=300)
    scenario([0, 1, 2], disable=True, count=300)


if __name__ == "__main__":
    run_test(main)
