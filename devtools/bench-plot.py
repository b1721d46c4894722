#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Plot devtools/bench.sh's medians: Mpps per core, one panel per mode. Against frame size,
one line per driver and queue count; when the run had one frame size only, against the queue
count, one line per driver. Usage: bench-plot.py MEDIAN_CSV OUT_PNG"""

import csv
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after the backend is chosen)


def axis_of(rows):
    """(x column, line column, x label, line label format): by size unless one size only."""
    if len({r["size"] for r in rows}) > 1:
        return ("size", "queues", "frame size (bytes)",
                lambda q: f"{q} queue{'s' if q > 1 else ''}")
    return ("queues", "size", f"queues ({rows[0]['size']}-byte frames)", lambda s: f"{s} B")


def main():
    rows = list(csv.DictReader(open(sys.argv[1], newline="")))
    modes = sorted({r["mode"] for r in rows})
    fig, axes = plt.subplots(1, max(len(modes), 1), figsize=(6 * max(len(modes), 1), 4.5),
                             squeeze=False)
    if not rows:
        fig.savefig(sys.argv[2], dpi=100)
        return
    xcol, lcol, xlabel, lname = axis_of(rows)
    for ax, mode in zip(axes[0], modes):
        lines = {}
        for r in rows:
            if r["mode"] == mode:
                lines.setdefault((r["driver"], int(r[lcol])), []).append(
                    (int(r[xcol]), float(r["mpps_per_core"])))
        for (drv, key), pts in sorted(lines.items()):
            pts.sort()
            ax.plot([p[0] for p in pts], [p[1] for p in pts],
                    marker="o", linestyle="-" if drv == "hvnet" else "--",
                    label=f"{drv}, {lname(key)}")
        ax.set_xscale("log", base=2 if xcol == "queues" else 10)
        ax.set_xticks(sorted({int(r[xcol]) for r in rows}))
        ax.get_xaxis().set_major_formatter(matplotlib.ticker.ScalarFormatter())
        ax.set_xlabel(xlabel)
        ax.set_ylabel("Mpps per core (median)")
        ax.set_ylim(bottom=0)
        ax.set_title(f"testpmd {mode}, simulated host")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(sys.argv[2], dpi=100)


if __name__ == "__main__":
    main()
