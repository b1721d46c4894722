#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""TAP wire: the simulator runs in a private network namespace with NIC 0 behind TAP hvt0;
testpmd answers ARP and ICMP echo (icmpecho); the kernel in that namespace pings the guest
(192.0.2.0/24, documentation range only) and must get every reply."""
import os
import re
import shutil
import subprocess
import time

from simtest import Run, TestFailure, TestSkip, check, log, run_test

TAP = "hvt0"
NS = "hvt-%d" % os.getpid()


def ns_run(*argv, timeout=30):
    return subprocess.run(["ip", "netns", "exec", NS] + list(argv), capture_output=True,
                          text=True, timeout=timeout)


def wait_tap(timeout=20):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if ns_run("ip", "link", "show", TAP).returncode == 0:
            return
        time.sleep(0.2)
    raise TestFailure("TAP %s never appeared in namespace %s" % (TAP, NS))


def scenario():
    with Run(["--nics", "1", "--wire", "tap:" + TAP], ["--forward-mode=icmpecho"],
             netns=NS) as r:
        wait_tap()
        for argv in (["ip", "addr", "add", "192.0.2.1/24", "dev", TAP],
                     ["ip", "link", "set", TAP, "up"]):
            res = ns_run(*argv)
            check(res.returncode == 0, "%s failed: %s" % (" ".join(argv), res.stderr))
        r.cmd("start")
        res = ns_run("ping", "-c", "5", "-W", "1", "192.0.2.2", timeout=60)
        r.cmd("stop")
        log("ping: " + res.stdout.strip().replace("\n", " | "))
        m = re.search(r"(\d+) packets transmitted, (\d+) received", res.stdout)
        check(m is not None, "no ping summary:\n%s%s" % (res.stdout, res.stderr))
        check(m.group(1) == "5" and m.group(2) == "5",
              "ping: %s transmitted, %s received" % m.groups())
        stats = r.sim_stats()[0]
        check(stats["from_guest_frames"] >= 6 and stats["to_guest_frames"] >= 6,
              "host counters do not show the ARP + 5 echo exchanges: %r" % stats)
        r.quit()
        r.check_clean_exit(1)


def main():
    for tool in ("ip", "ping"):
        if shutil.which(tool) is None:
            raise TestSkip("'%s' is not installed" % tool)
    res = subprocess.run(["ip", "netns", "add", NS], capture_output=True, text=True)
    if res.returncode != 0:
        raise TestSkip("cannot create a network namespace: %s" % res.stderr.strip())
    try:
        scenario()
    finally:
        subprocess.run(["ip", "netns", "delete", NS], capture_output=True)


if __name__ == "__main__":
    run_test(main)
