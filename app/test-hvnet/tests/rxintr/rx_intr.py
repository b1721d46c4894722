#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Receive interrupts (hvnet): test-rx-intr, an l3fwd-power style guest with a worker lcore per
rx queue that sleeps on its queue's interrupt when idle, runs under the simulator.

Per run: for every queue q in turn, all RSS entries point to q and the host's generator sends
frames: every one must come back byte for byte on queue q (the generator checks bytes and
queue), queue q alone must have received them, and no worker may have missed a wakeup (a sleep
that timed out with frames waiting and no event). Then the port sits idle for IDLE_S seconds:
the guest's whole process must use almost no CPU. Runs: 4 queues (uio_hv_generic with
d062463edf17: the kernel masks each channel on its interrupt), 2 queues with --no-monitor and
a kernel that leaves every mask to user space (b15b7d2a1b09), 1 queue with an older kernel.
Last, the same app polling (--poll) with 1 queue: its idle CPU proves the measurement sees a
busy queue. Finally the simulator must report nothing owed and no violation.

Environment (set by meson): HVNET_SIM, HVNET_RX_INTR_TEST (test-rx-intr), HVNET_PLUGINS,
PYTHONPATH (the sim harness directory).
"""
import os
import re
import select
import shutil
import subprocess
import tempfile
import time

from simtest import (CtlClient, TestFailure, check, check_eq, check_gen, driver_eal_args,
                     kill_tree, log, parse_sim_lines, run_gen, run_test, tool_path,
                     unique_prefix)

GEN = 300
IDLE_S = 3.0
IDLE_CPU_MAX = 0.3          # seconds of CPU over IDLE_S: sleeping queues, timers, nothing more
POLL_CPU_MIN = 0.9          # a single busy-polling worker, even on a loaded machine
DEADLINE = 240
RUNS = (
    (4, []),
    (2, ["--no-monitor", "--uio-kernel", "usermask"]),
    (1, ["--uio-kernel", "primary"]),
)



def cpu_seconds(pid):
    """utime + stime of a process, all its threads, in seconds."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Guest(CtlClient):
    """The simulator with test-rx-intr as its guest, commands over the guest's stdin."""

    def __init__(self, queues, sim_opts, poll=False):
        self.tmp = tempfile.mkdtemp(prefix="hvr-")
        self.ctl_path = os.path.join(self.tmp, "ctl.sock")
        self._ctl_sock = None
        self.prefix = unique_prefix()
        self.queues = queues
        lcores = ",".join("%d@%d" % (i, i % 2) for i in range(queues + 1))
        self.argv = ([tool_path("HVNET_SIM"), "sim", "--ctl", self.ctl_path, "--timeout",
                      str(DEADLINE), "--nics", "1", "--queues", str(max(queues, 2)),
                      "--wire", "none"] + sim_opts +
                     ["--", tool_path("HVNET_RX_INTR_TEST"), "--no-huge", "-m", "512",
                      "--iova-mode=va", "--no-pci", "--file-prefix", self.prefix,
                      "--lcores", lcores] + driver_eal_args() +
                     ["--", "--queues", str(queues)] + (["--poll"] if poll else []))
        self.stderr_path = os.path.join(self.tmp, "stderr.txt")
        self.out = ""

    def __enter__(self):
        log("run: " + " ".join(self.argv))
        self._stderr = open(self.stderr_path, "w")
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self._stderr, bufsize=0)
        try:
            self.wait_line(r"^ready queues=", 60)
        except BaseException:
            self.close(keep=True)
            raise
        return self

    def __exit__(self, etype, evalue, tb):
        self.close(keep=etype is not None)
        return False

    def close(self, keep):
        if self.proc.poll() is None:
            kill_tree(self.proc)
        if self._ctl_sock:
            self._ctl_sock.close()
        self._stderr.close()
        if keep:
            log("---- guest output ----\n" + self.out[-8000:])
            log("---- simulator stderr ----\n" + self.stderr()[-8000:])
        shutil.rmtree(self.tmp, ignore_errors=True)
        shutil.rmtree(os.path.join("/var/run/dpdk", self.prefix), ignore_errors=True)

    def pump(self, seconds):
        """Read what the guest printed, for up to seconds (unbuffered: select sees it all)."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            r, _, _ = select.select([self.proc.stdout], [], [], max(0.0, end - time.monotonic()))
            if not r:
                return
            data = os.read(self.proc.stdout.fileno(), 65536)
            if not data:
                time.sleep(min(0.05, max(0.0, end - time.monotonic())))
                return
            self.out += data.decode("utf-8", "replace")

    def wait_line(self, pattern, timeout):
        """Wait for a line matching pattern after what was read so far; returns the text."""
        start, end = len(self.out), time.monotonic() + timeout
        while not re.search(pattern, self.out[start:], re.M):
            if self.proc.poll() is not None:
                raise TestFailure("guest exited (%s) before %r:\n%s"
                                  % (self.proc.returncode, pattern, self.out[-3000:]))
            if time.monotonic() >= end:
                raise TestFailure("guest printed no %r within %d s:\n%s"
                                  % (pattern, timeout, self.out[-3000:]))
            self.pump(0.2)
        return self.out[start:]

    def command(self, line):
        self.proc.stdin.write((line + "\n").encode())
        return self.wait_line(r"^ok$", 30)

    def stats(self):
        """'stats' -> {queue: {rx, tx, sleeps, wakes, spurious, timeouts, missed}}."""
        out = {}
        for q, kv in re.findall(r"^queue (\d+) (.*)$", self.command("stats"), re.M):
            out[int(q)] = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", kv)}
        return out

    def guest_pid(self):
        for pid in subprocess.check_output(["pgrep", "-P", str(self.proc.pid)],
                                           text=True).split():
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                if b"test-rx-intr" in f.read():
                    return int(pid)
        raise TestFailure("no test-rx-intr process under the simulator")

    def idle_cpu(self):
        """CPU seconds the guest used over IDLE_S seconds with no traffic."""
        pid = self.guest_pid()
        self.pump(1.0)
        before = cpu_seconds(pid)
        time.sleep(IDLE_S)
        return cpu_seconds(pid) - before

    def quit(self):
        self.proc.stdin.write(b"quit\n")
        end = time.monotonic() + 60
        while self.proc.poll() is None and time.monotonic() < end:
            self.pump(0.5)
        self.pump(0.2)
        check(self.proc.poll() is not None, "guest did not exit after quit")
        check_eq(self.proc.returncode, 0, "simulator/guest exit code")

    def stderr(self):
        with open(self.stderr_path, errors="replace") as f:
            return f.read()


def per_queue(g, queues):
    """Frames to each queue alone, each one woken by its own channel's interrupt."""
    for q in range(queues):
        before = g.stats()
        g.command("reta %d" % q)
        back = run_gen(g, 0, GEN, "60-1514", flows=8)
        check_eq(back, GEN, "frames back through queue %d" % q)
        after = g.stats()
        moved = {i: after[i]["rx"] - before[i]["rx"] for i in range(queues)}
        check_eq(moved, {i: GEN if i == q else 0 for i in range(queues)},
                 "frames received per queue with every RSS entry on queue %d" % q)
        check_eq(after[q]["tx"] - before[q]["tx"], GEN, "frames echoed by queue %d" % q)
        check(after[q]["wakes"] > before[q]["wakes"], "queue %d never woke on an interrupt"
              % q)
    return g.stats()


def check_sim(g, sent, what):
    text = g.stderr()
    summ = parse_sim_lines(text, "summary").get(0, {})
    for key in ("violations", "missed_signals", "rx_sections_leaked", "tx_completions_owed",
                "ctl_unanswered"):
        check_eq(summ.get(key), 0, "%s: %s" % (what, key))
    check_gen(parse_sim_lines(text, "wire"), 0, sent, what)
    check(summ.get("guest_interrupts", 0) > 0, "%s: the host never interrupted" % what)


def interrupt_run(queues, sim_opts):
    what = "%d queue(s) %s" % (queues, " ".join(sim_opts) or "(defaults)")
    with Guest(queues, sim_opts) as g:
        st = per_queue(g, queues)
        cpu = g.idle_cpu()
        log("%s: idle for %.0f s: %.3f s of CPU; per queue %r" % (what, IDLE_S, cpu, st))
        check(cpu <= IDLE_CPU_MAX, "%s: %.3f s of CPU over %.0f s idle (at most %.2f)"
              % (what, cpu, IDLE_S, IDLE_CPU_MAX))
        st = g.stats()
        for q in range(queues):
            check_eq(st[q]["missed"], 0, "%s: missed wakeups on queue %d" % (what, q))
        g.quit()
        check_sim(g, GEN * queues, what)
    return cpu


def poll_run():
    with Guest(1, [], poll=True) as g:
        back = run_gen(g, 0, GEN, "60-1514", flows=8)
        check_eq(back, GEN, "poll mode: frames back")
        cpu = g.idle_cpu()
        log("poll mode, 1 queue: idle for %.0f s: %.3f s of CPU" % (IDLE_S, cpu))
        check(cpu >= POLL_CPU_MIN, "a busy-polling queue measured at %.3f s of CPU over "
              "%.0f s: the measurement cannot tell a sleeping queue from a polling one"
              % (cpu, IDLE_S))
        g.quit()
    return cpu


def main():
    for queues, opts in RUNS:
        interrupt_run(queues, opts)
    poll_run()


if __name__ == "__main__":
    run_test(main)
