#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Accelerated networking, VF present at probe: the simulator (--vf) gives NIC 0 a VF, a veth
pair in a namespace the test made, the guest end with the NIC's MAC. hvnet finds it by MAC,
probes it (net_af_packet), owns it and switches the data path: io forwarding of generated
frames then goes over the VF both ways, byte-exact, and the per-path counters of guest and
host agree. Receive modes and a stop/start while the VF is attached; the VF's link going
down (its veth peer set down) and up again; no mbuf left after close."""
import re
import subprocess

from simtest import (GEN_RINGS, Run, check, check_eq, check_gen, in_netns, log, run_test,
                     vf_counters, vf_gen, wait_vf_state)

COUNT = 4000


def xstats(r, port=0):
    out = r.cmd("show port xstats %d" % port)
    return {k: int(v) for k, v in re.findall(r"^\s*(\w+):\s+(\d+)\s*$", out, re.M)}


def forward(r, what):
    r.cmd("start")
    back = vf_gen(r, COUNT)
    r.cmd("stop")
    check_eq(back, (0, COUNT), "%s: frames back (synthetic, VF)" % what)


def scenario(ns):
    with Run(["--vf"], ["--forward-mode=io"] + GEN_RINGS, netns=ns) as r:
        v = wait_vf_state(r, "VF present at probe", datapath_vf=1)
        check_eq(v["assoc_msgs"], 1, "association messages")
        forward(r, "VF present at probe")
        v, xs = vf_counters(r), xstats(r)
        log("host vf: %r" % v)
        log("guest vf xstats: %r" % {k: xs[k] for k in xs if k.startswith("vf_")})
        # Every generated frame is unicast to the NIC: all of it went over the VF.
        check_eq(v["to_vf_frames"], COUNT, "frames the host sent over the VF")
        check_eq((xs["vf_rx_packets"], xs["vf_tx_packets"]),
                 (v["to_vf_frames"], v["from_vf_frames"]), "guest vf_rx/tx_packets vs host")
        stats = r.cmd("show port stats 0")
        check(re.search(r"RX-packets:\s+%d\b" % COUNT, stats) is not None,
              "ipackets counts both paths:\n%s" % stats)
        # Receive modes and a stop/start while attached: the VF follows and comes back.
        for c in ("set promisc 0 off", "set allmulti 0 on", "set promisc 0 on"):
            r.cmd(c)
        r.cmd("port stop 0", timeout=60)
        wait_vf_state(r, "port stopped", datapath_vf=0)
        r.cmd("port start 0", timeout=60)
        wait_vf_state(r, "port started again", datapath_vf=1)
        forward(r, "after stop/start")
        # The VF's link goes down: hvnet switches back; up again: it takes the VF again.
        for state, vf in (("down", 0), ("up", 1)):
            res = subprocess.run(["ip", "netns", "exec", ns, "ip", "link", "set", "hvvf0h",
                                  state], capture_output=True, text=True)
            check_eq(res.returncode, 0, "ip link set hvvf0h %s: %s" % (state, res.stderr))
            wait_vf_state(r, "VF link %s" % state, datapath_vf=vf)
        forward(r, "after the VF's link went down and up")
        xs = xstats(r)
        check_eq((xs["vf_attaches"], xs["vf_detaches"]), (3, 2), "vf_attaches, vf_detaches")
        r.cmd("port stop all", timeout=60)
        r.cmd("port close all", timeout=60)
        check_eq(r.mbufs_in_use(), 0, "mbufs in use after 'port close all'")
        r.quit(timeout=120)
        r.check_clean_exit(1)
        check_gen(r.wire(), 0, 3 * COUNT, "VF path")


if __name__ == "__main__":
    run_test(lambda: in_netns("vf", scenario))
