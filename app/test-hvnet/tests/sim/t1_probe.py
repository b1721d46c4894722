#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Probe: testpmd finds both simulated NICs with the host's MAC, link up, 25 Gbps and MTU 1500,
at every NVSP version the host can be limited to; the guest exits cleanly with no violation."""

from simtest import Run, check, check_eq, log, mac_list, run_test, speed_mbps

NVSP_VERSIONS = ("6.1", "6", "5", "4", "2", "1")


def probe(nvsp):
    macs = mac_list(2, last=int(nvsp[0]))
    opts = ["--nics", "2", "--mac", ",".join(macs), "--speed", "25000", "--mtu", "1500",
            "--nvsp", nvsp, "--wire", "none"]
    with Run(opts, ["--port-topology=loop"]) as r:
        for port in range(2):
            info = r.port_info(port)
            what = "NVSP %s port %d" % (nvsp, port)
            check("MAC address" in info, "%s: 'show port info' printed no MAC:\n%r" % (what, info))
            check_eq(info["MAC address"].lower(), macs[port], what + " MAC")
            check_eq(info.get("Link status"), "up", what + " link status")
            check_eq(speed_mbps(info.get("Link speed")), 25000, what + " link speed (Mb/s)")
            check_eq(info.get("MTU"), "1500", what + " MTU")
        summ = r.cmd("show port summary all")
        check("Number of available ports: 2" in summ,
              "NVSP %s: testpmd does not see exactly 2 ports:\n%s" % (nvsp, summ))
        r.quit()
        r.check_clean_exit(2)
    log("NVSP %s: both ports probed with the right MAC, link, speed and MTU" % nvsp)


def main():
    for nvsp in NVSP_VERSIONS:
        probe(nvsp)


if __name__ == "__main__":
    run_test(main)
