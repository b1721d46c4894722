#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""hvbus integration (sim suite): run test-bus-sim as the guest of the simulated host with 3 NICs
of 9 channels each; pass when the program passed and every NIC's summary shows no violation,
the 8 data packets it sent (one per subchannel, GPA-direct) and at least one host signal.
Twice: channels signalled through monitor pages, then (--no-monitor) through the interrupt
page and uio writes. Before its teardown the last NIC is rescinded through the control socket:
the program checks that the bus told its driver and refuses channel opens with -ENODEV. On
NIC 0 it sends one data packet on subchannel 1 without the signal the ring asks for: the
simulator must name exactly that missed signal (violation rule=missed-signal, counted), and
nothing else.

Environment (set by meson): HVNET_SIM (dpdk-test-hvnet), HVNET_BUS_SIM_TEST (test-bus-sim),
PYTHONPATH (the sim harness directory, for simtest).
"""
import os
import re
import shutil
import subprocess
import tempfile
import time

from simtest import (TestFailure, check, check_eq, kill_tree, log,
                     parse_sim_lines, run_test, tool_path, unique_prefix)

NICS, SUBCHANNELS = 3, 8
DEADLINE = 150          # seconds for the whole run; the guest itself is bounded by --timeout



def run(extra):
    """One run; extra is [] or ["--no-monitor"], given to the simulator and the program."""
    prefix = unique_prefix()
    tmp = tempfile.mkdtemp(prefix="hvb-")
    ctl = os.path.join(tmp, "ctl.sock")
    argv = ([tool_path("HVNET_SIM"), "sim", "--nics", str(NICS), "--queues", str(SUBCHANNELS + 1),
             "--wire", "loop", "--timeout", str(DEADLINE - 30), "--ctl", ctl] + extra +
            ["--", tool_path("HVNET_BUS_SIM_TEST"), "--no-huge", "-m", "256", "--iova-mode=va",
             "--file-prefix", prefix, "--log-level=bus.hvbus:debug", "--", "--nics", str(NICS),
             "--ctl", ctl] + extra)
    what = "run %s" % (" ".join(extra) or "with monitor pages")
    log("run: " + " ".join(argv))
    start = time.monotonic()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        out, _ = proc.communicate(timeout=DEADLINE)
    except subprocess.TimeoutExpired:
        kill_tree(proc)
        out, _ = proc.communicate()
        raise TestFailure("%s: no exit within %d s:\n%s"
                          % (what, DEADLINE, out.decode(errors="replace")))
    finally:
        shutil.rmtree(os.path.join("/var/run/dpdk", prefix), ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)
    text = out.decode(errors="replace")
    print(text, flush=True)
    log("%s: exit code %d after %.1f s" % (what, proc.returncode, time.monotonic() - start))
    check(re.search(r"^test-bus-sim: .*: PASS$", text, re.M), what + ": no PASS from test-bus-sim")
    check_eq(proc.returncode, 0, what + ": simulator/guest exit code")
    summ = parse_sim_lines(text, "summary")
    for nic in range(NICS):
        s = summ.get(nic)
        missed = 1 if nic == 0 else 0
        check(s is not None, "%s: no 'hvnet-sim: summary nic=%d' line" % (what, nic))
        check_eq(s.get("violations"), missed, "%s: violations on nic %d" % (what, nic))
        check_eq(s.get("missed_signals"), missed, "%s: missed signals on nic %d" % (what, nic))
        sent = SUBCHANNELS + (s.get("from_guest_frames", 0) - SUBCHANNELS if nic == 0 else 0)
        check(sent >= SUBCHANNELS + missed, "%s: frames from nic %d" % (what, nic))
        check_eq(s.get("from_guest_frames"), sent, "%s: frames from nic %d" % (what, nic))
        check_eq(s.get("tx_gpa"), sent, "%s: GPA-direct frames on nic %d" % (what, nic))
        check(s.get("host_signals", 0) >= 1, "%s: no host signal on nic %d" % (what, nic))
    check("hvnet-sim: nic=%d: rescinded" % (NICS - 1) in text,
          what + ": the simulator did not rescind the last NIC")
    viol = [line for line in text.splitlines() if "hvnet-sim: violation" in line]
    check(len(viol) == 1 and re.search(r"violation nic=0 chan=1 rule=missed-signal "
                                       r"ring=guest-to-host waited_ms=\d+", viol[0]),
          "%s: the one deliberate missed signal is all that is logged:\n%s"
          % (what, "\n".join(viol[:20])))


def main():
    run([])
    run(["--no-monitor"])


if __name__ == "__main__":
    run_test(main)
