#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Multi-process: secondary processes read a running testpmd's port and capture its traffic.
A secondary needs the primary's memory shared, so testpmd runs on hugepages this test reserves
(and mounts hugetlbfs for, when none is mounted) and gives back afterwards. The secondaries run
in the guest's mount namespace (nsenter), where the simulated /sys/bus shows them the NIC:
1. dpdk-proc-info --stats while testpmd forwards host-generated frames (io mode, loop, 2
   queues): its RX/TX counters equal testpmd's 'show port stats' and the simulator's; --xstats
   lists hvnet's per-queue counters (rx_q0_good_packets...), which add up to the same values;
   --show-port reads the port's info, link, MAC, queues and RSS through the secondary's ops.
2. dpdk-dumpcap -c N on port 0 while the host generates: a pcapng file of N packets (22.11's
   dumpcap stops after the burst that reaches N: up to 31 more), each a generated frame (magic
   bytes, length field equal to the captured length), none dropped. Then --stats again after
   'stop': equal to testpmd's, the host's and every frame generated.
3. dpdk-pdump on port 0 (every queue, rx and tx to pcap files) while the host generates COUNT
   frames that io forwarding returns: each file holds exactly COUNT whole generated frames.
4. Accelerated networking (--vf, in a network namespace of its own): proc-info reads a port
   whose VF is attached, switched away and back, and runs beside VF changes (the primary
   probes and removes the VF's device while secondaries come and go): its stats count both
   paths as testpmd and the host do, its vf_* xstats equal testpmd's and the host's.
Neither secondary may crash or make the primary crash; the simulator sees no violation.
Runs under HVNET_DRIVER=hvnet only (the plugins come with -d; dumpcap takes no EAL options, so it
gets them with LD_PRELOAD, after the mempool drivers testpmd links: testpmd_mempool_libs says
why)."""
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

from simtest import (GEN_RINGS, Run, TestFailure, TestSkip, check, check_eq, check_gen,
                     close_clean, descendants, driver_eal_args, in_netns, log, run_gen,
                     run_test, upstream, verbose, vf_counters, vf_gen, wait_vf_state)

NR_HUGEPAGES = "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"
FREE_HUGEPAGES = "/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages"
# testpmd's -m 512 is 256 pages of 2 MiB; the rest is headroom for EAL's own reservations.
PAGES = 320
QUEUES = 2
COUNT = 3000
CAPTURE = 200
DUMPCAP_BURST = 32      # dumpcap 22.11 writes whole bursts, then checks its -c count
SECONDARY_TIMEOUT = 60
GEN_MAGIC = b"hvg"
GEN_OFF_MAGIC, GEN_OFF_LEN = 42, 50


def read_int(path):
    with open(path) as f:
        return int(f.read().strip())


def write_int(path, value):
    with open(path, "w") as f:
        f.write("%d\n" % value)


def hugetlbfs_2m_mount():
    """A mounted hugetlbfs of 2 MiB pages (the kernel's default size here), or None."""
    with open("/proc/mounts") as f:
        for line in f:
            dev, mnt, fstype, opts = line.split()[:4]
            if fstype != "hugetlbfs":
                continue
            size = re.search(r"pagesize=(\w+)", opts)
            if size is None or size.group(1).upper() in ("2M", "2048K"):
                return mnt.replace("\\040", " ")
    return None


class Hugepages:
    """Reserve PAGES more 2 MiB pages and make sure hugetlbfs is mounted; undo both on exit,
    whatever happened in between."""

    def __init__(self):
        self.before = None
        self.mnt = None
        self.own_mnt = False
        self.prefixes = []

    def __enter__(self):
        if os.geteuid() != 0:
            raise TestSkip("reserving hugepages needs root")
        try:
            self.before = read_int(NR_HUGEPAGES)
        except OSError as e:
            raise TestSkip("no 2 MiB hugepages in this kernel: %s" % e)
        try:
            self._setup()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _setup(self):
        want = self.before + PAGES
        try:
            write_int(NR_HUGEPAGES, want)
        except OSError as e:
            raise TestSkip("kernel refused %d hugepages: %s" % (want, e))
        got, free = read_int(NR_HUGEPAGES), read_int(FREE_HUGEPAGES)
        if got < want or free < PAGES:
            raise TestSkip("kernel gave %d of %d hugepages (%d free)" % (got, want, free))
        self.mnt = hugetlbfs_2m_mount()
        if self.mnt is None:
            mnt = tempfile.mkdtemp(prefix="hvt13-huge-")
            rc = subprocess.run(["mount", "-t", "hugetlbfs", "-o", "pagesize=2M", "hvt13", mnt],
                                timeout=30).returncode
            if rc != 0:
                os.rmdir(mnt)
                raise TestFailure("cannot mount hugetlbfs on %s (exit %d)" % (mnt, rc))
            self.mnt, self.own_mnt = mnt, True
        log("hugepages: %d -> %d, hugetlbfs at %s%s" % (self.before, got, self.mnt,
                                                         " (mounted here)" if self.own_mnt else ""))

    def __exit__(self, etype, evalue, tb):
        try:
            self._remove_page_files()
            if self.own_mnt:
                self.own_mnt = False
                rc = subprocess.run(["umount", self.mnt], timeout=30).returncode
                check_eq(rc, 0, "umount %s" % self.mnt)
                os.rmdir(self.mnt)
        finally:
            if self.before is not None:
                write_int(NR_HUGEPAGES, self.before)
                check_eq(read_int(NR_HUGEPAGES), self.before, "nr_hugepages after the test")
        return False

    def _remove_page_files(self):
        """EAL names its page files <prefix>map_<n>: a killed primary leaves them behind."""
        if self.mnt is None or not self.prefixes or not os.path.isdir(self.mnt):
            return
        for name in os.listdir(self.mnt):
            if any(name.startswith(p + "map_") for p in self.prefixes):
                try:
                    os.unlink(os.path.join(self.mnt, name))
                except OSError:
                    pass


def testpmd_pid(r):
    for pid in descendants(r.proc.pid):
        try:
            with open("/proc/%d/comm" % pid) as f:
                if f.read().strip() == "dpdk-testpmd":
                    return pid
        except OSError:
            pass
    raise TestFailure("no dpdk-testpmd process below the simulator")


def secondary_argv(r, argv):
    """argv run in the guest's mount namespace (the simulated /sys/bus). Entering a mount
    namespace resets the root to the namespace's: --root keeps testpmd's, for a test run in
    a chroot (devtools/check-fresh.sh), where the plugins and tools are."""
    return ["nsenter", "--target", str(testpmd_pid(r)), "--mount", "--root", "--wd",
            "--"] + argv


def run_secondary(r, argv, env=None):
    full = secondary_argv(r, argv)
    log("secondary: " + " ".join(full))
    p = subprocess.run(full, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                       timeout=SECONDARY_TIMEOUT)
    out = p.stdout.decode("utf-8", "replace")
    check(p.returncode == 0, "%s exited with %d:\n%s" % (argv[0], p.returncode, out[-4000:]))
    if verbose():
        log("%s output:\n%s" % (argv[0], out))
    r.pump(0.1)
    return out


def proc_info(r, what):
    return run_secondary(r, ["dpdk-proc-info", "--file-prefix", r.prefix, "--log-level",
                             "notice"] + driver_eal_args() + ["--", what])


def parse_proc_stats(out):
    """proc-info --stats -> {'RX-packets': n, 'RX-bytes': n, 'TX-packets': n, ...} of port 0
    (its per-queue 'Stats reg' lines are left out)."""
    m = re.search(r"NIC statistics for port 0\s*#*\n(.*?)(?=#####|\Z)", out, re.S)
    check(m is not None, "proc-info --stats printed nothing for port 0:\n" + out[-3000:])
    stats = {}
    for line in m.group(1).splitlines():
        if "Stats reg" in line:
            continue
        for k, v in re.findall(r"([A-Za-z][A-Za-z-]*):\s+(\d+)", line):
            stats[k] = int(v)
    check("RX-packets" in stats and "TX-packets" in stats,
          "proc-info --stats printed no packet counters:\n" + out[-3000:])
    return stats


def parse_xstats(out):
    return {k: int(v) for k, v in re.findall(r"^(\w+): (\d+)$", out, re.M)}


def check_stats(r, count=None):
    """proc-info's port 0 counters equal testpmd's and the host's (and count, when given)."""
    tp = r.settle_stats()[0]
    sim = r.sim_stats()[0]
    pi = parse_proc_stats(proc_info(r, "--stats"))
    log("port 0: testpmd RX %d/%d TX %d/%d, proc-info RX %d/%d TX %d/%d, host to_guest %d "
        "from_guest %d" % (tp["RX-packets"], tp["RX-bytes"], tp["TX-packets"], tp["TX-bytes"],
                           pi["RX-packets"], pi["RX-bytes"], pi["TX-packets"], pi["TX-bytes"],
                           sim["to_guest_frames"], sim["from_guest_frames"]))
    for key in ("RX-packets", "RX-bytes", "RX-errors", "RX-nombuf", "TX-packets", "TX-bytes",
                "TX-errors"):
        check_eq(pi.get(key), tp.get(key), "proc-info %s vs testpmd's" % key)
    if count is not None:
        check_eq(pi["RX-packets"], count, "proc-info RX-packets vs frames generated")
    check_eq(pi["RX-packets"], sim["to_guest_frames"], "proc-info RX-packets vs host to_guest")
    check_eq(pi["RX-bytes"], sim["to_guest_bytes"], "proc-info RX-bytes vs host to_guest")
    check_eq(pi["TX-packets"], sim["from_guest_frames"], "proc-info TX-packets vs host")
    check_eq(pi["TX-bytes"], sim["from_guest_bytes"], "proc-info TX-bytes vs host")
    xs = parse_xstats(proc_info(r, "--xstats"))
    for d, key in (("rx", "RX"), ("tx", "TX")):
        for what in ("packets", "bytes"):
            names = ["%s_q%d_good_%s" % (d, q, what) for q in range(QUEUES)]
            missing = [n for n in names if n not in xs]
            check(not missing, "proc-info --xstats lists no %s: %r" % (missing, sorted(xs)))
            check_eq(sum(xs[n] for n in names), pi["%s-%s" % (key, what)],
                     "sum of proc-info --xstats %s" % ", ".join(names))
    per_queue = [xs["rx_q%d_good_packets" % q] for q in range(QUEUES)]
    if count is not None:
        check(all(per_queue), "generated frames reached only some queues: %r" % per_queue)
    log("proc-info --xstats: %d counters, per-queue ones add up (rx %r)" % (len(xs), per_queue))


def check_show_port(r):
    """proc-info --show-port: device info, link, MAC, queue info and RSS through the secondary's
    ops (a secondary has no channel mapped: nothing may reach the rings)."""
    out = proc_info(r, "--show-port")
    check(re.search(r"-- driver net_hvnet device f8615163-0000-4000-8000-000000000000", out),
          "proc-info --show-port names no net_hvnet port:\n" + out[-3000:])
    check(re.search(r"-- mac 00:15:5D:10:00:01", out, re.I),
          "proc-info --show-port shows another MAC:\n" + out[-3000:])
    rxq = len(re.findall(r"^\s+-- \d+ descriptors .*mempool", out, re.M))
    check(rxq >= QUEUES, "proc-info --show-port shows %d rx queues:\n%s" % (rxq, out[-3000:]))
    log("proc-info --show-port: net_hvnet port, its MAC and %d queues" % rxq)


def pcapng_packets(path):
    """The packets (captured bytes, original length) of every Enhanced Packet Block."""
    with open(path, "rb") as f:
        data = f.read()
    check(len(data) >= 12 and data[:4] == b"\x0a\x0d\x0d\x0a", "%s is not pcapng" % path)
    bom = struct.unpack_from("<I", data, 8)[0]
    end = "<" if bom == 0x1a2b3c4d else ">"
    pkts, off = [], 0
    while off + 12 <= len(data):
        btype, blen = struct.unpack_from(end + "II", data, off)
        check(blen >= 12 and blen % 4 == 0 and off + blen <= len(data),
              "pcapng block at %d: bad length %d" % (off, blen))
        if btype == 6:
            caplen, origlen = struct.unpack_from(end + "II", data, off + 20)
            check(28 + caplen <= blen, "pcapng packet block at %d overflows" % off)
            pkts.append((data[off + 28:off + 28 + caplen], origlen))
        off += blen
    return pkts


def check_capture(path, n, dumpcap_out):
    """n or up to a burst more (dumpcap's -c), all generated frames, none dropped; pdump may
    have accepted more than dumpcap took off its ring before stopping."""
    pkts = pcapng_packets(path)
    m = re.search(r"Packets received/dropped on interface '[^']*': (\d+)/(\d+)", dumpcap_out)
    check(m is not None, "dumpcap printed no received/dropped line:\n" + dumpcap_out)
    accepted, dropped = int(m.group(1)), int(m.group(2))
    check(n <= len(pkts) < n + DUMPCAP_BURST,
          "dumpcap -c %d wrote %d packets (expected %d to %d)"
          % (n, len(pkts), n, n + DUMPCAP_BURST - 1))
    check_eq(dropped, 0, "packets pdump dropped")
    check(accepted >= len(pkts), "pdump accepted %d packets, the file has %d"
          % (accepted, len(pkts)))
    check_generated(pkts, "dumpcap")
    log("dumpcap -c %d: %d packets in the file (%d accepted, none dropped), all generated "
        "frames" % (n, len(pkts), accepted))


def testpmd_mempool_libs():
    """The mempool drivers testpmd links (Debian's links librte_mempool_dpaa).
    A mempool names its ops by an index into a per-process table filled in the order the ops
    register: linked drivers first, then the plugin directory. dumpcap creates its capture pool
    ("ring_mp_mc") in the secondary; the primary's pdump callbacks allocate from it with the
    primary's table. Unless both register in the same order, that index names another driver
    in testpmd (here dpaa2: "mempool/dpaa2: Failed to allocate IO portal" and nothing captured,
    a DPDK 22.11 multi-process limitation, not the PMD's). Preloading the same drivers in
    dumpcap lines the tables up."""
    testpmd = shutil.which(os.environ.get("HVNET_TESTPMD", "dpdk-testpmd"))
    out = subprocess.run(["ldd", testpmd], stdout=subprocess.PIPE, check=True,
                         timeout=30).stdout.decode()
    libs = re.findall(r"^\s*librte_mempool_\w+\.so\S*\s+=>\s+(\S+)", out, re.M)
    log("mempool drivers linked in testpmd, preloaded in dumpcap: %r" % (libs,))
    return libs


def pcap_packets(path):
    """[(frame bytes, original length)] of a classic pcap file (what dpdk-pdump writes)."""
    with open(path, "rb") as f:
        data = f.read()
    check(len(data) >= 24, "%s: no pcap header (%d bytes)" % (path, len(data)))
    magic = struct.unpack_from("<I", data, 0)[0]
    check(magic in (0xa1b2c3d4, 0xa1b23c4d), "%s: not a pcap file (magic %#x)" % (path, magic))
    pkts, off = [], 24
    while off + 16 <= len(data):
        caplen, origlen = struct.unpack_from("<II", data, off + 8)
        check(off + 16 + caplen <= len(data), "%s: record at %d overflows" % (path, off))
        pkts.append((data[off + 16:off + 16 + caplen], origlen))
        off += 16 + caplen
    check_eq(off, len(data), "%s: bytes after the last record" % path)
    return pkts


def check_generated(pkts, what):
    """Every captured frame whole and one of the generator's (magic bytes, length field)."""
    for i, (frame, origlen) in enumerate(pkts):
        check_eq(len(frame), origlen, "%s: captured packet %d truncated" % (what, i))
        check(len(frame) >= GEN_OFF_LEN + 2 and
              frame[GEN_OFF_MAGIC:GEN_OFF_MAGIC + 3] == GEN_MAGIC,
              "%s: captured packet %d is not a generated frame: %s"
              % (what, i, frame[:64].hex()))
        check_eq(struct.unpack_from(">H", frame, GEN_OFF_LEN)[0], len(frame),
                 "%s: length field of captured packet %d" % (what, i))


def pdump(r, tmp):
    """dpdk-pdump on port 0 (every queue, both directions) while the host generates COUNT
    frames that io forwarding sends back: each file holds exactly those COUNT frames."""
    rx, tx = os.path.join(tmp, "rx.pcap"), os.path.join(tmp, "tx.pcap")
    env = dict(os.environ)
    # Same mempool-ops order as testpmd (testpmd_mempool_libs): pdump makes its pool here.
    env["LD_PRELOAD"] = " ".join(testpmd_mempool_libs())
    argv = secondary_argv(r, ["dpdk-pdump", "--file-prefix", r.prefix, "--log-level",
                              "notice"] + driver_eal_args() +
                          ["--", "--pdump", "port=0,queue=*,rx-dev=%s,tx-dev=%s" % (rx, tx)])
    log("secondary: " + " ".join(argv))
    out_path = os.path.join(tmp, "pdump.txt")
    with open(out_path, "w") as out:
        p = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        # pdump has enabled capturing once its pcap ports exist and it polls them.
        end = time.monotonic() + SECONDARY_TIMEOUT
        while not (os.path.exists(rx) and os.path.exists(tx)):
            check(p.poll() is None, "dpdk-pdump exited early (%s)" % p.returncode)
            check(time.monotonic() < end, "dpdk-pdump made no capture file in %d s"
                  % SECONDARY_TIMEOUT)
            r.pump(0.2)
        r.pump(1.0)
        sent = run_gen(r, 0, COUNT, "60-1514", flows=8)
        check_eq(sent, COUNT, "frames forwarded back while pdump captured")
        r.pump(1.0)
        p.send_signal(signal.SIGINT)
        p.wait(SECONDARY_TIMEOUT)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        with open(out_path, errors="replace") as f:
            text = f.read()
        log("pdump output:\n" + text.strip()[-3000:])
    check_eq(p.returncode, 0, "dpdk-pdump exit code")
    for path, what in ((rx, "pdump rx"), (tx, "pdump tx")):
        pkts = pcap_packets(path)
        check_eq(len(pkts), COUNT, "%s: packets in %s" % (what, os.path.basename(path)))
        check_generated(pkts, what)
    log("dpdk-pdump: %d frames captured each way, all generated frames, whole" % COUNT)
    return sent


def capture(r, tmp):
    """dumpcap -c CAPTURE on port 0 while the host generates; returns the frames generated."""
    sent = 0
    path = os.path.join(tmp, "cap.pcapng")
    env = dict(os.environ)
    # dumpcap builds its own EAL command line (no -d): the plugins come preloaded, after the
    # mempool drivers testpmd links (see testpmd_mempool_libs).
    plugins = [a for a in driver_eal_args() if a != "-d"]
    env["LD_PRELOAD"] = " ".join(testpmd_mempool_libs() + plugins)
    argv = secondary_argv(r, ["dpdk-dumpcap", "--file-prefix", r.prefix, "-i", "0",
                              "-c", str(CAPTURE), "-w", path, "-q"])
    log("secondary: " + " ".join(argv))
    out_path = os.path.join(tmp, "dumpcap.txt")
    with open(out_path, "w") as out:
        p = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        end = time.monotonic() + SECONDARY_TIMEOUT
        while p.poll() is None and time.monotonic() < end:
            sent += run_gen(r, 0, COUNT, "60-1514", flows=8)
        if p.poll() is None:
            raise TestFailure("dpdk-dumpcap still running %d s after it started"
                              % SECONDARY_TIMEOUT)
    finally:
        if p.poll() is None:
            p.kill()
        p.wait()
        with open(out_path, errors="replace") as f:
            text = f.read()
        log("dumpcap output:\n" + text.strip())
    check_eq(p.returncode, 0, "dpdk-dumpcap exit code")
    check_capture(path, CAPTURE, text)
    return sent


VF_XSTATS = ("vf_rx_packets", "vf_rx_bytes", "vf_tx_packets", "vf_tx_bytes", "vf_attaches",
             "vf_detaches")


def vf_forward(r, vf, what):
    """COUNT generated frames forwarded, all over the VF (vf) or all synthetic."""
    back = vf_gen(r, COUNT)
    check_eq(back, (0, COUNT) if vf else (COUNT, 0), "%s: frames back (synthetic, VF)" % what)


def check_vf_stats(r, what):
    """proc-info's stats count both paths, as testpmd's and the host's do; its vf_* xstats
    are testpmd's and the host's VF counters."""
    tp, txs = r.settle_stats()[0], r.xstats()
    sim, host = r.sim_stats()[0], vf_counters(r)
    pi = parse_proc_stats(proc_info(r, "--stats"))
    xs = parse_xstats(proc_info(r, "--xstats"))
    log("%s: proc-info RX %d TX %d, %r; host synthetic %d/%d, VF %d/%d" % (
        what, pi["RX-packets"], pi["TX-packets"], {k: xs.get(k) for k in VF_XSTATS},
        sim["to_guest_frames"], sim["from_guest_frames"], host["to_vf_frames"],
        host["from_vf_frames"]))
    for key in ("RX-packets", "RX-bytes", "TX-packets", "TX-bytes"):
        check_eq(pi.get(key), tp.get(key), "%s: proc-info %s vs testpmd's" % (what, key))
    check_eq((pi["RX-packets"], pi["TX-packets"]),
             (sim["to_guest_frames"] + host["to_vf_frames"],
              sim["from_guest_frames"] + host["from_vf_frames"]),
             "%s: proc-info RX/TX-packets vs the host's synthetic + VF frames" % what)
    missing = [k for k in VF_XSTATS if k not in xs]
    check(not missing, "%s: proc-info --xstats lists no %r" % (what, missing))
    check_eq({k: xs[k] for k in VF_XSTATS}, {k: txs[k] for k in VF_XSTATS},
             "%s: proc-info's VF xstats vs testpmd's" % what)
    check_eq((xs["vf_rx_packets"], xs["vf_tx_packets"]),
             (host["to_vf_frames"], host["from_vf_frames"]),
             "%s: proc-info vf_rx/tx_packets vs the host's VF counters" % what)
    return xs


def vf_secondary(huge, ns):
    """Accelerated networking (--vf): proc-info reads a port whose VF is attached, then
    switched away (association first) and back (device first), and once more while the VF
    is being removed and added (the primary probes and removes the VF's device with a
    secondary attached: EAL's hot-plug asks the secondary to follow)."""
    r = Run(["--vf"], ["--forward-mode=io"] + GEN_RINGS, netns=ns)
    r.argv.remove("--no-huge")
    huge.prefixes.append(r.prefix)
    with r:
        wait_vf_state(r, "VF present at probe", datapath_vf=1)
        r.cmd("start")
        vf_forward(r, True, "VF attached")
        xs = check_vf_stats(r, "VF attached")
        check_eq((xs["vf_rx_packets"], xs["vf_attaches"]), (COUNT, 1),
                 "VF attached: proc-info vf_rx_packets, vf_attaches")
        r.ctl("vf 0 remove msg-first")
        wait_vf_state(r, "VF removed", device=0, offered=0, datapath_vf=0)
        vf_forward(r, False, "VF removed")
        r.ctl("vf 0 add dev-first")
        wait_vf_state(r, "VF back", device=1, offered=1, datapath_vf=1)
        vf_forward(r, True, "VF back")
        xs = check_vf_stats(r, "VF switched away and back")
        check_eq((xs["vf_rx_packets"], xs["vf_attaches"], xs["vf_detaches"]),
                 (2 * COUNT, 2, 1), "switched: proc-info vf_rx_packets, attaches, detaches")
        # Secondaries attached while the primary's alarm gives the VF back and takes it again.
        for verb, order, vf in (("remove", "dev-first", 0), ("add", "msg-first", 1)):
            r.ctl("vf 0 %s %s" % (verb, order))
            for _ in range(3):
                proc_info(r, "--xstats")
            wait_vf_state(r, "VF %s %s with proc-info" % (verb, order), device=vf, offered=vf,
                          datapath_vf=vf)
        vf_forward(r, True, "VF back after changes beside proc-info")
        r.cmd("stop")
        xs = check_vf_stats(r, "after changes beside proc-info")
        check_eq((xs["vf_rx_packets"], xs["vf_attaches"], xs["vf_detaches"]),
                 (3 * COUNT, 3, 2), "proc-info vf_rx_packets, attaches, detaches at the end")
        close_clean(r, 1)
        check_gen(r.wire(), 0, 4 * COUNT, "frames forwarded while proc-info read the VF")


def main():
    if upstream():
        log("the multi-process test runs hvnet's plugins: run with HVNET_DRIVER=hvnet")
        sys.exit(77)
    for tool in ("nsenter", "dpdk-proc-info", "dpdk-dumpcap", "dpdk-pdump"):
        if shutil.which(tool) is None:
            raise TestSkip("%s is not installed" % tool)
    with Hugepages() as huge:
        r = Run(["--nics", "1", "--wire", "loop"],
                ["--rxq=%d" % QUEUES, "--txq=%d" % QUEUES, "--port-topology=loop",
                 "--forward-mode=io"] + GEN_RINGS)
        r.argv.remove("--no-huge")      # shared memory: hugepages, -m 512
        huge.prefixes.append(r.prefix)
        with r:
            r.cmd("start")
            sent = run_gen(r, 0, COUNT, "60-1514", flows=8)
            check_eq(sent, COUNT, "generated frames forwarded back")
            check_stats(r, COUNT)
            check_show_port(r)
            sent += capture(r, r.tmp)
            sent += pdump(r, r.tmp)
            r.cmd("stop")
            check_stats(r, sent)
            r.quit()
            r.check_clean_exit(1)
            check_gen(r.wire(), 0, sent, "frames forwarded while secondaries ran")
        in_netns("mpvf", lambda ns: vf_secondary(huge, ns))


if __name__ == "__main__":
    run_test(main)
