#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Reconfiguration cycles with no mbuf leak (hvnet): queues 4 -> 2 -> 8 -> 4 (port stop, rxq and
txq, port start), MTU 1500 -> 4000 -> 1500, stop/start cycles, each followed by byte-exact io
forwarding of host-generated frames with every frame on the queue RSS chose. The mbuf pool's
in-use count (size - common pool - per-lcore caches, from 'dump_mempool') is compared at the
same port state after every step: with the ports stopped it must equal the first measurement
(a started port legitimately holds transmitted mbufs until their completions are consumed, so
that count is only logged); after 'port close all' no mbuf may be in use at all."""
import re
import sys

from simtest import (GEN_RINGS, Run, check, check_eq, check_gen, log,
                     run_gen, run_test, upstream)

BURST = 2000
POOL = "mb_pool_0"




def traffic(r, sizes, what):
    r.cmd("start")
    back = run_gen(r, 0, BURST, sizes, flows=64)
    r.cmd("stop")
    check_eq(back, BURST, "%s: generated frames back" % what)
    r.pump(0.5)
    return BURST


def set_queues(r, n):
    r.cmd("port stop all")
    for cmd in ("port config all rxq %d" % n, "port config all txq %d" % n):
        out = r.cmd(cmd)
        check("error" not in out.lower() and "fail" not in out.lower(),
              "'%s' failed:\n%s" % (cmd, out))
    out = r.cmd("port start all", timeout=60)
    info = r.cmd("show port info 0")
    check("Current number of RX queues: %d" % n in info,
          "after reconfiguring to %d queues: %s\n%s" % (n, out, info))


def set_mtu(r, mtu):
    r.cmd("port stop all")
    out = r.cmd("port config mtu 0 %d" % mtu)
    out += r.cmd("port start all", timeout=60)
    check(re.search(r"^MTU: %d$" % mtu, r.cmd("show port info 0"), re.M) is not None,
          "MTU %d not taken:\n%s" % (mtu, out))


def main():
    if upstream():
        log("22.11 net_netvsc has no mtu_set and this is hvnet's leak check: "
            "run with HVNET_DRIVER=hvnet")
        sys.exit(77)
    sent = 0
    with Run(["--nics", "1", "--queues", "8", "--mtu", "9000", "--wire", "none"],
             ["--rxq=4", "--txq=4", "--forward-mode=io", "--port-topology=loop",
              "--mbuf-size=4352"] + GEN_RINGS) as r:
        sent += traffic(r, "60-1514", "4 queues")
        started = r.mbufs_in_use(POOL)
        r.cmd("port stop all")
        stopped = r.mbufs_in_use(POOL)
        log("baseline: %d mbufs in use started and idle, %d stopped" % (started, stopped))
        r.cmd("port start all", timeout=60)
        check(started > stopped, "no mbuf in use while forwarding: the count measures nothing")

        steps = [("2 queues", lambda: set_queues(r, 2), "60-1514"),
                 ("8 queues", lambda: set_queues(r, 8), "60-1514"),
                 ("4 queues", lambda: set_queues(r, 4), "60-1514"),
                 ("MTU 4000", lambda: set_mtu(r, 4000), "60-4014"),
                 ("MTU 1500", lambda: set_mtu(r, 1500), "60-1514"),
                 ("stop/start 1", lambda: (r.cmd("port stop all"),
                                           r.cmd("port start all", timeout=60)), "60-1514"),
                 ("stop/start 2", lambda: (r.cmd("port stop all"),
                                           r.cmd("port start all", timeout=60)), "60-1514")]
        for what, step, sizes in steps:
            step()
            sent += traffic(r, sizes, what)
            now = r.mbufs_in_use(POOL)
            r.cmd("port stop all")
            idle = r.mbufs_in_use(POOL)
            log("%s: %d mbufs in use started and idle, %d stopped" % (what, now, idle))
            check_eq(idle, stopped, "%s: mbufs in use with the ports stopped vs baseline" % what)
            r.cmd("port start all", timeout=60)
            viol = r.violations()
            check(not viol, "%s: violations:\n%s" % (what, "\n".join(viol[:20])))
        r.cmd("port stop all")
        check_eq(r.mbufs_in_use(POOL), stopped, "mbufs in use with the ports stopped vs baseline")
        out = r.cmd("port close all", timeout=60)
        check("closed" in out.lower(), "'port close all' did not close:\n" + out)
        check_eq(r.mbufs_in_use(POOL), 0, "mbufs in use after 'port close all'")
        r.quit()
        r.check_clean_exit(1)
        wire = r.wire()
    check_gen(wire, 0, sent, "traffic across queue, MTU and stop/start reconfigurations")


if __name__ == "__main__":
    run_test(main)
