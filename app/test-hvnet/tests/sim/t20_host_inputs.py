#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""A hostile host, every class of input the guest takes from it that it can survive (hvnet;
t14 has the first kinds, t21 the ring, concurrency and subchannel ones). testpmd io-forwards
host-generated frames on 2 NICs (loop wire) while the simulator corrupts what it writes for
NIC 0 (control 'fault', host_fault.c):
- transfer pages: a wrong buffer id or NVSP type, 563 ranges, a range longer than a section,
  64 overlapping ranges over the whole buffer; RNDIS data: OOB and PPI areas out of bounds or
  misaligned, PPIs shorter than their header or value, frames longer than the MTU; tx
  completions naming another queue, epoch or index; a frame's RNDIS length rewritten between
  the guest's check and use: each refused under exactly its drop reason, all else byte for
  byte (t14's inject);
- RNDIS control and NVSP messages of their own (malformed indications, unexpected completions
  and requests, bad VF and indirection-table messages): counted per port, nothing else moves;
- replies of another type, request id or status to the link queries of a port start: the
  start goes on with the last link state;
- answers at attach (an MTU change re-attaches): a short INITIALIZE_CMPLT, bad receive-buffer
  layouts and send section sizes, a MAC of the wrong size make it fail and the port stays as
  it was; a refused NVSP version, hostile aggregation limits, bad RSS and offload capabilities
  are lived with: the port takes the MTU and forwards byte for byte.
Then the data kinds again with rx_extmbuf_enable=1. Each part ends with the mbufs in use
back at their baseline; the ports still stop, start and close, with no host violation."""
import sys

from simtest import (GEN_RINGS, Run, check, check_eq, close_clean, log, mac_list, nic_uuid,
                     run_gen, run_test, upstream)
from t14_hostile import (COUNT, LINK_FAILED, SIZES, Tally, alive, drop_counters, faults,
                         inject, start_baseline, xstats)

NICS = 2
CTL_TIMEOUT_MS = 2000
# (kind, faults, drop reason, drops per fault): each way of each kind at least once.
DATA_KINDS = [
    ("xfer_id", 2, "rx_q0_bad_xfer_errors", 1),
    ("xfer_type", 2, "rx_q0_bad_xfer_errors", 1),
    ("range_many", 1, "rx_q0_bad_range_count_errors", 1),
    ("range_oversize", 1, "rx_q0_range_oversize_errors", 1),
    ("range_overlap", 1, "rx_q0_range_oversize_errors", 64),
    ("rndis_area", 5, "rx_q0_bad_rndis_errors", 1),
    ("ppi_short", 2, "rx_q0_bad_ppi_errors", 1),
    ("frame_oversize", 1, "rx_q0_frame_oversize_errors", 1),
    ("xid_field", 3, "rx_q0_unknown_completion_errors", 1),
]
# With external mbufs: t14's kinds and the bounds of bug 2.
EXT_KINDS = [
    ("range_offset", 3, "rx_q0_bad_range_errors", 1),
    ("rndis_len", 4, "rx_q0_bad_rndis_errors", 1),
    ("ppi", 3, "rx_q0_bad_ppi_errors", 1),
    ("range_oversize", 1, "rx_q0_range_oversize_errors", 1),
    ("frame_oversize", 1, "rx_q0_frame_oversize_errors", 1),
    ("rndis_area", 5, "rx_q0_bad_rndis_errors", 1),
]
# Messages of their own: (kind, faults, per-port counter).
MSG_KINDS = [("indication", 4, "host_bad_rndis_msgs"), ("nvsp_msg", 4, "host_bad_nvsp_msgs")]
# Answers at attach: (kind, faults, whether the attach survives them).
ATTACH_KINDS = [("init_short", 1, False), ("rxbuf_layout", 3, False),
                ("section_size", 3, False), ("oid_size", 1, False), ("init_status", 1, True),
                ("agg", 2, True), ("rss_caps", 1, True), ("offload_caps", 1, True)]
REWRITES = 8


def wait_faults(r, kind, want, timeout=10):
    """Pump testpmd until the host logged want faults of kind on NIC 0 (bounded)."""
    for _ in range(int(timeout / 0.2)):
        if faults(r, kind, 0)[0] >= want:
            return
        r.pump(0.2)
    check_eq(faults(r, kind, 0)[0], want, "faults of kind %s the host injected" % kind)


def unchanged_drops(before, after, what):
    moved = {k: v - before.get(k, 0) for k, v in drop_counters(after).items()
             if v != before.get(k, 0)}
    check(not moved, "%s moved drop reasons: %r" % (what, moved))


def message_case(r, tally, kind, count, counter):
    """Messages the host makes up: each counted once under counter, nothing dropped."""
    before = xstats(r, 0)
    n0 = faults(r, kind, 0)[0]
    r.ctl("fault 0 %s %d" % (kind, count))
    wait_faults(r, kind, n0 + count)
    for _ in range(50):
        if xstats(r, 0).get(counter, 0) - before.get(counter, 0) >= count:
            break
        r.pump(0.2)
    after = xstats(r, 0)
    check_eq(after.get(counter, 0) - before.get(counter, 0), count, "%s after %s" %
             (counter, kind))
    unchanged_drops(before, after, kind)
    run_gen(r, 0, COUNT, SIZES, flows=8)
    tally.check(r, 0, kind)
    log("%s: %d messages refused and counted, the rest byte for byte" % (kind, count))


def rewrite_case(r, tally):
    """Frames whose RNDIS length the host flips until acked: delivered byte for byte or
    dropped as malformed, each one or the other."""
    before = xstats(r, 0)
    n0 = faults(r, "rewrite", 0)[0]
    r.ctl("fault 0 rewrite %d" % REWRITES)
    for _ in range(5):
        run_gen(r, 0, COUNT, SIZES, flows=8)
        if faults(r, "rewrite", 0)[0] - n0 >= REWRITES:
            break
    check_eq(faults(r, "rewrite", 0)[0] - n0, REWRITES, "rewrite faults injected")
    after = xstats(r, 0)
    dropped = after["rx_q0_bad_rndis_errors"] - before.get("rx_q0_bad_rndis_errors", 0)
    check(0 <= dropped <= REWRITES, "rewrite: %d frames dropped of %d rewritten"
          % (dropped, REWRITES))
    tally.lost[0] += dropped
    tally.check(r, 0, "rewrite")
    log("rewrite: %d frames rewritten under the guest, %d read bad and dropped, the rest "
        "byte for byte" % (REWRITES, dropped))


def restart_case(r, tally, kind, count, late_replies=0):
    """Link queries at port start answered wrongly: the start goes on."""
    before = xstats(r, 0)
    n0 = faults(r, kind, 0)[0]
    mark = len(r.out)
    r.cmd("stop")
    r.ctl("fault 0 %s %d" % (kind, count))
    for _ in range(count):
        r.cmd("port stop 0")
        r.cmd("port start 0", timeout=60)
    check_eq(faults(r, kind, 0)[0] - n0, count, "%s faults injected" % kind)
    check(LINK_FAILED in r.out[mark:], "no %r after the %s faults" % (LINK_FAILED, kind))
    r.cmd("start")
    run_gen(r, 0, COUNT, SIZES, flows=8)
    after = xstats(r, 0)
    check_eq(after["host_bad_rndis_msgs"] - before.get("host_bad_rndis_msgs", 0),
             late_replies, "%s: replies counted as not awaited" % kind)
    tally.check(r, 0, kind)
    log("%s: %d wrong replies refused, port 0 restarted and forwards" % (kind, count))


def set_mtu(r, mtu):
    out = r.cmd("port config mtu 0 %d" % mtu, timeout=60)
    return out, r.port_info(0).get("MTU")


def attach_case(r, tally, kind, count, survives):
    """Each fault hits the attach of an MTU change (a new NVS session)."""
    r.cmd("stop")
    r.cmd("port stop 0")
    n0 = faults(r, kind, 0)[0]
    for i in range(count):
        # One at a time: a refused attach is followed by the one restoring the old MTU.
        r.ctl("fault 0 %s 1" % kind)
        out, mtu = set_mtu(r, 1400)
        check_eq(faults(r, kind, 0)[0] - n0, i + 1, "%s faults injected" % kind)
        if survives:
            check_eq(mtu, "1400", "%s: MTU after the change:\n%s" % (kind, out))
            # Forward under what the host answered, then back to a fresh session.
            r.cmd("port start 0", timeout=60)
            r.cmd("start")
            run_gen(r, 0, COUNT // 2, "60-1400", flows=8)
            r.cmd("stop")
            r.cmd("port stop 0")
            set_mtu(r, 1500)
        else:
            check_eq(mtu, "1500", "%s: MTU after a refused attach:\n%s" % (kind, out))
    check_eq(r.port_info(0).get("MTU"), "1500", "%s: MTU back" % kind)
    r.cmd("port start 0", timeout=60)
    r.cmd("start")
    run_gen(r, 0, COUNT, SIZES, flows=8)
    tally.check(r, 0, kind)
    log("%s: %d faults at attach %s, the port forwards" % (kind, count,
                                                         "lived with" if survives else
                                                         "refused"))


def idle_leak_check(r, baseline, what):
    r.cmd("stop")
    r.cmd("port stop all", timeout=60)
    check_eq(r.mbufs_in_use(), baseline, "%s: mbufs in use with the ports stopped" % what)
    r.cmd("port start all", timeout=60)
    r.cmd("start")


def run(devargs, parts):
    opts = ["--nics", str(NICS), "--mac", ",".join(mac_list(NICS)), "--wire", "loop"]
    eal = []
    for nic in range(NICS):
        eal += ["-a", "hvbus:%s,ctl_timeout=%d%s" % (nic_uuid(nic), CTL_TIMEOUT_MS,
                                                      devargs if nic == 0 else "")]
    tally = Tally(NICS)
    with Run(opts, ["--port-topology=loop", "--forward-mode=io"] + GEN_RINGS,
             eal_opts=eal, deadline=280) as r:
        baseline = start_baseline(r)
        run_gen(r, 0, COUNT, SIZES, flows=8)
        tally.check(r, 0, "before any fault")
        for part in parts:
            part(r, tally)
            idle_leak_check(r, baseline, part.__name__)
        run_gen(r, 1, COUNT, SIZES, flows=8)
        tally.check(r, 1, "NIC 1 beside the faults")
        x1 = xstats(r, 1)
        check(not any(drop_counters(x1).values()), "NIC 1 counted drops")
        alive(r, NICS)
        close_clean(r, NICS)


def data_kinds(r, tally):
    for kind, count, counter, per in DATA_KINDS:
        inject(r, tally, kind, count, counter, per)
    rewrite_case(r, tally)


def message_kinds(r, tally):
    for kind, count, counter in MSG_KINDS:
        message_case(r, tally, kind, count, counter)


def control_kinds(r, tally):
    restart_case(r, tally, "ctl_type", 1)
    restart_case(r, tally, "ctl_status", 1)
    restart_case(r, tally, "ctl_rid", 1, late_replies=1)


def attach_kinds(r, tally):
    for kind, count, survives in ATTACH_KINDS:
        attach_case(r, tally, kind, count, survives)


def ext_kinds(r, tally):
    for kind, count, counter, per in EXT_KINDS:
        inject(r, tally, kind, count, counter, per)


def main():
    if upstream():
        log("the hostile-host checks are hvnet's: run with HVNET_DRIVER=hvnet")
        sys.exit(77)
    run("", [data_kinds, message_kinds, control_kinds, attach_kinds])
    run(",rx_extmbuf_enable=1,rx_copybreak=128", [ext_kinds])
    log("every class of host input refused or lived with, counted exactly, without a leak")


if __name__ == "__main__":
    run_test(main)
