#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write the seed corpus of the fuzz harnesses (fuzz/corpus/<harness>/): a few well-formed
inputs of each, in the harness's input layout (see the comment at the top of each harness),
so that the fuzzers start from messages a host really sends. Run from anywhere; it rewrites
the files it owns and nothing else."""
import os
import struct

TOP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fuzz", "corpus")


def put(harness, name, data):
    d = os.path.join(TOP, harness)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def rndis_packet(frame_len, ppis=b""):
    """RNDIS PACKET: 44-byte header, PPIs, frame."""
    hdr_len = 44 + len(ppis)
    length = hdr_len + frame_len
    hdr = struct.pack("<11I", 1, length, hdr_len - 8, frame_len, 0, 0, 0,
                      36 if ppis else 0, len(ppis), 0, 0)
    return hdr + ppis + bytes((i * 7 + 1) & 0xff for i in range(frame_len))


def ppi(ptype, val):
    return struct.pack("<4I", 16, ptype, 12, val)


def vmbus_pkt(ptype, flags, tid, payload, ext=b""):
    hdr = 16 + len(ext)
    total = hdr + len(payload)
    padded = (total + 7) & ~7
    return (struct.pack("<HHHHQ", ptype, hdr // 8, padded // 8, flags, tid) + ext + payload +
            bytes(padded - total) + struct.pack("<Q", 0))


def ring_seeds():
    comp = vmbus_pkt(11, 0, 0x8000000100010000, struct.pack("<II", 108, 1))
    xfer = vmbus_pkt(7, 1, 5, struct.pack("<4I", 107, 0, 0xffffffff, 0),
                     struct.pack("<HBBI", 0xcafe, 0, 0, 1) + struct.pack("<II", 1806, 0))
    inband = vmbus_pkt(6, 0, 0, struct.pack("<3I", 134, 0, 12))
    for name, pkts in (("completion", comp), ("xfer", xfer), ("mixed", comp + xfer + inband)):
        put("ring", name, struct.pack("<IIH", len(pkts), 0, 4096) + pkts)
    # A packet wrapping the end of the 8192-byte data area.
    put("ring", "wrapped", struct.pack("<IIH", 8, 8192 - 16, 4096) + comp[16:] + comp[:16])


def rx_parse_seeds():
    nvsp = struct.pack("<4I", 107, 0, 0xffffffff, 0)
    msg = rndis_packet(60, ppi(0, 0) + ppi(6, 0x22) + ppi(8, 0x33) + ppi(9, 0x301))
    ranges = struct.pack("<II", len(msg), 0) + struct.pack("<II", len(msg), 2048)
    buf = msg + bytes(2048 - len(msg)) + msg
    put("rx_parse", "two_frames", struct.pack("<HHHH", 0xcafe, 2, 2048, 1518) + nvsp + ranges +
        buf)
    msg = rndis_packet(1514)
    put("rx_parse", "full_frame", struct.pack("<HHHH", 0xcafe, 1, 2048, 1518) + nvsp +
        struct.pack("<II", len(msg), 0) + msg)


def rndis_ctl_seeds():
    init = struct.pack("<13I", 0x80000002, 52, 1, 0, 1, 0, 1, 0, 8, 0x40000, 3, 0, 0)
    put("rndis_ctl", "init_cmplt", bytes([0]) + init)
    mac = bytes([0, 0x15, 0x5d, 0x10, 0, 1])
    query = struct.pack("<6I", 0x80000004, 30, 2, 0, 6, 16) + mac
    put("rndis_ctl", "query_mac", bytes([6]) + query)
    caps = struct.pack("<BBHIIIH", 0x88, 2, 18, 0x301, 1, 8, 128)
    query = struct.pack("<6I", 0x80000004, 24 + len(caps), 3, 0, len(caps), 16) + caps
    put("rndis_ctl", "query_rss_caps", bytes([18]) + query)
    put("rndis_ctl", "set_cmplt", bytes([0]) + struct.pack("<4I", 0x80000005, 16, 4, 0))
    speed = struct.pack("<5I", 7, 24, 0x40010013, 4, 12) + struct.pack("<I", 250000000)
    put("rndis_ctl", "speed_indication", bytes([0]) + speed)
    put("rndis_ctl", "link_up", bytes([0]) + struct.pack("<5I", 7, 20, 0x4001000b, 0, 0))


def nvsp_seeds():
    put("nvsp", "rxbuf_complete", struct.pack("<IB", 31744, 0) +
        struct.pack("<7I", 102, 1, 1, 0, 1806 * 16000, 1806, 16000))
    put("nvsp", "sendbuf_complete", struct.pack("<IB", 16384, 0) + struct.pack("<3I", 105, 1, 6144))
    put("nvsp", "subchannel", struct.pack("<IB", 0, 3) + struct.pack("<3I", 133, 1, 3))
    table = struct.pack("<3I", 134, 16, 12) + struct.pack("<16I", *[i % 4 for i in range(16)])
    put("nvsp", "indirection", struct.pack("<IB", 0, 0) + table)
    put("nvsp", "rndis_pkt", struct.pack("<IB", 0, 0) + struct.pack("<4I", 107, 1, 0xffffffff, 0))


if __name__ == "__main__":
    ring_seeds()
    rx_parse_seeds()
    rndis_ctl_seeds()
    nvsp_seeds()
