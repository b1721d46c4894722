#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The cache lines that two bursts both write (issue 13, goal 3): the benchmark's rx and tx
# bursts on 2 queues, 8 frames per burst, against the in-process host model of
# devtools/insn-bench/, every write to the drivers' state caught by a page fault
# (devtools/insn-bench/lines.c) and named (lines.py). Fails when two of hvnet's queues write a
# line in common (the pages through which Hyper-V has every channel signal aside); what the rx
# and tx bursts of one queue share is listed. Upstream net_netvsc's lines follow for reference
# when its sources are in the SDK cache (devtools/setup.sh). Deterministic, a few seconds.
# Environment: OUT (work folder, default build/insn-bench), CC (default cc).
set -eu
umask 022
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
out=${OUT:-build/insn-bench}
die() { echo "cache-lines: $*" >&2; exit 1; }

[ "$(uname -m)" = x86_64 ] || die "x86-64 only (lines.c single-steps with the trap flag)"
. devtools/insn-bench/build.sh
drivers=hvnet
! bench_have_upstream || drivers="hvnet netvsc"
eal=(--no-huge -m 256 --no-pci --no-shconf --iova-mode=va -l 0 --log-level=5)
for drv in $drivers; do
	bench_build "$drv" lines "$out/insn-lines-$drv"
	"$out/insn-lines-$drv" 2 "${eal[@]}" --file-prefix "insn-lines-$drv-$$" \
		> "$out/lines.$drv.out" 2> "$out/lines.$drv.log" ||
		{ tail -n 20 "$out/lines.$drv.log" >&2; die "$drv: the run failed"; }
	echo "$drv: $(grep '^lines:' "$out/lines.$drv.out")"
	rc=0
	python3 devtools/insn-bench/lines.py "$out/insn-lines-$drv" "$out/lines.$drv.out" ||
		rc=$?
	[ "$rc" -le 1 ] || die "$drv: its output could not be read"
	[ "$drv" != hvnet ] || [ "$rc" = 0 ] || die "hvnet's queues write a cache line in common"
done
echo "cache-lines: no line written by two of hvnet's queues"
