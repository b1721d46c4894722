#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Device arguments: each bad value stops the probe of that NIC with a log line naming the
argument, and no port is created for it, while a NIC with good arguments (all of them set)
probes and forwards byte for byte, with the latency it asked for in the monitor page.
With rx_extmbuf_enable=1 the frames attached in the receive buffer and sent on above
tx_copybreak go GPA-direct from there. rx_extmbuf_enable=1 is refused in a Hyper-V isolated VM
(the CPUID leaves given through the driver's test hook, HVNET_SYSROOT) and taken in a VM that
is not isolated. rx_nt_copy: frames of 1024-1514 bytes copied into mbufs are streamed by
default (rx_q0_streamed_packets counts them) and through the cache with rx_nt_copy=0 (none
counted), byte for byte either way. Runs under HVNET_DRIVER=hvnet only."""
import os
import re
import shutil
import struct
import sys
import tempfile

from simtest import (GEN_RINGS, Run, check, check_eq, check_gen, log,
                     mac_list, nic_uuid, run_gen, run_test, upstream)

GOOD = "latency=20,rx_copybreak=128,tx_copybreak=256,rx_extmbuf_enable=1,rx_nt_copy=0," \
       "numa_aware=1,ctl_timeout=30000,vf=1,vf_wait_ms=1000," \
       "vf_devargs=[blocksz=4096,framesz=2048]"
BAD = (
    ("vf=2", "vf"),
    ("vf_wait_ms=600001", "vf_wait_ms"),
    ("vf_devargs=[]", "vf_devargs"),
    ("latency=6554", "latency"),
    ("tx_copybreak=65536", "tx_copybreak"),
    ("rx_extmbuf_enable=2", "rx_extmbuf_enable"),
    ("rx_nt_copy=2", "rx_nt_copy"),
    ("ctl_timeout=50", "ctl_timeout"),
    ("latency=-1", "latency"),
    ("latency=0x10", "latency"),
    ("no_such_arg=1", "no_such_arg"),
    ("latency=10,latency=20", "latency"),
)
HV_ISOLATION = 1 << 22


def cpuid_root(isolation_type):
    """A directory of Hyper-V CPUID leaves (hvnet_isolation.h's test hook) for a VM isolated
    with isolation_type (0: a Hyper-V VM that is not isolated)."""
    root = tempfile.mkdtemp(prefix="hvt-cpuid-")
    os.mkdir(os.path.join(root, "cpuid"))
    sig = struct.unpack("<3I", b"Microsoft Hv")
    leaves = {0x40000000: (0x4000000c,) + sig,
              0x40000003: (0, HV_ISOLATION if isolation_type else 0, 0, 0),
              0x4000000c: (0, 0xbe0 | isolation_type, 0, 0)}
    for leaf, regs in leaves.items():
        with open(os.path.join(root, "cpuid", "%08x" % leaf), "wb") as f:
            f.write(struct.pack("<4I", *regs))
    return root


def run_case(bad, name, good=GOOD, sizes="60-1514"):
    """NIC 0 gets the bad argument, NIC 1 every argument with a good value; the generator's
    500 frames of sizes go through NIC 1 (port 0). Returns the host's summary and NIC 1's
    xstats."""
    macs = mac_list(2)
    eal = ["-a", "hvbus:%s,%s" % (nic_uuid(0), bad), "-a", "hvbus:%s,%s" % (nic_uuid(1), good),
           "--log-level=pmd.net.hvnet.init:info"]
    opts = ["--nics", "2", "--mac", ",".join(macs), "--wire", "loop"]
    with Run(opts, ["--port-topology=loop", "--forward-mode=io"] + GEN_RINGS, eal_opts=eal,
             mixed=True) as r:
        check_eq(r.port_drivers(), {macs[1]: "net_hvnet"}, "ports with '%s' on NIC 0" % bad)
        # hvnet's line names the device and the argument; hvbus's says the probe failed.
        said = re.search(r"^hvnet: .*%s: .*%s" % (nic_uuid(0), re.escape(name)), r.out, re.M)
        check(said is not None, "no hvnet log line names '%s' for '%s':\n%s"
              % (name, bad, r.out[-2000:]))
        check(re.search(r"^hvbus: %s: net_hvnet probe failed" % nic_uuid(0), r.out, re.M)
              is not None, "hvbus did not report the failed probe for '%s'" % bad)
        r.cmd("start")
        run_gen(r, 1, 500, sizes, flows=4)
        r.cmd("stop")
        xs = r.xstats(0)
        r.quit()
        # NIC 0 was never probed; NIC 1 asked for latency=20 (us) on all its channels.
        summ = r.check_clean_exit(2, latency={1: 20})
        wire = r.wire()
    check_gen(wire, 1, 500, "NIC 1 with all arguments set, beside a refused '%s'" % bad)
    log("'%s' refused with a log line naming it; the other NIC works" % bad)
    return summ, xs


def gpa_from_rxbuf(summ):
    """NIC 1 (rx_extmbuf_enable=1, rx_copybreak=128, tx_copybreak=256) sent the generator's
    500 frames of 60-559 bytes back: each one above tx_copybreak GPA-direct straight from the
    receive buffer it was attached in (its page's IOVA), never copied; the others through the
    send buffer."""
    longer = sum(1 for seq in range(500) if 60 + seq % (1514 - 60 + 1) > 256)
    got = (summ[1]["tx_gpa"], summ[1]["tx_gpa_rxbuf"], summ[1]["tx_chimney"])
    check_eq(got, (longer, longer, 500 - longer),
             "external mbufs sent on: (GPA-direct, of those from the receive buffer, copied)")
    log("%d frames above tx_copybreak forwarded GPA-direct from the receive buffer, %d "
        "copied" % (longer, 500 - longer))


def isolation_cases():
    """SEV-SNP isolated: rx_extmbuf_enable=1 refused; the NIC without it (and rx_nt_copy=0)
    forwards frames of 1024-1514 bytes, every one copied through the cache on receive and
    through the send buffer on transmit (none GPA-direct, tx_copybreak notwithstanding). Not
    isolated: both NICs take it (run_case's NIC 1 forwards with it)."""
    root = cpuid_root(2)
    os.environ["HVNET_SYSROOT"] = root
    try:
        summ, xs = run_case("rx_extmbuf_enable=1", "rx_extmbuf_enable", good=GOOD.replace(
            "rx_extmbuf_enable=1", "rx_extmbuf_enable=0"), sizes="1024-1514")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    check(summ[1]["tx_gpa"] == 0 and summ[1]["tx_chimney"] == 500,
          "isolated VM: frames sent GPA-direct (%d) or not all through the send buffer (%d)"
          % (summ[1]["tx_gpa"], summ[1]["tx_chimney"]))
    check_eq(xs.get("rx_q0_streamed_packets"), 0, "frames streamed with rx_nt_copy=0")
    root = cpuid_root(0)
    os.environ["HVNET_SYSROOT"] = root
    try:
        run_case("latency=6554", "latency")
    finally:
        del os.environ["HVNET_SYSROOT"]
        shutil.rmtree(root, ignore_errors=True)
    log("rx_extmbuf_enable=1 refused in an isolated VM, taken in one that is not")


def streamed_cases():
    """rx_nt_copy at its default: the 500 frames of 1024-1514 bytes copied with streamed
    stores, but for any that another thread read into the stash (never streamed), and all
    byte for byte (run_case's check_gen)."""
    _, xs = run_case("rx_nt_copy=-1", "rx_nt_copy", good="latency=20", sizes="1024-1514")
    streamed = xs.get("rx_q0_streamed_packets", 0)
    check(450 <= streamed <= 500, "rx_q0_streamed_packets %d of 500 frames of 1024-1514 "
          "bytes copied" % streamed)
    log("%d of 500 frames of 1024-1514 bytes streamed into their mbufs" % streamed)


def main():
    if upstream():
        log("hvnet's device arguments: run with HVNET_DRIVER=hvnet")
        sys.exit(77)
    for bad, name in BAD:
        summ, _ = run_case(bad, name)
        gpa_from_rxbuf(summ)
    isolation_cases()
    streamed_cases()


if __name__ == "__main__":
    run_test(main)
