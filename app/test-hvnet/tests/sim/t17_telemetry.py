#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Telemetry: dpdk-telemetry.py (the DPDK's own client) reads hvnet's /hvnet/... endpoints from
a running testpmd (one NIC, 2 queues, io forwarding of host-generated frames):
- /hvnet/ports lists the port; /hvnet/info its NVSP/NDIS versions, 2 channels, the host's
  buffer layout (6144-byte send sections), VF state "none";
- /hvnet/rings: both channels, ring size as the host made it, valid indices, the feature bit
  hvnet sets on its send rings, and once traffic stopped both rings empty (the host read
  everything hvnet published and hvnet everything the host published), the send rings moved;
- /hvnet/buffers: after the traffic every send section free or completed, no completion outstanding, no ack
  pending;
- /hvnet/drops: each per-reason counter, equal to testpmd's xstats of the same name; after
  the host corrupts range offsets (control 'fault'), rx bad_range_errors counts them.
Runs under HVNET_DRIVER=hvnet only."""
import json
import re
import shutil
import subprocess
import sys

from simtest import (GEN_RINGS, Run, TestSkip, check, check_eq, log, run_gen, run_test,
                     upstream)

QUEUES = 2
COUNT = 2000
RING = 2 * 1024 * 1024          # the simulator's default ring, its control page included
FAULTS = 3


def telemetry(r, *cmds):
    """{command: reply} for each command, through dpdk-telemetry.py on testpmd's socket."""
    tool = shutil.which("dpdk-telemetry.py")
    if tool is None:
        raise TestSkip("dpdk-telemetry.py is not installed (dpdk-dev)")
    p = subprocess.run(["/usr/bin/python3", tool, "-f", r.prefix],
                       input="\n".join(cmds) + "\n", stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=60)
    r.pump(0.1)
    check_eq(p.returncode, 0, "dpdk-telemetry.py exit code (%s)" % p.stdout[-2000:])
    out = {}
    for line in p.stdout.splitlines():
        if line.startswith("{"):
            out.update(json.loads(line))
    missing = [c.split(",")[0] for c in cmds if c.split(",")[0] not in out]
    check(not missing, "dpdk-telemetry.py answered nothing for %r:\n%s" % (missing, p.stdout))
    return {c: out[c.split(",")[0]] for c in cmds}


def testpmd_xstats(r):
    return {k: int(v) for k, v in re.findall(r"^\s*(\w+):\s+(\d+)\s*$",
                                              r.cmd("show port xstats 0"), re.M)}


def check_quiet(r):
    t = telemetry(r, "/hvnet/ports", "/hvnet/info,0", "/hvnet/rings,0", "/hvnet/buffers,0")
    check_eq(t["/hvnet/ports"], [0], "/hvnet/ports")
    info = t["/hvnet/info,0"]
    log("/hvnet/info,0: %s" % json.dumps(info))
    for key, want in (("device", "f8615163-0000-4000-8000-000000000000"),
                      ("nvsp_version", "6.1"), ("channels", QUEUES), ("vf_state", "none"),
                      ("sendbuf_section_size", 6144), ("link_up", 1), ("mtu", 1500)):
        check_eq(info.get(key), want, "/hvnet/info,0 " + key)
    rings = t["/hvnet/rings,0"]
    check_eq(sorted(rings), ["chan%d" % q for q in range(QUEUES)], "/hvnet/rings,0 channels")
    for name, c in sorted(rings.items()):
        log("/hvnet/rings,0 %s: %s" % (name, json.dumps(c)))
        for d in ("tx", "rx"):
            check_eq(c[d + "_size"], RING - 4096, "%s %s ring size" % (name, d))
            check_eq(c[d + "_indices_ok"], 1, "%s %s indices valid" % (name, d))
            check_eq(c[d + "_bytes_used"], 0, "%s %s ring empty after the traffic" % (name, d))
            check_eq(c[d + "_bytes_free"], c[d + "_size"], "%s %s bytes free" % (name, d))
        check_eq(c["tx_feature_bits"], 1, name + " tx feature bits (pending send size)")
        check(c["tx_write_index"] > 0, name + " tx ring never written")
    bufs = t["/hvnet/buffers,0"]
    log("/hvnet/buffers,0: %s" % json.dumps(bufs))
    check_eq(sorted(bufs), sorted(["txq%d" % q for q in range(QUEUES)] +
                                  ["rxq%d" % q for q in range(QUEUES)]), "/hvnet/buffers,0")
    for q in range(QUEUES):
        tx, rx = bufs["txq%d" % q], bufs["rxq%d" % q]
        check_eq(tx["sections_in_use"], 0, "txq%d sections in use" % q)
        check_eq(tx["completions_outstanding"], 0, "txq%d completions outstanding" % q)
        check_eq(rx["acks_pending"], 0, "rxq%d acks pending" % q)
        check(tx["sections"] > 0, "txq%d owns no send section" % q)
        check_eq(tx["sections_free"] + tx["completions_unreclaimed"], tx["sections"],
                 "txq%d free and completed sections" % q)


def check_drops(r, want_bad_range):
    drops = telemetry(r, "/hvnet/drops,0")["/hvnet/drops,0"]
    xs = testpmd_xstats(r)
    for d in ("rx", "tx"):
        for q in range(QUEUES):
            check("%s_q%d_ring_full" % (d, q) in drops, "/hvnet/drops,0 lacks %s_q%d_ring_full"
                  % (d, q))
    for name in ("rx_q0_bad_range_errors", "rx_q0_bad_ppi_errors", "tx_q0_oversize_errors",
                 "rx_q1_nombuf", "tx_q1_sendbuf_full"):
        check(name in drops, "/hvnet/drops,0 lacks %s: %r" % (name, sorted(drops)))
    check(not [n for n in drops if n.endswith("good_packets")], "/hvnet/drops,0 lists "
          "counters that are not drops")
    for name, value in drops.items():
        check_eq(value, xs.get(name), "/hvnet/drops,0 %s vs testpmd's xstat" % name)
    bad = sum(drops["rx_q%d_bad_range_errors" % q] for q in range(QUEUES))
    check_eq(bad, want_bad_range, "rx bad_range_errors in /hvnet/drops,0")
    log("/hvnet/drops,0: %d counters equal to testpmd's xstats; bad_range_errors %d"
        % (len(drops), bad))


def main():
    if upstream():
        log("telemetry is hvnet's: run with HVNET_DRIVER=hvnet")
        sys.exit(77)
    opts = ["--nics", "1", "--wire", "loop"]
    with Run(opts, ["--rxq=%d" % QUEUES, "--txq=%d" % QUEUES, "--port-topology=loop",
                    "--forward-mode=io"] + GEN_RINGS) as r:
        r.cmd("start")
        check_eq(run_gen(r, 0, COUNT, "60-1514", flows=16), COUNT, "frames forwarded")
        r.cmd("stop")
        r.settle_stats()
        check_quiet(r)
        check_drops(r, 0)
        # Each corrupted range offset costs one frame, counted as bad_range on its queue.
        r.ctl("fault 0 range_offset %d" % FAULTS)
        r.cmd("start")
        run_gen(r, 0, 200, "60-200", flows=16, quiet=2.0)
        r.cmd("stop")
        r.settle_stats()
        check_drops(r, FAULTS)
        r.quit()
        r.check_clean_exit(1)


if __name__ == "__main__":
    run_test(main)
