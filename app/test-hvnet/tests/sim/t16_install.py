#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Installed use: 'meson install' into a scratch DESTDIR, then testpmd with no -d at all.
1. The install puts exactly the two plugins in the DPDK's own plugin folder (the one its EAL
   autoloads, meson's plugin_dir=auto), the net plugin with RUNPATH $ORIGIN.
2. dpdk-pmdinfo.py (Debian's, run by /usr/bin/python3 for pyelftools) prints hvnet's driver
   name, its devargs with their types and the uio_hv_generic dependency, for the built and for
   the installed plugin.
3. In the guest's private mount namespace the DPDK's plugin folder is replaced by one holding
   upstream's plugins and the installed ones (plugin_folder.sh; the real folder is never
   written), created in a chosen order. testpmd starts with no -d, and EAL loads the folder
   in the order the tmpfs lists it (set by creation order: reversed on this kernel):
   a. hvnet's created first: hvnet drives both NICs;
   b. upstream's created first, with -b hvbus:<NIC 1>: hvnet drives NIC 0, upstream NIC 1;
   c. the installed plugins and, with -d, the build's copies: the second copy stays out (its
      log line), hvnet drives both NICs.
   The EAL log tells which bus plugin each run loaded first: a and b together must have seen
   both orders. Every port forwards host-generated frames byte for byte.
Runs under HVNET_DRIVER=hvnet only; needs root (mounts)."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

from simtest import (GEN_RINGS, Run, TestFailure, TestSkip, check, check_eq, check_gen,
                     forward_all, log, mac_list, nic_uuid, run_test, upstream)

PLUGINS = ("librte_bus_hvbus.so", "librte_net_hvnet.so")
INFO = {
    "name": "net_hvnet",
    "params": "latency=<uint32> rx_copybreak=<uint32> tx_copybreak=<uint32> "
              "rx_extmbuf_enable=<0|1> rx_nt_copy=<0|1> numa_aware=<0|1> "
              "ctl_timeout=<uint32>",
    "kmod": "* uio_hv_generic",
}
NICS = 2
COUNT = 300
WRAPPER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "plugin_folder.sh")


def env_path(name):
    value = os.environ.get(name, "")
    if not value:
        raise TestFailure("%s is not set (meson sets it)" % name)
    return value


def install(destdir):
    """meson install of the build under test into destdir; returns the plugin folder there."""
    build = env_path("HVNET_BUILD_ROOT")
    p = subprocess.run(["meson", "install", "-C", build, "--no-rebuild", "--quiet",
                        "--destdir", destdir], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=120)
    check(p.returncode == 0, "meson install --destdir failed:\n" +
          p.stdout.decode(errors="replace")[-3000:])
    pdir = destdir + env_path("HVNET_PMD_INSTALL_DIR")
    check(os.path.isdir(pdir), "nothing installed in %s" % pdir)
    check_eq(sorted(os.listdir(pdir)), sorted(PLUGINS), "files installed in " + pdir)
    out = subprocess.run(["readelf", "-d", os.path.join(pdir, PLUGINS[1])],
                         stdout=subprocess.PIPE, check=True, timeout=30).stdout.decode()
    check(re.search(r"(RUNPATH|RPATH).*\[\$ORIGIN\]", out),
          "installed net plugin has no RUNPATH $ORIGIN:\n" + out)
    log("meson install: %s holds %s; net plugin RUNPATH $ORIGIN" % (pdir, ", ".join(PLUGINS)))
    return pdir


def pmdinfo(path):
    tool = shutil.which("dpdk-pmdinfo.py")
    if tool is None:
        raise TestSkip("dpdk-pmdinfo.py is not installed (dpdk-dev)")
    p = subprocess.run(["/usr/bin/python3", tool, path], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60)
    err = p.stderr.decode(errors="replace")
    if "No module named 'elftools'" in err:
        raise TestSkip("dpdk-pmdinfo.py needs python3-pyelftools")
    check_eq(p.returncode, 0, "dpdk-pmdinfo.py %s exit code (%s)" % (path, err.strip()))
    got = json.loads(p.stdout.decode())
    check_eq(got, [INFO], "dpdk-pmdinfo.py " + path)
    log("dpdk-pmdinfo.py %s: %s" % (path, json.dumps(got)))


def load_order(out):
    """'hvnet' or 'upstream': whose bus plugin EAL opened first (its debug log)."""
    libs = re.findall(r"open shared lib (\S+)", out)
    hv = [i for i, lib in enumerate(libs) if os.path.basename(lib).startswith(PLUGINS[0])]
    up = [i for i, lib in enumerate(libs) if "librte_bus_vmbus.so" in os.path.basename(lib)]
    check(hv and up, "EAL opened no hvbus or no vmbus plugin: %r" % libs[:20])
    return "hvnet" if hv[0] < up[0] else "upstream"


def run(installed, work, first, upstream_nics=(), with_d=False):
    macs = mac_list(NICS, last=0x16)
    want = {mac: "net_hvnet" for mac in macs}
    eal = ["--log-level=lib.eal:debug"]
    for nic in upstream_nics:
        want[macs[nic]] = "net_netvsc"
        eal += ["-b", "hvbus:" + nic_uuid(nic)]
    wrapper = ["sh", WRAPPER, env_path("HVNET_DPDK_PLUGIN_DIR"), installed, work, first]
    what = "%s's plugins created first%s%s" % (first, ", -b %r" % (upstream_nics,)
                                          if upstream_nics else "",
                                          ", build copies with -d" if with_d else ", no -d")
    opts = ["--nics", str(NICS), "--mac", ",".join(macs), "--wire", "loop"]
    with Run(opts, ["--port-topology=loop", "--forward-mode=io"] + GEN_RINGS, eal_opts=eal,
             wrapper=wrapper, plugins=with_d, mixed=True) as r:
        got = r.port_drivers()
        check_eq(got, want, "ports and drivers, " + what)
        order = load_order(r.out)
        if with_d:
            check("another copy of this plugin" in r.out,
                  "the installed copy of hvbus did not stay out:\n" + r.out[-3000:])
        wire = forward_all(r, NICS, COUNT)
    for nic in range(NICS):
        check_gen(wire, nic, COUNT, "NIC %d (%s), %s" % (nic, want[macs[nic]], what))
    log("%s: EAL loaded %s's bus first; %s" % (what, order, ", ".join(
        "%s=%s" % (m, want[m]) for m in macs)))
    return order


def main():
    if upstream():
        log("the install test runs hvnet's plugins: run with HVNET_DRIVER=hvnet")
        sys.exit(77)
    if os.geteuid() != 0:
        raise TestSkip("the plugin folder is replaced with mounts: needs root")
    pmds = env_path("HVNET_DPDK_PLUGIN_DIR")
    if env_path("HVNET_PMD_INSTALL_DIR") != pmds:
        raise TestSkip("built with plugin_dir=%s, not the DPDK's plugin folder %s"
                       % (os.environ["HVNET_PMD_INSTALL_DIR"], pmds))
    built = os.environ.get("HVNET_PLUGINS", "").split(":")[-1]
    # Beside the staged plugins: a folder with no world-writable folder above it.
    scratch = tempfile.mkdtemp(prefix="hvt16-", dir=os.path.dirname(os.path.dirname(built)))
    os.chmod(scratch, 0o755)
    try:
        installed = install(os.path.join(scratch, "destdir"))
        pmdinfo(built)
        pmdinfo(os.path.join(installed, PLUGINS[1]))
        seen = set()
        for n, (first, up_nics, with_d) in enumerate((("hvnet", (), False),
                                                      ("upstream", (1,), False),
                                                      ("upstream", (), True))):
            work = os.path.join(scratch, "work%d" % n)
            os.mkdir(work, 0o755)
            order = run(installed, work, first, up_nics, with_d)
            if not with_d:
                seen.add(order)
        check_eq(seen, {"hvnet", "upstream"}, "load orders seen without -d")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    run_test(main)
