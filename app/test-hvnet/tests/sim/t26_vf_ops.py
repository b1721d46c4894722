#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Accelerated networking and the ethdev operations. With the VF attached: two queues instead
of one, an MTU change and a RETA update, each followed by io forwarding over the VF, byte for
byte, the guest's vf_rx_packets equal to what the host sent over the VF. With VF use
disabled (vf=0) beside a host that offers one: the association is only logged, vf_state says
'disabled', and every frame goes over the synthetic path as before."""
import os
import re
import shutil
import subprocess
import time

from simtest import (GEN_RINGS, Run, TestFailure, TestSkip, check, check_eq, check_gen, log,
                     nic_total, nic_uuid, parse_kv, run_test)

NS = "hvt-vfo-%d" % os.getpid()
COUNT = 2000


def vf_line(r):
    text = r.ctl("stats")
    m = re.search(r"vf nic=0 (.*)", text)
    check(m is not None, "no 'vf nic=0' line in the host's stats:\n%s" % text)
    return {k: int(v) for k, v in parse_kv(m.group(1)).items()}


def paths(r):
    """(frames back over synthetic, over the VF)."""
    return nic_total(r.sim_stats(), "from_guest_frames"), vf_line(r)["from_vf_frames"]


def wait_datapath(r, vf, what, timeout=20):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if vf_line(r)["datapath_vf"] == int(vf):
            return
        r.pump(0.2)
    raise TestFailure("%s: the host's data path never became %s" % (what, "VF" if vf else
                                                                       "synthetic"))


def forward(r, vf, what):
    """COUNT generated frames forwarded, all over the VF path (vf) or the synthetic one."""
    base = paths(r)
    r.cmd("start")
    r.ctl("gen 0 %d:60-1514:8" % COUNT)
    end = time.monotonic() + 60
    while time.monotonic() < end and sum(paths(r)) - sum(base) < COUNT:
        r.pump(0.2)
    r.cmd("stop")
    d = [a - b for a, b in zip(paths(r), base)]
    log("%s: %d back synthetic, %d back over the VF" % (what, d[0], d[1]))
    check_eq(d, [0, COUNT] if vf else [COUNT, 0], "%s: frames back (synthetic, VF)" % what)


def ops():
    sent = 0
    with Run(["--vf"], ["--forward-mode=io"] + GEN_RINGS, netns=NS) as r:
        wait_datapath(r, True, "VF present at probe")
        forward(r, True, "one queue")
        sent += COUNT
        r.cmd("port stop 0", timeout=60)
        r.cmd("port config all rxq 2")
        r.cmd("port config all txq 2")
        r.cmd("port start 0", timeout=60)
        wait_datapath(r, True, "two queues")
        forward(r, True, "two queues")
        sent += COUNT
        out = r.cmd("port stop 0", timeout=60)
        out += r.cmd("port config mtu 0 1400")
        out += r.cmd("port start 0", timeout=60)
        check("rror" not in out, "MTU 1400: %s" % out)
        wait_datapath(r, True, "MTU 1400")
        r.ctl("gen 0 %d:60-1414:8" % COUNT)     # frames within the new MTU
        base = paths(r)
        r.cmd("start")
        end = time.monotonic() + 60
        while time.monotonic() < end and sum(paths(r)) - sum(base) < COUNT:
            r.pump(0.2)
        r.cmd("stop")
        check_eq(paths(r)[1] - base[1], COUNT, "MTU 1400: frames back over the VF")
        sent += COUNT
        out = r.cmd("port config 0 rss reta (0,1)(1,0)")
        check("rror" not in out and "failed" not in out, "RETA update with a VF: %s" % out)
        r.cmd("clear port stats 0")
        host0 = vf_line(r)
        forward(r, True, "after a RETA update")
        sent += COUNT
        xs = r.cmd("show port xstats 0")
        got = [int(re.search(r"%s:\s+(\d+)" % k, xs).group(1))
               for k in ("vf_rx_packets", "vf_tx_packets")]
        host1 = vf_line(r)
        check_eq(got, [host1["to_vf_frames"] - host0["to_vf_frames"],
                       host1["from_vf_frames"] - host0["from_vf_frames"]],
                 "guest vf_rx/tx_packets vs the host's VF counters")
        r.cmd("port stop all", timeout=60)
        r.cmd("port close all", timeout=60)
        check_eq(r.mbufs_in_use(), 0, "mbufs in use after 'port close all'")
        r.quit(timeout=120)
        r.check_clean_exit(1)
        check_gen(r.wire(), 0, sent, "ops with the VF attached")


def disabled():
    eal = ["-a", "hvbus:%s,vf=0" % nic_uuid(0)]
    with Run(["--vf"], ["--forward-mode=io"] + GEN_RINGS, eal_opts=eal, netns=NS) as r:
        r.pump(1.0)
        check_eq(vf_line(r)["assoc_msgs"], 1, "the host offered its VF")
        forward(r, False, "vf=0")
        v = vf_line(r)
        check_eq((v["datapath_vf"], v["switches_to_vf"], v["to_vf_frames"]), (0, 0, 0),
                 "vf=0: the guest never switched")
        check(re.search(r"vf_attaches:\s+0\b", r.cmd("show port xstats 0")) is not None,
              "vf=0: vf_attaches stays 0")
        r.quit(timeout=120)
        r.check_clean_exit(1)
        check_gen(r.wire(), 0, COUNT, "vf=0")


def main():
    if shutil.which("ip") is None:
        raise TestSkip("'ip' is not installed")
    res = subprocess.run(["ip", "netns", "add", NS], capture_output=True, text=True)
    if res.returncode != 0:
        raise TestSkip("cannot create a network namespace: %s" % res.stderr.strip())
    try:
        ops()
        disabled()
    finally:
        subprocess.run(["ip", "netns", "delete", NS], capture_output=True)


if __name__ == "__main__":
    run_test(main)
