#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The host's rate mode (control 'rate', as --rate): counts, not speeds. A bounded run at a set
rate into a 2-queue port: with testpmd rxonly, every frame produced is taken by the guest and
counted by testpmd, none comes back; with io forwarding, every frame comes back on its queue
byte for byte and the NIC's sink counts it instead of forwarding it (hvnet may miss frames when
the machine starves the forwarding lcore: its tx path reads the channel for completions and
parks the frames it finds for the rx burst, and drops what no longer fits, counted as
RX-missed, as upstream netvsc does; every frame is then either missed or back); with txonly,
the sink counts every frame testpmd counted as sent, whole frames, and the host produces
none. Then every port stopped and closed with no mbuf in use, and a clean exit (no receive
section, completion or control answer owed)."""
import time

from simtest import (GEN_RINGS, Run, TestFailure, check_eq, close_clean, log, run_test,
                     upstream)

QUEUES = 2
COUNT = 10000
PPS = 10000
SIZE = 128
FLOWS = 16
COUNTERS = ("rate_produced", "rate_taken", "rate_missed", "sink_frames", "sink_bytes",
            "to_guest_frames", "from_guest_frames", "gen_ok", "gen_bad", "gen_dup",
            "gen_wrong_queue")


def host(r):
    s = r.sim_stats()[0]
    return {k: s.get(k, 0) for k in COUNTERS}


def delta(r, base):
    now = host(r)
    return {k: now[k] - base[k] for k in COUNTERS}


def wait_host(r, base, key, want, timeout=60, quiet=5.0):
    """Until host counter key has grown by want since base (or stopped moving): the deltas."""
    end = time.monotonic() + timeout
    last, since = None, time.monotonic()
    while time.monotonic() < end:
        d = delta(r, base)
        if d[key] >= want:
            return d
        if d[key] != last:
            last, since = d[key], time.monotonic()
        elif time.monotonic() - since >= quiet:
            log("%s grew by %d of %d, then stopped" % (key, d[key], want))
            return d
        r.pump(0.3)
    raise TestFailure("%s still growing after %d s" % (key, timeout))


def wait_stable(r, base, key, timeout=30, quiet=1.0):
    """Until host counter key stops changing for `quiet` s: the deltas."""
    end = time.monotonic() + timeout
    prev, since = None, time.monotonic()
    while time.monotonic() < end:
        d = delta(r, base)
        if d[key] != prev:
            prev, since = d[key], time.monotonic()
        elif time.monotonic() - since >= quiet:
            return d
        r.pump(0.3)
    raise TestFailure("%s still changing after %d s" % (key, timeout))


def guest_counts(r):
    p = r.settle_stats()[0]
    return p.get("RX-packets", 0), p.get("TX-packets", 0), p.get("RX-missed", 0), \
        p.get("RX-errors", 0)


def phase(r, mode):
    """The host's counters before the guest starts in mode (txonly sends at once)."""
    r.cmd("clear port stats all")
    r.cmd("set fwd %s" % mode)
    base = host(r)
    r.cmd("start")
    return base


def rate_run(r, mode, wait_key):
    """A bounded run at PPS with the guest in mode; returns (host deltas, guest counts)."""
    base = phase(r, mode)
    r.ctl("rate 0 %d:%d:%d:%d" % (PPS, SIZE, FLOWS, COUNT))
    wait_host(r, base, "rate_produced", COUNT)
    d = wait_host(r, base, wait_key, COUNT)
    r.cmd("stop")
    g = guest_counts(r)
    log("%s: host %r, guest rx/tx/missed/errors %r" % (mode, d, g))
    want = {"rate_produced": COUNT, "rate_taken": COUNT, "rate_missed": 0,
            "to_guest_frames": COUNT}
    check_eq({k: d[k] for k in want}, want, "%s: host's rate counters" % mode)
    return d, g


def main():
    with Run(["--nics", "1", "--wire", "none", "--queues", str(QUEUES), "--rate", "0:0:60"],
             ["--rxq=%d" % QUEUES, "--txq=%d" % QUEUES, "--port-topology=loop",
              "--txpkts=%d" % SIZE] + GEN_RINGS) as r:
        base_mbufs = r.mbufs_in_use()

        # rxonly: produced = taken = received, nothing sent back.
        d, (rx, tx, missed, errors) = rate_run(r, "rxonly", "rate_taken")
        # 22.11 netvsc counts frames it moved to its software ring as RX-missed too.
        if upstream():
            log("rxonly: upstream netvsc RX-missed %d (its own accounting)" % missed)
            missed = 0
        check_eq((rx, tx, missed, errors), (COUNT, 0, 0, 0), "rxonly: testpmd rx/tx/missed/errors")
        check_eq((d["sink_frames"], d["from_guest_frames"]), (0, 0), "rxonly: frames sent back")

        # io: every frame back once, byte for byte, on its queue; sunk, not forwarded.
        d, (rx, tx, missed, errors) = rate_run(r, "io", "sink_frames")
        if upstream():
            missed = 0
        if missed:
            log("io: %d frames missed (the forwarding lcore was starved)" % missed)
        check_eq((rx + missed, tx, errors), (COUNT, rx, 0), "io: testpmd rx+missed/tx/errors")
        check_eq({k: d[k] for k in ("gen_ok", "gen_bad", "gen_dup", "gen_wrong_queue")},
                 {"gen_ok": rx, "gen_bad": 0, "gen_dup": 0, "gen_wrong_queue": 0},
                 "io: frames checked by the sink")
        check_eq((d["sink_frames"], d["sink_bytes"], d["from_guest_frames"]),
                 (rx, rx * SIZE, rx), "io: sink frames/bytes, frames from the guest")

        # txonly: the sink counts every frame the guest sends (whole frames of testpmd's
        # size), and the host produces nothing. The last sends wait in the ring until the
        # guest reads their completions (the host needs room for them): rxonly polls them.
        # Then the sink has counted exactly testpmd's TX-packets (upstream netvsc counts a
        # send when its completion is read, so its count grows during the rxonly polling).
        base = phase(r, "txonly")
        r.pump(1.0)
        r.cmd("stop")
        rx, tx, missed, errors = guest_counts(r)
        r.cmd("set fwd rxonly")
        r.cmd("start")
        end = time.monotonic() + 30
        while True:
            d, tx = delta(r, base), r.port_stats()[0]["TX-packets"]
            if d["sink_frames"] == tx or time.monotonic() > end:
                break
            r.pump(0.3)
        r.cmd("stop")
        d, tx = delta(r, base), guest_counts(r)[1]
        log("txonly: host %r, guest rx/tx %d/%d" % (d, rx, tx))
        check_eq(d["sink_frames"], tx, "txonly: frames sunk vs testpmd's TX-packets")
        check_eq(tx > 0 and d["sink_frames"] > 0, True, "txonly: frames sent and sunk")
        check_eq((d["sink_bytes"], d["from_guest_frames"]),
                 (d["sink_frames"] * SIZE, d["sink_frames"]),
                 "txonly: sink bytes and frames from the guest vs sink frames")
        check_eq((d["rate_produced"], d["to_guest_frames"], rx), (0, 0, 0),
                 "txonly: frames produced, to the guest, received")
        close_clean(r, 1, base_mbufs)


if __name__ == "__main__":
    run_test(main)
