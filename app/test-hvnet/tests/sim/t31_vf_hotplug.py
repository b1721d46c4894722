#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Accelerated networking across VF removal and return. The VF first appears after the port
started (--vf-absent, then 'vf 0 add'); then it is removed and re-added in every order of
the association message and the device (the device first is a surprise removal: its veth
disappears under the guest's net_af_packet), with traffic checked on the path the host
says is in use after each change. Then 20 remove/add cycles under io forwarding of one long
generator run: traffic goes on, the frames lost are at most what was in flight at each half
of each change (message, device: the generator's window each), no crash, and no mbuf left
after stop and close. Last, the
host's own schedule (--vf-cycle) removes and adds the VF under traffic, both orders."""
import re
import time

from simtest import (GEN_RINGS, Run, check, check_eq, close_clean, in_netns, log, run_test,
                     vf_counters, vf_gen, vf_paths, wait_vf_state)

COUNT = 2000
CYCLES = 20
GEN_WINDOW = 128       # frames the generator keeps in flight (app/test-hvnet/wire.h)


def check_loss(lost, changes, what):
    """Frames lost: each change of the VF has two halves (message, device), and each can
    strand at most the generator's window (in the VF's rings, or sent into a vanishing VF)."""
    log("%s: %d frames lost over %d changes (%.1f per change)"
        % (what, lost, changes, lost / max(changes, 1)))
    check(0 <= lost <= 2 * changes * GEN_WINDOW, "%s: %d frames lost over %d changes, at "
          "most %d were in flight" % (what, lost, changes, 2 * changes * GEN_WINDOW))


def traffic(r, vf, what):
    """COUNT frames forwarded, all on the VF path (vf) or all on the synthetic one."""
    back = vf_gen(r, COUNT)
    log("%s: back synthetic %d, back over the VF %d" % (what, back[0], back[1]))
    check_eq(back, (0, COUNT) if vf else (COUNT, 0), "%s: frames back (synthetic, VF)" % what)


def change(r, verb, order):
    check(r.ctl("vf 0 %s %s" % (verb, order)).startswith("ok"), "vf 0 %s %s" % (verb, order))
    if verb == "remove":
        wait_vf_state(r, "remove " + order, device=0, offered=0, datapath_vf=0)
    else:
        wait_vf_state(r, "add " + order, device=1, offered=1, datapath_vf=1)


def scenario(ns):
    with Run(["--vf-absent"], ["--forward-mode=io"] + GEN_RINGS, netns=ns,
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
        before = vf_paths(r)
        r.ctl("gen 0 %d:60-1514:8" % total)
        for i in range(CYCLES):
            change(r, "remove", ("msg-first", "dev-first")[i % 2])
            r.pump(0.3)
            change(r, "add", ("dev-first", "msg-first")[i % 2])
            r.pump(0.3)
        end = time.monotonic() + 120
        while time.monotonic() < end and "all %d frames sent" % total not in r.stderr():
            r.pump(0.5)
        r.pump(2)
        r.cmd("stop")
        after = vf_paths(r)
        back = [a - b for a, b in zip(after, before)]
        v = vf_counters(r)
        log("under load: %d frames sent, back %d synthetic, %d over the VF; host %r"
            % (total, back[0], back[1], v))
        check(back[0] > 0 and back[1] > 0, "traffic went over both paths during the cycles")
        check_loss(total - sum(back), 2 * CYCLES, "under load")
        xs = r.cmd("show port xstats 0")
        got = [int(re.search(r"%s:\s+(\d+)" % k, xs).group(1))
               for k in ("vf_attaches", "vf_detaches")]
        check_eq(got, [CYCLES + 4, CYCLES + 3], "guest vf_attaches, vf_detaches")
        check_eq(v["switches_to_vf"], CYCLES + 4, "host: guest switches to the VF")
        # Stopped, the port holds no mbuf: GPA-direct sends made before the last switch are
        # released by later bursts or by the stop, whichever comes first.
        close_clean(r, 1, base)


def scheduled(ns):
    """--vf-cycle 1000: the host changes the VF every second (orders alternating in pairs)
    while io forwarding runs; the same bound on loss, a clean exit. The generator runs in
    chunks until the schedule made its changes: an idle machine forwards a fixed count
    before the host has changed the VF often enough."""
    chunk, sent, back = 100000, 0, (0, 0)
    with Run(["--vf", "--vf-cycle", "1000"], ["--forward-mode=io"] + GEN_RINGS, netns=ns,
             deadline=200) as r:
        r.cmd("start")
        for _ in range(20):
            got = vf_gen(r, chunk, timeout=60, quiet=3.0)
            back, sent = (back[0] + got[0], back[1] + got[1]), sent + chunk
            v = vf_counters(r)
            if v["removes"] >= 3 and v["adds"] >= 3 and v["switches_to_vf"] >= 2:
                break
        r.cmd("stop")
        v = vf_counters(r)
        log("scheduled: %d sent, back %d synthetic, %d over the VF; host %r"
            % (sent, back[0], back[1], v))
        check(v["removes"] >= 3 and v["adds"] >= 3 and v["switches_to_vf"] >= 2,
              "the schedule removed and added the VF, the guest followed")
        check(back[0] > 0 and back[1] > 0, "traffic went over both paths")
        # The first addition is the VF present at start, not a change.
        check_loss(sent - sum(back), v["adds"] - 1 + v["removes"], "scheduled")
        close_clean(r, 1)


def main():
    in_netns("vfh", scenario)
    in_netns("vfs", scheduled)


if __name__ == "__main__":
    run_test(main)
