# SPDX-License-Identifier: BSD-3-Clause
"""Harness for the 'sim' suite: run `dpdk-test-hvnet sim ... -- dpdk-testpmd -i ...`, drive
testpmd through a pseudo-terminal with prompt-synchronised commands, talk to the simulator's
control socket, and parse testpmd's and the simulator's counters.

Environment (set by meson):
  PYTHONPATH         this directory: the scenarios import this module by name
  HVNET_SIM          path of dpdk-test-hvnet (required)
  HVNET_QSTATE_SHIM  path of libhvnet_qstate_shim.so (required for HVNET_DRIVER=netvsc)
  HVNET_DRIVER       'netvsc' (Debian's upstream net_netvsc, default) or 'hvnet' (our PMD)
  HVNET_PLUGINS      bus and net plugin paths, colon-separated (HVNET_DRIVER=hvnet only)
  HVNET_TESTPMD      testpmd binary (default dpdk-testpmd)
  HVNET_SIM_OPTS     more simulator options for every run (the suite runs hvnet's scenarios
                     again with --no-monitor: every channel signalled through the kernel,
                     and some of both drivers' with --rx-layout packed)
  HVNET_TEST_VERBOSE if set, echo the whole testpmd/simulator transcript

Every wait is bounded: each command has a deadline, and a watchdog SIGKILLs the simulator and
everything below it when the run's overall deadline passes (22.11 netvsc ignores SIGINT and
SIGTERM while it waits for the host: doc/guides/prog_guide/hvnet_protocol.rst).
"""
import os
import pty
import re
import select
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import termios
import threading
import time
import traceback

EXIT_PASS, EXIT_FAIL, EXIT_SKIP = 0, 1, 77
PROMPT = "testpmd> "
# The prompt as read: a forwarding lcore's log line ("hvnet: ...") may land between any two of
# its characters, as testpmd and the lcore write the same terminal.
PROMPT_RE = re.compile(r"(?:[A-Za-z_]+: [^\n]*\n)*".join(re.escape(c) for c in PROMPT))
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[78]")
_seq = 0


class TestFailure(Exception):
    """A counted behaviour differed from what the test expects."""


class TestSkip(Exception):
    """A prerequisite (not the code under test) is missing."""


def check(cond, what):
    if not cond:
        raise TestFailure(what)


def check_eq(got, want, what):
    if got != want:
        raise TestFailure("%s: got %r, expected %r" % (what, got, want))


def log(msg):
    print("[%s] %s" % (time.strftime("%H:%M:%S"), msg), flush=True)


def verbose():
    return bool(os.environ.get("HVNET_TEST_VERBOSE"))


# ---- the one place that knows which guest driver is under test ------------------------------

def driver():
    drv = os.environ.get("HVNET_DRIVER", "netvsc")
    if drv not in ("netvsc", "hvnet"):
        raise TestFailure("HVNET_DRIVER=%s is neither netvsc nor hvnet" % drv)
    return drv


def upstream():
    """True when the guest driver is upstream net_netvsc (known limitations apply)."""
    return driver() == "netvsc"


def rx_layout():
    """Where the host puts a received frame in its message: 'fixed' (256 bytes in, the default)
    or 'packed' (right after the PPIs), as HVNET_SIM_OPTS sets --rx-layout."""
    opts = shlex.split(os.environ.get("HVNET_SIM_OPTS", ""))
    for i, o in enumerate(opts):
        if o.startswith("--rx-layout="):
            return o.split("=", 1)[1]
        if o == "--rx-layout" and i + 1 < len(opts):
            return opts[i + 1]
    return "fixed"


def dpdk_version():
    """(major, minor) of the DPDK under test (meson sets HVNET_DPDK_VERSION)."""
    m = re.match(r"(\d+)\.(\d+)", os.environ.get("HVNET_DPDK_VERSION", "22.11"))
    return (int(m.group(1)), int(m.group(2))) if m else (22, 11)


def upstream_mtu_set():
    """Upstream netvsc sets the MTU from 23.11 on (22.11 has no mtu_set op)."""
    return dpdk_version() >= (23, 11)


# Violations the simulated host rightly reports against upstream net_netvsc of some versions:
# rule -> (first version, evidence line the host logs with it, why). Each one is still counted
# and must come with its evidence; any other violation fails the scenario.
UPSTREAM_DEFECTS = {
    "RNDIS control message type not accepted": (
        (23, 11), "RNDIS control message type 0 (length 0) refused",
        "hn_rndis_halt() frees the HALT message as soon as its GPA-direct carrier is queued, "
        "before the host reads it, and DPDK zeroes freed memory: the host reads an RNDIS "
        "message of type 0 and stops the channel, as Hyper-V's NetVSP does for an unknown "
        "type; the guest is detaching anyway (MTU change, close)"),
    "checksum per-packet info offset is not the end of the IPv4 header": (
        (22, 11), "checksum offset counts the VLAN tag sent out of band",
        "t24: a tagged frame that netvsc received (strip off) and testpmd's csum engine "
        "forwards with checksum offload leaves netvsc untagged with the tag in a VLAN PPI, "
        "but its checksum PPI's transport offset (38) still counts the 4-byte tag: the host "
        "writes the UDP checksum where the offset points, 4 bytes off, into the payload"),
}


def driver_eal_args():
    """hvnet: -d for each of the plugins in HVNET_PLUGINS (colon-separated .so paths)."""
    if upstream():
        return []
    plugins = [p for p in os.environ.get("HVNET_PLUGINS", "").split(":") if p]
    if len(plugins) != 2 or not all(os.path.isfile(p) for p in plugins):
        raise TestFailure("HVNET_DRIVER=hvnet needs HVNET_PLUGINS=<bus .so>:<net .so> (got %r)"
                          % plugins)
    args = []
    for p in plugins:
        args += ["-d", p]
    return args


def preload_path(path, tmpdir):
    """LD_PRELOAD splits at spaces and colons: a library in a folder whose name has one (a
    clone in "/tmp/my work") is preloaded through a link in tmpdir instead."""
    if not re.search(r"[\s:]", path):
        return path
    link = os.path.join(tmpdir, os.path.basename(path))
    if not os.path.lexists(link):
        os.symlink(path, link)
    return link


def driver_env(env, tmpdir, mixed=False):
    """LD_PRELOAD of the qstate shim when upstream netvsc drives ports (qstate_shim.c says
    why): under HVNET_DRIVER=netvsc, or in a mixed run where both drivers do."""
    if not upstream() and not mixed:
        return env
    shim = os.environ.get("HVNET_QSTATE_SHIM")
    if not shim or not os.path.isfile(shim):
        raise TestFailure("HVNET_QSTATE_SHIM must name libhvnet_qstate_shim.so (got %r)" % shim)
    pre = env.get("LD_PRELOAD", "")
    env["LD_PRELOAD"] = preload_path(shim, tmpdir) + (" " + pre if pre else "")
    return env


# ---- process handling ------------------------------------------------------------------------

def _children_map():
    kids = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat[stat.rfind(")") + 2:].split()[1])
        kids.setdefault(ppid, []).append(int(d))
    return kids


def descendants(pid):
    kids, out, todo = _children_map(), [], [pid]
    while todo and len(out) < 10000:
        p = todo.pop()
        for c in kids.get(p, []):
            out.append(c)
            todo.append(c)
    return out


def kill_tree(proc, grace=3.0):
    """Ask the simulator to stop (SIGTERM: it removes its work files and kills its guest),
    then SIGKILL it and every process still below it, by id (all started by this test)."""
    tree = [proc.pid] + descendants(proc.pid)
    try:
        os.kill(proc.pid, signal.SIGTERM)
        proc.wait(grace)
    except (OSError, subprocess.TimeoutExpired):
        pass
    for p in tree + descendants(proc.pid):
        try:
            os.kill(p, signal.SIGKILL)
        except OSError:
            pass


def unique_prefix():
    global _seq
    _seq += 1
    return "hvt%d%d" % (os.getpid(), _seq)


# ---- parsers ---------------------------------------------------------------------------------

def parse_kv(text):
    """'a=1 b=x' -> {'a': 1, 'b': 'x'} (integers converted)."""
    out = {}
    for tok in text.split():
        if "=" not in tok:
            continue
        k, v = tok.split("=", 1)
        out[k] = int(v) if re.fullmatch(r"-?\d+", v) else v
    return out


def parse_sim_lines(text, kind):
    """Lines 'hvnet-sim: KIND nic=N k=v...' -> {N: {k: v}} (the last line per NIC wins)."""
    out = {}
    for line in text.splitlines():
        m = re.search(r"hvnet-sim: %s (nic=\d+.*)$" % kind, line)
        if m:
            kv = parse_kv(m.group(1))
            out[kv["nic"]] = kv
    return out


def parse_port_info(text):
    """`show port info P` -> {'MAC address': ..., 'Link status': ..., ...}."""
    out = {}
    for line in text.splitlines():
        m = re.match(r"\s*([A-Za-z][^:]*?):\s+(.*\S)\s*$", line)
        if m and m.group(1) not in out:
            out[m.group(1)] = m.group(2)
    return out


def parse_port_stats(text):
    """`show port stats all` -> {port: {'RX-packets': n, 'RX-missed': n, ...}}."""
    out, port = {}, None
    for line in text.splitlines():
        m = re.search(r"NIC statistics for port (\d+)", line)
        if m:
            port = int(m.group(1))
            out[port] = {}
            continue
        if "Throughput" in line:       # rates follow: not counters
            port = None
        if port is None:
            continue
        for k, v in re.findall(r"([A-Za-z][A-Za-z-]*):\s+(\d+)", line):
            out[port][k] = int(v)
    return out


def parse_fwd_streams(text):
    """`stop` output -> [(rx_port, rx_queue, tx_port, tx_queue, rx_pkts, tx_pkts, tx_dropped)].
    testpmd prints per-stream blocks only when there are more streams than ports."""
    out = []
    pat = re.compile(r"Forward Stats for RX Port=\s*(\d+)/Queue=\s*(\d+) -> "
                     r"TX Port=\s*(\d+)/Queue=\s*(\d+)")
    lines = text.splitlines()
    for i, line in enumerate(lines):
        m = pat.search(line)
        if not m:
            continue
        nums = {}
        for nxt in lines[i + 1:i + 4]:
            if pat.search(nxt) or "Forward statistics for port" in nxt:
                break
            for k, v in re.findall(r"([A-Za-z][A-Za-z-]*):\s+(\d+)", nxt):
                nums.setdefault(k, int(v))
        out.append(tuple(int(x) for x in m.groups()) +
                   (nums.get("RX-packets", 0), nums.get("TX-packets", 0),
                    nums.get("TX-dropped", 0)))
    return out


def speed_mbps(link_speed):
    """testpmd 'Link speed' text ('25 Gbps', '100 Mbps', 'None') -> Mb/s, or None."""
    m = re.match(r"(\d+)\s*([GM])bps", link_speed or "")
    if not m:
        return None
    return int(m.group(1)) * (1000 if m.group(2) == "G" else 1)


# ---- one simulator + testpmd run ---------------------------------------------------------------

class CtlClient:
    """The simulator's control socket (--ctl): needs self.tmp (a private directory) and
    self.ctl_path, and a self._ctl_sock initialised to None."""

    def ctl(self, msg, timeout=10):
        if self._ctl_sock is None:
            self._ctl_sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            self._ctl_sock.bind(os.path.join(self.tmp, "client.sock"))
        self._ctl_sock.settimeout(timeout)
        self._ctl_sock.sendto(msg.encode(), self.ctl_path)
        try:
            reply = self._ctl_sock.recv(65536).decode("utf-8", "replace").strip()
        except socket.timeout:
            raise TestFailure("simulator did not answer control command %r within %d s"
                              % (msg, timeout))
        if not reply.startswith("ok"):
            raise TestFailure("simulator refused %r: %s" % (msg, reply))
        return reply

    def sim_stats(self):
        """Control 'stats' -> {nic: {counter: value}} (summary and wire counters merged)."""
        reply = self.ctl("stats")
        out, cur = {}, None
        for tok in reply.split():
            kv = parse_kv(tok)
            if "nic" in kv:
                cur = out.setdefault(kv["nic"], {})
            elif cur is not None:
                cur.update(kv)
        return out


class Run(CtlClient):
    """`with Run(sim_opts, testpmd_opts) as r:` starts the simulator with an interactive testpmd
    as its guest and waits for the first prompt; leaving the block quits (or kills) it."""

    def __init__(self, sim_opts, testpmd_opts=(), eal_opts=(), netns=None, deadline=240,
                 start_timeout=60, nb_mbufs=32768, mixed=False, eal_first=(), wrapper=(),
                 plugins=True, guest=None):
        """mixed: hvnet and upstream netvsc both drive ports (the test checks which).
        eal_first: EAL options before hvnet's -d (plugins loaded before hvnet's).
        wrapper: a command that runs testpmd's command line (given as its last arguments).
        plugins: False gives testpmd no -d (for plugins installed where EAL autoloads).
        guest: another application than testpmd (its whole command line): start() then
        waits for no prompt, and the test stops it itself, then calls wait_exit()."""
        self.mixed = mixed
        sim = os.environ.get("HVNET_SIM")
        if not sim or not os.access(sim, os.X_OK):
            raise TestFailure("HVNET_SIM must name the dpdk-test-hvnet binary (got %r)" % sim)
        self.tmp = tempfile.mkdtemp(prefix="hvt-")
        self.ctl_path = os.path.join(self.tmp, "ctl.sock")
        self.prefix = unique_prefix()
        testpmd = os.environ.get("HVNET_TESTPMD", "dpdk-testpmd")
        # testpmd reports command errors on stderr: send them to the terminal with the rest.
        self.custom_guest = guest is not None
        guest = (["sh", "-c", 'exec "$@" 2>&1', "hvt-guest"] + list(guest) if guest else
                 ["sh", "-c", 'exec "$@" 2>&1', "hvt-guest"] + list(wrapper) +
                 [testpmd, "--no-huge", "-m", "512", "--file-prefix", self.prefix,
                  "--iova-mode=va", "--no-pci"] + list(eal_first) +
                 (driver_eal_args() if plugins else []) +
                 list(eal_opts) +
                 ["--", "-i", "--total-num-mbufs=%d" % nb_mbufs] + list(testpmd_opts))
        self.argv = ([sim, "sim", "--ctl", self.ctl_path, "--timeout", str(deadline + 30)] +
                     list(sim_opts) + shlex.split(os.environ.get("HVNET_SIM_OPTS", "")) +
                     ["--"] + guest)
        if netns:
            self.argv = ["ip", "netns", "exec", netns] + self.argv
        self.deadline = time.monotonic() + deadline
        self.start_timeout = start_timeout
        self.out = ""          # everything testpmd printed, ANSI and CR stripped
        self.consumed = 0      # self.out up to here belongs to earlier commands
        self.proc = None
        self.rc = None
        self.stderr_path = os.path.join(self.tmp, "stderr.txt")
        self._ctl_sock = None
        self._watchdog = None
        self._killed = False
        self._kill_lock = threading.Lock()
        self._dump_mempool = None      # testpmd's command for it, found on first use

    # -- lifecycle
    def __enter__(self):
        # __exit__ does not run when __enter__ fails: a guest stuck before its first prompt
        # must still be killed, and the simulator's stderr (a violation saying why) shown.
        try:
            self.start()
        except BaseException:
            if self.proc is not None:
                self.kill("start failed")
                self.cleanup(keep=True)
            raise
        return self

    def __exit__(self, etype, evalue, tb):
        try:
            if self.rc is None:
                if etype is None:
                    self.quit()
                else:
                    self._quit_for_evidence()
        finally:
            self.cleanup(keep=etype is not None)
        return False

    def start(self):
        master, slave = pty.openpty()
        attrs = termios.tcgetattr(slave)
        attrs[1] &= ~termios.ONLCR          # no \n -> \r\n translation on output
        termios.tcsetattr(slave, termios.TCSANOW, attrs)
        self.master = master
        env = driver_env(dict(os.environ), self.tmp, self.mixed)
        log("run: " + " ".join(self.argv))
        self._stderr = open(self.stderr_path, "w")
        self.proc = subprocess.Popen(self.argv, stdin=slave, stdout=slave, stderr=self._stderr,
                                     env=env, close_fds=True)
        os.close(slave)
        self._watchdog = threading.Timer(max(1.0, self.deadline - time.monotonic()),
                                         self.kill, args=("run deadline passed",))
        self._watchdog.daemon = True
        self._watchdog.start()
        if self.custom_guest:
            return
        self.wait_prompt(self.start_timeout, what="testpmd start")
        if not self.mixed:
            self.check_drivers()

    def check_drivers(self):
        """Every port is driven by the driver under test (a plugin that failed to load
        would leave the ports to the other one, and every scenario would test the wrong one)."""
        want = "net_netvsc" if upstream() else "net_hvnet"
        drivers = [drv for _, drv in self.port_summary().values()]
        check(drivers and all(d == want for d in drivers),
              "ports must be driven by %s, 'show port summary all' lists %r" % (want, drivers))

    def port_summary(self):
        """{port id: (MAC lowercase, driver)} from 'show port summary all'."""
        rows = re.findall(r"^(\d+)\s+(\S+)\s+\S+\s+(\S+)\s", self.cmd("show port summary all"),
                          re.M)
        return {int(port): (mac.lower(), drv) for port, mac, drv in rows}

    def port_drivers(self):
        """{MAC: driver} of every port."""
        return dict(self.port_summary().values())

    def wait_output(self, text, since, timeout=30):
        """Wait until the guest printed text (asynchronously, at its prompt) after offset
        since; a guest that exits without printing it fails the wait at once."""
        end = time.monotonic() + timeout
        while self.out.find(text, since) < 0:
            if self.proc.poll() is not None:
                # What it printed before it exited; bounded, as a child may hold the terminal.
                drain_end = time.monotonic() + 2
                while self._read(0.1) and time.monotonic() < drain_end:
                    pass
                if self.out.find(text, since) >= 0:
                    break
                raise TestFailure("guest exited (code %s) without printing %r; last output:\n%s"
                                  % (self.proc.returncode, text, self.out[-3000:]))
            if time.monotonic() >= end:
                raise TestFailure("the guest did not print %r within %d s; last output:\n%s"
                                  % (text, timeout, self.out[-3000:]))
            self.pump(0.3)

    def dump_mempool(self, pool):
        """testpmd's dump of a mempool: 'dump_mempool' up to 24.11, 'dump mempool' after."""
        if self._dump_mempool is None:
            out = self.cmd("dump_mempool %s" % pool)
            self._dump_mempool = ("dump mempool" if "Command not found" in out
                                  else "dump_mempool")
            if self._dump_mempool == "dump_mempool":
                return out
        return self.cmd("%s %s" % (self._dump_mempool, pool))

    def mbufs_in_use(self, pool="mb_pool_0", settle=1.0):
        """Mbufs of the pool neither in the common pool nor in a cache; stable for `settle` s."""
        end, prev = time.monotonic() + 15, None
        while time.monotonic() < end:
            out = self.dump_mempool(pool)
            size = re.search(r"^\s*size=(\d+)", out, re.M)
            common = re.search(r"common_pool_count=(\d+)", out)
            cache = re.search(r"total_cache_count=(\d+)", out)
            if not (size and common):
                raise TestFailure("'dump_mempool %s' printed no counts:\n%s" % (pool, out))
            n = int(size.group(1)) - int(common.group(1)) - (int(cache.group(1)) if cache else 0)
            if n == prev:
                return n
            prev = n
            self.pump(settle)
        raise TestFailure("mbufs in use still changing after 15 s (last %r)" % prev)

    def kill(self, why):
        with self._kill_lock:      # the watchdog thread and the test may both get here
            self._kill_locked(why)

    def _kill_locked(self, why):
        if self.proc and self.proc.poll() is None:
            log("killing simulator and guest: %s" % why)
            self._killed = why
            kill_tree(self.proc)
        if self.proc:
            try:
                self.rc = self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.rc = -9

    def quit(self, timeout=60):
        """Send 'quit', wait for the guest and the simulator to exit; returns the exit code."""
        self._check_alive()
        if self.proc.poll() is None:
            self._send("quit")
        return self.wait_exit(timeout)

    def wait_exit(self, timeout=60):
        """Wait for the guest and the simulator to exit; returns the exit code."""
        end = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < end:
            self._read(0.2)
        if self.proc.poll() is None:
            self.kill("did not exit within %d s" % timeout)
            raise TestFailure("guest/simulator did not exit within %d s" % timeout)
        self._read(0.1)
        self.rc = self.proc.returncode
        self._stop_watchdog()
        return self.rc

    def _quit_for_evidence(self):
        """A check failed: try a short 'quit' so the simulator prints its summary lines."""
        try:
            if not self._killed and self.proc.poll() is None:
                self.quit(timeout=15)
        except TestFailure:
            pass
        self.kill("test aborted")

    def _stop_watchdog(self):
        if self._watchdog:
            self._watchdog.cancel()

    def cleanup(self, keep=False):
        self._stop_watchdog()
        if self.proc and self.proc.poll() is None:
            self.kill("cleanup")
        if self._ctl_sock:
            self._ctl_sock.close()
        try:
            os.close(self.master)
        except OSError:
            pass
        self._stderr.close()
        if keep or verbose():
            log("---- testpmd output ----\n" + self.out[-20000:])
            log("---- simulator stderr ----\n" + self.stderr()[-20000:])
        shutil.rmtree(self.tmp, ignore_errors=True)
        # testpmd's runtime directory for this run's unique --file-prefix
        shutil.rmtree(os.path.join("/var/run/dpdk", self.prefix), ignore_errors=True)

    # -- testpmd side
    def _read(self, timeout):
        r, _, _ = select.select([self.master], [], [], max(0.0, timeout))
        if not r:
            return False
        try:
            data = os.read(self.master, 65536)
        except OSError:     # EIO: every writer closed the terminal
            time.sleep(min(timeout, 0.05))
            return False
        text = _ANSI.sub("", data.decode("utf-8", "replace")).replace("\r", "")
        if verbose():
            sys.stdout.write(text)
            sys.stdout.flush()
        self.out += text
        return True

    def _send(self, line):
        os.write(self.master, (line + "\n").encode())

    def wait_prompt(self, timeout, what):
        """Wait for the next prompt after self.consumed; return the text before it."""
        end = min(time.monotonic() + timeout, self.deadline)
        while True:
            m = PROMPT_RE.search(self.out, self.consumed)
            if m:
                text = self.out[self.consumed:m.start()]
                self.consumed = m.end()
                return text
            self._check_alive()
            if self.proc.poll() is not None:
                self._read(0.1)
                if PROMPT_RE.search(self.out, self.consumed):
                    continue
                raise TestFailure("guest exited (code %s) while waiting for %s; last output:\n%s"
                                  % (self.proc.returncode, what, self.out[-3000:]))
            if time.monotonic() >= end:
                raise TestFailure("no testpmd prompt within %d s for %s; last output:\n%s"
                                  % (timeout, what, self.out[-3000:]))
            self._read(min(0.5, max(0.0, end - time.monotonic())))

    def cmd(self, line, timeout=30):
        """Run one testpmd command; return its output (the echoed command line removed)."""
        self._send(line)
        text = self.wait_prompt(timeout, "'%s'" % line)
        first, _, rest = text.partition("\n")
        return rest if first.strip() == line.strip() else text

    def pump(self, seconds):
        """Keep reading testpmd output for a while (so its terminal never fills up)."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self._check_alive()
            self._read(min(0.5, end - time.monotonic()))

    def _check_alive(self):
        if self._killed:
            raise TestFailure("run killed (%s); last output:\n%s"
                              % (self._killed, self.out[-3000:]))

    def port_info(self, port):
        return parse_port_info(self.cmd("show port info %d" % port))

    def port_stats(self):
        return parse_port_stats(self.cmd("show port stats all"))

    def xstats(self, port=0):
        """`show port xstats P` -> {name: value}."""
        out = self.cmd("show port xstats %d" % port)
        return {k: int(v) for k, v in re.findall(r"^\s*(\w+):\s+(\d+)\s*$", out, re.M)}

    def settle_stats(self, quiet=1.0, timeout=20):
        """Poll testpmd's port stats until they stop changing for `quiet` seconds."""
        end = time.monotonic() + timeout
        prev = self.port_stats()
        stable_since = time.monotonic()
        while time.monotonic() < end:
            self.pump(0.3)
            cur = self.port_stats()
            if cur != prev:
                prev, stable_since = cur, time.monotonic()
            elif time.monotonic() - stable_since >= quiet:
                return cur
        raise TestFailure("testpmd port stats still changing after %d s" % timeout)

    # -- simulator side
    def stderr(self):
        try:
            with open(self.stderr_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def summary(self):
        return parse_sim_lines(self.stderr(), "summary")

    def wire(self):
        return parse_sim_lines(self.stderr(), "wire")

    def _violation_lines(self):
        """(unexplained, {nic: explained count}): violation lines, less those an upstream
        defect of UPSTREAM_DEFECTS explains (each with its own evidence line)."""
        text = self.stderr()
        evidence = {}
        for rule, (since, proof, _) in UPSTREAM_DEFECTS.items():
            if upstream() and dpdk_version() >= since:
                evidence[rule] = len(re.findall(r"hvnet-sim: nic \d+: " + re.escape(proof), text))
        unexplained, explained = [], {}
        for line in text.splitlines():
            if "hvnet-sim: violation" not in line:
                continue
            m = re.search(r"nic=(\d+) .*rule=(.*)$", line)
            rule = m.group(2).strip() if m else ""
            if evidence.get(rule, 0) > 0:
                evidence[rule] -= 1
                nic = int(m.group(1))
                explained[nic] = explained.get(nic, 0) + 1
                log("upstream defect, expected: %s (%s)" % (line, UPSTREAM_DEFECTS[rule][2]))
            else:
                unexplained.append(line)
        return unexplained, explained

    def violations(self):
        """Violation lines the host logged, except the documented upstream defects."""
        return self._violation_lines()[0]

    def violation_counts(self):
        """{nic: violations counted by the host} less the documented upstream defects."""
        explained = self._violation_lines()[1]
        return {n: s.get("violations", 0) - explained.get(n, 0)
                for n, s in self.sim_stats().items()}

    def channels(self):
        """'hvnet-sim: channel nic=N chan=C ...' lines at exit -> {(N, C): {k: v}}."""
        out = {}
        for line in self.stderr().splitlines():
            m = re.search(r"hvnet-sim: channel (nic=\d+.*)$", line)
            if m:
                kv = parse_kv(m.group(1))
                out[(kv["nic"], kv["chan"])] = kv
        return out

    def check_clean_exit(self, nics, latency=None):
        """After quit: exit code 0, a summary per NIC, no violation logged or counted (but
        the documented upstream defects, each with its evidence), nothing owed either way
        (receive sections, completions, control answers, signals), and the monitor latency the
        guest set on every channel with a monitor id: latency is {nic: microseconds} for the
        NICs to check, default 50 (both drivers' default) on all."""
        for line in self.stderr().splitlines():
            if re.search(r"hvnet-sim: (summary|wire|channel) ", line):
                log(line)
        check(not self._killed, "the run had to be killed")
        check_eq(self.rc, 0, "simulator/guest exit code")
        summ = self.summary()
        viol, explained = self._violation_lines()
        for n in range(nics):
            check(n in summ, "no 'hvnet-sim: summary nic=%d' line at exit" % n)
            check_eq(summ[n].get("violations", 0) - explained.get(n, 0), 0,
                     "violations counted on nic %d" % n)
            for key in ("missed_signals", "rx_sections_leaked", "tx_completions_owed",
                        "ctl_unanswered"):
                check_eq(summ[n].get(key), 0, "%s counted on nic %d" % (key, n))
        check(not viol, "violations logged:\n" + "\n".join(viol[:20]))
        self.check_latency(latency if latency is not None else {n: 50 for n in range(nics)})
        return summ

    def check_latency(self, latency):
        """Every channel of those NICs with a monitor id carries the latency asked for, in the
        monitor page's 100 ns units (a driver that sets only its primary's leaves 0)."""
        for (nic, chan), c in sorted(self.channels().items()):
            if nic not in latency or c.get("monitor") == 255:
                continue
            check_eq(c.get("latency"), latency[nic] * 10,
                     "monitor latency of nic %d channel %d (100 ns units)" % (nic, chan))


def tool_path(var):
    """The executable an environment variable names (set by meson)."""
    path = os.environ.get(var)
    if not path or not os.access(path, os.X_OK):
        raise TestFailure("%s must name an executable (got %r)" % (var, path))
    return path


def run_test(fn):
    """Entry point of a scenario script: exit 0 pass, 1 fail, 77 skip."""
    try:
        fn()
    except TestSkip as e:
        print("SKIP: %s" % e, flush=True)
        sys.exit(EXIT_SKIP)
    except TestFailure as e:
        print("FAIL: %s" % e, flush=True)
        sys.exit(EXIT_FAIL)
    except Exception:
        traceback.print_exc()
        print("FAIL: unexpected error", flush=True)
        sys.exit(EXIT_FAIL)
    print("PASS", flush=True)
    sys.exit(EXIT_PASS)


# ---- helpers shared by the scenarios ---------------------------------------------------------

# The generator keeps up to 512 frames in flight; 22.11 netvsc moves every frame waiting on a
# channel into a software ring of --rxd entries (one less usable) and drops the overflow as
# RX-missed. Deeper rings keep byte-exact runs free of guest-side drops.
GEN_RINGS = ["--rxd=1024", "--txd=1024"]


def nic_total(stats, key):
    return sum(s.get(key, 0) for s in stats.values())


def run_gen(r, nic, count, sizes, flows=16, timeout=90, quiet=3.0):
    """Start the host's generator on nic (control 'gen') and wait until the guest has sent
    back count more frames on all NICs together, or nothing moved for `quiet` seconds."""
    base = nic_total(r.sim_stats(), "from_guest_frames")
    r.ctl("gen %d %d:%s:%d" % (nic, count, sizes, flows))
    end = time.monotonic() + timeout
    last, last_change = -1, time.monotonic()
    while time.monotonic() < end:
        got = nic_total(r.sim_stats(), "from_guest_frames") - base
        if got >= count:
            return got
        if got != last:
            last, last_change = got, time.monotonic()
        elif time.monotonic() - last_change >= quiet:
            log("generator on nic %d: %d of %d frames came back, then nothing for %.0f s"
                % (nic, got, count, quiet))
            return got
        r.pump(0.2)
    raise TestFailure("generator on nic %d still running after %d s" % (nic, timeout))


def forward_all(r, nics, count):
    """Forwarding started: each NIC's generator sends count frames of 60-1514 bytes (8 flows);
    then quit, check a clean exit; returns the wire lines (check_gen for each NIC)."""
    r.cmd("start")
    for nic in range(nics):
        run_gen(r, nic, count, "60-1514", flows=8)
    r.cmd("stop")
    r.quit()
    r.check_clean_exit(nics)
    return r.wire()


def check_gen(wire, nic, sent, what):
    """The wire line of nic after exit: every generated frame back once, byte for byte."""
    w = wire.get(nic)
    check(w is not None, "%s: no 'hvnet-sim: wire nic=%d' line at exit" % (what, nic))
    got = {k: w.get(k) for k in ("gen_sent", "gen_ok", "gen_bad", "gen_dup",
                                 "gen_wrong_queue", "gen_missing")}
    want = {"gen_sent": sent, "gen_ok": sent, "gen_bad": 0, "gen_dup": 0,
            "gen_wrong_queue": 0, "gen_missing": 0}
    check(got == want, "%s: generator counters on nic %d: got %r, expected %r"
          % (what, nic, got, want))


def fwd_phase(r, portlist, mode, seconds):
    """Forward in mode on the ports of portlist for a while; returns 'stop''s output."""
    r.cmd("set portlist %s" % portlist)
    r.cmd("set fwd %s" % mode)
    r.cmd("start")
    r.pump(seconds)
    return r.cmd("stop")


def mtu_set(r, port, mtu):
    """Stop port, set its MTU, start it; returns the testpmd output (errors included)."""
    out = r.cmd("port stop %d" % port)
    out += r.cmd("port config mtu %d %d" % (port, mtu))
    out += r.cmd("port start %d" % port, timeout=60)
    return out


def upstream_plugin_args():
    """-d for upstream bus_vmbus and net_netvsc, from the DPDK's own plugin folder (meson sets
    HVNET_DPDK_PLUGIN_DIR): loaded before hvnet's, they register first."""
    pdir = os.environ.get("HVNET_DPDK_PLUGIN_DIR", "")
    args = []
    for name in ("librte_bus_vmbus.so", "librte_net_netvsc.so"):
        path = os.path.join(pdir, name)
        if not os.path.exists(path):
            raise TestSkip("no upstream plugin %s (HVNET_DPDK_PLUGIN_DIR=%r)" % (name, pdir))
        args += ["-d", path]
    return args


def close_clean(r, nics, base=None):
    """Stop forwarding, stop every port (then base mbufs in use, when given: what the
    stopped ports held at the start) and close them, with no mbuf left in use; then quit and
    check a clean exit (check_clean_exit). Returns the summary lines."""
    r.cmd("stop")
    r.cmd("port stop all", timeout=60)
    if base is not None:
        check_eq(r.mbufs_in_use(), base, "mbufs in use with every port stopped")
    r.cmd("port close all", timeout=60)
    check_eq(r.mbufs_in_use(), 0, "mbufs in use after 'port close all'")
    r.quit(timeout=120)
    return r.check_clean_exit(nics)


def nic_uuid(i):
    """The simulator's instance UUID of NIC i (app/test-hvnet/sim_env.c)."""
    return "f8615163-0000-4000-8000-0000000000%02x" % i


def mac_list(n, last=0x10):
    return ["00:15:5d:%02x:00:%02x" % (last, i + 1) for i in range(n)]


# ---- accelerated networking: the simulator's --vf (host_vf.c) --------------------------------

def vf_counters(r, nic=0):
    """The host's 'vf nic=N ...' counters, from the control 'stats' reply."""
    text = r.ctl("stats")
    m = re.search(r"vf nic=%d (.*)" % nic, text)
    check(m is not None, "no 'vf nic=%d' line in the host's stats:\n%s" % (nic, text))
    return parse_kv(m.group(1))


def wait_vf_state(r, what, timeout=30, **want):
    """Until NIC 0's VF counters have the values of want (device, offered, datapath_vf)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = vf_counters(r)
        if all(v[k] == w for k, w in want.items()):
            return v
        r.pump(0.2)
    raise TestFailure("%s: host VF state never became %r: %r" % (what, want, vf_counters(r)))


def vf_paths(r):
    """NIC 0's frames back from the guest: (over synthetic, over the VF)."""
    return (nic_total(r.sim_stats(), "from_guest_frames"), vf_counters(r)["from_vf_frames"])


def vf_gen(r, count, sizes="60-1514", timeout=60, quiet=10.0):
    """Generate count frames on NIC 0 and wait (bounded) until as many came back over both
    paths together, or nothing came back for `quiet` seconds; returns what came back over
    each (synthetic, VF). Callers that expect every frame keep the long default: on a loaded
    machine the guest may forward nothing for seconds. Callers that expect losses pass less."""
    base = vf_paths(r)
    r.ctl("gen 0 %d:%s:8" % (count, sizes))
    end, now, moved = time.monotonic() + timeout, base, time.monotonic()
    while time.monotonic() < end and sum(now) - sum(base) < count:
        r.pump(0.2)
        last, now = now, vf_paths(r)
        if now != last:
            moved = time.monotonic()
        elif time.monotonic() - moved >= quiet:
            break
    return (now[0] - base[0], now[1] - base[1])


def in_netns(tag, fn):
    """fn(ns) in a network namespace made for it and deleted after (skip if none can be)."""
    if shutil.which("ip") is None:
        raise TestSkip("'ip' is not installed")
    ns = "hvt-%s-%d" % (tag, os.getpid())
    res = subprocess.run(["ip", "netns", "add", ns], capture_output=True, text=True)
    if res.returncode != 0:
        raise TestSkip("cannot create a network namespace: %s" % res.stderr.strip())
    try:
        fn(ns)
    finally:
        subprocess.run(["ip", "netns", "delete", ns], capture_output=True)
