#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Rescind and hot-unplug with two NICs forwarding host-generated frames (io mode, loop wire):
- rescind: the host takes NIC 0 away (control 'rescind 0': sysfs entry gone, uio read EIO).
  testpmd must get the RMV event for port 0 and remove it (its RMV handler stops, closes and
  detaches the port through rte_dev_remove), port 1 keeps forwarding byte for byte, and
  testpmd quits cleanly with no violation on the host;
- hot-unplug: 'port stop/close 0' and 'device detach hvbus:<uuid>' without any rescind, then
  port 1 still forwards.
Runs under HVNET_DRIVER=hvnet only (22.11 netvsc has no rescind handling to test)."""
import sys

from simtest import (GEN_RINGS, Run, check, check_gen, log, mac_list,
                     nic_uuid, run_gen, run_test, upstream)

NICS = 2
COUNT = 1000
RMV_EVENT = "Port 0: device removal event"
DETACHED = "Device is detached"




def start_run():
    opts = ["--nics", str(NICS), "--mac", ",".join(mac_list(NICS)), "--wire", "loop"]
    return Run(opts, ["--port-topology=loop", "--forward-mode=io"] + GEN_RINGS)






def rescind_case():
    with start_run() as r:
        r.cmd("start")
        run_gen(r, 0, COUNT, "60-1514", flows=8)
        mark = len(r.out)
        r.ctl("rescind 0")
        r.wait_output(RMV_EVENT, mark)
        # testpmd's RMV handler: stop forwarding, stop and close port 0, rte_dev_remove().
        r.wait_output(DETACHED, mark)
        check(r.out.find("Failed to detach", mark) < 0,
              "testpmd could not detach the rescinded device:\n" + r.out[mark:][-3000:])
        check(sorted(r.port_summary()) == [1], "only port 1 must be left after the rescind")
        # The handler restarts forwarding by itself; 'start' is harmless if it already did.
        r.cmd("start")
        run_gen(r, 1, COUNT, "60-1514", flows=8)
        r.cmd("stop")
        r.quit()
        r.check_clean_exit(NICS)
        wire = r.wire()
    check_gen(wire, 0, COUNT, "NIC 0 before its rescind")
    check_gen(wire, 1, COUNT, "NIC 1 after NIC 0 was rescinded")
    log("rescind: RMV event, port 0 detached, port 1 forwarded %d frames byte for byte"
        % COUNT)


def unplug_case():
    with start_run() as r:
        r.cmd("start")
        run_gen(r, 0, COUNT, "60-1514", flows=8)
        r.cmd("stop")
        r.cmd("port stop 0")
        r.cmd("port close 0")
        out = r.cmd("device detach hvbus:" + nic_uuid(0), timeout=60)
        check("is detached" in out, "'device detach' of NIC 0 failed:\n" + out)
        check(sorted(r.port_summary()) == [1], "only port 1 must be left after the detach")
        r.cmd("start")
        run_gen(r, 1, COUNT, "60-1514", flows=8)
        r.cmd("stop")
        r.quit()
        r.check_clean_exit(NICS)
        wire = r.wire()
    check_gen(wire, 0, COUNT, "NIC 0 before its detach")
    check_gen(wire, 1, COUNT, "NIC 1 after NIC 0 was detached")
    log("hot-unplug: port 0 detached, port 1 forwarded %d frames byte for byte" % COUNT)


def main():
    if upstream():
        log("rescind handling is hvnet's: run with HVNET_DRIVER=hvnet")
        sys.exit(77)
    rescind_case()
    unplug_case()


if __name__ == "__main__":
    run_test(main)
