#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""DPDK's l3fwd example (built from the sources of the DPDK under test) as the simulated host's
guest, routing between two simulated NICs with the kernel as the peer on each side:
- NIC 0's wire is TAP hvl0-<pid> in namespace A (192.0.2.1/24), NIC 1's is TAP hvl1-<pid>,
  moved to namespace B (198.51.100.1/24); each namespace routes the other's net through l3fwd's
  port on its side (a permanent neighbour entry with the port's MAC: l3fwd answers no ARP);
  the TAPs get fixed MACs, l3fwd's --eth-dest;
- l3fwd's LPM routes (rule files): 192.0.2.0/24 -> port 0, 198.51.100.0/24 -> port 1, with
  --eth-dest the TAPs' MACs;
- namespace A pings 198.51.100.1 PINGS times: every echo crosses l3fwd both ways, so every
  request and reply must come back, and the host must count exactly PINGS frames each way on
  each NIC (IPv6 is off on both TAPs: nothing else is sent);
- in namespace B a capture of the echo requests shows the MAC rewrite (source = port 1's MAC,
  destination = the TAP's) and the TTL decremented by one.
Runs under HVNET_DRIVER=hvnet (HVNET_L3FWD names the binary)."""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from simtest import (Run, TestFailure, TestSkip, check, check_eq, driver_eal_args, log,
                     mac_list, run_test, upstream)

PINGS = 40
NS_A = "hvt19a-%d" % os.getpid()
NS_B = "hvt19b-%d" % os.getpid()
TAPS = ("hvl0-%d" % (os.getpid() % 10000), "hvl1-%d" % (os.getpid() % 10000))
# The kernel's side of each wire: l3fwd's --eth-dest for its port (locally administered).
TAP_MACS = ("02:00:5e:19:00:01", "02:00:5e:19:00:02")
NETS = (("192.0.2.1", "192.0.2.254", "192.0.2.0/24"),
        ("198.51.100.1", "198.51.100.254", "198.51.100.0/24"))


def ns(name, *argv, check_rc=True, timeout=30):
    res = subprocess.run(["ip", "netns", "exec", name] + list(argv), capture_output=True,
                         text=True, timeout=timeout)
    if check_rc:
        check(res.returncode == 0, "%s in %s failed: %s%s" % (" ".join(argv), name,
                                                             res.stdout, res.stderr))
    return res


def wait_tap(name, tap, timeout=20):
    end = time.monotonic() + timeout
    while ns(name, "ip", "link", "show", tap, check_rc=False).returncode != 0:
        check(time.monotonic() < end, "TAP %s never appeared in %s" % (tap, name))
        time.sleep(0.2)


def wire_up(name, tap, local, gateway, other_net, port_mac):
    """Address the TAP, route the other net through l3fwd's port on this side."""
    ns(name, "ip", "addr", "add", local + "/24", "dev", tap)
    ns(name, "ip", "link", "set", tap, "up")
    ns(name, "ip", "neigh", "replace", gateway, "lladdr", port_mac, "dev", tap, "nud",
       "permanent")
    ns(name, "ip", "route", "add", other_net, "via", gateway, "dev", tap)


def in_namespaces(names, fn):
    """Make the namespaces (IPv6 off: no router solicitation or MLD among the frames), run fn,
    delete them."""
    for name in names:
        res = subprocess.run(["ip", "netns", "add", name], capture_output=True, text=True)
        if res.returncode != 0:
            raise TestSkip("cannot create a network namespace: %s" % res.stderr.strip())
    try:
        for name in names:
            ns(name, "sysctl", "-q", "-w", "net.ipv6.conf.default.disable_ipv6=1",
               "net.ipv6.conf.all.disable_ipv6=1")
        fn()
    finally:
        for name in names:
            subprocess.run(["ip", "netns", "delete", name], capture_output=True)


def rule_files(work):
    v4 = os.path.join(work, "rules_v4.cfg")
    v6 = os.path.join(work, "rules_v6.cfg")
    with open(v4, "w") as f:
        f.write("R%s 0\nR%s 1\n" % (NETS[0][2], NETS[1][2]))
    with open(v6, "w") as f:
        f.write("R2001:db8:1::/48 0\nR2001:db8:2::/48 1\n")
    return v4, v6


def scenario(l3fwd, work):
    macs = mac_list(2, last=0x19)
    v4, v6 = rule_files(work)
    prefix = "hvt19-%d" % os.getpid()
    guest = ([l3fwd, "--no-huge", "-m", "512", "--iova-mode=va", "--no-pci", "-l", "0-1",
              "--file-prefix", prefix] + driver_eal_args() +
             ["--", "-p", "0x3", "-P", "--lookup=lpm", "--parse-ptype",
              "--config", "(0,0,1),(1,0,1)", "--rule_ipv4=" + v4, "--rule_ipv6=" + v6])
    guest += ["--eth-dest=0,%s" % TAP_MACS[0], "--eth-dest=1,%s" % TAP_MACS[1]]
    opts = ["--nics", "2", "--mac", ",".join(macs),
            "--wire", "0=tap:" + TAPS[0], "--wire", "1=tap:" + TAPS[1]]
    with Run(opts, guest=guest, netns=NS_A) as r:
        for tap, mac in zip(TAPS, TAP_MACS):
            wait_tap(NS_A, tap)
            ns(NS_A, "ip", "link", "set", tap, "address", mac)
        subprocess.run(["ip", "-n", NS_A, "link", "set", TAPS[1], "netns", NS_B], check=True)
        wire_up(NS_A, TAPS[0], NETS[0][0], NETS[0][1], NETS[1][2], macs[0])
        wire_up(NS_B, TAPS[1], NETS[1][0], NETS[1][1], NETS[0][2], macs[1])
        r.wait_output("entering main loop", 0, timeout=60)
        cap_path = os.path.join(work, "b.txt")
        with open(cap_path, "w") as capf:
            cap = subprocess.Popen(["ip", "netns", "exec", NS_B, "tcpdump", "-l", "-n", "-e",
                                    "-v", "-c", "5", "-i", TAPS[1], "icmp[icmptype] == 8"],
                                   stdout=capf, stderr=subprocess.DEVNULL)
            time.sleep(1.0)
            res = ns(NS_A, "ping", "-c", str(PINGS), "-i", "0.05", "-W", "2", NETS[1][0],
                     check_rc=False, timeout=60)
            try:
                cap.wait(10)
            except subprocess.TimeoutExpired:
                cap.kill()
                cap.wait()
        log("ping: " + " | ".join(res.stdout.strip().splitlines()[-2:]))
        m = re.search(r"(\d+) packets transmitted, (\d+) received", res.stdout)
        check(m is not None, "no ping summary:\n%s%s" % (res.stdout, res.stderr))
        check_eq((int(m.group(1)), int(m.group(2))), (PINGS, PINGS),
                 "echo requests sent and replies received through l3fwd")
        host = r.sim_stats()
        r.proc.send_signal(signal.SIGINT)       # l3fwd stops on SIGINT, the host passes it on
        r.wait_exit(60)
        r.check_clean_exit(2)
    for nic in (0, 1):
        check_eq(host[nic]["to_guest_frames"], PINGS, "frames the host gave NIC %d" % nic)
        check_eq(host[nic]["from_guest_frames"], PINGS, "frames NIC %d sent" % nic)
    with open(cap_path) as f:
        cap_text = f.read()
    log("capture in namespace B:\n" + cap_text.strip())
    rewritten = re.findall(r"^\S+ (\S+) > (\S+), ethertype IPv4.*?ttl (\d+)", cap_text, re.M)
    check(len(rewritten) == 5, "the capture shows %d echo requests, not 5" % len(rewritten))
    for src, dst, ttl in rewritten:
        check_eq((src.lower(), dst.lower(), int(ttl)), (macs[1], TAP_MACS[1], 63),
                 "an echo request out of port 1: (source MAC, destination MAC, TTL)")


def main():
    if upstream():
        log("the l3fwd scenario runs hvnet's plugins: run with HVNET_DRIVER=hvnet")
        sys.exit(77)
    l3fwd = os.environ.get("HVNET_L3FWD")
    if not l3fwd or not os.access(l3fwd, os.X_OK):
        raise TestSkip("no l3fwd built: the sources of this DPDK's examples were not found "
                       "(devtools/setup.sh keeps Debian's)")
    for tool in ("ip", "ping", "tcpdump"):
        if shutil.which(tool) is None:
            raise TestSkip("'%s' is not installed" % tool)
    work = tempfile.mkdtemp(prefix="hvt19-")
    try:
        in_namespaces((NS_A, NS_B), lambda: scenario(l3fwd, work))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    run_test(main)
