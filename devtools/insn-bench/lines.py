#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Cache lines that two bursts both write, from the output of insn-lines-<driver>.

Usage: lines.py BINARY OUTPUT
OUTPUT is the program's standard output: what lies where (regions, allocations with the
code that made them, the executable's base), the frames each phase moved, and every write it
saw, by phase: the rx or the tx burst of one queue (the host model's own writes are left out:
the rings and buffers are shared with the host by design). Every line that two phases write
is named by the object it lies in (or the executable's data symbol) and reported with the
writes per frame each phase makes there. Lines in the stack, the mbufs and the mempool are
counted apart: the benchmark runs every burst on one thread, where an application runs them
on lcores of their own, each with its own stack and mempool cache, and mbufs go from rx to tx
by design.

Exit status 1 when two queues write a line in common outside those and Hyper-V's own pages
(the monitor page, where the signal bits of all channels share a trigger group, and the
interrupt page): goal 3 of issue 13 asks for none. What the rx and tx bursts of one queue both write is listed for the reader: VMBus
gives a channel one ring towards the host, which carries both the rx burst's acks and the tx
burst's sends.
"""

import collections
import subprocess
import sys

LINE = 64
BY_DESIGN = ("stack", "mbufs", "mempool")
# Hyper-V's own pages: every channel's signal bit is in one trigger group of the monitor page.
HYPERV_SHARED = ("monitor-page", "interrupt-page")


def phase_key(p):
    """rx0, tx0, rx1, tx1, ...: by queue, then rx before tx."""
    return (int(p[2:]), p[:2])


def resolve_callers(binary, offsets):
    """Function names of code offsets in the executable, by addr2line."""
    if not offsets:
        return {}
    out = subprocess.run(["addr2line", "-f", "-e", binary] + ["%#x" % o for o in offsets],
                         capture_output=True, text=True, check=True).stdout.split("\n")
    return {o: out[2 * i] for i, o in enumerate(offsets)}


def data_symbols(binary, base):
    """The executable's data symbols as (start, end, name), at the address it ran at."""
    out = subprocess.run(["nm", "-S", "--defined-only", binary], capture_output=True,
                         text=True, check=True).stdout
    syms = []
    for line in out.splitlines():
        f = line.split()
        if len(f) == 4 and f[2] in "bBdDrR":
            start = base + int(f[0], 16)
            syms.append((start, start + int(f[1], 16), f[3]))
    return syms


def read_output(binary, path):
    """Named objects, frames per phase and writes per line and phase."""
    regions, allocs, base, frames = [], [], 0, 0
    stores = collections.defaultdict(collections.Counter)
    for line in open(path):
        f = line.split()
        if not f:
            continue
        if f[0] == "store":
            stores[int(f[2], 16) // LINE][f[1]] += 1
        elif f[0] == "region":
            start = int(f[2], 16)
            regions.append((start, start + int(f[3]), f[1]))
        elif f[0] == "alloc":
            start = int(f[3], 16)
            allocs.append((start, start + int(f[4]), f[1], int(f[2], 16)))
        elif f[0] == "base":
            base = int(f[1], 16)
        elif f[0] == "frames":
            frames = int(f[1])
    names = resolve_callers(binary, sorted({a[3] for a in allocs}))
    # Tiers, most telling first: the benchmark's own allocations are regions and allocs both.
    tiers = [regions, [(s, e, "%s(%s)" % (names[c], k)) for s, e, k, c in allocs],
             data_symbols(binary, base)]
    return tiers, frames, stores


def line_objects(tiers, ln):
    """What line ln holds, from the first tier that has anything there: name+offset each."""
    lo, hi = ln * LINE, (ln + 1) * LINE
    for objs in tiers:
        found = ["%s+%#x" % (name, max(lo - start, 0))
                 for start, end, name in objs if start < hi and end > lo]
        if found:
            return found
    return ["unknown@%#x" % lo]


def main():
    binary, out_path = sys.argv[1:3]
    tiers, frames, stores = read_output(binary, out_path)
    if frames == 0:
        sys.exit("lines.py: %s is not the output of a finished run" % out_path)
    written = collections.Counter()
    for ph in stores.values():
        for p in ph:
            written[p] += 1
    print("lines written per phase: " +
          ", ".join("%s %u" % (p, written[p]) for p in sorted(written, key=phase_key)))
    apart = collections.Counter()
    groups = {"same": {}, "cross": {}, "hyperv": {}}
    for ln in sorted(stores):
        ph = stores[ln]
        if len(ph) < 2:
            continue
        objs = line_objects(tiers, ln)
        kind = objs[0].split("+")[0]
        if kind in BY_DESIGN:
            apart[kind] += 1
            continue
        if kind in HYPERV_SHARED:
            group = groups["hyperv"]
        else:
            group = groups["cross" if len({p[2:] for p in ph}) > 1 else "same"]
        # Lines of one object written by the same phases: one row, the highest rates.
        key = (" / ".join(o.split("+")[0] for o in objs), tuple(sorted(ph, key=phase_key)))
        first, n, rate = group.get(key, (" / ".join(objs), 0, collections.Counter()))
        for p in ph:
            rate[p] = max(rate[p], ph[p] / frames)
        group[key] = (first, n + 1, rate)
    same, cross, hyperv = ([
        "  %-56s %s" % (first if n == 1 else "%s (%u lines)" % (first, n),
                        "  ".join("%s %.3f" % (p, rate[p]) for p in key[1]))
        for key, (first, n, rate) in groups[g].items()] for g in ("same", "cross", "hyperv"))
    print("written by the rx and tx bursts of one queue (writes per frame, the most of a line):")
    print("\n".join(same) if same else "  none")
    print("written by two queues' bursts (writes per frame, the most of a line):")
    print("\n".join(cross) if cross else "  none")
    print("Hyper-V's pages that every channel signals through (writes per frame, the most of a line):")
    print("\n".join(hyperv) if hyperv else "  none")
    print("left out, one thread here but an lcore each in an application: " +
          (", ".join("%s %u lines" % kv for kv in sorted(apart.items())) or "none"))
    return 1 if cross else 0


if __name__ == "__main__":
    sys.exit(main())
