#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Signalling as Hyper-V does it (the simulator's default, --signals hyperv: the host sleeps on
an empty ring until the guest signals, and waits with pending_send_sz on a full one):
1. Full rings both ways, rings of 16 KiB: port 0 transmits alone into NIC 1 while port 1 is not
   polled, so the host fills NIC 1's host->guest ring and must wait (pending_send_sz) for the
   guest to read and signal; then port 1 receives what the ring and the wire's backlog hold
   (hvnet may read some earlier: its link alarm reads the primary ring of a started port).
   Once the ring was read, only the guest's signal ends the wait: the host must have waited,
   delivered, and no missed signal may be named over the next WATCH_S seconds (the watchdog's
   bound is 3 s). hvnet also shows its guest->host ring full (tx_q0_ring_full).
2. The kernel's uio write (hvnet, 4 queues): with channels without monitor id and a kernel
   whose write signals the primary alone (--uio-kernel primary, before Linux d062463edf17)
   hvnet must refuse the queues it could not signal, saying why, offer one queue, and forward
   with one; with monitor ids the same kernel is no obstacle (4 queues forward); with
   d062463edf17 (the default kernel) 4 queues forward without monitor ids.
3. --signals poll, for comparison: the host never sleeps; frames forward as before.
Every run: signals per packet logged, nothing owed, no violation."""
import re

from simtest import (GEN_RINGS, Run, check, check_eq, check_gen, fwd_phase, log, mac_list,
                     run_gen, run_test, upstream)

GEN_COUNT = 2000
RING = "16K"
WATCH_S = 4.0


def signals_per_packet(summ):
    frames = sum(s["to_guest_frames"] + s["from_guest_frames"] for s in summ.values())
    signals = sum(s["host_signals"] for s in summ.values())
    return signals / frames if frames else 0.0


def xstats(r, port):
    out = r.cmd("show port xstats %d" % port)
    return {k: int(v) for k, v in re.findall(r"^\s*(\w+):\s+(\d+)\s*$", out, re.M)}



def full_rings():
    opts = ["--nics", "2", "--mac", ",".join(mac_list(2)), "--wire", "peer", "--ring", RING]
    tp = ["--port-topology=loop"] + ([] if upstream() else ["--no-flush-rx"])
    with Run(opts, tp) as r:
        r.cmd("clear port stats all")
        fwd_phase(r, "0", "txonly", 2.0)
        fwd_phase(r, "1", "rxonly", 2.0)
        r.pump(WATCH_S)
        end = r.sim_stats()
        x0 = xstats(r, 0) if not upstream() else {}
        r.quit()
        summ = r.check_clean_exit(2)
        chans = r.channels()
    got = end[1]["to_guest_frames"]
    waits = chans[(1, 0)]["pending_waits"]
    log("NIC 1: %d frames delivered, %d waits with pending_send_sz; signals per packet %.4f"
        % (got, waits, signals_per_packet(summ)))
    check(waits >= 1, "the host never waited for room on NIC 1")
    check(got > 0, "nothing reached NIC 1")
    if not upstream():
        check(x0.get("tx_q0_ring_full", 0) > 0, "hvnet's guest->host ring was never full: %r"
              % {k: v for k, v in x0.items() if "ring" in k})


def gen_run(opts, tp, queues, what):
    """io forwarding of generated frames over `queues` queues; every queue must receive."""
    with Run(["--nics", "1", "--wire", "none"] + opts,
             tp + ["--forward-mode=io", "--port-topology=loop"] + GEN_RINGS) as r:
        r.cmd("start")
        back = run_gen(r, 0, GEN_COUNT, "60-1514", flows=64)
        out = r.cmd("stop")
        check_eq(back, GEN_COUNT, "%s: frames back" % what)
        rxq = {int(q) for q in re.findall(r"RX Port=\s*0/Queue=\s*(\d+)", out)}
        if queues > 1:
            check_eq(rxq, set(range(queues)), "%s: rx queues that received" % what)
        r.quit()
        summ = r.check_clean_exit(1)
        wire = r.wire()
    check_gen(wire, 0, GEN_COUNT, what)
    log("%s: %d frames byte for byte; signals per packet %.4f, guest interrupts %d"
        % (what, GEN_COUNT, signals_per_packet(summ), summ[0]["guest_interrupts"]))
    return summ


def old_kernel_refused():
    """No monitor ids and a uio write that reaches the primary alone: 4 queues refused."""
    what = "--no-monitor --uio-kernel primary"
    with Run(["--nics", "1", "--wire", "none", "--queues", "4", "--no-monitor",
              "--uio-kernel", "primary"], ["--rxq=4", "--txq=4"] + GEN_RINGS) as r:
        said = re.search(r"hvnet: .*subchannel \d+ has no monitor id.*d062463edf17.*"
                         r"takes 1 queue", r.out)
        check(said is not None, "%s: no hvnet line saying why 4 queues were refused:\n%s"
              % (what, r.out[-3000:]))
        info = r.port_info(0)
        check_eq(info.get("Max possible RX queues"), "1", "%s: rx queues offered after" % what)
        r.cmd("port stop 0")
        r.cmd("port config all rxq 1")
        r.cmd("port config all txq 1")
        out = r.cmd("port start 0", timeout=60)
        check("Fail" not in out, "%s: one queue refused too:\n%s" % (what, out))
        r.cmd("set fwd io")
        r.cmd("start")
        back = run_gen(r, 0, GEN_COUNT, "60-1514", flows=8)
        r.cmd("stop")
        check_eq(back, GEN_COUNT, "%s: frames back with one queue" % what)
        r.quit()
        r.check_clean_exit(1)
        wire = r.wire()
    check_gen(wire, 0, GEN_COUNT, what + ", one queue")
    log("%s: 4 queues refused with the reason, 1 queue forwards byte for byte" % what)


def main():
    full_rings()
    gen_run(["--signals", "poll"], [], 1, "--signals poll")
    if upstream():
        # 22.11 signals through the monitor page only, and its bus scan requires a device
        # monitor_id, which the kernel hides for a channel without one: see
        # doc/guides/tools/test-hvnet.rst, "What Debian's 22.11 netvsc cannot do".
        gen_run(["--queues", "4", "--uio-kernel", "primary"], ["--rxq=4", "--txq=4"], 4,
                "4 queues, monitor ids, --uio-kernel primary")
        return
    old_kernel_refused()
    gen_run(["--queues", "4", "--uio-kernel", "primary"], ["--rxq=4", "--txq=4"], 4,
            "4 queues, monitor ids, --uio-kernel primary")
    gen_run(["--queues", "4", "--no-monitor"], ["--rxq=4", "--txq=4"], 4,
            "4 queues, --no-monitor, --uio-kernel all")


if __name__ == "__main__":
    run_test(main)
