#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Plot devtools/bench.sh's medians: Mpps per core against frame size, one panel per mode,
one line per driver and queue count. Usage: bench-plot.py MEDIAN_CSV OUT_PNG"""

import csv
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after the backend is chosen)


def main():
    rows = list(csv.DictReader(open(sys.argv[1], newline="")))
    modes = sorted({r["mode"] for r in rows})
    fig, axes = plt.subplots(1, max(len(modes), 1), figsize=(6 * max(len(modes), 1), 4.5),
                             squeeze=False)
    for ax, mode in zip(axes[0], modes):
        lines = {}
        for r in rows:
            if r["mode"] == mode:
                lines.setdefault((r["driver"], int(r["queues"])), []).append(
                    (int(r["size"]), float(r["mpps_per_core"])))
        for (drv, q), pts in sorted(lines.items()):
            pts.sort()
            ax.plot([p[0] for p in pts], [p[1] for p in pts],
                    marker="o", linestyle="-" if drv == "hvnet" else "--",
                    label=f"{drv}, {q} queue{'s' if q > 1 else ''}")
        ax.set_xscale("log")
        ax.set_xticks(sorted({int(r["size"]) for r in rows}))
        ax.get_xaxis().set_major_formatter(matplotlib.ticker.ScalarFormatter())
        ax.set_xlabel("frame size (bytes)")
        ax.set_ylabel("Mpps per core (median)")
        ax.set_title(f"testpmd {mode}, simulated host")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(sys.argv[2], dpi=100)


if __name__ == "__main__":
    main()
