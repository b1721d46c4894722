#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Headroom of external mbufs (rx_extmbuf_enable=1): test-extbuf, a guest of our own, echoes
the host generator's 500 frames of 600-1514 bytes on NIC 0. Each frame longer than
rx_copybreak (256) arrives attached in the receive buffer, and each is longer than
tx_copybreak (512), so it goes back GPA-direct; into each the guest prepends all
the headroom the mbuf offers, fills it with a marker and takes it off before sending the frame
back. Checked: every frame attached, its headroom exactly the RNDIS header in front of the frame
(hvnet: up to the usual RTE_PKTMBUF_HEADROOM of it; upstream: all of it): 256 bytes in the
host's default layout (hvnet 128), 60 with --rx-layout packed (the 44-byte PACKET header and the
checksum PPI; one queue, so no hash PPIs), no prepend refused; the generator gets every frame
back byte for byte (a headroom reaching into the message before would have marked another
frame); every frame sent on GPA-direct from the receive buffer (the IOVA covers the headroom);
no mbuf left in use, no violation, nothing owed. Both drivers: upstream netvsc gives an
attached frame its RNDIS header as headroom too."""
import re

from simtest import (Run, check, check_eq, check_gen, driver_eal_args, log, nic_uuid, run_gen,
                     run_test, rx_layout, tool_path, upstream, unique_prefix)

COUNT = 500
SIZES = "600-1514"
RNDIS_PACKET_HDR = 44       # the RNDIS message header and PACKET fields before any PPI
CSUM_PPI = 16               # the checksum PPI the host always gives (12-byte header, u32)
PKTMBUF_HEADROOM = 128      # DPDK's default RTE_PKTMBUF_HEADROOM: hvnet's bound
RXBUF_HEADROOM = 256        # where the simulated host puts a frame in its message (hv_wire.h)


def main():
    bus = "vmbus" if upstream() else "hvbus"
    guest = ([tool_path("HVNET_EXTBUF_TEST"), "--no-huge", "-m", "512", "--iova-mode=va",
              "--no-pci", "-l", "0", "--file-prefix", unique_prefix(),
              "-a", "%s:%s,rx_extmbuf_enable=1" % (bus, nic_uuid(0))] + driver_eal_args() +
             ["--", str(COUNT)])
    with Run(["--nics", "1", "--wire", "loop"], guest=guest, deadline=120) as r:
        r.wait_output("test-extbuf: ready", 0, timeout=60)
        got = run_gen(r, 0, COUNT, SIZES, flows=4)
        check_eq(got, COUNT, "frames the guest sent back")
        r.wait_output("test-extbuf: exit", 0, timeout=60)
        r.wait_exit(30)
        summ = r.check_clean_exit(1)
        text, wire = r.out, r.wire()
    m = re.search(r"^extbuf frames=(\d+) attached=(\d+) headroom_min=(\d+) headroom_max=(\d+) "
                  r"prepend_failed=(\d+) tx_dropped=(\d+)$", text, re.M)
    check(m is not None, "no counts line from test-extbuf:\n%s" % text[-2000:])
    frames, attached, hmin, hmax, failed, dropped = (int(v) for v in m.groups())
    log(m.group(0))
    check_eq((frames, attached, failed, dropped), (COUNT, COUNT, 0, 0),
             "(frames, attached, prepends refused, sends dropped)")
    frame_at = RNDIS_PACKET_HDR + CSUM_PPI if rx_layout() == "packed" else RXBUF_HEADROOM
    want = frame_at if upstream() else min(frame_at, PKTMBUF_HEADROOM)
    check_eq((hmin, hmax), (want, want),
             "headroom of attached frames, fewest and most (frame %d bytes into its message, "
             "%s layout)" % (frame_at, rx_layout()))
    m = re.search(r"^mbufs_in_use=(\d+)$", text, re.M)
    check(m is not None and int(m.group(1)) == 0,
          "mbufs in use after the port stopped: %s" % (m.group(1) if m else "no line"))
    check_gen(wire, 0, COUNT, "frames echoed through their headroom")
    check_eq((summ[0]["tx_gpa"], summ[0]["tx_gpa_rxbuf"]), (COUNT, COUNT),
             "frames sent on GPA-direct, of those from the receive buffer")
    log("%d attached frames, headroom %d..%d bytes written and given back, all echoed byte for "
        "byte, GPA-direct from the receive buffer" % (COUNT, hmin, hmax))


if __name__ == "__main__":
    run_test(main)
