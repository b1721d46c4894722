#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""A hostile host at ring level, racing the guest, and on the subchannels of a multi-queue port
(hvnet; t14 and t20 have the rest). Two runs of testpmd under the simulator:
1. One NIC with 8 queues (io forwarding, loop wire, 128 KiB rings). The host over-grants
   subchannels, offers one with the id of another, one with an id beyond the count: each
   configure fails, the next one works. Data faults on one subchannel
   only (the busiest): counted under its queue's reasons exactly, all else byte for byte
   (t14's inject). Then one
   fatal ring fault on each of subchannels 1-6: a write index past the data or misaligned,
   a GPA-direct or unknown packet type, a descriptor longer than what was published, a
   wrapped packet larger than the bounce buffer: hvbus stops exactly that channel's reader
   (its log line names it), the host moves the traffic to the primary, and every frame sent
   after comes back byte for byte. The port still stops and closes, with no mbuf left.
2. One NIC sending (testpmd txonly) into 16 KiB rings. The host lets the guest's ring fill,
   so its sends fail, and completes the ids its descriptors would carry next (tx_race):
   every forgery is refused and counted (rx_q0_unknown_completion_errors equals the forgeries
   the host logged), and every frame the driver took reaches the host once. Then the host
   corrupts the read index of that ring: the guest's sends fail for good (counted as send
   errors), and the port still stops and closes without a leak."""
import re
import sys

from simtest import (GEN_RINGS, Run, check, check_eq, close_clean, log, run_gen, run_test,
                     upstream)
from t14_hostile import COUNT, SIZES, Tally, alive, faults, inject, xstats

QUEUES = 8
CTL_TIMEOUT_MS = 2000
SUB_KINDS = [
    ("range_offset", 3, "bad_range_errors", 1),
    ("rndis_len", 4, "bad_rndis_errors", 1),
    ("ppi", 3, "bad_ppi_errors", 1),
    ("range_oversize", 1, "range_oversize_errors", 1),
    ("xfer_type", 1, "bad_xfer_errors", 1),
    ("xid_field", 3, "unknown_completion_errors", 1),
]
# One fatal fault per subchannel: (kind, channel); the variants cycle in this order.
FATAL = [("windex", 1), ("windex", 2), ("pkt_type", 3), ("pkt_type", 4), ("pkt_len", 5),
         ("bounce", 6)]
RACES = 3
RACE_RE = re.compile(r"fault nic=0 chan=0 kind=tx_race forged=(\d+) full=(\d)")
STOPPED_RE = r"channel %d \(relid \d+\): malformed host ring"


def set_queues(r, n, fail=False):
    r.cmd("port stop all")
    r.cmd("port config all rxq %d" % n)
    r.cmd("port config all txq %d" % n)
    out = r.cmd("port start all", timeout=60)
    if fail:
        check("Fail" in out or "fail" in out, "configure with an over-grant did not fail:\n"
              + out)
        out = r.cmd("port start all", timeout=60)
    info = r.cmd("show port info 0")
    check("Current number of RX queues: %d" % n in info, "not %d queues:\n%s\n%s"
          % (n, out, info))


def gen_all_back(r, what):
    """A generator round in which every frame comes back, byte for byte."""
    before = r.sim_stats()[0]
    run_gen(r, 0, COUNT, SIZES, flows=16)
    after = r.sim_stats()[0]
    for k in ("gen_bad", "gen_dup", "gen_wrong_queue"):
        check_eq(after.get(k, 0), before.get(k, 0), "%s: %s" % (what, k))
    check_eq(after["gen_ok"] - before["gen_ok"], after["gen_sent"] - before["gen_sent"],
             "%s: frames back byte for byte" % what)


def multiqueue():
    opts = ["--nics", "1", "--queues", str(QUEUES), "--ring", "131072", "--wire", "loop"]
    eal = ["-a", "hvbus:f8615163-0000-4000-8000-000000000000,ctl_timeout=%d" % CTL_TIMEOUT_MS]
    tally = Tally(1)
    with Run(opts, ["--port-topology=loop", "--forward-mode=io", "--rxq=4", "--txq=4"] +
             GEN_RINGS, eal_opts=eal, deadline=200) as r:
        n0 = faults(r, "subch_grant", 0)[0]
        r.ctl("fault 0 subch_grant 1")
        set_queues(r, 2, fail=True)
        check_eq(faults(r, "subch_grant", 0)[0] - n0, 1, "subch_grant faults injected")
        # Subchannel ids: the last of 3 offered repeats the first; the one of 1 is far out.
        n0 = faults(r, "subch_id", 0)[0]
        for n in (4, 2):
            r.ctl("fault 0 subch_id 1")  # one per configure: the next one is honest
            set_queues(r, n, fail=True)
        check_eq(faults(r, "subch_id", 0)[0] - n0, 2, "subch_id faults injected")
        set_queues(r, QUEUES)
        r.cmd("start")
        gen_all_back(r, "8 queues after an over-grant and bad subchannel ids")
        xs = xstats(r, 0)
        sub = max(range(1, QUEUES), key=lambda q: xs.get("rx_q%d_good_packets" % q, 0))
        check(xs.get("rx_q%d_good_packets" % sub, 0) > 0, "no subchannel received frames")
        for kind, count, reason, per in SUB_KINDS:
            inject(r, tally, kind, count, "rx_q%d_%s" % (sub, reason), per, chan=sub)
        for kind, chan in FATAL:
            mark = len(r.out)
            n0 = faults(r, kind, 0)[0]
            r.ctl("fault 0 %s 1 %d" % (kind, chan))
            for _ in range(5):
                run_gen(r, 0, COUNT, SIZES, flows=16, quiet=1.0)
                if faults(r, kind, 0)[0] > n0:
                    break
            check_eq(faults(r, kind, 0)[0] - n0, 1, "%s faults on channel %d" % (kind, chan))
            for _ in range(50):
                if re.search(STOPPED_RE % chan, r.out[mark:]):
                    break
                run_gen(r, 0, 64, SIZES, flows=16, quiet=0.5)
            check(re.search(STOPPED_RE % chan, r.out[mark:]) is not None,
                  "%s: hvbus did not stop channel %d:\n%s" % (kind, chan, r.out[mark:][-2000:]))
            log("%s on channel %d: hvbus stopped that channel's reader" % (kind, chan))
        alive(r, 1)
        gen_all_back(r, "channels 1-6 stopped, all on the primary")
        close_clean(r, 1)
    log("subchannels: over-grant refused, data faults counted on a subchannel's queue, 6 "
        "ring faults each stopped only its channel")


def race_counts(r):
    hits = RACE_RE.findall(r.stderr())
    return len(hits), sum(int(f) for f, _ in hits), sum(int(full) for _, full in hits)


def tx_race():
    opts = ["--nics", "1", "--ring", "16384", "--wire", "none"]
    eal = ["-a", "hvbus:f8615163-0000-4000-8000-000000000000,ctl_timeout=%d" % CTL_TIMEOUT_MS]
    with Run(opts, ["--forward-mode=txonly", "--txd=512", "--rxd=512"], eal_opts=eal,
             deadline=150) as r:
        r.cmd("start")
        r.pump(1.0)
        before = xstats(r, 0)
        r.ctl("fault 0 tx_race %d" % RACES)
        for _ in range(150):
            if race_counts(r)[0] >= RACES:
                break
            r.pump(0.2)
        n, forged, full = race_counts(r)
        check_eq(n, RACES, "tx_race faults the host made")
        check(forged > 0, "the host forged no completion")
        r.pump(1.0)
        r.cmd("stop")
        r.cmd("port stop all", timeout=60)
        after = xstats(r, 0)
        check_eq(after["rx_q0_unknown_completion_errors"] -
                 before.get("rx_q0_unknown_completion_errors", 0), forged,
                 "forged completions refused (%d races, %d with the ring full)" % (n, full))
        sent = r.port_stats()[0]["TX-packets"]
        check_eq(r.sim_stats()[0]["from_guest_frames"], sent,
                 "frames the host took vs TX-packets")
        check_eq(after["tx_errors"], 0, "tx_errors with forged completions")
        log("tx_race: %d races (%d with the guest's ring full), %d forged completions all "
            "refused, %d frames sent once each" % (n, full, forged, sent))
        r.cmd("port start all", timeout=60)
        r.cmd("start")
        r.ctl("fault 0 rindex 1")
        for _ in range(50):
            if faults(r, "rindex", 0)[0] == 1 and xstats(r, 0)["tx_q0_send_errors"] > 0:
                break
            r.pump(0.2)
        check_eq(faults(r, "rindex", 0)[0], 1, "rindex faults")
        errors = xstats(r, 0)["tx_q0_send_errors"]
        check(errors > 0, "no send error after the read index was corrupted")
        close_clean(r, 1)
    log("rindex: the guest's sends refused by the bus (%d frames counted as send errors), "
        "the port closed without a leak" % errors)


def main():
    if upstream():
        log("the hostile-host checks are hvnet's: run with HVNET_DRIVER=hvnet")
        sys.exit(77)
    multiqueue()
    tx_race()


if __name__ == "__main__":
    run_test(main)
