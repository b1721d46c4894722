#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Accelerated networking, VF present at probe: the simulator (--vf) gives NIC 0 a VF, a veth
pair in a namespace the test made, the guest end with the NIC's MAC. hvnet finds it by MAC,
probes it (net_af_packet), owns it and switches the data path: io forwarding of generated
frames then goes over the VF both ways, byte-exact, and the per-path counters of both sides
agree. Receive modes, stats and stop/start while the VF is attached; VF use disabled (vf=0)
leaves everything on the synthetic path as before."""
import os
import re
import shutil
import subprocess

import time

from simtest import (GEN_RINGS, Run, TestFailure, TestSkip, check, check_eq, check_gen, log,
                     nic_total, parse_kv, run_test)

NS = "hvt-vf-%d" % os.getpid()
COUNT = 4000


def xstats(r, port=0):
    out = r.cmd("show port xstats %d" % port)
    return {k: int(v) for k, v in re.findall(r"^\s*(\w+):\s+(\d+)\s*$", out, re.M)}


def vf_line(r):
    """The host's 'vf nic=0 ...' counters, from the control 'stats' reply."""
    text = r.ctl("stats")
    m = re.search(r"vf nic=0 (.*)", text)
    check(m is not None, "no 'vf nic=0' line in the host's stats:\n%s" % text)
    return {k: int(v) for k, v in parse_kv(m.group(1)).items()}


def sent_back(r):
    """Frames the guest sent, over both paths."""
    return nic_total(r.sim_stats(), "from_guest_frames") + vf_line(r)["from_vf_frames"]


def run_gen(r, count, timeout=90, quiet=3.0):
    """simtest.run_gen counting what comes back over the VF too."""
    base = sent_back(r)
    r.ctl("gen 0 %d:60-1514:8" % count)
    end = time.monotonic() + timeout
    last, last_change = -1, time.monotonic()
    while time.monotonic() < end:
        got = sent_back(r) - base
        if got >= count:
            return got
        if got != last:
            last, last_change = got, time.monotonic()
        elif time.monotonic() - last_change >= quiet:
            return got
        r.pump(0.2)
    raise TestFailure("generator still running after %d s" % timeout)


def wait_vf(r, want, what, timeout=20):
    """Until the host's data path is the VF (want=True) or synthetic."""
    for _ in range(int(timeout / 0.2)):
        v = vf_line(r)
        if v["datapath_vf"] == int(want):
            return v
        r.pump(0.2)
    raise TestFailure("%s: the host's data path never became %s: %r"
                      % (what, "the VF" if want else "synthetic", vf_line(r)))


def attached(extra_devargs=""):
    with Run(["--vf"], ["--forward-mode=io"] + GEN_RINGS,
             eal_opts=(["-a", "vmbus:%s" % extra_devargs] if extra_devargs else []),
             netns=NS) as r:
        v = wait_vf(r, True, "VF present at probe")
        check_eq(v["assoc_msgs"], 1, "association messages")
        r.cmd("start")
        got = run_gen(r, COUNT)
        check_eq(got, COUNT, "frames forwarded")
        r.cmd("stop")
        v = vf_line(r)
        xs = xstats(r)
        log("host vf: %r" % v)
        log("guest vf xstats: %r" % {k: xs[k] for k in xs if k.startswith("vf_")})
        # Every frame of the generator is unicast to the NIC: all of it went over the VF.
        check_eq(v["to_vf_frames"], COUNT, "frames the host sent over the VF")
        check_eq(xs["vf_rx_packets"], v["to_vf_frames"], "guest vf_rx_packets vs host")
        check_eq(xs["vf_tx_packets"], v["from_vf_frames"], "guest vf_tx_packets vs host")
        check_eq(v["from_vf_frames"], COUNT, "frames the guest sent over the VF")
        stats = r.cmd("show port stats 0")
        check(re.search(r"RX-packets:\s+%d\b" % COUNT, stats) is not None,
              "ipackets counts both paths:\n%s" % stats)
        # Receive modes and a stop/start while attached: the VF follows and comes back.
        for c in ("set promisc 0 off", "set allmulti 0 on", "set promisc 0 on"):
            r.cmd(c)
        r.cmd("port stop 0", timeout=60)
        wait_vf(r, False, "port stopped")
        r.cmd("port start 0", timeout=60)
        wait_vf(r, True, "port started again")
        r.cmd("start")
        got = run_gen(r, COUNT)
        check_eq(got, COUNT, "frames forwarded after stop/start")
        r.cmd("stop")
        r.cmd("port stop all", timeout=60)
        r.cmd("port close all", timeout=60)
        check_eq(r.mbufs_in_use(), 0, "mbufs in use after 'port close all'")
        r.quit(timeout=120)
        r.check_clean_exit(1)
        check_gen(r.wire(), 0, 2 * COUNT, "VF path")


def main():
    if shutil.which("ip") is None:
        raise TestSkip("'ip' is not installed")
    res = subprocess.run(["ip", "netns", "add", NS], capture_output=True, text=True)
    if res.returncode != 0:
        raise TestSkip("cannot create a network namespace: %s" % res.stderr.strip())
    try:
        attached()
    finally:
        subprocess.run(["ip", "netns", "delete", NS], capture_output=True)


if __name__ == "__main__":
    run_test(main)
