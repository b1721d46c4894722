#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Receive filter: the host delivers only what the guest's packet filter asks for, and the
guest's promiscuous and all-multicast settings decide that filter. The generator sends frames
to the NIC's MAC's neighbours (another unicast MAC, a multicast group, broadcast) into port 0,
io forwarding sends back what arrives; the host counts every refused frame as rx_filtered.
- promiscuous off, all-multicast off: other unicast and multicast filtered, broadcast delivered;
- all-multicast on: multicast delivered, other unicast still filtered;
- promiscuous on: everything delivered;
- all-multicast off while promiscuous, and a port stop/start while promiscuous: still
  everything delivered. Debian's 22.11 net_netvsc writes DIRECTED|BROADCAST for
  all-multicast off whatever the promiscuous mode (and ethdev replays all-multicast after
  promiscuous at start), so there other unicast is filtered: asserted as its limitation."""
import time

from simtest import (GEN_RINGS, Run, TestFailure, check, check_eq, log,
                     run_test, upstream)

COUNT = 300
KEYS = ("gen_sent", "gen_ok", "gen_bad", "gen_dup", "rx_filtered", "to_guest_frames",
        "from_guest_frames")


def counters(r):
    s = r.sim_stats()[0]
    return {k: s.get(k, 0) for k in KEYS}


def send(r, dst, timeout=60, quiet=2.0):
    """Generate COUNT frames to dst; wait until every one was either refused by the host or
    came back, then until nothing moves; returns the counter deltas."""
    before = counters(r)
    r.ctl("gen 0 %d:60-1514:8:%s" % (COUNT, dst))
    end = time.monotonic() + timeout
    last, since = None, time.monotonic()
    while time.monotonic() < end:
        cur = counters(r)
        d = {k: cur[k] - before[k] for k in KEYS}
        if d != last:
            last, since = d, time.monotonic()
        elif (d["gen_sent"] == COUNT and d["rx_filtered"] + d["gen_ok"] + d["gen_bad"] >= COUNT
              and time.monotonic() - since >= 0.5) or time.monotonic() - since >= quiet:
            return d
        r.pump(0.2)
    raise TestFailure("generator to %s still moving after %d s" % (dst, timeout))


def expect(r, dst, delivered, what):
    d = send(r, dst)
    log("%s, to %s: %r" % (what, dst, d))
    check_eq(d["gen_sent"], COUNT, "%s, to %s: frames generated" % (what, dst))
    check_eq(d["gen_bad"] + d["gen_dup"], 0, "%s, to %s: bad or duplicate frames" % (what, dst))
    if delivered:
        check_eq((d["gen_ok"], d["rx_filtered"]), (COUNT, 0),
                 "%s, to %s: (delivered back byte-exact, filtered)" % (what, dst))
    else:
        check_eq((d["gen_ok"], d["rx_filtered"], d["to_guest_frames"]), (0, COUNT, 0),
                 "%s, to %s: (delivered back, filtered, to guest)" % (what, dst))


def modes(r, what):
    info = r.cmd("show port info 0")
    log("%s: %s" % (what, " ".join(l.strip() for l in info.splitlines()
                                   if "mode:" in l)))
    return info


def main():
    with Run(["--nics", "1", "--wire", "none"],
             ["--forward-mode=io", "--port-topology=loop"] + GEN_RINGS) as r:
        r.cmd("start")
        r.cmd("set promisc 0 off")
        r.cmd("set allmulti 0 off")
        info = modes(r, "promiscuous off, all-multicast off")
        check("Promiscuous mode: disabled" in info and "Allmulticast mode: disabled" in info,
              "modes not off:\n" + info)
        what = "promiscuous off, all-multicast off"
        expect(r, "other", False, what)
        expect(r, "mcast", False, what)
        expect(r, "bcast", True, what)
        expect(r, "self", True, what)

        r.cmd("set allmulti 0 on")
        what = "all-multicast on"
        expect(r, "mcast", True, what)
        expect(r, "other", False, what)

        r.cmd("set promisc 0 on")
        what = "promiscuous on, all-multicast on"
        for dst in ("other", "mcast", "bcast", "self"):
            expect(r, dst, True, what)

        # The order trap: all-multicast off must not undo promiscuous mode.
        r.cmd("set allmulti 0 off")
        what = "promiscuous on, then all-multicast off"
        if upstream():
            expect(r, "other", False, what + " (22.11 netvsc: DIRECTED|BROADCAST)")
            log("documented limitation: 22.11 netvsc's allmulticast_disable sets "
                "DIRECTED|BROADCAST and drops promiscuous mode at the host")
        else:
            expect(r, "other", True, what)
        expect(r, "mcast", not upstream(), what)

        # ethdev replays promiscuous then all-multicast at start: same trap.
        r.cmd("stop")
        r.cmd("set promisc 0 on")
        r.cmd("port stop 0")
        r.cmd("port start 0", timeout=60)
        r.cmd("start")
        info = modes(r, "after port stop/start")
        check("Promiscuous mode: enabled" in info, "promiscuous lost:\n" + info)
        what = "promiscuous on after port stop/start"
        expect(r, "other", not upstream(), what)
        expect(r, "self", True, what)
        r.cmd("stop")
        r.quit()
        r.check_clean_exit(1)


if __name__ == "__main__":
    run_test(main)
