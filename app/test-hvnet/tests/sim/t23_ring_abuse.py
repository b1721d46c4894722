#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""A host abusing the ring control fields (hvnet; control 'fault N pending_sz|imask', both
applied while the host is not waiting on them): pending_send_sz of the host->guest ring set to
a value no read can satisfy, an odd one, the ring size, and 8 (crossed by reads); the guest's
own interrupt_mask cleared (the host then interrupts a polling guest) and the host's set to
0xdeadbeef. The kernel played is one that never masks a channel itself (usermask). On 2 NICs
of 2 queues with io forwarding, NIC 0 faulted: every fault injected (counted), every generated
frame back byte for byte on both NICs, no crash nor stall, and what the guest did in answer
bounded: interrupts (hvnet masks a polling channel again at its next read: a few per cleared
mask) and signals (at most one per read batch: below the frames). The port then stops,
starts and forwards again, and the run ends with nothing owed and no violation."""
import re
import sys

from simtest import (GEN_RINGS, Run, check, check_eq, check_gen, log, mac_list, run_gen,
                     run_test, upstream)

NICS = 2
COUNT = 1000
FAULTS = {"pending_sz": 8, "imask": 6}


def faults(r, kind):
    """Faults of kind the host injected on NIC 0 so far (its 'fault nic=0 chan=C' lines)."""
    return len(re.findall(r"hvnet-sim: fault nic=0 chan=\d+ kind=%s " % kind, r.stderr()))


def main():
    if upstream():
        log("the ring-abuse checks are hvnet's: run with HVNET_DRIVER=hvnet")
        sys.exit(77)
    # A kernel that never masks a channel by itself (b15b7d2a1b09): only the guest bounds the
    # interrupts a host can cause by clearing its mask.
    opts = ["--nics", str(NICS), "--mac", ",".join(mac_list(NICS)), "--wire", "loop",
            "--uio-kernel", "usermask"]
    tp = ["--rxq=2", "--txq=2", "--port-topology=loop", "--forward-mode=io"] + GEN_RINGS
    sent = {0: 0, 1: 0}
    with Run(opts, tp) as r:
        r.cmd("start")
        for kind, count in FAULTS.items():
            r.ctl("fault 0 %s %d" % (kind, count))
            for _ in range(5):
                sent[0] += run_gen(r, 0, COUNT, "60-1514", flows=16)
                if faults(r, kind) >= count:
                    break
            check_eq(faults(r, kind), count, "%s faults injected on NIC 0" % kind)
            sent[1] += run_gen(r, 1, COUNT, "60-1514", flows=16)
        r.cmd("stop")
        r.cmd("port stop all", timeout=60)
        r.cmd("port start all", timeout=60)
        r.cmd("start")
        sent[0] += run_gen(r, 0, COUNT, "60-1514", flows=16)
        r.cmd("stop")
        stats = r.sim_stats()
        r.quit()
        summ = r.check_clean_exit(NICS)
        wire = r.wire()
    for nic in range(NICS):
        check_gen(wire, nic, sent[nic], "NIC %d, NIC 0 faulted" % nic)
    moved = summ[0]["to_guest_frames"] + summ[0]["from_guest_frames"]
    check_eq(summ[0]["faults"], sum(FAULTS.values()), "faults counted on NIC 0")
    # Each cleared mask may cost an interrupt or two before the next read masks it again.
    check(summ[0]["guest_interrupts"] <= 5 * FAULTS["imask"],
          "%d interrupts for %d cleared masks (%d frames): the guest left its rings unmasked"
          % (summ[0]["guest_interrupts"], FAULTS["imask"], moved))
    check(summ[0]["host_signals"] < moved // 2, "%d signals for %d frames"
          % (summ[0]["host_signals"], moved))
    log("ring abuse: %r faults, %d frames, %d interrupts, %d signals (%d unneeded); mid-run "
        "stats %r" % (FAULTS, moved, summ[0]["guest_interrupts"], summ[0]["host_signals"],
                      summ[0]["signals_unneeded"], stats[0].get("guest_interrupts")))


if __name__ == "__main__":
    run_test(main)
