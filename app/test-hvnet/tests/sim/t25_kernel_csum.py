#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The kernel as the peer of checksum offload: two TAP wires, each in a namespace the test
makes (A: 192.0.2.1/24, B: 198.51.100.1/24, IPv6 off), testpmd's csum engine forwarding between
the two ports (MACs rewritten: --eth-peer gives each TAP's). Each namespace routes the other's
net through the port on its side. B runs a TCP sink and a UDP sink (Debian's python3); A sends
BULK bytes over TCP and DGRAMS UDP datagrams of several sizes:
- with IP/TCP/UDP checksum offload on both ports (the host fills every checksum), then with it
  off (testpmd computes them);
- every byte arrives (same SHA-256), every datagram arrives intact, and B's kernel counts no
  checksum error (nstat: TcpInCsumErrors, UdpInCsumErrors, IpExtInCsumErrors; no IP header
  error), nor A's for the ACKs and replies;
- the host filled checksums only in the offload run (tx_csum_filled).
Upstream netvsc: the same."""
import os
import re
import shutil
import subprocess

from simtest import Run, TestSkip, check, check_eq, log, mac_list, run_test
from t19_l3fwd import in_namespaces, ns, wait_tap, wire_up

NS_A = "hvt25a-%d" % os.getpid()
NS_B = "hvt25b-%d" % os.getpid()
TAPS = ("hvc0-%d" % (os.getpid() % 10000), "hvc1-%d" % (os.getpid() % 10000))
TAP_MACS = ("02:00:5e:25:00:01", "02:00:5e:25:00:02")
NETS = (("192.0.2.1", "192.0.2.254", "192.0.2.0/24"),
        ("198.51.100.1", "198.51.100.254", "198.51.100.0/24"))
BULK = 4 << 20
DGRAMS = 200
PY = "/usr/bin/python3"

# B's sinks: TCP (hash of all bytes) and UDP (count of intact datagrams), each bounded in time.
SINK = r"""
import hashlib, socket, sys
t = socket.socket(); t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind(("0.0.0.0", 5001)); t.listen(1); t.settimeout(60)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("0.0.0.0", 5002)); u.settimeout(20)
print("ready", flush=True)
c, _ = t.accept(); c.settimeout(60); h = hashlib.sha256(); n = 0
while True:
    b = c.recv(65536)
    if not b:
        break
    h.update(b); n += len(b)
good = 0
try:
    for _ in range(%(dgrams)d):
        d, _ = u.recvfrom(65536)
        k = d[0] | d[1] << 8
        m = 30 + (k * 137) %% 1371
        good += len(d) == m + 2 and d[2:] == bytes((k * 7 + i) & 255 for i in range(m))
except socket.timeout:
    pass
print("tcp", n, h.hexdigest(), "udp", good, flush=True)
"""

# A's source: BULK pseudo-random bytes over TCP, then DGRAMS datagrams of 30..1400 bytes.
SOURCE = r"""
import hashlib, random, socket, time
r = random.Random(25); data = bytes(r.getrandbits(8) for _ in range(%(bulk)d))
s = socket.create_connection(("%(dst)s", 5001), timeout=60); s.sendall(data); s.close()
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for k in range(%(dgrams)d):
    n = 30 + (k * 137) %% 1371
    u.sendto(bytes((k & 255, k >> 8)) + bytes((k * 7 + i) & 255 for i in range(n)),
             ("%(dst)s", 5002))
    time.sleep(0.002)
print("sent", len(data), hashlib.sha256(data).hexdigest(), flush=True)
"""

CSUM_ERRORS = ("TcpInCsumErrors", "UdpInCsumErrors", "IpExtInCsumErrors", "IpInHdrErrors")


def csum_errors(name):
    """The kernel's checksum and header error counters in namespace name (nstat, absolute)."""
    out = ns(name, "nstat", "-az", *CSUM_ERRORS).stdout
    return {k: int(v) for k, v in re.findall(r"^(\w+)\s+(\d+)", out, re.M)}


def transfer(r, hw):
    """One bulk TCP transfer and the datagrams from A to B, with checksum offload hw or not."""
    r.cmd("stop")
    r.cmd("port stop all", timeout=60)
    for port in (0, 1):
        for proto in ("ip", "tcp", "udp"):
            r.cmd("csum set %s %s %d" % (proto, "hw" if hw else "sw", port))
    r.cmd("port start all", timeout=60)
    r.cmd("start")
    before = {n: csum_errors(n) for n in (NS_A, NS_B)}
    filled = r.sim_stats()[1].get("tx_csum_filled", 0)
    sink = subprocess.Popen(["ip", "netns", "exec", NS_B, PY, "-c", SINK % {"dgrams": DGRAMS}],
                            stdout=subprocess.PIPE, text=True)
    try:
        check(sink.stdout.readline().strip() == "ready", "the sink in %s did not start" % NS_B)
        src = ns(NS_A, PY, "-c", SOURCE % {"bulk": BULK, "dgrams": DGRAMS, "dst": NETS[1][0]},
                 timeout=120)
        got = sink.communicate(timeout=90)[0].split()
    finally:
        if sink.poll() is None:
            sink.kill()
            sink.wait()
    sent = src.stdout.split()
    log("%s: A sent %s bytes, B got %s (%s), %s of %d datagrams intact"
        % ("offload" if hw else "software", sent[1], got[1], got[2][:16], got[4], DGRAMS))
    errors = {}
    for n in (NS_A, NS_B):
        after = csum_errors(n)
        errors[n] = {k: after.get(k, 0) - before[n].get(k, 0) for k in CSUM_ERRORS}
        log("kernel errors counted in %s: %r" % (n, errors[n]))
    check_eq((int(got[1]), got[2]), (BULK, sent[2]), "TCP bytes and SHA-256 at B")
    check_eq(int(got[4]), DGRAMS, "UDP datagrams intact at B")
    for n in (NS_A, NS_B):
        check_eq(errors[n], {k: 0 for k in CSUM_ERRORS},
                 "checksum and header errors counted in %s" % n)
    return r.sim_stats()[1].get("tx_csum_filled", 0) - filled


def scenario():
    macs = mac_list(2, last=0x25)
    opts = ["--nics", "2", "--mac", ",".join(macs),
            "--wire", "0=tap:" + TAPS[0], "--wire", "1=tap:" + TAPS[1]]
    peers = ["--eth-peer=0,%s" % TAP_MACS[0], "--eth-peer=1,%s" % TAP_MACS[1]]
    with Run(opts, ["--forward-mode=csum", "--rxd=1024", "--txd=1024"] + peers,
             netns=NS_A) as r:
        for tap, mac in zip(TAPS, TAP_MACS):
            wait_tap(NS_A, tap)
            ns(NS_A, "ip", "link", "set", tap, "address", mac)
        subprocess.run(["ip", "-n", NS_A, "link", "set", TAPS[1], "netns", NS_B], check=True)
        wire_up(NS_A, TAPS[0], NETS[0][0], NETS[0][1], NETS[1][2], macs[0])
        wire_up(NS_B, TAPS[1], NETS[1][0], NETS[1][1], NETS[0][2], macs[1])
        r.cmd("start")
        filled_hw = transfer(r, True)
        filled_sw = transfer(r, False)
        r.cmd("stop")
        r.quit()
        r.check_clean_exit(2)
    check(filled_hw > 0, "the host filled no checksum with offload on")
    check_eq(filled_sw, 0, "checksums the host filled with offload off")


def main():
    for tool in ("ip", "nstat"):
        if shutil.which(tool) is None:
            raise TestSkip("'%s' is not installed" % tool)
    if not os.access(PY, os.X_OK):
        raise TestSkip("no %s for the namespaces' sockets" % PY)
    in_namespaces((NS_A, NS_B), scenario)


if __name__ == "__main__":
    run_test(main)
