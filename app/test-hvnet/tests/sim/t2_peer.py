#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Peer wire (NIC 0 <-> NIC 1), every frame accounted for:
1. txonly on port 0 alone, then rxonly on port 1 alone: testpmd TX port 0 == host
   from_guest nic 0 == wire tx nic 0 == to_guest nic 1 + host and wire drops == testpmd
   RX port 1 (with the guest's own drops accounted for).
2. io forwarding (port topology loop) of 5000 host-generated frames of 60-1514 bytes into
   port 0: every one back once, byte for byte, and testpmd's RX-bytes and TX-bytes of port 0
   equal the bytes the host delivered to NIC 0 and took from it (whole frames, Ethernet
   header included)."""
import re

from simtest import (GEN_RINGS, Run, check, check_eq, check_gen, fwd_phase, log, mac_list,
                     run_gen, run_test, upstream)

GEN_COUNT = 5000



def one_way(r):
    """txonly on port 0 alone, then rxonly on port 1 alone; returns what the host and testpmd
    counted (frames the unpolled port 1 could not take are dropped by the wire or the host)."""
    r.cmd("clear port stats all")
    fwd_phase(r, "0", "txonly", 2.0)
    r.settle_stats()
    fwd = parse_port_fwd(fwd_phase(r, "1", "rxonly", 2.0))
    tp = r.settle_stats()
    sim = r.sim_stats()
    log("testpmd port 0 TX %d, port 1 RX %d missed %d (rxonly got %s); host nic0 from_guest "
        "%d, nic1 to_guest %d nobuf %d filtered %d link_down %d"
        % (tp[0]["TX-packets"], tp[1]["RX-packets"], tp[1]["RX-missed"], fwd,
           sim[0]["from_guest_frames"], sim[1]["to_guest_frames"], sim[1]["rx_nobuf"],
           sim[1]["rx_filtered"], sim[1]["rx_link_down"]))
    return tp, sim, fwd


def parse_port_fwd(stop_out):
    """RX-packets of 'Forward statistics for port 1' in the 'stop' output."""
    m = re.search(r"Forward statistics for port 1\s.*?RX-packets:\s+(\d+)", stop_out, re.S)
    check(m is not None, "rxonly 'stop' printed no forward statistics for port 1:\n" + stop_out)
    return int(m.group(1))


def check_one_way(tp, sim, fwd, summ, wire):
    tx0, rx1, s0, s1 = tp[0], tp[1], sim[0], sim[1]
    check(tx0["TX-packets"] > 1000, "txonly sent only %d frames in 2 s" % tx0["TX-packets"])
    check_eq(s0["from_guest_frames"], tx0["TX-packets"],
             "host from_guest_frames nic 0 vs testpmd TX-packets port 0")
    check_eq(s0["from_guest_bytes"], tx0["TX-bytes"],
             "host from_guest_bytes nic 0 vs testpmd TX-bytes port 0")
    check_eq(s0["tx_errors"], 0, "host tx_errors nic 0")
    check_eq(wire[0].get("tx_wire"), s0["from_guest_frames"],
             "wire nic 0 tx_wire vs host from_guest_frames nic 0 (txonly)")
    check_eq(s1["rx_filtered"], 0, "nic 1 rx_filtered (testpmd runs promiscuous)")
    check_eq(summ[1]["to_guest_frames"], s1["to_guest_frames"],
             "nic 1 received something after the one-way phase")
    drops = wire[0].get("wire_drops", 0) + wire[1].get("wire_drops", 0)
    accounted = s1["to_guest_frames"] + s1["rx_nobuf"] + s1["rx_link_down"] + drops
    check_eq(accounted, s0["from_guest_frames"],
             "nic 1 to_guest + rx_nobuf + rx_link_down + wire drops vs nic 0 from_guest")
    check_eq(wire[1].get("rx_wire"), s1["to_guest_frames"],
             "wire nic 1 rx_wire vs host to_guest_frames nic 1")
    check_eq(s1["from_guest_frames"], 0, "host from_guest_frames nic 1 (port 1 only received)")
    if upstream():
        # 22.11 counts RX-packets as it takes frames off the channel (a control request's
        # wait does that too, even on a port nobody polls), then drops what its 512-entry
        # software ring cannot hold as RX-missed: a subset of RX-packets.
        check_eq(rx1["RX-packets"], s1["to_guest_frames"],
                 "testpmd port 1 RX-packets vs host to_guest_frames nic 1")
    else:
        got = rx1["RX-packets"] + rx1["RX-errors"] + rx1["RX-nombuf"] + rx1["RX-missed"]
        check_eq(got, s1["to_guest_frames"],
                 "testpmd port 1 RX-packets+errors+nombuf+missed vs host to_guest nic 1")
        check_eq(fwd, rx1["RX-packets"], "rxonly frames vs port 1 RX-packets")
    if upstream():
        check(rx1["RX-missed"] <= rx1["RX-packets"], "port 1 RX-missed above RX-packets")


def main():
    opts = ["--nics", "2", "--mac", ",".join(mac_list(2)), "--wire", "peer"]
    tp_args = ["--port-topology=loop"] + GEN_RINGS
    if not upstream():
        # While port 1 is not polled, hvnet keeps what its queue holds (tx completions and
        # control replies still flow past it). testpmd's 'start' would flush those frames
        # after counting them in the port stats but before the forward stats: keep them.
        tp_args.append("--no-flush-rx")
    with Run(opts, tp_args) as r:
        tp, sim, fwd = one_way(r)
        r.cmd("set portlist 0,1")
        r.cmd("set fwd io")
        r.cmd("clear port stats all")
        before = r.sim_stats()
        r.cmd("start")
        back = run_gen(r, 0, GEN_COUNT, "60-1514", flows=16)
        r.cmd("stop")
        log("generator: %d frames came back through io forwarding" % back)
        io_tp = r.settle_stats()
        io_sim = r.sim_stats()
        r.quit()
        summ = r.check_clean_exit(2)
        wire = r.wire()
    check_one_way(tp, sim, fwd, summ, wire)
    check_gen(wire, 0, GEN_COUNT, "io forwarding over peer")
    check_bytes(io_tp, before, io_sim)


def check_bytes(tp, before, after):
    """testpmd's byte counters of port 0 over the io phase against the host's of NIC 0."""
    to_guest = after[0]["to_guest_bytes"] - before[0]["to_guest_bytes"]
    from_guest = after[0]["from_guest_bytes"] - before[0]["from_guest_bytes"]
    log("io phase: host delivered %d bytes to NIC 0 and took %d; testpmd port 0 RX-bytes %d "
        "TX-bytes %d" % (to_guest, from_guest, tp[0]["RX-bytes"], tp[0]["TX-bytes"]))
    check(to_guest > 0, "the host delivered nothing during the io phase")
    check_eq(tp[0]["RX-bytes"], to_guest, "testpmd RX-bytes port 0 vs host to_guest_bytes")
    check_eq(tp[0]["TX-bytes"], from_guest, "testpmd TX-bytes port 0 vs host from_guest_bytes")


if __name__ == "__main__":
    run_test(main)
