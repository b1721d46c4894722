#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Accelerated networking and per-queue start/stop: test-vf-queues (a guest of our own, with a
VF port of its own, in three kinds: with per-queue start and stop honouring deferred start,
with them but starting every queue, and without them, refusing deferred start, as
net_af_packet and MANA have none) runs under the simulator (--vf) in a namespace the test
made. Its checks: the VF is attached with any kind; deferred queues stay stopped on the VF the
attach brings; each start and stop of a hvnet queue reaches the VF's queue of that number and
no other; a VF queue that fails to start fails the start; a restart's new attach restores the
states; no mbuf left. Here: every check passed, the host switched the data path to the VF once
per start (6) and reports nothing owed and no violation."""
import re

from simtest import (Run, check, check_eq, driver_eal_args, in_netns, log, run_test,
                     tool_path, unique_prefix)


def scenario(ns):
    guest = ([tool_path("HVNET_VF_QUEUES_TEST"), "--no-huge", "-m", "512", "--iova-mode=va",
              "--no-pci", "-l", "0", "--file-prefix", unique_prefix()] + driver_eal_args())
    with Run(["--vf", "--nics", "1", "--queues", "2"], guest=guest, netns=ns,
             deadline=120) as r:
        r.wait_output("test-vf-queues: exit", 0, timeout=90)
        r.wait_exit(30)
        r.check_clean_exit(1)
        out, err = r.out, r.stderr()
    m = re.search(r"^test-vf-queues: (\d+) checks, (\d+) failed", out, re.M)
    check(m is not None, "no summary line from test-vf-queues:\n%s" % out)
    log(m.group(0))
    fails = [l for l in out.splitlines() if l.startswith("FAIL")]
    check(not fails and int(m.group(2)) == 0, "failed checks:\n%s" % "\n".join(fails))
    check(int(m.group(1)) >= 200, "too few checks ran (%s)" % m.group(1))
    check_eq(len(re.findall(r"vf nic=0: guest switched the data path to the VF", err)), 6,
             "host: data path switched to the VF once per start (3 stubs, 2 starts each)")


def main():
    in_netns("vfq", scenario)


if __name__ == "__main__":
    run_test(main)
