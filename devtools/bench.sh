#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Packets per second per forwarding core, hvnet against Debian's upstream net_netvsc, on the
# same simulated host, over a matrix of frame sizes, queue counts and testpmd forwarding
# modes, in one invocation. testpmd forwards on one lcore, the simulated host runs on the other
# core.
#
# Per run and driver: the forwarded rate (bounded by whichever side is slower; the simulated
# host shares this machine), the driver's own cost from testpmd's --record-core-cycles (TSC
# cycles per packet of the forwarding iterations that moved packets; "Mpps/core" = TSC MHz /
# cycles: what one core would do if the host kept up), the guest's signals to the host per
# frame (simulator summary: each is a hypercall or a monitor-page scan on Hyper-V), and
# testpmd's --record-burst-stats (the share of bursts by size, port 0). Rounds alternate
# which driver runs first; the medians of the rounds are compared, and the best rounds (each
# driver's fewest cycles per packet).
#
# On a shared VM the machine is in a slow or a fast state (both the host's rate and the
# guest's cycles, whichever driver runs), which changes from run to run and within runs, so
# two runs, one per driver, can set one driver's slow run against the other's fast one. By
# default (PAIRED=1) a cell is therefore one run: the simulated host has NICs for both
# drivers (hvnet takes its own with -a hvbus:, upstream the others), one testpmd drives both,
# and forwards on one driver's ports at a time, in periods of DURATION seconds that alternate
# between the drivers (ROUNDS periods each): both are measured in the same state. PAIRED=0
# runs each driver in runs of its own (needed for NETVSC_DEVARGS: upstream's bus refuses
# device arguments while hvnet is loaded). In a paired run the host's signals per frame are
# each driver's own (its NICs), its headroom the run's.
#
# Modes: rxonly (one NIC; the host produces frames of 256 flows into it as fast as the guest
# takes them, --rate 0:max:SIZE, and testpmd rxonly counts them), txonly (one NIC; testpmd
# txonly sends, the host consumes and counts, --rate 0:0:SIZE) and io (two NICs wired back to
# back, frames circulating from --tx-first bursts). Per run, the host's own load line: its
# capacity (frames it moved per second of busy time) over the guest's rate is its headroom,
# "host x" in the table: a figure below a few means the host, not the driver, set the pace.
# rxonly and io count only the iterations that moved frames; txonly counts every one, those
# that made frames the full ring would not take included, so a txonly cell the host paced
# (host x below 1.5) measures the host: the table marks its ratio with '*'.
#
# Environment: SIZES (frame bytes with the FCS, default "64 128 512 1518"), QUEUES ("1 2 4 8"),
# MODES ("rxonly txonly io"), ROUNDS (5), DURATION (s per run or period, 10), PAIRED (1),
# OUT (build/bench),
# HVNET_DEVARGS and NETVSC_DEVARGS (device arguments for each driver's NICs, e.g.
# rx_extmbuf_enable=1 to attach received frames instead of copying them; none). Writes
# $OUT/bench.csv (every run), $OUT/median.csv, $OUT/bench.png (Debian's python3-matplotlib, if
# installed) and prints the ratio table. Wall-clock figures: run it on an otherwise idle machine.
set -u
umask 022
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
build=${HVNET_BUILD:-build}
sizes=${SIZES:-"64 128 512 1518"}
queue_list=${QUEUES:-"1 2 4 8"}
modes=${MODES:-"rxonly txonly io"}
rounds=${ROUNDS:-5}
devargs=${HVNET_DEVARGS:-}
netvsc_devargs=${NETVSC_DEVARGS:-}
duration=${DURATION:-10}
paired=${PAIRED:-1}
out=${OUT:-$build/bench}
sim="$build/app/test-hvnet/dpdk-test-hvnet"

[ "$(id -u)" = 0 ] || { echo "bench: must run as root" >&2; exit 1; }
[ -x "$sim" ] || { echo "bench: build first (meson setup $build && ninja -C $build)" >&2; exit 1; }
case $paired in
0 | 1) ;;
*) echo "bench: PAIRED: '$paired' is not 0 or 1" >&2; exit 1 ;;
esac
[ "$paired" = 0 ] || [ -z "$netvsc_devargs" ] ||
	{ echo "bench: NETVSC_DEVARGS needs PAIRED=0 (with hvnet loaded, upstream's bus" \
		"refuses device arguments)" >&2; exit 1; }
# A SIZE counts the FCS, as RFC 2544's 64..1518 do; mbufs and the host's frames do not.
fcs=4
for size in $sizes; do
	n=$size
	case $n in
	*[!0-9]* | '') n=0 ;;
	esac
	[ "$n" -ge 64 ] && [ "$n" -le 1518 ] ||
		{ echo "bench: SIZES: '$size' is not a frame size from 64 to 1518" >&2; exit 1; }
done
. devtools/lib.sh
guest_paths "$build" || exit 1
mkdir -p "$out" || exit 1

# NIC i of the simulated host: f8615163-0000-4000-8000-0000000000<i, 2 hex digits>.
nic_uuid() {
	printf 'f8615163-0000-4000-8000-0000000000%02x' "$1"
}

# The figures of one testpmd "stop" (or exit) on stdin, FIELD (RX or TX) counted:
# "<packets> <cycles/pkt> <TSC MHz> <rx bursts> <tx bursts>", the bursts those of the first
# port, "RX-bursts : N [75% of 32 pkts + 25% of others]" as one CSV-safe word; empty when the
# block has no count or no cycles.
fwd_figures() {
	awk -v field="$1" '
		/Accumulated forward statistics/ { acc = 3; next }
		acc && acc-- && match($0, field "-packets: *[0-9]+") {
			v = substr($0, RSTART, RLENGTH); sub(/.*: */, "", v); pkts = v }
		/CPU cycles\/packet=/ && match($0, /packet=[0-9.]+/) {
			cyc = substr($0, RSTART + 7, RLENGTH - 7)
			if (match($0, /at [0-9]+ MHz/)) mhz = substr($0, RSTART + 3, RLENGTH - 7) }
		function burst(line) { sub(/^ *[RT]X-bursts *: */, "", line); gsub(/,/, "", line)
			gsub(/ /, "_", line); return line }
		/^ *RX-bursts *:/ && rxb == "" { rxb = burst($0) }
		/^ *TX-bursts *:/ && txb == "" { txb = burst($0) }
		END { if (pkts != "" && cyc != "")
			print pkts, cyc, mhz, (rxb == "" ? "-" : rxb), (txb == "" ? "-" : txb) }'
}

# The host's signals per frame over its NICs LO..HI, from the simulator's summary on stdin.
sim_signals() {
	awk -v lo="$1" -v hi="$2" '/hvnet-sim: summary / {
			for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
			if (v["nic"] < lo || v["nic"] > hi) next
			s += v["host_signals"]; f += v["to_guest_frames"] + v["from_guest_frames"] }
		END { printf "%.5f", f ? s / f : 0 }'
}

# The host's "<capacity pps> <idle %>" from its load line on stdin; "0 0" without one.
sim_load() {
	local load
	load=$(sed -n 's/.*hvnet-sim: load .*idle_pct=\([0-9.]*\) .*capacity_pps=\([0-9]*\).*/\2 \1/p' |
		tail -n 1)
	echo "${load:-0 0}"
}

# The simulated host's options and testpmd's counted field for MODE with N NICs (rxonly and
# txonly: one NIC per driver; io: pairs wired back to back), as host=(...) and field.
mode_host() {
	local mode=$1 nics=$2 len=$3 i
	host=(--nics "$nics")
	field=RX
	case $mode in
	io) host+=(--wire peer) ;;
	rxonly) host+=(--wire none)
		for ((i = 0; i < nics; i++)); do host+=(--rate "$i:max:$len"); done ;;
	txonly) field=TX; host+=(--wire none)
		for ((i = 0; i < nics; i++)); do host+=(--rate "$i:0:$len"); done ;;
	esac
}

# The drivers in round R's order: netvsc first in odd rounds.
round_order() {
	if [ $(($1 % 2)) = 0 ]; then echo "hvnet netvsc"; else echo "netvsc hvnet"; fi
}

# What every testpmd of the bench records, and its mbufs.
fwd_args=(--record-core-cycles --record-burst-stats --total-num-mbufs=32768)

# One run of one driver: prints "<pps> <cycles/pkt> <TSC MHz> <signals/frame> <rx bursts>
# <tx bursts> <host capacity pps> <host idle %>".
run_one() {
	local drv=$1 mode=$2 size=$3 queues=$4 out figs pkts cyc mhz rxb txb
	local len=$((size - fcs)) nics=1 i host=() field
	local eal=(--no-huge -m 1024 --iova-mode=va -l 0-1 --file-prefix "hvnet-bench-$$")
	local env=() first=()
	[ "$mode" = io ] && { first=(--tx-first); nics=2; }
	mode_host "$mode" "$nics" "$len"
	# Each driver's bus takes device arguments after the NIC's name.
	local bus=vmbus args=$netvsc_devargs
	if [ "$drv" = hvnet ]; then
		eal+=("${plugin_args[@]}")
		bus=hvbus args=$devargs
	else
		env=(LD_PRELOAD="$qstate_shim")
	fi
	if [ -n "$args" ]; then
		for ((i = 0; i < nics; i++)); do
			eal+=(-a "$bus:$(nic_uuid "$i"),$args")
		done
	fi
	out=$(env "${env[@]}" timeout -s INT -k 20 "$duration" "$sim" sim "${host[@]}" \
		--queues "$queues" -- dpdk-testpmd "${eal[@]}" -- --forward-mode="$mode" \
		--auto-start "${first[@]}" --stats-period 3600 "${fwd_args[@]}" --rxq="$queues" \
		--txq="$queues" --txpkts="$len" 2>&1 </dev/null)
	figs=$(printf '%s\n' "$out" | fwd_figures "$field")
	if [ -z "$figs" ]; then
		printf '%s\n' "$out" | tail -n 20 >&2
		echo "0 0 0 0 - - 0 0"
		return
	fi
	read -r pkts cyc mhz rxb txb <<< "$figs"
	echo "$((pkts / duration)) $cyc $mhz $(printf '%s\n' "$out" | sim_signals 0 $((nics - 1)))" \
		"$rxb $txb $(printf '%s\n' "$out" | sim_load)"
}

# The commands of a paired run for ROUNDS rounds, once testpmd's prompt is in LOG: each
# round a period per driver, netvsc first in odd rounds; a driver's first io period sends the
# first bursts, later ones forward the frames still in flight (--no-flush-rx keeps them).
pair_commands() {
	local log=$1 per=$2 mode=$3 i r drv ports start
	local -A begun=()
	for ((i = 0; i < 300; i++)); do
		grep -q 'testpmd> ' "$log" 2>/dev/null && break
		sleep 0.1
	done
	echo "show port info all"
	for ((r = 1; r <= rounds; r++)); do
		for drv in $(round_order "$r"); do
			ports=0; [ "$per" = 2 ] && ports=0,1
			[ "$drv" = netvsc ] && { ports=$per; [ "$per" = 2 ] && ports=2,3; }
			start=start
			[ "$mode" = io ] && [ -z "${begun[$drv]:-}" ] && start="start tx_first"
			begun[$drv]=1
			echo "set portlist $ports"
			echo "$start"
			sleep "$duration"
			echo stop
		done
	done
	echo quit
}

# One run of both drivers (PAIRED=1): prints a line per period, in the order they ran:
# "<driver> <round> <pps> <cycles/pkt> <TSC MHz> <signals/frame> <rx bursts> <tx bursts>
# <host capacity pps> <host idle %>".
run_pair() {
	local mode=$1 size=$2 queues=$3 per=1 i k r drv log out figs
	local len=$((size - fcs))
	local host=() field drivers sig sig_h sig_n load pkts cyc mhz rxb txb
	local eal=(--no-huge -m 1024 --iova-mode=va -l 0-1 --file-prefix "hvnet-bench-$$")
	[ "$mode" = io ] && per=2
	mode_host "$mode" $((2 * per)) "$len"
	# hvnet's bus takes the first NICs (their own device arguments), upstream the others.
	eal+=("${plugin_args[@]}")
	for ((i = 0; i < per; i++)); do
		eal+=(-a "hvbus:$(nic_uuid "$i")${devargs:+,$devargs}")
	done
	log=$(mktemp) || return 1
	# The commands wait for testpmd's prompt in the log the run writes.
	# shellcheck disable=SC2094
	pair_commands "$log" "$per" "$mode" | LD_PRELOAD="$qstate_shim" timeout -s INT -k 20 \
		$((60 + 2 * rounds * (duration + 1))) "$sim" sim "${host[@]}" --queues "$queues" -- \
		stdbuf -oL dpdk-testpmd "${eal[@]}" -- -i --no-flush-rx --forward-mode="$mode" \
		"${fwd_args[@]}" --rxq="$queues" --txq="$queues" --txpkts="$len" > "$log" 2>&1
	out=$(cat "$log")
	rm -f "$log"
	drivers=$(printf '%s\n' "$out" | sed -n 's/^Driver name: *//p' | tr '\n' ' ')
	if [ "$drivers" != "$(printf 'net_hvnet %.0s' $(seq "$per"))$(printf 'net_netvsc %.0s' \
		$(seq "$per"))" ]; then
		printf '%s\n' "$out" | tail -n 20 >&2
		echo "bench: paired run: ports of '$drivers', not $per of hvnet then upstream" >&2
		return
	fi
	sig_h=$(printf '%s\n' "$out" | sim_signals 0 $((per - 1)))
	sig_n=$(printf '%s\n' "$out" | sim_signals "$per" $((2 * per - 1)))
	load=$(printf '%s\n' "$out" | sim_load)
	k=0
	for ((r = 1; r <= rounds; r++)); do
		for drv in $(round_order "$r"); do
			k=$((k + 1))
			figs=$(printf '%s\n' "$out" |
				awk -v k="$k" '/Telling cores to stop/ { n++ } n == k' |
				fwd_figures "$field")
			[ -n "$figs" ] || figs="0 0 0 - -"
			read -r pkts cyc mhz rxb txb <<< "$figs"
			sig=$sig_n; [ "$drv" = hvnet ] && sig=$sig_h
			echo "$drv $r $((pkts / duration)) $cyc $mhz $sig $rxb $txb $load"
		done
	done
}

# Append one run's (or period's) figures to the CSV and print them.
record() {
	local mode=$1 size=$2 queues=$3 drv=$4 r=$5 pps=$6 cyc=$7 mhz=$8 sig=$9 rxb=${10}
	local txb=${11} cap=${12} idle=${13} mpc row
	mpc=$(awk -v c="$cyc" -v m="$mhz" 'BEGIN { printf "%.3f", (c > 0 ? m / c : 0) }')
	row="$mode,$size,$queues,$drv,$r,$pps,$cyc,$mhz,$mpc,$sig"
	echo "$row,$rxb,$txb,$cap,$idle" >> "$csv"
	printf "%-6s %4s B %s q round %d %-6s %8.3f Mpps, %7.1f cycles/pkt" "$mode" "$size" \
		"$queues" "$r" "$drv" "$(awk -v p="$pps" 'BEGIN { print p / 1e6 }')" "$cyc"
	[ "$mode" = txonly ] && rxb="tx:$txb"
	printf " = %6.2f Mpps/core, %.5f signals/frame, bursts %s," "$mpc" "$sig" "$rxb"
	printf " host %.3f Mpps busy (%.1fx), idle %s%%\n" \
		"$(awk -v c="$cap" 'BEGIN { print c / 1e6 }')" \
		"$(awk -v c="$cap" -v p="$pps" 'BEGIN { print (p > 0 ? c / p : 0) }')" "$idle"
}

csv="$out/bench.csv"
{ printf 'mode,size,queues,driver,round,pps,cycles_per_pkt,tsc_mhz,mpps_per_core,'
  echo 'signals_per_frame,rx_bursts,tx_bursts,host_capacity_pps,host_idle_pct'; } > "$csv"
for mode in $modes; do
	case $mode in
	rxonly | txonly | io) ;;
	*) echo "bench: unknown mode $mode (rxonly, txonly, io)" >&2; exit 1 ;;
	esac
	for size in $sizes; do
		for queues in $queue_list; do
			if [ "$paired" = 1 ]; then
				while read -r drv r rest; do
					# shellcheck disable=SC2086 # rest is the period's figures
					record "$mode" "$size" "$queues" "$drv" "$r" $rest
				done < <(run_pair "$mode" "$size" "$queues")
				continue
			fi
			for ((r = 1; r <= rounds; r++)); do
				for drv in $(round_order "$r"); do
					# shellcheck disable=SC2046 # the run's figures, word by word
					record "$mode" "$size" "$queues" "$drv" "$r" \
						$(run_one "$drv" "$mode" "$size" "$queues")
				done
			done
		done
	done
done

# Medians per mode, size, queues and driver; then hvnet/netvsc.
awk -F, 'NR > 1 { k = $1 "," $2 "," $3 "," $4; n[k]++; pps[k, n[k]] = $6; mpc[k, n[k]] = $9
		sig[k, n[k]] = $10; hx[k, n[k]] = ($6 > 0 ? $13 / $6 : 0) }
	function median(a, k, c,    i, j, t, v) {
		for (i = 1; i <= c; i++) v[i] = a[k, i]
		for (i = 2; i <= c; i++) for (j = i; j > 1 && v[j - 1] > v[j]; j--) {
			t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
		return c % 2 ? v[(c + 1) / 2] : (v[c / 2] + v[c / 2 + 1]) / 2
	}
	function best(a, k, c,    i, b) {
		for (i = 1; i <= c; i++) if (a[k, i] > b) b = a[k, i]
		return b
	}
	END {
		for (k in n)
			printf "%s,%d,%.0f,%.3f,%.5f,%.2f,%.3f\n", k, n[k], median(pps, k, n[k]),
				median(mpc, k, n[k]), median(sig, k, n[k]), median(hx, k, n[k]),
				best(mpc, k, n[k])
	}' "$csv" | sort -t, -k1,1 -k2,2n -k3,3n -k4,4 > "$out/median.csv.tmp"
{ printf 'mode,size,queues,driver,rounds,pps,mpps_per_core,signals_per_frame,host_headroom,'
  echo 'best_mpps_per_core'
  cat "$out/median.csv.tmp"; } > "$out/median.csv"
rm -f "$out/median.csv.tmp"

echo
echo "medians of $rounds round(s); ratio = hvnet / netvsc (per core: netvsc cycles / hvnet);"
echo "best = the ratio of each driver's best round (fewest cycles per packet);"
echo "host x = the host's capacity (frames per busy second) / the run's rate: its headroom"
[ -n "$devargs" ] && echo "hvnet's device arguments: $devargs"
[ -n "$netvsc_devargs" ] && echo "netvsc's device arguments: $netvsc_devargs"
awk -F, 'function hx_low(x) { return x > 0 && x < 1.5 }
	NR > 1 { k = $1 "," $2 "," $3; v[k, $4] = $7; f[k, $4] = $6; s[k, $4] = $8
		h[k, $4] = $9; bb[k, $4] = $10
		if (!(k in seen)) { seen[k] = 1; key[++n] = k } }
	END {
		printf "%-7s %5s %3s %11s %11s %7s %6s %9s %9s %6s %9s %9s %7s %7s\n", "mode",
			"size", "q", "netvsc", "hvnet", "ratio", "best", "netvsc", "hvnet", "ratio",
			"sig/frm", "sig/frm", "host x", "host x"
		printf "%-7s %5s %3s %11s %11s %7s %6s %9s %9s %6s %9s %9s %7s %7s\n", "", "B",
			"", "Mpps/core", "Mpps/core", "", "", "fwd Mpps", "fwd Mpps", "", "netvsc",
			"hvnet", "netvsc", "hvnet"
		for (i = 1; i <= n; i++) {
			k = key[i]; split(k, p, ",")
			a = v[k, "netvsc"]; b = v[k, "hvnet"]
			c = f[k, "netvsc"] / 1e6; d = f[k, "hvnet"] / 1e6
			# txonly counts the cycles of frames it made and could not send: when the
			# host sets the pace there, the figure is the pace of the host.
			# A failed run has no capacity (0): not a pace.
			paced = p[1] == "txonly" &&
				(hx_low(h[k, "netvsc"]) || hx_low(h[k, "hvnet"]))
			ba = bb[k, "netvsc"]; bh = bb[k, "hvnet"]
			printf "%-7s %5s %3s %11.2f %11.2f %6.2f%s %6.2f %9.3f %9.3f %6.2f %9.5f" \
				" %9.5f %7.1f %7.1f\n", p[1], p[2], p[3], a, b, (a > 0 ? b / a : 0),
				(paced ? "*" : " "), (ba > 0 ? bh / ba : 0), c, d,
				(c > 0 ? d / c : 0), s[k, "netvsc"], s[k, "hvnet"], h[k, "netvsc"],
				h[k, "hvnet"]
			npaced += paced
		}
		if (npaced)
			print "* txonly paced by the host (host x below 1.5): the cycles of " \
				"testpmd include the frames it made and dropped, so Mpps/core is " \
				"the rate of the host"
	}' "$out/median.csv"
echo "bench: every run in $csv, medians in $out/median.csv"

if /usr/bin/python3 -c 'import matplotlib' 2>/dev/null; then
	/usr/bin/python3 devtools/bench-plot.py "$out/median.csv" "$out/bench.png" &&
		echo "bench: plot in $out/bench.png"
else
	echo "bench: no plot (Debian's python3-matplotlib is not installed: devtools/setup.sh)"
fi
exit 0
