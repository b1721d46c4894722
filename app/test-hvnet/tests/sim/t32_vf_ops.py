#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Accelerated networking and the ethdev operations. With the VF attached: two queues instead
of one, an MTU change and a RETA update, each followed by io forwarding over the VF, byte for
byte, the guest's vf_rx/tx_packets equal to the host's VF counters. With VF use disabled
(vf=0) beside a host that offers one: the association is only logged and every frame goes
over the synthetic path as before."""
import re

from simtest import (GEN_RINGS, Run, check, check_eq, check_gen, in_netns, log, nic_uuid,
                     run_test, vf_counters, vf_gen, wait_vf_state)

COUNT = 2000


def forward(r, vf, what, sizes="60-1514"):
    """COUNT generated frames forwarded, all over the VF path (vf) or the synthetic one."""
    r.cmd("start")
    back = vf_gen(r, COUNT, sizes)
    r.cmd("stop")
    log("%s: %d back synthetic, %d back over the VF" % (what, back[0], back[1]))
    check_eq(back, (0, COUNT) if vf else (COUNT, 0), "%s: frames back (synthetic, VF)" % what)


def restart(r, what, *cmds):
    out = r.cmd("port stop 0", timeout=60)
    for c in cmds:
        out += r.cmd(c)
    out += r.cmd("port start 0", timeout=60)
    check("rror" not in out and "failed" not in out, "%s: %s" % (what, out))
    wait_vf_state(r, what, datapath_vf=1)


def ops(ns):
    with Run(["--vf"], ["--forward-mode=io"] + GEN_RINGS, netns=ns) as r:
        wait_vf_state(r, "VF present at probe", datapath_vf=1)
        forward(r, True, "one queue")
        restart(r, "two queues", "port config all rxq 2", "port config all txq 2")
        forward(r, True, "two queues")
        restart(r, "MTU 1400", "port config mtu 0 1400")
        forward(r, True, "MTU 1400", sizes="60-1414")
        out = r.cmd("port config 0 rss reta (0,1)(1,0)")
        check("rror" not in out and "failed" not in out, "RETA update with a VF: %s" % out)
        r.cmd("clear port stats 0")
        host0 = vf_counters(r)
        forward(r, True, "after a RETA update")
        xs = r.cmd("show port xstats 0")
        got = [int(re.search(r"%s:\s+(\d+)" % k, xs).group(1))
               for k in ("vf_rx_packets", "vf_tx_packets")]
        host1 = vf_counters(r)
        check_eq(got, [host1["to_vf_frames"] - host0["to_vf_frames"],
                       host1["from_vf_frames"] - host0["from_vf_frames"]],
                 "guest vf_rx/tx_packets vs the host's VF counters")
        r.cmd("port stop all", timeout=60)
        r.cmd("port close all", timeout=60)
        check_eq(r.mbufs_in_use(), 0, "mbufs in use after 'port close all'")
        r.quit(timeout=120)
        r.check_clean_exit(1)
        check_gen(r.wire(), 0, 4 * COUNT, "ops with the VF attached")


def disabled(ns):
    eal = ["-a", "hvbus:%s,vf=0" % nic_uuid(0)]
    with Run(["--vf"], ["--forward-mode=io"] + GEN_RINGS, eal_opts=eal, netns=ns) as r:
        wait_vf_state(r, "VF offered", assoc_msgs=1)
        forward(r, False, "vf=0")
        v = vf_counters(r)
        check_eq((v["datapath_vf"], v["switches_to_vf"], v["to_vf_frames"]), (0, 0, 0),
                 "vf=0: the guest never switched")
        check(re.search(r"vf_attaches:\s+0\b", r.cmd("show port xstats 0")) is not None,
              "vf=0: vf_attaches stays 0")
        r.quit(timeout=120)
        r.check_clean_exit(1)
        check_gen(r.wire(), 0, COUNT, "vf=0")


def main():
    in_netns("vfo", ops)
    in_netns("vfd", disabled)


if __name__ == "__main__":
    run_test(main)
