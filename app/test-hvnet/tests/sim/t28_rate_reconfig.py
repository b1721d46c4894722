#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""The guest reconfigures receive in the middle of one endless rate run (the generator derives
each flow's RSS hash and checksum verdict once and keeps it until the guest changes RSS or
offload parameters: host rx_epoch). testpmd rxonly with its verbose dump, 16 flows of 128
bytes at a low rate. Each change is made with the host's link down (what it generates then is
dropped, so no frame built before the change is in flight) and forwarding stopped (testpmd's
dump would split its prompt); every frame dumped after the link comes back must show it.
2 queues:
  A. as set up: each flow's hash under testpmd's default key; 16 distinct hashes.
  B. 'port config 0 rss-hash-key': every frame carries a hash of the new key, all 16 flows.
  R. a new bounded run (fresh per-flow state) under the new key: the reference set of hashes
     that B's frames must match, disjoint from A's.
1 queue (the offload change below is a configure, and upstream netvsc 22.11 cannot configure
a multi-queue port twice: doc/guides/nics/hvnet.rst, "Reconfiguration"):
  A. as set up.
  C. rx IPv4 and UDP checksum offloads turned on (port stop, config, start): every frame has
     both verdicts GOOD. Upstream netvsc asks the host for receive checksums only then, so
     its A frames carry no verdict (the host's rx checksum was off): the change must reach
     the flows built earlier in the run. hvnet asks for them at attach, so it shows the
     driver's side only.
Last, frames arrive with forwarding stopped (parked_then_stopped), then every port is stopped
and closed: hvnet's with no mbuf in use, upstream's with exactly those its software ring held
(a defect); a clean exit. hvnet's stopped port also holds no mbuf after a link query reads
frames the host delivered after the filter was cleared (late_after_stop), and a queue stopped
on its own drops what is read for it, then delivers again once started (queue_stopped)."""
import re

from simtest import GEN_RINGS, Run, check, check_eq, log, run_test, upstream

PPS = 400
SIZE = 128
FLOWS = 16
PHASE = 1.5         # s of frames per phase
DRAIN = 0.5         # s for the guest to take what the host delivered before its link went down
LATE = 64           # frames the host delivers after the stopped port cleared its filter
KEY = "0f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778899aabbccddeeff0123456789abcdef0"
PKT_RE = re.compile(r"length=%d [^\n]*" % SIZE)
HASH_RE = re.compile(r"RSS hash=0x([0-9a-f]+)")
FLAGS_RE = re.compile(r"ol_flags: ([^\n]*)")


def verdict(flags, kind):
    m = re.search(r"RX_%s_CKSUM_(GOOD|BAD|UNKNOWN|NONE)" % kind, flags)
    return m.group(1) if m else "UNKNOWN"


def dumped(text):
    """[(hash or None, (IP verdict, L4 verdict))] of the frames in testpmd's verbose dump, in
    order (one forwarding lcore writes it)."""
    lines = [m.group(0) for m in PKT_RE.finditer(text)]
    flags = [m.group(1) for m in FLAGS_RE.finditer(text)]
    check_eq(len(flags), len(lines), "dumped frames vs their ol_flags lines")
    out = []
    for line, f in zip(lines, flags):
        h = HASH_RE.search(line)
        out.append((int(h.group(1), 16) if h else None, (verdict(f, "IP"), verdict(f, "L4"))))
    return out


def phase(r, what, change=(), ctl=()):
    """With the host's link down and forwarding stopped: run the change's testpmd commands,
    start, then the simulator's control commands; link up for PHASE s, down again, stop.
    Returns the frames dumped from link up to stop."""
    for c in change:
        out = r.cmd(c, timeout=60)
        # testpmd's own lines only: a driver's log line ("hvnet: ...") may land in between.
        said = [ln for ln in out.splitlines() if not re.match(r"\w+: ", ln)]
        check(not re.search(r"error|fail|invalid|bad|not supported", "\n".join(said), re.I),
              "%s: '%s' failed:\n%s" % (what, c, out))
    r.cmd("start")
    for c in ctl:
        r.ctl(c)
    mark = len(r.out)
    r.ctl("link 0 up")
    r.pump(PHASE)
    r.ctl("link 0 down")
    r.pump(DRAIN)
    r.cmd("stop")
    got = dumped(r.out[mark:])
    log("%s: %d frames dumped, %d distinct hashes, verdicts %r"
        % (what, len(got), len({h for h, _ in got}), sorted({v for _, v in got})))
    check(len(got) >= 4 * FLOWS, "%s: %d frames dumped, want at least %d"
          % (what, len(got), 4 * FLOWS))
    return got


def hashes(frames):
    return {h for h, _ in frames}


def run(queues, body):
    """testpmd rxonly, verbose, no link events printed, an endless run set with the link down."""
    with Run(["--nics", "1", "--wire", "none", "--queues", str(queues), "--rate", "0:0:60"],
             ["--rxq=%d" % queues, "--txq=%d" % queues, "--no-lsc-interrupt",
              "--disable-link-check"] + GEN_RINGS) as r:
        base_mbufs = r.mbufs_in_use()
        r.cmd("set fwd rxonly")
        r.cmd("set verbose 1")
        r.ctl("link 0 down")
        r.ctl("rate 0 %d:%d:%d" % (PPS, SIZE, FLOWS))
        body(r)
        if queues > 1 and not upstream():
            queue_stopped(r)
        parked_then_stopped(r, base_mbufs)


def parked_total(r):
    """hvnet's rx ring_full over all queues (stash overflow, or dropped at stop)."""
    return sum(v for k, v in r.xstats(0).items() if re.match(r"rx_q\d+_ring_full$", k))


def parked_then_stopped(r, base):
    """Frames arriving while the port is started but nothing forwards: hvnet's link alarm
    reads queue 0's channel for indications and parks its frames for the next burst. The
    stopped port then holds no mbuf (hvnet counts the parked frames as ring_full, in
    RX-missed). Upstream netvsc keeps what its software ring holds, and its close frees the
    ring without them (hn_rx_queue_free, 22.11 to 25.11): the test expects exactly that."""
    ring_full = 0 if upstream() else parked_total(r)
    r.ctl("rate 0 %d:%d:%d:%d" % (PPS, SIZE, FLOWS, PPS))
    r.ctl("link 0 up")
    r.pump(PHASE)
    r.cmd("port stop all", timeout=60)
    held = r.mbufs_in_use() - base
    if not upstream():
        parked = parked_total(r) - ring_full
        log("hvnet dropped %d parked frames at stop" % parked)
        check(parked > 0, "no frame was parked while nothing forwarded: the case is not tested")
        check_eq(held, 0, "mbufs held by the stopped port")
        late_after_stop(r, base)
    r.cmd("port close all", timeout=60)
    left = r.mbufs_in_use()
    if upstream():
        check_eq(left, held, "mbufs upstream netvsc held at stop vs after close")
        log("upstream defect, expected: netvsc's close freed its software ring with %d mbufs "
            "in it" % left)
    else:
        check_eq(left, 0, "mbufs in use after 'port close all'")
    r.quit(timeout=120)
    r.check_clean_exit(1)


def late_after_stop(r, base):
    """hvnet: LATE frames come after the port cleared its filter (fault filter_late: frames in
    flight at the change), spread by RSS over the queues' channels. A link query on the stopped
    port ('show port info' asks without waiting: hvnet reads channel 0 for indications) finds
    channel 0's: they are dropped there, as ring_full, not parked for a start that may never
    come; the other channels' stay in their rings, which are not read."""
    before = parked_total(r)
    r.ctl("fault 0 filter_late %d" % LATE)
    r.ctl("rate 0 %d:%d:%d:%d" % (PPS, SIZE, FLOWS, LATE))
    r.pump(LATE / PPS + DRAIN)
    r.cmd("show port info 0")
    dropped = parked_total(r) - before
    log("hvnet dropped %d of %d late frames read on the stopped port" % (dropped, LATE))
    check(0 < dropped <= LATE, "late frames dropped on the stopped port: %d of %d"
          % (dropped, LATE))
    check_eq(r.mbufs_in_use() - base, 0, "mbufs held by the stopped port after a link query")


def queue_stopped(r):
    """hvnet: 'port 0 rxq 0 stop' on the started port, then frames for both queues while
    nothing forwards. The link alarm still reads queue 0's channel: what it finds there is
    dropped (ring_full), not parked for a start that may never come, and the stopped queue
    keeps no mbuf. After 'port 0 rxq 0 start' (forwarding still stopped) the alarm's frames
    are parked again, none dropped, and forwarding delivers on queue 0 again."""
    def q0(x, what):
        return x["rx_q0_%s" % what]

    def frames():
        r.ctl("rate 0 %d:%d:%d:%d" % (PPS, SIZE, FLOWS, PPS // 2))
        r.ctl("link 0 up")
        r.pump(0.5 + DRAIN)
        r.ctl("link 0 down")
        return r.xstats(0)

    r.cmd("port 0 rxq 0 stop")
    x0, held = r.xstats(0), r.mbufs_in_use()
    x1 = frames()
    dropped = q0(x1, "ring_full") - q0(x0, "ring_full")
    log("queue 0 stopped: %d frames read for it dropped" % dropped)
    check(dropped > 0, "nothing read for the stopped queue 0 was dropped")
    check_eq(r.mbufs_in_use(), held, "mbufs in use after frames were read for a stopped queue")
    r.cmd("port 0 rxq 0 start")
    x2 = frames()
    check_eq(q0(x2, "ring_full") - q0(x1, "ring_full"), 0,
             "frames dropped for queue 0 once started again")
    phase(r, "Q (queue 0 started again)", ctl=["rate 0 %d:%d:%d" % (PPS, SIZE, FLOWS)])
    got = q0(r.xstats(0), "good_packets") - q0(x2, "good_packets")
    check(got > 0, "queue 0 delivered nothing once started again")


def rekey(r):
    a = phase(r, "A (as set up)")
    check_eq(len(hashes(a)), FLOWS, "A: distinct hashes of the flows")
    b = phase(r, "B (new key)", ["port config 0 rss-hash-key ipv4 " + KEY])
    ref = phase(r, "R (fresh run, new key)",
                ctl=["rate 0 %d:%d:%d:%d" % (PPS, SIZE, FLOWS, PPS * PHASE / 2)])
    new = hashes(ref)
    check_eq(len(new), FLOWS, "R: distinct hashes of the flows")
    check_eq(new & hashes(a), set(), "R: hashes that did not change with the key")
    check_eq(sorted(h for h in hashes(b) if h not in new), [],
             "B: hashes not under the new key")
    check_eq(hashes(b), new, "B: the flows' hashes")


def checksums(r):
    a = phase(r, "A (as set up)")
    c = phase(r, "C (rx checksums on)",
              ["port stop 0", "port config 0 rx_offload ipv4_cksum on",
               "port config 0 rx_offload udp_cksum on", "port start 0"])
    check_eq({v for _, v in c}, {("GOOD", "GOOD")}, "C: verdicts (IP, L4)")
    before = {v for _, v in a}
    if upstream():
        check_eq(before, {("UNKNOWN", "UNKNOWN")}, "A: verdicts with the host's rx checksums off")
    else:
        log("A: verdicts %r (hvnet asks for rx checksums at attach)" % before)


def main():
    run(2, rekey)
    run(1, checksums)


if __name__ == "__main__":
    run_test(main)
