#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Accelerated networking: every ethdev operation while the VF is being switched. Each round
asks the host to remove or add the VF (control 'vf 0 remove|add msg-first|dev-first') and at
once, without waiting for the guest to follow, runs one operation in testpmd: stop/start,
queue reconfiguration, MTU change, RETA update, RSS hash update, promiscuous and all-multicast
on/off, multicast addresses added and removed, stats and xstats read and clear; the last round closes the port while a VF is being
added. After each, once the host says the change is done: the generated frames all come back
over the path the host has switched to, the guest's vf_rx/tx_packets moved as the host's VF
counters did, a VF taken has the port's promiscuous mode (its interface's flag), and with the
port stopped the mbuf pool holds what it held at the start. At the exit every generated frame
came back once, byte for byte, and the host is owed nothing. Then, with the host's schedule
(--vf-cycle) changing the VF every second, the same operations in a loop, each followed by a
burst of io forwarding: no command fails, no crash, frames lost bounded by what was in flight
at each change, what came back intact, both paths used, no mbuf left after stop and close."""
import re
import subprocess

from simtest import (GEN_RINGS, Run, check, check_eq, check_gen, close_clean, in_netns, log,
                     run_test, vf_counters, vf_gen, wait_vf_state)

COUNT = 1000
RSS_KEY = "6d5a56da255b0ec24167253d43a38fb0d0ca2bcbae7b30b477cb2da38030f20c6a42b73bbeac01fa"

# (host change, order, what, testpmd commands run while the change is under way)
ROUNDS = [
    ("remove", "msg-first", "stop/start", ["port stop 0", "port start 0"]),
    ("add", "dev-first", "two queues",
     ["port stop 0", "port config all rxq 2", "port config all txq 2", "port start 0"]),
    ("remove", "dev-first", "MTU 1400",
     ["port stop 0", "port config mtu 0 1400", "port start 0"]),
    ("add", "msg-first", "RETA update", ["port config 0 rss reta (0,1)(1,0)"]),
    ("remove", "msg-first", "RSS hash update",
     ["port config all rss ip", "port config 0 rss-hash-key ipv4 " + RSS_KEY,
      "port config all rss udp"]),
    ("add", "dev-first", "promiscuous, all-multicast and the multicast list",
     ["set promisc 0 off", "set allmulti 0 on", "set promisc 0 on", "set allmulti 0 off",
      "mcast_addr add 0 01:00:5E:00:00:FB", "mcast_addr add 0 33:33:00:00:00:FB",
      "mcast_addr remove 0 01:00:5E:00:00:FB", "mcast_addr remove 0 33:33:00:00:00:FB",
      "set promisc 0 off"]),
    ("remove", "dev-first", "stats read and cleared",
     ["show port stats 0", "show port xstats 0", "clear port stats 0", "clear port xstats 0",
      "show port stats 0"]),
    ("add", "msg-first", "one queue, MTU 1500",
     ["port stop 0", "port config all rxq 1", "port config all txq 1",
      "port config mtu 0 1500", "port start 0"]),
]
MTU_AFTER = {"MTU 1400": 1400, "one queue, MTU 1500": 1500}


def run_ops(r, what, cmds):
    """Each command answered without an error (the counters 'show' prints name errors). When
    the host takes the VF's device away while the command attaches or starts it, the VF's PMD,
    EAL and ethdev print errors of their own and hvnet says it left the VF ("... not used",
    "... went away"): then only error lines that name port 0 count (the frames and counters
    checked after each round prove the synthetic path); otherwise any error line fails."""
    for c in cmds:
        out = r.cmd(c, timeout=60)
        if c.startswith("show"):
            check(re.search(r"NIC (extended )?statistics for port 0", out) is not None,
                  "%s: '%s' printed:\n%s" % (what, c, out))
        else:
            vf_left = re.search(r"^hvnet: .*port 0: VF .*(not used|went away)", out, re.M)
            errors = [l for l in out.splitlines()
                      if re.search(r"rror|[Ff]ail|nvalid|not permitted", l) and
                      (not vf_left or "port 0" in l)]
            check(not errors, "%s: '%s' printed:\n%s" % (what, c, out))


def settled(r, present, what):
    flag = 1 if present else 0
    wait_vf_state(r, what, device=flag, offered=flag, datapath_vf=flag)


def mbufs_back(r, base, what):
    """With the port stopped, nothing may hold an mbuf beyond what it held at the start."""
    r.cmd("port stop 0", timeout=60)
    check_eq(r.mbufs_in_use(), base, "%s: mbufs in use, port stopped" % what)
    r.cmd("port start 0", timeout=60)


def vf_promisc(ns):
    """The PROMISC flag of the VF's kernel interface (net_af_packet sets it for the port)."""
    res = subprocess.run(["ip", "netns", "exec", ns, "ip", "-o", "link", "show", "hvvf0"],
                         capture_output=True, text=True, timeout=30)
    check_eq(res.returncode, 0, "ip link show hvvf0: %s" % res.stderr)
    return "PROMISC" in res.stdout.split(">")[0]


def cleared(r, what):
    """Cleared while the VF changed, nothing forwarded since: both paths' counters are 0."""
    xs = r.xstats()
    check_eq([xs[k] for k in ("vf_rx_packets", "vf_rx_bytes", "vf_tx_packets",
                              "vf_tx_bytes", "rx_q0_good_packets", "tx_q0_good_packets")],
             [0] * 6, "%s: VF and synthetic counters after the clear" % what)
    st = r.port_stats()[0]
    check_eq((st["RX-packets"], st["TX-packets"]), (0, 0), "%s: port stats after the clear"
             % what)


def lost_where(ns, what):
    """Frames missing: where the VF's frames stopped. The guest's VF interface counters (what
    the kernel received on hvvf0, what it dropped) and the packet sockets on it (net_af_packet:
    one socket and receive ring per queue in a PACKET_FANOUT group; /proc/net/packet shows
    each one's interface and whether it runs): tells frames dropped before any socket from
    frames left in a ring nobody reads. testpmd shows no counters of a port hvnet owns."""
    for cmd in (["ip", "-s", "-s", "link", "show", "hvvf0"], ["cat", "/proc/net/packet"]):
        res = subprocess.run(["ip", "netns", "exec", ns] + cmd, capture_output=True, text=True,
                             timeout=30)
        log("%s: %s:\n%s" % (what, " ".join(cmd), res.stdout + res.stderr))


def traffic(r, ns, present, what, sizes):
    """COUNT frames forwarded, all over the path the host switched to; the guest's VF counters
    moved as the host's did."""
    xs0, host0 = r.xstats(), vf_counters(r)
    r.cmd("start")
    back = vf_gen(r, COUNT, sizes)
    r.cmd("stop")
    xs1, host1 = r.xstats(), vf_counters(r)
    log("%s: %d back synthetic, %d back over the VF" % (what, back[0], back[1]))
    if present and back != (0, COUNT):
        lost_where(ns, what)
    check_eq(back, (0, COUNT) if present else (COUNT, 0), "%s: frames back (synthetic, VF)"
             % what)
    check_eq((xs1["vf_rx_packets"] - xs0["vf_rx_packets"],
              xs1["vf_tx_packets"] - xs0["vf_tx_packets"]),
             (host1["to_vf_frames"] - host0["to_vf_frames"],
              host1["from_vf_frames"] - host0["from_vf_frames"]),
             "%s: guest vf_rx/tx_packets vs the host's VF counters" % what)


def commanded(ns):
    with Run(["--vf"], ["--forward-mode=io"] + GEN_RINGS, netns=ns) as r:
        settled(r, True, "VF present at probe")
        r.cmd("port stop 0", timeout=60)
        base = r.mbufs_in_use()
        r.cmd("port start 0", timeout=60)
        settled(r, True, "VF back after the first stop/start")
        mtu, sent, promisc = 1500, 0, True
        check_eq(vf_promisc(ns), True, "VF at probe: its interface promiscuous like the port")
        for verb, order, name, cmds in ROUNDS:
            what = "%s during 'vf 0 %s %s'" % (name, verb, order)
            r.ctl("vf 0 %s %s" % (verb, order))
            run_ops(r, what, cmds)
            settled(r, verb == "add", what)
            mtu = MTU_AFTER.get(name, mtu)
            promisc = {"on": True, "off": False}.get(
                ([c.split()[-1] for c in cmds if c.startswith("set promisc")] or [None])[-1],
                promisc)
            if verb == "add":
                check_eq(vf_promisc(ns), promisc, "%s: the VF's interface promiscuous" % what)
            if name == "stats read and cleared":
                cleared(r, what)
            traffic(r, ns, verb == "add", what, "60-%d" % (mtu + 14))
            sent += COUNT
            mbufs_back(r, base, what)
            settled(r, verb == "add", what + ", then stop/start")
        # Close while the VF is being taken away, then while one is being added.
        r.ctl("vf 0 remove msg-first")
        run_ops(r, "stop during 'vf 0 remove msg-first'", ["port stop 0"])
        settled(r, False, "VF removed while the port stopped")
        r.ctl("vf 0 add dev-first")
        run_ops(r, "close during 'vf 0 add dev-first'", ["port close 0"])
        wait_vf_state(r, "VF added after close", device=1, offered=1)
        r.pump(0.5)
        check_eq(vf_counters(r)["datapath_vf"], 0, "closed port: data path stays synthetic")
        check_eq(r.mbufs_in_use(), 0, "mbufs in use after 'port close 0'")
        r.quit(timeout=120)
        r.check_clean_exit(1)
        check_gen(r.wire(), 0, sent, "operations during VF changes")


CHANGES = 8        # host changes of the VF (device or message) the loop runs across
BURST = 300        # frames forwarded after each step of the loop
GEN_WINDOW = 128   # frames the generator keeps in flight (app/test-hvnet/wire.h)
# Operations run in a loop under the host's schedule; each line is one step.
LOOP = [
    ["set promisc 0 off", "set promisc 0 on"],
    ["port config 0 rss reta (0,1)(1,0)", "port config all rss ip"],
    ["show port stats 0", "show port xstats 0", "clear port stats 0"],
    ["stop", "port stop 0", "port start 0", "start"],
    ["stop", "port stop 0", "port config all rxq 1", "port config all txq 1", "port start 0",
     "start"],
    ["stop", "port stop 0", "port config mtu 0 1500", "port config all rxq 2",
     "port config all txq 2", "port start 0", "start"],
    ["set allmulti 0 on", "set allmulti 0 off"],
    ["mcast_addr add 0 01:00:5E:00:00:FB", "mcast_addr remove 0 01:00:5E:00:00:FB"],
]


def scheduled(ns):
    """--vf-cycle 1000: the host removes or adds the VF every 1000 ms (orders alternating) while
    the operations above are done in a loop, each followed by a burst of io forwarding, until
    the host made CHANGES changes, the guest switched to the VF at least twice and traffic went
    over both paths (at most 12 rounds of the loop)."""
    with Run(["--vf", "--vf-cycle", "1000"], ["--forward-mode=io", "--rxq=2", "--txq=2"] +
             GEN_RINGS, netns=ns, deadline=200) as r:
        r.cmd("port stop 0", timeout=60)
        base = r.mbufs_in_use()
        r.cmd("port start 0", timeout=60)
        r.cmd("start")
        back, sent = [0, 0], 0
        for i in range(12):
            for cmds in LOOP:
                run_ops(r, "loop %d: %s" % (i, cmds[0]), cmds)
                got = vf_gen(r, BURST, timeout=20, quiet=1.0)
                back = [back[0] + got[0], back[1] + got[1]]
                sent += BURST
            v = vf_counters(r)
            if (v["adds"] + v["removes"] >= CHANGES and v["switches_to_vf"] >= 2 and
                    min(back) > 0):
                break
        r.cmd("stop")
        log("scheduled: %d frames sent, back %d synthetic, %d over the VF; host %r"
            % (sent, back[0], back[1], v))
        check(v["adds"] + v["removes"] >= CHANGES and v["switches_to_vf"] >= 2,
              "the schedule removed and added the VF, the guest followed")
        check(back[0] > 0 and back[1] > 0, "traffic went over both paths")
        # Frames in flight when the VF went (the generator's window per half of a change).
        lost = sent - sum(back)
        bound = 2 * (v["adds"] + v["removes"]) * GEN_WINDOW
        check(0 <= lost <= bound, "%d frames lost, at most %d were in flight" % (lost, bound))
        close_clean(r, 1, base)
        w = r.wire()[0]
        check_eq((w["gen_sent"], w["gen_bad"], w["gen_dup"]), (sent, 0, 0),
                 "frames generated, back damaged, back twice")


def main():
    in_netns("vfw", commanded)
    in_netns("vfc", scheduled)


if __name__ == "__main__":
    run_test(main)
