#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Instructions per frame of the rx and tx bursts, hvnet against upstream net_netvsc: both
# drivers' burst functions and bus ring code, built here with the same compiler and flags,
# run against the same in-process host model (devtools/insn-bench/), counted by callgrind.
# Deterministic: the figures do not depend on the machine's load, unlike devtools/bench.sh.
#
# Upstream's sources are those of Debian's source package of the installed DPDK, which
# devtools/setup.sh keeps in the SDK cache (never in this tree). Options by environment:
# QUEUES (space-separated queue counts, default "1 8"), OUT (work folder, default
# build/insn-bench), CC (default cc). Prints a table and writes $OUT/insn.csv. A report,
# not a test: it fails only when a build or a run fails (every frame must make it through).
set -eu
umask 022
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
out=${OUT:-build/insn-bench}
queues=${QUEUES:-"1 8"}
die() { echo "insn-bench: $*" >&2; exit 1; }

command -v valgrind >/dev/null || die "valgrind is missing: run devtools/setup.sh"

. devtools/insn-bench/build.sh
for drv in hvnet netvsc; do
	bench_build "$drv" main "$out/insn-bench-$drv"
done

eal=(--no-huge -m 256 --no-pci --no-shconf --iova-mode=va -l 0 --log-level=5)
rm -f "$out"/callgrind.* "$out"/*.log
for q in $queues; do
	for drv in netvsc hvnet; do
		valgrind --tool=callgrind --collect-atstart=no --dump-instr=no \
			--callgrind-out-file="$out/callgrind.$drv.$q.%p" \
			"$out/insn-bench-$drv" "$q" "${eal[@]}" --file-prefix "insn-$drv-$$" \
			> "$out/$drv.$q.log" 2>&1 ||
			{ tail -n 20 "$out/$drv.$q.log" >&2; die "$drv, $q queue(s): run failed"; }
		grep '^insn-bench:' "$out/$drv.$q.log"
	done
done

# Each dump: "desc: Trigger: Client Request: driver=.. queues=.. k=.. ppi=.. frames=.."
# then "totals: <instructions>"; the rx and tx bursts' shares are the inclusive costs of the
# harness's guest_rx and guest_tx (devtools/insn-bench/guest_*.c).
for f in "$out"/callgrind.*; do
	label=$(sed -n 's/^desc: Trigger: Client Request: //p' "$f")
	[ -n "$label" ] || continue
	printf '%s ' "$label"
	callgrind_annotate --inclusive=yes --auto=no "$f" | awk '
		/ PROGRAM TOTALS$/ { ir = $1 }
		$NF ~ /:guest_rx$/ { rx = $1 }
		$NF ~ /:guest_tx$/ { tx = $1 }
		END { gsub(",", "", ir); gsub(",", "", rx); gsub(",", "", tx)
		      print "ir=" ir, "rx=" rx, "tx=" tx }'
done | awk '{
	for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
	if (v["ir"] == "" || v["rx"] == "" || (v["tx"] == "" && v["k"] != 0)) {
		print "insn-bench: a dump without totals, guest_rx or guest_tx" > "/dev/stderr"
		exit 1
	}
	# K=0: empty rx polls, per poll.
	d = v["k"] == 0 ? v["polls"] : v["frames"]
	printf "%s,%s,%s,%s,%s,%.1f,%.1f,%.1f\n", v["driver"], v["queues"], v["k"], v["ppi"],
		v["ptypes"], v["ir"] / d, v["rx"] / d, v["tx"] / d }' |
	sort -t, -k1,1 -k5,5r -k2,2n -k4,4n -k3,3nr > "$out/insn.csv.tmp" ||
	die "reading the callgrind dumps failed"
{ echo "driver,queues,k,ppi,ptypes,insn_per_frame,rx_per_frame,tx_per_frame"
  cat "$out/insn.csv.tmp"; } > "$out/insn.csv"
rm -f "$out/insn.csv.tmp"

# Upstream classifies every frame whatever the application asks: hvnet's rows without packet
# types (as testpmd sets the port) are set against the same upstream figure.
awk -F, 'NR > 1 { k = $1 "," $2 "," $3 "," $4 "," $5; ir[k] = $6; rx[k] = $7; tx[k] = $8
		if ($1 == "hvnet" && $3 != 0) key[++n] = $2 "," $3 "," $4 "," $5
		if ($1 == "hvnet" && $3 == 0) empty[++ne] = $2 "," $3 "," $4 "," $5 }
	END {
		printf "instructions per frame (rx + tx burst, 64 B frames, callgrind); then the rx\n"
		printf "and the tx burst alone, hvnet/netvsc\n"
		printf "%-7s %-4s %-4s %-6s %10s %10s %7s %7s %7s\n", "queues", "PPIs", "K",
			"ptypes", "netvsc", "hvnet", "hvnet/netvsc", "rx", "tx"
		for (i = 1; i <= n; i++) {
			split(key[i], f, ",")
			u = "netvsc," f[1] "," f[2] "," f[3] ",on"; h = "hvnet," key[i]
			printf "%-7s %-4s %-4s %-6s %10.1f %10.1f %7.2f %12.2f %7.2f\n", f[1], f[3],
				f[2], f[4], ir[u], ir[h], ir[h] / ir[u], rx[h] / rx[u], tx[h] / tx[u]
		}
		printf "instructions per empty rx poll (nothing to read, nothing owed)\n"
		printf "%-7s %-6s %10s %10s %7s\n", "queues", "ptypes", "netvsc", "hvnet",
			"hvnet/netvsc"
		for (i = 1; i <= ne; i++) {
			split(empty[i], f, ",")
			u = "netvsc," f[1] ",0,0,on"; h = "hvnet," empty[i]
			printf "%-7s %-6s %10.1f %10.1f %7.2f\n", f[1], f[4], ir[u], ir[h],
				ir[h] / ir[u]
		}
	}' "$out/insn.csv"
echo "insn-bench: CSV in $out/insn.csv"

