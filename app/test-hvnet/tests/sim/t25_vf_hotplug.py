#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Accelerated networking across VF removal and return. The VF first appears after the port
started (--vf-absent, then 'vf 0 add'); then it is removed and re-added in every order of
the association message and the device (the device first is a surprise removal: its veth
disappears under the guest's net_af_packet), with traffic checked on the path the host
says is in use after each change. Then 20 remove/add cycles under io forwarding of one long
generator run: traffic goes on, the frames lost are at most what was in flight at each
switch (the generator's window), no crash, and no mbuf left after close."""
import os
import re
import shutil
import subprocess
import time

from simtest import (GEN_RINGS, Run, TestFailure, TestSkip, check, check_eq, log, nic_total,
                     parse_kv, run_test)

NS = "hvt-vfh-%d" % os.getpid()
COUNT = 2000
CYCLES = 20
GEN_WINDOW = 128       # frames the generator keeps in flight (app/test-hvnet/wire.h)


def vf_line(r):
    text = r.ctl("stats")
    m = re.search(r"vf nic=0 (.*)", text)
    check(m is not None, "no 'vf nic=0' line in the host's stats:\n%s" % text)
    return {k: int(v) for k, v in parse_kv(m.group(1)).items()}


def counts(r):
    """(frames back over synthetic, over the VF, to the guest over synthetic, over the VF)."""
    s, v = r.sim_stats(), vf_line(r)
    return (nic_total(s, "from_guest_frames"), v["from_vf_frames"],
            nic_total(s, "to_guest_frames"), v["to_vf_frames"])


def wait_state(r, what, timeout=30, **want):
    """Until the host's vf line has the values of want (device, offered, datapath_vf)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = vf_line(r)
        if all(v[k] == w for k, w in want.items()):
            return v
        r.pump(0.2)
    raise TestFailure("%s: host VF state never became %r: %r" % (what, want, vf_line(r)))


def traffic(r, vf, what):
    """COUNT frames forwarded, all on the VF path (vf) or all on the synthetic one."""
    base = counts(r)
    r.ctl("gen 0 %d:60-1514:8" % COUNT)
    end = time.monotonic() + 60
    while time.monotonic() < end:
        now = counts(r)
        if now[0] + now[1] - base[0] - base[1] >= COUNT:
            break
        r.pump(0.2)
    d = [a - b for a, b in zip(counts(r), base)]
    log("%s: back synthetic %d, back VF %d, to guest synthetic %d, to guest VF %d"
        % (what, d[0], d[1], d[2], d[3]))
    check_eq(d[0] + d[1], COUNT, "%s: frames forwarded" % what)
    check_eq((d[1], d[3]) if vf else (d[0], d[2]), (COUNT, COUNT),
             "%s: frames on the %s path" % (what, "VF" if vf else "synthetic"))


def change(r, verb, order):
    check(r.ctl("vf 0 %s %s" % (verb, order)).startswith("ok"), "vf 0 %s %s" % (verb, order))
    if verb == "remove":
        wait_state(r, "remove " + order, device=0, offered=0, datapath_vf=0)
    else:
        wait_state(r, "add " + order, device=1, offered=1, datapath_vf=1)


def scenario():
    with Run(["--vf-absent"], ["--forward-mode=io"] + GEN_RINGS, netns=NS,
             deadline=400) as r:
        base = r.mbufs_in_use()
        r.cmd("start")
        traffic(r, False, "no VF yet")
        change(r, "add", "msg-first")
        traffic(r, True, "VF added after start")
        for rm, add in (("msg-first", "dev-first"), ("dev-first", "msg-first"),
                        ("dev-first", "dev-first")):
            change(r, "remove", rm)
            traffic(r, False, "VF removed, %s" % rm)
            change(r, "add", add)
            traffic(r, True, "VF back, %s" % add)
        # Under load: one long generator run across CYCLES removals and additions.
        total = 400000
        before = counts(r)
        r.ctl("gen 0 %d:60-1514:8" % total)
        for i in range(CYCLES):
            order = ("msg-first", "dev-first")[i % 2]
            change(r, "remove", order)
            r.pump(0.3)
            change(r, "add", ("dev-first", "msg-first")[i % 2])
            r.pump(0.3)
        end = time.monotonic() + 120
        while time.monotonic() < end and "all %d frames sent" % total not in r.stderr():
            r.pump(0.5)
        r.pump(2)
        r.cmd("stop")
        after = counts(r)
        back = after[0] + after[1] - before[0] - before[1]
        v = vf_line(r)
        log("under load: %d frames sent, %d back (%d synthetic, %d VF); host %r"
            % (total, back, after[0] - before[0], after[1] - before[1], v))
        check(after[0] > before[0] and after[1] > before[1],
              "traffic went over both paths during the cycles")
        lost = total - back
        bound = 2 * CYCLES * GEN_WINDOW
        check(0 <= lost <= bound, "%d frames lost over %d switches, at most %d were in flight"
              % (lost, 2 * CYCLES, bound))
        xs = r.cmd("show port xstats 0")
        att = int(re.search(r"vf_attaches:\s+(\d+)", xs).group(1))
        det = int(re.search(r"vf_detaches:\s+(\d+)", xs).group(1))
        check_eq((att, det), (CYCLES + 4, CYCLES + 3), "guest vf_attaches, vf_detaches")
        check_eq(v["switches_to_vf"], CYCLES + 4, "host: guest switches to the VF")
        # Stopped, the port holds no mbuf: GPA-direct sends made before the last switch are
        # released by later bursts or by the stop, whichever comes first.
        r.cmd("port stop all", timeout=60)
        check_eq(r.mbufs_in_use(), base, "mbufs in use after the cycles and a stop (baseline "
                 "%d)" % base)
        r.cmd("port close all", timeout=60)
        check_eq(r.mbufs_in_use(), 0, "mbufs in use after 'port close all'")
        r.quit(timeout=120)
        r.check_clean_exit(1)


def main():
    if shutil.which("ip") is None:
        raise TestSkip("'ip' is not installed")
    res = subprocess.run(["ip", "netns", "add", NS], capture_output=True, text=True)
    if res.returncode != 0:
        raise TestSkip("cannot create a network namespace: %s" % res.stderr.strip())
    try:
        scenario()
    finally:
        subprocess.run(["ip", "netns", "delete", NS], capture_output=True)


if __name__ == "__main__":
    run_test(main)
