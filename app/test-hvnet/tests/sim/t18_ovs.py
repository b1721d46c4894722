#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Open vSwitch with DPDK (Debian's openvswitch-switch-dpdk) as the simulated host's guest:
ovs-vswitchd-dpdk, with its own ovsdb-server and database in a test folder (the system's OVS
configuration and services are never used), in a network namespace the test makes (the
bridge's internal port is a TAP device). A netdev bridge with two hvnet ports (type=dpdk,
options:dpdk-devargs=class=eth,mac=<the NIC's MAC>) and OpenFlow rules: p0 -> p1, p1 -> p0,
and a higher-priority rule dropping UDP source port 1025 from p0.
Why not dpdk-devargs=<bus device name> (the UUID): OVS finds a port by its devargs with
rte_eth_iterator_init(), which in DPDK 22.11 (and 23.11) accepts a bus-level name only on the
pci, vdev, fslmc and dpaa buses and answers "Bus hvbus does not support iterating" for any
other, upstream's vmbus included; the class=eth,mac= form works on every bus.
The host generates frames on both NICs (8 UDP flows each); the generator checks each frame
where it leaves the guest, byte for byte:
- NIC 1's frames all leave through NIC 0, untouched;
- NIC 0's frames leave through NIC 1, except flow 1025: the drop rule's packet count equals
  the frames missing, the forward rule's the frames back;
- the interfaces' rx/tx counters in OVS equal the host's counts.
Then ovs-appctl exit: the guest exits cleanly, the host saw no violation.
Runs under HVNET_DRIVER=hvnet with Debian's DPDK 22.11 (Debian's OVS is built against it)."""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from simtest import (Run, TestFailure, TestSkip, check, check_eq, driver_eal_args, dpdk_version,
                     log, mac_list, run_gen, run_test, upstream)

OVS_VSWITCHD = "/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk"
SCHEMA = "/usr/share/openvswitch/vswitch.ovsschema"
COUNT = 2000
FLOWS = 8
DROP_PORT = 1025
NETNS = "hvt18-%d" % os.getpid()


class Ovs:
    """ovsdb-server and the OVS command-line tools, all on files in one test folder."""

    def __init__(self, work):
        self.work = work
        self.env = dict(os.environ, OVS_RUNDIR=work, OVS_DBDIR=work, OVS_LOGDIR=work,
                        OVS_SYSCONFDIR=work)
        self.db = "unix:" + os.path.join(work, "db.sock")
        self.server = None

    def run(self, argv, timeout=30):
        p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           env=self.env, timeout=timeout)
        check(p.returncode == 0, "%s failed (%d):\n%s" % (" ".join(argv), p.returncode,
                                                          p.stdout[-3000:]))
        return p.stdout

    def vsctl(self, *args, wait=False):
        return self.run(["ovs-vsctl", "--db=" + self.db, "--timeout=30"] +
                        ([] if wait else ["--no-wait"]) + list(args))

    def ofctl(self, *args):
        return self.run(["ovs-ofctl"] + list(args))

    def start_db(self):
        conf = os.path.join(self.work, "conf.db")
        self.run(["ovsdb-tool", "create", conf, SCHEMA])
        self.server = subprocess.Popen(
            ["ovsdb-server", conf, "--remote=punix:" + self.db[5:],
             "--unixctl=" + os.path.join(self.work, "ovsdb.ctl"),
             "--log-file=" + os.path.join(self.work, "ovsdb.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=self.env)
        end = time.monotonic() + 20
        while not os.path.exists(self.db[5:]):
            check(time.monotonic() < end and self.server.poll() is None,
                  "ovsdb-server did not open its socket")
            time.sleep(0.1)
        self.vsctl("init")

    def stop_db(self):
        if self.server and self.server.poll() is None:
            self.server.send_signal(signal.SIGTERM)
            try:
                self.server.wait(10)
            except subprocess.TimeoutExpired:
                self.server.kill()
                self.server.wait()

    def wait_for(self, what, fn, timeout=60):
        end = time.monotonic() + timeout
        while True:
            value = fn()
            if value:
                return value
            if time.monotonic() >= end:
                raise TestFailure("OVS: %s not within %d s; vswitchd log:\n%s"
                                  % (what, timeout, self.log_tail()))
            time.sleep(0.3)

    def log_tail(self):
        try:
            with open(os.path.join(self.work, "vswitchd.log"), errors="replace") as f:
                return f.read()[-4000:]
        except OSError:
            return "(no log)"

    def iface_stats(self, name):
        out = self.vsctl("get", "Interface", name, "statistics")
        return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", out)}

    def settled_stats(self, host, timeout=15):
        """{port: Interface statistics} once they count what the host counted: ovs-vswitchd
        refreshes them in the database only every 5 s. After timeout, whatever they are."""
        want = {p: (host[p]["to_guest_frames"], host[p]["from_guest_frames"]) for p in (0, 1)}
        end = time.monotonic() + timeout
        while True:
            st = {p: self.iface_stats("p%d" % p) for p in (0, 1)}
            if all((st[p].get("rx_packets"), st[p].get("tx_packets")) == want[p]
                   for p in (0, 1)) or time.monotonic() >= end:
                return st
            time.sleep(0.5)

    def flow_packets(self):
        """{(priority, match text): n_packets} of br0's flows."""
        out = self.ofctl("dump-flows", "br0")
        flows = {}
        for line in out.splitlines():
            m = re.search(r"n_packets=(\d+),.*priority=(\d+),?(\S*) actions=(\S+)", line)
            if m:
                flows[(int(m.group(2)), m.group(3), m.group(4))] = int(m.group(1))
        return flows


def main():
    if upstream():
        log("OVS runs hvnet's plugins: run with HVNET_DRIVER=hvnet")
        sys.exit(77)
    if dpdk_version() != (22, 11):
        raise TestSkip("Debian's OVS is built against DPDK 22.11, this is %d.%d"
                       % dpdk_version())
    for tool in (OVS_VSWITCHD, "ovsdb-server", "ovsdb-tool", "ovs-vsctl", "ovs-ofctl",
                 "ovs-appctl"):
        if shutil.which(tool) is None:
            raise TestSkip("%s is not installed (openvswitch-switch-dpdk)" % tool)
    if os.geteuid() != 0:
        raise TestSkip("network namespaces need root")
    work = tempfile.mkdtemp(prefix="hvt18-")
    ovs = Ovs(work)
    rc = subprocess.run(["ip", "netns", "add", NETNS]).returncode
    check_eq(rc, 0, "ip netns add " + NETNS)
    try:
        ovs.start_db()
        plugins = " ".join(driver_eal_args())
        # --legacy-mem (implied by --no-huge anyway): else OVS adds --in-memory, which EAL
        # refuses together with --no-huge's legacy memory.
        ovs.vsctl("set", "Open_vSwitch", ".", "other_config:dpdk-init=true",
                  "other_config:per-port-memory=true",
                  "other_config:dpdk-extra=--no-huge --legacy-mem -m 1024 --iova-mode=va --no-pci "
                  "--file-prefix hvt18-%d %s" % (os.getpid(), plugins))
        guest = [OVS_VSWITCHD, ovs.db, "--unixctl=" + os.path.join(work, "vswitchd.ctl"),
                 "--log-file=" + os.path.join(work, "vswitchd.log"), "-vconsole:warn"]
        macs = mac_list(2, last=0x18)
        opts = ["--nics", "2", "--mac", ",".join(macs), "--wire", "none"]
        # ovs-vswitchd finds its bridges' sockets and files through these, as the tools do.
        os.environ.update({k: v for k, v in ovs.env.items() if k.startswith("OVS_")})
        with Run(opts, guest=guest, netns=NETNS) as r:
            ovs.wait_for("DPDK initialised", lambda: "true" in ovs.vsctl(
                "get", "Open_vSwitch", ".", "dpdk_initialized"))
            ovs.vsctl("add-br", "br0", "--", "set", "Bridge", "br0", "datapath_type=netdev",
                      wait=True)
            for port in (0, 1):
                ovs.vsctl("add-port", "br0", "p%d" % port, "--", "set", "Interface",
                          "p%d" % port, "type=dpdk", "options:dpdk-devargs=class=eth,mac=" + macs[port],
                          "ofport_request=%d" % (port + 1), wait=True)
            for port in (0, 1):
                ovs.wait_for("p%d link up" % port, lambda p=port: "up" in ovs.vsctl(
                    "get", "Interface", "p%d" % p, "link_state"))
            ovs.ofctl("del-flows", "br0")
            ovs.ofctl("add-flow", "br0", "priority=10,in_port=1,actions=output:2")
            ovs.ofctl("add-flow", "br0", "priority=10,in_port=2,actions=output:1")
            ovs.ofctl("add-flow", "br0", "priority=100,in_port=1,udp,tp_src=%d,actions=drop"
                      % DROP_PORT)
            log(ovs.ofctl("dump-flows", "br0").strip())
            sent1 = run_gen(r, 1, COUNT, "60-1514", flows=FLOWS, quiet=3.0)
            sent0 = run_gen(r, 0, COUNT, "60-1514", flows=FLOWS, quiet=3.0)
            log("frames back: NIC 0's %d, NIC 1's %d" % (sent0, sent1))
            flows = ovs.flow_packets()
            log("flows: %r" % flows)
            host = r.sim_stats()
            st = ovs.settled_stats(host)
            log("OVS interfaces: %r" % st)
            ovs.run(["ovs-appctl", "-t", os.path.join(work, "vswitchd.ctl"), "exit"])
            r.wait_exit(60)
            r.check_clean_exit(2)
            wire = r.wire()
        fwd01 = flows.get((10, "in_port=1", "output:2"))
        fwd10 = flows.get((10, "in_port=2", "output:1"))
        dropped = flows.get((100, "udp,in_port=1,tp_src=%d" % DROP_PORT, "drop"))
        check(None not in (fwd01, fwd10, dropped), "flows not found: %r" % flows)
        g0 = {k: wire[0].get(k) for k in ("gen_sent", "gen_ok", "gen_bad", "gen_dup",
                                          "gen_missing")}
        g1 = {k: wire[1].get(k) for k in ("gen_sent", "gen_ok", "gen_bad", "gen_dup",
                                          "gen_missing")}
        check_eq(g1, {"gen_sent": COUNT, "gen_ok": COUNT, "gen_bad": 0, "gen_dup": 0,
                      "gen_missing": 0}, "NIC 1's frames through p1 -> p0")
        check_eq(g0["gen_sent"], COUNT, "NIC 0's frames generated")
        check(dropped > 0, "the drop rule matched nothing")
        check_eq(g0, {"gen_sent": COUNT, "gen_ok": COUNT - dropped, "gen_bad": 0, "gen_dup": 0,
                      "gen_missing": dropped}, "NIC 0's frames through p0 -> p1, flow %d "
                 "dropped" % DROP_PORT)
        check_eq(fwd01, COUNT - dropped, "packets of the p0 -> p1 rule")
        check_eq(fwd10, COUNT, "packets of the p1 -> p0 rule")
        check_eq(st[0].get("rx_packets"), host[0]["to_guest_frames"], "p0 rx vs host")
        check_eq(st[1].get("rx_packets"), host[1]["to_guest_frames"], "p1 rx vs host")
        check_eq(st[0].get("tx_packets"), host[0]["from_guest_frames"], "p0 tx vs host")
        check_eq(st[1].get("tx_packets"), host[1]["from_guest_frames"], "p1 tx vs host")
        check_eq(host[0]["to_guest_frames"], COUNT, "frames the host gave NIC 0")
        check_eq(host[0]["from_guest_frames"], COUNT, "frames leaving NIC 0 (NIC 1's)")
        log("OVS: %d + %d frames forwarded byte for byte, %d of flow %d dropped by the rule"
            % (fwd01, fwd10, dropped, DROP_PORT))
    finally:
        ovs.stop_db()
        subprocess.run(["ip", "netns", "delete", NETNS])
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    run_test(main)
