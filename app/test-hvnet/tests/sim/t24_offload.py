#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Offloads on the wire: checksums, LSOv2 (TSO), VLAN, with the host offering all of them and none.
NIC 0's wire replays a pcap file the test makes (IPv4 and IPv6, TCP and UDP, frames with a bad
IP or UDP checksum, a VLAN-tagged one) once forwarding runs (control 'replay'); testpmd's csum
engine forwards them to port 1 with IPv4/TCP/UDP checksum offload and TSO (MSS 500) on port 1;
NIC 1's wire writes what the host put on it to a pcap file, checked frame by frame:
1. --offload all: every TCP send is cut into MSS-sized segments (lengths, IP ids, sequence
   numbers, FIN/PSH only on the last, CWR only on the first, every checksum right, the payload
   byte for byte); UDP checksums right; the tagged frame keeps its tag (received with the tag in
   the VLAN PPI, put back by the driver since VLAN strip is off). testpmd's verbose dump shows the
   receive checksum verdict the host gave: good, or bad for the broken frames.
2. Port 0 stripping tags, port 1 inserting tag 200 in every frame (VLAN PPI), mac forwarding:
   every frame on the wire carries tag 200 alone, the tagged one arrives 4 bytes shorter.
3. --offload none: no checksum offload or TSO among port 1's capabilities, the frames leave as
   they were sent (one each, checksums computed by testpmd), and every receive verdict unknown
   (the host checks nothing: the checksum PPI says 0). hvnet: TSO asked anyway is refused by
   tx_prepare (ENOTSUP, tx_q0_prepare_rejected).
4. hvnet: packet types only when asked for (testpmd asks for none; 'set port 0 ptype_mask'),
   then the ones rte_net_get_ptype() finds.
Upstream netvsc 22.11 differs: it enables receive checksums only when the application asks
for them (testpmd does not here), so every verdict is unknown (logged); and its checksum
offset for the tagged frame counts the tag it sends out of band (UPSTREAM_DEFECTS)."""
import os
import re
import struct
import tempfile

from simtest import Run, check, check_eq, log, mac_list, run_test, upstream
from t14_hostile import xstats

MSS = 500
MACS = mac_list(2)
PEER = bytes.fromhex("020000000001")
IP4_SRC, IP4_DST = bytes([192, 0, 2, 1]), bytes([198, 51, 100, 1])
IP6_SRC = bytes.fromhex("20010db8000000000000000000000001")
IP6_DST = bytes.fromhex("20010db8000000010000000000000002")
TCP_FIN, TCP_PSH, TCP_ACK, TCP_CWR = 0x01, 0x08, 0x10, 0x80


def mac_bytes(mac):
    return bytes(int(x, 16) for x in mac.split(":"))


def csum(data, start=0):
    if len(data) & 1:
        data += b"\0"
    s = start + sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff


def pseudo(src, dst, proto, length):
    s = sum(struct.unpack("!%dH" % (len(src + dst) // 2), src + dst))
    return s + proto + length


def l4(v6, src, dst, proto, hdr, payload, bad=False):
    """TCP or UDP header (checksum field zero at 16 or 6) and payload, checksum filled."""
    seg = hdr + payload
    off = 16 if proto == 6 else 6
    c = csum(seg, pseudo(src, dst, proto, len(seg)))
    if proto == 17 and c == 0:
        c = 0xffff
    if bad:
        c ^= 0x5a5a
    return seg[:off] + struct.pack("!H", c) + seg[off + 2:]


def tcp_hdr(sport, dport, seq, flags):
    return struct.pack("!HHIIBBHHH", sport, dport, seq, 7, 5 << 4, flags, 65535, 0, 0)


def udp_hdr(sport, dport, length):
    return struct.pack("!HHHH", sport, dport, length, 0)


def ip4(proto, body, ident, bad=False):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(body), ident, 0x4000, 64, proto, 0,
                    IP4_SRC, IP4_DST)
    c = csum(h) ^ (0x1111 if bad else 0)
    return h[:10] + struct.pack("!H", c) + h[12:] + body


def ip6(proto, body):
    return struct.pack("!IHBB16s16s", 6 << 28, len(body), proto, 64, IP6_SRC, IP6_DST) + body


def eth(ethertype, body, vlan=None):
    tag = struct.pack("!HH", 0x8100, vlan) if vlan is not None else b""
    return mac_bytes(MACS[0]) + PEER + tag + struct.pack("!H", ethertype) + body


def payload(n, seed):
    return bytes((seed * 7 + i * 13) & 0xff for i in range(n))


def tcp_frame(v6, n, seq, ident, bad_ip=False):
    flags = TCP_FIN | TCP_PSH | TCP_ACK | TCP_CWR
    src, dst = (IP6_SRC, IP6_DST) if v6 else (IP4_SRC, IP4_DST)
    body = l4(v6, src, dst, 6, tcp_hdr(40000 + n, 80, seq, flags), payload(n, n))
    return eth(0x86dd, ip6(6, body)) if v6 else eth(0x0800, ip4(6, body, ident, bad_ip))


def udp_frame(v6, n, bad=False, vlan=None):
    src, dst = (IP6_SRC, IP6_DST) if v6 else (IP4_SRC, IP4_DST)
    body = l4(v6, src, dst, 17, udp_hdr(5000 + n, 53, 8 + n), payload(n, n), bad)
    return eth(0x86dd, ip6(17, body), vlan) if v6 else eth(0x0800, ip4(17, body, n), vlan)


# (name, frame, expected receive verdict (IP, L4) when the host checks, segments with TSO)
def frames():
    return [
        ("tcp4", tcp_frame(False, 1460, 1000, 0x1234), ("GOOD", "GOOD")),
        ("tcp6", tcp_frame(True, 1430, 5000, 0), ("UNKNOWN", "GOOD")),
        ("udp4", udp_frame(False, 300), ("GOOD", "GOOD")),
        ("udp6", udp_frame(True, 310), ("UNKNOWN", "GOOD")),
        ("udp4-bad-l4", udp_frame(False, 320, bad=True), ("GOOD", "BAD")),
        ("tcp4-bad-ip", tcp_frame(False, 100, 77, 0x4321, bad_ip=True), ("BAD", "GOOD")),
        ("udp4-vlan", udp_frame(False, 334, vlan=(3 << 13) | 100), ("GOOD", "GOOD")),
    ]


def write_pcap(path, pkts):
    with open(path, "wb") as f:
        f.write(struct.pack("=IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for p in pkts:
            f.write(struct.pack("=IIII", 0, 0, len(p), len(p)) + p)


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    check(len(data) >= 24 and struct.unpack("=I", data[:4])[0] == 0xa1b2c3d4,
          "%s is not a native pcap file" % path)
    out, off = [], 24
    while off + 16 <= len(data):
        caplen = struct.unpack("=IIII", data[off:off + 16])[2]
        out.append(data[off + 16:off + 16 + caplen])
        off += 16 + caplen
    return out


class Parsed:
    """One frame, its lengths and (strict: a frame off the wire) its checksums checked."""

    def __init__(self, f, strict=True):
        self.vlan = None
        off = 12
        et = struct.unpack("!H", f[off:off + 2])[0]
        if et == 0x8100:
            self.vlan = struct.unpack("!H", f[14:16])[0]
            off += 4
            et = struct.unpack("!H", f[off:off + 2])[0]
        l3 = off + 2
        self.v6 = et == 0x86dd
        check(et in (0x0800, 0x86dd), "ethertype 0x%04x on the wire" % et)
        if self.v6:
            plen, self.proto = struct.unpack("!HB", f[l3 + 4:l3 + 7])
            check_eq(len(f), l3 + 40 + plen, "IPv6 payload length vs frame")
            src, dst, l4o = f[l3 + 8:l3 + 24], f[l3 + 24:l3 + 40], l3 + 40
            self.ident = None
        else:
            tot, self.ident = struct.unpack("!HH", f[l3 + 2:l3 + 6])
            self.proto = f[l3 + 9]
            check(len(f) >= l3 + tot and (len(f) == l3 + tot or len(f) == 60),
                  "IPv4 total length %d vs frame %d" % (tot, len(f)))
            if strict:
                check_eq(csum(f[l3:l3 + 20]), 0, "IPv4 header checksum on the wire")
            src, dst, l4o = f[l3 + 12:l3 + 16], f[l3 + 16:l3 + 20], l3 + 20
            f = f[:l3 + tot]
        seg = f[l4o:]
        if strict:
            check_eq(csum(seg, pseudo(src, dst, self.proto, len(seg))), 0,
                     "%s checksum on the wire" % ("TCP" if self.proto == 6 else "UDP"))
        if self.proto == 6:
            self.seq, _, doff, self.flags = struct.unpack("!IIBB", seg[4:14])
            self.data = seg[(doff >> 4) * 4:]
        else:
            self.data = seg[8:]


def check_tcp_send(name, orig, segs, tso, strict=True):
    """The segments on the wire of one TCP send: the original payload, cut at MSS."""
    o = Parsed(orig, strict=False)
    want = [o.data[i:i + MSS] for i in range(0, len(o.data), MSS)] if tso else [o.data]
    check_eq(len(segs), len(want), "%s: segments on the wire" % name)
    off = 0
    for i, (s, w) in enumerate(zip(segs, want)):
        p = Parsed(s, strict)
        check(p.data == w, "%s segment %d: payload differs" % (name, i))
        check_eq(p.seq, (o.seq + off) & 0xffffffff, "%s segment %d: sequence" % (name, i))
        if not o.v6:
            check_eq(p.ident, (o.ident + i) & 0xffff, "%s segment %d: IP id" % (name, i))
        last, first = i == len(want) - 1, i == 0
        fl = o.flags & ~((0 if last else TCP_FIN | TCP_PSH) | (0 if first else TCP_CWR))
        check_eq(p.flags, fl, "%s segment %d: TCP flags" % (name, i))
        off += len(w)


def rx_verdicts(out):
    """{frame length: (IP, L4)} from testpmd's verbose receive dump."""
    got = {}
    for m in re.finditer(r"length=(\d+) .*?ol_flags: ([^\n]*)", out, re.S):
        fl = m.group(2)
        ip = re.search(r"RX_IP_CKSUM_(GOOD|BAD|UNKNOWN|NONE)", fl)
        l4v = re.search(r"RX_L4_CKSUM_(GOOD|BAD|UNKNOWN|NONE)", fl)
        got[int(m.group(1))] = (ip.group(1) if ip else "UNKNOWN",
                                l4v.group(1) if l4v else "UNKNOWN")
    return got


def segments(f, tso):
    """Frames one test frame becomes on the wire: TCP sends cut at MSS with TSO."""
    p = Parsed(f, strict=False)
    return 1 + (len(p.data) - 1) // MSS if p.proto == 6 and tso else 1


TX_TAG = 200      # the tag port 1 inserts in the VLAN run ('tx_vlan set'), priority 0


def offload_run(mode, vlan=False):
    with tempfile.TemporaryDirectory(prefix="hvt24-") as tmp:
        return offload_case(mode, tmp, vlan)


def offload_case(mode, tmp, vlan):
    """vlan: port 0 strips tags (--enable-hw-vlan-strip), port 1 inserts TX_TAG in every frame
    through the VLAN PPI; forwarded by the mac engine (testpmd 22.11's csum engine inserts no
    tag), so no checksum is filled and the broken frames stay broken."""
    tso = mode == "all" and not vlan
    fin, fout, empty = (os.path.join(tmp, n) for n in ("in.pcap", "out.pcap", "empty.pcap"))
    cases = frames()
    write_pcap(fin, [f for _, f, _ in cases])
    write_pcap(empty, [])
    sim = ["--nics", "2", "--mac", ",".join(MACS), "--offload", mode,
           "--wire", "0=pcap:" + empty, "--wire", "1=pcap:%s,%s" % (empty, fout)]
    fwd = ["--forward-mode=mac", "--enable-hw-vlan-strip"] if vlan else ["--forward-mode=csum"]
    with Run(sim, fwd) as r:
        caps = r.cmd("show port 1 tx_offload capabilities")
        offered = all(c in caps for c in ("IPV4_CKSUM", "UDP_CKSUM", "TCP_CKSUM", "TCP_TSO"))
        if mode == "all":
            check(offered, "port 1 transmit offloads lack checksums or TSO:\n" + caps)
        else:
            check(not any(c in caps for c in ("IPV4_CKSUM", "UDP_CKSUM", "TCP_CKSUM",
                                               "TCP_TSO")),
                  "port 1 offers transmit offloads the host does not:\n" + caps)
        r.cmd("port stop 1", timeout=60)
        if vlan:
            r.cmd("tx_vlan set 1 %d" % TX_TAG)
        else:
            for proto in ("ip", "tcp", "udp"):
                r.cmd("csum set %s hw 1" % proto)
        if tso:
            # Not without TSO: testpmd 22.11 keeps the size and asks TSO of every TCP frame,
            # which tx_prepare then refuses (ENOTSUP), rightly.
            r.cmd("tso set %d 1" % MSS)
        r.cmd("port start 1", timeout=60)
        r.cmd("set verbose 1")
        r.cmd("start")
        r.ctl("replay 0 " + fin)
        want = sum(segments(f, tso) for _, f, _ in cases)
        for _ in range(100):
            if r.sim_stats()[1].get("from_guest_frames", 0) >= want:
                break
            r.pump(0.2)
        out = r.cmd("stop")
        stats = r.sim_stats()
        r.quit()
        r.check_clean_exit(2)
    check_eq(stats[1]["from_guest_frames"], want, "frames the host put on NIC 1's wire")
    wire = read_pcap(fout)
    check_eq(len(wire), want, "frames in NIC 1's capture")
    pos = 0
    verdicts = rx_verdicts(out)
    for name, f, verdict in cases:
        n = segments(f, tso)
        plain = vlan and "bad" in name     # forwarded as received: still broken
        if vlan:
            check_eq([Parsed(w, strict=False).vlan for w in wire[pos:pos + n]], [TX_TAG] * n,
                     "%s: the tag port 1 inserts, on every frame" % name)
        if name.startswith("tcp"):
            check_tcp_send(name, f, wire[pos:pos + n], tso, strict=not plain)
        else:
            # The upstream defect of UPSTREAM_DEFECTS: netvsc's offset for the tagged frame.
            known = upstream() and name.endswith("vlan") and mode == "all" and not vlan
            q = Parsed(wire[pos], strict=not known and not plain)
            if known:
                log("upstream defect, expected: %s left with its UDP checksum written 4 bytes "
                    "off" % name)
                check_eq(csum(wire[pos][18:38]), 0, "%s: IPv4 header checksum" % name)
            else:
                check(q.data == Parsed(f, strict=False).data, "%s: payload differs" % name)
            if name.endswith("vlan") and not vlan:
                check_eq(q.vlan, (3 << 13) | 100, "%s: 802.1Q tag on the wire" % name)
        pos += n
        # Stripped, the tagged frame arrives 4 bytes shorter.
        rx_len = len(f) - (4 if vlan and name.endswith("vlan") else 0)
        got = verdicts.get(rx_len)
        check(got is not None, "%s: no verbose receive line for length %d" % (name, rx_len))
        exp = verdict if mode == "all" else ("UNKNOWN", "UNKNOWN")
        if upstream() and got != exp:
            log("upstream netvsc differs: %s received with %r, hvnet gives %r" % (name, got, exp))
            continue
        check_eq(got, exp, "%s: receive checksum verdict (IP, L4)" % name)
    log("offload %s%s: %d frames in, %d on the wire, all checked"
        % (mode, " vlan" if vlan else "", len(cases), pos))
    return stats[1]


def prepare_refuses_tso():
    """hvnet only (upstream netvsc has no tx_prepare): the host offers no LSO, testpmd 22.11
    still asks TSO of every TCP frame after 'tso set': tx_prepare refuses them with ENOTSUP,
    counted in tx_q0_prepare_rejected, and the host segments nothing."""
    with tempfile.TemporaryDirectory(prefix="hvt24-") as tmp:
        fin, empty = os.path.join(tmp, "in.pcap"), os.path.join(tmp, "empty.pcap")
        write_pcap(fin, [tcp_frame(False, 1460, 1000, 0x1234)] * 3)
        write_pcap(empty, [])
        sim = ["--nics", "2", "--mac", ",".join(MACS), "--offload", "none",
               "--wire", "0=pcap:" + empty, "--wire", "1=pcap:" + empty]
        with Run(sim, ["--forward-mode=csum"]) as r:
            r.cmd("port stop 1", timeout=60)
            r.cmd("tso set %d 1" % MSS)
            r.cmd("port start 1", timeout=60)
            r.cmd("start")
            r.ctl("replay 0 " + fin)
            for _ in range(100):
                if xstats(r, 1).get("tx_q0_prepare_rejected", 0) > 0:
                    break
                r.pump(0.2)
            out = r.cmd("stop")
            check("Preparing packet burst to transmit failed: Operation not supported" in
                  r.out, "testpmd did not report tx_prepare's ENOTSUP:\n" + out)
            check(xstats(r, 1).get("tx_q0_prepare_rejected", 0) >= 1,
                  "tx_q0_prepare_rejected did not count the refused TSO frame")
            stats = r.sim_stats()[1]
            r.quit()
            r.check_clean_exit(2)
        check_eq(stats.get("tx_lso_sends", 0) + stats.get("from_guest_frames", 0), 0,
                 "frames sent for TSO requests the host never offered")


def rx_ptypes(out):
    """{frame length: (hw ptype or None, sw ptype)} from testpmd's verbose receive dump."""
    got = {}
    for line in out.splitlines():
        m = re.search(r"length=(\d+) .*?(?: - hw ptype: (.*?))? - sw ptype: (.*?)  ", line)
        if m:
            got[int(m.group(1))] = (m.group(2).strip() if m.group(2) else None,
                                    m.group(3).strip())
    return got


def ptypes_run():
    """hvnet only (upstream netvsc 22.11 cannot stop classifying): packet types. testpmd asks
    for none when a port starts, which hvnet takes (no 'Failed to disable Ptype parsing'): its
    frames come with no type. 'set port 0 ptype_mask' asks for them again: every frame's type
    is then the one rte_net_get_ptype() finds at L2-L4 (testpmd's 'sw ptype'), the tagged one
    (tag put back by the driver) included. 'show port 0 ptypes' lists what it classifies."""
    with tempfile.TemporaryDirectory(prefix="hvt24-") as tmp:
        fin, empty = os.path.join(tmp, "in.pcap"), os.path.join(tmp, "empty.pcap")
        cases = frames()
        write_pcap(fin, [f for _, f, _ in cases])
        write_pcap(empty, [])
        sim = ["--nics", "2", "--mac", ",".join(MACS), "--offload", "all",
               "--wire", "0=pcap:" + empty, "--wire", "1=pcap:" + empty]
        with Run(sim, ["--forward-mode=rxonly"]) as r:
            check("Failed to disable Ptype parsing" not in r.out,
                  "testpmd could not turn packet types off:\n" + r.out[-2000:])
            sup = r.cmd("show port 0 ptypes")
            for t in ("L2_ETHER", "L2_ETHER_VLAN", "L3_IPV4", "L3_IPV6", "L4_TCP", "L4_UDP"):
                check(re.search(r"\b%s\b" % t, sup) is not None,
                      "show port 0 ptypes lacks %s:\n%s" % (t, sup))
            r.cmd("set verbose 1")
            seen = []
            for mask in (None, "0xfff"):
                if mask is not None:
                    r.cmd("set port 0 ptype_mask " + mask)
                since = len(r.out)      # the dump comes between commands
                r.cmd("start")
                r.ctl("replay 0 " + fin)
                # The dump itself is awaited, with no command meanwhile: testpmd writes a
                # prompt a byte at a time, and frames dumped then split it.
                for _ in range(100):
                    if len(rx_ptypes(r.out[since:])) >= len({len(f) for _, f, _ in cases}):
                        break
                    r.pump(0.2)
                r.cmd("stop")
                seen.append(rx_ptypes(r.out[since:]))
                dump = r.out[since:][-3000:]
            r.quit()
            r.check_clean_exit(2)
    off, on = seen
    for name, f, _ in cases:
        check(len(f) in off and len(f) in on, "%s: no verbose receive line in:\n%s"
              % (name, dump))
        check_eq(off[len(f)][0], None, "%s: packet type with none asked for" % name)
        check_eq(on[len(f)][0], on[len(f)][1], "%s: packet type (hw, as sw)" % name)
    check("L2_ETHER_VLAN" in on[len(cases[-1][1])][0], "the tagged frame's type: %r"
          % (on[len(cases[-1][1])],))
    log("packet types: %d frames untyped with none asked for, typed as rte_net_get_ptype "
        "after ptype_mask" % len(cases))


def main():
    s = offload_run("all")
    check(s.get("tx_lso_sends", 0) >= 2 or upstream(), "LSO sends the host cut: %r" % s)
    offload_run("all", vlan=True)
    s = offload_run("none")
    check_eq(s.get("tx_lso_sends", 0) + s.get("tx_csum_filled", 0), 0,
             "offloads performed with none offered")
    if not upstream():
        prepare_refuses_tso()
        ptypes_run()


if __name__ == "__main__":
    run_test(main)
