#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""64 KiB TSO sends on the wire, IPv4 and IPv6 (testpmd forwards nothing that large, so
test-tso, a guest of our own, builds them): each send is one TCP frame of up to 62780 payload
bytes (the largest LSOv2 send Hyper-V offers) as an mbuf chain (headers alone, then data
segments of a pool with 16 KiB data rooms), with TSO at MSS 1448/1428 (1500-byte frames with
TCP timestamps) and odd MSS 1000 and 999; rte_eth_tx_prepare(), then rte_eth_tx_burst().
The host (--offload all) cuts each onto NIC 0's pcap wire, checked frame by frame: the count
(ceil(payload / MSS)), every frame's length, IP total or payload length, IPv4 ids counting up
from the send's (wrapping past 0xffff), TCP sequence numbers advancing by the MSS (wrapping past
2^32), FIN/PSH only on the last segment, CWR only on the first, the IP and TCP checksums, the
headers otherwise as sent, and the payload reassembled byte for byte.

hvnet also gets sends its tx_prepare must refuse, none of which may reach the wire: a payload one
byte beyond the host's LSOv2 maximum (EMSGSIZE), a chain that needs more than 32 page ranges
(EINVAL: 62 data segments of 1000 bytes; too big for a send-buffer section, too many pages for
GPA-direct), and an MSS whose segments exceed the MTU (EINVAL); tx_q0_prepare_rejected counts
each. Upstream netvsc has no tx_prepare: it gets only the sends that fit."""
import os
import re
import struct
import tempfile

from simtest import Run, check, check_eq, driver_eal_args, log, run_test, tool_path, upstream
from t24_offload import csum, mac_bytes, pseudo, read_pcap, write_pcap

MAC = "02:00:00:00:00:26"
PEER = bytes.fromhex("020000000001")
IP4_SRC, IP4_DST = bytes([192, 0, 2, 1]), bytes([198, 51, 100, 1])
IP6_SRC = bytes.fromhex("20010db8000000000000000000000001")
IP6_DST = bytes.fromhex("20010db8000000010000000000000002")
TCP_FIN, TCP_PSH, TCP_ACK, TCP_CWR = 0x01, 0x08, 0x10, 0x80
LSO_MAX = 0xf53c            # the host's LSOv2 largest send (payload bytes)
MTU = 1500
L4_LEN = 32                 # TCP header with NOP, NOP, timestamps

# (spec V:MSS:PAYLOAD:SEG, what hvnet's tx_prepare says: None = sent, else the errno name)
SENDS = [
    ("4:1448:%d:16000" % LSO_MAX, None),
    ("6:1428:%d:16000" % LSO_MAX, None),
    ("4:1000:%d:9999" % LSO_MAX, None),
    ("6:999:40000:7777", None),
]
REFUSED = [
    ("4:1448:%d:16000" % (LSO_MAX + 1), "EMSGSIZE"),
    ("6:1428:62000:1000", "EINVAL"),        # 63 ranges and more: beyond 32
    ("4:1449:20000:16000", "EINVAL"),       # 20 + 32 + 1449 > MTU 1500
]
ERRNO = {"EMSGSIZE": 90, "EINVAL": 22}


def payload(i, n):
    """Send i's payload bytes (test_tso.c: payload_byte)."""
    return bytes((k * 7 + k // 251 + i * 31) & 0xff for k in range(n))


def parse_sends(out):
    sends = []
    for m in re.finditer(r"^send (\d+) (.*)$", out, re.M):
        kv = dict(re.findall(r"(\w+)=(\S+)", m.group(2)))
        sends.append({k: (v if k == "result" else int(v)) for k, v in kv.items()})
        check_eq(int(m.group(1)), len(sends) - 1, "send numbering")
    return sends


def check_send(i, s, frames):
    """The frames of send i on the wire, one by one."""
    v6, mss, total = s["v"] == 6, s["mss"], s["payload"]
    what = "send %d (IPv%d, MSS %d, %d bytes)" % (i, s["v"], mss, total)
    want = -(-total // mss)
    check_eq(len(frames), want, "%s: segments on the wire" % what)
    l3 = 14
    l4 = l3 + (40 if v6 else 20)
    data = b""
    for j, f in enumerate(frames):
        seg = "%s segment %d" % (what, j)
        n = min(mss, total - j * mss)
        check_eq(len(f), l4 + L4_LEN + n, "%s: frame length" % seg)
        check_eq((f[0:6], f[6:12]), (PEER, mac_bytes(MAC)), "%s: MAC addresses" % seg)
        if v6:
            check_eq(f[12:14], b"\x86\xdd", "%s: ethertype" % seg)
            vtc, plen, nxt, hops = struct.unpack("!IHBB", f[l3:l3 + 8])
            check_eq((vtc, plen, nxt, hops), (6 << 28, L4_LEN + n, 6, 64),
                     "%s: IPv6 version/class/flow, payload length, next header, hops" % seg)
            check_eq((f[l3 + 8:l3 + 24], f[l3 + 24:l3 + 40]), (IP6_SRC, IP6_DST),
                     "%s: IPv6 addresses" % seg)
            src, dst = IP6_SRC, IP6_DST
        else:
            check_eq(f[12:14], b"\x08\x00", "%s: ethertype" % seg)
            vhl, tos, tot, ident, frag, ttl, proto = struct.unpack("!BBHHHBB", f[l3:l3 + 10])
            check_eq((vhl, tos, tot, ident, frag, ttl, proto),
                     (0x45, 0, 20 + L4_LEN + n, (s["id"] + j) & 0xffff, 0x4000, 64, 6),
                     "%s: IPv4 (vhl, tos, total length, id, DF, ttl, proto)" % seg)
            check_eq((f[l3 + 12:l3 + 16], f[l3 + 16:l3 + 20]), (IP4_SRC, IP4_DST),
                     "%s: IPv4 addresses" % seg)
            check_eq(csum(f[l3:l4]), 0, "%s: IPv4 header checksum" % seg)
            src, dst = IP4_SRC, IP4_DST
        tcp = f[l4:]
        check_eq(csum(tcp, pseudo(src, dst, 6, len(tcp))), 0, "%s: TCP checksum" % seg)
        sport, dport, seq, ack, doff, flags, win = struct.unpack("!HHIIBBH", tcp[:16])
        last, first = j == want - 1, j == 0
        fl = (TCP_FIN | TCP_PSH | TCP_ACK | TCP_CWR) & \
            ~((0 if last else TCP_FIN | TCP_PSH) | (0 if first else TCP_CWR))
        check_eq((sport, dport, seq, ack, doff, flags, win),
                 (s["sport"], 80, (s["seq"] + j * mss) & 0xffffffff, 7, (L4_LEN // 4) << 4,
                  fl, 65535),
                 "%s: TCP ports, sequence, ack, data offset, flags, window" % seg)
        check_eq(tcp[18:32], b"\0\0" + b"\x01\x01\x08\x0a" +
                 struct.pack("!II", i + 1, 0), "%s: urgent pointer and options" % seg)
        data += tcp[L4_LEN:]
    check(data == payload(i, total), "%s: the payload reassembled differs from the one sent"
          % what)
    log("%s: %d segments, every header, checksum and payload byte as it should be"
        % (what, want))
    return want


def run_guest(specs, clean=True):
    """test-tso with these sends under the simulator; (its output, the simulator's stderr,
    its summary of NIC 0, the frames on NIC 0's wire). clean: no violation allowed."""
    with tempfile.TemporaryDirectory(prefix="hvt26-") as tmp:
        empty, out = os.path.join(tmp, "empty.pcap"), os.path.join(tmp, "out.pcap")
        write_pcap(empty, [])
        prefix = "hvt26-%d" % os.getpid()
        guest = ([tool_path("HVNET_TSO_TEST"), "--no-huge", "-m", "512", "--iova-mode=va",
                  "--no-pci", "-l", "0", "--file-prefix", prefix] + driver_eal_args() +
                 ["--"] + list(specs))
        sim = ["--nics", "1", "--mac", MAC, "--offload", "all",
               "--wire", "0=pcap:%s,%s" % (empty, out)]
        with Run(sim, guest=guest, deadline=120) as r:
            r.wait_output("test-tso: exit", 0, timeout=90)
            r.wait_exit(30)
            summ = r.check_clean_exit(1) if clean else r.summary()
            text, err = r.out, r.stderr()
        wire = read_pcap(out)
    log("\n".join(l for l in text.splitlines() if re.match(r"(send|mbufs|offloads) ", l)))
    check("offloads tso=1 ipv4_cksum=1 tcp_cksum=1 multi_segs=1" in text,
          "port 0 lacks TSO, checksum or multi-segment offloads")
    m = re.search(r"^mbufs_in_use=(\d+) prepare_rejected=(-?\d+)", text, re.M)
    check(m is not None, "no mbufs/xstats line from test-tso")
    check_eq(int(m.group(1)), 0, "mbufs in use once the host completed every send")
    sends = parse_sends(text)
    check_eq(len(sends), len(specs), "send lines printed")
    return sends, int(m.group(2)), err, summ[0], wire


def host_takes(s):
    """The host's LSOv2 rules: a payload within its maximum, segments within the MTU."""
    return s["payload"] <= LSO_MAX and (40 if s["v"] == 6 else 20) + L4_LEN + s["mss"] <= MTU


def check_wire(sends, wire, summ):
    """Every send test-tso sent, cut on the wire in order, and nothing else."""
    pos = 0
    for i, s in enumerate(sends):
        if s["result"] != "sent" or not host_takes(s):
            continue
        n = -(-s["payload"] // s["mss"])
        pos += check_send(i, s, wire[pos:pos + n])
    check_eq(len(wire), pos, "frames on the wire (no more than the sends' segments)")
    return pos


def main():
    cases = SENDS + ([] if upstream() else REFUSED)
    sends, rejected, _, summ, wire = run_guest([spec for spec, _ in cases])
    for i, ((spec, refused), s) in enumerate(zip(cases, sends)):
        got = (s["result"], None if s["result"] == "sent" else s["errno"])
        check_eq(got, ("refused", ERRNO[refused]) if refused else ("sent", None),
                 "send %d (%s): tx_prepare's verdict (result, errno)" % (i, spec))
    if not upstream():
        check_eq(rejected, len(REFUSED), "tx_q0_prepare_rejected")
    pos = check_wire(sends, wire, summ)
    check_eq((summ.get("tx_lso_sends"), summ.get("tx_lso_segments")), (len(SENDS), pos),
             "the host's count of LSO sends and the segments it cut")
    log("%d TSO sends, %d segments on the wire, all checked" % (len(SENDS), pos))
    if upstream():
        upstream_refused()


def upstream_refused():
    """What hvnet refuses, upstream netvsc sends (it has no tx_prepare): the host fails the
    send beyond its maximum and the one whose MSS exceeds the MTU (violations, completion
    FAILURE, logged by netvsc), and cuts the chain of 63 page ranges as it should."""
    sends, _, err, summ, wire = run_guest([spec for spec, _ in REFUSED], clean=False)
    check_eq([s["result"] for s in sends], ["sent"] * len(REFUSED), "upstream netvsc's sends")
    rules = re.findall(r"hvnet-sim: violation nic=0 .*rule=(.*)$", err, re.M)
    check_eq(sorted(rules), ["LSO MSS beyond the MTU", "LSO send larger than the offered "
                             "maximum"], "violations of the sends hvnet refuses")
    check_eq(summ.get("tx_errors"), 2, "sends the host failed")
    pos = check_wire(sends, wire, summ)
    log("upstream netvsc differs: it sends what hvnet's tx_prepare refuses; the host failed "
        "2 sends and cut the chain of %d segments into %d frames"
        % (sends[1]["segs"], pos))


if __name__ == "__main__":
    run_test(main)
